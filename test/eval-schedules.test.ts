/**
 * Recurring evaluations with two evaluation services (two platforms, separate connection pools, as two replicas) on
 * one PostgreSQL: a schedule ticking every second fires each tick once (no tick twice, whichever replica saw it);
 * ticks missed during downtime collapse into one catch-up evaluation; pause, resume and delete; a schedule that
 * names only a model says why a tick fired nothing.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedules } from '../src/services/eval/schema.ts';
import { freePort, templateProject } from './eval-fixtures.ts';
import { createPgDatabase } from './helpers/db.ts';
import { until } from './helpers/deployer-setup.ts';
import type { TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('evaluation schedules on two replicas (postgres)', () => {
  let a: TestPlatform;
  let b: TestPlatform;
  let repo: TestRepo;
  let projectId: string;
  let engine: string;

  beforeAll(async () => {
    const url = await createPgDatabase();
    const env = { DATABASE_URL: url, BENCHOPS_POLL_TICK_SECONDS: '0.2', BENCHOPS_EVAL_MIN_INTERVAL_SECONDS: '1' };
    a = await startTestPlatform({ kind: 'pglite', services: ['manager', 'eval'], env });
    b = await startTestPlatform({ kind: 'pglite', services: ['manager', 'eval'], env });
    expect(a.ctx.database.kind).toBe('postgres');
    ({ projectId, repo } = await templateProject(a));
    // nothing listens there: the evaluations a tick creates wait (and are not what this test is about)
    engine = `http://127.0.0.1:${await freePort()}`;
  }, 120_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    repo?.cleanup();
  });

  const body = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    cron: '* * * * * *',
    model_name: 'sched-model',
    inference_engine_url: engine,
    template: `${projectId}:job/evaluation/eval-job.yaml`,
    overrides: { team: 'nightly' },
    ...extra,
  });
  const evaluationsOf = async (id: string) => (await call(a.urls.eval!, 'GET', `/evaluations?schedule_id=${id}&limit=1000`)).body as any[];
  const firedLines = (p: TestPlatform, id: string) => p.logs().split('\n').filter((l) => l.includes('eval schedule fired') && l.includes(id) && l.includes('"evaluation"')).length;

  it('fires every tick once with two replicas claiming', async () => {
    const created = await call(a.urls.eval!, 'POST', '/schedules', body('every-second'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    expect(created.body.next_run_at).toBeTruthy();
    // either replica answers for it (one database)
    expect((await call(b.urls.eval!, 'GET', `/schedules/${id}`)).body.name).toBe('every-second');
    await until(async () => (await evaluationsOf(id)).length >= 4, 60_000, 'four ticks');
    const paused = await call(b.urls.eval!, 'POST', `/schedules/${id}/pause`);
    expect(paused.body.paused).toBe(true);
    expect(paused.body.next_run_at).toBeNull();
    await sleep(500); // a tick already claimed before the pause finishes
    const evs = await evaluationsOf(id);
    const ticks = evs.map((e) => e.scheduled_for);
    expect(new Set(ticks).size).toBe(evs.length);
    // every fire was one replica's: the log lines of both add up to the evaluations, none fired a tick twice
    expect(firedLines(a, id) + firedLines(b, id)).toBe(evs.length);
    expect((await call(a.urls.eval!, 'GET', `/schedules/${id}`)).body.fired).toBe(evs.length);
    // ticks are whole seconds, one per second (the cron's), each evaluation made from the schedule
    for (const t of ticks) expect(t).toMatch(/:\d\d\.000Z$/);
    for (const e of evs) {
      expect(e.model_name).toBe('sched-model');
      expect(e.source).toMatchObject({ kind: 'schedule', schedule_id: id });
      expect(e.overrides).toEqual({ team: 'nightly' });
    }
    // paused: no more ticks
    const n = evs.length;
    await sleep(1500);
    expect((await evaluationsOf(id)).length).toBe(n);
    // resumed from now: ticks missed while paused are not fired
    const resumed = await call(a.urls.eval!, 'POST', `/schedules/${id}/resume`);
    expect(resumed.body.paused).toBe(false);
    expect(Date.parse(resumed.body.next_run_at)).toBeGreaterThan(Date.now() - 1000);
    await until(async () => (await evaluationsOf(id)).length > n, 30_000, 'a tick after resume');
    const after = await evaluationsOf(id);
    const pausedAt = Date.parse(paused.body.updated_at);
    const resumedAt = Date.parse(resumed.body.updated_at);
    expect(after.filter((e) => Date.parse(e.scheduled_for) > pausedAt && Date.parse(e.scheduled_for) < resumedAt - 1000)).toEqual([]);
    // deleted: gone from both replicas, its evaluations stay
    expect((await call(a.urls.eval!, 'DELETE', `/schedules/${id}`)).status).toBe(200);
    expect((await call(b.urls.eval!, 'GET', `/schedules/${id}`)).status).toBe(404);
    expect((await call(b.urls.eval!, 'DELETE', `/schedules/${id}`)).status).toBe(404);
    expect((await evaluationsOf(id)).length).toBeGreaterThan(n);
    for (const e of await evaluationsOf(id)) await call(a.urls.eval!, 'POST', `/evaluations/${e.id}/cancel`);
  }, 120_000);

  it('collapses ticks missed during downtime into one catch-up evaluation', async () => {
    const created = await call(a.urls.eval!, 'POST', '/schedules', body('hourly', { cron: '0 0 * * * *', paused: true }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    // as if the service had been down for three hourly ticks: the stored next tick is three hours old
    const missed = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
    await a.ctx.db.update(schedules).set({ paused: false, nextRunAt: missed }).where(eq(schedules.id, id));
    const evs = await until(async () => {
      const x = await evaluationsOf(id);
      return x.length ? x : null;
    }, 30_000, 'the catch-up');
    await sleep(1500); // several ticks of both replicas
    const all = await evaluationsOf(id);
    expect(all).toHaveLength(1);
    expect(all[0].id).toBe(evs[0].id);
    expect(all[0].scheduled_for).toBe(missed.toISOString());
    const s = (await call(b.urls.eval!, 'GET', `/schedules/${id}`)).body;
    expect(s.fired).toBe(1);
    // the next tick is the next full hour from now, not one of the missed ones
    expect(Date.parse(s.next_run_at)).toBeGreaterThan(Date.now());
    expect(Date.parse(s.next_run_at) % 3_600_000).toBe(0);
    await call(a.urls.eval!, 'POST', `/evaluations/${all[0].id}/cancel`);
    await call(a.urls.eval!, 'DELETE', `/schedules/${id}`);
  }, 60_000);

  it('a schedule naming only a model says why a tick fired nothing, and moves on', async () => {
    const created = await call(a.urls.eval!, 'POST', '/schedules', body('model-only', { inference_engine_url: undefined, model_name: 'nobody-serves-me' }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.inference_engine_url).toBeNull();
    const id = created.body.id;
    const s = await until(async () => {
      const x = (await call(a.urls.eval!, 'GET', `/schedules/${id}`)).body;
      return x.last_error ? x : null;
    }, 30_000, 'a tick');
    // no vLLM service in these processes and no BENCHOPS_VLLM_URL: the reason is said, nothing is fired
    expect(s.last_error).toMatch(/nobody-serves-me/);
    expect(s.fired).toBe(0);
    expect(Date.parse(s.next_run_at)).toBeGreaterThan(Date.parse(s.last_run_at) - 1000);
    expect(await evaluationsOf(id)).toEqual([]);
    expect((await call(a.urls.eval!, 'POST', '/schedules', body('model-only'))).status).toBe(409);
    await call(a.urls.eval!, 'DELETE', `/schedules/${id}`);
  }, 60_000);
});
