/**
 * Browser test of the runs pages and /deploy against a real embedded platform (PGlite, the local executor): YAML
 * uploaded on /deploy is previewed per object (a Pod refused with its reason, Apply disabled) and applied; the job's
 * logs stream into its page while it runs (how long from the job printing a line to the page showing it is measured
 * and printed), auto-scroll follows at the bottom, stops when scrolled up and resumes; search counts matches; the
 * manifest shows read-only; the terminal (xterm.js over the deployer's WebSocket) runs a typed command and echoes it,
 * sends its size when the window changes, and reconnects (by hand, and by itself when the server drops it); the runs list shows the run with its executor, filters it, and deletes it. No console errors.
 * Screenshots: docs/screenshots/deploy-preview.png, run-live-logs.png, run-terminal.png, run-manifest.png, runs-list.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from './helpers/platform.ts';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, waitFor, type UiBrowser } from './helpers/ui-browser.ts';

const JOB = 'ui-live-logs';
/** 80 lines at once (so the box overflows), then a tick per second stamped with the time it was printed. */
const COMMAND = 'seq 1 80 | sed "s/^/boot line /"; for i in $(seq 1 45); do echo "tick $i at $(date +%s%3N)"; sleep 1; done; sleep 120';
const jobYaml = (name: string) =>
  `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  annotations:\n    benchops.io/local-command: ${JSON.stringify(COMMAND)}\n` +
  'spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox:1.36\n';
const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: raw-pod\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n';

