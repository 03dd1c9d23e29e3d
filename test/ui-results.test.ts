/**
 * Browser test of the results pages against a real embedded platform with real results: the result files of
 * test/fixtures/results/ posted through the API (vLLM bench serve on three days, with a regression on the third;
 * GuideLLM's sweep; lm-eval; the runner's performance and task outputs, the task one with an inference error added)
 * and the demo benchmark run twice on the demo model. Every page shows the backend's numbers (asserted against the
 * API's answers, formatted by the UI's own rule), exports download what the page shows, two runs compare, both
 * appear in the model's history, and no page logs a console error. Screenshots: docs/screenshots/results-*.png.
 */
import { readFileSync } from 'node:fs';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmt, fmtPct } from '../web/src/features/results/model/format.ts';
import type { TestPlatform } from './helpers/platform.ts';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, waitFor, type UiBrowser } from './helpers/ui-browser.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/results/${name}`, import.meta.url), 'utf8'));
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T09:00:00.000Z');
const DEMO_BENCH = 'benchops-demo-performance-benchmark';
/** A locator text filter matching the whole text. */
const exact = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

describe('web UI: results, compare, history (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  const pks: Record<string, string> = {};
  let demo: { pk: string; model_id: string; timestamp: string }[] = [];

  const api = (path: string, init?: RequestInit) => gatewayJson(g, path, init);
  const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const postRaw = async (key: string, body: Record<string, unknown>) => {
    const saved = (await post('/api/results/raw_input', { tokenizer_id: 'Qwen/Qwen3-8B', ...body })).body;
    expect(saved.standardized?.stored, JSON.stringify(saved)).toBe(true);
    pks[key] = saved.pk;
  };
  const std = async (pk: string) => (await api(`/api/results/standardized_output/${encodeURIComponent(pk)}`)).body.data;
  const text = async (page: Page, testid: string) => ((await page.getByTestId(testid).first().textContent()) ?? '').trim();
  const downloaded = async (d: Download) => {
    const stream = await d.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  /**
   * Opens a result page the way a person does: the list at the result's instant, then its link. (A result's URL
   * loaded directly is answered 404 by the gateway while its SPA fallback takes the pk's `.000Z-…` for a file
   * extension: reported to the platform's owner.)
   */
  async function openResult(pk: string): Promise<void> {
    const ts = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)-/.exec(pk)![1];
    await page.goto(`${g}/results?${new URLSearchParams({ since: ts, until: ts })}`);
    await page.locator(`tr[data-pk="${pk}"]`).getByTestId('result-link').click();
    await page.getByTestId('result-title').waitFor();
  }

  /** Runs the demo performance job on the demo model through the deployer, as the UI's Run button does; waits for its result. */
  async function runDemo(name: string): Promise<void> {
    const project = (await api('/api/manager/projects?name=demo')).body[0];
    const files = (await api(`/api/manager/projects/${project.project_id}/files?limit=500`)).body;
    const id = (path: string) => files.find((f: any) => f.file_path === path && f.source === 'original').file_id;
    const model = (await api('/v1/models')).body.data[0];
    const dep = (await api(`/api/vllm/deployments/${model.deployment_id}`)).body;
    const run = (
      await post('/api/deployer/run', {
        project_id: project.project_id,
        benchmark_type: 'vllm-benchmark',
        name,
        job_file_id: id('job/vllm-benchmark/benchops-perf-job.yaml'),
        config_file_id: id('config/vllm-benchmark/benchops-perf.json'),
        vllm_model_endpoint: dep.endpoint,
      })
    ).body;
    const done = await waitFor(
      async () => {
        const d = (await api(`/api/deployer/deployments/${run.deployment_id}`)).body;
        return ['completed', 'failed', 'deleted'].includes(d.status) ? d : undefined;
      },
      240_000,
      `demo run ${name}`,
    );
    expect(done.status).toBe('completed');
    // the runner posts under the deployment's id as its run id
    await waitFor(async () => ((await api(`/api/results/standardized_output?run_id=${encodeURIComponent(run.deployment_id)}`)).body.length ? true : undefined), 60_000, `the result of ${name}`);
    demo = (await api(`/api/results/standardized_output?benchmark_name=${DEMO_BENCH}&order=asc`)).body;
  }

  beforeAll(async () => {
    p = await startUiPlatform({ demoModel: true });
    g = p.urls.gateway!;
    // vLLM bench serve on three days: day 2 within 10 %, day 3 with output throughput 20 % lower and p99 TTFT 30 % higher
    const bench = fixture('vllm-bench-serve.json');
    const day = (i: number, f: number, l: number) => ({ ...bench, output_throughput: bench.output_throughput * f, p99_ttft_ms: bench.p99_ttft_ms * l });
    for (const [i, f, l] of [[0, 1, 1], [1, 0.97, 1.05], [2, 0.8, 1.3]] as const) {
      await postRaw(`bench${i}`, { benchmark_name: 'vllm-bench-fixture', model_id: 'qwen3-8b', source: 'vllm-bench', timestamp: new Date(T0 + i * DAY + i * 3_600_000).toISOString(), data: day(i, f, l) });
    }
    await postRaw('guidellm', { benchmark_name: 'guidellm-sweep', model_id: 'qwen3-8b', source: 'guidellm', timestamp: new Date(T0 + 3 * DAY).toISOString(), data: fixture('guidellm-benchmarks.json') });
    await postRaw('lmeval', { benchmark_name: 'lm-eval-fixture', model_id: 'qwen3-8b', source: 'lm-eval', timestamp: new Date(T0 + 3 * DAY + 60_000).toISOString(), data: fixture('lm-eval-results.json') });
    // the runner's performance output, as a run whose load generator was saturated (the self-check's verdict and reason)
    const perf = fixture('benchops-runner-perf.json');
    perf.meta.reliability = { reliable: false, reasons: ['p99 event-loop lag 14.20 ms > 10 ms'] };
    await postRaw('runnerPerf', { benchmark_name: 'vllm-benchmark', model_id: 'qwen3-8b', source: 'benchops-runner', timestamp: new Date(T0 + 3 * DAY + 120_000).toISOString(), data: perf });
    // the runner's task output with samples of every outcome: right, wrong, and one whose request failed
    const task = fixture('benchops-runner-task.json');
    task.samples = [
      { task: 'custom_task_1', doc_index: 0, prompt: 'Q: What is the capital of France?\nA:', response: ' Paris', filtered: 'Paris', targets: ['Paris'], scores: { exact_match: 1 }, latency_ms: 120 },
      { task: 'custom_task_1', doc_index: 1, prompt: 'Q: Which planet is the largest?\nA:', response: ' Saturn', filtered: 'Saturn', targets: ['Jupiter'], scores: { exact_match: 0 }, latency_ms: 140 },
      { task: 'custom_task_2', doc_index: 0, prompt: 'Q: What is the opposite of hot?\nA:', response: null, filtered: null, targets: ['cold'], scores: { exact_match: 0 }, latency_ms: 30_000, error: 'HTTP 503 from the endpoint' },
    ];
    await postRaw('runnerTask', { benchmark_name: 'custom-benchmark', model_id: 'qwen3-8b', source: 'benchops-runner', timestamp: new Date(T0 + 3 * DAY + 180_000).toISOString(), data: task });
    await runDemo('ui-results-demo-1');
    await runDemo('ui-results-demo-2');
    expect(demo).toHaveLength(2);
    b = await openBrowser();
    page = await b.page();
  }, 600_000);
  afterAll(async () => {
    await b?.close();
    await p?.close();
  });

  it('lists every result with the API’s total, filters by benchmark and kind, and shows headline numbers', async () => {
    const all = await api('/api/results/standardized_output?limit=25');
    await page.goto(`${g}/results`);
    await page.getByTestId('results-total').filter({ hasText: `${all.total} results` }).waitFor();
    const rows = page.getByTestId('result-row');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-pk')))).toEqual(all.body.map((r: any) => r.pk));
    // the headline of the newest demo run: p99 TTFT and output throughput as the API has them
    const newest = await std(demo[1].pk);
    const row = page.locator(`tr[data-pk="${demo[1].pk}"]`);
    await row.getByTestId('cell-ttft').filter({ hasText: `${fmt(newest.performance.latency.ttft_ms.p99)} ms` }).waitFor();
    expect(await row.getByTestId('cell-throughput').textContent()).toBe(`${fmt(newest.performance.throughput.output_throughput)} tok/s`);
    expect(await row.getByTestId('cell-kind').textContent()).toBe('performance');
    await screenshot(page, 'results-list');

    // filter by benchmark (the service filters): the three vLLM bench serve days
    await page.goto(`${g}/results?benchmark=vllm-bench-fixture`);
    await page.getByTestId('results-total').filter({ hasText: '3 results' }).waitFor();
    expect(await rows.count()).toBe(3);
    expect(new Set(await page.getByTestId('cell-benchmark').allTextContents())).toEqual(new Set(['vllm-bench-fixture']));
    // kind (the service filters, so the total is the filtered one): the quality results are the lm-eval one and the
    // runner's task evaluation
    const quality = await api('/api/results/standardized_output?kind=quality&limit=25');
    expect(new Set(quality.body.map((r: any) => r.pk))).toEqual(new Set([pks.lmeval, pks.runnerTask]));
    await page.goto(`${g}/results?kind=quality`);
    await page.getByTestId('results-total').filter({ hasText: `${quality.total} results` }).waitFor();
    await page.locator(`tr[data-pk="${pks.lmeval}"]`).waitFor();
    expect(new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-pk'))))).toEqual(new Set([pks.lmeval, pks.runnerTask]));
    // sorted by a column across pages (the service sorts): the rows in the order the API gives for that sort
    const byBench = await api('/api/results/standardized_output?sort=benchmark_name&order=asc&limit=25');
    await page.goto(`${g}/results?sort=benchmark_name&dir=asc`);
    await page.locator(`tr[data-pk="${byBench.body[0].pk}"]`).first().waitFor();
    await page.getByTestId('result-row').first().and(page.locator(`[data-pk="${byBench.body[0].pk}"]`)).waitFor();
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-pk')))).toEqual(byBench.body.map((r: any) => r.pk));
    // a time range the service refuses: its 422 appears under the field it names
    b.allowHttpError(422);
    await page.goto(`${g}/results?since=2026-11-25T00:00:00.000Z&until=2026-11-24T00:00:00.000Z`);
    await page.getByText('until must not be before since').waitFor();
  }, 120_000);

  it('shows a demo run: verdict, thresholds, figures and percentiles of each step, its sweep and its requests', async () => {
    const pk = demo[1].pk;
    const d = await std(pk);
    const raw = (await api(`/api/results/raw_input/${encodeURIComponent(pk)}`)).body.data;
    await openResult(pk);
    await page.getByTestId('result-title').filter({ hasText: DEMO_BENCH }).waitFor();
    expect(await text(page, 'result-meta')).toContain(demo[1].model_id);
    // the self-check verdict the run stored
    const reliable = d.meta.reliability?.reliable ?? d.meta.reliable;
    const runState = reliable ? 'reliable' : 'unreliable';
    expect(await page.getByTestId('reliability').getAttribute('data-state')).toBe(runState);
    // a step's own verdict is shown beside the run's only when it says something else (a busy machine can make one step
    // unreliable and not the other)
    const stepVerdict = page.getByTestId('reliability-step');
    if (await stepVerdict.count()) expect(await stepVerdict.getAttribute('data-state')).not.toBe(runState);
    // thresholds as the runner checked them
    const checks = d.thresholds.checks;
    expect(await page.getByTestId('threshold-row').count()).toBe(checks.length);
    expect(await page.getByTestId('threshold-value').allTextContents()).toEqual(checks.map((c: any) => fmt(c.value)));
    expect(await text(page, 'thresholds-verdict')).toBe(d.thresholds.passed ? 'passed' : 'failed');
    // every latency statistic of the first step, as the API has it
    const checkLatency = async (latency: Record<string, Record<string, number>>) => {
      for (const [metric, stats] of Object.entries(latency)) {
        for (const [stat, v] of Object.entries(stats)) {
          const cell = page.locator(`[data-testid="latency-row"][data-metric="${metric}"] td[data-stat="${stat}"]`);
          await cell.filter({ hasText: exact(fmt(v)) }).waitFor();
        }
      }
    };
    await checkLatency(d.performance.latency);
    expect(await page.locator('[data-testid="figure-output_throughput"] [data-testid="figure-value"]').textContent()).toBe(`${fmt(d.performance.throughput.output_throughput)} tok/s`);
    // the two scenarios are a concurrency sweep (2, 4): one point each, too few for a knee
    const sweepRows = page.getByTestId('sweep-row');
    expect(await sweepRows.count()).toBe(2);
    expect(await sweepRows.evaluateAll((els) => els.map((e) => e.querySelector('td')?.textContent?.trim()))).toEqual(['smoke', 'concurrency_4']);
    expect(await text(page, 'sweep-knee')).toBe('knee needs 3 or more steps');
    await page.getByTestId('chart-sweep').locator('svg').waitFor();
    // per-request records of the step in view: counts, distribution, latency and tokens over the run
    const first = raw.requests.filter((r: any) => r.scenario === 'smoke');
    expect(await text(page, 'requests-count')).toBe(`${first.length} requests (${first.filter((r: any) => r.success).length} succeeded, ${first.filter((r: any) => !r.success).length} failed)`);
    expect(await page.getByTestId('chart-latency-time').getAttribute('aria-label')).toBe(`latency over the run: ${first.filter((r: any) => r.success).length} requests`);
    await page.getByTestId('chart-tokens-time').locator('svg').waitFor();
    await page.getByTestId('chart-distribution').locator('svg').waitFor();
    await screenshot(page, 'results-performance');
    await page.getByTestId('requests').scrollIntoViewIfNeeded();
    await page.getByTestId('chart-tokens-time').locator('svg').waitFor();
    await screenshot(page, 'results-requests');
    await page.getByTestId('chart-percentiles-ttft_ms').scrollIntoViewIfNeeded();
    await screenshot(page, 'results-percentiles');
    // the second step: its own numbers and requests
    await page.getByTestId('step-picker').getByText('concurrency_4').click();
    await checkLatency(d.performance.scenarios.concurrency_4.latency);
    const second = raw.requests.filter((r: any) => r.scenario === 'concurrency_4');
    await page.getByTestId('requests-count').filter({ hasText: `${second.length} requests` }).waitFor();
    await page.getByTestId('dist-view').getByText('Histogram').click();
    expect(await page.getByTestId('chart-distribution').getAttribute('aria-label')).toMatch(new RegExp(`^E2EL histogram: \\d+ bins, ${second.filter((r: any) => r.success).length} values$`));

    // exports: CSV of every number and the per-request records
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const body = await downloaded(csv);
    expect(body.split('\r\n')[0]).toBe('pk,group,task,metric,filter,stat,value,unit,path');
    expect(body).toContain(`,latency,${DEMO_BENCH},ttft_ms,,p99,${d.performance.latency.ttft_ms.p99},ms,performance.latency.ttft_ms.p99`);
    const [req] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-requests-csv').click()]);
    expect((await downloaded(req)).trim().split('\r\n')).toHaveLength(raw.requests.length + 1);
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    expect(JSON.parse(await downloaded(json)).data).toEqual(d);
  }, 180_000);

  it('shows a vLLM bench serve result’s token-level ITL distribution, a GuideLLM sweep and the runner’s thresholds', async () => {
    await openResult(pks.bench0);
    await page.getByTestId('result-title').filter({ hasText: 'vllm-bench-fixture' }).waitFor();
    const bench = fixture('vllm-bench-serve.json');
    await page.getByTestId('requests-count').filter({ hasText: `${bench.ttfts.length} requests` }).waitFor();
    expect(await text(page, 'no-timeline')).toMatch(/no start times/);
    // vLLM bench serve has no self-check: the page says it was not checked rather than calling it reliable
    expect(await page.getByTestId('reliability').getAttribute('data-state')).toBe('unknown');
    await page.getByTestId('dist-metric').getByText('ITL').click();
    await page.getByTestId('dist-view').getByText('Histogram').click();
    await page.getByTestId('chart-distribution').and(page.locator(`[aria-label$=" ${bench.itls.flat().length} values"]`)).waitFor();

    await openResult(pks.guidellm);
    await page.getByTestId('sweep').waitFor();
    const g0 = await std(pks.guidellm);
    const rows = page.getByTestId('sweep-row');
    expect(await rows.count()).toBe(g0.performance.benchmarks.length);
    const outputs = await rows.evaluateAll((els) => els.map((e) => e.querySelectorAll('td')[2].textContent));
    expect(outputs).toEqual(g0.performance.benchmarks.map((x: any) => fmt(x.throughput.output_throughput)));
    await screenshot(page, 'results-sweep');

    await openResult(pks.runnerPerf);
    await page.getByTestId('thresholds').waitFor();
    expect(await page.getByTestId('threshold-row').allTextContents()).toHaveLength(fixture('benchops-runner-perf.json').thresholds.checks.length);
    // the stored verdict and its reason
    expect(await page.getByTestId('reliability').getAttribute('data-state')).toBe('unreliable');
    expect(await page.getByTestId('reliability-reasons').textContent()).toBe('p99 event-loop lag 14.20 ms > 10 ms');
  }, 120_000);

  it('shows quality results: scores per task with stderr, samples with answers, inference errors apart', async () => {
    const lm = await std(pks.lmeval);
    await openResult(pks.lmeval);
    await page.getByTestId('scores-table').waitFor();
    const strict = page.locator('[data-testid="score-row"][data-task="gsm8k"]', { hasText: 'strict-match' });
    expect(await strict.getByTestId('score-value').textContent()).toBe(fmt(lm.results.gsm8k.exact_match['strict-match']));
    const hs = page.locator('[data-testid="score-row"][data-task="hellaswag"][data-metric="acc_norm"]');
    expect(await hs.getByTestId('score-value').textContent()).toBe(fmt(lm.results.hellaswag.acc_norm));
    expect(await text(page, 'no-samples')).toMatch(/no per-sample records/);

    const task = await std(pks.runnerTask);
    await openResult(pks.runnerTask);
    await page.getByTestId('scores-table').waitFor();
    expect(await page.getByTestId('score-value').allTextContents()).toEqual([fmt(task.results.custom_task_1.exact_match), fmt(task.results.custom_task_2.exact_match)]);
    // the failed request is counted as an inference error of its task, not as a wrong answer
    expect(await page.getByTestId('score-errors').allTextContents()).toEqual(['0', '1']);
    expect(await text(page, 'errors-note')).toMatch(/^1 sample got no answer/);
    expect(await page.getByTestId('sample-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-outcome')))).toEqual(['correct', 'wrong']);
    expect(await page.getByTestId('sample-answer').allTextContents()).toEqual(['Paris', 'Saturn']);
    await screenshot(page, 'results-quality');
    await page.getByTestId('samples-filter').getByText('Inference errors (1)').click();
    expect(await page.getByTestId('sample-error').allTextContents()).toEqual(['HTTP 503 from the endpoint']);
  }, 120_000);

  it('compares the two demo runs selected on the list: every metric, the change in %, differences only, overlays', async () => {
    await page.goto(`${g}/results?benchmark=${DEMO_BENCH}`);
    await page.getByTestId('results-total').filter({ hasText: '2 results' }).waitFor();
    for (const r of demo) await page.locator(`tr[data-pk="${r.pk}"]`).getByTestId('select-result').click();
    await page.getByTestId('compare-selected').click();
    await page.waitForURL(/\/compare\?/);
    const [base, next] = demo.map((r) => r.pk);
    expect(new URL(page.url()).searchParams.getAll('pk')).toEqual([base, next]);
    const cmp = (await api(`/api/results/compare?pks=${encodeURIComponent(base)}&pks=${encodeURIComponent(next)}`)).body;
    await page.getByTestId('compare-table').waitFor();
    expect(await page.getByTestId('compare-row').count()).toBe(cmp.metrics.length);
    const ttft = cmp.metrics.find((m: any) => m.path === 'performance.latency.ttft_ms.p99');
    const row = page.locator('[data-testid="compare-row"][data-path="performance.latency.ttft_ms.p99"]');
    expect(await row.getByTestId('base-cell').textContent()).toBe(fmt(ttft.values[base]));
    const rel = (ttft.values[next] - ttft.values[base]) / Math.abs(ttft.values[base]);
    expect(await row.getByTestId('change-pct').textContent()).toBe(fmtPct(rel));
    // lower TTFT is better: the colour follows the direction, as the service's verdict says
    const verdict = await row.getByTestId('change-cell').getAttribute('data-verdict');
    expect(verdict).toBe(ttft.deltas[next].improved === null ? (rel === 0 ? 'same' : 'none') : ttft.deltas[next].improved ? 'better' : 'worse');
    // differences only: the metrics whose values differ between the two runs
    await page.getByTestId('diff-only').click();
    const differing = cmp.metrics.filter((m: any) => m.values[base] !== m.values[next]).length;
    await page.getByTestId('compare-count').filter({ hasText: `${differing} of ${cmp.metrics.length} metrics` }).waitFor();
    expect(await page.getByTestId('compare-row').count()).toBe(differing);
    // overlays: both runs in the percentile charts and the request CDFs
    const legend = await page.getByTestId('chart-percentiles-ttft_ms').locator('svg').textContent();
    expect(legend).toContain('#1');
    expect(legend).toContain('#2');
    await page.getByTestId('chart-compare-cdf').locator('svg').waitFor();
    // both runs' sweeps (the demo's two concurrency steps) on one throughput–latency chart
    const sweep = await page.getByTestId('chart-sweep').locator('svg').textContent();
    expect(sweep).toContain('#1');
    expect(sweep).toContain('#2');
    await screenshot(page, 'results-compare');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const lines = (await downloaded(csv)).trim().split('\r\n');
    expect(lines).toHaveLength(differing + 1);
    expect(lines[0]).toBe(`metric,group,unit,higher_is_better,base ${base},${next},${next} change,${next} change %,${next} verdict`);
  }, 120_000);

  it('shows both demo runs in the model’s history, and marks where the regression rule would fire', async () => {
    await openResult(demo[1].pk);
    await page.getByTestId('history-link').click();
    await page.waitForURL(/\/history\?/);
    const series = page.locator(`[data-testid="history-series"][data-path="performance.throughput.output_throughput"]`);
    await series.waitFor();
    await series.getByTestId('points-toggle').click();
    const points = series.getByTestId('point-row');
    await points.first().waitFor();
    expect(new Set(await points.evaluateAll((els) => els.map((e) => e.getAttribute('data-pk'))))).toEqual(new Set(demo.map((r) => r.pk)));
    const hist = (await api(`/api/results/history?model_id=${encodeURIComponent(demo[0].model_id)}&benchmark_name=${DEMO_BENCH}&metric=output_throughput`)).body;
    expect(await series.getByTestId('point-value').allTextContents()).toEqual([...hist].reverse().map((x: any) => fmt(x.value)));
    // minutes apart: nothing the day before, so nothing to flag
    expect(await page.getByTestId('regressions-table').count()).toBe(0);
    await series.getByTestId('point-link').first().click();
    await page.waitForURL((u) => decodeURIComponent(u.pathname) === `/results/${demo[1].pk}`);

    // the fixture's three days: day 3 lost 20 % of its output throughput and gained 30 % p99 TTFT
    await page.goto(`${g}/history?model=qwen3-8b&benchmark=vllm-bench-fixture`);
    await page.getByTestId('regressions-table').waitFor();
    const flagged = page.getByTestId('regression-row');
    await page.getByTestId('history-summary').filter({ hasText: '2 points where' }).waitFor();
    expect(new Set(await flagged.evaluateAll((els) => els.map((e) => e.getAttribute('data-pk'))))).toEqual(new Set([pks.bench2]));
    expect((await flagged.allTextContents()).map((t) => t.split(/\d{4}-/)[0]).sort()).toEqual(['output_throughput', 'ttft_ms p99']);
    await page.locator('[data-testid="history-series"][data-path="performance.latency.ttft_ms.p99"] [data-testid="series-regressions"]').waitFor();
    await screenshot(page, 'results-history');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const lines = (await downloaded(csv)).trim().split('\r\n');
    const regressions = lines.filter((l) => l.endsWith(',true'));
    expect(regressions).toHaveLength(2);
    expect(regressions.every((l) => l.includes(pks.bench2))).toBe(true);
  }, 120_000);

  it('had no console errors on any page', () => {
    expectNoConsoleErrors(b);
  });
});
