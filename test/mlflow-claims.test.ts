/**
 * Exactly once and faults: two replicas on one PostgreSQL polling at once with a manual poll in between process each
 * (model, version, engine) once (one commit, one evaluation each); `POST /poll` joins a running poll; MLflow down makes
 * `/health` degraded and loses nothing; a failed evaluation request is retried with backoff without a second commit;
 * webhooks are HMAC-checked; settings are validated (422 naming the field, nothing half-applied) and their secrets are
 * sealed at rest, never returned, never logged.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDelivery, type MlflowModule } from '../src/services/mlflow/index.ts';
import { createPgDatabase } from './helpers/db.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { MlflowDouble } from './helpers/mlflow-double.ts';
import { commitsOn, startEvalRecorder, waitFor, type EvalRecorder } from './helpers/mlflow-setup.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const mod = (p: TestPlatform) => p.modules.get('mlflow') as MlflowModule;

describe('two replicas on one PostgreSQL', () => {
  let a: TestPlatform;
  let b: TestPlatform;
  let mlflow: MlflowDouble;
  let repo: TestRepo;
  let evals: EvalRecorder;

  beforeAll(async () => {
    mlflow = new MlflowDouble();
    await mlflow.start();
    evals = await startEvalRecorder();
    repo = makeRepo({ 'README.md': 'values\n' });
    for (let i = 0; i < 6; i++) mlflow.addVersion(`model-${i}`);
    const env = {
      DATABASE_URL: await createPgDatabase(),
      BENCHOPS_SECRET_KEY: 'b'.repeat(64),
      BENCHOPS_MLFLOW_TRACKING_URI: mlflow.url,
      BENCHOPS_MLFLOW_GIT_URL: repo.url,
      BENCHOPS_MLFLOW_ENGINES: 'all',
      BENCHOPS_EVAL_URL: evals.url,
    };
    a = await startTestPlatform({ kind: 'postgres', services: ['mlflow'], background: false, env });
    b = await startTestPlatform({ kind: 'postgres', services: ['mlflow'], background: false, env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await mlflow?.stop();
    await evals?.stop();
    repo?.cleanup();
  });

  it('polling at once (and a manual poll during it) processes every version and engine once', async () => {
    const background = mod(a).integration.poll('poll');
    const [ra, rb, manual] = await Promise.all([background, mod(b).integration.poll('poll'), call(a.urls.mlflow!, 'POST', '/poll')]);
    // the manual poll on replica a joined a's running poll
    expect(manual.body.timestamp).toBe(ra.timestamp);
    expect(manual.body.trigger).toBe('poll');
    expect(ra.processed_models + rb.processed_models).toBe(12);
    expect(ra.new_events + rb.new_events).toBe(12);
    const events = (await call(a.urls.mlflow!, 'GET', '/events?limit=100')).body;
    expect(events).toHaveLength(12);
    expect(events.every((e: any) => e.status === 'completed' && e.attempts === 1)).toBe(true);
    // one commit per (version, engine) and one evaluation each, whichever replica did it
    expect(commitsOn(repo.bareDir)).toHaveLength(13);
    expect(evals.calls).toHaveLength(12);
    expect(new Set(evals.calls.map((c) => `${c.body.source.model}:${c.body.source.engine}`)).size).toBe(12);

    const again = await Promise.all([mod(a).integration.poll('poll'), mod(b).integration.poll('poll')]);
    expect(again.map((r) => r.processed_models)).toEqual([0, 0]);
    expect(commitsOn(repo.bareDir)).toHaveLength(13);
    expect(evals.calls).toHaveLength(12);
  });
});

describe('faults, webhooks and settings (PGlite)', () => {
  let p: TestPlatform;
  let mlflow: MlflowDouble;
  let repo: TestRepo;
  let evals: EvalRecorder;
  let base: string;
  const SECRET = 'whsec-test-0123456789';

  beforeAll(async () => {
    mlflow = new MlflowDouble();
    await mlflow.start();
    evals = await startEvalRecorder();
    repo = makeRepo({ 'README.md': 'values\n' });
    p = await startTestPlatform({
      kind: 'pglite',
      services: ['mlflow'],
      background: false,
      env: { BENCHOPS_MLFLOW_TRACKING_URI: mlflow.url, BENCHOPS_MLFLOW_GIT_URL: repo.url, BENCHOPS_EVAL_URL: evals.url },
    });
    base = p.urls.mlflow!;
    mod(p).integration.backoff = { baseMs: 300, maxMs: 1000, maxAttempts: 3 };
  });
  afterAll(async () => {
    await p?.close();
    await mlflow?.stop();
    await evals?.stop();
    repo?.cleanup();
  });

  it('MLflow down: the poll says why, /health is degraded, and the version is processed once MLflow is back', async () => {
    mlflow.addVersion('down-model');
    mlflow.down = true;
    const r = await call(base, 'POST', '/poll');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('warning');
    expect(r.body.errors[0]).toMatch(/MLflow unreachable/);
    const h = await call(base, 'GET', '/health');
    // degraded, not down: the service still serves (readiness stays 200) and says what it lacks
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('degraded');
    expect(h.body.checks.mlflow).toMatch(/^degraded: MLflow unreachable/);
    expect(h.body.checks.database).toBe('ok');
    expect((await call(base, 'GET', '/connections')).body).toMatchObject({ status: 'degraded', mlflow_connected: false });
    mlflow.down = false;
    const r2 = await call(base, 'POST', '/poll');
    expect(r2.body).toMatchObject({ status: 'success', processed_models: 1, new_models: 1 });
    expect((await call(base, 'GET', '/health')).body.checks.mlflow).toBe('ok');
  });

  it('a failed evaluation request is retried with backoff; the Git step is not repeated', async () => {
    const commits = commitsOn(repo.bareDir).length;
    evals.failNext.push(503);
    mlflow.addVersion('retry-model');
    const r = await call(base, 'POST', '/poll');
    expect(r.body.errors.join()).toMatch(/503/);
    const [ev] = (await call(base, 'GET', '/events?model_name=retry-model')).body;
    expect(ev).toMatchObject({ status: 'failed', attempts: 1 });
    expect(ev.next_attempt_at).not.toBeNull();
    expect(ev.outcome.git.commit).toBeTruthy();
    expect(commitsOn(repo.bareDir)).toHaveLength(commits + 1);
    const done = await waitFor(async () => {
      await mod(p).integration.processDue(await mod(p).settings.effective());
      const [e] = (await call(base, 'GET', '/events?model_name=retry-model')).body;
      return e.status === 'completed' ? e : null;
    }, 'the retry');
    expect(done.attempts).toBe(2);
    expect(commitsOn(repo.bareDir)).toHaveLength(commits + 1);
    expect(evals.calls.filter((c) => c.body.model_name === 'retry-model')).toHaveLength(1);
  });

  it('gives up after the attempts and starts again on POST /events/{id}/retry', async () => {
    evals.failNext.push(503, 503, 503);
    mlflow.addVersion('stubborn');
    await call(base, 'POST', '/poll');
    const ev = await waitFor(async () => {
      await mod(p).integration.processDue(await mod(p).settings.effective());
      const [e] = (await call(base, 'GET', '/events?model_name=stubborn')).body;
      return e.status === 'abandoned' ? e : null;
    }, 'abandonment');
    expect(ev.attempts).toBe(3);
    const retried = await call(base, 'POST', `/events/${ev.id}/retry`);
    expect(retried.body.status).toBe('pending');
    await waitFor(async () => (await call(base, 'GET', `/events/${ev.id}`)).body.status === 'completed', 'the manual retry');
    expect((await call(base, 'POST', `/events/${ev.id}/retry`)).status).toBe(409);
    expect((await call(base, 'GET', '/events/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call(base, 'GET', '/events/not-a-uuid')).status).toBe(422);
  });

  it('settings: 422 naming the field, nothing half-applied; secrets sealed, never returned or logged', async () => {
    const bad = await call(base, 'PUT', '/settings', { select: 'newest', git_branch: 'dev' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'select']);
    expect((await call(base, 'GET', '/settings')).body.git_branch).toBe('main');
    expect((await call(base, 'PUT', '/settings', { git_url: 'ftp://x/y' })).body.detail[0].loc).toEqual(['body', 'git_url']);
    expect((await call(base, 'PUT', '/settings', { colour: 'red' })).status).toBe(422);
    expect((await call(base, 'PUT', '/settings', { webhook_secret: 'short' })).body.detail[0].loc).toEqual(['body', 'webhook_secret']);

    const ok = await call(base, 'PUT', '/settings', { mlflow_token: 'mlf-token-SECRET-1', git_token: 'git-token-SECRET-2', webhook_secret: SECRET });
    expect(ok.status).toBe(200);
    expect(ok.body.secrets).toEqual({ mlflow_token: true, git_token: true, webhook_secret: true });
    const text = JSON.stringify(ok.body) + JSON.stringify((await call(base, 'GET', '/settings')).body);
    for (const s of ['mlf-token-SECRET-1', 'git-token-SECRET-2', SECRET]) expect(text).not.toContain(s);
    const row: any = await p.ctx.db.execute(sql`SELECT secrets::text AS s FROM mlflow_settings`);
    const stored: string = row.rows[0].s;
    expect(stored).toMatch(/v1:/);
    for (const s of ['mlf-token-SECRET-1', 'git-token-SECRET-2', SECRET]) expect(stored).not.toContain(s);
    // the stored MLflow token is what the poll now presents
    mlflow.requiredToken = 'mlf-token-SECRET-1';
    const r = await call(base, 'POST', '/poll');
    expect(r.body.errors).toEqual([]);
    mlflow.requiredToken = null;
    for (const s of ['mlf-token-SECRET-1', 'git-token-SECRET-2', SECRET]) expect(p.logs()).not.toContain(s);
  });

  it('alias selection: the version the alias names counts, and moving the alias processes the new one', async () => {
    expect((await call(base, 'PUT', '/settings', { select: 'alias:champion' })).status).toBe(200);
    try {
      mlflow.addVersion('aliased');
      mlflow.addVersion('aliased');
      mlflow.addVersion('aliased');
      mlflow.setAlias('aliased', 'champion', '2');
      const r = await call(base, 'POST', '/poll');
      // only the aliased model has a champion; its version 2, not the newest 3
      expect(r.body.events.map((e: any) => `${e.model_name}@${e.version}`)).toEqual(['aliased@2']);
      mlflow.setAlias('aliased', 'champion', '3');
      const r2 = await call(base, 'POST', '/poll');
      expect(r2.body.events.map((e: any) => `${e.model_name}@${e.version}`)).toEqual(['aliased@3']);
      const ev = (await call(base, 'GET', '/events?model_name=aliased&version=3')).body[0];
      expect(ev).toMatchObject({ selection: 'alias:champion', event_type: 'model_version_updated', status: 'completed' });
    } finally {
      await call(base, 'PUT', '/settings', { select: 'latest' });
    }
  });

  it('webhooks: a signed delivery is processed once; bad signatures, stale deliveries and bad bodies are refused', async () => {
    const v = mlflow.addVersion('hooked');
    const send = (body: string, o: { sig?: string; ts?: number; id?: string } = {}) => {
      const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
      const id = o.id ?? `d-${Math.random()}`;
      return fetch(`${base}/webhooks/mlflow`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mlflow-delivery-id': id, 'x-mlflow-timestamp': ts, 'x-mlflow-signature': o.sig ?? signDelivery(SECRET, id, ts, body) },
        body,
      }).then(async (res) => ({ status: res.status, body: await res.json() }));
    };
    const payload = JSON.stringify({ entity: 'model_version', action: 'created', timestamp: new Date().toISOString(), data: { name: 'hooked', version: v.version, run_id: v.run_id, source: v.source } });
    const first = await send(payload);
    expect(first.status).toBe(202);
    expect(first.body.events).toEqual([expect.objectContaining({ engine: 'vllm', new: true })]);
    await waitFor(async () => (await call(base, 'GET', `/events/${first.body.events[0].id}`)).body.status === 'completed', 'webhook processing');
    const again = await send(payload);
    expect(again.body.events[0]).toMatchObject({ id: first.body.events[0].id, new: false });
    expect((await call(base, 'GET', '/events?model_name=hooked&trigger=webhook')).body).toHaveLength(1);

    expect((await send(payload, { sig: 'v1,AAAA' })).status).toBe(401);
    expect((await send(payload, { ts: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
    const notJson = await send('{"entity": ');
    expect(notJson.status).toBe(422);
    const noName = await send(JSON.stringify({ entity: 'model_version', action: 'created', data: { version: '1' } }));
    expect(noName.body.detail[0].loc).toEqual(['body', 'data', 'name']);
    const ignored = await send(JSON.stringify({ entity: 'registered_model', action: 'created', data: { name: 'x' } }));
    expect(ignored.body.status).toBe('ignored');
    // the poll sees the webhook's version as already taken
    const r = await call(base, 'POST', '/poll');
    expect(r.body.events.map((e: any) => e.model_name)).not.toContain('hooked');
  });
});
