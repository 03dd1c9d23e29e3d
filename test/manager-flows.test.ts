/**
 * Manager flows over HTTP on a real port, PGlite and PostgreSQL: create → sync a real git repository (file:// and
 * git daemon) → list/filter → modify/rename/diff → reset → upstream change → resync (stable ids, removed files removed)
 * → failed sync changes nothing → delete cascades. Plus the demo project from a clean data folder.
 */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { fixture } from './helpers/fixtures.ts';
import { makeRepo, startGitDaemon, type GitDaemon, type TestRepo } from './helpers/git.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { call } from './helpers/http.ts';


const REPO_FILES = {
  'config/evalchemy/evalchemy.json': fixture('vllm-eval/configs/evalchemy.json'),
  'config/vllm-benchmark/vllm_benchmark.json': fixture('vllm-eval/configs/vllm_benchmark.json'),
  'config/evalchemy/notes.txt': 'not a config\n',
  'config/top-level.json': '{"ignored": true}\n',
  'job/evalchemy/evalchemy-job.yaml': fixture('vllm-manifests/vllm-eval/evalchemy-job.yaml'),
  'job/vllm-benchmark/vllm-benchmark-job.yaml': fixture('vllm-manifests/vllm-eval/vllm-benchmark-job.yaml'),
  'job/evalchemy/deeper/nested.yaml': 'a: 1\n',
  'README.md': '# bench\n',
};

