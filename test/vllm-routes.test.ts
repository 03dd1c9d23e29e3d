/**
 * The vLLM service over real HTTP with real emulated vLLM servers (`benchops sim serve`): local devices and nodes,
 * deploy/list/status/delete, Helm-style custom values (the vllm-manifests fixtures), the OpenAI gateway
 * (`/v1/models`, proxied completions incl. streaming), and the queue/scheduler endpoints' contract.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../src/core/pid.ts';
import { readHelmValues } from '../src/services/vllm/helm-values.ts';

const configFromHelmValues = (text: string) => readHelmValues(text).config;
import { DB_KINDS } from './helpers/db.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { until } from './vllm-fakes.ts';

const FIX = path.join(FIXTURES, 'vllm-manifests/vllm');
const fixture = (name: string) => {
  try {
    return readFileSync(`${FIX}/${name}`, 'utf8');
  } catch {
    return readFileSync(new URL(`../examples/${name}`, import.meta.url), 'utf8');
  }
};
const j = async (r: Response) => ({ status: r.status, headers: r.headers, body: (await r.json().catch(() => null)) as any });

describe('Helm-style custom values', () => {
  it('reads the vllm-manifests fixtures into a vLLM config', () => {
    const q = configFromHelmValues(fixture('custom-values-qwen3-8b.yaml'));
    expect(q).toMatchObject({
      model_name: 'Qwen/Qwen3-8B',
      served_model_name: 'Qwen/Qwen3-8B',
      max_model_len: 4096,
      gpu_memory_utilization: 0.9,
      trust_remote_code: true,
      gpu_resource_type: 'nvidia.com/gpu',
      gpu_resource_count: 1,
      node_selector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL' },
    });
    const chart = configFromHelmValues(fixture('charts/vllm/values.yaml').replace('vllm:\n  host', 'vllm:\n  model: x/y\n  host'));
    expect(chart).toMatchObject({ model_name: 'x/y', max_num_seqs: 256, dtype: 'auto', image: 'vllm/vllm-openai:v0.9.1', gpu_resource_type: 'cpu' });
    expect(() => configFromHelmValues('replicaCount: 1')).toThrow(/no model/);
  });
});

describe.each(DB_KINDS)('vLLM routes with emulated servers (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;
  let gwUrl: string;
  const post = (path: string, body?: unknown, method = 'POST') =>
    fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(j);
  const get = (path: string) => fetch(base + path).then(j);

  beforeAll(async () => {
    // the platform's own 8080 gateway (port 0 here): the vLLM module mounts /v1/* at its root
    p = await startTestPlatform({ kind, services: ['vllm'], gateway: true, env: { BENCHOPS_LOCAL_DEVICES: 'H100-80G:2,A100-80G-MIG-3g.40gb:2' } });
    base = p.urls.vllm!;
    gwUrl = p.urls.gateway!;
  });
  afterAll(async () => {
    await p?.close();
  });

  let dep: any;
  it('describes the local node from BENCHOPS_LOCAL_DEVICES in seed 003 shape', async () => {
    const r = await get('/clusters/local/nodes');
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(1);
    const n = r.body[0];
    expect(n.status).toBe('Ready');
    const names = n.devices.map((d: any) => [d.name, d.type, d.available_count]);
    expect(names).toEqual(expect.arrayContaining([['H100-80G', 'gpu', 2], ['A100-80G-MIG-3g.40gb', 'gpu', 2]]));
    expect(n.devices.find((d: any) => d.type === 'cpu').device_info.num_virtual_cores).toBeGreaterThan(0);
    expect(n.devices[0].device_config.peak_fp16_TFLOPS).toBe(989);
  });

  it('deploys an emulated vLLM server that matches the model and GPU, then lists it', async () => {
    const r = await post('/deploy', {
      config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'qwen-small', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, max_model_len: 2048, max_num_seqs: 16 },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'deploying', placement: { action: 'place' } });
    dep = r.body;
    const st = await until(async () => {
      const s = await get(`/deployments/${dep.deployment_id}/status`);
      return s.body.status !== 'deploying' ? s.body : null;
    }, 60_000, 'emulated server');
    expect(st.error_message).toBeNull();
    expect(st.status).toBe('running');
    const map = await get('/deployments');
    const v = map.body[dep.deployment_id];
    expect(v).toMatchObject({ status: 'running', k8s_service_name: dep.deployment_name, config: { model_name: 'Qwen/Qwen3-0.6B' }, served_model_name: 'qwen-small' });
    expect(v.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(v.config).not.toHaveProperty('custom_values_content');
    // filtered and paged in the database; the total in X-Total-Count
    expect(Number(map.headers.get('x-total-count'))).toBe(Object.keys(map.body).length);
    expect(Object.keys((await get('/deployments?status=running&limit=1')).body)).toEqual([dep.deployment_id]);
    expect((await get('/deployments?status=stopped')).body).toEqual({});
    expect((await get('/deployments?limit=0')).status).toBe(422);
    // the emulated server serves the requested name with the requested context limit
    const models: any = await fetch(`${v.endpoint}/v1/models`).then((x) => x.json());
    expect(models.data[0]).toMatchObject({ id: 'qwen-small', max_model_len: 2048 });
    const nodes = await get('/clusters/local/nodes');
    expect(nodes.body[0].devices.find((d: any) => d.name === 'H100-80G').available_count).toBe(1);
  });

  it('serves /v1/models and proxies OpenAI requests by model name through the gateway', async () => {
    const list = await fetch(`${gwUrl}/v1/models`).then(j);
    expect(list.body.object).toBe('list');
    expect(list.body.data).toHaveLength(1);
    const m = list.body.data[0];
    expect(m).toMatchObject({ id: 'qwen-small', owned_by: 'vllm', max_model_len: 2048 });
    expect(Number.isInteger(m.created)).toBe(true);
    expect(m.created).toBeLessThan(Date.now() / 1000 + 5);
    expect(m.created).toBeGreaterThan(Date.now() / 1000 - 3600 * 24 * 365 * 10);

    const c = await fetch(`${gwUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-small', prompt: 'Hello', max_tokens: 4 }),
    }).then(j);
    expect(c.status).toBe(200);
    expect(c.body.choices).toHaveLength(1);
    expect(c.body.usage.completion_tokens).toBe(4);

    const s = await fetch(`${gwUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-small', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true }),
    });
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await s.text();
    expect(text).toMatch(/^data: /m);
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);

    const unknown = await fetch(`${gwUrl}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', prompt: 'x' }) }).then(j);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
  });

  it('deploys from Helm-style custom values and explains when no node matches their nodeSelector', async () => {
    const r = await post('/deploy', { custom_values_content: fixture('custom-values-qwen3-8b.yaml') });
    expect(r.status).toBe(409);
    // the message names the selector and what the node has instead
    expect(r.body.detail).toMatch(/unschedulable.*nodeSelector \{nvidia\.com\/gpu\.product=NVIDIA-H100-NVL\}.*nvidia\.com\/gpu\.product=NVIDIA-H100-80GB-HBM3/);
    const bad = await post('/deploy', { custom_values_content: 'vllm: {maxModelLen: 10}' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'config', 'custom_values_content']);
    const none = await post('/deploy', {});
    expect(none.status).toBe(422);
    expect(none.body.detail[0].loc).toEqual(['body', 'config']);
  });

  it('stops the deployment on delete: process gone, gone from /v1/models', async () => {
    const mod: any = p.modules.get('vllm');
    const rec = await mod.core.deployments.get(dep.deployment_id);
    expect(pidAlive(rec.pid)).toBe(true);
    const r = await post(`/deployments/${dep.deployment_id}`, undefined, 'DELETE');
    expect(r.status).toBe(200);
    expect(pidAlive(rec.pid)).toBe(false);
    expect((await get(`/deployments/${dep.deployment_id}/status`)).body.status).toBe('stopped');
    expect((await fetch(`${gwUrl}/v1/models`).then(j)).body.data).toEqual([]);
  });

  it('previews placement, validates configs, exports queue gauges, and its HTTP client speaks the same API', async () => {
    const two = await post('/placement/preview', { config: { model_name: 'Qwen/Qwen3-8B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 2 } });
    expect(two.body).toMatchObject({ decision: { action: 'place' }, resources: { 'nvidia.com/gpu': 2 } });
    const three = await post('/placement/preview', { config: { model_name: 'Qwen/Qwen3-8B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 3 } });
    expect(three.body.decision.action).toBe('unschedulable');
    const mig = await post('/placement/preview', { config: { model_name: 'Qwen/Qwen3-0.6B', gpu_resource_type: 'nvidia.com/mig-1g.10gb', gpu_resource_count: 1 } });
    expect(mig.body.decision.action).toBe('unschedulable');
    const bad = await post('/configs/validate', { model_name: 'x', max_num_seqs: 0 });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'max_num_seqs']);
    const ok = await get(`/configs/validate?config=${encodeURIComponent(JSON.stringify({ model_name: 'x' }))}`);
    expect(ok.body).toMatchObject({ valid: true, config: { model_name: 'x', max_num_seqs: 256 } });

    const { VllmHttpClient } = await import('../src/services/vllm/clients.ts');
    const client = new VllmHttpClient(base);
    await post('/scheduler/stop');
    const q = await client.enqueue({ skip_vllm_creation: true, priority: 'low' });
    expect(q).toMatchObject({ status: 'pending', skip_vllm_creation: true, total_steps: 0 });
    expect((await client.listQueue()).map((x) => x.queue_request_id)).toContain(q.queue_request_id);
    expect((await client.queueStatus()).pending_requests).toBe(1);
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/benchops_vllm_queue_items\{status="pending"\} 1/);
    await client.setPriority(q.queue_request_id, 'urgent');
    await expect(client.setPriority(q.queue_request_id, 'never')).rejects.toMatchObject({ status: 422 });
    await client.cancel(q.queue_request_id);
    expect((await client.getQueueItem(q.queue_request_id)).status).toBe('cancelled');
    await expect(client.cancel(q.queue_request_id)).rejects.toMatchObject({ status: 404 });
    expect(await client.servedModels()).toEqual([]);
    await post(`/queue/${q.queue_request_id}`, undefined, 'DELETE');
    await post('/scheduler/start');
  });

  it('keeps the queue and scheduler contract of the earlier API', async () => {
    const bad = await post('/queue/deployment', { vllm_config: { model_name: 'Qwen/Qwen3-0.6B' }, priority: 'asap' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'priority']);
    expect((await post('/scheduler/stop')).body.message).toBe('Queue scheduler stopped successfully');
    const q = await post('/queue/deployment', { vllm_config: { model_name: 'Qwen/Qwen3-0.6B' }, priority: 'low', scheduling_config: { immediate: true, scheduled_time: null, max_wait_time: 3600 } });
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ status: 'pending', priority: 'low', total_steps: 1, completed_steps: 0, current_step: 'pending', skip_vllm_creation: false });
    const id = q.body.queue_request_id;
    const list = await get('/queue/list');
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.headers.get('x-total-count')).toBe('1');
    expect((await get('/queue/status')).body).toEqual({ total_requests: 1, pending_requests: 1, processing_requests: 0, completed_requests: 0, failed_requests: 0, cancelled_requests: 0 });
    expect((await post(`/queue/${id}/priority`, { priority: 'sometime' })).status).toBe(422);
    expect((await post(`/queue/${id}/priority`, { priority: 'urgent' })).body.message).toMatch(/priority changed to urgent/);
    expect((await get(`/queue/${id}`)).body.priority).toBe('urgent');
    const st = await get('/scheduler/status');
    expect(st.body).toMatchObject({ running: false, pending_requests: 1, active_requests: 0 });
    expect((await post('/scheduler/config?poll_interval=0')).status).toBe(400);
    expect((await post('/scheduler/config', { poll_interval: 7 }, 'PUT')).body).toMatchObject({ poll_interval: 7, running: false });
    expect((await post('/scheduler/config?poll_interval=9')).body.poll_interval).toBe(9);
    expect((await post(`/queue/${id}/cancel`)).body.message).toMatch(/cancelled successfully/);
    expect((await post(`/queue/${id}/cancel`)).status).toBe(404);
    expect((await get(`/queue/${id}`)).body.status).toBe('cancelled');
    expect((await post(`/queue/${id}`, undefined, 'DELETE')).body.message).toMatch(/deleted successfully/);
    expect((await get(`/queue/${id}`)).status).toBe(404);
    expect((await post(`/queue/${id}`, undefined, 'DELETE')).status).toBe(404);
    // custom values alone: no warning about form fields nobody gave (the schema's defaults are not the caller's);
    // a form field the caller did give that the values file overrides is said back
    const values = fixture('custom-values-qwen3-8b.yaml');
    const quiet = await post('/queue/deployment', { vllm_config: { custom_values_content: values } });
    expect(quiet.status, JSON.stringify(quiet.body)).toBe(200);
    expect(quiet.body.warnings.filter((w: string) => /has no effect: the custom values set the deployment/.test(w))).toEqual([]);
    const told = await post('/queue/deployment', { vllm_config: { custom_values_content: values, max_num_seqs: 3 } });
    expect(told.body.warnings).toContainEqual(expect.stringMatching(/^vllm_config\.max_num_seqs has no effect: the custom values set the deployment/));
    for (const x of [quiet, told]) expect((await post(`/queue/${x.body.queue_request_id}`, undefined, 'DELETE')).status).toBe(200);
    const later = await post('/queue/deployment', { skip_vllm_creation: true, scheduling_config: { immediate: false, scheduled_time: '2099-08-14T10:30', max_wait_time: 60 } });
    expect(later.body).toMatchObject({ scheduled_for: '2099-08-14T10:30:00.000Z', current_step: 'scheduled' });
    expect((await post(`/queue/${later.body.queue_request_id}`, undefined, 'DELETE')).status).toBe(200);
    expect((await post('/scheduler/start')).body.message).toBe('Queue scheduler started successfully');
    expect((await post('/scheduler/trigger')).body.message).toBe('Queue processing triggered successfully');
    expect((await get('/scheduler/status')).body.running).toBe(true);
  });
});
