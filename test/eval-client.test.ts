/**
 * The EvalApi over HTTP (what the MLflow integration uses in cluster mode) against a real evaluation service with
 * tokens: the same answers as in-process, 422s keep their field, roles are enforced; `evalApi(ctx)` picks the
 * in-process module or the client; at most BENCHOPS_EVAL_MAX_WAITING evaluations wait at once (429 beyond).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../src/core/errors.ts';
import { EvalHttpClient, evalApi } from '../src/services/eval/client.ts';
import { freePort, TEMPLATE_FILES } from './eval-fixtures.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const ADMIN = 'admin-token-0123456789';

describe('EvalApi over HTTP (pglite)', () => {
  let p: TestPlatform;
  let repo: TestRepo;
  let template: string;
  let engine: string;
  const auth = { authorization: `Bearer ${OPERATOR}` };

  beforeAll(async () => {
    p = await startTestPlatform({
      kind: 'pglite',
      services: ['manager', 'eval'],
      env: { BENCHOPS_TOKENS: `operator:${OPERATOR},viewer:${VIEWER},admin:${ADMIN}`, BENCHOPS_EVAL_MAX_WAITING: '2', BENCHOPS_POLL_TICK_SECONDS: '0.2' },
    });
    const m = p.urls.manager!;
    // a file:// repository needs the admin role
    const admin = { authorization: `Bearer ${ADMIN}` };
    repo = makeRepo(TEMPLATE_FILES);
    const created = await call(m, 'POST', '/projects', { name: 'client-templates', repository_url: repo.url, config_path: 'config', job_path: 'job' }, admin);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await call(m, 'POST', `/projects/${created.body.project_id}/sync`, undefined, admin)).body.status).toBe('success');
    template = `${created.body.project_id}:job/evaluation/eval-job.yaml`;
    engine = `http://127.0.0.1:${await freePort()}`;
  }, 120_000);

  afterAll(async () => {
    await p?.close();
    repo?.cleanup();
  });

  it('evaluates and reads back through the client; 422s keep their field; roles apply', async () => {
    const client = new EvalHttpClient(p.urls.eval!, OPERATOR);
    const r = await client.evaluate({ model_name: 'client-model', inference_engine_url: engine, template, overrides: { team: 'a' }, source: { kind: 'mlflow', version: '3' } });
    expect(r.status).toBe('waiting');
    expect(r.warnings).toEqual([]);
    const e = await client.getEvaluation(r.id);
    expect(e.model_name).toBe('client-model');
    expect(e.source).toEqual({ kind: 'mlflow', version: '3' });
    expect(e.template.job_file).toBe('job/evaluation/eval-job.yaml');

    const bad = await client.evaluate({ model_name: 'x', inference_engine_url: 'not a url', template }).catch((x) => x);
    expect(isAppError(bad) && bad.status).toBe(422);
    expect(bad.issues?.[0].loc).toEqual(['body', 'inference_engine_url']);

    const missing = await client.getEvaluation('no-such-id').catch((x) => x);
    expect(isAppError(missing) && missing.status).toBe(404);

    const anonymous = await new EvalHttpClient(p.urls.eval!).evaluate({ model_name: 'x', inference_engine_url: engine, template }).catch((x) => x);
    expect(isAppError(anonymous) && anonymous.status).toBe(401);
    const viewer = await new EvalHttpClient(p.urls.eval!, VIEWER).evaluate({ model_name: 'x', inference_engine_url: engine, template }).catch((x) => x);
    expect(isAppError(viewer) && viewer.status).toBe(403);
    expect((await new EvalHttpClient(p.urls.eval!, VIEWER).getEvaluation(r.id)).id).toBe(r.id);

    const down = await new EvalHttpClient(`http://127.0.0.1:${await freePort()}`, OPERATOR).evaluate({ model_name: 'x', inference_engine_url: engine }).catch((x) => x);
    expect(isAppError(down) && down.status).toBe(503);
    await call(p.urls.eval!, 'POST', `/evaluations/${r.id}/cancel`, undefined, auth);
  });

  it('evalApi(ctx): the in-process module here, the HTTP client when only BENCHOPS_EVAL_URL is known', async () => {
    expect(evalApi(p.ctx)).toBe(p.modules.get('eval')!.api);
    const remote = evalApi({ local: new Map(), config: { ...p.ctx.config, evalUrl: p.urls.eval! } });
    expect(remote).toBeInstanceOf(EvalHttpClient);
    // the client picks the operator token from the config
    const r = await remote.evaluate({ model_name: 'via-config', inference_engine_url: engine, template, overrides: { team: 'b' } });
    expect((await remote.getEvaluation(r.id)).model_name).toBe('via-config');
    await call(p.urls.eval!, 'POST', `/evaluations/${r.id}/cancel`, undefined, auth);
    expect(() => evalApi({ local: new Map(), config: { ...p.ctx.config, evalUrl: undefined } })).toThrow(/BENCHOPS_EVAL_URL/);
  });

  it('refuses a third waiting evaluation with 429 while two wait, and takes it once one is cancelled', async () => {
    const post = () => call(p.urls.eval!, 'POST', '/evaluate', { model_name: 'capped', inference_engine_url: engine, template, overrides: { team: 'c' } }, auth);
    const one = await post();
    const two = await post();
    expect([one.status, two.status]).toEqual([200, 200]);
    const three = await post();
    expect(three.status).toBe(429);
    expect(three.body.detail).toMatch(/BENCHOPS_EVAL_MAX_WAITING/);
    expect((await call(p.urls.eval!, 'GET', '/evaluations?status=waiting', undefined, auth)).headers.get('x-total-count')).toBe('2');
    await call(p.urls.eval!, 'POST', `/evaluations/${one.body.id}/cancel`, undefined, auth);
    expect((await post()).status).toBe(200);
  });
});
