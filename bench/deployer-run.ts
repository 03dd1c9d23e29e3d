/**
 * Deployer `/run` figures on one machine: the real manager with a synced git project, the deployer with the local
 * executor (embedded mode) or the Kubernetes executor against the in-repo API test double. Prints `/run` request
 * latency (p50/p95/max, runs/s sequentially and with `--concurrency` parallel clients), and for the local executor
 * the time from `/run` to the record reading `completed` (a job that cats its mounted config).
 *
 *   npx tsx bench/deployer-run.ts [--runs 40] [--concurrency 4] [--executor local|kubernetes]
 *
 * Storage: PGlite in a temp folder; DATABASE_URL (a database URL) uses that server instead.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/core/config.ts';
import { startPlatform } from '../src/platform/start.ts';
import { makeRepo } from '../test/helpers/git.ts';
import { K8sDouble } from '../test/helpers/k8s-double.ts';
import { arg, percentile as pct } from './common.ts';

const RUNS = Number(arg('runs', '40'));
const CONC = Number(arg('concurrency', '4'));
const EXECUTOR = arg('executor', 'local');
const fmt = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1)} ms, p95 ${pct(s, 95).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
};

const JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: bench
  annotations:
    benchops.io/local-command: 'cat "$BENCHOPS_CONFIG_PATH" > /dev/null; echo done'
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: benchops
`;

async function post(url: string, body: unknown): Promise<any> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${url}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

async function main() {
  let double: K8sDouble | undefined;
  if (EXECUTOR === 'kubernetes') {
    double = await K8sDouble.start();
    process.env.BENCHOPS_KUBECONFIG = double.kubeconfig;
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-bench-deployer-'));
  const platform = await startPlatform({
    config: loadConfig({
      BENCHOPS_DATA_DIR: dataDir,
      BENCHOPS_DEMO: '0',
      BENCHOPS_LOG_LEVEL: 'warn',
      BENCHOPS_EXECUTOR: EXECUTOR,
      BENCHOPS_POLL_TICK_SECONDS: '0.2',
      BENCHOPS_MANAGER_PORT: '0',
      BENCHOPS_DEPLOYER_PORT: '0',
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    }),
    services: ['manager', 'deployer'],
    gateway: false,
    logStream: process.stderr,
  });
  const repo = makeRepo({ 'job/b/job.yaml': JOB, 'config/b/cfg.json': JSON.stringify({ bench: true }) });
  try {
    const m = platform.urls.manager!;
    const d = platform.urls.deployer!;
    const project = await post(`${m}/projects`, { name: 'bench', repository_url: repo.url, config_path: 'config', job_path: 'job' });
    await post(`${m}/projects/${project.project_id}/sync`, {});
    const files: any[] = await (await fetch(`${m}/projects/${project.project_id}/files`)).json();
    const id = (p: string) => files.find((f) => f.file_path === p).file_id;
    const body = (i: number) => ({
      project_id: project.project_id,
      benchmark_type: 'b',
      name: `bench-${i}`,
      job_file_id: id('job/b/job.yaml'),
      config_file_id: id('config/b/cfg.json'),
      vllm_model_endpoint: 'http://127.0.0.1:9/v1',
    });
    console.log(`deployer /run bench: executor=${EXECUTOR}, storage=${platform.ctx.database.kind}, runs=${RUNS}, concurrency=${CONC}`);

    const seq: number[] = [];
    const ids: { id: string; t0: number }[] = [];
    const t0 = performance.now();
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      const r = await post(`${d}/run`, body(i));
      seq.push(performance.now() - s);
      ids.push({ id: r.deployment_id, t0: s });
    }
    const seqWall = performance.now() - t0;
    console.log(`  sequential /run: ${fmt(seq)}; ${(RUNS / (seqWall / 1000)).toFixed(1)} runs/s`);

    const par: number[] = [];
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: CONC }, async () => {
        while (next < RUNS) {
          const i = RUNS + next++;
          const s = performance.now();
          await post(`${d}/run`, body(i));
          par.push(performance.now() - s);
        }
      }),
    );
    const parWall = performance.now() - t1;
    console.log(`  ${CONC} parallel clients: ${fmt(par)}; ${(RUNS / (parWall / 1000)).toFixed(1)} runs/s`);

    if (EXECUTOR === 'local') {
      const done: number[] = [];
      const deadline = Date.now() + 120_000;
      const pending = new Map(ids.map((x) => [x.id, x.t0]));
      while (pending.size && Date.now() < deadline) {
        for (const [dep, start] of [...pending]) {
          const r = await (await fetch(`${d}/deployments/${dep}`)).json();
          if (r.status === 'completed' || r.status === 'failed') {
            if (r.status === 'failed') console.log(`  run ${dep} failed: ${r.message}`);
            done.push(performance.now() - start);
            pending.delete(dep);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const single: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = performance.now();
        const r = await post(`${d}/run`, body(10_000 + i));
        for (;;) {
          const rec = await (await fetch(`${d}/deployments/${r.deployment_id}`)).json();
          if (rec.status === 'completed' || rec.status === 'failed') break;
          await new Promise((res) => setTimeout(res, 10));
        }
        single.push(performance.now() - s);
      }
      console.log(`  one run at a time, /run → record completed: ${fmt(single)}`);
      console.log(`  backlog: /run → record completed for the first ${RUNS} (their clocks include the parallel phase above; 0.2 s watcher tick): ${fmt(done)}; ${pending.size} unfinished`);
    }
  } finally {
    await platform.close();
    await double?.close();
    repo.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
