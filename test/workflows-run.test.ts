/**
 * Real runs of the performance workflow in embedded shape (results, vLLM, deployer and workflows services in one
 * process; the local cluster with an emulated L4): the seed's step 8 deploys the model through the vLLM queue pinned
 * to the chosen node, the runner job benchmarks it through the deployer's local executor, the workflow shows the
 * queue item's progress and links the stored result, and a workflow that was simulated first shows prediction and
 * measurement side by side (also in the results, under the run's id); calibration fitted from the run is used by the
 * next prediction. Two workflows racing for the one GPU: placement decides, never both deployed at once. A cloud model
 * behind a key-checking proxy: the key arrives, from a Secret the job references, and appears in no response or log.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';
import { DB_KINDS } from './helpers/db.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const common = { name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: 'configuration' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A reverse proxy that demands `Bearer <key>` on every request and counts what arrived. */
async function keyProxy(target: string, key: string) {
  const seen = { authorized: 0, refused: 0, completions: 0, completionsWithoutKey: 0 };
  const server: Server = createServer((req, res) => {
    const ok = req.headers.authorization === `Bearer ${key}`;
    const isCompletion = /\/v1\/(chat\/)?completions/.test(req.url ?? '');
    if (isCompletion) seen.completions++;
    if (!ok) {
      seen.refused++;
      if (isCompletion) seen.completionsWithoutKey++;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"invalid api key"}}');
      return;
    }
    seen.authorized++;
    const u = new URL(req.url ?? '/', target);
    const up = httpRequest(u, { method: req.method, headers: { ...req.headers, host: u.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.each(DB_KINDS)('performance workflow real runs (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;
  let modelId: string;
  let localNode: any;
  const post = (body: unknown) => call(base, 'POST', '/workflows/performance', body);

  /** Polls a run until it ends; returns it with every stage and queue step seen on the way. */
  async function waitRun(workflowId: string, runId: string, timeoutMs = 150_000) {
    const stages: string[] = [];
    const queueSteps: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = (await call(base, 'GET', `/workflows/performance/${workflowId}/runs/${runId}`)).body;
      if (stages.at(-1) !== r.stage) stages.push(r.stage);
      const qs = r.progress?.queue?.current_step;
      if (qs && queueSteps.at(-1) !== qs) queueSteps.push(qs);
      if (!['running', 'cancelling'].includes(r.status)) return { run: r, stages, queueSteps };
      if (Date.now() > deadline) throw new Error(`run did not finish: ${JSON.stringify(r)}`);
      await sleep(150);
    }
  }

  /** Steps 1–7 of the seed on the local node with our model (num_prompts added to keep the run short). */
  async function prepare(name: string, numPrompts: number, extra: Record<string, unknown> = {}) {
    const s1 = await post({ ...common, name, workflow_total_steps: 9, step_number: 1, trigger_workflow: false, num_prompts: numPrompts, ...extra });
    expect(s1.status).toBe(201);
    const id = s1.body.workflow_id;
    const c = { ...common, name, workflow_id: id };
    for (const body of [
      { ...c, step_number: 2, trigger_workflow: false, max_input_tokens: 50, max_output_tokens: 100 },
      { ...c, step_number: 3, trigger_workflow: false, cluster_id: 'local' },
      { ...c, step_number: 4, trigger_workflow: false, nodes: [localNode] },
      { ...c, step_number: 5, model_id: modelId },
      { ...c, step_number: 7, user_confirmation: true },
    ]) {
      const r = await post(body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    return id;
  }

  beforeAll(async () => {
    p = await startTestPlatform({
      kind,
      services: ['results', 'vllm', 'deployer', 'workflows'],
      env: { BENCHOPS_WORKFLOWS_PORT: '0', BENCHOPS_LOCAL_DEVICES: 'L4:1', BENCHOPS_POLL_TICK_SECONDS: '0.2' },
    });
    base = p.urls.workflows!;
    modelId = (await call(base, 'POST', '/models', { name: 'qwen', kind: 'served', model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'qwen-wf', max_model_len: 2048 })).body.id;
    localNode = (await call(p.urls.vllm!, 'GET', '/clusters/local/nodes')).body[0];
    expect(localNode.devices.find((d: any) => d.type === 'gpu')).toMatchObject({ name: 'L4', available_count: 1 });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('simulate, then the seed\'s step 8 runs on the local cluster: queue progress, the result linked, prediction vs measurement, teardown, calibration', async () => {
    const id = await prepare('real-run', 60);
    const sim = await post({ ...common, name: 'real-run', workflow_id: id, step_number: 8, run_as_simulation: true, trigger_workflow: true });
    expect(sim.body.run).toMatchObject({ status: 'completed', plan: { simulator: { hardware: 'L4', tensor_parallel: 1 } } });

    const t0 = performance.now();
    const trig = await post({ ...common, name: 'real-run', workflow_id: id, step_number: 8, run_as_simulation: false, trigger_workflow: true });
    expect(trig.status).toBe(200);
    expect(trig.body.run).toMatchObject({ mode: 'cluster', status: 'running', stage: 'queued', plan: { action: 'deploy_and_benchmark', deployment: { cluster_id: 'local', node: localNode.hostname } } });
    expect((await post({ ...common, name: 'real-run', workflow_id: id, step_number: 8, run_as_simulation: false, trigger_workflow: true })).status).toBe(409);
    const { run, stages, queueSteps } = await waitRun(id, trig.body.run.run_id);
    const wall = (performance.now() - t0) / 1000;
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'completed', stage: 'completed' });
    // the stages in order, and the queue item's own steps seen while deploying
    const order = ['queued', 'deploying', 'benchmarking', 'collecting', 'tearing_down', 'completed'];
    expect(stages.every((s, i) => i === 0 || order.indexOf(s) > order.indexOf(stages[i - 1]))).toBe(true);
    expect(stages).toContain('benchmarking');
    expect(stages.at(-1)).toBe('completed');
    expect(queueSteps.length).toBeGreaterThan(0);
    expect(run.progress.queue).toMatchObject({ status: 'completed', current_step: 'completed' });
    expect(run.progress.node).toBe(localNode.hostname);

    // the measured result is linked and is the runner's, under the run's own id
    const doc = await call(p.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(run.result_pk)}`);
    expect(doc.body.data.meta).toMatchObject({ source: 'benchops-runner', run_id: run.result_run_id });
    expect(doc.body.data.performance.summary).toMatchObject({ completed: 60, failed: 0 });
    expect(run.metrics.completed).toBe(60);
    // side by side: every compared metric with both values and the error by definition
    const rows = run.comparison.metrics as Array<{ metric: string; predicted: number; measured: number; error: number }>;
    for (const m of ['mean_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'mean_itl_ms', 'mean_e2el_ms', 'output_throughput', 'request_throughput']) {
      const r = rows.find((x) => x.metric === m)!;
      expect(r, m).toBeDefined();
      expect(r.predicted).toBeGreaterThan(0);
      expect(r.measured).toBeGreaterThan(0);
      expect(r.error).toBeCloseTo(r.predicted / r.measured - 1, 3);
    }
    expect(run.comparison).toMatchObject({ predicted_run_id: sim.body.run.run_id, predicted_pk: sim.body.run.result_pk, measured_pk: run.result_pk });
    const g = (await call(base, 'GET', `/workflows/performance/${id}`)).body;
    expect(g).toMatchObject({ status: 'completed', latest_run: { run_id: run.run_id }, comparison: { measured_pk: run.result_pk } });
    // ...and in the results: the prediction under the measured run's id, carrying the comparison
    const both = (await call(p.urls.results!, 'GET', `/standardized_output?run_id=${encodeURIComponent(run.result_run_id)}`)).body;
    expect(both.map((r: any) => r.source).sort()).toEqual(['benchops-runner', 'simulator']);
    const pred = both.find((r: any) => r.source === 'simulator');
    const predDoc = (await call(p.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(pred.pk)}`)).body;
    expect(predDoc.data.meta).toMatchObject({ compared_with: run.result_pk, comparison: { measured_pk: run.result_pk } });
    const cmp = (await call(p.urls.results!, 'GET', `/compare?pks=${encodeURIComponent(pred.pk)},${encodeURIComponent(run.result_pk)}`)).body;
    expect(cmp.metrics.some((m: any) => m.path === 'performance.latency.ttft_ms.mean')).toBe(true);

    // torn down: the deployment stopped, the job's objects deleted
    const dep = (await call(p.urls.vllm!, 'GET', `/deployments/${run.deployment_id}`)).body;
    expect(dep.status).toBe('stopped');
    expect(dep.config).toMatchObject({ hardware: 'L4', gpu_resource_count: 1, node_selector: { 'kubernetes.io/hostname': localNode.hostname } });
    const job = (await call(p.urls.deployer!, 'GET', `/deployments/${run.job_deployment_id}`)).body;
    expect(['completed', 'deleted']).toContain(job.status);
    console.log(
      `[workflows] real run in embedded mode (60 requests, emulated L4): ${wall.toFixed(2)} s wall; predicted vs measured: ` +
        rows.filter((r) => r.metric.startsWith('mean_') || r.metric.endsWith('throughput')).map((r) => `${r.metric} ${r.predicted?.toFixed(2)}/${r.measured?.toFixed(2)} (${((r.error ?? 0) * 100).toFixed(1)} %)`).join(', '),
    );

    // calibration from the run, kept per (model, hardware), used by the next prediction
    const cal = await call(base, 'POST', `/workflows/performance/${id}/calibrate`, {});
    expect(cal.status, JSON.stringify(cal.body)).toBe(200);
    expect(cal.body).toMatchObject({ model: 'Qwen/Qwen3-0.6B', hardware: 'L4', run_id: run.run_id });
    expect(cal.body.after.loss).toBeLessThanOrEqual(cal.body.before.loss);
    const listed = (await call(base, 'GET', '/calibrations')).body;
    expect(listed.find((c: any) => c.model === 'Qwen/Qwen3-0.6B' && c.hardware === 'L4').factors).toEqual(cal.body.factors);
    const again = await post({ ...common, name: 'real-run', workflow_id: id, step_number: 8, run_as_simulation: true, trigger_workflow: true });
    expect(again.body.run.plan.simulator.calibration).toMatchObject({ model: 'Qwen/Qwen3-0.6B', hardware: 'L4', run_id: run.run_id });
    const againDoc = (await call(p.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(again.body.run.result_pk)}`)).body;
    for (const [k, v] of Object.entries(cal.body.factors)) expect(againDoc.data.meta.factors[k], k).toBeCloseTo(v as number, 9);
  });

  it.runIf(kind === 'pglite')('dataset method: the job mounts the dataset\'s rows and the load generator sends exactly the rows the simulator predicted', async () => {
    const rows = ['Describe a GPU in two sentences.', 'What does tensor parallelism split?', 'Why does batching raise throughput?'].map((prompt, i) => JSON.stringify({ prompt, output_len: 20 + 10 * i }));
    const ds = await call(base, 'POST', '/datasets', { name: 'run-rows', content: rows.join('\n') });
    expect(ds.status).toBe(201);
    const s1 = await post({ ...common, eval_with: 'dataset', name: 'ds-run', workflow_total_steps: 9, step_number: 1, trigger_workflow: false, num_prompts: 12 });
    const id = s1.body.workflow_id;
    const c = { ...common, eval_with: 'dataset', name: 'ds-run', workflow_id: id };
    for (const body of [
      { ...c, step_number: 2, trigger_workflow: false, datset_ids: [ds.body.id] },
      { ...c, step_number: 3, trigger_workflow: false, cluster_id: 'local' },
      { ...c, step_number: 4, trigger_workflow: false, nodes: [localNode] },
      { ...c, step_number: 5, model_id: modelId },
      { ...c, step_number: 7, user_confirmation: true },
    ]) expect((await post(body)).status).toBe(200);
    const sim = (await post({ ...c, step_number: 8, run_as_simulation: true, trigger_workflow: true })).body.run;
    const trig = await post({ ...c, step_number: 8, run_as_simulation: false, trigger_workflow: true });
    const { run } = await waitRun(id, trig.body.run.run_id);
    expect(run.error).toBeNull();
    const measured = (await call(p.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(run.result_pk)}`)).body.data.performance.summary;
    const predicted = (await call(p.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(sim.result_pk)}`)).body.data.performance.summary;
    // 12 requests cycling the 3 rows: the same prompts (counted by the server) and the rows' own output lengths
    expect(measured).toMatchObject({ completed: 12, failed: 0, total_output_tokens: 4 * (20 + 30 + 40) });
    expect(measured.total_input_tokens).toBe(predicted.total_input_tokens);
    expect(measured.total_output_tokens).toBe(predicted.total_output_tokens);
  });

  it.runIf(kind === 'pglite')('a failure says which stage and why; cancel stops a run and removes what it created', async () => {
    // a 70B model on one 24 GB L4: the simulator says it cannot be simulated, the real run fails where it deploys
    const big = (await call(base, 'POST', '/models', { name: 'too-big', kind: 'served', model_name: 'meta-llama/Llama-3.1-70B-Instruct', max_model_len: 2048 })).body.id;
    const id = await prepare('too-big', 10);
    await post({ ...common, name: 'too-big', workflow_id: id, step_number: 5, model_id: big });
    await post({ ...common, name: 'too-big', workflow_id: id, step_number: 7, user_confirmation: true });
    const g = (await call(base, 'GET', `/workflows/performance/${id}`)).body;
    expect(g.trigger.plan.simulator_error).toMatch(/does not fit on up to 1 × L4/);
    const simRefused = await post({ ...common, name: 'too-big', workflow_id: id, step_number: 8, run_as_simulation: true, trigger_workflow: true });
    expect(simRefused.status).toBe(422);
    expect(simRefused.body.detail[0]).toMatchObject({ loc: ['body', 'run_as_simulation'], msg: expect.stringMatching(/cannot simulate: .*does not fit/) });
    const trig = await post({ ...common, name: 'too-big', workflow_id: id, step_number: 8, run_as_simulation: false, trigger_workflow: true });
    const { run } = await waitRun(id, trig.body.run.run_id);
    expect(run.status).toBe('failed');
    expect(run.error.stage).toBe('deployment');
    expect(run.error.message).toMatch(/^the vLLM queue item failed: .*does not fit on 1×L4/);

    // cancel: a long run is stopped while it benchmarks; its job, queue item and deployment go
    const long = await prepare('to-cancel', 20_000);
    const t = await post({ ...common, name: 'to-cancel', workflow_id: long, step_number: 8, run_as_simulation: false, trigger_workflow: true });
    const rid = t.body.run.run_id;
    let r: any;
    const deadline = Date.now() + 120_000;
    do {
      await sleep(200);
      r = (await call(base, 'GET', `/workflows/performance/${long}/runs/${rid}`)).body;
      if (Date.now() > deadline) throw new Error(`never benchmarked: ${JSON.stringify(r)}`);
    } while (!(r.stage === 'benchmarking' && r.progress?.job?.status === 'running'));
    expect((await call(base, 'DELETE', `/workflows/performance/${long}`)).status).toBe(409);
    const c = await call(base, 'POST', `/workflows/performance/${long}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelling');
    const { run: done } = await waitRun(long, rid);
    expect(done).toMatchObject({ status: 'cancelled', stage: 'cancelled', error: { stage: 'benchmarking', message: 'cancelled by the user' } });
    expect((await call(p.urls.vllm!, 'GET', `/deployments/${done.deployment_id}`)).body.status).toBe('stopped');
    expect((await call(p.urls.deployer!, 'GET', `/deployments/${done.job_deployment_id}`)).body.status).toBe('deleted');
    expect((await call(base, 'POST', `/workflows/performance/${long}/cancel`)).status).toBe(409);
    expect((await call(base, 'DELETE', `/workflows/performance/${long}`)).status).toBe(200);
  });

  it.runIf(kind === 'postgres')('two workflows racing for the one GPU: placement decides, one waits, never both deployed', async () => {
    const a = await prepare('race-a', 40);
    const b = await prepare('race-b', 40);
    const go = (id: string, name: string) => post({ ...common, name, workflow_id: id, step_number: 8, run_as_simulation: false, trigger_workflow: true });
    const [ra, rb] = await Promise.all([go(a, 'race-a'), go(b, 'race-b')]);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    const ids = [ra.body.run.run_id, rb.body.run.run_id];
    const wf = [a, b];
    let bothDeployed = false;
    let waited = false;
    const deadline = Date.now() + 240_000;
    let runs: any[] = [];
    for (;;) {
      runs = await Promise.all(ids.map(async (rid, i) => (await call(base, 'GET', `/workflows/performance/${wf[i]}/runs/${rid}`)).body));
      if (runs.some((r) => r.progress?.queue?.current_step === 'waiting_for_resources')) waited = true;
      // a run holds the GPU from its deployment being placed until it is torn down
      const holding = runs.filter((r) => ['benchmarking', 'collecting'].includes(r.stage));
      if (holding.length > 1) bothDeployed = true;
      if (runs.every((r) => r.status !== 'running')) break;
      if (Date.now() > deadline) throw new Error(`race did not finish: ${JSON.stringify(runs.map((r) => [r.stage, r.progress]))}`);
      await sleep(100);
    }
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(bothDeployed).toBe(false);
    expect(waited).toBe(true);
    expect(runs[0].deployment_id).not.toBe(runs[1].deployment_id);
    // the vLLM service's records agree: the two deployments on the one L4 never overlapped
    const deps = await Promise.all(runs.map(async (r) => (await call(p.urls.vllm!, 'GET', `/deployments/${r.deployment_id}`)).body));
    const [first, second] = [...deps].sort((x, y) => Date.parse(x.created_at) - Date.parse(y.created_at));
    expect(Date.parse(second.created_at)).toBeGreaterThanOrEqual(Date.parse(first.updated_at));
  });

  it.runIf(kind === 'pglite')('a cloud model against an emulated endpoint that checks the key: benchmarked without deployment; the key arrives and is in no response or log', async () => {
    const KEY = 'sk-wf-cloud-7c1e0f4b9a';
    const emu: EmulatedServer = await startEmulatedServer({ model: 'Qwen/Qwen3-0.6B', served_model_name: 'cloud-qwen', hardware: 'L4', port: 0 });
    const proxy = await keyProxy(emu.url, KEY);
    try {
      const cred = await call(base, 'POST', '/credentials', { name: 'cloud', provider: 'openai-compatible', api_key: KEY });
      expect(cred.status).toBe(201);
      expect(cred.body).toMatchObject({ has_api_key: true });
      const m = await call(base, 'POST', '/models', { name: 'cloud-qwen', kind: 'cloud', model_name: 'cloud-qwen', endpoint_url: `${proxy.url}/v1`, simulator: { model: 'Qwen/Qwen3-0.6B', hardware: 'L4' } });
      expect(m.status).toBe(201);
      const s1 = await post({ ...common, name: 'cloud', workflow_total_steps: 9, step_number: 1, trigger_workflow: false, num_prompts: 30 });
      const id = s1.body.workflow_id;
      const c = { ...common, name: 'cloud', workflow_id: id };
      for (const body of [
        { ...c, step_number: 2, trigger_workflow: false, max_input_tokens: 50, max_output_tokens: 100 },
        { ...c, step_number: 5, model_id: m.body.id },
        { ...c, step_number: 6, credential_id: cred.body.id },
        { ...c, step_number: 7, user_confirmation: true },
      ]) expect((await post(body)).status).toBe(200);
      const trig = await post({ ...c, step_number: 8, run_as_simulation: false, trigger_workflow: true });
      expect(trig.status).toBe(200);
      expect(trig.body.run.plan).toMatchObject({ action: 'benchmark_endpoint', deployment: null, model: { endpoint_url: `${proxy.url}/v1` } });
      const { run, stages } = await waitRun(id, trig.body.run.run_id);
      expect(run.error).toBeNull();
      expect(run.status).toBe('completed');
      expect(stages).not.toContain('deploying');
      expect(run.deployment_id).toBeNull();
      expect(run.metrics.completed).toBe(30);
      // every completion carried the key; the emulator answered them
      expect(proxy.seen.completions).toBeGreaterThanOrEqual(30);
      expect(proxy.seen.completionsWithoutKey).toBe(0);
      expect(emu.records().filter((r) => r.endpoint === 'completions').length).toBeGreaterThanOrEqual(30);
      // the job referenced a Secret; its manifest as stored never holds the key
      const job = (await call(p.urls.deployer!, 'GET', `/deployments/${run.job_deployment_id}`)).body;
      expect(JSON.stringify(job)).not.toContain(KEY);
      const everything = [
        JSON.stringify(trig.body),
        JSON.stringify(run),
        JSON.stringify((await call(base, 'GET', `/workflows/performance/${id}`)).body),
        JSON.stringify((await call(base, 'GET', '/credentials')).body),
        JSON.stringify((await call(base, 'GET', `/credentials/${cred.body.id}`)).body),
        JSON.stringify((await call(base, 'GET', `/models/${m.body.id}`)).body),
        p.logs(),
      ].join('\n');
      expect(everything).not.toContain(KEY);
      const stored: any = await p.ctx.db.execute(sql`SELECT secret_enc FROM workflows_credentials WHERE id = ${cred.body.id}`);
      expect(String((stored.rows ?? stored)[0].secret_enc)).not.toContain(KEY);

      // a wrong key: the endpoint refuses every request; the run fails at the benchmark stage and says why
      expect((await call(base, 'PUT', `/credentials/${cred.body.id}`, { api_key: 'sk-wrong' })).status).toBe(200);
      expect((await post({ ...c, step_number: 7, user_confirmation: true })).status).toBe(200);
      const bad = await post({ ...c, step_number: 8, run_as_simulation: false, trigger_workflow: true });
      const failed = (await waitRun(id, bad.body.run.run_id)).run;
      expect(failed.status).toBe('failed');
      expect(failed.error.stage).toBe('benchmark');
      expect(failed.error.message).toMatch(/the benchmark job failed: .*every request failed.*HTTP 401/);
      expect((await call(base, 'GET', `/workflows/performance/${id}`)).body.status).toBe('failed');
    } finally {
      await proxy.close();
      await emu.close();
    }
  });
});
