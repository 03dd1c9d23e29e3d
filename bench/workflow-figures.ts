/**
 * Figures of seed 003's workflow in embedded mode: `benchops serve` as a child process (every service, the gateway,
 * PGlite, the local cluster with an emulated L4), driven through the gateway (`/api/workflows/...`) with the seed's
 * bodies (50 concurrent requests, 50 input / 100 output tokens, Qwen/Qwen3-0.6B):
 *   1. the wall time of the simulated trigger (step 8, run_as_simulation true) for --requests requests, --repeat times;
 *   2. the wall time of the real run (step 8, run_as_simulation false: queue → emulated vLLM → runner job → result);
 *   3. for that run, predicted vs measured per metric with the relative error.
 *
 *   npx tsx bench/workflow-figures.ts [--requests 1000] [--repeat 5] [--model Qwen/Qwen3-0.6B]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, startServe } from './common.ts';

const REQUESTS = Number(arg('requests', '1000'));
const REPEAT = Number(arg('repeat', '5'));
const MODEL = arg('model', 'Qwen/Qwen3-0.6B');

async function startEmbedded(dataDir: string): Promise<{ gateway: string; child: ChildProcess }> {
  const { urls, child } = await startServe({ env: { BENCHOPS_DATA_DIR: dataDir, BENCHOPS_LOCAL_DEVICES: 'L4:1', BENCHOPS_POLL_TICK_SECONDS: '0.2' } });
  return { gateway: urls.gateway, child };
}

async function call(method: string, url: string, body?: unknown): Promise<any> {
  const r = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${text.slice(0, 500)}`);
  return json;
}

const fmt = (v: number | null | undefined, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-wf-bench-'));
  const { gateway, child } = await startEmbedded(dataDir);
  const api = `${gateway}/api/workflows`;
  try {
    const model = await call('POST', `${api}/models`, { name: 'bench-model', kind: 'served', model_name: MODEL, max_model_len: 2048 });
    const node = (await call('GET', `${gateway}/api/vllm/clusters/local/nodes`))[0];
    const common = { name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: 'configuration' };
    const s1 = await call('POST', `${api}/workflows/performance`, { ...common, workflow_total_steps: 9, step_number: 1, trigger_workflow: false, ...(REQUESTS !== 1000 ? { num_prompts: REQUESTS } : {}) });
    const id = s1.workflow_id;
    const c = { ...common, workflow_id: id };
    await call('POST', `${api}/workflows/performance`, { ...c, step_number: 2, trigger_workflow: false, max_input_tokens: 50, max_output_tokens: 100 });
    await call('POST', `${api}/workflows/performance`, { ...c, step_number: 3, trigger_workflow: false, cluster_id: 'local' });
    await call('POST', `${api}/workflows/performance`, { ...c, step_number: 4, trigger_workflow: false, nodes: [node] });
    await call('POST', `${api}/workflows/performance`, { ...c, step_number: 5, model_id: model.id });
    await call('POST', `${api}/workflows/performance`, { ...c, step_number: 7, user_confirmation: true });

    const walls: number[] = [];
    const compute: number[] = [];
    let sim: any;
    for (let i = 0; i < REPEAT; i++) {
      const t0 = performance.now();
      const r = await call('POST', `${api}/workflows/performance`, { ...c, step_number: 8, run_as_simulation: true, trigger_workflow: true });
      walls.push(performance.now() - t0);
      compute.push(r.run.progress.compute_ms);
      sim = r.run;
    }
    walls.sort((a, b) => a - b);
    console.log(`Simulated trigger, ${sim.metrics.completed} requests (${MODEL} on ${sim.plan.simulator.hardware}, tp ${sim.plan.simulator.tensor_parallel}, concurrency 50, 50/100 tokens), ${REPEAT} runs:`);
    console.log(`  wall time of POST step 8: min ${fmt(walls[0] / 1000)} s, median ${fmt(walls[Math.floor(walls.length / 2)] / 1000)} s, max ${fmt(walls.at(-1)! / 1000)} s`);
    console.log(`  of which the prediction itself: ${compute.map((x) => `${x} ms`).join(', ')} (predicted benchmark duration ${fmt(sim.metrics.duration)} s of virtual time)`);

    const t0 = performance.now();
    const trig = await call('POST', `${api}/workflows/performance`, { ...c, step_number: 8, run_as_simulation: false, trigger_workflow: true });
    const stages: Array<[string, number]> = [];
    let run: any;
    for (;;) {
      run = await call('GET', `${api}/workflows/performance/${id}/runs/${trig.run.run_id}`);
      if (stages.at(-1)?.[0] !== run.stage) stages.push([run.stage, performance.now() - t0]);
      if (run.status !== 'running') break;
      if (performance.now() - t0 > 900_000) throw new Error('the real run did not finish in 15 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (performance.now() - t0) / 1000;
    if (run.status !== 'completed') throw new Error(`the real run ${run.status}: ${JSON.stringify(run.error)}`);
    console.log(`\nReal run in embedded mode (${run.metrics.completed} requests on the emulated L4): ${fmt(wall)} s from trigger to completed (run record: ${fmt(run.wall_time_s)} s)`);
    console.log(`  stages reached at: ${stages.map(([s, t]) => `${s} ${fmt(t / 1000, 1)} s`).join(', ')}; measured benchmark duration ${fmt(run.metrics.duration)} s`);
    console.log('\nPredicted vs measured (error = predicted / measured − 1):');
    console.log(`  ${'metric'.padEnd(24)} ${'predicted'.padStart(11)} ${'measured'.padStart(11)} ${'error'.padStart(9)}`);
    for (const r of run.comparison.metrics) {
      console.log(`  ${r.metric.padEnd(24)} ${fmt(r.predicted).padStart(11)} ${fmt(r.measured).padStart(11)} ${(r.error === null ? '-' : `${(r.error * 100).toFixed(1)} %`).padStart(9)}`);
    }
    console.log(`  mean |error| over latency means and throughputs: ${fmt(run.comparison.mean_abs_error * 100, 1)} %`);
    const cal = await call('POST', `${api}/workflows/performance/${id}/calibrate`, {});
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(`\nCalibration from this run (${cal.model} on ${cal.hardware}): TTFT ${pct(cal.before.ttft)} → ${pct(cal.after.ttft)}, TPOT ${pct(cal.before.tpot)} → ${pct(cal.after.tpot)}, throughput ${pct(cal.before.throughput)} → ${pct(cal.after.throughput)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
