/**
 * Cluster shape with tokens: the evaluation service alone in one process, manager, deployer and results in another,
 * reached over HTTP (BENCHOPS_MANAGER_URL, BENCHOPS_DEPLOYER_URL, BENCHOPS_RESULTS_URL) with the operator token. The
 * template resolves over HTTP (by project name too), the run options (substitutions, the evaluation's label) travel
 * to the deployer's /run, and the result pks come back from the results service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedServer } from '../src/simulator/server.ts';
import { startEngine, TEMPLATE_FILES } from './eval-fixtures.ts';
import { until } from './helpers/deployer-setup.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const OPERATOR = 'cluster-operator-token-0123';
const ADMIN = 'cluster-admin-token-0123';
const TOKENS = `operator:${OPERATOR},admin:${ADMIN}`;

describe('evaluation service in its own process (pglite, tokens)', () => {
  let core: TestPlatform;
  let ev: TestPlatform;
  let repo: TestRepo;
  let engine: EmulatedServer;
  const op = { authorization: `Bearer ${OPERATOR}` };

  beforeAll(async () => {
    core = await startTestPlatform({ kind: 'pglite', services: ['results', 'manager', 'deployer'], env: { BENCHOPS_TOKENS: TOKENS, BENCHOPS_POLL_TICK_SECONDS: '0.2' } });
    ev = await startTestPlatform({
      kind: 'pglite',
      services: ['eval'],
      env: {
        BENCHOPS_TOKENS: TOKENS,
        BENCHOPS_POLL_TICK_SECONDS: '0.2',
        BENCHOPS_MANAGER_URL: core.urls.manager!,
        BENCHOPS_DEPLOYER_URL: core.urls.deployer!,
        BENCHOPS_RESULTS_URL: core.urls.results!,
      },
    });
    repo = makeRepo(TEMPLATE_FILES);
    const admin = { authorization: `Bearer ${ADMIN}` };
    const created = await call(core.urls.manager!, 'POST', '/projects', { name: 'cluster-templates', repository_url: repo.url, config_path: 'config', job_path: 'job' }, admin);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await call(core.urls.manager!, 'POST', `/projects/${created.body.project_id}/sync`, undefined, admin)).body.status).toBe('success');
    engine = await startEngine('cluster-model');
  }, 150_000);

  afterAll(async () => {
    await ev?.close();
    await core?.close();
    await engine?.close();
    repo?.cleanup();
  });

  it('runs an evaluation through the other process over HTTP', async () => {
    const health = await call(ev.urls.eval!, 'GET', '/health', undefined, op);
    expect(health.status, JSON.stringify(health.body)).toBe(200);
    const r = await call(
      ev.urls.eval!,
      'POST',
      '/evaluate',
      { model_name: 'cluster-model', inference_engine_url: engine.url, template: 'cluster-templates:job/evaluation/eval-job.yaml:config/evaluation/custom_task.json', overrides: { team: 'remote' } },
      op,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const e = await until(async () => {
      const x = (await call(ev.urls.eval!, 'GET', `/evaluations/${r.body.id}`, undefined, op)).body;
      return ['completed', 'failed', 'cancelled'].includes(x.status) ? x : null;
    }, 150_000, 'the evaluation');
    expect(e.status, JSON.stringify(e)).toBe('completed');
    expect(e.result_pks.length).toBeGreaterThan(0);
    const dep = (await call(core.urls.deployer!, 'GET', `/deployments/${e.deployment.deployment_id}`, undefined, op)).body;
    expect(dep.labels['benchops.io/evaluation-id']).toBe(r.body.id);
    expect(dep.yaml_content).toContain(`model cluster-model at ${engine.url}; remote`);
    const doc = await call(core.urls.results!, 'GET', `/standardized_output/${encodeURIComponent(e.result_pks[0])}`, undefined, op);
    expect(doc.status).toBe(200);
    // no token in any response or log line
    expect(JSON.stringify(e)).not.toContain(OPERATOR);
    expect(ev.logs()).not.toContain(OPERATOR);
    expect(core.logs()).not.toContain(OPERATOR);
  }, 200_000);

  it('says which collaborator is down', async () => {
    const lonely = await startTestPlatform({ kind: 'pglite', services: ['eval'], env: { BENCHOPS_TOKENS: TOKENS, BENCHOPS_DEPLOYER_URL: 'http://127.0.0.1:9', BENCHOPS_MANAGER_URL: core.urls.manager!, BENCHOPS_RESULTS_URL: core.urls.results! } });
    try {
      const h = await call(lonely.urls.eval!, 'GET', '/health', undefined, op);
      expect(h.status).toBe(503);
      expect(JSON.stringify(h.body)).toMatch(/deployer[^,]*down/);
      expect(JSON.stringify(h.body)).toMatch(/"manager":"ok"/);
    } finally {
      await lonely.close();
    }
  }, 60_000);
});