describe.each(DB_KINDS)('manager flows (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;
  let repo: TestRepo;
  let daemon: GitDaemon;

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['manager'], background: false });
    base = p.urls.manager!;
    // "trunk" as the default branch proves the sync asks the remote for its default instead of assuming main.
    repo = makeRepo(REPO_FILES, { branch: 'trunk' });
    daemon = await startGitDaemon(path.dirname(repo.bareDir));
  });
  afterAll(async () => {
    await daemon?.stop();
    await p?.close();
    repo?.cleanup();
  });

  it('runs the whole project lifecycle', async () => {
    // create with the earlier client's aliases
    const created = await call(base, 'POST', '/projects', {
      name: 'bench',
      repository_url: repo.url,
      config_path: 'config/',
      job_path: 'job/',
      github_token: '',
    });
    expect(created.status).toBe(200);
    const pid = created.body.project_id;
    expect(created.body).toMatchObject({
      name: 'bench',
      project_type: 'benchmark',
      repository_url: repo.url,
      github_repo_url: repo.url,
      config_folder: 'config',
      config_path: 'config',
      job_folder: 'job',
      job_path: 'job',
      has_github_token: false,
      last_sync: null,
      polling_interval: 0,
    });
    expect(created.body.created_at).toMatch(/Z$/);

    // sync: only config/<type>/*.json|yaml and job/<type>/*.yaml one level deep
    const s1 = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s1.status).toBe(200);
    expect(s1.body).toMatchObject({ status: 'success', synced_files: 4, new_files: 4, updated_files: 0, deleted_files: 0, project_id: pid });

    const list = await call(base, 'GET', `/projects/${pid}/files`);
    expect(list.status).toBe(200);
    expect(list.headers.get('x-total-count')).toBe('4');
    // lists leave content out (it is what made them heavy); include_content brings it back, in the same order
    expect(list.body.filter((f: any) => 'content' in f)).toEqual([]);
    const full = await call(base, 'GET', `/projects/${pid}/files?include_content=true`);
    expect(full.body.map(({ content: _c, ...rest }: any) => rest)).toEqual(list.body);
    expect((await call(base, 'GET', `/projects/${pid}/files?include_content=true&limit=101`)).body.detail[0].loc).toEqual(['query', 'limit']);
    const byPath = Object.fromEntries(full.body.map((f: any) => [f.file_path, f]));
    expect(Object.keys(byPath).sort()).toEqual([
      'config/evalchemy/evalchemy.json',
      'config/vllm-benchmark/vllm_benchmark.json',
      'job/evalchemy/evalchemy-job.yaml',
      'job/vllm-benchmark/vllm-benchmark-job.yaml',
    ]);
    const evalCfg = byPath['config/evalchemy/evalchemy.json'];
    expect(evalCfg).toMatchObject({
      source: 'original',
      file_type: 'config',
      benchmark_type: 'evalchemy',
      file_name: 'evalchemy.json',
      content: REPO_FILES['config/evalchemy/evalchemy.json'],
      project_id: pid,
    });
    expect(evalCfg.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(byPath['job/vllm-benchmark/vllm-benchmark-job.yaml']).toMatchObject({ file_type: 'job', benchmark_type: 'vllm-benchmark' });

    // filters
    const jobs = await call(base, 'GET', `/projects/${pid}/files?file_type=job`);
    expect(jobs.body.map((f: any) => f.file_type)).toEqual(['job', 'job']);
    const evalchemy = await call(base, 'GET', `/projects/${pid}/files?benchmark_type=evalchemy`);
    expect(evalchemy.body.map((f: any) => f.file_name).sort()).toEqual(['evalchemy-job.yaml', 'evalchemy.json']);
    const page = await call(base, 'GET', `/projects/${pid}/files?limit=1&offset=1`);
    expect(page.body).toHaveLength(1);
    expect(page.body[0].file_path).toBe(list.body[1].file_path);

    // project detail → {project, stats}
    const detail = await call(base, 'GET', `/projects/${pid}`);
    expect(detail.body.stats).toMatchObject({ total_original_files: 4, total_modified_files: 0, config_files: 2, job_files: 2 });
    expect(detail.body.project.last_sync).toMatch(/Z$/);
    expect(detail.body.project.last_commit).toMatch(/^[0-9a-f]{40}$/);

    // modify (seed shape): from an original, with a new name
    const small = JSON.stringify({ ...JSON.parse(evalCfg.content), version: '9.9' }, null, 2);
    const m1 = await call(base, 'POST', `/projects/${pid}/modified-files`, {
      original_file_id: evalCfg.file_id,
      modified_name: 'evalchemy-small.json',
      content: small,
    });
    expect(m1.status).toBe(200);
    expect(m1.body).toMatchObject({
      project_id: pid,
      modified: true,
      source: 'modified',
      file_type: 'config',
      file_path: 'config/evalchemy/evalchemy-small.json',
      original_file_id: evalCfg.file_id,
      benchmark_type: 'evalchemy',
      file_name: 'evalchemy-small.json',
    });
    // modify (earlier web client shape): same path as an original, which links it
    const jobOrig = byPath['job/evalchemy/evalchemy-job.yaml'];
    const m2 = await call(base, 'POST', `/projects/${pid}/modified-files`, {
      project_id: pid,
      modified: true,
      file_type: 'job',
      file_path: jobOrig.file_path,
      content: jobOrig.content.replace('MAX_TOKENS', 'MAX_NEW_TOKENS'),
    });
    expect(m2.status).toBe(200);
    expect(m2.body.original_file_id).toBe(jobOrig.file_id);

    const all = await call(base, 'GET', `/projects/${pid}/files`);
    expect(all.body.map((f: any) => f.source)).toEqual(['original', 'original', 'original', 'original', 'modified', 'modified']);
    // list entries (built by the database) have exactly the single-file shapes without content
    for (const entry of all.body) {
      const { content: _c, ...single } = (await call(base, 'GET', `/projects/${pid}/files/${entry.file_id}`)).body.file;
      expect(entry).toEqual(single);
    }
    // pages cross from originals to modified copies without losing or repeating an entry; past the end: [] and the total
    const pages = [];
    for (let offset = 0; offset < 6; offset += 4) pages.push(...(await call(base, 'GET', `/projects/${pid}/files?limit=4&offset=${offset}`)).body);
    expect(pages).toEqual(all.body);
    const mid = await call(base, 'GET', `/projects/${pid}/files?limit=2&offset=3`);
    expect(mid.body.map((f: any) => f.file_id)).toEqual(all.body.slice(3, 5).map((f: any) => f.file_id));
    const past = await call(base, 'GET', `/projects/${pid}/files?offset=50`);
    expect(past.body).toEqual([]);
    expect(past.headers.get('x-total-count')).toBe('6');
    expect((await call(base, 'GET', `/projects/nope/files?offset=50`)).status).toBe(404);
    // a project list entry is the project as GET /projects/{id} answers it
    const listed = (await call(base, 'GET', '/projects')).body.find((x: any) => x.project_id === pid);
    expect(listed).toEqual((await call(base, 'GET', `/projects/${pid}`)).body.project);
    const mods = await call(base, 'GET', `/projects/${pid}/modified-files`);
    expect(mods.body.map((f: any) => f.file_id).sort()).toEqual([m1.body.file_id, m2.body.file_id].sort());

    // single file: {file_type, file}
    const one = await call(base, 'GET', `/projects/${pid}/files/${m1.body.file_id}`);
    expect(one.body).toMatchObject({ file_type: 'modified', file: { file_id: m1.body.file_id, content: small } });
    const orig = await call(base, 'GET', `/projects/${pid}/files/${evalCfg.file_id}`);
    expect(orig.body).toMatchObject({ file_type: 'original', file: { file_id: evalCfg.file_id, benchmark_type: 'evalchemy' } });

    // rename
    const renamed = await call(base, 'PUT', `/modified-files/${m1.body.file_id}`, { modified_name: 'evalchemy-tiny.json' });
    expect(renamed.body).toMatchObject({ file_path: 'config/evalchemy/evalchemy-tiny.json', file_name: 'evalchemy-tiny.json', content: small });
    const moved = await call(base, 'PUT', `/modified-files/${m1.body.file_id}`, { file_path: 'config/custom/evalchemy-tiny.json' });
    expect(moved.body).toMatchObject({ benchmark_type: 'custom', original_file_id: evalCfg.file_id });

    // diff against the original
    const diff = await call(base, 'GET', `/projects/${pid}/files/${m1.body.file_id}/diff`);
    expect(diff.status).toBe(200);
    expect(diff.body.identical).toBe(false);
    expect(diff.body.diff).toContain('--- a/config/evalchemy/evalchemy.json');
    expect(diff.body.diff).toContain('+++ b/config/custom/evalchemy-tiny.json');
    expect(diff.body.diff).toMatch(/^-\s+"version": "1\.2",$/m);
    expect(diff.body.diff).toMatch(/^\+\s+"version": "9\.9",$/m);
    const diff2 = await call(base, 'GET', `/projects/${pid}/files/${m2.body.file_id}/diff`);
    expect(diff2.body.diff).toContain('-            - name: MAX_TOKENS');
    expect(diff2.body.diff).toContain('+            - name: MAX_NEW_TOKENS');

    // upstream change: one file changed, one removed, one added
    const ids = Object.fromEntries(list.body.map((f: any) => [f.file_path, f.file_id]));
    repo.commit({
      'config/evalchemy/evalchemy.json': REPO_FILES['config/evalchemy/evalchemy.json'].replace('"version": "1.2"', '"version": "1.3"'),
      'job/vllm-benchmark/vllm-benchmark-job.yaml': null,
      'config/custom-task/custom_task.json': '{"tasks": ["custom_task_1"]}\n',
    });
    const s2 = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s2.body).toMatchObject({ status: 'success', synced_files: 4, new_files: 1, updated_files: 1, deleted_files: 1 });
    const after = await call(base, 'GET', `/projects/${pid}/files?source=original&include_content=true`);
    const afterIds = Object.fromEntries(after.body.map((f: any) => [f.file_path, f.file_id]));
    expect(afterIds['config/evalchemy/evalchemy.json']).toBe(ids['config/evalchemy/evalchemy.json']);
    expect(afterIds['job/evalchemy/evalchemy-job.yaml']).toBe(ids['job/evalchemy/evalchemy-job.yaml']);
    expect(afterIds['config/vllm-benchmark/vllm_benchmark.json']).toBe(ids['config/vllm-benchmark/vllm_benchmark.json']);
    expect(afterIds['job/vllm-benchmark/vllm-benchmark-job.yaml']).toBeUndefined();
    expect(afterIds['config/custom-task/custom_task.json']).toBeDefined();
    expect(after.body.find((f: any) => f.file_path === 'config/evalchemy/evalchemy.json').content).toContain('"version": "1.3"');
    // modified copies untouched by the sync
    const modsAfter = await call(base, 'GET', `/projects/${pid}/modified-files?include_content=true`);
    expect(modsAfter.body.find((f: any) => f.file_id === m1.body.file_id).content).toBe(small);
    expect(modsAfter.body).toHaveLength(2);
    // a sync with nothing new changes nothing
    const s3 = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(s3.body).toMatchObject({ status: 'success', synced_files: 4, new_files: 0, updated_files: 0, deleted_files: 0 });

    // failed sync (unreachable repository): nothing changes, the error is recorded
    const before = await call(base, 'GET', `/projects/${pid}/files`);
    const lastSync = (await call(base, 'GET', `/projects/${pid}`)).body.project.last_sync;
    const upd = await call(base, 'PUT', `/projects/${pid}`, { repository_url: 'file:///nonexistent/benchops/repo.git' });
    expect(upd.status).toBe(200);
    const bad = await call(base, 'POST', `/projects/${pid}/sync`);
    expect(bad.status).toBe(200);
    expect(bad.body.status).toBe('error');
    expect(bad.body.message).toMatch(/^Sync failed: /);
    expect(bad.body.synced_files).toBe(0);
    const same = await call(base, 'GET', `/projects/${pid}/files`);
    expect(same.body).toEqual(before.body);
    const proj = (await call(base, 'GET', `/projects/${pid}`)).body.project;
    expect(proj.last_sync).toBe(lastSync);
    expect(proj.last_sync_status).toBe('error');
    expect(proj.last_sync_error).toMatch(/git (ls-remote|fetch) failed.*does not appear to be a git repository/);
    const runs = await call(base, 'GET', `/projects/${pid}/sync-runs`);
    expect(runs.body[0]).toMatchObject({ status: 'error', trigger: 'manual' });
    expect(runs.body.filter((r: any) => r.status === 'success')).toHaveLength(3);

    // reset deletes every modified copy, originals stay
    const reset = await call(base, 'DELETE', `/projects/${pid}/modified-files`);
    expect(reset.body.message).toBe('Reset completed. Deleted 2 modified files.');
    expect((await call(base, 'GET', `/projects/${pid}/modified-files`)).body).toEqual([]);
    expect((await call(base, 'GET', `/projects/${pid}/files`)).body).toHaveLength(4);

    // delete cascades to files and copies
    const m3 = await call(base, 'POST', `/projects/${pid}/modified-files`, { original_file_id: evalCfg.file_id, content: '{}' });
    expect(m3.status).toBe(200);
    expect((await call(base, 'DELETE', `/projects/${pid}`)).body).toEqual({ message: 'Project deleted successfully' });
    expect((await call(base, 'GET', `/projects/${pid}`)).status).toBe(404);
    expect((await call(base, 'GET', `/projects/${pid}/files`)).status).toBe(404);
    expect((await call(base, 'GET', `/modified-files/${m3.body.file_id}`)).status).toBe(404);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/benchops_manager_syncs_total\{trigger="manual",status="success"\} [3-9]/);
    expect(metrics).toMatch(/benchops_manager_syncs_total\{trigger="manual",status="error"\} [1-9]/);
    const status = await call(base, 'GET', '/status');
    expect(status.body).toMatchObject({ total_projects: 0, total_files: 0, total_modified_files: 0 });
  });

  it('a project without a repository: its sync keeps the earlier 200 shape but the failure is visible everywhere; polling it is refused', async () => {
    const none = (await call(base, 'POST', '/projects', { name: 'no-repo' })).body;
    expect(none).toMatchObject({ repository_url: '', last_sync: null, last_sync_status: null });
    const s = await call(base, 'POST', `/projects/${none.project_id}/sync`);
    // the earlier web client reads this answer (HTTP 200, status, synced_files)
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ status: 'error', synced_files: 0, project_id: none.project_id, message: 'Sync failed: The project has no repository URL' });
    // …and the failure stays on the project, in the list and the detail alike, and in its sync history
    const listed = (await call(base, 'GET', '/projects')).body.find((x: any) => x.project_id === none.project_id);
    expect(listed).toMatchObject({ last_sync: null, last_sync_status: 'error', last_sync_error: 'The project has no repository URL' });
    expect((await call(base, 'GET', `/projects/${none.project_id}`)).body.project).toEqual(listed);
    expect((await call(base, 'GET', `/projects/${none.project_id}/sync-runs`)).body[0]).toMatchObject({ status: 'error', message: 'The project has no repository URL' });
    // sync-all (no earlier client reads it): one entry per project, this one an error, the others unaffected
    const r = makeRepo({ 'config/a/one.json': '{}\n' });
    try {
      const good = (await call(base, 'POST', '/projects', { name: 'has-repo', github_repo_url: r.url, polling_interval: 3600 })).body;
      const all = await call(base, 'POST', '/projects/sync-all');
      expect(all.status).toBe(200);
      const by = Object.fromEntries(all.body.map((x: any) => [x.project_id, x]));
      expect(by[none.project_id]).toMatchObject({ status: 'error', message: /no repository URL/ });
      expect(by[good.project_id]).toMatchObject({ status: 'success', synced_files: 1 });
      // polling a project that has no repository would fail every interval: refused where it is asked for
      const polled = await call(base, 'POST', '/projects', { name: 'polled', polling_interval: 60 });
      expect(polled.status).toBe(422);
      expect(polled.body.detail[0].loc).toEqual(['body', 'polling_interval']);
      expect((await call(base, 'PUT', `/projects/${none.project_id}`, { polling_interval: 60 })).body.detail[0].loc).toEqual(['body', 'polling_interval']);
      const cleared = await call(base, 'PUT', `/projects/${good.project_id}`, { repository_url: '' });
      expect(cleared.status).toBe(422);
      expect(cleared.body.detail[0].loc).toEqual(['body', 'repository_url']);
      expect((await call(base, 'PUT', `/projects/${good.project_id}`, { repository_url: '', polling_interval: 0 })).status).toBe(200);
      await call(base, 'DELETE', `/projects/${good.project_id}`);
    } finally {
      r.cleanup();
      await call(base, 'DELETE', `/projects/${none.project_id}`);
    }
  });

  it('never serves a cached file list after a change, whatever made it (a direct SQL write and a cascade included)', async () => {
    const r = makeRepo({ 'config/a/one.json': '{}\n', 'job/a/j.yaml': 'kind: Job\n' });
    try {
      const pid = (await call(base, 'POST', '/projects', { name: 'cache', github_repo_url: r.url })).body.project_id;
      const paths = async (q = '') => (await call(base, 'GET', `/projects/${pid}/files${q}`)).body.map((f: any) => `${f.source}:${f.file_path}`);
      expect(await paths()).toEqual([]);
      await call(base, 'POST', `/projects/${pid}/sync`);
      expect(await paths()).toEqual(['original:config/a/one.json', 'original:job/a/j.yaml']);
      expect(await paths()).toEqual(['original:config/a/one.json', 'original:job/a/j.yaml']); // served again (cached)
      const m = (await call(base, 'POST', `/projects/${pid}/modified-files`, { file_path: 'config/a/two.json', content: '{}' })).body;
      expect(await paths()).toContain('modified:config/a/two.json');
      await call(base, 'PUT', `/modified-files/${m.file_id}`, { file_path: 'config/b/two.json' });
      expect(await paths('?source=modified')).toEqual(['modified:config/b/two.json']);
      await call(base, 'DELETE', `/modified-files/${m.file_id}`);
      expect(await paths('?source=modified')).toEqual([]);
      r.commit({ 'job/a/j.yaml': null, 'job/a/k.yaml': 'kind: Job\n' });
      await call(base, 'POST', `/projects/${pid}/sync`);
      expect(await paths('?file_type=job')).toEqual(['original:job/a/k.yaml']);
      // a write no route made (an operator's SQL, another replica) is seen too: the version is bumped by a trigger
      await p.ctx.db.execute(sql`UPDATE manager_files SET file_path = 'job/a/renamed.yaml' WHERE project_id = ${pid} AND file_path = 'job/a/k.yaml'`);
      expect(await paths('?file_type=job')).toEqual(['original:job/a/renamed.yaml']);
      // the projects list likewise: a change by SQL shows; a statement that changed nothing does not invalidate it
      const names = async () => (await call(base, 'GET', '/projects')).body.map((x: any) => x.name);
      expect(await names()).toContain('cache');
      await p.ctx.db.execute(sql`UPDATE manager_projects SET name = 'renamed-by-sql' WHERE id = ${pid}`);
      expect(await names()).toContain('renamed-by-sql');
      const version = async () => ((await p.ctx.db.execute(sql`SELECT version FROM manager_list_versions WHERE name = 'projects'`)) as any).rows[0].version;
      const v0 = Number(await version());
      await p.ctx.db.execute(sql`UPDATE manager_projects SET name = 'x' WHERE false`);
      expect(Number(await version())).toBe(v0);
      await call(base, 'DELETE', `/projects/${pid}/modified-files`);
      await call(base, 'DELETE', `/projects/${pid}`);
      expect(Number(await version())).toBeGreaterThan(v0);
      expect(await names()).not.toContain('renamed-by-sql');
      expect((await call(base, 'GET', `/projects/${pid}/files`)).status).toBe(404);
    } finally {
      r.cleanup();
    }
  });

  it('syncs over git:// from a git daemon, on an explicit branch', async () => {
    const r = makeRepo({ 'config/a/x.yaml': 'k: v\n', 'job/a/j.yml': 'kind: Job\n' }, { root: path.dirname(path.dirname(repo.dir)) });
    r.commit({ 'config/a/only-on-dev.json': '{}', 'config/a/huge.json': `[${'1,'.repeat(3_000_000)}1]` }, 'dev');
    const created = await call(base, 'POST', '/projects', { name: 'daemon', github_repo_url: daemon.urlOf(r.bareDir), branch: 'main' });
    expect(created.status).toBe(200);
    expect(created.body.branch).toBe('main');
    const s = await call(base, 'POST', `/projects/${created.body.project_id}/sync`);
    expect(s.body).toMatchObject({ status: 'success', synced_files: 3 });
    expect(s.body.message).toMatch(/skipped 1 files over 5 MiB: config\/a\/huge\.json/);
    const files = await call(base, 'GET', `/projects/${created.body.project_id}/files`);
    expect(files.body.map((f: any) => [f.file_path, f.file_type])).toEqual([
      ['config/a/only-on-dev.json', 'config'],
      ['config/a/x.yaml', 'config'],
      ['job/a/j.yml', 'job'],
    ]);
    // a branch that does not exist fails cleanly
    await call(base, 'PUT', `/projects/${created.body.project_id}`, { branch: 'nope' });
    const bad = await call(base, 'POST', `/projects/${created.body.project_id}/sync`);
    expect(bad.body.status).toBe('error');
    expect((await call(base, 'GET', `/projects/${created.body.project_id}/files`)).body).toHaveLength(3);
  });

  it('syncs vllm projects (custom-values*.yaml under vllm_values_path) and sync-all', async () => {
    const r = makeRepo({
      'vllm/custom-values-qwen3-8b.yaml': fixture('vllm-manifests/vllm/custom-values-qwen3-8b.yaml'),
      'vllm/custom-values-bge.yaml': fixture('vllm-manifests/vllm/custom-values-bge.yaml'),
      'vllm/charts/vllm/values.yaml': fixture('vllm-manifests/vllm/charts/vllm/values.yaml'),
      'vllm/other.yaml': 'a: 1\n',
    });
    try {
      const created = await call(base, 'POST', '/projects', { name: 'models', project_type: 'vllm', repository_url: r.url, vllm_values_path: 'vllm/' });
      const all = await call(base, 'POST', '/projects/sync-all');
      expect(all.status).toBe(200);
      const mine = all.body.find((x: any) => x.project_id === created.body.project_id);
      expect(mine).toMatchObject({ status: 'success', synced_files: 2 });
      const files = await call(base, 'GET', `/projects/${created.body.project_id}/files?file_type=vllm`);
      expect(files.body.map((f: any) => f.file_name).sort()).toEqual(['custom-values-bge.yaml', 'custom-values-qwen3-8b.yaml']);
      expect(files.body[0].benchmark_type).toBe('vllm');
    } finally {
      r.cleanup();
    }
  });
});

