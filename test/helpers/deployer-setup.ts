/** Deployer test setup: the real manager with a synced git project, the deployer, HTTP helpers. */
import type { DbKind } from './db.ts';
import { makeRepo, type TestRepo } from './git.ts';
import { call } from './http.ts';
import { startTestPlatform, type TestPlatform } from './platform.ts';

export { FIXTURES as FIX, fixture } from './fixtures.ts';
export { call, type Res } from './http.ts';

export interface DeployerEnv {
  p: TestPlatform;
  base: string;
  repo: TestRepo;
  projectId: string;
  /** file_path → file_id */
  ids: Record<string, string>;
  close(): Promise<void>;
}

/** Starts manager + deployer, creates a project on a real git repo holding `files`, syncs it. */
export async function startDeployer(
  kind: DbKind,
  files: Record<string, string>,
  env: Record<string, string> = {},
  opts: { dataDir?: string; token?: string; gateway?: boolean; withResults?: boolean } = {},
): Promise<DeployerEnv> {
  const p = await startTestPlatform({
    kind,
    services: opts.withResults ? ['results', 'manager', 'deployer'] : ['manager', 'deployer'],
    gateway: opts.gateway,
    env: { BENCHOPS_POLL_TICK_SECONDS: '0.2', BENCHOPS_NAMESPACE: 'bench-ns', ...(opts.dataDir ? { BENCHOPS_DATA_DIR: opts.dataDir } : {}), ...env },
  });
  const repo = makeRepo(files);
  const m = p.urls.manager!;
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const created = await call(m, 'POST', '/projects', { name: 'deployer-test', repository_url: repo.url, config_path: 'config', job_path: 'job' }, auth);
  if (created.status !== 200) throw new Error(`project create failed: ${JSON.stringify(created.body)}`);
  const projectId = created.body.project_id;
  const s = await call(m, 'POST', `/projects/${projectId}/sync`, undefined, auth);
  if (s.status !== 200 || s.body.status !== 'success') throw new Error(`sync failed: ${JSON.stringify(s.body)}`);
  const list = await call(m, 'GET', `/projects/${projectId}/files?limit=1000`, undefined, auth);
  const ids = Object.fromEntries(list.body.map((f: any) => [f.file_path, f.file_id]));
  return {
    p,
    base: p.urls.deployer!,
    repo,
    projectId,
    ids,
    close: async () => {
      await p.close();
      repo.cleanup();
    },
  };
}

/** Polls `fn` until it returns a truthy value (or throws after `ms`). */
export async function until<T>(fn: () => Promise<T | undefined | false | null>, ms = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
