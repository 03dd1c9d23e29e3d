/**
 * What happens to an evaluation's job (embedded, real deployer with the local executor, real runner, emulated
 * engine): a job that fails fails the evaluation with the deployer's reason; cancelling a running evaluation deletes
 * its job; two evaluation services racing for claims on one PostgreSQL never take the same evaluation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/core/db/client.ts';
import { EvalRepository } from '../src/services/eval/repository.ts';
import type { EmulatedServer } from '../src/simulator/server.ts';
import { startEmulatedServer } from '../src/simulator/server.ts';
import { TEMPLATE_FILES, templateProject } from './eval-fixtures.ts';
import { freshDatabase } from './helpers/db.ts';
import { until } from './helpers/deployer-setup.ts';
import type { TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

describe('evaluation jobs (pglite)', () => {
  let p: TestPlatform;
  let repo: TestRepo;
  let projectId: string;
  let slow: EmulatedServer;

  beforeAll(async () => {
    p = await startTestPlatform({ kind: 'pglite', services: ['results', 'manager', 'deployer', 'eval'], env: { BENCHOPS_POLL_TICK_SECONDS: '0.2' } });
    // a config the runner refuses (unknown mode): the job stops with a configuration error
    ({ projectId, repo } = await templateProject(p, { ...TEMPLATE_FILES, 'config/evaluation/broken.json': '{"mode": "nonsense"}' }));
    // slow answers keep the job running long enough to cancel it
    slow = await startEmulatedServer({ profile: { ttft_ms: 4000, itl_ms: 50 }, served_model_name: 'slow-model' });
  }, 120_000);

  afterAll(async () => {
    await p?.close();
    await slow?.close();
    repo?.cleanup();
  });

  const finished = (id: string) =>
    until(async () => {
      const e = (await call(p.urls.eval!, 'GET', `/evaluations/${id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(e.status) ? e : null;
    }, 120_000, 'the evaluation to finish');

  it('fails with the reason when the job fails', async () => {
    const r = await call(p.urls.eval!, 'POST', '/evaluate', { model_name: 'slow-model', inference_engine_url: slow.url, template: `${projectId}:job/evaluation/eval-job.yaml:config/evaluation/broken.json`, overrides: { team: 'x' } });
    expect(r.status).toBe(200);
    const e = await finished(r.body.id);
    expect(e.status, JSON.stringify(e)).toBe('failed');
    expect(e.error).toMatch(/^the job failed: /);
    expect(e.deployment.deployment_id).toBeTruthy();
    expect(e.result_pks).toEqual([]);
    const dep = (await call(p.urls.deployer!, 'GET', `/deployments/${e.deployment.deployment_id}`)).body;
    expect(dep.status).toBe('failed');
    expect(e.history.map((h: any) => h.status)).toContain('submitted');
  }, 150_000);

  it('runs a failed job again as often as `retries` allows, then fails', async () => {
    const r = await call(p.urls.eval!, 'POST', '/evaluate', {
      model_name: 'slow-model',
      inference_engine_url: slow.url,
      template: `${projectId}:job/evaluation/eval-job.yaml:config/evaluation/broken.json`,
      overrides: { team: 'x' },
      retries: 1,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.evaluation.retries).toEqual({ allowed: 1, used: 0 });
    const e = await finished(r.body.id);
    expect(e.status).toBe('failed');
    expect(e.history.map((h: any) => h.status).filter((s: string) => s !== 'running'), JSON.stringify(e)).toEqual(['waiting', 'submitted', 'waiting', 'submitted', 'failed']);
    expect(e.history.map((h: any) => h.status).filter((s: string) => s !== 'running')).toEqual(['waiting', 'submitted', 'waiting', 'submitted', 'failed']);
    expect(e.history.filter((h: any) => h.status === 'waiting')[1].detail).toMatch(/the job failed: .*; running it again \(retry 1 of 1\)/);
    expect(e.retries).toEqual({ allowed: 1, used: 1 });
    expect(e.warnings.join(' ')).toMatch(/run 1 \(/);
    // two runs at the deployer: the first (named in the warning) deleted before the retry, the last one failed
    const first = /run 1 \(([0-9a-f-]{36})\)/.exec(e.warnings.join(' '))![1];
    expect(first).not.toBe(e.deployment.deployment_id);
    expect((await call(p.urls.deployer!, 'GET', `/deployments/${e.deployment.deployment_id}`)).body.status).toBe('failed');
    const gone = await call(p.urls.deployer!, 'GET', `/deployments/${first}`);
    expect(gone.status === 404 || gone.body.status === 'deleted', JSON.stringify(gone.body)).toBe(true);
    expect((await call(p.urls.eval!, 'POST', '/evaluate', { model_name: 'm', inference_engine_url: slow.url, retries: 9 })).body.detail[0].loc).toEqual(['body', 'retries']);
  }, 200_000);

  it('cancelling a running evaluation deletes its job', async () => {
    const r = await call(p.urls.eval!, 'POST', '/evaluate', {
      model_name: 'slow-model',
      inference_engine_url: slow.url,
      template: `${projectId}:job/evaluation/eval-job.yaml:config/evaluation/custom_task.json`,
      overrides: { team: 'x' },
    });
    const running = await until(async () => {
      const e = (await call(p.urls.eval!, 'GET', `/evaluations/${r.body.id}`)).body;
      if (['completed', 'failed'].includes(e.status)) throw new Error(`finished before it could be cancelled: ${JSON.stringify(e)}`);
      return e.status === 'running' ? e : null;
    }, 90_000, 'the job to run');
    const c = await call(p.urls.eval!, 'POST', `/evaluations/${r.body.id}/cancel`);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body.status).toBe('cancelled');
    expect(c.body.history.map((h: any) => h.status)).toEqual(['waiting', 'submitted', 'running', 'cancelled']);
    const dep = await until(async () => {
      const d = (await call(p.urls.deployer!, 'GET', `/deployments/${running.deployment.deployment_id}`)).body;
      return d.status === 'deleted' ? d : null;
    }, 30_000, 'the job to be deleted');
    expect(dep.status).toBe('deleted');
    // the driver does not bring it back
    await new Promise((res) => setTimeout(res, 1000));
    expect((await call(p.urls.eval!, 'GET', `/evaluations/${r.body.id}`)).body.status).toBe('cancelled');
  }, 150_000);
});

describe('evaluation claims with two replicas (postgres)', () => {
  it('never hands one evaluation to both', async () => {
    const a = await freshDatabase('postgres');
    const b = await openDatabase({ databaseUrl: a.url });
    try {
      const ra = new EvalRepository(a.db);
      const rb = new EvalRepository(b.db);
      const past = new Date(Date.now() - 1000);
      for (let i = 0; i < 60; i++) {
        await ra.insert({
          id: `ev-${i}`,
          modelName: 'm',
          engineUrl: 'http://127.0.0.1:9',
          template: { project_id: 'p', job_file: 'j' },
          status: 'waiting',
          history: [],
          readyDeadline: new Date(Date.now() + 60_000),
          nextCheckAt: past,
        });
      }
      const got: Record<string, string[]> = { a: [], b: [] };
      // six claimers per pool, each its own replica (a replica's own claims may take back its rows: its driver
      // keeps the ones under way out of them)
      await Promise.all(
        (['a', 'b'] as const).flatMap((who) =>
          Array.from({ length: 6 }, async (_, k) => {
            const rows = await (who === 'a' ? ra : rb).claimDue(`replica-${who}-${k}`, 60_000, 7);
            got[who].push(...rows.map((r) => r.id));
          }),
        ),
      );
      const all = [...got.a, ...got.b];
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBeLessThanOrEqual(60);
      // what is left is claimed by the next round, nothing twice
      const rest = await rb.claimDue('replica-late', 60_000, 100);
      expect(rest.filter((r) => all.includes(r.id))).toEqual([]);
      expect(all.length + rest.length).toBe(60);
      expect(got.a.filter((id) => got.b.includes(id))).toEqual([]);
      // leased rows are not claimable by the other replica; its own claim of them is refused too
      expect(await rb.claimDue('replica-other', 60_000, 100)).toEqual([]);
      expect(await rb.claimDue('replica-late', 60_000, 100, new Date(), rest.map((r) => r.id))).toEqual([]);
      // a status change names what it expects: a cancelled row is not moved on by a late driver step
      await ra.transition('ev-0', ['waiting'], { status: 'cancelled' });
      expect(await rb.transition('ev-0', ['waiting'], { status: 'submitted' })).toBeUndefined();
    } finally {
      await b.close();
      await a.close();
    }
  });
});
