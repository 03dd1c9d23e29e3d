/**
 * The GitHub sync path against a test double of the GitHub REST API (real HTTP on loopback): recursive tree + blobs,
 * ETag/304, only changed blobs downloaded, concurrency limit, rate-limit backoff (429 Retry-After, 403 x-ratelimit-reset),
 * giving up on a far reset without changing anything, and the contents API fallback for truncated trees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { GithubDouble } from './helpers/github-double.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { rateLimitDelayMs } from '../src/services/manager/git/github.ts';
import { parseRepoUrl } from '../src/services/manager/validation.ts';
import { call } from './helpers/http.ts';

const FILES: Record<string, string> = {
  'config/evalchemy/evalchemy.json': '{"benchmarks": {}}\n',
  'config/evalchemy/extra.yaml': 'a: 1\n',
  'job/evalchemy/evalchemy-job.yaml': 'apiVersion: batch/v1\nkind: Job\n',
  'job/perf/perf-job.yml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: perf\n',
  'docs/readme.md': '# docs\n',
  'job/toplevel.yaml': 'ignored: true\n',
  'config/evalchemy/huge.json': `[${'1,'.repeat(3_000_000)}1]`,
};

describe.each(DB_KINDS)('manager GitHub sync (%s)', (kind) => {
  let gh: GithubDouble;
  let p: TestPlatform;
  let base: string;
  let pid: string;

  beforeAll(async () => {
    gh = new GithubDouble('acme', 'bench', FILES);
    gh.defaultBranch = 'main';
    await gh.start();
    p = await startTestPlatform({ kind, services: ['manager'], background: false, env: { BENCHOPS_GITHUB_API_URL: gh.url } });
    base = p.urls.manager!;
    // the earlier client's API-URL form
    const r = await call(base, 'POST', '/projects', { name: 'gh', repository_url: 'https://api.github.com/repos/acme/bench' });
    pid = r.body.project_id;
  });
  afterAll(async () => {
    await p?.close();
    await gh?.stop();
  });

  it('lists the tree once, downloads blobs, then answers 304 without downloads', async () => {
    const s1 = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s1.body).toMatchObject({ status: 'success', synced_files: 4, new_files: 4 });
    expect(s1.body.message).toMatch(/skipped 1 files over 5 MiB/);
    expect(gh.count('repo')).toBe(1); // default branch
    expect(gh.count('tree')).toBe(1);
    expect(gh.count('blob')).toBe(4);
    const tree = gh.requests.find((r) => r.path.includes('/git/trees/'))!;
    expect(tree.path).toBe('/repos/acme/bench/git/trees/main');
    expect(tree.query.get('recursive')).toBe('1');
    const files = (await call(base, 'GET', `/projects/${pid}/files?include_content=true`)).body;
    expect(Object.fromEntries(files.map((f: any) => [f.file_path, f.content]))).toEqual({
      'config/evalchemy/evalchemy.json': FILES['config/evalchemy/evalchemy.json'],
      'config/evalchemy/extra.yaml': FILES['config/evalchemy/extra.yaml'],
      'job/evalchemy/evalchemy-job.yaml': FILES['job/evalchemy/evalchemy-job.yaml'],
      'job/perf/perf-job.yml': FILES['job/perf/perf-job.yml'],
    });

    const s2 = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s2.body).toMatchObject({ status: 'success', synced_files: 4, new_files: 0, updated_files: 0, deleted_files: 0 });
    const lastTree = gh.requests.filter((r) => r.path.includes('/git/trees/')).at(-1)!;
    expect(lastTree.headers['if-none-match']).toMatch(/^"[0-9a-f]{40}"$/);
    expect(lastTree.status).toBe(304);
    expect(gh.count('blob')).toBe(4);
  });

  it('downloads only changed blobs and keeps ids stable', async () => {
    const before = (await call(base, 'GET', `/projects/${pid}/files?include_content=true`)).body;
    const blobsBefore = gh.count('blob');
    gh.setFiles({ 'config/evalchemy/extra.yaml': 'a: 2\n', 'job/perf/perf-job.yml': null, 'config/new/n.json': '[]' });
    const s = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s.body).toMatchObject({ status: 'success', synced_files: 4, new_files: 1, updated_files: 1, deleted_files: 1 });
    expect(gh.count('blob') - blobsBefore).toBe(2);
    const after = (await call(base, 'GET', `/projects/${pid}/files?include_content=true`)).body;
    const id = (l: any[], path: string) => l.find((f) => f.file_path === path)?.file_id;
    expect(id(after, 'config/evalchemy/extra.yaml')).toBe(id(before, 'config/evalchemy/extra.yaml'));
    expect(id(after, 'config/evalchemy/evalchemy.json')).toBe(id(before, 'config/evalchemy/evalchemy.json'));
    expect(id(after, 'job/perf/perf-job.yml')).toBeUndefined();
    expect(after.find((f: any) => f.file_path === 'config/evalchemy/extra.yaml').content).toBe('a: 2\n');
  });

  it('backs off on 429 Retry-After and 403 x-ratelimit-reset, then succeeds', async () => {
    gh.setFiles({ 'config/evalchemy/extra.yaml': 'a: 3\n' });
    gh.rateLimit({ kind: 'tree', status: 429, retryAfter: 1 });
    let t0 = Date.now();
    let s = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s.body).toMatchObject({ status: 'success', updated_files: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(gh.count('tree', 429)).toBe(1);

    gh.setFiles({ 'config/evalchemy/extra.yaml': 'a: 4\n' });
    gh.rateLimit({ kind: 'blob', status: 403, reset: Math.floor(Date.now() / 1000) + 1 });
    t0 = Date.now();
    s = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s.body).toMatchObject({ status: 'success', updated_files: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(gh.count('blob', 403)).toBe(1);
  });

  it('gives up on a far rate-limit reset and changes nothing', async () => {
    const before = (await call(base, 'GET', `/projects/${pid}/files?include_content=true`)).body;
    gh.setFiles({ 'config/evalchemy/extra.yaml': 'a: 5\n', 'config/evalchemy/evalchemy.json': null });
    gh.rateLimit({ kind: 'blob', status: 403, reset: Math.floor(Date.now() / 1000) + 3600 });
    const s = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s.body.status).toBe('error');
    expect(s.body.message).toMatch(/rate limit/i);
    expect((await call(base, 'GET', `/projects/${pid}/files?include_content=true`)).body).toEqual(before);
    const project = (await call(base, 'GET', `/projects/${pid}`)).body.project;
    expect(project.last_sync_error).toMatch(/rate limit/i);
    // the next sync (limit lifted) applies both changes
    const ok = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(ok.body).toMatchObject({ status: 'success', updated_files: 1, deleted_files: 1 });
  });

  it('limits blob concurrency', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 24; i++) many[`config/bulk/f${i}.json`] = JSON.stringify({ i });
    gh.setFiles(many);
    gh.blobDelayMs = 40;
    gh.maxBlobInFlight = 0;
    const s = await call(base, 'POST', `/projects/${pid}/sync`);
    gh.blobDelayMs = 0;
    expect(s.body).toMatchObject({ status: 'success', new_files: 24 });
    expect(gh.maxBlobInFlight).toBeGreaterThan(1);
    expect(gh.maxBlobInFlight).toBeLessThanOrEqual(8);
  });

  it('falls back to the contents API when the tree is truncated, on an explicit branch', async () => {
    gh.setFiles({ 'config/x/a.json': '{"dev": true}', 'job/x/j.yaml': 'kind: Job\n' }, 'dev');
    gh.truncateTrees = true;
    try {
      const r = await call(base, 'POST', '/projects', { name: 'dev', github_repo_url: 'acme/bench', branch: 'dev' });
      const s = await call(base, 'POST', `/projects/${r.body.project_id}/sync`);
      expect(s.body).toMatchObject({ status: 'success', synced_files: 2 });
      const contents = gh.requests.filter((q) => q.path.includes('/contents'));
      expect(contents.length).toBeGreaterThan(0);
      expect(contents.every((q) => q.query.get('ref') === 'dev')).toBe(true);
      const files = (await call(base, 'GET', `/projects/${r.body.project_id}/files?include_content=true`)).body;
      expect(files.map((f: any) => [f.file_path, f.content])).toEqual([
        ['config/x/a.json', '{"dev": true}'],
        ['job/x/j.yaml', 'kind: Job\n'],
      ]);
    } finally {
      gh.truncateTrees = false;
    }
  });
});

describe('GitHub helpers', () => {
  it('computes rate-limit waits from Retry-After and x-ratelimit-reset', () => {
    expect(rateLimitDelayMs(429, { 'retry-after': '3' })).toBe(3000);
    expect(rateLimitDelayMs(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1010' }, 1_000_000)).toBe(10_250);
    expect(rateLimitDelayMs(403, { 'x-ratelimit-remaining': '12' })).toBeNull();
    expect(rateLimitDelayMs(404, { 'retry-after': '3' })).toBeNull();
  });

  it('tells GitHub repositories from plain git URLs', () => {
    const api = 'https://api.github.com';
    expect(parseRepoUrl('acme/bench', api)).toMatchObject({ kind: 'github', owner: 'acme', repo: 'bench' });
    expect(parseRepoUrl('https://github.com/acme/bench.git', api)).toMatchObject({ kind: 'github', repo: 'bench' });
    expect(parseRepoUrl('https://api.github.com/repos/acme/bench', api)).toMatchObject({ kind: 'github', apiBase: api });
    expect(parseRepoUrl('https://ghe.corp/api/v3/repos/a/b', api)).toMatchObject({ kind: 'github', apiBase: 'https://ghe.corp/api/v3' });
    expect(parseRepoUrl('https://gitlab.com/acme/bench.git', api)).toMatchObject({ kind: 'git' });
    expect(parseRepoUrl('git@github.com:acme/bench.git', api)).toMatchObject({ kind: 'git' });
    expect(parseRepoUrl('ssh://git@host/x.git', api)).toMatchObject({ kind: 'git' });
    expect(parseRepoUrl('file:///srv/repo.git', api)).toMatchObject({ kind: 'git' });
    expect(parseRepoUrl('ftp://host/x', api)).toBeNull();
    expect(parseRepoUrl('/srv/repo.git', api)).toBeNull();
    expect(parseRepoUrl('', api)).toEqual({ kind: 'none' });
  });
});
