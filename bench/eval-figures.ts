/**
 * Figures of the evaluation service in embedded shape (results, manager, deployer, eval in this process, PGlite in
 * a temporary folder, the local executor, an emulated vLLM engine):
 *   1. `POST /evaluate` latency over --posts requests (template resolved through the manager each time);
 *   2. one evaluation's wall time from "engine answers" to "completed" (readiness → deployer /run → runner → results),
 *      with the history's stage times.
 *
 *   npx tsx bench/eval-figures.ts [--posts 200] [--concurrency 16]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DEFAULT_PORTS, loadConfig } from '../src/core/config.ts';
import { startPlatform } from '../src/platform/start.ts';
import { startEmulatedServer } from '../src/simulator/server.ts';
import { arg, percentileOf as pct } from './common.ts';

const POSTS = Number(arg('posts', '200'));
const CONCURRENCY = arg('concurrency', '16');

const JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: eval-{model_name_lower}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: task-eval
          image: ghcr.io/benchops/benchops:latest
          args: ["job", "run"]
          env: [{name: VLLM_MODEL_ENDPOINT, value: "http://vllm:8000/v1/completions"}]
`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function json(method: string, url: string, body?: unknown): Promise<any> {
  const r = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const t = await r.text();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${t}`);
  return t ? JSON.parse(t) : undefined;
}


async function main() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'benchops-eval-bench-'));
  const repo = path.join(root, 'repo');
  mkdirSync(path.join(repo, 'job/evaluation'), { recursive: true });
  mkdirSync(path.join(repo, 'config/evaluation'), { recursive: true });
  writeFileSync(path.join(repo, 'job/evaluation/eval-job.yaml'), JOB);
  writeFileSync(path.join(repo, 'config/evaluation/custom_task.json'), readFileSync('examples/benchmark-repo/config/custom-task/custom_task.json'));
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@l', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@l' } });
  git('init', '-q', '--initial-branch=main');
  git('add', '-A');
  git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'templates');

  const env: Record<string, string> = {
    BENCHOPS_DATA_DIR: path.join(root, 'data'),
    BENCHOPS_DEMO: '0',
    BENCHOPS_LOG_LEVEL: 'warn',
    BENCHOPS_POLL_TICK_SECONDS: '0.2',
    BENCHOPS_EVAL_CONCURRENCY: CONCURRENCY,
    ...Object.fromEntries(Object.keys(DEFAULT_PORTS).map((s) => [`BENCHOPS_${s.toUpperCase()}_PORT`, '0'])),
  };
  const platform = await startPlatform({ config: loadConfig(env), services: ['results', 'manager', 'deployer', 'eval'], logStream: new PassThrough() });
  const u = platform.urls as Record<string, string>;
  try {
    const project = await json('POST', `${u.manager}/projects`, { name: 'bench', repository_url: `file://${repo}`, config_path: 'config', job_path: 'job' });
    await json('POST', `${u.manager}/projects/${project.project_id}/sync`);
    const template = `${project.project_id}:job/evaluation/eval-job.yaml:config/evaluation/custom_task.json`;

    // 1. POST latency (the engine is not up: the evaluations wait; cancelled afterwards)
    const dead = `http://127.0.0.1:${await freePort()}`;
    const lat: number[] = [];
    const ids: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < POSTS; i++) {
      const s = performance.now();
      ids.push((await json('POST', `${u.eval}/evaluate`, { model_name: `m${i}`, inference_engine_url: dead, template })).id);
      lat.push(performance.now() - s);
    }
    const wall = performance.now() - t0;
    console.log(`POST /evaluate x${POSTS}: p50 ${pct(lat, 50).toFixed(2)} ms, p95 ${pct(lat, 95).toFixed(2)} ms, max ${Math.max(...lat).toFixed(2)} ms, ${(POSTS / (wall / 1000)).toFixed(0)} req/s sequential`);
    for (const id of ids) await json('POST', `${u.eval}/evaluations/${id}/cancel`);

    // 2. one evaluation end to end
    const port = await freePort();
    const ev = await json('POST', `${u.eval}/evaluate`, { model_name: 'bench-model', inference_engine_url: `http://127.0.0.1:${port}`, template });
    const engine = await startEmulatedServer({ port, host: '127.0.0.1', profile: { ttft_ms: 5, itl_ms: 1 }, served_model_name: 'bench-model' });
    const up = Date.now();
    let e: any;
    for (;;) {
      e = await json('GET', `${u.eval}/evaluations/${ev.id}`);
      if (!['waiting', 'submitted', 'running'].includes(e.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const at = (s: string) => Date.parse(e.history.find((h: any) => h.status === s)?.at ?? 'x');
    console.log(`evaluation ${e.status}: engine up → completed ${Date.now() - up} ms; engine up → submitted ${at('submitted') - up} ms; submitted → completed ${at(e.status) - at('submitted')} ms; ${e.result_pks.length} result(s); ${e.readiness.attempts} probe(s)`);
    await engine.close();
  } finally {
    await platform.close();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
