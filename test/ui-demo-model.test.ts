/**
 * The demo model of a first start: with the demo on, the local node gets an emulated L4 (unless devices are set), the
 * demo model is deployed through the vLLM service's own POST /deploy, serves through the gateway's /v1, and is
 * deployed only once (a platform that already has a deployment gets none); BENCHOPS_DEMO=0 changes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config.ts';
import { DEMO_LOCAL_DEVICES, DEMO_MODEL, ensureDemoModel, withDemoDevices } from '../src/services/vllm/demo-model.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { waitFor } from './helpers/ui-browser.ts';

describe('demo model', () => {
  const started: TestPlatform[] = [];
  afterAll(async () => {
    for (const p of started.reverse()) await p.close();
  });

  it('gives the local node an emulated GPU only when the demo is on and no devices are set', () => {
    expect(withDemoDevices(loadConfig({ BENCHOPS_DEMO: '1' })).localDevices).toBe(DEMO_LOCAL_DEVICES);
    expect(withDemoDevices(loadConfig({ BENCHOPS_DEMO: '0' })).localDevices).toBeUndefined();
    expect(withDemoDevices(loadConfig({ BENCHOPS_DEMO: '1', BENCHOPS_LOCAL_DEVICES: 'H100-80G:2' })).localDevices).toBe('H100-80G:2');
  });

  it('deploys once on an emulated GPU, is listed and answers at /v1, and is not deployed twice', async () => {
    const p = await startTestPlatform({ kind: 'pglite', services: ['vllm'], gateway: true, env: { BENCHOPS_LOCAL_DEVICES: DEMO_LOCAL_DEVICES } });
    started.push(p);
    const first = await ensureDemoModel(p.urls.vllm!, p.ctx.config);
    expect(first.action).toBe('created');
    const models = await waitFor(async () => {
      const m = await (await fetch(`${p.urls.gateway}/v1/models`)).json();
      return m.data?.length ? m.data : undefined;
    }, 90_000, 'the demo model listed');
    expect(models.map((m: any) => m.id)).toEqual([DEMO_MODEL]);
    const d = await (await fetch(`${p.urls.vllm}/deployments/${first.deployment_id}`)).json();
    expect(d.config).toMatchObject({ model_name: DEMO_MODEL, gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 });
    const completion = await fetch(`${p.urls.gateway}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: DEMO_MODEL, prompt: 'Hello', max_tokens: 4 }),
    });
    expect(completion.status).toBe(200);
    expect((await completion.json()).choices[0].text.length).toBeGreaterThan(0);

    const again = await ensureDemoModel(p.urls.vllm!, p.ctx.config);
    expect(again).toMatchObject({ action: 'exists', deployment_id: first.deployment_id });
    expect(Object.keys(await (await fetch(`${p.urls.vllm}/deployments`)).json())).toHaveLength(1);
  }, 180_000);

  it('says why when the node cannot place it, and creates nothing', async () => {
    // one CPU and no GPU: the placement refuses, the outcome carries the reason
    const p = await startTestPlatform({ kind: 'pglite', services: ['vllm'], background: false });
    started.push(p);
    const out = await ensureDemoModel(p.urls.vllm!, p.ctx.config);
    expect(out.action).toBe('skipped');
    expect(out.reason).toMatch(/GPU|capacity|nvidia/i);
    expect(await (await fetch(`${p.urls.vllm}/deployments`)).json()).toEqual({});
  }, 120_000);
});