describe('embedded start (PGlite, background work on)', () => {
  let p: TestPlatform;
  let base: string;
  beforeAll(async () => {
    p = await startTestPlatform({ kind: 'pglite', services: ['manager'], env: { BENCHOPS_DEMO: '1', BENCHOPS_POLL_TICK_SECONDS: '0.05' } });
    base = p.urls.manager!;
  });
  afterAll(async () => {
    await p?.close();
  });

  it('registers and syncs the demo project on first start from a clean data folder', async () => {
    const projects = await call(base, 'GET', '/projects');
    expect(projects.body).toHaveLength(1);
    expect(projects.body[0]).toMatchObject({ name: 'demo', last_sync_status: 'success' });
    expect(projects.body[0].repository_url).toMatch(/^file:\/\/.*demo-repo$/);
    const files = await call(base, 'GET', `/projects/${projects.body[0].project_id}/files?include_content=true`);
    const paths = files.body.map((f: any) => f.file_path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'config/evalchemy/evalchemy.json',
        'job/evalchemy/evalchemy-job.yaml',
        'config/vllm-benchmark/benchops-perf.json',
        'job/vllm-benchmark/benchops-perf-job.yaml',
        'config/custom-task/custom_task.json',
        'job/custom-task/benchops-task-eval-job.yaml',
      ]),
    );
    expect(paths.some((x: string) => x.startsWith('datasets/'))).toBe(false);
    expect(files.body.find((f: any) => f.file_path === 'config/evalchemy/evalchemy.json').content).toBe(fixture('vllm-eval/configs/evalchemy.json'));
    // a second start of the module does not register it again
    await (p.modules.get('manager') as any).ensureDemo();
    expect((await call(base, 'GET', '/projects')).body).toHaveLength(1);
  });

  it('syncs a polled project in the background', async () => {
    const repo = makeRepo({ 'config/a/c.json': '{}' });
    try {
      const created = await call(base, 'POST', '/projects', { name: 'polled', github_repo_url: repo.url, polling_interval: 60 });
      let runs: any[] = [];
      for (let i = 0; i < 200 && !runs.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        runs = (await call(base, 'GET', `/projects/${created.body.project_id}/sync-runs`)).body;
      }
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ trigger: 'poll', status: 'success', synced_files: 1 });
      const detail = (await call(base, 'GET', `/projects/${created.body.project_id}`)).body;
      expect(Date.parse(detail.project.next_sync_at)).toBeGreaterThan(Date.now() + 50_000);
    } finally {
      repo.cleanup();
    }
  });
});
