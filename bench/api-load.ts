/**
 * 50 concurrent clients on the list endpoints of the embedded platform (issue 10, items 14 and 15), on PGlite and on
 * PostgreSQL: `benchops serve` runs as a child process (all services and the gateway share its event loop, as in
 * production), this process is the load generator (keep-alive HTTP/1.1, every body read to the end). Seeds 1,000 raw
 * and 1,000 standardized results, a project with 1,000 synced files (plus 100 more projects), 200 deployer
 * deployments (ConfigMaps through POST /deploy), and 200 vLLM deployments (one real emulated deployment, stopped,
 * cloned into rows: 200 running servers are more than the local node allows). While each endpoint is loaded, one
 * more client probes the vLLM service's /health (another port, the same event loop). Prints req/s, p50/p99/max,
 * errors (non-2xx or no answer within 10 s) and body size per endpoint.
 *
 *   npx tsx bench/api-load.ts [--only pglite|postgres] [--clients 50] [--seconds 10] [--log-level info]
 *
 * PostgreSQL: TEST_DATABASE_URL (an admin URL) if set, else a temporary server started like the test setup does.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../src/core/db/client.ts';
import { vllmDeployments } from '../src/services/vllm/schema.ts';
import { spawnPlatform, type PlatformProcess } from '../test/helpers/audit-process.ts';
import { makeRepo } from '../test/helpers/git.ts';
import { createDatabase, startPostgresServer } from '../test/setup/postgres-admin.ts';
import { arg, percentile as pct } from './common.ts';

const CLIENTS = Number(arg('clients', '50'));
const SECONDS = Number(arg('seconds', '10'));
const ONLY = arg('only', '');
const LOG_LEVEL = arg('log-level', 'info');
const RESULTS = 1000;
const FILES = 1000;
const DEPLOYMENTS = 200;
const TIMEOUT_MS = 10_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 8 });

interface Answer {
  status: number;
  ms: number;
  bytes: number;
}

function get(url: string, timeoutMs = TIMEOUT_MS): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes }));
      res.on('error', () => resolve({ status: 0, ms: performance.now() - t0, bytes }));
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, bytes: 0 }));
  });
}

async function send(base: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(base + p, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const json: any = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

/** Runs `fn` over `items` with `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}


interface Row {
  endpoint: string;
  n: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  kib: number;
  health?: { p50: number; p99: number; max: number; errors: number };
}

/** `clients` loops on `url` for SECONDS (after a one-second warm-up), with one /health probe alongside when asked. */
async function load(endpoint: string, url: string, healthUrl?: string): Promise<Row> {
  const warm = Date.now() + 1000;
  while (Date.now() < warm) await get(url);
  const times: number[] = [];
  const probe: number[] = [];
  let errors = 0;
  let probeErrors = 0;
  let bytes = 0;
  const t0 = performance.now();
  const end = Date.now() + SECONDS * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      const a = await get(url);
      if (a.status < 200 || a.status >= 300) errors++;
      else times.push(a.ms);
      bytes = a.bytes || bytes;
    }
  };
  const prober = async () => {
    while (Date.now() < end) {
      const a = await get(healthUrl!);
      if (a.status !== 200) probeErrors++;
      else probe.push(a.ms);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await Promise.all([...Array.from({ length: CLIENTS }, worker), ...(healthUrl ? [prober()] : [])]);
  const secs = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  probe.sort((a, b) => a - b);
  return {
    endpoint,
    n: times.length + errors,
    rps: times.length / secs,
    p50: pct(times, 50),
    p99: pct(times, 99),
    max: times[times.length - 1] ?? NaN,
    errors,
    kib: bytes / 1024,
    health: healthUrl ? { p50: pct(probe, 50), p99: pct(probe, 99), max: probe[probe.length - 1] ?? NaN, errors: probeErrors } : undefined,
  };
}

/** Seeds through the API; returns the project id and the emulated deployment to clone. */
async function seedApi(urls: Record<string, string>, repoUrl: string): Promise<{ pid: string; vllmId?: string }> {
  const t = performance.now();
  const post = (kind: 'raw_input' | 'standardized_output', i: number) =>
    send(urls.results, 'POST', `/${kind}`, {
      run_id: `load-${kind}-${i}`,
      benchmark_name: `load-${i % 10}`,
      model_id: `org/model-${i % 20}`,
      source: 'bench-load',
      timestamp: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
      data: { meta: { i }, results: { task: { exact_match: (i % 100) / 100 } }, performance: { summary: { output_throughput: 1000 + i } } },
    });
  await pool([...Array(RESULTS).keys()], 8, (i) => post('raw_input', i));
  await pool([...Array(RESULTS).keys()], 8, (i) => post('standardized_output', i));
  const project = await send(urls.manager, 'POST', '/projects', { name: 'load', github_repo_url: repoUrl });
  const sync = await send(urls.manager, 'POST', `/projects/${project.project_id}/sync`);
  if (sync.synced_files !== FILES) throw new Error(`sync gave ${sync.synced_files} files`);
  await pool([...Array(100).keys()], 8, (i) => send(urls.manager, 'POST', '/projects', { name: `load-extra-${i}`, github_repo_url: `https://github.com/load/extra-${i}` }));
  await pool([...Array(DEPLOYMENTS).keys()], 8, (i) =>
    send(urls.deployer, 'POST', '/deploy', { yaml_content: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: load-${i}\ndata:\n  a: "${i}"\n` }),
  );
  let vllmId: string | undefined;
  try {
    const dep = await send(urls.vllm, 'POST', '/deploy', { config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'load-model', max_model_len: 2048 } });
    vllmId = dep.deployment_id;
    const until = Date.now() + 60_000;
    while (Date.now() < until && (await send(urls.vllm, 'GET', `/deployments/${vllmId}/status`)).status === 'deploying') await new Promise((r) => setTimeout(r, 250));
    await send(urls.vllm, 'DELETE', `/deployments/${vllmId}`);
  } catch (e: any) {
    console.warn(`  (no emulated deployment to clone, synthetic vLLM rows instead: ${e.message})`);
  }
  console.log(`  seeded through the API in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { pid: project.project_id, vllmId };
}

/** Writes DEPLOYMENTS vLLM deployment rows (clones of a real one when there is one) while the server is stopped. */
async function seedVllmRows(dataDir: string, databaseUrl: string | undefined, templateId?: string): Promise<void> {
  const database = await openDatabase({ databaseUrl, dataDir });
  try {
    const [template] = templateId ? await database.db.select().from(vllmDeployments).where(eq(vllmDeployments.id, templateId)) : [];
    const now = Date.now();
    const rows: (typeof vllmDeployments.$inferInsert)[] = Array.from({ length: DEPLOYMENTS - (template ? 1 : 0) }, (_, i) => {
      const id = randomUUID();
      const base: typeof vllmDeployments.$inferInsert = template ?? {
        id,
        name: '',
        clusterId: 'local',
        backend: 'local',
        namespace: 'benchmark',
        status: 'stopped',
        config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'load-model', max_model_len: 2048, gpu_resource_type: 'cpu', gpu_resource_count: 0 },
        fingerprint: 'load',
        resources: { 'benchops.io/cpu-slot': 1 },
      };
      const status = i % 5 === 0 ? 'failed' : 'stopped';
      return { ...base, id, name: `load-${i}-${id.slice(0, 8)}`, status, pid: null, endpoint: null, createdAt: new Date(now - i * 60_000), updatedAt: new Date(now - i * 60_000) };
    });
    for (let i = 0; i < rows.length; i += 50) await database.db.insert(vllmDeployments).values(rows.slice(i, i + 50));
  } finally {
    await database.close();
  }
}

async function runBackend(kind: 'pglite' | 'postgres', repoUrl: string, databaseUrl?: string): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-load-'));
  const env: Record<string, string> = { BENCHOPS_LOG_LEVEL: LOG_LEVEL, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  let proc: PlatformProcess | undefined;
  try {
    console.log(`${kind}: seeding`);
    proc = await spawnPlatform({ dataDir, env });
    const { pid, vllmId } = await seedApi(proc.urls, repoUrl);
    await proc.stop();
    proc = undefined;
    await seedVllmRows(dataDir, databaseUrl, vllmId);
    proc = await spawnPlatform({ dataDir, env });
    const u = proc.urls;
    const vllmCount = Object.keys(await send(u.vllm, 'GET', '/deployments')).length;
    if (vllmCount !== DEPLOYMENTS) throw new Error(`vLLM /deployments lists ${vllmCount}, expected ${DEPLOYMENTS}`);
    const health = `${u.vllm}/health`;
    const targets: [string, string][] = [
      ['results GET /raw_input', `${u.results}/raw_input`],
      ['results GET /standardized_output', `${u.results}/standardized_output`],
      ['manager GET /projects', `${u.manager}/projects`],
      ['manager GET /projects/{id}/files', `${u.manager}/projects/${pid}/files`],
      ['manager GET /projects/{id}/files?limit=1000', `${u.manager}/projects/${pid}/files?limit=1000`],
      ['vllm GET /deployments (200)', `${u.vllm}/deployments`],
      ['deployer GET /deployments', `${u.deployer}/deployments`],
      ['gateway GET /health', `${u.gateway}/health`],
      ['results GET /health', `${u.results}/health`],
    ];
    const rows: Row[] = [];
    for (const [name, url] of targets) {
      const row = await load(name, url, name.endsWith('/health') ? undefined : health);
      rows.push(row);
      console.log(`  ${format(row)}`);
    }
    return rows;
  } finally {
    await proc?.stop().catch(() => proc?.kill9());
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

function format(r: Row): string {
  const h = r.health ? `   health p50 ${f1(r.health.p50)} p99 ${f1(r.health.p99)} max ${f1(r.health.max)} err ${r.health.errors}` : '';
  return `${r.endpoint.padEnd(46)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${f1(r.p50).padStart(7)}   p99 ${f1(r.p99).padStart(7)}   max ${f1(r.max).padStart(7)} ms   errors ${String(r.errors).padStart(4)}/${r.n}   ${r.kib.toFixed(0).padStart(5)} KiB${h}`;
}

async function main() {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    const type = `type-${i % 10}`;
    if (i % 2) files[`config/${type}/c-${i}.json`] = JSON.stringify({ name: `scenario-${i}`, max_concurrency: i % 16, pad: 'x'.repeat(600) }, null, 2);
    else files[`job/${type}/j-${i}.yaml`] = `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-${i}\n# ${'y'.repeat(600)}\n`;
  }
  const repo = makeRepo(files);
  const results: [string, Row[]][] = [];
  try {
    if (ONLY !== 'postgres') results.push(['pglite', await runBackend('pglite', repo.url)]);
    if (ONLY !== 'pglite') {
      const admin = process.env.TEST_DATABASE_URL;
      const server = admin ? undefined : await startPostgresServer();
      try {
        results.push(['postgres', await runBackend('postgres', repo.url, await createDatabase(admin ?? server!.adminUrl, 'load'))]);
      } finally {
        await server?.stop();
      }
    }
  } finally {
    repo.cleanup();
  }
  console.log(`\n${CLIENTS} clients, ${SECONDS} s per endpoint, log level ${LOG_LEVEL}; "health": the vLLM service's /health probed alongside (ms)`);
  for (const [kind, rows] of results) {
    console.log(kind);
    for (const r of rows) console.log(`  ${format(r)}`);
  }
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
