/**
 * Browser test of the seed 003 wizard against a real embedded platform (PGlite, every service with the workflows
 * one, the local node's emulated L4 free: no demo model). Through all eight steps from the stepper (a model
 * registered on the way), then Simulate: the predicted figures, percentile charts and latency table render the
 * numbers of the stored prediction; then Run on cluster: the stages advance, the measured result is linked, and
 * prediction and measurement sit side by side with the API's numbers. A dataset workflow uploads a dataset and shows
 * its length statistics as the API computed them. Screenshots: docs/screenshots/wizard-*.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmt, fmtPct, fmtUnit } from '../web/src/features/results/model/format.ts';
import type { TestPlatform } from './helpers/platform.ts';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, type UiBrowser } from './helpers/ui-browser.ts';

describe('web UI: the seed 003 wizard (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  let workflowId: string;

  const api = async (path: string, init?: RequestInit) => (await gatewayJson(g, path, init)).body;
  const workflow = () => api(`/api/workflows/workflows/performance/${workflowId}`);
  /** Waits for step `n`'s form and clicks its next button. */
  const body = (n: number) => page.locator(`[data-testid="wf-step-body"][data-step="${n}"]`);
  const next = async (n: number) => {
    await body(n).getByTestId('step-next').click();
    await body(n).waitFor({ state: 'detached' });
  };

  beforeAll(async () => {
    p = await startUiPlatform();
    g = p.urls.gateway!;
    b = await openBrowser();
    page = await b.page();
  }, 300_000);
  afterAll(async () => {
    await b?.close();
    await p?.close();
  });

  it('goes through all eight steps, registering the model on the way', async () => {
    await page.goto(`${g}/workflows`);
    await page.getByTestId('wf-new').click();
    await body(1).waitFor();
    await page.getByTestId('wf-name').fill('ui-wizard');
    await page.getByTestId('wf-concurrency').fill('4');
    await page.getByTestId('wf-num-prompts').fill('40');
    await next(1);
    await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);
    workflowId = page.url().split('/').pop()!;

    await body(2).waitFor();
    await page.getByTestId('wf-max-input').fill('64');
    await page.getByTestId('wf-max-output').fill('32');
    await next(2);

    // the local cluster, chosen by default
    await body(3).getByTestId('cluster-card').first().waitFor();
    expect(await body(3).locator('input[type=radio]:checked').getAttribute('value')).toBe('local');
    await next(3);

    // the node cards show the devices the vLLM service reports
    const nodes = await api('/api/vllm/clusters/local/nodes');
    const card = page.locator(`[data-testid="node-card"][data-hostname="${nodes[0].hostname}"]`);
    await card.waitFor();
    const l4 = nodes[0].devices.find((d: any) => d.name === 'L4');
    expect(l4).toMatchObject({ available_count: 1, total_count: 1 });
    expect(await card.locator('[data-device="L4"]').getByTestId('device-available').textContent()).toBe('1 / 1');
    expect(await card.getByTestId('node-status').textContent()).toBe(nodes[0].status);
    await card.getByTestId('node-pick').check();
    await screenshot(page, 'wizard-nodes');
    await next(4);

    await body(5).waitFor();
    await page.getByTestId('model-name').fill('Qwen/Qwen3-0.6B');
    await page.getByTestId('model-served-name').fill('qwen-ui');
    await page.getByTestId('model-max-len').fill('2048');
    await page.getByTestId('model-form').getByTestId('model-submit').click();
    await body(5).getByTestId('model-card').filter({ hasText: 'simulated as' }).waitFor();
    expect(await body(5).getByTestId('model-card').locator('input[type=radio]:checked').count()).toBe(1);
    await next(5);

    await body(6).getByTestId('credential-not-needed').waitFor();
    await next(6);

    // the summary shows what the steps stored
    await body(7).getByTestId('wf-summary').waitFor();
    const w = await workflow();
    const summary = async (field: string) => (await body(7).locator(`tr[data-field="${field}"]`).getByTestId('summary-value').textContent())!;
    expect(await summary('Concurrent requests')).toBe(String(w.state.concurrent_requests));
    expect(await summary('Max input tokens')).toBe('64');
    expect(await summary('Max output tokens')).toBe('32');
    expect(await summary('Requests')).toBe('40');
    expect(await summary('Nodes')).toBe(`${nodes[0].hostname} (${w.state.nodes[0].devices.map((d: any) => `${d.available_count} × ${d.name}`).join(', ')})`);
    expect(await summary('Runs on')).toBe(`1 × L4 on ${nodes[0].hostname}`);
    expect(await summary('Model')).toContain('Qwen/Qwen3-0.6B');
    await body(7).getByTestId('wf-confirm').check();
    await screenshot(page, 'wizard-confirm');
    await next(7);
    await body(8).waitFor();
    const ready = await workflow();
    expect(ready.trigger.ready).toBe(true);
    expect(ready.steps.filter((s: any) => s.status === 'complete').map((s: any) => s.step_number)).toEqual([1, 2, 3, 4, 5, 7]);
    expect(await page.getByTestId('wf-status').textContent()).toBe('ready');
  }, 240_000);

  it('Simulate: the predicted charts render with the predicted numbers', async () => {
    await body(8).getByTestId('wf-simulate').click();
    const prediction = page.getByTestId('prediction');
    await prediction.getByTestId('figures').waitFor({ timeout: 120_000 });
    const w = await workflow();
    const sim = w.latest_simulation;
    expect(sim).toMatchObject({ mode: 'simulation', status: 'completed' });
    const doc = (await api(`/api/results/standardized_output/${encodeURIComponent(sim.result_pk)}`)).data;
    // the figures and percentiles of the stored prediction, which are the run's predicted metrics
    expect(doc.performance.throughput.output_throughput).toBeCloseTo(sim.metrics.output_throughput, 6);
    const figure = async (k: string) => prediction.getByTestId(`figure-${k}`).getByTestId('figure-value').textContent();
    expect(await figure('output_throughput')).toBe(fmtUnit(sim.metrics.output_throughput, 'tok/s'));
    expect(await figure('request_throughput')).toBe(fmtUnit(sim.metrics.request_throughput, 'req/s'));
    expect(await figure('completed')).toBe(fmtUnit(40, ''));
    const ttft = prediction.getByTestId('latency-table').locator('tr[data-metric="ttft_ms"]');
    expect(await ttft.locator('[data-stat="p99"]').textContent()).toBe(fmt(sim.metrics.p99_ttft_ms));
    expect(await ttft.locator('[data-stat="mean"]').textContent()).toBe(fmt(sim.metrics.mean_ttft_ms));
    // one percentile chart per latency metric, drawn
    for (const m of ['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms']) await prediction.getByTestId(`chart-percentiles-${m}`).locator('svg').first().waitFor();
    // the chart's own summary (its aria-label) carries the points it draws: the predicted percentiles
    const ttftChart = await prediction.getByTestId('chart-percentiles-ttft_ms').getAttribute('aria-label');
    expect(ttftChart).toContain(`p90 ${fmt(sim.metrics.p90_ttft_ms)}`);
    expect(ttftChart).toContain(`p99 ${fmt(sim.metrics.p99_ttft_ms)}`);
    expect(await prediction.getByTestId('chart-percentiles-e2el_ms').getAttribute('aria-label')).toContain(`p99 ${fmt(sim.metrics.p99_e2el_ms)}`);
    await page.getByTestId('wf-status').filter({ hasText: 'simulated' }).waitFor();
    await screenshot(page, 'wizard-simulate');
  }, 180_000);

  it('Run on cluster: the stages advance, the result appears, side by side with the prediction', async () => {
    await body(8).getByTestId('wf-run').click();
    const progress = page.getByTestId('run-progress');
    await progress.waitFor();
    const stages: string[] = [];
    let shot = false;
    const deadline = Date.now() + 360_000;
    for (;;) {
      const status = (await progress.getAttribute('data-status'))!;
      const stage = (await progress.getAttribute('data-stage'))!;
      if (stages.at(-1) !== stage) stages.push(stage);
      if (stage === 'benchmarking' && !shot) {
        await screenshot(page, 'wizard-running');
        shot = true;
      }
      if (!['running', 'cancelling'].includes(status)) break;
      if (Date.now() > deadline) throw new Error(`the run did not finish: ${stages.join(' → ')}`);
      await page.waitForTimeout(300);
    }
    const w = await workflow();
    const run = w.latest_run;
    expect(run.status, JSON.stringify(run.error)).toBe('completed');
    const order = ['queued', 'deploying', 'benchmarking', 'collecting', 'tearing_down', 'completed'];
    expect(stages.every((s, i) => i === 0 || order.indexOf(s) > order.indexOf(stages[i - 1])), stages.join(' → ')).toBe(true);
    expect(stages.at(-1)).toBe('completed');
    expect(stages.length).toBeGreaterThan(1);
    expect(await page.getByTestId('run-result-link').textContent()).toBe(run.result_pk);
    // side by side: the API's comparison, every row
    const table = page.getByTestId('comparison-table');
    await table.waitFor();
    const rows = w.comparison.metrics as Array<{ metric: string; predicted: number; measured: number; error: number }>;
    expect(await table.getByTestId('comparison-row').count()).toBe(rows.length);
    for (const m of ['mean_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'output_throughput']) {
      const r = rows.find((x) => x.metric === m)!;
      const tr = table.locator(`tr[data-metric="${m}"]`);
      expect(await tr.locator('[data-col="predicted"]').textContent()).toBe(fmt(r.predicted));
      expect(await tr.locator('[data-col="measured"]').textContent()).toBe(fmt(r.measured));
      expect(await tr.locator('[data-col="error"]').textContent()).toBe(fmtPct(r.error));
    }
    expect(w.comparison.measured_pk).toBe(run.result_pk);
    await page.getByTestId('side-by-side').getByTestId('chart-percentiles-ttft_ms').locator('svg').first().waitFor();
    await page.getByTestId('wf-status').filter({ hasText: 'completed' }).waitFor();
    // its title just below the shell's fixed header
    await page.getByTestId('side-by-side').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.evaluate('window.scrollBy(0, -70)');
    await screenshot(page, 'wizard-side-by-side');
    await page.getByTestId('run-result-link').click();
    await page.getByTestId('result-title').waitFor();
    expect(decodeURIComponent(page.url())).toContain(run.result_pk);
  }, 420_000);

  it('a dataset workflow uploads a dataset and shows its length statistics', async () => {
    await page.goto(`${g}/workflows/new`);
    await page.getByTestId('wf-name').fill('ui-wizard-dataset');
    await page.getByTestId('wf-eval-with').getByText('Datasets').click();
    await next(1);
    await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);
    await body(2).getByTestId('dataset-upload').waitFor();
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `Explain item ${i} of a long list: ${'why batching helps '.repeat(i + 1)}`, output_len: 16 * (i + 1) }));
    await page.getByTestId('dataset-name').fill('ui-prompts');
    await page.getByTestId('dataset-text').fill(lines.join('\n'));
    await page.getByTestId('dataset-submit').click();
    const row = body(2).getByTestId('dataset-row').filter({ hasText: 'ui-prompts' });
    await row.waitFor();
    const ds = (await api('/api/workflows/datasets?name=ui-prompts'))[0];
    expect(ds.rows).toBe(12);
    expect(await row.locator('[data-stat="rows"]').textContent()).toBe('12');
    const four = (s: any) => [s.p50, s.p90, s.p99, s.max].join(' / ');
    expect(await row.locator('[data-stat="input"]').textContent()).toBe(four(ds.stats.input_tokens));
    expect(await row.locator('[data-stat="output"]').textContent()).toBe(four(ds.stats.output_tokens));
    expect(ds.stats.output_tokens.max).toBe(192);
    // the upload is picked for the workflow
    expect(await row.getByTestId('dataset-pick').isChecked()).toBe(true);
    await screenshot(page, 'wizard-dataset');
    await next(2);
    await body(3).waitFor();
    const id = page.url().split('/').pop()!;
    const w = await api(`/api/workflows/workflows/performance/${id}`);
    expect(w.state.dataset_ids).toEqual([ds.id]);
    expect(w.steps.find((s: any) => s.step_number === 2).status).toBe('complete');
    expectNoConsoleErrors(b);
  }, 180_000);
});
