/**
 * The MLflow integration's poll end to end on the real service (PGlite and PostgreSQL): the registry test double with
 * small pages, a real bare git repository as the target, an evaluation-service recorder over real HTTP. Every page is
 * read, the newest version by creation time is chosen, values files land in Git with Kubernetes-valid names, the
 * evaluation is requested once, and a second poll changes nothing.
 */
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowModule } from '../src/services/mlflow/index.ts';
import { isDnsLabel } from '../src/services/mlflow/names.ts';
import { DB_KINDS } from './helpers/db.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { MlflowDouble } from './helpers/mlflow-double.ts';
import { commitsOn, fileAt, startEvalRecorder, type EvalRecorder } from './helpers/mlflow-setup.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

describe.each(DB_KINDS)('MLflow poll (%s)', (kind) => {
  let p: TestPlatform;
  let mlflow: MlflowDouble;
  let repo: TestRepo;
  let evals: EvalRecorder;
  let base: string;

  beforeAll(async () => {
    mlflow = new MlflowDouble();
    await mlflow.start();
    evals = await startEvalRecorder();
    repo = makeRepo({ 'README.md': 'values repository\n' });
    // newest by creation time is version 2, not the higher-numbered 3 registered with an older timestamp
    mlflow.addVersion('Qwen3-8B', { creation_timestamp: Date.UTC(2026, 0, 2) });
    mlflow.addVersion('Qwen3-8B', { creation_timestamp: Date.UTC(2026, 0, 5) });
    mlflow.addVersion('Qwen3-8B', { version: '3', creation_timestamp: Date.UTC(2026, 0, 3) });
    mlflow.addVersion('org/chat model.v2', { experiment_id: '42' });
    mlflow.addVersion('still_registering', { status: 'PENDING_REGISTRATION' });
    for (let i = 0; i < 5; i++) mlflow.addVersion(`bulk-${i}`);
    p = await startTestPlatform({
      kind,
      services: ['mlflow'],
      background: false,
      env: {
        BENCHOPS_MLFLOW_TRACKING_URI: mlflow.url,
        BENCHOPS_MLFLOW_GIT_URL: repo.url,
        BENCHOPS_EVAL_URL: evals.url,
        BENCHOPS_MLFLOW_ENGINE_URL: 'http://{release}.{namespace}.svc:8000',
      },
    });
    base = p.urls.mlflow!;
    // small pages, so the listing must follow next_page_token
    (p.modules.get('mlflow') as MlflowModule).integration.pageSizes = { models: 3, versions: 4 };
  });
  afterAll(async () => {
    await p?.close();
    await mlflow?.stop();
    await evals?.stop();
    repo?.cleanup();
  });

  it('reads every page, writes one values file per selected version and asks for one evaluation each', async () => {
    const r = await call(base, 'POST', '/poll');
    expect(r.status).toBe(200);
    expect(r.body.errors).toEqual([]);
    expect(r.body.registered_models).toBe(8);
    // 8 models over pages of 3; 10 versions over pages of 4
    expect(mlflow.count('registered-models/search')).toBe(3);
    expect(mlflow.count('model-versions/search')).toBe(3);
    // the registering version is not deployable yet
    expect(r.body.selected_versions).toBe(7);
    expect(r.body.processed_models).toBe(7);
    expect(r.body.new_models).toBe(7);

    const qwen = parse(fileAt(repo.bareDir, 'vllm/custom-values-qwen3-8b.yaml')!);
    expect(qwen.global.modelVersion).toBe('2');
    expect(qwen.fullnameOverride).toBe('vllm-qwen3-8b');
    expect(qwen.vllm.served_model_name).toBe('Qwen3-8B');
    expect(qwen.serviceAccount.name).toBe('vllm-qwen3-8b-sa');

    const events = await call(base, 'GET', '/events?model_name=org%2Fchat%20model.v2');
    expect(events.body).toHaveLength(1);
    const ev = events.body[0];
    expect(ev.status).toBe('completed');
    expect(ev.event_type).toBe('model_version_created');
    const valuesPath: string = ev.outcome.git.values_path;
    expect(valuesPath).toMatch(/^vllm\/custom-values-[a-z0-9-]+\.yaml$/);
    const odd = parse(fileAt(repo.bareDir, valuesPath)!);
    expect(isDnsLabel(odd.fullnameOverride)).toBe(true);
    expect(odd.global).toMatchObject({ modelName: 'org/chat model.v2', modelVersion: '1', experimentId: '42' });

    expect(evals.calls).toHaveLength(7);
    const call1 = evals.calls.find((c) => c.body.model_name === 'org/chat model.v2')!;
    const host = new URL(call1.body.inference_engine_url).hostname;
    expect(host.split('.')[0]).toBe(odd.fullnameOverride);
    expect(call1.body.source).toMatchObject({ kind: 'mlflow', model: 'org/chat model.v2', version: '1', engine: 'vllm' });
    // one commit per version on top of the initial one
    expect(commitsOn(repo.bareDir)).toHaveLength(8);
  });

  it('polled again: nothing new, no commit, no evaluation', async () => {
    const before = commitsOn(repo.bareDir).length;
    // wait=false answers at once; a waiting poll right after joins the same run
    const started = await call(base, 'POST', '/poll?wait=false');
    expect(started.status).toBe(202);
    const r = await call(base, 'POST', '/poll');
    expect(r.body).toMatchObject({ new_events: 0, processed_models: 0, errors: [] });
    expect(commitsOn(repo.bareDir)).toHaveLength(before);
    expect(evals.calls).toHaveLength(7);
  });

  it('a new version is processed on the next poll as an update of the same file', async () => {
    mlflow.addVersion('Qwen3-8B', { version: '4', creation_timestamp: Date.UTC(2026, 0, 10) });
    const r = await call(base, 'POST', '/poll');
    expect(r.body).toMatchObject({ new_events: 1, processed_models: 1 });
    const qwen = parse(fileAt(repo.bareDir, 'vllm/custom-values-qwen3-8b.yaml')!);
    expect(qwen.global.modelVersion).toBe('4');
    const ev = (await call(base, 'GET', '/events?model_name=Qwen3-8B&version=4')).body[0];
    expect(ev.event_type).toBe('model_version_updated');
    expect(commitsOn(repo.bareDir)[0]).toBe(`Update Qwen3-8B (vllm) - version: 4, runid: ${ev.mlflow.run_id}`);
    const list = await call(base, 'GET', '/events?limit=2&offset=0');
    expect(list.headers.get('x-total-count')).toBe('8');
    expect(list.body).toHaveLength(2);
  });

  it('answers 422 naming the field for bad filters', async () => {
    const r = await call(base, 'GET', '/events?status=done');
    expect(r.status).toBe(422);
    expect(r.body.detail[0].loc).toEqual(['query', 'status']);
    const u = await call(base, 'GET', '/events?colour=red');
    expect(u.status).toBe(422);
    // POST /poll takes no input: a body with fields is refused, not ignored
    const b = await call(base, 'POST', '/poll', { force: true });
    expect(b.status).toBe(422);
    expect(b.body.detail[0].loc[0]).toBe('body');
    // without a webhook secret there is no receiver: nothing unsigned is acted on
    expect((await call(base, 'POST', '/poll?wait=maybe')).body.detail[0].loc).toEqual(['query', 'wait']);
    const w = await call(base, 'POST', '/webhooks/mlflow', { entity: 'model_version', action: 'created', data: { name: 'x', version: '1' } });
    expect(w.status).toBe(404);
  });
});
