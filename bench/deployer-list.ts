/**
 * The deployer's `GET /deployments` (default page of 100) with 200 records, on PGlite and on PostgreSQL: a real
 * `benchops serve deployer` child process (its own event loop), seeded with ConfigMaps through `POST /deploy`. Prints,
 * sequentially and then with concurrent keep-alive clients for a few seconds: req/s, p50/p99/max, errors, and the
 * server's CPU time per request (utime + stime of the child from /proc, the figure a busy shared machine disturbs
 * least). A third phase keeps a writer changing one record every 50 ms while the clients read (every list after a
 * change is a miss): how much a change costs the lists.
 *
 *   npx tsx bench/deployer-list.ts [--deployments 200] [--requests 300] [--clients 50] [--seconds 8]
 *                                  [--only pglite|postgres] [--root <source tree to serve from, default .>]
 *
 * `--root` serves another tree (e.g. an earlier commit's `git archive` with node_modules linked) for a before/after.
 * PostgreSQL: a temporary server started like the test setup does.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, startPostgresServer } from '../test/setup/postgres-admin.ts';
import { arg, percentile as pct, startServe } from './common.ts';

const DEPLOYMENTS = Number(arg('deployments', '200'));
const REQUESTS = Number(arg('requests', '300'));
const CLIENTS = Number(arg('clients', '50'));
const SECONDS = Number(arg('seconds', '8'));
const ONLY = arg('only', '');
const ROOT = path.resolve(arg('root', '.'));
const TICK_MS = 1000 / 100; // USER_HZ on Linux

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 4 });


/** CPU ms the process has used (user + system). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

function request(url: string, method = 'GET', body?: unknown): Promise<{ status: number; total: string | undefined; text: string }> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, total: res.headers['x-total-count'] as string | undefined, text }));
      res.on('error', () => resolve({ status: 0, total: undefined, text }));
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, total: undefined, text: '' }));
    req.end(data);
  });
}

async function startServer(env: Record<string, string>): Promise<{ base: string; child: ChildProcess }> {
  const { urls, child } = await startServe({ services: ['deployer'], root: ROOT, env: { BENCHOPS_EXECUTOR: 'local', ...env }, timeoutMs: 120_000 });
  return { base: urls.deployer, child };
}

const configMap = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "${value}"\n`;

interface Phase {
  n: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  cpuPerReq: number;
  writes?: number;
}

async function phase(base: string, pid: number, clients: number, o: { requests?: number; seconds?: number; writer?: boolean }): Promise<Phase> {
  const url = `${base}/deployments`;
  const times: number[] = [];
  let errors = 0;
  let writes = 0;
  const end = performance.now() + (o.seconds ?? 0) * 1000;
  let left = o.requests ?? Infinity;
  const more = () => (o.requests !== undefined ? left-- > 0 : performance.now() < end);
  const client = async () => {
    while (more()) {
      const t0 = performance.now();
      const r = await request(url);
      times.push(performance.now() - t0);
      if (r.status !== 200 || r.total === undefined || Number(r.total) < DEPLOYMENTS) errors++;
    }
  };
  let writing = o.writer;
  const writer = async () => {
    // re-applying a deleted ConfigMap changes its record: each write bumps the list version
    for (let i = 0; writing; i++) {
      const yaml = configMap('bench-changing', String(i));
      await request(`${base}/deploy`, 'POST', { yaml_content: yaml });
      await request(`${base}/delete`, 'POST', { yaml_content: yaml });
      writes += 2;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const w = o.writer ? writer() : Promise.resolve();
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - t0) / 1000;
  writing = false;
  await w;
  const cpu = cpuMs(pid) - cpu0;
  times.sort((a, b) => a - b);
  return {
    n: times.length,
    rps: times.length / elapsed,
    p50: pct(times, 50),
    p99: pct(times, 99),
    max: times[times.length - 1],
    errors,
    cpuPerReq: cpu / times.length,
    ...(o.writer ? { writes } : {}),
  };
}

async function runOne(kind: 'pglite' | 'postgres', databaseUrl?: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-bench-'));
  const { base, child } = await startServer({ BENCHOPS_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  try {
    for (let i = 0; i < DEPLOYMENTS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, DEPLOYMENTS - i) }, (_, k) => request(`${base}/deploy`, 'POST', { yaml_content: configMap(`load-${i + k}`, String(i + k)) })),
      );
    }
    const first = await request(`${base}/deployments`);
    if (first.status !== 200 || Number(first.total) !== DEPLOYMENTS) throw new Error(`list: ${first.status} total ${first.total}`);
    const bytes = Buffer.byteLength(first.text);
    await phase(base, child.pid!, 1, { requests: 20 }); // warm-up
    const sequential = await phase(base, child.pid!, 1, { requests: REQUESTS });
    const concurrent = await phase(base, child.pid!, CLIENTS, { seconds: SECONDS });
    const changing = await phase(base, child.pid!, CLIENTS, { seconds: SECONDS, writer: true });
    return { kind, bytes, sequential, concurrent, changing };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const rows = [];
  if (ONLY !== 'postgres') rows.push(await runOne('pglite'));
  if (ONLY !== 'pglite') {
    const server = await startPostgresServer();
    try {
      rows.push(await runOne('postgres', await createDatabase(server.adminUrl, 'bench')));
    } finally {
      await server.stop();
    }
  }
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`deployer GET /deployments (page of 100 of ${DEPLOYMENTS} records), served from ${ROOT}`);
  console.log('storage   phase                          n    req/s   p50 ms   p99 ms   max ms  errors  server CPU ms/req');
  for (const r of rows) {
    for (const [name, x] of [
      ['sequential (1 client)', r.sequential],
      [`${CLIENTS} clients, ${SECONDS} s`, r.concurrent],
      [`${CLIENTS} clients + writer`, r.changing],
    ] as const) {
      console.log(
        `${r.kind.padEnd(9)} ${name.padEnd(26)} ${String(x.n).padStart(6)} ${x.rps.toFixed(0).padStart(8)}  ${f(x.p50)}  ${f(x.p99)}  ${f(x.max)}  ${String(x.errors).padStart(6)}  ${x.cpuPerReq.toFixed(2).padStart(17)}${x.writes !== undefined ? `  (${x.writes} writes)` : ''}`,
      );
    }
    console.log(`${r.kind.padEnd(9)} body ${(r.bytes / 1024).toFixed(0)} KiB`);
  }
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  agent.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
