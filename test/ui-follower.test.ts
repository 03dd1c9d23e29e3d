/**
 * Browser test of the Git follower page against a real embedded platform (PGlite, every service, the emulated engine
 * on the local node) and a real git repository holding a vLLM project's values files: an operator follows the project
 * from the page, the good file's row shows the state, deployment and content hash the API has, the broken file its
 * error; a viewer sees the same with the operator actions disabled and the reason; unfollowing removes the project's
 * row. Screenshot: docs/screenshots/follower.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import type { TestPlatform } from './helpers/platform.ts';
import { expectNoConsoleErrors, gatewayJson, openBrowser, screenshot, startUiPlatform, waitFor, type UiBrowser } from './helpers/ui-browser.ts';

const VIEWER = 'viewer-token-follower-1';
const OPERATOR = 'operator-token-follower-1';
// the harness's own calls: a file:// repository needs the admin role to be a project's
const ADMIN = 'admin-token-follower-1';
const GOOD = 'vllm/custom-values-qwen.yaml';
const BAD = 'vllm/custom-values-broken.yaml';

describe('web UI: Git follower (browser)', () => {
  let p: TestPlatform;
  let b: UiBrowser;
  let page: Page;
  let g: string;
  let repo: TestRepo;
  let projectId: string;

  const api = async (path: string, init?: RequestInit & { json?: unknown }) =>
    (
      await gatewayJson(g, path, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN}`, ...(init?.json !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init?.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      })
    ).body;
  const signIn = async (pg: Page, token: string, role: string) => {
    const dialog = pg.getByRole('dialog', { name: 'Sign in to BenchOps' });
    await dialog.waitFor();
    await dialog.getByLabel('Token').fill(token);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await pg.getByTestId('session-role').filter({ hasText: role }).waitFor();
  };

  beforeAll(async () => {
    repo = makeRepo({
      [GOOD]: 'vllm:\n  model: Qwen/Qwen3-0.6B\n  servedModelName: qwen-followed\n  maxModelLen: 2048\n  maxNumSeqs: 8\n',
      [BAD]: 'vllm:\n  model: Qwen/Qwen3-0.6B\n  maxModelLen: [1, 2]\n',
    });
    p = await startUiPlatform({ env: { BENCHOPS_TOKENS: `viewer:${VIEWER},operator:${OPERATOR},admin:${ADMIN}` } });
    g = p.urls.gateway!;
    const created = await api('/api/manager/projects', {
      method: 'POST',
      json: { name: 'followed-values', project_type: 'vllm', github_repo_url: repo.url, vllm_values_path: 'vllm', polling_interval: 0 },
    });
    projectId = created.project_id ?? created.project?.project_id ?? created.id;
    expect((await api(`/api/manager/projects/${projectId}/sync`, { method: 'POST' })).status).toBe('success');
    b = await openBrowser();
    page = await b.page();
  }, 300_000);
  afterAll(async () => {
    await b?.close();
    await p?.close();
    repo?.cleanup();
  });

  it('follows a vLLM project from the page: each file shows the state, deployment and hash the API has; a broken file its error', async () => {
    await page.goto(`${g}/follower`);
    await signIn(page, OPERATOR, 'operator');
    await page.getByTestId('follow-empty').waitFor();
    // the navigation has the page under Serve
    await page.getByRole('link', { name: 'Git follower' }).waitFor();
    await page.getByTestId('follow-project-select').click();
    await page.getByRole('option', { name: /followed-values/ }).click();
    await page.getByTestId('follow-submit').click();
    const card = page.locator(`[data-testid="follow"][data-project="${projectId}"]`);
    await card.waitFor();
    const good = card.locator(`[data-testid="follow-file"][data-path="${GOOD}"]`);
    const bad = card.locator(`[data-testid="follow-file"][data-path="${BAD}"]`);
    // the page polls: the row turns deployed once the queue item finished and the deployment runs
    await card.locator(`[data-testid="follow-file"][data-path="${GOOD}"][data-status="deployed"]`).waitFor({ timeout: 180_000 });
    await good.getByTestId('file-deployment-status').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    await card.locator(`[data-testid="follow-file"][data-path="${BAD}"][data-status="invalid"]`).waitFor();

    const f = (await api(`/api/vllm/follow/${projectId}`)) as any;
    const byPath = Object.fromEntries(f.files.map((x: any) => [x.path, x]));
    expect(byPath[GOOD]).toMatchObject({ status: 'deployed', deployment_status: 'running' });
    expect(await good.getByTestId('file-status').textContent()).toBe('deployed');
    expect(await good.getByTestId('file-deployment').getAttribute('data-id')).toBe(byPath[GOOD].deployment_id);
    expect(await good.getByTestId('file-deployment').getAttribute('href')).toBe(`/models#deployment-${byPath[GOOD].deployment_id}`);
    expect(await good.getByTestId('file-hash').textContent()).toBe(byPath[GOOD].content_hash.slice(0, 10));
    expect(await good.getByTestId('file-error').count()).toBe(0);
    expect(byPath[BAD].status).toBe('invalid');
    expect(await bad.getByTestId('file-status').textContent()).toBe('invalid');
    expect(await bad.getByTestId('file-error').textContent()).toBe(byPath[BAD].error);
    expect(byPath[BAD].error).toMatch(/maxModelLen|max_model_len/);
    expect(await bad.getByTestId('file-deployment').count()).toBe(0);
    expect(await card.getByTestId('follow-cluster').textContent()).toBe('cluster local');
    expect(await card.getByTestId('follow-prune').textContent()).toBe('prune on');
    expect(await card.getByTestId('follow-self-heal').textContent()).toBe('self-heal on');
    await card.getByTestId('follow-tick').filter({ hasText: 'last pass' }).waitFor();

    // a pass asked for from the page changes nothing and says so (the broken file is looked at again when it changes)
    await card.getByTestId('follow-pass').click();
    await card.getByTestId('pass-result').waitFor();
    expect(await card.getByTestId('pass-result').textContent()).toBe('pass: 0 deployed · 0 restored · 0 stopped · 0 invalid · 0 deferred');
    // the deployment link leads to its row on /models
    const running = (await api('/api/vllm/deployments?status=running')) as Record<string, any>;
    expect(Object.keys(running)).toEqual([byPath[GOOD].deployment_id]);
    await page.mouse.wheel(0, -2000);
    // the button's loader fades out after the pass answered: the screenshot shows it settled
    await card.locator('[data-testid="follow-pass"]:not([data-loading])').waitFor();
    await page.waitForTimeout(400);
    await screenshot(page, 'follower');
  }, 300_000);

  it('a viewer sees the states; following, passes and unfollowing are disabled with the reason', async () => {
    const viewer = await b.page();
    await viewer.goto(`${g}/follower`);
    await signIn(viewer, VIEWER, 'viewer');
    const card = viewer.locator(`[data-testid="follow"][data-project="${projectId}"]`);
    await card.locator(`[data-testid="follow-file"][data-path="${GOOD}"][data-status="deployed"]`).waitFor();
    expect(await card.getByTestId('follow-pass').isDisabled()).toBe(true);
    expect(await card.getByTestId('follow-unfollow').isDisabled()).toBe(true);
    expect(await viewer.getByTestId('follow-submit').isDisabled()).toBe(true);
    expect(await card.locator('[data-denied]').first().getAttribute('data-denied')).toBe('Needs the operator role (your token is viewer)');
    await viewer.close();
  }, 120_000);

  it('unfollowing (stopping its deployments) removes the row; the API agrees', async () => {
    const card = page.locator(`[data-testid="follow"][data-project="${projectId}"]`);
    const before = (await api(`/api/vllm/follow/${projectId}`)) as any;
    const depId = before.files.find((x: any) => x.path === GOOD).deployment_id;
    await card.getByTestId('follow-unfollow').click();
    await page.getByTestId('follow-empty').waitFor();
    expect(await card.count()).toBe(0);
    expect(await api('/api/vllm/follow')).toEqual([]);
    await waitFor(async () => ((await api(`/api/vllm/deployments/${depId}`)).status === 'stopped' ? true : undefined), 60_000, 'the followed deployment stopped');
    // the project is offered again
    await page.getByTestId('follow-project-select').click();
    await page.getByRole('option', { name: /followed-values/ }).waitFor();
    await page.keyboard.press('Escape');
    expectNoConsoleErrors(b);
  }, 180_000);
});
