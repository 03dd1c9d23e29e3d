/**
 * Browser test of the evaluations and MLflow pages against a real embedded platform (PGlite, every service with the
 * evaluation and MLflow ones, the demo project, the demo model on the emulated L4). A schedule is created from the
 * form (the next runs previewed as croner computes them, a running model's endpoint fills the form, the demo project's
 * task job as template) for an engine that is not up yet, fires, is paused from the page; the evaluation it started
 * waits on its page until the engine (an emulated vLLM server) starts, then advances to done, its timeline showing the
 * API's status history, with its run and result linked. MLflow: the registry test double
 * and a real bare git repository as the target; a new model version polled from the page shows the file written,
 * the commit (the repository's own) and the evaluation it triggered. Screenshots: docs/screenshots/evaluations-*.png,
 * mlflow.png.
 */
import { Cron } from 'croner';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedServer } from '../src/simulator/index.ts';
import { freePort, startEngine } from './eval-fixtures.ts';
import { git, makeRepo, type TestRepo } from './helpers/git.ts';
import { MlflowDouble } from './helpers/mlflow-double.ts';
import type { TestPlatform } from './helpers/platform.ts';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, waitFor, type UiBrowser } from './helpers/ui-browser.ts';

const JOB = 'job/custom-task/benchops-task-eval-job.yaml';
const CONFIG = 'config/custom-task/custom_task.json';
const CRON = '*/10 * * * * *';
/** The model the scheduled evaluations wait for: its engine starts only once the page shows the evaluation waiting. */
const LATE_MODEL = 'ui-late-model';

