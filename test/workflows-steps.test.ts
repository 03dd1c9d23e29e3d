/**
 * Seed 003's step API on PGlite and PostgreSQL, with the seed's exact bodies (ids substituted): both methods
 * (configuration, dataset) through all eight steps and the Simulate trigger, the node of the seed's example on a
 * Kubernetes cluster (API double) and the local cluster; every validation rule with its 422 naming the field;
 * re-sending a step (dependent steps incomplete again; changing the cluster clears the nodes); the trigger refusing
 * while a required step is incomplete; GET (merged state, steps, what the trigger will do), list, delete.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { call } from './helpers/http.ts';
import { K8sDouble } from './helpers/k8s-double.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

/** The seed's bodies, verbatim (its ids are replaced by ours where a step names one). */
const SEED = {
  step1: (evalWith: 'configuration' | 'dataset') => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: evalWith, workflow_total_steps: 9, step_number: 1, trigger_workflow: false,
  }),
  step2config: (id: string) => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: 'configuration', workflow_id: id, step_number: 2, trigger_workflow: false, max_input_tokens: 50, max_output_tokens: 100,
  }),
  step2dataset: (id: string, ds: string) => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: 'dataset', workflow_id: id, step_number: 2, trigger_workflow: false, datset_ids: [ds],
  }),
  step3: (id: string, cluster: string, evalWith = 'configuration') => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: evalWith, workflow_id: id, step_number: 3, trigger_workflow: false, cluster_id: cluster,
  }),
  step4: (id: string, nodes: unknown[], evalWith = 'configuration') => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: evalWith, workflow_id: id, step_number: 4, trigger_workflow: false, nodes,
  }),
  seedNode: {
    hostname: 'fl4u42',
    status: 'Ready',
    devices: [{ name: 'Intel(R) Xeon(R) Platinum 8480+', type: 'cpu', device_info: { num_virtual_cores: 224 }, device_config: { peak_fp16_TFLOPS: 329.00454400000007 }, available_count: 8 }],
  },
  step5: (id: string, model: string, evalWith = 'configuration') => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: evalWith, workflow_id: id, step_number: 5, model_id: model,
  }),
  step6: (id: string, cred: string, evalWith = 'configuration') => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: evalWith, workflow_id: id, step_number: 6, credential_id: cred,
  }),
  step7: (id: string, evalWith = 'configuration') => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: evalWith, workflow_id: id, step_number: 7, user_confirmation: true,
  }),
  step8: (id: string, simulate: boolean, evalWith = 'configuration') => ({
    name: 'test-111', tags: [], description: 'test-111', concurrent_requests: 50, eval_with: evalWith, workflow_id: id, step_number: 8, run_as_simulation: simulate, trigger_workflow: true,
  }),
};

const JSONL = ['{"prompt": "What is the capital of France?", "output_len": 32}', '{"question": "Name two primary colours.", "answer": "red and blue"}', '{"prompt": "Write a haiku about GPUs.", "max_tokens": 64}'].join('\n');

