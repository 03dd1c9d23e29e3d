/**
 * Manager bad input over HTTP (PGlite and PostgreSQL): 422s naming the field, 404s, malformed JSON/YAML, path
 * traversal, file ownership across projects, and the GitHub token: write-only, kept on empty/masked updates, never in a
 * response body or a log line.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { makeRepo, startGitHttpServer, type TestRepo } from './helpers/git.ts';
import { GithubDouble } from './helpers/github-double.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { call } from './helpers/http.ts';

const TOKEN = 'ghp_TopSecretToken1234567890abcdef';
const locs = (body: any) => (Array.isArray(body?.detail) ? body.detail.map((d: any) => d.loc.join('.')) : []);

describe.each(DB_KINDS)('manager validation (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;
  let repo: TestRepo;
  let gh: GithubDouble;
  const bodies: string[] = [];
  let pid: string;
  let otherPid: string;
  let fileId: string;

  const req = async (method: string, url: string, body?: unknown) => {
    const r = await call(base, method, url, body);
    bodies.push(JSON.stringify(r.body));
    return r;
  };

  beforeAll(async () => {
    gh = new GithubDouble('acme', 'bench', { 'config/a/c.json': '{"a": 1}', 'job/a/j.yaml': 'kind: Job\n' });
    gh.requiredToken = TOKEN;
    await gh.start();
    p = await startTestPlatform({ kind, services: ['manager'], background: false, env: { BENCHOPS_GITHUB_API_URL: gh.url } });
    base = p.urls.manager!;
    repo = makeRepo({ 'config/a/c.json': '{"a": 1}\n', 'job/a/j.yaml': 'kind: Job\n' });
    pid = (await req('POST', '/projects', { name: 'one', github_repo_url: repo.url })).body.project_id;
    otherPid = (await req('POST', '/projects', { name: 'two', github_repo_url: repo.url })).body.project_id;
    await req('POST', `/projects/${pid}/sync`);
    await req('POST', `/projects/${otherPid}/sync`);
    fileId = (await req('GET', `/projects/${pid}/files?file_type=config`)).body[0].file_id;
  });
  afterAll(async () => {
    await p?.close();
    await gh?.stop();
    repo?.cleanup();
  });

  it('rejects invalid project bodies with 422 naming the field', async () => {
    let r = await req('POST', '/projects', {});
    expect(r.status).toBe(422);
    expect(locs(r.body)).toContain('body.name');
    r = await req('POST', '/projects', { name: 'x', polling_interval: -5 });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(['body.polling_interval']);
    r = await req('POST', '/projects', { name: 'x', project_type: 'kubernetes' });
    expect(locs(r.body)).toEqual(['body.project_type']);
    r = await req('POST', '/projects', { name: 'x', repository_url: 'ftp://example.com/repo' });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(['body.repository_url']);
    r = await req('POST', '/projects', { name: 'x', github_repo_url: 'not a url at all' });
    expect(locs(r.body)).toEqual(['body.github_repo_url']);
    r = await req('POST', '/projects', { name: 'x', config_path: '../etc' });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(['body.config_path']);
    r = await req('POST', '/projects', { name: 'x', job_folder: '/abs/jobs' });
    expect(locs(r.body)).toEqual(['body.job_folder']);
    r = await req('POST', '/projects', { name: 'x', github_repo_url: 'a/b', repository_url: 'c/d' });
    expect(locs(r.body)).toEqual(['body.repository_url']);
    r = await req('POST', '/projects', { name: 'x', branch: '--upload-pack=evil' });
    expect(locs(r.body)).toEqual(['body.branch']);
    r = await req('PUT', `/projects/${pid}`, { vllm_values_path: 'a/../../b' });
    expect(locs(r.body)).toEqual(['body.vllm_values_path']);
    const list = await req('GET', '/projects');
    expect(list.body.map((x: any) => x.name).sort()).toEqual(['one', 'two']);
  });

  it('answers 404 for unknown projects and files', async () => {
    for (const [m, u] of [
      ['GET', '/projects/nope'],
      ['PUT', '/projects/nope'],
      ['DELETE', '/projects/nope'],
      ['POST', '/projects/nope/sync'],
      ['GET', '/projects/nope/files'],
      ['GET', '/projects/nope/modified-files'],
      ['DELETE', '/projects/nope/modified-files'],
      ['GET', `/projects/${pid}/files/nope`],
      ['GET', '/modified-files/nope'],
      ['PUT', '/modified-files/nope'],
      ['DELETE', '/modified-files/nope'],
    ] as const) {
      const r = await req(m, u, m === 'PUT' ? {} : undefined);
      expect(r.status, `${m} ${u}`).toBe(404);
      expect(typeof r.body.detail).toBe('string');
    }
    const r = await req('POST', '/projects/nope/modified-files', { file_path: 'config/a/x.json', content: '{}' });
    expect(r.status).toBe(404);
  });

  it('checks that a file belongs to the project in the path', async () => {
    expect((await req('GET', `/projects/${pid}/files/${fileId}`)).status).toBe(200);
    expect((await req('GET', `/projects/${otherPid}/files/${fileId}`)).status).toBe(404);
    const r = await req('POST', `/projects/${otherPid}/modified-files`, { original_file_id: fileId, content: '{}' });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(['body.original_file_id']);
    const m = await req('POST', `/projects/${pid}/modified-files`, { original_file_id: fileId, content: '{"b": 2}' });
    expect((await req('GET', `/projects/${otherPid}/files/${m.body.file_id}`)).status).toBe(404);
    expect((await req('GET', `/projects/${otherPid}/files/${m.body.file_id}/diff`)).status).toBe(404);
    const moved = await req('PUT', `/modified-files/${m.body.file_id}`, { project_id: otherPid, content: '{}' });
    expect(moved.status).toBe(422);
    expect(locs(moved.body)).toEqual(['body.project_id']);
    expect((await req('GET', `/modified-files/${m.body.file_id}`)).body).toMatchObject({ project_id: pid, content: '{"b": 2}' });
    const wrong = await req('POST', `/projects/${pid}/modified-files`, { project_id: otherPid, file_path: 'config/a/z.json', content: '{}' });
    expect(locs(wrong.body)).toEqual(['body.project_id']);
    expect((await req('GET', `/projects/${pid}/files/${fileId}/diff`)).status).toBe(400);
  });

  it('validates modified file content and paths', async () => {
    const post = (body: unknown) => req('POST', `/projects/${pid}/modified-files`, body);
    let r = await post({ file_path: 'job/a/bad.yaml', content: 'a: [1, 2\nb: }' });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(['body.content']);
    expect(r.body.detail[0].msg).toMatch(/not valid YAML/);
    r = await post({ file_path: 'config/a/bad.json', content: '{"a": ' });
    expect(locs(r.body)).toEqual(['body.content']);
    expect(r.body.detail[0].msg).toMatch(/not valid JSON/);
    // an alias bomb is refused, not expanded
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill('*' + String.fromCharCode(97 + i)).join(',')}]`);
    r = await post({ file_path: 'job/a/bomb.yaml', content: bomb.join('\n') });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(['body.content']);
    for (const bad of ['../escape.yaml', 'config/../../etc/passwd.yaml', '/etc/x.yaml', 'config\\a\\x.yaml', 'config//x.yaml']) {
      r = await post({ file_path: bad, content: 'a: 1' });
      expect(r.status, bad).toBe(422);
      expect(locs(r.body), bad).toEqual(['body.file_path']);
    }
    r = await post({ file_path: 'config/a/x.txt', content: 'a' });
    expect(locs(r.body)).toEqual(['body.file_path']);
    r = await post({ original_file_id: fileId, modified_name: '../x.json', content: '{}' });
    expect(locs(r.body)).toEqual(['body.modified_name']);
    r = await post({ file_path: 'config/a/x.json' });
    expect(locs(r.body)).toEqual(['body.content']);
    r = await post({ file_path: 'config/a/x.json', content: 42 });
    expect(locs(r.body)).toEqual(['body.content']);
    // a rename to .json re-validates the content as JSON
    const ok = await post({ file_path: 'job/a/ok.yaml', content: 'a: 1\n' });
    expect(ok.status).toBe(200);
    r = await req('PUT', `/modified-files/${ok.body.file_id}`, { file_path: 'job/a/ok.json' });
    expect(locs(r.body)).toEqual(['body.content']);
    r = await req('PUT', `/modified-files/${ok.body.file_id}`, { content: 'a: [' });
    expect(locs(r.body)).toEqual(['body.content']);
    expect((await req('GET', `/modified-files/${ok.body.file_id}`)).body).toMatchObject({ file_path: 'job/a/ok.yaml', content: 'a: 1\n' });
    // query validation
    r = await req('GET', `/projects/${pid}/files?file_type=binary`);
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(['query.file_type']);
  });

  it('keeps the GitHub token write-only and out of every response and log line', async () => {
    const created = await req('POST', '/projects', { name: 'gh', github_repo_url: 'https://github.com/acme/bench', github_token: TOKEN });
    expect(created.status).toBe(200);
    expect(created.body.has_github_token).toBe(true);
    const id = created.body.project_id;
    // the token is used: the double demands it
    const s = await req('POST', `/projects/${id}/sync`);
    expect(s.body).toMatchObject({ status: 'success', synced_files: 2 });
    expect(gh.requests.some((r) => r.headers.authorization?.includes(TOKEN))).toBe(true);
    // an empty or masked token keeps it (the earlier UI sends the form back)
    const form = (await req('GET', `/projects/${id}`)).body.project;
    expect((await req('PUT', `/projects/${id}`, { ...form, github_token: '' })).body.has_github_token).toBe(true);
    expect((await req('PUT', `/projects/${id}`, { ...form })).body.has_github_token).toBe(true);
    gh.setFiles({ 'config/a/c.json': '{"a": 2}' });
    expect((await req('POST', `/projects/${id}/sync`)).body).toMatchObject({ status: 'success', updated_files: 1 });
    // clearing it: the double now answers 401 and the sync fails without touching the files
    expect((await req('PUT', `/projects/${id}`, { clear_github_token: true })).body.has_github_token).toBe(false);
    const failed = await req('POST', `/projects/${id}/sync`);
    expect(failed.body.status).toBe('error');
    expect(failed.body.message).toMatch(/401/);
    expect((await req('GET', `/projects/${id}/files`)).body).toHaveLength(2);
    // a new token replaces it
    expect((await req('PUT', `/projects/${id}`, { github_token: TOKEN })).body.has_github_token).toBe(true);
    expect((await req('POST', `/projects/${id}/sync`)).body.status).toBe('success');
    // the list says there is a token (masked) exactly as the single GET does
    const listed = (await req('GET', '/projects')).body.find((x: any) => x.project_id === id);
    expect(listed).toMatchObject({ has_github_token: true, github_token: '********' });
    expect(listed).toEqual((await req('GET', `/projects/${id}`)).body.project);
    await req('POST', '/projects/sync-all');
    await req('GET', '/status');
    // credentials inside a URL are refused (they belong in github_token), and the 422 does not echo them
    const withCreds = await req('POST', '/projects', { name: 'creds', github_repo_url: `https://user:${TOKEN}@127.0.0.1:1/x.git` });
    expect(withCreds.status).toBe(422);
    expect(locs(withCreds.body)).toEqual(['body.github_repo_url']);
    // a failed sync's message carries no token either
    const unreachable = await req('POST', '/projects', { name: 'down', github_repo_url: 'https://127.0.0.1:1/x.git', github_token: TOKEN });
    expect((await req('POST', `/projects/${unreachable.body.project_id}/sync`)).body.status).toBe('error');
    await req('GET', `/projects/${unreachable.body.project_id}`);
    // the earlier client's create body with a token
    await req('POST', '/projects', { name: 'legacy', repository_url: 'https://api.github.com/repos/acme/bench', github_token: TOKEN, config_path: 'config/' });

    // plain git over HTTP: the token goes to the server as Basic auth (from the environment, not the URL or argv)
    const http = await startGitHttpServer(path.dirname(repo.bareDir), { token: TOKEN });
    try {
      const gp = await req('POST', '/projects', { name: 'git-http', github_repo_url: http.urlOf(repo.bareDir), github_token: TOKEN });
      const ok = await req('POST', `/projects/${gp.body.project_id}/sync`);
      expect(ok.body).toMatchObject({ status: 'success', synced_files: 2 });
      expect(http.authHeaders.some((h) => Buffer.from(h.replace(/^Basic /, ''), 'base64').toString().endsWith(`:${TOKEN}`))).toBe(true);
      await req('PUT', `/projects/${gp.body.project_id}`, { clear_github_token: true });
      const denied = await req('POST', `/projects/${gp.body.project_id}/sync`);
      expect(denied.body.status).toBe('error');
      expect((await req('GET', `/projects/${gp.body.project_id}/files`)).body).toHaveLength(2);
    } finally {
      await http.stop();
    }

    for (const b of bodies) expect(b).not.toContain(TOKEN);
    for (const b of bodies) expect(b).not.toContain('TopSecret');
    const logs = p.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain('TopSecret');
    // and it is stored encrypted
    const raw: any = await p.ctx.db.execute(`SELECT token_enc FROM manager_projects WHERE id = '${id}'` as any);
    const rows = raw.rows ?? raw;
    expect(rows[0].token_enc).toMatch(/^v1:/);
    expect(rows[0].token_enc).not.toContain(TOKEN);
  });
});

describe('where tokens may go (pglite)', () => {
  const SERVER_TOKEN = 'ghp_ServerWideToken000000000000000000';
  let p: TestPlatform;
  let base: string;
  let gh: GithubDouble;
  let other: GithubDouble;
  const auth = (d: GithubDouble) => d.requests.map((r) => r.headers.authorization ?? '').filter(Boolean);

  beforeAll(async () => {
    gh = new GithubDouble('acme', 'bench', { 'config/a/c.json': '{"a": 1}' });
    other = new GithubDouble('acme', 'bench', { 'config/a/c.json': '{"a": 1}' });
    await gh.start();
    await other.start();
    p = await startTestPlatform({ kind: 'pglite', services: ['manager'], background: false, env: { BENCHOPS_GITHUB_API_URL: gh.url, GITHUB_TOKEN: SERVER_TOKEN } });
    base = p.urls.manager!;
  });
  afterAll(async () => {
    await p?.close();
    await gh?.stop();
    await other?.stop();
  });

  it('the server-wide GITHUB_TOKEN goes to the configured GitHub API only, never to a host a project names', async () => {
    const own = (await call(base, 'POST', '/projects', { name: 'own', github_repo_url: 'acme/bench' })).body.project_id;
    expect((await call(base, 'POST', `/projects/${own}/sync`)).body.status).toBe('success');
    expect(auth(gh).some((h) => h.includes(SERVER_TOKEN))).toBe(true);
    const foreign = (await call(base, 'POST', '/projects', { name: 'foreign', github_repo_url: `${other.url}/api/v3/repos/acme/bench` })).body.project_id;
    expect((await call(base, 'POST', `/projects/${foreign}/sync`)).body.status).toBe('success');
    expect(other.requests.length).toBeGreaterThan(0);
    expect(auth(other)).toEqual([]);
  });

  it('a stored token does not follow the project to another host, and never travels over plain http', async () => {
    const id = (await call(base, 'POST', '/projects', { name: 'moves', github_repo_url: 'acme/bench', github_token: TOKEN })).body.project_id;
    // same host, other repository path: the token stays
    expect((await call(base, 'PUT', `/projects/${id}`, { github_repo_url: 'acme/other' })).body.has_github_token).toBe(true);
    // another host without a new token: it is dropped, and nothing is sent there
    const moved = await call(base, 'PUT', `/projects/${id}`, { github_repo_url: `${other.url}/api/v3/repos/acme/bench` });
    expect(moved.body.has_github_token).toBe(false);
    const before = other.requests.length;
    await call(base, 'POST', `/projects/${id}/sync`);
    expect(other.requests.slice(before).map((r) => r.headers.authorization ?? '').filter((h) => h.includes(TOKEN))).toEqual([]);
    // with a new token for the new host it is used there
    expect((await call(base, 'PUT', `/projects/${id}`, { github_token: TOKEN })).body.has_github_token).toBe(true);
    expect((await call(base, 'POST', `/projects/${id}/sync`)).body.status).toBe('success');
    expect(auth(other).some((h) => h.includes(TOKEN))).toBe(true);

    const clear = (await call(base, 'POST', '/projects', { name: 'clear', github_repo_url: 'http://192.0.2.1/org/repo.git', github_token: TOKEN })).body.project_id;
    const s = await call(base, 'POST', `/projects/${clear}/sync`);
    expect(s.body.status).toBe('error');
    expect(s.body.message).toMatch(/plain http/);
    expect(p.logs()).not.toContain(TOKEN);
  });
});

describe('file:// repositories (pglite, tokens)', () => {
  it('need the admin role: they read this server’s disk', async () => {
    const repo = makeRepo({ 'config/a/c.json': '{}' });
    const p = await startTestPlatform({ kind: 'pglite', services: ['manager'], background: false, env: { BENCHOPS_TOKENS: 'operator:op-token-1,admin:ad-token-1' } });
    const as = (token: string, method: string, url: string, body?: unknown) =>
      fetch(p.urls.manager + url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
    try {
      const op = await as('op-token-1', 'POST', '/projects', { name: 'local', github_repo_url: repo.url });
      expect(op.status).toBe(403);
      expect(op.body.detail).toMatch(/file:\/\/ repositories need the admin role/);
      expect((await as('op-token-1', 'GET', '/projects')).body).toEqual([]);
      const remote = await as('op-token-1', 'POST', '/projects', { name: 'remote', github_repo_url: 'https://git.example.com/org/repo.git' });
      expect(remote.status).toBe(200);
      expect((await as('op-token-1', 'PUT', `/projects/${remote.body.project_id}`, { github_repo_url: repo.url })).status).toBe(403);
      const admin = await as('ad-token-1', 'POST', '/projects', { name: 'local', github_repo_url: repo.url });
      expect(admin.status).toBe(200);
    } finally {
      await p.close();
      repo.cleanup();
    }
  });
});

describe('modified files with secrets and syntax errors (pglite, trace logging)', () => {
  it('a 422 gives line and column, never the content, and nothing of the content is logged at any level', async () => {
    const SECRET = 'hf_ModifiedFileS3cret0000';
    const repo = makeRepo({ 'config/a/c.json': '{"a": 1}\n', 'job/a/j.yaml': 'kind: Job\n' });
    const p = await startTestPlatform({ kind: 'pglite', services: ['manager'], background: false, env: { BENCHOPS_LOG_LEVEL: 'trace' } });
    const base = p.urls.manager!;
    try {
      const pid = (await call(base, 'POST', '/projects', { name: 's', github_repo_url: repo.url })).body.project_id;
      const badYaml = `apiVersion: batch/v1\nkind: Job\nspec:\n  env:\n    - name: HF_TOKEN\n      value: ${SECRET}\n    bad: [unclosed\n`;
      const badJson = `{\n  "model": "m",\n  "hf_token": "${SECRET}" "oops"\n}`;
      const y = await call(base, 'POST', `/projects/${pid}/modified-files`, { file_path: 'job/a/secret.yaml', content: badYaml });
      expect(y.status).toBe(422);
      expect(y.body.detail).toEqual([{ loc: ['body', 'content'], msg: expect.stringMatching(/not valid YAML: .*line \d+, column \d+/), type: 'yaml_invalid' }]);
      const j = await call(base, 'POST', `/projects/${pid}/modified-files`, { file_path: 'config/a/secret.json', content: badJson });
      expect(j.body.detail).toEqual([{ loc: ['body', 'content'], msg: 'content is not valid JSON: invalid JSON at line 3, column 43', type: 'json_invalid' }]);
      // an update with the same mistakes, and a good copy whose content (with its token) is stored
      const ok = await call(base, 'POST', `/projects/${pid}/modified-files`, { file_path: 'job/a/ok.yaml', content: `env:\n  HF_TOKEN: ${SECRET}\n` });
      expect(ok.status).toBe(200);
      const u = await call(base, 'PUT', `/modified-files/${ok.body.file_id}`, { content: badYaml });
      expect(u.status).toBe(422);
      expect(u.body.detail[0].loc).toEqual(['body', 'content']);
      // V8's own message for an unquoted value quotes the text around it
      const bare = await call(base, 'POST', `/projects/${pid}/modified-files`, { file_path: 'config/a/bare.json', content: `{"hf_token": ${SECRET}}` });
      expect(bare.status).toBe(422);
      for (const r of [y, j, u, bare]) expect(JSON.stringify(r.body)).not.toContain('S3cret');
      expect(p.logs()).toContain('request rejected');
      expect(p.logs()).not.toContain('S3cret');
      expect(p.logs()).not.toContain('HF_TOKEN');
    } finally {
      await p.close();
      repo.cleanup();
    }
  });
});
