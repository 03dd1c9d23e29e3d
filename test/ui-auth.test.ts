/**
 * Browser test of the UI with tokens configured: it asks for a token (kept for the tab's session), refuses a wrong
 * one with the reason, disables what the token's role cannot do with the reason, and shows the API's errors where
 * they belong (a 422 under the input it names, a 403 next to the form). No console errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectNoConsoleErrors, openBrowser, screenshot, startUiPlatform, type UiBrowser } from './helpers/ui-browser.ts';
import type { TestPlatform } from './helpers/platform.ts';

const VIEWER = 'viewer-token-ui-1';
const OPERATOR = 'operator-token-ui-1';

describe('web UI with tokens (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;

  beforeAll(async () => {
    p = await startUiPlatform({ env: { BENCHOPS_TOKENS: `viewer:${VIEWER},operator:${OPERATOR}` } });
    g = p.urls.gateway!;
    b = await openBrowser();
    page = await b.page();
  }, 300_000);
  afterAll(async () => {
    await b?.close();
    await p?.close();
  });

  const signIn = async (token: string) => {
    const dialog = page.getByRole('dialog', { name: 'Sign in to BenchOps' });
    await dialog.waitFor();
    await dialog.getByLabel('Token').fill(token);
    await dialog.getByRole('button', { name: 'Continue' }).click();
  };

  it('asks for a token before calling any API, and says why a wrong one is refused', async () => {
    await page.goto(`${g}/projects`);
    await page.getByRole('dialog', { name: 'Sign in to BenchOps' }).waitFor();
    await screenshot(page, 'sign-in');
    await signIn('not-a-valid-token');
    await page.getByText('The stored token was refused: Invalid token').waitFor();
  }, 120_000);

  it('a viewer sees the projects; writes are disabled with the reason', async () => {
    const dialog = page.getByRole('dialog', { name: 'Sign in to BenchOps' });
    await dialog.getByLabel('Token').fill(VIEWER);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('session-role').filter({ hasText: 'viewer' }).waitFor();
    await page.locator('tr[data-project="demo"]').waitFor();
    const create = page.getByRole('button', { name: 'New project' });
    expect(await create.isDisabled()).toBe(true);
    const reason = await page.locator('[data-denied]').first().getAttribute('data-denied');
    expect(reason).toBe('Needs the operator role (your token is viewer)');
    expect(await page.locator('tr[data-project="demo"]').getByRole('button', { name: 'Sync now' }).isDisabled()).toBe(true);
    // kept for the session: a reload does not ask again
    await page.reload();
    await page.getByTestId('session-role').filter({ hasText: 'viewer' }).waitFor();
    expect(await page.getByRole('dialog', { name: 'Sign in to BenchOps' }).count()).toBe(0);
  }, 120_000);

  it('an operator creates projects; a 422 lands under its input and a 403 next to the form', async () => {
    await page.getByRole('button', { name: 'Forget token' }).click();
    await signIn(OPERATOR);
    await page.getByTestId('session-role').filter({ hasText: 'operator' }).waitFor();
    await page.getByRole('button', { name: 'New project' }).click();
    const form = page.getByRole('dialog', { name: 'New project' });
    await form.getByLabel('Name').fill('ui-made');
    const badUrl = 'https://user:secret@example.com/org/repo.git';
    await form.getByLabel('Repository').fill(badUrl);
    b.allowHttpError(422);
    await form.getByRole('button', { name: 'Create' }).click();
    // the same request through the API, for the message the server gives
    const api = await fetch(`${g}/api/manager/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ui-made', repository_url: badUrl }),
    });
    expect(api.status).toBe(422);
    const issue = (await api.json()).detail[0];
    expect(issue.loc).toEqual(['body', 'repository_url']);
    const wrapper = form.locator('.mantine-InputWrapper-root', { has: page.getByLabel('Repository') });
    await wrapper.locator('.mantine-InputWrapper-error').filter({ hasText: issue.msg }).waitFor();
    await screenshot(page, 'field-error');
    // nothing was created by the refused request
    const list = await (await fetch(`${g}/api/manager/projects?name=ui-made`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json();
    expect(list).toEqual([]);

    // file:// needs the admin role: a 403, shown next to the form
    await form.getByLabel('Repository').fill('file:///etc');
    b.allowHttpError(403);
    await form.getByRole('button', { name: 'Create' }).click();
    const alert = form.getByRole('alert');
    await alert.filter({ hasText: 'file:// repositories need the admin role' }).waitFor();
    expect(await alert.getAttribute('data-status')).toBe('403');

    await form.getByLabel('Repository').fill('');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.waitFor({ state: 'detached' });
    await page.locator('tr[data-project="ui-made"]').waitFor();
    const made = await (await fetch(`${g}/api/manager/projects?name=ui-made`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json();
    expect(made).toHaveLength(1);
  }, 120_000);

  it('edits a project (the stored token is kept when the field stays empty) and deletes it', async () => {
    const auth = { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' };
    const before = (await (await fetch(`${g}/api/manager/projects?name=ui-made`, { headers: auth })).json())[0];
    // a token stored through the API: the form never shows it and an empty field keeps it
    await fetch(`${g}/api/manager/projects/${before.project_id}`, { method: 'PUT', headers: auth, body: JSON.stringify({ github_token: 'ghp_secretvalue123' }) });
    await page.reload();
    const row = page.locator('tr[data-project="ui-made"]');
    await row.getByText('token stored').waitFor();
    await row.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('dialog', { name: 'Edit ui-made' });
    expect(await form.getByLabel('Access token').inputValue()).toBe('');
    expect(await form.textContent()).toContain('A token is stored');
    expect(await page.content()).not.toContain('ghp_secretvalue123');
    await form.getByLabel('Branch').fill('release-1');
    // a project without a repository cannot be polled: the server's 422 sits under the polling field
    await form.getByLabel('Poll every (s)').fill('300');
    b.allowHttpError(422);
    await form.getByRole('button', { name: 'Save' }).click();
    const poll = form.locator('.mantine-InputWrapper-root', { has: page.getByLabel('Poll every (s)') });
    await poll.locator('.mantine-InputWrapper-error').filter({ hasText: 'polling_interval' }).waitFor();
    expect((await (await fetch(`${g}/api/manager/projects?name=ui-made`, { headers: auth })).json())[0].branch).toBe(before.branch); // nothing half-applied
    await form.getByLabel('Poll every (s)').fill('0');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    const after = (await (await fetch(`${g}/api/manager/projects?name=ui-made`, { headers: auth })).json())[0];
    expect(after).toMatchObject({ branch: 'release-1', polling_interval: 0, has_github_token: true });
    // and removed on request
    await row.getByRole('button', { name: 'Edit' }).click();
    await form.getByLabel('Remove the stored token').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await row.getByText('token stored').waitFor({ state: 'detached' });
    const cleared = (await (await fetch(`${g}/api/manager/projects?name=ui-made`, { headers: auth })).json())[0];
    expect(cleared).toMatchObject({ branch: 'release-1', has_github_token: false });

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete ui-made?' }).getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await fetch(`${g}/api/manager/projects/${before.project_id}`, { headers: auth })).status).toBe(404);
  }, 120_000);

  it('a viewer follows a run: status and logs (read with a viewer token), a failure said as it is', async () => {
    const auth = { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' };
    const demo = (await (await fetch(`${g}/api/manager/projects?name=demo`, { headers: auth })).json())[0];
    const files = await (await fetch(`${g}/api/manager/projects/${demo.project_id}/files`, { headers: auth })).json();
    const id = (p: string) => files.find((f: any) => f.file_path === p).file_id;
    // nothing listens on port 9: the runner fails to reach the model, and says so in its logs
    const run = await fetch(`${g}/api/deployer/run`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        project_id: demo.project_id,
        benchmark_type: 'vllm-benchmark',
        name: 'viewer-watch',
        job_file_id: id('job/vllm-benchmark/benchops-perf-job.yaml'),
        config_file_id: id('config/vllm-benchmark/benchops-perf.json'),
        vllm_model_endpoint: 'http://127.0.0.1:9/v1',
      }),
    });
    expect(run.status).toBe(200);
    const r = await run.json();
    await page.getByRole('button', { name: 'Forget token' }).click();
    await signIn(VIEWER);
    await page.getByTestId('session-role').filter({ hasText: 'viewer' }).waitFor();
    await page.goto(`${g}/runs/${r.resource_name}?ns=${r.namespace}&id=${r.deployment_id}`);
    await page.getByTestId('run-status').filter({ hasText: /^(completed|failed)$/ }).waitFor({ timeout: 180_000 });
    const status = await (await fetch(`${g}/api/deployer/jobs/${r.resource_name}/status?namespace=${r.namespace}`, { headers: auth })).json();
    expect(await page.getByTestId('run-status').textContent()).toBe(status.status);
    expect(status.status).toBe('failed');
    const logs = page.getByTestId('run-logs');
    await logs.filter({ hasText: '127.0.0.1:9' }).waitFor();
  }, 240_000);

  it('had no console errors beyond the refusals the test provoked', () => {
    expectNoConsoleErrors(b);
  });
});