describe('web UI: runs, live logs, terminal, /deploy (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  const api = async (path: string) => (await gatewayJson(g, path)).body;
  const upload = (name: string, text: string) => page.locator('input[type=file]').setInputFiles({ name, mimeType: 'application/yaml', buffer: Buffer.from(text) });
  const logBox = () => page.getByTestId('run-logs');
  const scrollState = () => logBox().evaluate((el) => ({ top: el.scrollTop, gap: el.scrollHeight - el.scrollTop - el.clientHeight }));
  const lastTick = async () => {
    const lines = await page.getByTestId('log-line').allTextContents();
    const ticks = lines.map((l) => /^tick (\d+) at/.exec(l)).filter(Boolean);
    return ticks.length ? Number(ticks.at(-1)![1]) : 0;
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

  it('previews uploaded YAML per object, refuses what is not allowed, then applies the job', async () => {
    await page.goto(`${g}/deploy`);
    await upload('with-pod.yaml', `${jobYaml(JOB)}---\n${POD}`);
    await page.getByTestId('code-editor').filter({ hasText: 'raw-pod' }).waitFor();
    await page.getByTestId('deploy-preview').click();
    const result = page.getByTestId('deploy-preview-result');
    await result.waitFor();
    expect(await result.getAttribute('data-allowed')).toBe('false');
    expect(await page.locator('[data-testid="preview-row"][data-kind="Job"]').getAttribute('data-allowed')).toBe('true');
    const pod = page.locator('[data-testid="preview-row"][data-kind="Pod"]');
    expect(await pod.getAttribute('data-allowed')).toBe('false');
    expect(await pod.getByTestId('preview-reason').textContent()).toMatch(/Kind Pod is not allowed/);
    expect(await page.getByTestId('deploy-apply').isDisabled()).toBe(true);
    await screenshot(page, 'deploy-preview');
    // nothing was applied by the preview
    expect(await api(`/api/deployer/deployments?resource_name=${JOB}`)).toEqual([]);

    await upload('job.yaml', jobYaml(JOB));
    await page.getByTestId('code-editor').filter({ hasNotText: 'raw-pod' }).waitFor();
    // the text changed: the old preview no longer counts
    expect(await page.getByTestId('deploy-apply').isDisabled()).toBe(true);
    await page.getByTestId('deploy-preview').click();
    await page.locator('[data-testid="deploy-preview-result"][data-allowed="true"]').waitFor();
    expect(await page.getByTestId('preview-row').count()).toBe(1);
    await page.getByTestId('deploy-apply').click();
    await page.getByTestId('deploy-applied').waitFor();
    const records = await api(`/api/deployer/deployments?resource_name=${JOB}`);
    expect(records).toHaveLength(1);
    expect(records[0].origin).toBe('deploy');
    await page.getByTestId('deploy-run-link').click();
    await page.waitForURL(new RegExp(`/runs/${JOB}\\?`));
  }, 120_000);

  it('streams the logs while the job runs, follows at the bottom, stops when scrolled up, and resumes', async () => {
    await page.getByTestId('run-status').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    // when each tick line appears in the page (the page's clock, the same machine's as the job's `date`)
    await page.evaluate(() => {
      // the node type-check has no DOM lib: the page's globals through globalThis
      const w = globalThis as any;
      const seen: Record<string, number> = {};
      w.__ticks = seen;
      new w.MutationObserver(() => {
        for (const el of w.document.querySelectorAll('[data-testid="log-line"]')) {
          const m = /^tick (\d+) at (\d+)$/.exec(el.textContent ?? '');
          if (m && !(m[1] in seen)) seen[m[1]] = Date.now() - Number(m[2]);
        }
      }).observe(w.document.body, { childList: true, subtree: true, characterData: true });
    });
    const watchedFrom = await lastTick();
    await waitFor(async () => ((await lastTick()) >= watchedFrom + 6 ? true : undefined), 60_000, 'six new ticks in the page');
    // the lines the page shows are the job's own, in order
    const boot = await page.getByTestId('log-line').filter({ hasText: /^boot line \d+$/ }).allTextContents();
    expect(boot).toEqual(Array.from({ length: 80 }, (_, i) => `boot line ${i + 1}`));
    // following: the newest line is in view
    expect((await scrollState()).gap).toBeLessThanOrEqual(24);
    expect(await page.getByTestId('logs-follow').getAttribute('data-following')).toBe('true');
    await screenshot(page, 'run-live-logs');

    // scrolled up: new lines arrive, the view stays where the reader put it
    await logBox().evaluate((el) => el.scrollTo({ top: 0 }));
    await page.locator('[data-testid="logs-follow"][data-following="false"]').waitFor();
    const before = await lastTick();
    await waitFor(async () => ((await lastTick()) >= before + 2 ? true : undefined), 30_000, 'two more ticks');
    expect((await scrollState()).top).toBe(0);
    // "Follow" jumps to the end and follows again
    await page.getByTestId('logs-follow').click();
    await page.locator('[data-testid="logs-follow"][data-following="true"]').waitFor();
    const resumed = await lastTick();
    await waitFor(async () => ((await lastTick()) >= resumed + 1 ? true : undefined), 30_000, 'a tick after resuming');
    await waitFor(async () => ((await scrollState()).gap <= 24 ? true : undefined), 10_000, 'the view at the bottom');

    // search: highlighted and counted
    await page.getByTestId('logs-search').fill('boot line 42');
    await page.getByTestId('logs-matches').filter({ hasText: '1 matching line' }).waitFor();
    expect(await logBox().locator('mark').allTextContents()).toEqual(['boot line 42']);
    await page.getByTestId('logs-search').fill('');

    const delays: number[] = Object.entries(await page.evaluate(() => (globalThis as any).__ticks as Record<string, number>))
      .filter(([n]) => Number(n) > watchedFrom)
      .map(([, d]) => d)
      .sort((a, z) => a - z);
    expect(delays.length).toBeGreaterThanOrEqual(6);
    // a line printed cannot be seen before it was printed (the two clocks are the same machine's)
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    console.log(`[ui-runs] job print → page: ${delays.length} lines, median ${delays[Math.floor(delays.length / 2)]} ms, max ${delays.at(-1)} ms, min ${delays[0]} ms`);
  }, 180_000);

  it('shows the stored manifest read-only', async () => {
    await page.getByTestId('tab-manifest').click();
    const editor = page.getByTestId('code-editor');
    await editor.filter({ hasText: `name: ${JOB}` }).waitFor();
    expect(await editor.textContent()).toContain('kind: Job');
    // typing into it changes nothing
    const before = await editor.locator('.cm-content').textContent();
    await editor.locator('.cm-content').click();
    await page.keyboard.type('XYZ');
    expect(await editor.locator('.cm-content').textContent()).toBe(before);
    expect(before).not.toContain('XYZ');
    await screenshot(page, 'run-manifest');
  });

  it('runs a command typed into the terminal, echoes it, and reconnects', async () => {
    // what the page sends on the terminal's WebSocket
    const sent: any[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(JSON.parse(String(f.payload)))));
    await page.getByTestId('tab-terminal').click();
    await page.getByTestId('terminal-open').click();
    const state = page.getByTestId('terminal-state');
    await state.filter({ hasText: 'connected' }).waitFor({ timeout: 60_000 });
    const rows = page.locator('[data-testid="terminal"] .xterm-rows');
    // xterm's DOM renderer draws spaces as no-break spaces
    const screenText = async () => ((await rows.textContent()) ?? '').replace(/\u00a0/g, ' ');
    const untilScreen = (re: RegExp) => waitFor(async () => (re.test(await screenText()) ? true : undefined), 30_000, `${re} on the terminal`);
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo term-$((6*7)) in $(basename "$PWD")');
    await page.keyboard.press('Enter');
    await untilScreen(/term-42 in /);
    const screen = await screenText();
    // the typed command is echoed as typed, and the shell's answer follows it
    expect(screen).toContain('echo term-$((6*7)) in $(basename "$PWD")');
    expect(screen.indexOf('term-42 in ')).toBeGreaterThan(screen.indexOf('echo term-'));
    await screenshot(page, 'run-terminal');

    // the terminal fits its box and tells the shell its size, again when the window narrows
    const resizes = () => sent.filter((m) => m.type === 'resize');
    expect(resizes().length).toBeGreaterThanOrEqual(1);
    const first = resizes()[0];
    expect(first.cols).toBeGreaterThan(20);
    expect(first.rows).toBeGreaterThan(5);
    await page.setViewportSize({ width: 1000, height: 860 });
    await waitFor(async () => (resizes().some((m) => m.cols < first.cols) ? true : undefined), 30_000, 'a smaller resize sent');
    await page.setViewportSize({ width: 1360, height: 860 });

    await page.getByTestId('terminal-reconnect').click();
    await state.filter({ hasText: 'connected' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo again-$((2+3))');
    await page.keyboard.press('Enter');
    await untilScreen(/again-5/);

    // the server drops every session of the job: the page reconnects by itself (a new session: the old one ended)
    const ids = (await api(`/api/deployer/terminal/sessions?job_name=${JOB}`)).sessions.filter((x: any) => x.is_active).map((x: any) => x.session_id);
    expect((await fetch(`${g}/api/deployer/terminal/job/${JOB}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(async () => {
      const now = (await api(`/api/deployer/terminal/sessions?job_name=${JOB}`)).sessions.filter((x: any) => x.is_active).map((x: any) => x.session_id);
      return now.length && now.every((id: string) => !ids.includes(id)) ? true : undefined;
    }, 60_000, 'a new session opened by the page');
    await state.filter({ hasText: 'connected' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo back-$((9+1))');
    await page.keyboard.press('Enter');
    await untilScreen(/back-10/);
    const sessions = await api(`/api/deployer/terminal/sessions?job_name=${JOB}`);
    expect(sessions.total_sessions).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('lists the run with its executor and namespace, filters by status, and deletes it', async () => {
    const rec = (await api(`/api/deployer/deployments?resource_name=${JOB}`))[0];
    await page.goto(`${g}/runs`);
    const row = page.locator(`[data-testid="run-row"][data-name="${JOB}"]`);
    await row.filter({ hasText: 'running' }).waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells).toContain(rec.executor);
    expect(cells).toContain(rec.namespace);
    expect(cells).toContain('applied YAML');
    await screenshot(page, 'runs-list');
    // filtered by a status it does not have: gone, with the service's total
    await page.goto(`${g}/runs?status=completed`);
    await page.getByTestId('runs-total').waitFor();
    const completed = await fetch(`${g}/api/deployer/deployments?resource_type=job&status=completed`);
    expect(await page.getByTestId('runs-total').textContent()).toBe(`${completed.headers.get('x-total-count')} run${completed.headers.get('x-total-count') === '1' ? '' : 's'}`);
    expect(await row.count()).toBe(0);
    await page.goto(`${g}/runs?status=running`);
    await row.getByTestId('run-row-delete').click();
    await waitFor(async () => ((await api(`/api/deployer/deployments/${rec.deployment_id}`)).status === 'deleted' ? true : undefined), 60_000, 'the run deleted');
    await row.waitFor({ state: 'detached', timeout: 30_000 });
  }, 120_000);

  it('had no console errors', () => {
    expectNoConsoleErrors(b);
  });
});
