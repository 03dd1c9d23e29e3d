/**
 * Speed of `GET /projects/{id}/files` with 1,000 files, on PGlite and on PostgreSQL (p50/p99 over sequential requests
 * on a real port). The files come from a real git repository synced by the manager (the sync time is printed too).
 *
 *   npx tsx bench/manager-list.ts [--requests 200] [--files 1000] [--only pglite|postgres]
 *
 * PostgreSQL: TEST_DATABASE_URL (an admin URL) if set, else a temporary server started like the test setup does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/core/config.ts';
import { startPlatform } from '../src/core/platform.ts';
import { makeRepo } from '../test/helpers/git.ts';
import { createDatabase, startPostgresServer } from '../test/setup/postgres-admin.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const REQUESTS = Number(arg('requests', '200'));
const FILES = Number(arg('files', '1000'));
const ONLY = arg('only', '');

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function runOne(kind: 'pglite' | 'postgres', repoUrl: string, databaseUrl?: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-bench-'));
  const env: Record<string, string> = {
    BENCHOPS_DATA_DIR: dataDir,
    BENCHOPS_DEMO: '0',
    BENCHOPS_LOG_LEVEL: 'silent',
    BENCHOPS_MANAGER_PORT: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const platform = await startPlatform({ config: loadConfig(env), services: ['manager'], gateway: false, background: false });
  try {
    const base = platform.urls.manager!;
    const created = await (
      await fetch(`${base}/projects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', github_repo_url: repoUrl }) })
    ).json();
    const pid = created.project_id;
    let t = performance.now();
    const sync = await (await fetch(`${base}/projects/${pid}/sync`, { method: 'POST' })).json();
    const syncMs = performance.now() - t;
    if (sync.status !== 'success' || sync.synced_files !== FILES) throw new Error(`sync failed: ${JSON.stringify(sync)}`);
    t = performance.now();
    const resync = await (await fetch(`${base}/projects/${pid}/sync`, { method: 'POST' })).json();
    const resyncMs = performance.now() - t;
    if (resync.status !== 'success') throw new Error('resync failed');
    const url = `${base}/projects/${pid}/files`;
    let bytes = 0;
    for (let i = 0; i < 20; i++) await (await fetch(url)).arrayBuffer();
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      const body = await res.arrayBuffer();
      times.push(performance.now() - t0);
      bytes = body.byteLength;
      if (res.headers.get('x-total-count') !== String(FILES)) throw new Error('wrong total');
    }
    times.sort((a, b) => a - b);
    return { kind, p50: pct(times, 50), p99: pct(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length, bytes, syncMs, resyncMs };
  } finally {
    await platform.close();
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
  console.log(`GET /projects/{id}/files with ${FILES} files (${REQUESTS} sequential requests after 20 warm-up; whole list per request)`);
  console.log('storage   p50 ms   p99 ms   mean ms   body KiB   first sync ms   no-change resync ms');
  for (const r of rows) {
    console.log(
      `${r.kind.padEnd(9)} ${r.p50.toFixed(1).padStart(6)}   ${r.p99.toFixed(1).padStart(6)}   ${r.mean.toFixed(1).padStart(7)}   ${(r.bytes / 1024).toFixed(0).padStart(8)}   ${r.syncMs.toFixed(0).padStart(13)}   ${r.resyncMs.toFixed(0).padStart(19)}`,
    );
  }
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
