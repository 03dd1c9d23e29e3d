/**
 * The deploy-then-benchmark pipeline with a scripted deployer and a small stand-in server process: steps and counters,
 * endpoint substitution, result pks, teardown, priorities, scheduling_config, GPU waits and eviction, reuse,
 * cancel during the benchmark step, and resume after a restart. Runs on PGlite and PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/client.ts';
import { pidAlive } from '../src/core/pid.ts';
import type { VllmModule } from '../src/services/vllm/index.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';
import { fixture } from './helpers/fixtures.ts';
import { FakeDeployer, fakeModule, job, until } from './vllm-fakes.ts';

const CFG = { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'qwen3-small', max_model_len: 2048 };

describe.each(DB_KINDS)('queue pipeline (%s)', (kind) => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of open.reverse()) await c.close().catch(() => {});
    open.length = 0;
  });

  async function setup(deployer = new FakeDeployer(30), o: Parameters<typeof fakeModule>[2] = {}): Promise<{ db: Database; mod: VllmModule; deployer: FakeDeployer }> {
    const db = await freshDatabase(kind);
    const mod = fakeModule(db, deployer, o);
    open.push({ close: () => db.close() });
    open.push({ close: () => mod.stop!() });
    return { db, mod, deployer };
  }

  const item = (mod: VllmModule, id: string) => mod.api.getQueueItem(id);

  it('deploys, runs each job with the endpoint filled in, collects result pks, tears down', async () => {
    const { mod, deployer } = await setup();
    await mod.start!();
    const q = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(1), job(2)], priority: 'high' });
    expect(q).toMatchObject({ status: 'pending', total_steps: 3, completed_steps: 0, skip_vllm_creation: false, current_step: 'pending' });
    const done = await until(async () => {
      const r = await item(mod, q.queue_request_id);
      return r.status !== 'pending' && r.status !== 'processing' ? r : null;
    });
    expect(done.error_message).toBeNull();
    expect(done).toMatchObject({ status: 'completed', current_step: 'completed', total_steps: 3, completed_steps: 3 });
    expect(done.placement).toMatchObject({ action: 'place' });
    expect(done.result_pks).toHaveLength(2);
    expect(done.jobs.map((j: any) => j.status)).toEqual(['completed', 'completed']);

    expect(deployer.runs).toHaveLength(2);
    const dep = await mod.core.deployments.get(done.deployment_id!);
    for (const r of deployer.runs) {
      expect(r.req.vllm_model_endpoint).toBe(dep.endpoint);
      expect(dep.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
      // forced endpoint variables would override the shape a job declared them in: the deployer rewrites them instead
      expect(r.opts?.env?.VLLM_MODEL_ENDPOINT).toBeUndefined();
      expect(r.opts?.env?.VLLM_ENDPOINT).toBeUndefined();
      expect(r.opts?.env?.SERVED_MODEL_NAME).toBe('qwen3-small');
      // the deployer rewrites the job's declared model variables with the names this deployment serves
      expect(r.opts?.model).toEqual({ served_model_name: 'qwen3-small', model_name: 'Qwen/Qwen3-0.6B' });
      expect(r.opts?.substitutions).toMatchObject({
        VLLM_DEPLOYMENT_NAME: dep.name,
        MODEL_NAME_PLACEHOLDER: 'qwen3-small',
        VLLM_SERVICE_NAME: '127.0.0.1',
        VLLM_POD_NAME: dep.name,
      });
      expect(r.opts?.labels?.['benchops.io/queue-request-id']).toBe(q.queue_request_id);
    }
    // jobs ran one after the other, each with its own run id
    expect(new Set(deployer.runs.map((r) => r.opts?.env?.BENCHOPS_RUN_ID)).size).toBe(2);
    // torn down: record stopped, process gone
    expect(dep.status).toBe('stopped');
    expect(pidAlive(dep.pid)).toBe(false);
  });

  it("the owner's teardown leaves a deployment another running request reuses, and the last user's teardown stops it", async () => {
    const deployer = new FakeDeployer(null); // jobs finish when the test says so
    const { mod } = await setup(deployer, { concurrency: 2 });
    await mod.start!();
    const a = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(1)] });
    await until(async () => ((await item(mod, a.queue_request_id)).current_step === 'benchmark_job_1' && deployer.runs.length === 1 ? true : null));
    const b = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(2)] });
    const ib = await until(async () => {
      const r = await item(mod, b.queue_request_id);
      return r.current_step === 'benchmark_job_1' && deployer.runs.length === 2 ? r : null;
    });
    const ia = await item(mod, a.queue_request_id);
    expect(ib.placement).toMatchObject({ action: 'reuse', deployment_id: ia.deployment_id });
    // A (the creator) finishes first: B still uses the deployment, so it keeps running
    deployer.complete(deployer.runs[0].id);
    await until(async () => ((await item(mod, a.queue_request_id)).status === 'completed' ? true : null));
    expect((await mod.core.deployments.get(ia.deployment_id!)).status).toBe('running');
    // B, the last user of a deployment nobody asked to keep, tears it down (no orphan holding the GPU)
    const dep = await mod.core.deployments.get(ia.deployment_id!);
    deployer.complete(deployer.runs[1].id);
    await until(async () => ((await item(mod, b.queue_request_id)).status === 'completed' ? true : null));
    expect((await mod.core.deployments.get(ia.deployment_id!)).status).toBe('stopped');
    expect(pidAlive(dep.pid)).toBe(false);
  });

  it('keeps the deployment when asked, and a second identical request reuses it', async () => {
    const { mod, deployer } = await setup();
    await mod.start!();
    const a = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(1)], keep_deployment: true });
    const da = await until(async () => ((await item(mod, a.queue_request_id)).status === 'completed' ? item(mod, a.queue_request_id) : null));
    const dep = await mod.core.deployments.get(da.deployment_id!);
    expect(dep.status).toBe('running');
    const b = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(2)] });
    const db = await until(async () => ((await item(mod, b.queue_request_id)).status === 'completed' ? item(mod, b.queue_request_id) : null));
    expect(db.placement).toMatchObject({ action: 'reuse', deployment_id: dep.id });
    expect(db.deployment_id).toBe(dep.id);
    // the reusing request did not create it, so it does not tear it down
    expect((await mod.core.deployments.get(dep.id)).status).toBe('running');
    expect(deployer.runs[1].req.vllm_model_endpoint).toBe(dep.endpoint);
    await mod.core.deployments.stop(dep.id);
  });

  it('notices a running server that died: marked failed, never reused', async () => {
    const { mod } = await setup(new FakeDeployer(0), { livenessMs: 100 });
    await mod.start!();
    const a = await mod.api.enqueue({ vllm_config: CFG, keep_deployment: true });
    const da = await until(async () => ((await item(mod, a.queue_request_id)).status === 'completed' ? item(mod, a.queue_request_id) : null));
    const dep = await mod.core.deployments.get(da.deployment_id!);
    expect(dep.status).toBe('running');
    process.kill(dep.pid!, 'SIGKILL');
    const lost = await until(async () => {
      const d = await mod.core.deployments.get(dep.id);
      return d.status === 'failed' ? d : null;
    });
    expect(lost.errorMessage).toMatch(/missing while running/);
    expect(await mod.api.servedModels()).toEqual([]);
    const b = await mod.api.enqueue({ vllm_config: CFG });
    const db = await until(async () => ((await item(mod, b.queue_request_id)).status === 'completed' ? item(mod, b.queue_request_id) : null));
    expect(db.placement).toMatchObject({ action: 'place' });
    expect(db.deployment_id).not.toBe(dep.id);
  });

  it('claims by priority (urgent > high > medium > low), then age', async () => {
    const deployer = new FakeDeployer(0);
    const { mod } = await setup(deployer, { concurrency: 1 });
    await mod.core.scheduler.setSettings({ running: false });
    await mod.start!();
    const dep = await mod.core.deployments.create({ ...(CFG as any), gpu_memory_utilization: 0.9, max_num_seqs: 8, block_size: 16, tensor_parallel_size: 1, pipeline_parallel_size: 1, trust_remote_code: false, dtype: 'auto', port: 8000, host: '0.0.0.0', gpu_resource_type: 'cpu', gpu_resource_count: 0, additional_args: {} }, { clusterId: 'local', priorityRank: 2, keep: true });
    expect(dep.kind).toBe('created');
    const depId = (dep as any).deployment.id;
    await mod.core.deployments.waitReady(depId);
    const ids: Record<string, string> = {};
    for (const p of ['low', 'medium', 'urgent', 'high', 'medium'] as const) {
      const q = await mod.api.enqueue({ skip_vllm_creation: true, deployment_id: depId, benchmark_configs: [job(1)], priority: p });
      ids[`${p}-${Object.keys(ids).length}`] = q.queue_request_id;
    }
    await mod.api.setPriority(ids['low-0'], 'urgent');
    await expect(mod.api.setPriority(ids['low-0'], 'bogus')).rejects.toMatchObject({ status: 422 });
    await mod.core.scheduler.setSettings({ running: true });
    const all = await until(async () => {
      const list = await mod.api.listQueue();
      return list.every((x) => x.status === 'completed') ? list : null;
    });
    const order = [...all].sort((a, b) => Date.parse(a.started_at!) - Date.parse(b.started_at!)).map((x) => x.queue_request_id);
    expect(order).toEqual([ids['low-0'], ids['urgent-2'], ids['high-3'], ids['medium-1'], ids['medium-4']]);
    // skip_vllm_creation: one step per job, none for the deployment
    expect(all.every((x) => x.total_steps === 1 && x.completed_steps === 1 && x.deployment_id === depId)).toBe(true);
    await mod.core.deployments.stop(depId);
  });

  it('honours scheduled_time and fails items that waited past max_wait_time', async () => {
    const { mod, deployer } = await setup();
    await mod.start!();
    const later = new Date(Date.now() + 1500).toISOString();
    const q = await mod.api.enqueue({ skip_vllm_creation: true, benchmark_configs: [job(1)], scheduling_config: { immediate: false, scheduled_time: later, max_wait_time: 0 } });
    expect(q.current_step).toBe('scheduled');
    await new Promise((r) => setTimeout(r, 600));
    expect((await item(mod, q.queue_request_id)).status).toBe('pending');
    expect(deployer.runs).toHaveLength(0);
    // no running deployment → the skip request fails explicitly once due
    const failed = await until(async () => ((await item(mod, q.queue_request_id)).status === 'failed' ? item(mod, q.queue_request_id) : null));
    expect(Date.parse(failed.started_at!)).toBeGreaterThanOrEqual(Date.parse(later) - 50);
    expect(failed.error_message).toMatch(/no running vLLM deployment/);

    await mod.core.scheduler.setSettings({ running: false });
    const w = await mod.api.enqueue({ vllm_config: CFG, scheduling_config: { immediate: true, max_wait_time: 1 } });
    const expired = await until(async () => ((await item(mod, w.queue_request_id)).status === 'failed' ? item(mod, w.queue_request_id) : null), 10_000);
    expect(expired.error_message).toMatch(/max_wait_time \(1 s\)/);
    expect(expired.started_at).toBeNull();
  });

  it('waits for busy GPUs with the decision visible, evicts only when allowed', async () => {
    const { mod } = await setup(new FakeDeployer(0), { env: { BENCHOPS_LOCAL_DEVICES: 'H100-80G:1' } });
    await mod.start!();
    const gpu = { gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 };
    const a = await mod.api.enqueue({ vllm_config: { ...CFG, ...gpu }, benchmark_configs: [job(1)], keep_deployment: true, priority: 'low' });
    const da = await until(async () => ((await item(mod, a.queue_request_id)).status === 'completed' ? item(mod, a.queue_request_id) : null));
    const held = await mod.core.deployments.get(da.deployment_id!);
    expect(held).toMatchObject({ status: 'running', resources: { 'nvidia.com/gpu': 1 } });
    // the emulated server plays the device it sits on
    expect((held.placement as any).action).toBe('place');

    const b = await mod.api.enqueue({ vllm_config: { ...CFG, served_model_name: 'other', ...gpu }, benchmark_configs: [job(2)], priority: 'high' });
    const waiting = await until(async () => {
      const r = await item(mod, b.queue_request_id);
      return (r.placement as any)?.action === 'wait' ? r : null;
    });
    expect(waiting).toMatchObject({ status: 'pending', current_step: 'waiting_for_resources' });
    expect((waiting.placement as any).blocking).toEqual([held.id]);
    expect((await mod.core.deployments.get(held.id)).status).toBe('running');
    await mod.api.cancel(b.queue_request_id);

    const c = await mod.api.enqueue({ vllm_config: { ...CFG, served_model_name: 'other', ...gpu }, benchmark_configs: [job(3)], priority: 'urgent', allow_eviction: true });
    const dc = await until(async () => ((await item(mod, c.queue_request_id)).status === 'completed' ? item(mod, c.queue_request_id) : null));
    expect(dc.placement).toMatchObject({ action: 'evict', evict: [held.id] });
    const evicted = await mod.core.deployments.get(held.id);
    expect(evicted.status).toBe('stopped');
    expect(evicted.errorMessage).toMatch(/evicted/);
    expect(pidAlive(held.pid)).toBe(false);
  });

  it('cancel during the benchmark step deletes the job, cleans the deployment, and stays cancelled', async () => {
    const deployer = new FakeDeployer(null); // jobs never finish by themselves
    const { mod } = await setup(deployer);
    await mod.start!();
    const q = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(1), job(2)] });
    const running = await until(async () => {
      const r = await item(mod, q.queue_request_id);
      return r.current_step === 'benchmark_job_1' && r.jobs.length ? r : null;
    });
    const dep = await mod.core.deployments.get(running.deployment_id!);
    expect(pidAlive(dep.pid)).toBe(true);
    await mod.api.cancel(q.queue_request_id);
    const after = await item(mod, q.queue_request_id);
    expect(after.status).toBe('cancelled');
    expect(deployer.deleted).toEqual([deployer.runs[0].name]);
    expect((await mod.core.deployments.get(dep.id)).status).toBe('stopped');
    expect(pidAlive(dep.pid)).toBe(false);
    // nothing overwrites the cancellation, and no second job starts
    deployer.complete(deployer.runs[0].id);
    await new Promise((r) => setTimeout(r, 300));
    const later = await item(mod, q.queue_request_id);
    expect(later.status).toBe('cancelled');
    expect(deployer.runs).toHaveLength(1);
    expect(later.jobs[0].status).toBe('deleted');
  });

  it('a restarted scheduler resumes an interrupted item without redoing finished steps', async () => {
    const deployer = new FakeDeployer(null);
    const db = await freshDatabase(kind);
    open.push({ close: () => db.close() });
    const first = fakeModule(db, deployer, { instanceId: 'first' });
    await first.start!();
    const q = await first.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(1), job(2)] });
    await until(async () => ((await first.api.getQueueItem(q.queue_request_id)).current_step === 'benchmark_job_1' && deployer.runs.length === 1));
    const depId = (await first.api.getQueueItem(q.queue_request_id)).deployment_id!;
    await first.stop!(); // shutdown: interrupts, releases the lease, stops local servers
    expect((await first.api.getQueueItem(q.queue_request_id)).status).toBe('processing');
    deployer.complete(deployer.runs[0].id);
    deployer.autoCompleteMs = 0;

    const second = fakeModule(db, deployer, { instanceId: 'second' });
    open.push({ close: () => second.stop!() });
    await second.start!(); // reconcile restarts the vanished local server; the scheduler resumes the item
    const done = await until(async () => {
      const r = await second.api.getQueueItem(q.queue_request_id);
      return r.status === 'completed' || r.status === 'failed' ? r : null;
    });
    expect(done.error_message).toBeNull();
    expect(done).toMatchObject({ status: 'completed', completed_steps: 3, deployment_id: depId, claimed_by: 'second', attempts: 2 });
    // job 1 was not submitted again
    expect(deployer.runs.map((r) => r.req.job_file_id)).toEqual(['job-1', 'job-2']);
  });

  it('deploys from a vLLM project values file (read through the manager) on the device its nodeSelector names', async () => {
    const values = fixture('vllm-manifests/vllm/custom-values-qwen3-8b.yaml');
    const manager = {
      getProject: async () => ({ project_id: 'vp', name: 'vllm', project_type: 'vllm' as const }),
      listFiles: async () => [],
      getFile: async (pid: string, fid: string) => {
        if (pid !== 'vp' || fid !== 'values-1') throw Object.assign(new Error('File not found'), { status: 404 });
        return { file_id: fid, project_id: pid, file_path: 'vllm/custom-values-qwen3-8b.yaml', file_type: 'vllm' as const, content: values, source: 'original' as const, benchmark_type: 'vllm', file_name: 'custom-values-qwen3-8b.yaml' };
      },
    };
    const { mod, deployer } = await setup(new FakeDeployer(0), { manager: () => manager, env: { BENCHOPS_LOCAL_DEVICES: 'H100-NVL:1' } });
    await mod.start!();
    const q = await mod.api.enqueue({
      helm_deployment: true,
      scheduling_config: { immediate: true, scheduled_time: null, max_wait_time: 3600 },
      vllm_config: { model_name: 'Qwen/Qwen2-1.5B-Instruct', gpu_resource_type: 'cpu', gpu_resource_count: 0 }, // the UI form's defaults; the values file wins
      // the earlier UI's body, as the deployer's /vllm/helm/deploy forwards it
      vllm_helm_config: { project_id: 'vp', values_file_id: 'values-1', release_name: 'vllm-deployment', namespace: 'vllm', chart_path: './charts/vllm' },
      benchmark_configs: [job(1)],
    });
    expect(q.vllm_config).toMatchObject({ model_name: 'Qwen/Qwen3-8B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, max_model_len: 4096, has_custom_values: true });
    expect(q.vllm_config).not.toHaveProperty('custom_values_content');
    const done = await until(async () => {
      const r = await item(mod, q.queue_request_id);
      return r.status === 'completed' || r.status === 'failed' ? r : null;
    });
    expect(done.error_message).toBeNull();
    expect(done.placement).toMatchObject({ action: 'place' });
    expect(deployer.runs[0].opts?.substitutions?.MODEL_NAME_PLACEHOLDER).toBe('Qwen/Qwen3-8B');
    await expect(
      mod.api.enqueue({ helm_deployment: true, helm_config: { project_id: 'vp', values_file_id: 'missing' } }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('fails the item when a job fails, naming the job and why, and still tears down', async () => {
    const deployer = new FakeDeployer(null);
    const { mod } = await setup(deployer);
    await mod.start!();
    const q = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(1), job(2)] });
    await until(async () => deployer.runs.length === 1);
    deployer.complete(deployer.runs[0].id, 'failed');
    await until(async () => deployer.runs.length === 2);
    deployer.complete(deployer.runs[1].id);
    const done = await until(async () => ((await item(mod, q.queue_request_id)).status === 'failed' ? item(mod, q.queue_request_id) : null));
    expect(done.error_message).toBe('Benchmark jobs failed: bench-1 (failed)');
    expect(done.completed_steps).toBe(3);
    expect(done.jobs.map((j: any) => j.status)).toEqual(['failed', 'completed']);
    expect((await mod.core.deployments.get(done.deployment_id!)).status).toBe('stopped');
  });

  it('fails the item explicitly when the server cannot start, and leaves no deployment running', async () => {
    const { mod, deployer } = await setup(new FakeDeployer(0), {
      simCommand: [process.execPath, '-e', 'console.error("unknown model \\"x/y\\" (not in the catalogue)"); process.exit(3)', '--'],
    });
    await mod.start!();
    const q = await mod.api.enqueue({ vllm_config: { model_name: 'x/y' }, benchmark_configs: [job(1)] });
    const done = await until(async () => ((await item(mod, q.queue_request_id)).status === 'failed' ? item(mod, q.queue_request_id) : null));
    expect(done.error_message).toMatch(/exited \(3\) before it was ready: unknown model "x\/y"/);
    expect(done.current_step).toBe('failed');
    expect(deployer.runs).toHaveLength(0);
    const deps = (await mod.core.deployments.list()).rows;
    expect(deps).toHaveLength(1);
    expect(deps[0].status).toBe('failed');
    expect(deps[0].errorMessage).toMatch(/start failed/);
  });

  it('fails a request no node could ever hold, with the placement decision kept on the item', async () => {
    const { mod, deployer } = await setup(); // the local node: one CPU, no GPU
    await mod.start!();
    const q = await mod.api.enqueue({ vllm_config: { ...CFG, gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 }, benchmark_configs: [job(1)] });
    const failed = await until(async () => ((await item(mod, q.queue_request_id)).status === 'failed' ? item(mod, q.queue_request_id) : null));
    expect(failed.error_message).toMatch(/Cannot be placed: .*nvidia\.com\/gpu/);
    expect(failed.placement).toMatchObject({ action: 'unschedulable', reason: expect.stringMatching(/nvidia\.com\/gpu/) });
    expect(deployer.runs).toHaveLength(0);
  });

  it('rejects bad requests with a 422 naming the field and stores nothing', async () => {
    const { mod } = await setup();
    await expect(mod.api.enqueue({ benchmark_configs: [job(1)] })).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', 'vllm_config', 'model_name'] }] });
    await expect(mod.api.enqueue({ vllm_config: CFG, priority: 'asap' as any })).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', 'priority'] }] });
    await expect(mod.api.enqueue({ vllm_config: { ...CFG, gpu_resource_count: -1 } })).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', 'vllm_config', 'gpu_resource_count'] }] });
    await expect(mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [{ yaml_content: 'kind: Job' }] })).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', 'benchmark_configs', 0, 'job_file_id'] }] });
    await expect(mod.api.enqueue({ vllm_config: CFG, cluster_id: 'nope' })).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', 'cluster_id'] }] });
    await expect(mod.api.enqueue({ vllm_config: { custom_values_content: 'vllm: [1' } as any })).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', 'vllm_config', 'custom_values_content'] }] });
    expect(await mod.api.listQueue()).toEqual([]);
  });
});
