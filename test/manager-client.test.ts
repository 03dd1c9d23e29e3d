/**
 * ManagerApi: the in-process module and the HTTP client (direct and through the gateway prefix) give the same answers;
 * managerApi(ctx) picks the local module, else BENCHOPS_MANAGER_URL, else fails clearly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config.ts';
import type { ManagerApi } from '../src/services/manager/api.ts';
import { managerApi, ManagerHttpClient } from '../src/services/manager/client.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

describe('ManagerApi implementations', () => {
  let p: TestPlatform;
  let repo: TestRepo;
  let pid: string;

  beforeAll(async () => {
    repo = makeRepo({ 'config/perf/a.json': '{"a": 1}', 'job/perf/j.yaml': 'kind: Job\n', 'job/eval/e.yaml': 'kind: Job\n' });
    p = await startTestPlatform({ kind: 'pglite', services: ['manager'], gateway: true, background: false });
    const local = p.modules.get('manager') as any;
    const created = await local.service.createProject({ name: 'api', github_repo_url: repo.url });
    pid = created.id;
    expect((await local.syncer.sync(pid)).status).toBe('success');
    await local.service.createModified(pid, { file_path: 'job/perf/j2.yaml', content: 'kind: Job\nmetadata: {name: x}\n' });
  });
  afterAll(async () => {
    await p?.close();
    repo?.cleanup();
  });

  const impls = (): [string, ManagerApi][] => [
    ['in-process', managerApi(p.ctx)],
    ['http', new ManagerHttpClient(p.urls.manager!)],
    ['http via gateway', new ManagerHttpClient(`${p.urls.gateway}/api/manager`)],
  ];

  it('answers the same through every implementation', async () => {
    const results = [];
    for (const [name, api] of impls()) {
      const project = await api.getProject(pid);
      const files = await api.listFiles(pid);
      const perfJobs = await api.listFiles(pid, { file_type: 'job', benchmark_type: 'perf' });
      const one = await api.getFile(pid, perfJobs[0].file_id);
      results.push({ name, project, files, perfJobs, one });
    }
    const [first, ...rest] = results;
    expect(first.project).toEqual({ project_id: pid, name: 'api', project_type: 'benchmark' });
    expect(first.files.map((f) => [f.source, f.file_path])).toEqual([
      ['original', 'config/perf/a.json'],
      ['original', 'job/eval/e.yaml'],
      ['original', 'job/perf/j.yaml'],
      ['modified', 'job/perf/j2.yaml'],
    ]);
    expect(first.perfJobs.map((f) => f.file_path)).toEqual(['job/perf/j.yaml', 'job/perf/j2.yaml']);
    expect(first.one).toMatchObject({ file_path: 'job/perf/j.yaml', content: 'kind: Job\n', benchmark_type: 'perf', source: 'original' });
    for (const r of rest) {
      expect(r.project, r.name).toEqual(first.project);
      expect(r.files, r.name).toEqual(first.files);
      expect(r.perfJobs, r.name).toEqual(first.perfJobs);
      expect(r.one, r.name).toEqual(first.one);
    }
  });

  it('throws 404 AppErrors for unknown projects and files of another project', async () => {
    for (const [name, api] of impls()) {
      await expect(api.getProject('nope'), name).rejects.toMatchObject({ status: 404 });
      await expect(api.listFiles('nope'), name).rejects.toMatchObject({ status: 404 });
      await expect(api.getFile(pid, 'nope'), name).rejects.toMatchObject({ status: 404 });
    }
  });

  it('resolves to HTTP when the manager runs elsewhere, and fails clearly when it is nowhere', async () => {
    const config = loadConfig({ BENCHOPS_MANAGER_URL: p.urls.manager! });
    const api = managerApi({ local: new Map(), config });
    expect(api).toBeInstanceOf(ManagerHttpClient);
    expect((await api.getProject(pid)).name).toBe('api');
    expect(() => managerApi({ local: new Map(), config: loadConfig({}) })).toThrow(/BENCHOPS_MANAGER_URL/);
    await expect(new ManagerHttpClient('http://127.0.0.1:1').getProject(pid)).rejects.toMatchObject({ status: 503 });
  });
});
