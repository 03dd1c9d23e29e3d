/**
 * Results ingestion rate over HTTP: POST /standardized_output with a realistic runner document (4 latency blocks,
 * throughput, summary, thresholds: ~45 numbers → metric rows and gauge series), and POST /raw_input of a vLLM
 * `bench serve` output (parsed into its standardized document in the same request), on PGlite and on PostgreSQL.
 *
 *   npx tsx bench/results-ingest.ts [--count 1000] [--concurrency 8] [--only pglite|postgres]
 *
 * PostgreSQL: TEST_DATABASE_URL (an admin URL; a fresh database is created on it), else a temporary server started
 * like the test suite does (Debian's postgres binaries).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/core/config.ts';
import { startPlatform } from '../src/platform/start.ts';
import { createDatabase, startPostgresServer } from '../test/setup/postgres-admin.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const COUNT = Number(opt('count', '1000'));
const CONCURRENCY = Number(opt('concurrency', '8'));
const ONLY = opt('only', '');

const fixtures = path.join(import.meta.dirname, '../test/fixtures/results');
const runnerDoc = JSON.parse(readFileSync(path.join(fixtures, 'benchops-runner-perf.json'), 'utf8'));
const vllmDoc = JSON.parse(readFileSync(path.join(fixtures, 'vllm-bench-serve.json'), 'utf8'));
const { requests: _r, format: _f, kind: _k, ...standardized } = runnerDoc;

async function drive(url: string, kind: 'standardized' | 'raw', count: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const jitter = 1 + (i % 97) / 1000;
      const body =
        kind === 'standardized'
          ? {
              run_id: `bench-${i}`,
              benchmark_name: 'vllm-benchmark',
              timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
              model_id: `model-${i % 4}`,
              tokenizer_id: 'tok',
              source: 'benchops-runner',
              data: { ...standardized, performance: { ...standardized.performance, throughput: { ...standardized.performance.throughput, output_throughput: 200 * jitter } } },
            }
          : {
              run_id: `raw-${i}`,
              benchmark_name: 'vllm-serve',
              timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
              model_id: `model-${i % 4}`,
              tokenizer_id: 'tok',
              source: 'vllm-bench',
              data: { ...vllmDoc, mean_ttft_ms: 69.58 * jitter },
            };
      const res = await fetch(`${url}/${kind === 'standardized' ? 'standardized_output' : 'raw_input'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return count / ((performance.now() - t0) / 1000);
}

async function run(label: string, databaseUrl?: string): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-bench-'));
  const env: Record<string, string> = { BENCHOPS_DATA_DIR: dataDir, BENCHOPS_DEMO: '0', BENCHOPS_LOG_LEVEL: 'silent', BENCHOPS_RESULTS_PORT: '0' };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const platform = await startPlatform({ config: loadConfig(env), services: ['results'], background: false });
  try {
    const url = platform.urls.results!;
    await drive(url, 'standardized', Math.min(50, COUNT)); // warm-up (JIT, connection pool, plan cache)
    const std = await drive(url, 'standardized', COUNT);
    const raw = await drive(url, 'raw', COUNT);
    const t0 = performance.now();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const scrapeMs = performance.now() - t0;
    const series = metrics.split('\n').filter((l) => /^(vllm_eval_|benchops_perf_)/.test(l)).length;
    console.log(
      `${label.padEnd(10)} POST /standardized_output ${std.toFixed(0).padStart(6)} results/s   ` +
        `POST /raw_input (vllm-bench, parsed) ${raw.toFixed(0).padStart(6)} results/s   ` +
        `/metrics ${scrapeMs.toFixed(1)} ms (${series} series)   [${COUNT} each, concurrency ${CONCURRENCY}]`,
    );
  } finally {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgresUrl(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { adminUrl, stop } = await startPostgresServer();
  return { url: await createDatabase(adminUrl, 'bench'), stop };
}

console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg()[0].toFixed(2)}`);
if (ONLY !== 'postgres') await run('pglite');
if (ONLY !== 'pglite') {
  const pgdb = await postgresUrl();
  try {
    await run('postgres', pgdb.url);
  } finally {
    await pgdb.stop();
  }
}
