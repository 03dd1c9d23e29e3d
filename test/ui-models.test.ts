/**
 * Browser test of the models, GPU occupancy and clusters pages against a real embedded platform (PGlite, the demo
 * model on an emulated L4, two emulated A100 MIG 3g.40gb slices, real emulated vLLM servers) and a Kubernetes API
 * test double registered as a cluster: the deploy form's placement preview says what the service would decide (and
 * starts nothing), Deploy brings the model into /v1/models and into the occupancy view with its holder; try-it streams
 * one chat request and shows its TTFT and token count; the clusters page registers a kubeconfig (write-only) and
 * shows its nodes in seed 003's shape; stopping frees the slice. No console errors beyond the refusal provoked.
 * Screenshots: docs/screenshots/models-deploy-preview.png, models-list.png, models-tryit.png, clusters.png, occupancy.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { K8sDouble } from './helpers/k8s-double.ts';
import type { TestPlatform } from './helpers/platform.ts';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, waitFor, type UiBrowser } from './helpers/ui-browser.ts';

const SERVED = 'ui-form-model';
const MIG = 'nvidia.com/mig-3g.40gb';

describe('web UI: models, deploy form, occupancy, try-it, clusters (browser)', () => {
  let p: TestPlatform;
  let k8s: K8sDouble;
  let repo: TestRepo | undefined;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  const api = async (path: string, init?: RequestInit) => (await gatewayJson(g, path, init)).body;
  const deployments = async () => Object.values(await api('/api/vllm/deployments')) as any[];
  const localOccupancy = async () => (await api('/api/vllm/clusters/local/occupancy')).nodes[0].devices.find((d: any) => d.resource_name === MIG);

  beforeAll(async () => {
    k8s = await K8sDouble.start();
    k8s.addNode('gpu-a', { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '2' }, { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    // someone else's training pod holds one H100
    k8s.put('pods', {
      metadata: { name: 'trainer', namespace: 'research', labels: { app: 'trainer' } },
      spec: { nodeName: 'gpu-a', containers: [{ name: 't', image: 'x', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
      status: { phase: 'Running' },
    });
    p = await startUiPlatform({ demoModel: true, env: { BENCHOPS_LOCAL_DEVICES: `L4:1,A100-80G-MIG-3g.40gb:2` } });
    g = p.urls.gateway!;
    b = await openBrowser();
    page = await b.page();
  }, 300_000);
  afterAll(async () => {
    await b?.close();
    await p?.close();
    await k8s?.close();
    repo?.cleanup();
  });

  it('lists the demo deployment with its stored placement decision and reason', async () => {
    const demo = (await deployments()).find((d) => d.served_model_name === 'Qwen/Qwen3-0.6B');
    await page.goto(`${g}/models`);
    const row = page.locator(`[data-testid="deployment-row"][data-served="Qwen/Qwen3-0.6B"]`);
    await row.waitFor();
    expect(await row.getByTestId('deployment-decision').textContent()).toBe(`place on ${demo.placement.node}`);
    expect(await row.getByTestId('deployment-reason').textContent()).toBe(demo.placement.reason);
    expect(await row.getByTestId('deployment-gpus').textContent()).toBe('1× nvidia.com/gpu');
  });

  it('previews the placement of the form’s settings without starting anything, then deploys into /v1/models', async () => {
    const before = (await deployments()).length;
    await page.getByTestId('models-deploy-toggle').click();
    await page.getByTestId('form-served').fill(SERVED);
    await page.getByTestId('form-gpu-type').click();
    await page.getByRole('option', { name: /^nvidia\.com\/mig-3g\.40gb — A100-80G-MIG-3g\.40gb \(2 of 2 free\)$/ }).click();
    await page.getByTestId('form-max-len').fill('2048');
    await page.getByTestId('form-max-seqs').fill('32');
    await page.getByTestId('form-extra-args').fill('--enable-prefix-caching --seed 7');
    expect(await page.getByTestId('form-deploy').isDisabled()).toBe(true);
    await page.getByTestId('form-preview').click();
    const preview = page.getByTestId('placement-preview');
    await preview.waitFor();
    // what the service decides for the same config
    const config = { model_name: 'Qwen/Qwen3-0.6B', served_model_name: SERVED, gpu_resource_type: MIG, gpu_resource_count: 1, tensor_parallel_size: 1, max_model_len: 2048, max_num_seqs: 32, additional_args: { 'enable-prefix-caching': true, seed: 7 } };
    const expected = await api('/api/vllm/placement/preview', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ config }) });
    expect(expected.decision.action).toBe('place');
    expect(await preview.getAttribute('data-action')).toBe('place');
    expect(await page.getByTestId('preview-summary').textContent()).toBe(`place on ${expected.decision.node}`);
    expect(await page.getByTestId('preview-reason').textContent()).toBe(expected.decision.reason);
    expect(await page.getByTestId('preview-resources').textContent()).toBe(`Needs ${MIG}=1`);
    await screenshot(page, 'models-deploy-preview');
    // nothing started
    expect((await deployments()).length).toBe(before);

    await page.getByTestId('form-deploy').click();
    await page.getByTestId('deploy-result').waitFor();
    const row = page.locator(`[data-testid="deployment-row"][data-served="${SERVED}"]`);
    await row.locator('[data-testid="deployment-status"]', { hasText: 'running' }).waitFor({ timeout: 180_000 });
    const models = await waitFor(async () => {
      const m = (await api('/v1/models')).data;
      return m.some((x: any) => x.id === SERVED) ? m : undefined;
    }, 60_000, `${SERVED} in /v1/models`);
    expect(models.find((x: any) => x.id === SERVED).max_model_len).toBe(2048);
    await row.getByText('in /v1/models').waitFor();
    const dep = (await deployments()).find((d) => d.served_model_name === SERVED);
    expect(dep.config.additional_args).toEqual({ 'enable-prefix-caching': true, seed: 7 });
    expect(await row.getByTestId('deployment-reason').textContent()).toBe(dep.placement.reason);
    await screenshot(page, 'models-list');
  }, 240_000);

  it('streams one chat request from the try-it panel and shows its TTFT and token count', async () => {
    await page.locator(`[data-testid="deployment-row"][data-served="${SERVED}"]`).getByTestId('deployment-try').click();
    const panel = page.getByTestId('tryit');
    await panel.waitFor();
    await page.getByTestId('tryit-max-tokens').fill('24');
    await page.getByTestId('tryit-send').click();
    await page.getByTestId('tryit-figures').waitFor({ timeout: 60_000 });
    const num = async (id: string) => Number(await page.getByTestId(id).getAttribute('data-value'));
    const ttft = await num('tryit-ttft');
    const e2e = await num('tryit-e2e');
    const tokens = await num('tryit-tokens');
    expect(ttft).toBeGreaterThan(0);
    expect(ttft).toBeLessThanOrEqual(e2e);
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(24);
    expect(await page.getByTestId('tryit-tokens').textContent()).toBe(String(tokens));
    expect(await page.getByTestId('tryit-ttft').textContent()).toBe(`${ttft.toFixed(0)} ms`);
    expect(((await page.getByTestId('tryit-answer').textContent()) ?? '').length).toBeGreaterThan(0);
    await screenshot(page, 'models-tryit');
    await page.keyboard.press('Escape');
  }, 120_000);

  it('registers a cluster by kubeconfig (write-only) and shows its nodes in seed 003’s shape', async () => {
    await page.goto(`${g}/clusters`);
    await page.locator('[data-testid="cluster-card"][data-cluster="local"]').getByTestId('node-card').first().waitFor();
    // a kubeconfig that is not one: the 422 appears at the field
    b.allowHttpError(422);
    await page.getByTestId('cluster-name').fill('lab');
    await page.getByTestId('cluster-kubeconfig').fill('not: a kubeconfig');
    await page.getByTestId('cluster-submit').click();
    await page.locator('.mantine-InputWrapper-error').filter({ hasText: /kubeconfig/i }).first().waitFor();
    expect((await api('/api/vllm/clusters')).map((c: any) => c.name)).not.toContain('lab');

    await page.getByTestId('cluster-kubeconfig').fill(k8s.kubeconfig);
    await page.getByTestId('cluster-submit').click();
    await page.getByTestId('cluster-registered').waitFor();
    // write-only: the page forgot it, the API never returns it
    expect(await page.getByTestId('cluster-kubeconfig').inputValue()).toBe('');
    expect(JSON.stringify(await api('/api/vllm/clusters'))).not.toContain('double-token');
    const lab = (await api('/api/vllm/clusters')).find((c: any) => c.name === 'lab');
    const nodes = await api(`/api/vllm/clusters/${lab.id}/nodes`);
    const h100 = nodes[0].devices.find((d: any) => d.type === 'gpu');
    const card = page.locator('[data-testid="cluster-card"][data-cluster="lab"] [data-testid="node-card"][data-node="gpu-a"]');
    await card.waitFor();
    expect(await card.getByTestId('node-status').textContent()).toBe(nodes[0].status);
    expect(await card.locator(`[data-testid="node-device"][data-resource="nvidia.com/gpu"] [data-testid="node-device-available"]`).textContent()).toBe(`${h100.available_count} / ${h100.total_count}`);
    expect(h100.available_count).toBe(1);
    expect(await page.content()).not.toContain('double-token');
    await screenshot(page, 'clusters');
  }, 120_000);

  it('shows GPU occupancy per cluster and node with who holds each device, live', async () => {
    await page.goto(`${g}/occupancy`);
    const mig = page.locator(`[data-testid="occupancy-cluster"][data-cluster="local"] [data-testid="occupancy-row"][data-resource="${MIG}"]`);
    await mig.getByTestId('occupancy-used').filter({ hasText: '1 / 2' }).waitFor();
    expect(await mig.getByTestId('occupancy-free').textContent()).toBe('1');
    expect(await mig.getByTestId('occupancy-holders').textContent()).toBe(`${SERVED} ×1`);
    const l4 = page.locator(`[data-testid="occupancy-cluster"][data-cluster="local"] [data-testid="occupancy-row"][data-resource="nvidia.com/gpu"]`);
    expect(await l4.getByTestId('occupancy-holders').textContent()).toBe('Qwen/Qwen3-0.6B ×1');
    // the foreign pod on the registered cluster
    const gpuA = page.locator(`[data-testid="occupancy-cluster"][data-cluster="lab"] [data-testid="occupancy-row"][data-node="gpu-a"][data-resource="nvidia.com/gpu"]`);
    await gpuA.getByTestId('occupancy-holders').filter({ hasText: 'research/trainer (not BenchOps) ×1' }).waitFor();
    // the chart says the totals the API gives
    const local = (await api('/api/vllm/clusters/local/occupancy')).nodes[0].devices.filter((d: any) => d.resource_name !== 'benchops.io/cpu-slot');
    const used = local.reduce((s: number, d: any) => s + d.used, 0);
    const total = local.reduce((s: number, d: any) => s + d.total, 0);
    const chart = page.locator('[data-testid="occupancy-cluster"][data-cluster="local"] [data-testid="occupancy-chart"]');
    await chart.waitFor();
    expect(await chart.getAttribute('data-chart-summary')).toBe(`${used} of ${total} accelerators in use, ${total - used} free`);
    await screenshot(page, 'occupancy');

    // stop it from the models page: gone from /v1/models, and the occupancy page (still polling) shows the slice free
    await page.goto(`${g}/models`);
    await page.locator(`[data-testid="deployment-row"][data-served="${SERVED}"]`).getByTestId('deployment-stop').click();
    await waitFor(async () => ((await api('/v1/models')).data.some((x: any) => x.id === SERVED) ? undefined : true), 60_000, `${SERVED} gone from /v1/models`);
    expect((await localOccupancy()).free).toBe(2);
    await page.goto(`${g}/occupancy`);
    await mig.getByTestId('occupancy-used').filter({ hasText: '0 / 2' }).waitFor();
  }, 180_000);

  it('deploys from a values file of a vLLM project, after its placement preview', async () => {
    const values = 'vllm:\n  model: "Qwen/Qwen3-0.6B"\n  maxModelLen: 1024\n  served_model_name: "values-model"\nresources:\n  limits:\n    nvidia.com/mig-3g.40gb: 1\n';
    repo = makeRepo({ 'vllm/custom-values-small.yaml': values });
    const project = await api('/api/manager/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ui-values', project_type: 'vllm', repository_url: repo.url, vllm_values_path: 'vllm/' }) });
    const synced = await api(`/api/manager/projects/${project.project_id}/sync`, { method: 'POST' });
    expect(synced.status).toBe('success');
    await page.goto(`${g}/models`);
    await page.getByTestId('models-deploy-toggle').click();
    await page.getByText('Values file from a vLLM project').click();
    await page.getByTestId('form-values-project').click();
    await page.getByRole('option', { name: 'ui-values' }).click();
    await page.getByTestId('form-values-file').click();
    await page.getByRole('option', { name: 'vllm/custom-values-small.yaml' }).click();
    await page.getByTestId('form-preview').click();
    await page.getByTestId('placement-preview').waitFor();
    // the values file's resources, as the service read them
    expect(await page.getByTestId('preview-resources').textContent()).toBe(`Needs ${MIG}=1`);
    const expected = await api('/api/vllm/placement/preview', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ custom_values_content: values }) });
    expect(await page.getByTestId('preview-reason').textContent()).toBe(expected.decision.reason);
    await page.getByTestId('form-deploy').click();
    await page.getByTestId('deploy-result').waitFor();
    await waitFor(async () => ((await api('/v1/models')).data.some((x: any) => x.id === 'values-model') ? true : undefined), 180_000, 'values-model in /v1/models');
    const dep = (await deployments()).find((d) => d.served_model_name === 'values-model');
    expect(dep.config).toMatchObject({ model_name: 'Qwen/Qwen3-0.6B', max_model_len: 1024, gpu_resource_type: MIG, gpu_resource_count: 1, has_custom_values: true });
    await page.locator('[data-testid="deployment-row"][data-served="values-model"]').getByTestId('deployment-stop').click();
    await waitFor(async () => ((await api('/v1/models')).data.some((x: any) => x.id === 'values-model') ? undefined : true), 60_000, 'values-model stopped');
  }, 240_000);

  it('had no console errors beyond the refusal the test provoked', () => {
    expectNoConsoleErrors(b);
  });
});
