/**
 * The deployer's `/vllm/*` endpoints forward to the vLLM service's queue: in-process (embedded mode) and over HTTP
 * (cluster mode, BENCHOPS_VLLM_URL). The scheduler is not started here, so items stay where the forwarding put them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const j = async (r: Response) => ({ status: r.status, headers: r.headers, body: (await r.json().catch(() => null)) as any });
const call = (base: string, path: string, method = 'GET', body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(j);

const helmBody = (model: string, extra: Record<string, unknown> = {}) => ({
  vllm_config: { model_name: model, gpu_resource_type: 'cpu', gpu_resource_count: 0, max_model_len: 512 },
  vllm_helm_config: { project_id: null, values_file_id: null, release_name: 'vllm-deployment', namespace: 'vllm', chart_path: './charts/vllm', additional_args: '' },
  benchmark_configs: [
    { yaml_content: 'env:\n- name: HF_TOKEN\n  value: hf_s3cret\n', namespace: 'default', project_id: 'p1', job_file_id: 'f1', config_file_id: null, name: 'benchmark-job-1' },
  ],
  scheduling_config: { immediate: true, scheduled_time: null, max_wait_time: 3600 },
  priority: 'medium',
  skip_vllm_creation: false,
  ...extra,
});

function forwardingSuite(label: string, setup: () => Promise<{ deployer: string; vllm: string }>) {
  describe(label, () => {
    let deployer: string;
    let vllm: string;
    beforeAll(async () => {
      ({ deployer, vllm } = await setup());
    });

    let first: string;
    it('POST /vllm/helm/deploy queues the deployment in the vLLM service and returns the real queue id', async () => {
      const r = await call(deployer, '/vllm/helm/deploy', 'POST', helmBody('Qwen/Qwen2-1.5B-Instruct'));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', deployment_id: 'queued', action: 'queued' });
      expect(r.body.queue_request_id).toEqual(expect.any(String));
      // what the earlier UI sends but has no effect here is said back, not silently dropped
      expect(r.body.warnings).toEqual([
        expect.stringMatching(/^vllm_helm_config\.release_name has no effect/),
        expect.stringMatching(/^vllm_helm_config\.namespace has no effect/),
        expect.stringMatching(/^vllm_helm_config\.chart_path has no effect/),
        expect.stringMatching(/^benchmark_configs\[0\]\.yaml_content has no effect/),
      ]);
      first = r.body.queue_request_id;
      // the item lives in the vLLM service's queue (one queue, one scheduler)
      const item = await call(vllm, `/queue/${first}`);
      expect(item.status).toBe(200);
      expect(item.body).toMatchObject({ status: 'pending', vllm_config: { model_name: 'Qwen/Qwen2-1.5B-Instruct' }, priority: 'medium', total_steps: 2 });
      // the UI's job YAML text is accepted but not echoed (it may hold credentials)
      expect(item.body.benchmark_configs[0]).toMatchObject({ job_file_id: 'f1', has_yaml_content: true });
      expect(JSON.stringify(item.body)).not.toContain('hf_s3cret');
    });

    it('skip_vllm_creation answers deployment_id "skipped-vllm"', async () => {
      const r = await call(deployer, '/vllm/helm/deploy', 'POST', helmBody('x', { vllm_config: null, vllm_helm_config: { project_id: null }, skip_vllm_creation: true }));
      expect(r.status).toBe(200);
      expect(r.body.deployment_id).toBe('skipped-vllm');
      const item = await call(deployer, `/vllm/queue/${r.body.queue_request_id}`);
      expect(item.body).toMatchObject({ skip_vllm_creation: true, vllm_config: null });
    });

    it('a request the queue refuses is a 422 naming the field, never "success" with a null id', async () => {
      const before = (await call(deployer, '/vllm/queue/status')).body.total_requests;
      const noConfig = await call(deployer, '/vllm/helm/deploy', 'POST', helmBody('x', { vllm_config: null }));
      expect(noConfig.status).toBe(422);
      expect(JSON.stringify(noConfig.body.detail)).toContain('model_name');
      const badPriority = await call(deployer, '/vllm/queue/deployment', 'POST', helmBody('y', { priority: 'asap' }));
      expect(badPriority.status).toBe(422);
      expect(badPriority.body.detail[0].loc).toEqual(['body', 'priority']);
      expect((await call(deployer, '/vllm/queue/status')).body.total_requests).toBe(before);
    });

    it('lists newest first with X-Total-Count, counts, reprioritises and cancels', async () => {
      const second = await call(deployer, '/vllm/queue/deployment', 'POST', { vllm_config: { model_name: 'facebook/opt-125m' }, priority: 'low' });
      expect(second.status).toBe(200);
      expect(second.body.warnings).toEqual([]);
      const id2 = second.body.queue_request_id;
      const list = await call(deployer, '/vllm/queue/list?limit=2');
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(2);
      expect(list.body[0].queue_request_id).toBe(id2);
      expect(Number(list.headers.get('x-total-count'))).toBe(3);
      const counts = await call(deployer, '/vllm/queue/status');
      expect(counts.body).toMatchObject({ total_requests: 3, pending_requests: 3, cancelled_requests: 0 });

      const pr = await call(deployer, `/vllm/queue/${id2}/priority`, 'POST', { priority: 'urgent' });
      expect(pr.status).toBe(200);
      expect((await call(vllm, `/queue/${id2}`)).body.priority).toBe('urgent');
      expect((await call(deployer, `/vllm/queue/${id2}/priority`, 'POST', { priority: 'whenever' })).status).toBe(422);

      // the earlier deployer's DELETE cancels: the record stays, status cancelled
      const del = await call(deployer, `/vllm/queue/${first}`, 'DELETE');
      expect(del.status).toBe(200);
      expect(del.body.message).toContain('cancelled');
      expect((await call(vllm, `/queue/${first}`)).body.status).toBe('cancelled');
      const cancel = await call(deployer, `/vllm/queue/${id2}/cancel`, 'POST');
      expect(cancel.status).toBe(200);
      expect((await call(deployer, '/vllm/queue/list?status=cancelled')).body.map((i: any) => i.queue_request_id).sort()).toEqual([first, id2].sort());
    });

    it('unknown ids are 404; the scheduler status and trigger answer without running anything inline', async () => {
      expect((await call(deployer, '/vllm/queue/nope')).status).toBe(404);
      expect((await call(deployer, '/vllm/queue/nope/cancel', 'POST')).status).toBe(404);
      const st = await call(deployer, '/vllm/queue/scheduler/status');
      expect(st.status).toBe(200);
      expect(st.body).toMatchObject({ processing_queue: false, scheduler_running: expect.any(Boolean), pending_requests: 1 });
      const t0 = Date.now();
      const tr = await call(deployer, '/vllm/queue/scheduler/trigger', 'POST');
      expect(tr.status).toBe(200);
      expect(tr.body.message).toBe('Queue processing triggered successfully');
      expect(Date.now() - t0).toBeLessThan(5_000);
    });
  });
}

describe.each(DB_KINDS)('deployer /vllm/* forwarding (%s)', (kind) => {
  const platforms: TestPlatform[] = [];
  afterAll(async () => {
    for (const p of platforms.reverse()) await p.close();
  });

  forwardingSuite('embedded: the vLLM service in the same process', async () => {
    const p = await startTestPlatform({ kind, services: ['deployer', 'vllm'], background: false });
    platforms.push(p);
    return { deployer: p.urls.deployer!, vllm: p.urls.vllm! };
  });

  forwardingSuite('cluster mode: the vLLM service over HTTP (BENCHOPS_VLLM_URL)', async () => {
    const v = await startTestPlatform({ kind, services: ['vllm'], background: false });
    platforms.push(v);
    const d = await startTestPlatform({ kind: 'pglite', services: ['deployer'], background: false, env: { BENCHOPS_VLLM_URL: v.urls.vllm! } });
    platforms.push(d);
    return { deployer: d.urls.deployer!, vllm: v.urls.vllm! };
  });

  it('without a vLLM service it answers 503 saying how to configure one', async () => {
    const d = await startTestPlatform({ kind: 'pglite', services: ['deployer'], background: false });
    platforms.push(d);
    const r = await call(d.urls.deployer!, '/vllm/queue/list');
    expect(r.status).toBe(503);
    expect(r.body.detail).toContain('BENCHOPS_VLLM_URL');
  });
});
