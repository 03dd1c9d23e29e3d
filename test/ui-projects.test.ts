/**
 * Browser test of the projects part of the UI against a real embedded platform (PGlite, the demo project synced from
 * its git repository, the demo model on an emulated GPU): every page shows the backend's numbers, and a person's
 * flow works end to end: open the demo project → edit a config → see the diff → a broken edit is refused with the
 * error at its line → run the job on the demo model → watch it complete → open the result. No console errors.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, waitFor, type UiBrowser } from './helpers/ui-browser.ts';
import type { TestPlatform } from './helpers/platform.ts';

const CONFIG = 'config/vllm-benchmark/benchops-perf.json';
const JOB = 'job/vllm-benchmark/benchops-perf-job.yaml';

describe('web UI: projects, files and a run (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  const api = (path: string) => gatewayJson(g, path);

  beforeAll(async () => {
    p = await startUiPlatform({ demoModel: true });
    g = p.urls.gateway!;
    b = await openBrowser();
    page = await b.page();
  }, 300_000);
  afterAll(async () => {
    await b?.close();
    await p?.close();
  });

  it('home and models show the backend’s counts and the running demo model', async () => {
    const projects = await api('/api/manager/projects');
    const models = (await api('/v1/models')).body.data;
    const results = await api('/api/results/standardized_output?limit=1');
    await page.goto(`${g}/`);
    await page.getByTestId('home-projects').filter({ hasText: String(projects.total) }).waitFor();
    expect(await page.getByTestId('home-models').textContent()).toBe(String(models.length));
    expect(await page.getByTestId('home-results').textContent()).toBe(String(results.total));
    expect(models.map((m: any) => m.id)).toContain('Qwen/Qwen3-0.6B');
    await screenshot(page, 'home');

    await page.goto(`${g}/models`);
    const row = page.getByTestId('models-table').locator('tr', { hasText: 'Qwen/Qwen3-0.6B' });
    await row.waitFor();
    const m = models.find((x: any) => x.id === 'Qwen/Qwen3-0.6B');
    expect(await row.textContent()).toContain(Number(m.max_model_len).toLocaleString('en-US'));
    await screenshot(page, 'models');
  }, 120_000);

  it('lists projects with their sync state and syncs one now, showing the counts the server returned', async () => {
    const demo = (await api('/api/manager/projects?name=demo')).body[0];
    const files = await api(`/api/manager/projects/${demo.project_id}/files`);
    await page.goto(`${g}/projects`);
    const row = page.locator('tr[data-project="demo"]');
    await row.waitFor();
    expect(await row.getByTestId('sync-status').textContent()).toBe(demo.last_sync_status);
    expect(await row.getByTestId('last-commit').textContent()).toBe(demo.last_commit.slice(0, 7));
    await screenshot(page, 'projects');
    await row.getByRole('button', { name: 'Sync now' }).click();
    const result = row.getByTestId('sync-result');
    await result.waitFor();
    // nothing changed in the repository: no new, updated or deleted file, every file counted, the same commit
    expect(await result.textContent()).toBe(`0 new · 0 updated · 0 deleted (${files.total} files at ${demo.last_commit.slice(0, 7)})`);
    const runs = (await api(`/api/manager/projects/${demo.project_id}/sync-runs`)).body;
    expect(runs[0]).toMatchObject({ trigger: 'manual', status: 'success', new_files: 0, synced_files: files.total });

    // a commit in the repository: one new file, one changed, one removed — the next sync says so
    const repo = path.join(p.dataDir, 'demo-repo');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: repo }).toString().trim();
    writeFileSync(path.join(repo, 'config/vllm-benchmark/extra.json'), '{"name": "extra", "mode": "performance", "scenarios": []}\n');
    writeFileSync(path.join(repo, 'config/evalchemy/evalchemy.json'), `${readFileSync(path.join(repo, 'config/evalchemy/evalchemy.json'), 'utf8').trimEnd()}\n\n`);
    git('rm', '-q', 'config/custom-task/custom_task.json');
    git('add', '-A');
    git('commit', '-q', '-m', 'extra config, touched evalchemy, dropped custom task');
    const commit = git('rev-parse', 'HEAD');
    await row.getByRole('button', { name: 'Sync now' }).click();
    await result.filter({ hasText: commit.slice(0, 7) }).waitFor();
    expect(await result.textContent()).toBe(`1 new · 1 updated · 1 deleted (${files.total} files at ${commit.slice(0, 7)})`);
    await row.getByTestId('last-commit').filter({ hasText: commit.slice(0, 7) }).waitFor();
  }, 120_000);

  it('opens the demo project: its files grouped by benchmark type, originals badged', async () => {
    const demo = (await api('/api/manager/projects?name=demo')).body[0];
    const files = (await api(`/api/manager/projects/${demo.project_id}/files`)).body;
    await page.goto(`${g}/projects`);
    await page.getByRole('link', { name: 'demo', exact: true }).click();
    await page.getByTestId('project-name').filter({ hasText: 'demo' }).waitFor();
    await page.getByTestId('file-link').first().waitFor();
    const links = await page.getByTestId('file-link').allTextContents();
    expect(links.sort()).toEqual(files.map((f: any) => f.file_path).sort());
    const groups = await page.locator('[data-benchmark-type]').evaluateAll((els) => els.map((e) => e.getAttribute('data-benchmark-type')));
    expect(groups).toEqual([...new Set(files.map((f: any) => f.benchmark_type as string))].sort());
    expect(new Set(await page.getByTestId('file-source').allTextContents())).toEqual(new Set(['original']));
    await screenshot(page, 'project');
  }, 120_000);

  it('edits a config, saves it as a modified copy and shows the diff against the original', async () => {
    await page.getByRole('link', { name: CONFIG }).click();
    await page.getByTestId('file-path').filter({ hasText: CONFIG }).waitFor();
    const line = page.locator('.cm-line', { hasText: '"num_prompts": 8' });
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('6');
    await screenshot(page, 'file-edit');
    await page.getByTestId('save-button').click();
    // the save makes a copy and lands on it, on the diff tab
    await page.getByTestId('file-source').filter({ hasText: 'modified' }).waitFor();
    const diff = page.getByTestId('diff-view');
    await diff.waitFor();
    await diff.locator('.cm-changedLine').first().waitFor();
    const changed = await diff.locator('.cm-changedLine').allTextContents();
    expect(changed.some((t) => t.includes('"num_prompts": 6'))).toBe(true);
    expect(changed.some((t) => t.includes('"num_prompts": 8'))).toBe(true);
    await screenshot(page, 'file-diff');
    const demo = (await api('/api/manager/projects?name=demo')).body[0];
    const copies = (await api(`/api/manager/projects/${demo.project_id}/files?source=modified`)).body;
    expect(copies).toHaveLength(1);
    expect(copies[0].file_path).toBe(CONFIG);
    const copy = (await api(`/api/manager/projects/${demo.project_id}/files/${copies[0].file_id}`)).body.file;
    expect(copy.content).toContain('"num_prompts": 6');
  }, 120_000);

  it('refuses a broken edit with the server’s error at its line and keeps the stored copy', async () => {
    await page.getByRole('tab', { name: 'Edit' }).click();
    const line = page.locator('.cm-line', { hasText: '"version": "1.0.0",' });
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.type(' oops');
    b.allowHttpError(422); // the browser logs the refused save; that one is expected
    await page.getByTestId('save-button').click();
    const err = page.getByTestId('content-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/JSON/);
    // the error is a diagnostic in the editor, on the line it names (line 3: the "version" line)
    const marker = page.locator('.cm-lintRange-error').first();
    await marker.waitFor();
    const markedLine = await marker.evaluate((el) => el.closest('.cm-line')?.textContent ?? '');
    expect(markedLine).toContain('"version"');
    const demo = (await api('/api/manager/projects?name=demo')).body[0];
    const copies = (await api(`/api/manager/projects/${demo.project_id}/files?source=modified`)).body;
    const copy = (await api(`/api/manager/projects/${demo.project_id}/files/${copies[0].file_id}`)).body.file;
    expect(copy.content).not.toContain('oops');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await page.getByTestId('content-error').waitFor({ state: 'detached' });
    await page.locator('.cm-line', { hasText: 'oops' }).waitFor({ state: 'detached' });
  }, 120_000);

  it('runs the job on the demo model with the modified config, watches it complete and opens its result', async () => {
    const demo = (await api('/api/manager/projects?name=demo')).body[0];
    await page.goto(`${g}/projects/${demo.project_id}`);
    await page.getByRole('link', { name: JOB }).click();
    await page.getByTestId('file-path').filter({ hasText: JOB }).waitFor();
    await page.getByTestId('run-button').click();
    // the modified copy of the config, and the demo model picked without typing anything
    await page.getByTestId('run-config').click();
    await page.getByRole('option', { name: `${CONFIG} (modified)` }).click();
    expect(await page.getByTestId('run-model').inputValue()).toBe('Qwen/Qwen3-0.6B');
    await page.getByTestId('run-submit').click();
    await page.waitForURL(/\/runs\//);
    const status = page.getByTestId('run-status');
    await status.waitFor();
    await screenshot(page, 'run-running');
    await status.filter({ hasText: /^(completed|failed)$/ }).waitFor({ timeout: 240_000 });
    const logs = await page.getByTestId('run-logs').textContent();
    expect(await status.textContent(), logs ?? '').toBe('completed');
    const url = new URL(page.url());
    const runId = url.searchParams.get('id')!;
    const name = decodeURIComponent(url.pathname.split('/').pop()!);
    // the page shows what the deployer says
    const job = (await api(`/api/deployer/jobs/${name}/status?namespace=${url.searchParams.get('ns')}`)).body;
    expect(job.status).toBe('completed');
    expect(await page.getByTestId('run-pods').textContent()).toBe(`${job.active_pods} / ${job.succeeded_pods} / ${job.failed_pods}`);
    const apiLogs = (await api(`/api/deployer/jobs/${name}/logs?namespace=${url.searchParams.get('ns')}&tail_lines=500`)).body.logs;
    expect(apiLogs.length).toBeGreaterThan(0);
    // once the run ended the page reads the deployer's log record (it may still be on its way as the status flips)
    await page.getByTestId('run-logs').filter({ hasText: apiLogs[apiLogs.length - 1] }).waitFor({ timeout: 30_000 });
    // the result it posted, under the run's id, linked from the run page
    const posted = await waitFor(async () => {
      const r = (await api(`/api/results/standardized_output?run_id=${encodeURIComponent(runId)}`)).body;
      return r.length ? r : undefined;
    }, 60_000, 'the run’s results');
    const link = page.getByTestId('run-result-link').first();
    await link.waitFor();
    await screenshot(page, 'run-completed');
    expect(await link.textContent()).toBe(`${posted[0].benchmark_name} · ${posted[0].model_id}`);
    expect(posted[0].model_id).toContain('Qwen3-0.6B');
    // the modified config (6 prompts in the first scenario) is what ran
    const doc = (await api(`/api/results/raw_input/${encodeURIComponent(posted[0].pk)}`)).body;
    expect(JSON.stringify(doc)).toMatch(/"num_prompts":\s*6\b/);
    await link.click();
    // the result's own page (the results UI's): the run's pk in the address, the measured model on the page
    await page.waitForURL((u) => decodeURIComponent(u.pathname) === `/results/${posted[0].pk}`);
    await page.getByText(/Qwen3-0\.6B/).first().waitFor();
    // and the runs list has it
    await page.goto(`${g}/runs`);
    await page.getByTestId('runs-table').locator('tr', { hasText: name }).filter({ hasText: 'completed' }).waitFor();
    await screenshot(page, 'runs');
  }, 360_000);

  it('renames the modified copy, then "reset all" drops every copy and keeps the originals', async () => {
    const demo = (await api('/api/manager/projects?name=demo')).body[0];
    const originals = (await api(`/api/manager/projects/${demo.project_id}/files?source=original`)).total;
    const copy = (await api(`/api/manager/projects/${demo.project_id}/files?source=modified`)).body[0];
    await page.goto(`${g}/projects/${demo.project_id}/files/${copy.file_id}`);
    await page.getByTestId('file-source').filter({ hasText: 'modified' }).waitFor();
    await page.getByRole('button', { name: 'Rename' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename the modified copy' });
    await dialog.getByLabel('File name').fill('benchops-perf-fast.json');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByTestId('file-path').filter({ hasText: 'config/vllm-benchmark/benchops-perf-fast.json' }).waitFor();
    const renamed = (await api(`/api/manager/projects/${demo.project_id}/files/${copy.file_id}`)).body.file;
    expect(renamed.file_path).toBe('config/vllm-benchmark/benchops-perf-fast.json');

    await page.getByRole('link', { name: 'demo' }).click();
    await page.getByTestId('file-source').filter({ hasText: 'modified' }).waitFor();
    await page.getByRole('button', { name: 'Reset all (1 modified)' }).click();
    await page.getByRole('dialog', { name: 'Reset every modified file?' }).getByRole('button', { name: 'Reset' }).click();
    await page.getByRole('button', { name: 'Reset all (0 modified)' }).waitFor();
    expect(new Set(await page.getByTestId('file-source').allTextContents())).toEqual(new Set(['original']));
    expect((await api(`/api/manager/projects/${demo.project_id}/files?source=modified`)).total).toBe(0);
    expect((await api(`/api/manager/projects/${demo.project_id}/files?source=original`)).total).toBe(originals);
  }, 120_000);

  it('had no console errors on any page', () => {
    expectNoConsoleErrors(b);
  });
});
