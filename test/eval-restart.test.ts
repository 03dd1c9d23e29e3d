/**
 * Restart safety (embedded, PGlite data folder): evaluations in flight when the platform stops are picked up when it
 * starts again. One that was waiting for its engine resumes and completes once the engine answers; one that was in
 * the middle of the hand-over to the deployer fails with that reason (it is not submitted twice), never stuck.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluations } from '../src/services/eval/schema.ts';
import type { EmulatedServer } from '../src/simulator/server.ts';
import { freePort, startEngine, templateProject } from './eval-fixtures.ts';
import { until } from './helpers/deployer-setup.ts';
import type { TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

describe('evaluations across a restart (pglite)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-eval-restart-'));
  const services = ['results', 'manager', 'deployer', 'eval'] as const;
  const env = { BENCHOPS_DATA_DIR: dataDir, BENCHOPS_POLL_TICK_SECONDS: '0.2' };
  let p: TestPlatform | undefined;
  let repo: TestRepo | undefined;
  let engine: EmulatedServer | undefined;

  afterAll(async () => {
    await p?.close();
    await engine?.close();
    repo?.cleanup();
  });

  it('resumes a waiting evaluation and fails one caught mid-hand-over with the reason', async () => {
    p = await startTestPlatform({ kind: 'pglite', services: [...services], env });
    const made = await templateProject(p);
    repo = made.repo;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const template = `${made.projectId}:job/evaluation/eval-job.yaml:config/evaluation/custom_task.json`;
    const ask = async (model: string) => {
      const r = await call(p!.urls.eval!, 'POST', '/evaluate', { model_name: model, inference_engine_url: url, template, overrides: { team: 't' } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.id as string;
    };
    const resumed = await ask('restart-model');
    const interrupted = await ask('restart-model');
    await until(async () => (await call(p!.urls.eval!, 'GET', `/evaluations/${resumed}`)).body.readiness.attempts >= 1, 30_000, 'a probe');
    // as if this process had died inside the deployer call for the second one (its lease outlives the process)
    await p.ctx.db
      .update(evaluations)
      .set({ stage: 'submitting', leaseOwner: 'a-process-that-died', leaseUntil: new Date(Date.now() + 3_600_000) })
      .where(eq(evaluations.id, interrupted));
    await p.close();
    p = undefined;

    engine = await startEngine('restart-model', port);
    p = await startTestPlatform({ kind: 'pglite', services: [...services], env });
    const get = async (id: string) => (await call(p!.urls.eval!, 'GET', `/evaluations/${id}`)).body;
    const done = await until(async () => {
      const e = await get(resumed);
      return ['completed', 'failed'].includes(e.status) ? e : null;
    }, 150_000, 'the resumed evaluation');
    expect(done.status, JSON.stringify(done)).toBe('completed');
    expect(done.result_pks.length).toBeGreaterThan(0);
    const lost = await until(async () => {
      const e = await get(interrupted);
      return e.status !== 'waiting' ? e : null;
    }, 30_000, 'the interrupted evaluation');
    expect(lost.status).toBe('failed');
    expect(lost.error).toMatch(/stopped while handing the job to the deployer/);
    expect(lost.error).toContain(`benchops.io/evaluation-id=${interrupted}`);
    expect(lost.deployment).toBeNull();
    // the one job that ran is the resumed evaluation's
    const deps = (await call(p.urls.deployer!, 'GET', '/deployments?limit=100')).body as any[];
    expect(deps.map((d) => d.deployment_id)).toEqual([done.deployment.deployment_id]);
    expect(deps[0].labels['benchops.io/evaluation-id']).toBe(resumed);
  }, 240_000);
});
