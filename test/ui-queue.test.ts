/**
 * Browser test of the queue pages against a real embedded platform (PGlite, every service, the demo project, the
 * local node's emulated L4 free: no demo model). The scheduler is paused from the page, an item is enqueued from the
 * form (the demo model on the GPU, then the demo performance job), its priority changed and another one cancelled
 * while nothing is claimed; resumed, the item's step progress bar advances to done with the numbers the API has, its
 * job links its run and its result. Screenshots: docs/screenshots/queue-*.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from './helpers/platform.ts';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, waitFor, type UiBrowser } from './helpers/ui-browser.ts';

const JOB = 'job/vllm-benchmark/benchops-perf-job.yaml';
const CONFIG = 'config/vllm-benchmark/benchops-perf.json';

describe('web UI: queue and scheduler (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  let itemId: string;

  const api = async (path: string, init?: RequestInit) => (await gatewayJson(g, path, init)).body;
  const item = (id: string) => api(`/api/vllm/queue/${id}`);

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

  it('pauses the scheduler, enqueues from the form, changes the priority and cancels while nothing is claimed', async () => {
    await page.goto(`${g}/queue`);
    await page.getByTestId('queue-empty').waitFor();
    await page.getByTestId('scheduler-state').filter({ hasText: 'running' }).waitFor();
    await page.getByTestId('scheduler').getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('scheduler-state').filter({ hasText: 'paused' }).waitFor();
    expect((await api('/api/vllm/scheduler/status')).running).toBe(false);

    await page.getByTestId('enqueue-open').click();
    await page.getByTestId('enqueue-model').fill('Qwen/Qwen3-0.6B');
    await page.getByTestId('job-file').click();
    await page.getByRole('option', { name: JOB, exact: true }).click();
    await page.getByTestId('job-config').click();
    await page.getByRole('option', { name: CONFIG, exact: true }).click();
    await page.getByTestId('add-job').click();
    await page.getByTestId('enqueue-jobs').getByText('benchops-perf-job').waitFor();
    await page.getByTestId('enqueue-submit').click();
    await page.waitForURL(/\/queue\/[0-9a-f-]{36}$/);
    itemId = page.url().split('/').pop()!;
    const queued = await item(itemId);
    // what the form sent: the model on one GPU, the demo job with its config, medium priority
    expect(queued).toMatchObject({ status: 'pending', priority: 'medium', total_steps: 2, completed_steps: 0, vllm_config: { model_name: 'Qwen/Qwen3-0.6B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 } });
    const files = await api(`/api/manager/projects/${queued.benchmark_configs[0].project_id}/files?limit=500`);
    const path = (id: string) => files.find((f: any) => f.file_id === id)?.file_path;
    expect(path(queued.benchmark_configs[0].job_file_id)).toBe(JOB);
    expect(path(queued.benchmark_configs[0].config_file_id)).toBe(CONFIG);
    const bar = page.getByTestId('step-progress');
    await bar.and(page.locator('[data-status="pending"]')).waitFor();
    expect(await bar.getAttribute('data-percent')).toBe('0');
    expect(await page.getByTestId('step-label').textContent()).toBe('0 / 2 steps');

    // priority: only a pending item changes it
    await page.getByTestId('priority-select').click();
    await page.getByRole('option', { name: 'high', exact: true }).click();
    await waitFor(async () => ((await item(itemId)).priority === 'high' ? true : undefined), 30_000, 'the priority changed');

    // a second item (from the API) cancelled from the list
    const other = await api('/api/vllm/queue/deployment', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vllm_config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'to-cancel' }, priority: 'low' }),
    });
    await page.goto(`${g}/queue`);
    const otherRow = page.locator(`tr[data-id="${other.queue_request_id}"]`);
    await otherRow.getByTestId('cancel-item').click();
    await otherRow.getByTestId('queue-status').filter({ hasText: 'cancelled' }).waitFor();
    expect((await item(other.queue_request_id)).status).toBe('cancelled');
    await page.getByTestId('queue-counts').filter({ hasText: '1 cancelled' }).waitFor();
    await page.getByTestId('queue-counts').filter({ hasText: '1 pending' }).waitFor();
    const mine = page.locator(`tr[data-id="${itemId}"]`);
    expect(await mine.getByTestId('queue-status').textContent()).toBe('pending');
    await screenshot(page, 'queue-paused');
  }, 240_000);

  it('resumed, the item’s progress bar advances to done and links its job’s run and result', async () => {
    await page.getByTestId('scheduler').getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('scheduler-state').filter({ hasText: 'running' }).waitFor();
    await page.goto(`${g}/queue/${itemId}`);
    const bar = page.getByTestId('step-progress');
    // every rendered state on the way, with the step label under the bar
    const seen: { status: string; percent: number; label: string }[] = [];
    let shotTaken = false;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const s = { status: (await bar.getAttribute('data-status'))!, percent: Number(await bar.getAttribute('data-percent')), label: (await page.getByTestId('step-label').textContent())! };
      if (JSON.stringify(seen.at(-1)) !== JSON.stringify(s)) seen.push(s);
      if (s.status === 'processing' && !shotTaken) {
        await page.goto(`${g}/queue`);
        await page.locator(`tr[data-id="${itemId}"] [data-testid="step-progress"][data-status="processing"]`).waitFor();
        await screenshot(page, 'queue-list');
        shotTaken = true;
        await page.goto(`${g}/queue/${itemId}`);
      }
      if (['completed', 'failed', 'cancelled'].includes(s.status)) break;
      if (Date.now() > deadline) throw new Error(`the item did not finish: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(250);
    }
    const done = await item(itemId);
    expect(done.status, `${done.error_message} ${JSON.stringify(seen)}`).toBe('completed');
    // the bar went up only, through processing, and ends full with the API's counts
    expect(seen.map((s) => s.status)).toContain('processing');
    expect(seen.every((s, i) => i === 0 || s.percent >= seen[i - 1].percent)).toBe(true);
    expect(seen.at(-1)).toEqual({ status: 'completed', percent: 100, label: `${done.completed_steps} / ${done.total_steps} steps` });
    expect(done).toMatchObject({ completed_steps: 2, total_steps: 2, current_step: 'completed' });
    expect(await page.getByTestId('current-step').textContent()).toBe('done');
    // the placement decision as stored, the job's run and its result
    await page.getByTestId('placement-reason').filter({ hasText: done.placement.reason }).waitFor();
    expect(await page.getByTestId('placement-action').first().textContent()).toContain(done.placement.action);
    const job = page.getByTestId('queue-job');
    await job.getByTestId('job-status').filter({ hasText: 'completed' }).waitFor();
    expect(await job.getByTestId('job-run-link').textContent()).toBe(done.jobs[0].resource_name);
    expect(done.result_pks.length).toBeGreaterThan(0);
    const links = job.getByTestId('queue-result-link');
    expect(await links.allTextContents()).toEqual(done.jobs[0].result_pks);
    await screenshot(page, 'queue-item');
    await links.first().click();
    await page.getByTestId('result-title').waitFor();
    expect(decodeURIComponent(page.url())).toContain(done.jobs[0].result_pks[0]);
    expectNoConsoleErrors(b);
  }, 420_000);
});
