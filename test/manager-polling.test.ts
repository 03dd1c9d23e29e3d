/**
 * Background polling: a project with polling_interval > 0 is synced in the background; two manager instances on one
 * PostgreSQL sync it once per interval between them (never both), without duplicate rows. (PGlite polling: manager-flows.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from './helpers/db.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { call } from './helpers/http.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INTERVAL_S = 1;

describe('manager polling with two instances on one PostgreSQL', () => {
  let a: TestPlatform;
  let b: TestPlatform;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = makeRepo({ 'config/a/c.json': '{}', 'job/a/j.yaml': 'kind: Job\n' });
    const url = await createPgDatabase();
    const env = { DATABASE_URL: url, BENCHOPS_POLL_TICK_SECONDS: '0.05', BENCHOPS_SECRET_KEY: 'a'.repeat(64) };
    a = await startTestPlatform({ kind: 'postgres', services: ['manager'], env });
    b = await startTestPlatform({ kind: 'postgres', services: ['manager'], env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    repo?.cleanup();
  });

  it('syncs each interval once, on one instance at a time, with no duplicate rows', async () => {
    const created = await call(a.urls.manager!, 'POST', '/projects', { name: 'polled', github_repo_url: repo.url, polling_interval: INTERVAL_S });
    const pid = created.body.project_id;
    const windowMs = 4500;
    const t0 = Date.now();
    // an upstream change in the middle is picked up by whichever instance polls next
    await sleep(windowMs / 2);
    repo.commit({ 'config/a/d.json': '{"d": 1}' });
    await sleep(windowMs / 2);
    const runs = (await call(b.urls.manager!, 'GET', `/projects/${pid}/sync-runs?limit=100`)).body as any[];
    const polled = runs.filter((r) => r.trigger === 'poll').sort((x, y) => Date.parse(x.started_at) - Date.parse(y.started_at));
    // at most one sync per interval: ~windowMs / interval starts, never more
    expect(polled.length).toBeGreaterThanOrEqual(2);
    expect(polled.length).toBeLessThanOrEqual(Math.floor(windowMs / (INTERVAL_S * 1000)) + 1);
    for (let i = 1; i < polled.length; i++) {
      const gap = Date.parse(polled[i].started_at) - Date.parse(polled[i - 1].finished_at);
      expect(gap).toBeGreaterThanOrEqual(INTERVAL_S * 1000 - 50);
    }
    expect(polled.every((r) => r.status === 'success')).toBe(true);
    expect(Date.parse(polled[0].started_at)).toBeGreaterThanOrEqual(t0 - 1000);
    const files = (await call(a.urls.manager!, 'GET', `/projects/${pid}/files`)).body;
    expect(files.map((f: any) => f.file_path)).toEqual(['config/a/c.json', 'config/a/d.json', 'job/a/j.yaml']);
    // manual syncs racing on both instances: serialised, no duplicates
    const [x, y] = await Promise.all([
      call(a.urls.manager!, 'POST', `/projects/${pid}/sync`),
      call(b.urls.manager!, 'POST', `/projects/${pid}/sync`),
    ]);
    expect([x.body.status, y.body.status]).toEqual(['success', 'success']);
    expect((await call(b.urls.manager!, 'GET', `/projects/${pid}/files`)).body).toHaveLength(3);
    // polling off: no more background syncs
    await call(a.urls.manager!, 'PUT', `/projects/${pid}`, { polling_interval: 0 });
    await sleep(700); // a sync claimed just before the update may still finish
    const n = (await call(a.urls.manager!, 'GET', `/projects/${pid}/sync-runs?limit=100`)).body.length;
    await sleep(INTERVAL_S * 1000 + 300);
    expect((await call(a.urls.manager!, 'GET', `/projects/${pid}/sync-runs?limit=100`)).body.length).toBe(n);
  });

  it('lets only one of two racing claims win a due project', async () => {
    const created = await call(a.urls.manager!, 'POST', '/projects', { name: 'race', github_repo_url: repo.url, polling_interval: 3600 });
    const pid = created.body.project_id;
    // stop background polling and make the project due, then claim from both instances at once
    const ma = a.modules.get('manager') as any;
    const mb = b.modules.get('manager') as any;
    await ma.poller.stop();
    await mb.poller.stop();
    await a.ctx.db.execute(`UPDATE manager_projects SET next_sync_at = now() - interval '1 second', lease_until = NULL WHERE id = '${pid}'` as any);
    const claims = await Promise.all([ma.poller.claimDue(), mb.poller.claimDue(), ma.poller.claimDue(), mb.poller.claimDue()]);
    expect(claims.filter((c: string | null) => c === pid)).toHaveLength(1);
  });

  it('runs many concurrent syncs of different projects without starving the connection pool', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 14; i++) {
      ids.push((await call(a.urls.manager!, 'POST', '/projects', { name: `many-${i}`, github_repo_url: repo.url })).body.project_id);
    }
    const results = await Promise.race([
      Promise.all(ids.map((id) => call(a.urls.manager!, 'POST', `/projects/${id}/sync`))),
      sleep(40_000).then(() => null),
    ]);
    expect(results, 'syncs stalled').not.toBeNull();
    expect(results!.map((r) => r.body.status)).toEqual(ids.map(() => 'success'));
  });
});

describe('sync run retention', () => {
  it('keeps the newest 100 runs of a project, so polling does not grow the table forever', async () => {
    const repo = makeRepo({ 'config/a/c.json': '{}' });
    const p = await startTestPlatform({ kind: 'pglite', services: ['manager'], background: false });
    try {
      const base = p.urls.manager!;
      const id = (await call(base, 'POST', '/projects', { name: 'kept', github_repo_url: repo.url })).body.project_id;
      // 120 old runs, as months of polling would leave
      for (let i = 0; i < 120; i++) {
        await p.ctx.db.execute(
          `INSERT INTO manager_sync_runs (id, project_id, trigger, instance, status, started_at) VALUES ('old-${i}', '${id}', 'poll', 'x', 'success', now() - interval '${i + 1} hours')` as any,
        );
      }
      expect((await call(base, 'POST', `/projects/${id}/sync`)).body.status).toBe('success');
      const runs = await call(base, 'GET', `/projects/${id}/sync-runs?limit=1000`);
      expect(runs.body).toHaveLength(100);
      expect(runs.body[0].trigger).toBe('manual');
      // the oldest went first
      expect(runs.body.map((r: any) => r.id ?? r.run_id)).not.toContain('old-119');
      expect(runs.body.map((r: any) => r.id ?? r.run_id)).toContain('old-0');
    } finally {
      await p.close();
      repo.cleanup();
    }
  });
});
