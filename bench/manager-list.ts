/**
 * Manager list endpoints under load, on PGlite and on PostgreSQL: `GET /projects` (default page) and
 * `GET /projects/{id}/files` (1,000 files synced from a real git repository), first sequentially (p50/p99), then with
 * 50 concurrent clients for a few seconds each (req/s, p50/p99/max, errors) while a probe asks `/health` ten times a
 * second (its p50/p99/max). The server is a real `benchops serve manager` child process, so the load generator does
 * not share its event loop.
 *
 *   npx tsx bench/manager-list.ts [--requests 200] [--files 1000] [--projects 100] [--clients 50] [--seconds 10]
 *                                  [--only pglite|postgres]
 *
 * PostgreSQL: a temporary server started like the test setup does.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRepo } from '../test/helpers/git.ts';
import { createDatabase, startPostgresServer } from '../test/setup/postgres-admin.ts';
import { arg, percentile as pct, startServe } from './common.ts';

const REQUESTS = Number(arg('requests', '200'));
const FILES = Number(arg('files', '1000'));
const PROJECTS = Number(arg('projects', '100'));
const CLIENTS = Number(arg('clients', '50'));
const SECONDS = Number(arg('seconds', '10'));
const ONLY = arg('only', '');


async function startServer(env: Record<string, string>): Promise<{ base: string; child: ChildProcess }> {
  const { urls, child } = await startServe({ services: ['manager'], env, timeoutMs: 120_000 });
  return { base: urls.manager, child };
}

async function post(url: string, body?: unknown): Promise<any> {
  const r = await fetch(url, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return r.json();
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  health: { p50: number; p99: number; max: number; n: number; failed: number };
}

/** CLIENTS loops requesting `url` for SECONDS, plus a /health probe every 100 ms. */
async function load(url: string, healthUrl: string, check: (res: Response) => boolean): Promise<LoadResult> {
  const times: number[] = [];
  const health: number[] = [];
  let errors = 0;
  let healthFailed = 0;
  const end = performance.now() + SECONDS * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (!check(res)) errors++;
      } catch {
        errors++;
      }
      times.push(performance.now() - t0);
    }
  };
  const probe = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const res = await fetch(healthUrl);
        await res.arrayBuffer();
        if (res.status !== 200) healthFailed++;
      } catch {
        healthFailed++;
      }
      health.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const t0 = performance.now();
  await Promise.all([...Array.from({ length: CLIENTS }, client), probe()]);
  const elapsed = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  health.sort((a, b) => a - b);
  return {
    rps: times.length / elapsed,
    p50: pct(times, 50),
    p99: pct(times, 99),
    max: times[times.length - 1],
    errors,
    health: { p50: pct(health, 50), p99: pct(health, 99), max: health[health.length - 1], n: health.length, failed: healthFailed },
  };
}

async function runOne(kind: 'pglite' | 'postgres', repoUrl: string, databaseUrl?: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-bench-'));
  const { base, child } = await startServer({ BENCHOPS_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  try {
    const created = await post(`${base}/projects`, { name: 'bench', github_repo_url: repoUrl });
    const pid = created.project_id;
    for (let i = 1; i < PROJECTS; i++) await post(`${base}/projects`, { name: `p${i}`, github_repo_url: 'https://git.example.com/org/repo.git' });
    let t = performance.now();
    const sync = await post(`${base}/projects/${pid}/sync`);
    const syncMs = performance.now() - t;
    if (sync.status !== 'success' || sync.synced_files !== FILES) throw new Error(`sync failed: ${JSON.stringify(sync)}`);
    t = performance.now();
    const resync = await post(`${base}/projects/${pid}/sync`);
    const resyncMs = performance.now() - t;
    if (resync.status !== 'success') throw new Error('resync failed');
    const filesUrl = `${base}/projects/${pid}/files`;
    let bytes = 0;
    for (let i = 0; i < 20; i++) await (await fetch(filesUrl)).arrayBuffer();
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      const res = await fetch(filesUrl);
      const body = await res.arrayBuffer();
      times.push(performance.now() - t0);
      bytes = body.byteLength;
      if (res.headers.get('x-total-count') !== String(FILES)) throw new Error('wrong total');
    }
    times.sort((a, b) => a - b);
    const healthUrl = `${base}/health`;
    const ceiling = await load(healthUrl, healthUrl, (r) => r.status === 200);
    const projects = await load(`${base}/projects`, healthUrl, (r) => r.status === 200 && r.headers.get('x-total-count') === String(PROJECTS));
    const files = await load(filesUrl, healthUrl, (r) => r.status === 200 && r.headers.get('x-total-count') === String(FILES));
    return { kind, p50: pct(times, 50), p99: pct(times, 99), bytes, syncMs, resyncMs, ceiling, projects, files };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    const type = `type-${i % 10}`;
    const body = JSON.stringify({ name: `scenario-${i}`, max_concurrency: i % 16, random_input_len: 1024, random_output_len: 256, pad: 'x'.repeat(600) }, null, 2);
    if (i % 2) files[`config/${type}/c-${i}.json`] = body;
    else files[`job/${type}/j-${i}.yaml`] = `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-${i}\n# ${'y'.repeat(600)}\n`;
  }
  const repo = makeRepo(files);
  const rows = [];
  try {
    if (ONLY !== 'postgres') rows.push(await runOne('pglite', repo.url));
    if (ONLY !== 'pglite') {
      const server = await startPostgresServer();
      try {
        rows.push(await runOne('postgres', repo.url, await createDatabase(server.adminUrl, 'bench')));
      } finally {
        await server.stop();
      }
    }
  } finally {
    repo.cleanup();
  }
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`GET /projects/{id}/files with ${FILES} files: ${REQUESTS} sequential requests after 20 warm-up`);
  console.log('storage   p50 ms   p99 ms  body KiB  first sync ms  no-change resync ms');
  for (const r of rows) {
    console.log(`${r.kind.padEnd(9)}${f(r.p50)}  ${f(r.p99)}  ${(r.bytes / 1024).toFixed(0).padStart(8)}  ${r.syncMs.toFixed(0).padStart(13)}  ${r.resyncMs.toFixed(0).padStart(19)}`);
  }
  console.log(`\n${CLIENTS} concurrent clients for ${SECONDS} s per endpoint, /health probed every 100 ms meanwhile`);
  console.log('storage   endpoint                 req/s   p50 ms   p99 ms   max ms  errors | health p50   p99     max  failed');
  for (const r of rows) {
    for (const [name, x] of [['/health (ceiling)', r.ceiling], [`/projects (${PROJECTS})`, r.projects], [`/files (${FILES})`, r.files]] as const) {
      console.log(
        `${r.kind.padEnd(9)} ${name.padEnd(20)} ${x.rps.toFixed(0).padStart(7)}  ${f(x.p50)}  ${f(x.p99)}  ${f(x.max)}  ${String(x.errors).padStart(6)} | ${f(x.health.p50)} ${f(x.health.p99)} ${f(x.health.max)}  ${String(x.health.failed).padStart(6)}`,
      );
    }
  }
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