describe.each(DB_KINDS)('performance workflow steps (%s)', (kind) => {
  let p: TestPlatform;
  let k8s: K8sDouble;
  let base: string;
  let lab: string;
  let modelId: string;
  let tinyModelId: string;
  let cloudModelId: string;
  let credId: string;
  let datasetId: string;
  const post = (body: unknown) => call(base, 'POST', '/workflows/performance', body);
  const get = (path: string) => call(base, 'GET', path);
  const loc = (r: { body: any }) => r.body.detail.map((d: any) => d.loc.join('.'));

  beforeAll(async () => {
    k8s = await K8sDouble.start();
    k8s.addNode('fl4u42', { cpu: '224', memory: '2048Gi' });
    k8s.addNode('gpu-h100', { cpu: '96', memory: '1024Gi', 'nvidia.com/gpu': '8' }, { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    const down = k8s.addNode('down-1', { cpu: '8', memory: '32Gi' });
    k8s.put('nodes', { ...down, status: { ...down.status, conditions: [{ type: 'Ready', status: 'False' }] } });
    p = await startTestPlatform({ kind, services: ['results', 'vllm', 'workflows'], env: { BENCHOPS_WORKFLOWS_PORT: '0', BENCHOPS_LOCAL_DEVICES: 'L4:1' } });
    base = p.urls.workflows!;
    const c = await call(p.urls.vllm!, 'POST', '/clusters', { name: 'lab', kubeconfig: k8s.kubeconfig, namespace: 'bench' });
    expect(c.status).toBe(201);
    lab = c.body.id;
    const m = await call(base, 'POST', '/models', { name: 'qwen-small', kind: 'served', model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'qwen3-0.6b' });
    expect(m.status).toBe(201);
    expect(m.body.simulator).toMatchObject({ known: true, model: 'Qwen/Qwen3-0.6B', max_context: 40960 });
    modelId = m.body.id;
    tinyModelId = (await call(base, 'POST', '/models', { name: 'qwen-tiny-ctx', kind: 'served', model_name: 'Qwen/Qwen3-0.6B', max_model_len: 128 })).body.id;
    credId = (await call(base, 'POST', '/credentials', { name: 'cloud-key', api_key: 'sk-steps-test-secret' })).body.id;
    cloudModelId = (await call(base, 'POST', '/models', { name: 'cloud-llama', kind: 'cloud', model_name: 'meta-llama/Llama-3.1-8B-Instruct', endpoint_url: 'https://cloud.invalid/v1', simulator: { hardware: 'H100' } })).body.id;
    const d = await call(base, 'POST', '/datasets', { name: 'tiny', format: 'jsonl', content: JSONL });
    expect(d.status).toBe(201);
    datasetId = d.body.id;
  });
  afterAll(async () => {
    await p?.close();
    await k8s?.close();
  });

  it('configuration: the seed bodies through all steps, on the seed node, then Simulate answers with the metrics and stores a result', async () => {
    const s1 = await post(SEED.step1('configuration'));
    expect(s1.status).toBe(201);
    const id = s1.body.workflow_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(s1.body).toMatchObject({ name: 'test-111', workflow_total_steps: 9, status: 'draft', current_step: 2 });
    expect((await post(SEED.step2config(id))).status).toBe(200);
    expect((await post(SEED.step3(id, lab))).status).toBe(200);
    const s4 = await post(SEED.step4(id, [SEED.seedNode]));
    expect(s4.status).toBe(200);
    expect(s4.body.state.nodes[0]).toMatchObject({ hostname: 'fl4u42', devices: [{ name: 'Intel(R) Xeon(R) Platinum 8480+', resource_name: 'cpu', available_count: 8 }] });
    expect((await post(SEED.step5(id, modelId))).status).toBe(200);
    // the seed's step 6 for a model BenchOps serves: kept, said back, and not required
    const s6 = await post(SEED.step6(id, credId));
    expect(s6.status).toBe(200);
    expect(s6.body.warnings.join(' ')).toMatch(/served by BenchOps/);
    const s7 = await post(SEED.step7(id));
    expect(s7.body.steps.map((s: any) => [s.step_number, s.status])).toEqual([
      [1, 'complete'], [2, 'complete'], [3, 'complete'], [4, 'complete'], [5, 'complete'], [6, 'complete'], [7, 'complete'], [8, 'incomplete'],
    ]);
    expect(s7.body.steps[5].required).toBe(false);
    expect(s7.body.trigger).toMatchObject({ ready: true, missing: [] });
    expect(s7.body.status).toBe('ready');

    const t0 = performance.now();
    const s8 = await post(SEED.step8(id, true));
    const wall = performance.now() - t0;
    expect(s8.status).toBe(200);
    const run = s8.body.run;
    expect(run).toMatchObject({ mode: 'simulation', status: 'completed', stage: 'completed' });
    expect(run.plan).toMatchObject({
      action: 'simulate',
      device: { hostname: 'fl4u42', type: 'cpu', count: 8 },
      simulator: { model: 'Qwen/Qwen3-0.6B', hardware: 'Xeon-8480+', tensor_parallel: 1 },
      workload: { eval_with: 'configuration', concurrent_requests: 50, num_prompts: 1000, input_len: 50, output_len: 100 },
    });
    for (const k of ['mean_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'p90_itl_ms', 'p95_e2el_ms', 'request_throughput', 'output_throughput', 'request_goodput']) {
      expect(run.metrics[k], k).toBeGreaterThan(0);
    }
    expect(run.metrics.completed).toBe(1000);
    // the prediction is a standardized result with source simulator, like a measured run
    const doc = await call(p.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(run.result_pk)}`);
    expect(doc.status).toBe(200);
    expect(doc.body.data.meta).toMatchObject({ source: 'simulator', predicted: true, hardware: 'Xeon-8480+', workflow_id: id });
    expect(doc.body.data.performance.latency.ttft_ms.p99).toBeCloseTo(run.metrics.p99_ttft_ms, 6);
    const listed = await call(p.urls.results!, 'GET', `/standardized_output?source=simulator&run_id=${encodeURIComponent(run.result_run_id)}`);
    expect(listed.body.map((r: any) => r.pk)).toEqual([run.result_pk]);
    expect(listed.body[0].model_id).toBe('qwen3-0.6b');
    console.log(`[workflows] simulated trigger, 1000 requests on the seed's CPU node: ${(wall / 1000).toFixed(2)} s wall (prediction ${run.progress.compute_ms} ms)`);

    const g = await get(`/workflows/performance/${id}`);
    expect(g.body).toMatchObject({ status: 'simulated', latest_simulation: { run_id: run.run_id, status: 'completed' } });
    expect(g.body.state).toMatchObject({ concurrent_requests: 50, eval_with: 'configuration', max_input_tokens: 50, max_output_tokens: 100, cluster_id: lab, model_id: modelId, user_confirmation: true, run_as_simulation: true });

    // step 5's engine arguments (vllm serve's flags): a bad one is a 422 at its field, a good one shapes the simulation
    const bad = await post({ ...SEED.step5(id, modelId), engine: { quantization: 'fp3' } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'engine', 'quantization']);
    const s5e = await post({ ...SEED.step5(id, modelId), engine: { max_num_seqs: 4 } });
    expect(s5e.status).toBe(200);
    expect(s5e.body.state.engine).toEqual({ max_num_seqs: 4 });
    await post(SEED.step7(id));
    const few = (await post(SEED.step8(id, true))).body.run;
    expect(few.plan.simulator.engine).toEqual({ max_num_seqs: 4 });
    // 4 seats for 50 concurrent requests: the rest wait for one, so the first token comes later
    expect(few.metrics.mean_ttft_ms).toBeGreaterThan(run.metrics.mean_ttft_ms);
    expect(few.metrics.completed).toBe(1000);
  });

  it('dataset: the seed bodies with datset_ids; the simulator reads the dataset\'s own lengths; tensor parallel from the GPUs', async () => {
    const id = (await post(SEED.step1('dataset'))).body.workflow_id;
    const s2 = await post(SEED.step2dataset(id, datasetId));
    expect(s2.status).toBe(200);
    expect(s2.body.state.dataset_ids).toEqual([datasetId]);
    expect((await post(SEED.step3(id, lab, 'dataset'))).status).toBe(200);
    const live = (await call(p.urls.vllm!, 'GET', `/clusters/${lab}/nodes`)).body.find((n: any) => n.hostname === 'gpu-h100');
    expect((await post(SEED.step4(id, [live], 'dataset'))).status).toBe(200);
    expect((await post(SEED.step5(id, modelId, 'dataset'))).status).toBe(200);
    expect((await post(SEED.step7(id, 'dataset'))).status).toBe(200);
    const s8 = await post({ ...SEED.step8(id, true, 'dataset') });
    expect(s8.status).toBe(200);
    const run = s8.body.run;
    expect(run.status).toBe('completed');
    // 8 H100s available, a 0.6B model fits on one: the smallest degree that fits, the idle ones said back
    expect(run.plan.simulator).toMatchObject({ hardware: 'H100-80G', tensor_parallel: 1, device_count: 8 });
    expect(s8.body.warnings.join(' ')).toMatch(/8 × H100-80G available; tensor parallel 1/);
    expect(run.plan.workload).toMatchObject({ eval_with: 'dataset', datasets: [{ id: datasetId, rows: 3 }] });
    // the dataset's rows: 3 prompts cycled over 1000 requests; outputs 32, the answer's tokens, 64
    expect(run.progress.rows_used).toBe(3);
    const doc = await call(p.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(run.result_pk)}`);
    const outTokens = doc.body.data.performance.summary.total_output_tokens;
    const ds = (await call(base, 'GET', `/datasets/${datasetId}`)).body;
    const answerLen = ds.stats.output_tokens.min; // "red and blue" is the shortest output
    expect(answerLen).toBeLessThan(32);
    const perCycle = 32 + answerLen + 64;
    expect(outTokens).toBe(333 * perCycle + 32);
  });

  it('every validation rule answers 422 naming the field', async () => {
    const bad = async (body: unknown, field: string | RegExp) => {
      const r = await post(body);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      const locs: string[] = loc(r);
      if (typeof field === 'string') expect(locs).toContain(field);
      else expect(locs.some((l) => field.test(l)), locs.join(',')).toBe(true);
      return r;
    };
    const s1 = SEED.step1('configuration');
    const { workflow_total_steps: _t, ...noTotal } = s1;
    await bad(noTotal, 'body.workflow_total_steps');
    await bad({ ...s1, workflow_id: '00000000-0000-0000-0000-000000000000' }, 'body.workflow_total_steps');
    await bad({ ...s1, eval_with: 'vibes' }, 'body.eval_with');
    await bad({ ...s1, concurrent_requests: 0 }, 'body.concurrent_requests');
    await bad({ ...s1, unknown_field: 1 }, /^body/);
    const { name: _n, ...noName } = s1;
    await bad(noName, 'body.name');
    const id = (await post(s1)).body.workflow_id;
    const { workflow_id: _w, ...noId } = SEED.step2config(id);
    await bad(noId, 'body.workflow_id');
    const { max_output_tokens: _o, ...noOut } = SEED.step2config(id);
    await bad(noOut, 'body.max_output_tokens');
    await bad({ ...SEED.step2config(id), max_input_tokens: 0 }, 'body.max_input_tokens');
    await bad({ ...SEED.step2config(id), eval_with: 'dataset' }, 'body.eval_with');
    await bad({ ...SEED.step3(id, lab), trigger_workflow: true }, 'body.trigger_workflow');
    await bad(SEED.step3(id, 'no-such-cluster'), 'body.cluster_id');
    // nodes before the cluster
    await bad(SEED.step4(id, [SEED.seedNode]), 'body.nodes');
    expect((await post(SEED.step3(id, lab))).status).toBe(200);
    await bad(SEED.step4(id, [{ ...SEED.seedNode, hostname: 'elsewhere' }]), 'body.nodes.0.hostname');
    const down = { hostname: 'down-1', status: 'Ready', devices: [{ name: 'Xeon-8480+', type: 'cpu', available_count: 1 }] };
    const nr = await bad(SEED.step4(id, [down]), 'body.nodes.0.status');
    expect(nr.body.detail[0].msg).toMatch(/NotReady/);
    await bad(SEED.step4(id, [{ ...SEED.seedNode, devices: [{ name: 'H200', type: 'gpu', available_count: 1 }] }]), 'body.nodes.0.devices.0.name');
    const h100 = { hostname: 'gpu-h100', status: 'Ready', devices: [{ name: 'H100-80G', type: 'gpu', available_count: 9 }] };
    const over = await bad(SEED.step4(id, [h100]), 'body.nodes.0.devices.0.available_count');
    expect(over.body.detail[0].msg).toMatch(/9 claimed available.*8 H100-80G available/);
    await bad(SEED.step5(id, 'no-such-model'), 'body.model_id');
    await bad(SEED.step6(id, 'no-such-credential'), 'body.credential_id');
    await bad({ ...SEED.step7(id), user_confirmation: false }, 'body.user_confirmation');
    const { run_as_simulation: _r, ...noMode } = SEED.step8(id, true);
    await bad(noMode, 'body.run_as_simulation');
    // the model's context bounds the token lengths, once the model is known (either order)
    expect((await post({ ...SEED.step2config(id), max_input_tokens: 100, max_output_tokens: 100 })).status).toBe(200);
    const ctx = await bad(SEED.step5(id, tinyModelId), 'body.model_id');
    expect(ctx.body.detail[0].msg).toMatch(/context of 128 tokens/);
    expect((await post(SEED.step5(id, modelId))).status).toBe(200);
    await bad({ ...SEED.step2config(id), max_input_tokens: 40_000, max_output_tokens: 1_000 }, 'body.max_input_tokens');
    // dataset method: ids required and existing; the correctly spelled alias is accepted
    const did = (await post(SEED.step1('dataset'))).body.workflow_id;
    const { datset_ids: _d, ...noIds } = SEED.step2dataset(did, datasetId);
    await bad(noIds, 'body.datset_ids');
    await bad(SEED.step2dataset(did, 'no-such-dataset'), 'body.datset_ids.0');
    const alias = await post({ ...noIds, dataset_ids: [datasetId] });
    expect(alias.status).toBe(200);
    expect(alias.body.steps[1].status).toBe('complete');
    expect((await post(SEED.step2config(did))).status).toBe(422);
    expect((await call(base, 'POST', '/workflows/performance', { ...SEED.step3(id, lab), workflow_id: 'no-such-workflow' })).status).toBe(404);
  });

  it('a cloud model needs its credential; the trigger refuses while a required step is incomplete and says which', async () => {
    const id = (await post(SEED.step1('configuration'))).body.workflow_id;
    const early = await post(SEED.step8(id, true));
    expect(early.status).toBe(422);
    expect(early.body.detail.map((d: any) => d.msg)).toEqual([
      'step 2 (evaluation_details) is incomplete',
      'step 3 (cluster) is incomplete',
      'step 4 (nodes) is incomplete',
      'step 5 (model) is incomplete',
      'step 7 (confirmation) is incomplete',
    ]);
    expect(early.body.detail.every((d: any) => d.loc.join('.') === 'body.trigger_workflow')).toBe(true);
    await post(SEED.step2config(id));
    const s5 = await post(SEED.step5(id, cloudModelId));
    // cloud: the cluster and nodes are not required; the credential is
    expect(s5.body.steps.filter((s: any) => s.required).map((s: any) => s.step_number)).toEqual([1, 2, 5, 6, 7]);
    await post(SEED.step7(id));
    const noCred = await post(SEED.step8(id, true));
    expect(noCred.status).toBe(422);
    expect(noCred.body.detail.map((d: any) => d.msg)).toEqual(['step 6 (credential) is incomplete']);
    await post(SEED.step6(id, credId));
    await post(SEED.step7(id));
    const sim = await post(SEED.step8(id, true));
    expect(sim.status).toBe(200);
    // its hardware comes from the model's registration (a cloud's own is unknown)
    expect(sim.body.run.plan).toMatchObject({ action: 'simulate', simulator: { hardware: 'H100-80G', model: 'meta-llama/Llama-3.1-8B-Instruct' } });
    expect(JSON.stringify(sim.body)).not.toContain('sk-steps-test-secret');
    const g = await get(`/workflows/performance/${id}`);
    expect(g.body.trigger.plan.model).toMatchObject({ kind: 'cloud', endpoint_url: 'https://cloud.invalid/v1', credential_id: credId });
  });

  it('re-sending a step changes it and marks dependent steps incomplete; changing the cluster clears the nodes', async () => {
    const id = (await post(SEED.step1('configuration'))).body.workflow_id;
    await post(SEED.step2config(id));
    await post(SEED.step3(id, 'local'));
    const local = (await call(p.urls.vllm!, 'GET', '/clusters/local/nodes')).body[0];
    expect((await post(SEED.step4(id, [local]))).status).toBe(200);
    await post(SEED.step5(id, modelId));
    expect((await post(SEED.step7(id))).body.trigger.ready).toBe(true);
    // identical re-send: nothing invalidated
    const same = await post(SEED.step3(id, 'local'));
    expect(same.body.trigger.ready).toBe(true);
    expect(same.body.warnings).toEqual([]);
    // the seed's other fields differing on a later step are said back, not applied
    const echo = await post({ ...SEED.step5(id, modelId), concurrent_requests: 7 });
    expect(echo.body.warnings.join(' ')).toMatch(/concurrent_requests differs from step 1's \(50\)/);
    expect(echo.body.state.concurrent_requests).toBe(50);
    // a field of another step is said back too
    const foreign = await post({ ...SEED.step3(id, 'local'), model_id: modelId });
    expect(foreign.body.warnings.join(' ')).toMatch(/model_id belongs to step 5/);
    // the trigger will deploy on the local node's emulated L4, pinned to it
    const g0 = await get(`/workflows/performance/${id}`);
    expect(g0.body.trigger.plan.deployment).toMatchObject({ cluster_id: 'local', node: local.hostname, vllm_config: { gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, hardware: 'L4', node_selector: { 'kubernetes.io/hostname': local.hostname } } });
    // another cluster: the nodes are cleared, steps 4 and 7 incomplete again
    const moved = await post(SEED.step3(id, lab));
    expect(moved.body.state.nodes).toBeNull();
    const st = Object.fromEntries(moved.body.steps.map((s: any) => [s.step_number, [s.status, s.invalidated_by]]));
    expect(st).toMatchObject({ 3: ['complete', null], 4: ['incomplete', 3], 7: ['incomplete', 3] });
    const refused = await post(SEED.step8(id, true));
    expect(refused.status).toBe(422);
    expect(refused.body.detail.map((d: any) => d.msg)).toEqual(['step 4 (nodes) is incomplete since step 3 changed', 'step 7 (confirmation) is incomplete since step 3 changed']);
    // changing the method: step 2's fields go, and it is incomplete again
    const { workflow_total_steps: _t, ...again1 } = SEED.step1('dataset');
    const method = await post({ ...again1, workflow_id: id });
    expect(method.status).toBe(200);
    expect(method.body.state).toMatchObject({ eval_with: 'dataset', max_input_tokens: null, max_output_tokens: null });
    expect(method.body.steps[1]).toMatchObject({ status: 'incomplete', invalidated_by: 1 });
  });

  it("a workflow's status follows its runs at once, before the stored status is rewritten", async () => {
    const id = (await post({ ...SEED.step1('configuration'), name: 'status-follows' })).body.workflow_id;
    expect((await get(`/workflows/performance/${id}`)).body.status).toBe('draft');
    // a run as the runner leaves it between its own end and the workflow's status update (two writes)
    const insert = (runId: string, status: string, mode: string) =>
      p.ctx.db.execute(sql`INSERT INTO workflows_runs (id, workflow_id, mode, status, stage, plan) VALUES (${runId}, ${id}, ${mode}, ${status}, ${'benchmark'}, ${'{}'}::jsonb)`);
    await insert(`${id}-r1`, 'running', 'cluster');
    expect((await get(`/workflows/performance/${id}`)).body.status).toBe('running');
    await p.ctx.db.execute(sql`UPDATE workflows_runs SET status = 'failed' WHERE id = ${`${id}-r1`}`);
    expect((await get(`/workflows/performance/${id}`)).body.status).toBe('failed');
    await p.ctx.db.execute(sql`UPDATE workflows_runs SET status = 'completed' WHERE id = ${`${id}-r1`}`);
    expect((await get(`/workflows/performance/${id}`)).body.status).toBe('completed');
  });

  it('lists with filters and paging, and deletes', async () => {
    const mk = async (name: string, evalWith: 'configuration' | 'dataset') => (await post({ ...SEED.step1(evalWith), name })).body.workflow_id;
    const a = await mk('list-alpha', 'configuration');
    const b = await mk('list-beta', 'dataset');
    const c = await mk('list-gamma', 'dataset');
    const all = await get('/workflows/performance?name=list-&limit=2');
    expect(all.status).toBe(200);
    expect(all.headers.get('x-total-count')).toBe('3');
    expect(all.body.map((w: any) => w.workflow_id)).toEqual([c, b]);
    const next = await get('/workflows/performance?name=list-&limit=2&offset=2');
    expect(next.body.map((w: any) => w.workflow_id)).toEqual([a]);
    const ds = await get('/workflows/performance?name=list-&eval_with=dataset');
    expect(ds.body.map((w: any) => w.name).sort()).toEqual(['list-beta', 'list-gamma']);
    expect((await get('/workflows/performance?status=draft&name=list-alpha')).body.map((w: any) => w.workflow_id)).toEqual([a]);
    expect((await get('/workflows/performance?status=bogus')).status).toBe(422);
    expect((await call(base, 'DELETE', `/workflows/performance/${b}`)).status).toBe(200);
    expect((await get(`/workflows/performance/${b}`)).status).toBe(404);
    expect((await call(base, 'DELETE', `/workflows/performance/${b}`)).status).toBe(404);
    expect((await get('/workflows/performance?name=list-')).headers.get('x-total-count')).toBe('2');
  });
});
