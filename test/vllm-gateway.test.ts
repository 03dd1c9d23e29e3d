/**
 * Roles and bad input at the vLLM service's edges, with tokens on: the OpenAI gateway's inference POSTs need operator
 * (a viewer lists models but sends no load to GPUs that benchmarks measure), a body too deep to re-serialise is a 422
 * (never "upstream unreachable"), hostPath volumes need admin, and the earlier web client's empty scheduled_time is
 * "unset".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/client.ts';
import type { VllmModule } from '../src/services/vllm/index.ts';
import { freshDatabase } from './helpers/db.ts';
import { FakeDeployer, fakeModule, serveModule, until } from './vllm-fakes.ts';

const VIEWER = 'viewer-token-1234';
const OPERATOR = 'operator-token-1234';
const ADMIN = 'admin-token-12345';
const j = async (r: Response) => ({ status: r.status, body: (await r.json().catch(() => null)) as any });

describe('vLLM gateway and routes with tokens', () => {
  let db: Database;
  let mod: VllmModule;
  let srv: Awaited<ReturnType<typeof serveModule>>;
  const call = (token: string | null, method: string, path: string, body?: unknown, raw?: string) =>
    fetch(srv.base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || raw ? { 'content-type': 'application/json' } : {}) },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    }).then(j);

  beforeAll(async () => {
    db = await freshDatabase('pglite');
    mod = fakeModule(db, new FakeDeployer(0));
    srv = await serveModule(mod, { tokens: `viewer:${VIEWER},operator:${OPERATOR},admin:${ADMIN}`, gateway: true });
    await mod.start!();
    const d = await call(OPERATOR, 'POST', '/deploy', { config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'gw-model' } });
    expect(d.status).toBe(201);
    await until(async () => (await mod.core.deployments.get(d.body.deployment_id)).status === 'running');
  });
  afterAll(async () => {
    await srv?.close();
    await mod?.stop!();
    await db?.close();
  });

  it('lets a viewer list models but not run inference; an operator can', async () => {
    const completion = { model: 'gw-model', prompt: 'hi', max_tokens: 2 };
    expect((await call(null, 'POST', '/v1/completions', completion)).status).toBe(401);
    const list = await call(VIEWER, 'GET', '/v1/models');
    expect(list.status).toBe(200);
    expect(list.body.data.map((m: any) => m.id)).toEqual(['gw-model']);
    for (const p of ['/v1/completions', '/v1/chat/completions', '/v1/embeddings', '/v1/tokenize']) {
      const r = await call(VIEWER, 'POST', p, completion);
      expect(r.status, p).toBe(403);
      expect(r.body.detail).toMatch(/operator/);
    }
    const ok = await call(OPERATOR, 'POST', '/v1/completions', completion);
    expect(ok.status).toBe(200);
    expect(ok.body.model).toBe('gw-model');
  });

  it('answers 422 for a body nested too deeply to forward, and keeps serving', async () => {
    const depth = 10_000;
    const deep = `{"model":"gw-model","prompt":"x","extra":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const r = await call(OPERATOR, 'POST', '/v1/completions', undefined, deep);
    expect(r.status).toBe(422);
    expect(Array.isArray(r.body.detail)).toBe(true);
    expect(r.body.detail[0].loc[0]).toBe('body');
    const after = await call(OPERATOR, 'POST', '/v1/completions', { model: 'gw-model', prompt: 'again', max_tokens: 1 });
    expect(after.status).toBe(200);
  });

  it('needs admin to deploy hostPath volumes (a node folder in the pod), like any host path; validating is a read', async () => {
    const values = 'vllm: {model: m/x}\nmodelCache: {enabled: true, hostPath: /var/lib/models}\n';
    const q = await call(OPERATOR, 'POST', '/queue/deployment', { vllm_config: { custom_values_content: values } });
    expect(q.status).toBe(403);
    expect(q.body.detail).toMatch(/hostPath volumes .* need the admin role/);
    expect((await call(OPERATOR, 'POST', '/deploy', { custom_values_content: values })).status).toBe(403);
    // validating creates nothing: a viewer may validate, and learns it would be refused
    const check = await call(VIEWER, 'POST', '/configs/validate', { custom_values_content: values });
    expect(check.status).toBe(200);
    expect(check.body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/need the admin role.*deploying this would be refused/)]));
    expect((await call(VIEWER, 'POST', '/placement/preview', { config: { model_name: 'm/x' } })).status).toBe(200);
    const admin = await call(ADMIN, 'POST', '/configs/validate', { custom_values_content: values });
    expect(admin.status).toBe(200);
    expect(admin.body.warnings).toEqual([]);
    expect(admin.body.config.kubernetes.volumes[0]).toMatchObject({ type: 'hostPath', path: '/var/lib/models' });
    // a PVC is an operator's choice
    expect((await call(OPERATOR, 'POST', '/configs/validate', { custom_values_content: 'vllm: {model: m/x}\nmodelCache: {enabled: true}\n' })).status).toBe(200);
  });

  it('takes the earlier web client\'s scheduled_time "" as unset', async () => {
    await mod.core.scheduler.setSettings({ running: false });
    const r = await call(OPERATOR, 'POST', '/queue/deployment', {
      vllm_config: { model_name: 'Qwen/Qwen3-0.6B' },
      scheduling_config: { immediate: false, scheduled_time: '', max_wait_time: 3600 },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ current_step: 'pending', scheduled_for: null, scheduling_config: { scheduled_time: null } });
    await call(OPERATOR, 'POST', `/queue/${r.body.queue_request_id}/cancel`);
  });
});