describe('web UI: evaluations and schedules (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  let scheduleId: string;
  let evaluationId: string;
  let mlflow: MlflowDouble;
  let repo: TestRepo;
  let enginePort: number;
  let engine: EmulatedServer | undefined;

  const api = async (path: string, init?: RequestInit) => (await gatewayJson(g, path, init)).body;

  beforeAll(async () => {
    enginePort = await freePort();
    mlflow = new MlflowDouble();
    await mlflow.start();
    repo = makeRepo({ 'README.md': 'values repository\n' });
    // schedules may tick every 10 s here (the default floor is 60 s); MLflow is polled from the page only
    p = await startUiPlatform({
      demoModel: true,
      env: { BENCHOPS_EVAL_MIN_INTERVAL_SECONDS: '5', BENCHOPS_MLFLOW_TRACKING_URI: mlflow.url, BENCHOPS_MLFLOW_GIT_URL: repo.url, BENCHOPS_MLFLOW_POLL_SECONDS: '3600' },
    });
    g = p.urls.gateway!;
    b = await openBrowser();
    page = await b.page();
  }, 300_000);
  afterAll(async () => {
    await b?.close();
    await p?.close();
    await mlflow?.stop();
    await engine?.close();
    repo?.cleanup();
  });

  it('creates a schedule with a preview of its next runs; it fires and is paused from the page', async () => {
    await page.goto(`${g}/evaluations?tab=schedules`);
    await page.getByTestId('schedule-new').click();
    await page.getByTestId('schedule-name').fill('ui-every-10s');
    await page.getByTestId('schedule-cron').fill(CRON);
    // the preview: five runs 10 s apart on 10 s boundaries, as croner (the service's own library) computes them
    const runs = page.getByTestId('cron-run');
    await runs.nth(4).waitFor();
    const at = (await runs.evaluateAll((els) => els.map((e) => e.getAttribute('data-at')!))).map((s) => new Date(s));
    expect(at).toHaveLength(5);
    expect(at.every((d, i) => d.getUTCSeconds() % 10 === 0 && (i === 0 || d.getTime() - at[i - 1].getTime() === 10_000))).toBe(true);
    const expected = new Cron(CRON, { timezone: 'UTC', paused: true }).nextRun(new Date(at[0].getTime() - 10_000));
    expect(expected?.toISOString()).toBe(at[0].toISOString());
    expect(await page.getByTestId('cron-preview').textContent()).toContain('at most every 10 s');
    expect(await runs.first().textContent()).toContain('(UTC)');
    // an expression croner refuses is said at once
    await page.getByTestId('schedule-cron').fill('61 * * * *');
    await page.getByTestId('cron-error').waitFor();
    await page.getByTestId('schedule-cron').fill(CRON);
    await runs.first().waitFor();

    // the demo model fills the model and its engine
    const model = (await api('/v1/models')).data[0];
    await page.getByTestId('running-model').click();
    await page.getByRole('option', { name: model.id, exact: true }).click();
    const dep = await api(`/api/vllm/deployments/${model.deployment_id}`);
    await waitFor(async () => ((await page.getByTestId('schedule-url').inputValue()) === dep.endpoint ? true : undefined), 30_000, 'the engine URL filled');
    expect(await page.getByTestId('schedule-model').inputValue()).toBe(model.id);
    // …but this schedule evaluates a model whose engine is not up yet
    const lateUrl = `http://127.0.0.1:${enginePort}`;
    await page.getByTestId('schedule-model').fill(LATE_MODEL);
    await page.getByTestId('schedule-url').fill(lateUrl);
    await page.getByTestId('job-file').click();
    await page.getByRole('option', { name: JOB, exact: true }).click();
    expect(await page.getByTestId('job-config').inputValue()).toBe(CONFIG);
    await page.getByTestId('add-job').click();
    await page.getByTestId('template-chosen').waitFor();
    await screenshot(page, 'evaluations-schedule-form');
    await page.getByTestId('schedule-submit').click();

    const row = page.getByTestId('schedule-row').filter({ hasText: 'ui-every-10s' });
    await row.waitFor();
    scheduleId = (await row.getAttribute('data-id'))!;
    const s = await api(`/api/eval/schedules/${scheduleId}`);
    expect(s).toMatchObject({ cron: CRON, timezone: 'UTC', model_name: LATE_MODEL, inference_engine_url: lateUrl, paused: false });
    // it fires (the page polls)
    await row.getByTestId('schedule-fired').filter({ hasText: /^[1-9]\d* runs?$/ }).waitFor({ timeout: 90_000 });
    await screenshot(page, 'evaluations-schedules');
    await row.getByTestId('schedule-toggle').filter({ hasText: 'Pause' }).click();
    await row.getByTestId('schedule-toggle').filter({ hasText: 'Resume' }).waitFor();
    const paused = await api(`/api/eval/schedules/${scheduleId}`);
    expect(paused.paused).toBe(true);
    expect(paused.fired).toBeGreaterThanOrEqual(1);
    expect(await row.getByTestId('schedule-fired').textContent()).toBe(`${paused.fired} run${paused.fired === 1 ? '' : 's'}`);
  }, 240_000);

  it('the evaluation it started advances waiting → … → done on its page, with its run and result', async () => {
    await page.getByTestId('schedule-row').filter({ hasText: 'ui-every-10s' }).getByTestId('schedule-evaluations').click();
    await page.waitForURL(/\/evaluations\?schedule=/);
    const rows = page.getByTestId('eval-row');
    await rows.first().waitFor();
    const listed = await api(`/api/eval/evaluations?schedule_id=${scheduleId}`);
    expect(await rows.count()).toBe(listed.length);
    // the oldest one the schedule started
    evaluationId = listed.at(-1).id;
    await page.locator(`tr[data-id="${evaluationId}"]`).getByRole('link').click();
    await page.waitForURL(new RegExp(`/evaluations/${evaluationId}$`));
    // the detail page itself (the list's badges share the test id)
    await page.getByTestId('eval-timeline').waitFor();
    const badge = page.getByTestId('eval-status');
    // nothing answers at the engine's URL yet: the evaluation waits, probing
    expect(await badge.textContent()).toBe('waiting');
    await page.locator('[data-testid="eval-stage"][data-status="waiting"][data-reached="true"]').waitFor();
    expect(await page.locator('[data-testid="eval-stage"][data-status="submitted"]').getAttribute('data-reached')).toBe('false');
    await screenshot(page, 'evaluations-waiting');
    engine = await startEngine(LATE_MODEL, enginePort);
    const seen: string[] = [];
    let shot = false;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const s = (await badge.textContent())!;
      if (seen.at(-1) !== s) seen.push(s);
      if (s === 'running' && !shot) {
        await screenshot(page, 'evaluations-running');
        shot = true;
      }
      if (['completed', 'failed', 'cancelled'].includes(s)) break;
      if (Date.now() > deadline) throw new Error(`the evaluation did not finish: ${seen.join(' → ')}`);
      await page.waitForTimeout(250);
    }
    const e = await api(`/api/eval/evaluations/${evaluationId}`);
    expect(e.status, `${e.error} ${JSON.stringify(e.history)}`).toBe('completed');
    const order = ['waiting', 'submitted', 'running', 'completed'];
    // the page saw it move forward only, from waiting to done
    expect(seen.every((s, i) => i === 0 || order.indexOf(s) > order.indexOf(seen[i - 1])), seen.join(' → ')).toBe(true);
    expect(seen[0]).toBe('waiting');
    expect(seen.at(-1)).toBe('completed');
    expect(e.history.map((h: any) => h.status).filter((s: string, i: number, a: string[]) => a.indexOf(s) === i)).toEqual(order);
    // the timeline: every stage of the flow reached, at the time of its first history entry
    const stages = page.getByTestId('eval-stage');
    expect(await stages.evaluateAll((els) => els.map((el) => [el.getAttribute('data-status'), el.getAttribute('data-reached')]))).toEqual(order.map((s) => [s, String(e.history.some((h: any) => h.status === s))]));
    const firstAt = (st: string) => e.history.find((h: any) => h.status === st)?.at ?? '';
    expect(await stages.evaluateAll((els) => els.map((el) => el.getAttribute('data-at')))).toEqual(order.map(firstAt));
    expect(e.history.map((h: any) => h.status)).toContain('submitted');
    // its run and its results
    expect(await page.getByTestId('eval-run-link').textContent()).toBe(e.deployment.resource_name);
    expect(e.result_pks.length).toBeGreaterThan(0);
    expect(await page.getByTestId('eval-result-link').allTextContents()).toEqual(e.result_pks);
    await screenshot(page, 'evaluations-detail');
    await page.getByTestId('eval-result-link').first().click();
    await page.getByTestId('result-title').waitFor();
  }, 360_000);

  it('MLflow: connections, and a new model version polled from the page with its file, commit and evaluation', async () => {
    // the evaluation template the integration asks for; the version appears in the registry only then
    const demo = (await api('/api/manager/projects?name=demo'))[0];
    await api('/api/mlflow/settings', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ eval_template: `${demo.project_id}:${JOB}:${CONFIG}` }) });
    mlflow.addVersion('ui-model');
    await page.goto(`${g}/mlflow`);
    await page.locator('[data-testid="conn-mlflow"][data-state="connected"]').waitFor();
    await page.locator('[data-testid="conn-git"][data-state="connected"]').waitFor();
    await page.getByTestId('mlflow-poll').click();
    await page.getByTestId('poll-counts').waitFor();
    const row = page.getByTestId('mlflow-event').filter({ hasText: 'ui-model' });
    await row.and(page.locator('[data-status="completed"]')).waitFor();
    const ev = (await api('/api/mlflow/events?model_name=ui-model'))[0];
    expect(ev).toMatchObject({ version: '1', engine: 'vllm', status: 'completed', event_type: 'model_version_created' });
    // the commit the page shows is the target repository's own, holding the values file
    const head = git(repo.bareDir, 'rev-parse', 'refs/heads/main').trim();
    expect(ev.outcome.git.commit).toBe(head);
    expect(await row.getByTestId('git-commit').textContent()).toBe(head.slice(0, 10));
    expect(git(repo.bareDir, 'show', `refs/heads/main:${ev.outcome.git.values_path}`)).toContain('ui-model');
    expect(await row.getByTestId('git-written').textContent()).toBe(`created ${ev.outcome.git.written.join(', ')}`);
    // the evaluation it triggered, asked by this event
    const evaluation = await api(`/api/eval/evaluations/${ev.outcome.evaluation.id}`);
    expect(evaluation.source).toMatchObject({ kind: 'mlflow', event_id: ev.id, version: '1', commit: head });
    await screenshot(page, 'mlflow');
    await row.getByTestId('mlflow-evaluation-link').click();
    await page.waitForURL(new RegExp(`/evaluations/${evaluation.id}$`));
    await page.getByTestId('eval-status').waitFor();
    expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe('ui-model');
  }, 120_000);

  it('deletes the schedule; its evaluations stay', async () => {
    await page.goto(`${g}/evaluations?tab=schedules`);
    const row = page.getByTestId('schedule-row').filter({ hasText: 'ui-every-10s' });
    await row.getByTestId('schedule-delete').click();
    await row.waitFor({ state: 'detached' });
    expect((await api('/api/eval/schedules')).some((s: any) => s.id === scheduleId)).toBe(false);
    expect((await api(`/api/eval/evaluations/${evaluationId}`)).status).toBe('completed');
    expectNoConsoleErrors(b);
  }, 60_000);
});
