/**
 * GET /clusters/:id/occupancy on the local cluster with real emulated vLLM servers: every device group (full GPUs and a
 * MIG profile) with used / free, and the deployment that holds a device named with its model; stopping it frees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { until } from './vllm-fakes.ts';

const j = async (r: Response) => ({ status: r.status, body: (await r.json().catch(() => null)) as any });

describe.each(DB_KINDS)('vLLM GPU occupancy (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;
  const get = (path: string) => fetch(base + path).then(j);

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['vllm'], env: { BENCHOPS_LOCAL_DEVICES: 'H100-80G:2,A100-80G-MIG-3g.40gb:2' } });
    base = p.urls.vllm!;
  }, 120_000);
  afterAll(async () => {
    await p?.close();
  });

  it('lists each device group free, then held by a deployment, then free again', async () => {
    const before = await get('/clusters/local/occupancy');
    expect(before.status).toBe(200);
    expect(before.body.cluster_id).toBe('local');
    expect(before.body.nodes).toHaveLength(1);
    const dev = (body: any, res: string) => body.nodes[0].devices.find((d: any) => d.resource_name === res);
    expect(dev(before.body, 'nvidia.com/gpu')).toMatchObject({ name: 'H100-80G', total: 2, used: 0, free: 2, holders: [], mig_profile: null });
    expect(dev(before.body, 'nvidia.com/mig-3g.40gb')).toMatchObject({ total: 2, used: 0, free: 2, mig_profile: '3g.40gb' });

    const dep = await fetch(`${base}/deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deployment_name: 'occ-test', config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'occ-model', gpu_resource_type: 'nvidia.com/mig-3g.40gb', gpu_resource_count: 1, max_model_len: 2048 } }),
    }).then(j);
    expect(dep.status, JSON.stringify(dep.body)).toBe(201);
    const held = await get('/clusters/local/occupancy');
    const mig = dev(held.body, 'nvidia.com/mig-3g.40gb');
    expect(mig).toMatchObject({ used: 1, free: 1 });
    expect(mig.holders).toEqual([expect.objectContaining({ id: dep.body.deployment_id, kind: 'deployment', model: 'occ-model', count: 1 })]);
    // the full GPUs are untouched: a MIG slice and a full GPU never share capacity
    expect(dev(held.body, 'nvidia.com/gpu')).toMatchObject({ used: 0, free: 2 });
    // the nodes view agrees on what is free
    const nodes = await get('/clusters/local/nodes');
    expect(nodes.body[0].devices.find((d: any) => d.resource_name === 'nvidia.com/mig-3g.40gb').available_count).toBe(mig.free);

    const del = await fetch(`${base}/deployments/${dep.body.deployment_id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await until(async () => dev((await get('/clusters/local/occupancy')).body, 'nvidia.com/mig-3g.40gb').free === 2, 30_000, 'the slice freed');
  }, 120_000);

  it('answers 404 for an unknown cluster', async () => {
    expect((await get('/clusters/nope/occupancy')).status).toBe(404);
  });
});
