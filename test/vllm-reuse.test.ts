/**
 * Users of a deployment and the local node's bounds (issue 10 items 9 and 12): POST /deploy that reuses a deployment a
 * queue item created becomes one of its users (the item finishing or being cancelled leaves it running; DELETE by the
 * last user stops it, DELETE while the item still runs releases it to stop after the item); CPU deployments take
 * one of the local node's `cpu:N` slots, so requests over it are refused with the placement's reason (POST /deploy)
 * or wait (the queue), instead of one more server process each. PGlite and PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pidAlive } from '../src/core/pid.ts';
import type { VllmModule } from '../src/services/vllm/index.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';
import { FakeDeployer, fakeModule, job, serveModule, until } from './vllm-fakes.ts';

const CFG = { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'qwen-shared', max_model_len: 2048 };
const j = async (r: Response) => ({ status: r.status, body: (await r.json().catch(() => null)) as any });

describe.each(DB_KINDS)('deployment users and local bounds (%s)', (kind) => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of open.reverse()) await c.close().catch(() => {});
    open.length = 0;
  });

  async function setup(env: Record<string, string> = {}) {
    const db = await freshDatabase(kind);
    const deployer = new FakeDeployer(null);
    const mod = fakeModule(db, deployer, { env });
    open.push({ close: () => db.close() });
    open.push({ close: () => mod.stop!() });
    const srv = await serveModule(mod);
    open.push(srv);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(srv.base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(j);
    await mod.start!();
    return { mod, deployer, call };
  }

  /** A queue item that created its deployment and is now running its (manually completed) job. */
  async function itemRunningJob(mod: VllmModule, deployer: FakeDeployer) {
    const q = await mod.api.enqueue({ vllm_config: CFG, benchmark_configs: [job(1)] });
    const running = await until(async () => {
      const r = await mod.api.getQueueItem(q.queue_request_id);
      return r.current_step === 'benchmark_job_1' && deployer.runs.length ? r : null;
    });
    return { id: q.queue_request_id, deploymentId: running.deployment_id! };
  }

  it('a reuse by POST /deploy registers the caller: the creating item finishing leaves it running; DELETE stops it', async () => {
    const { mod, deployer, call } = await setup();
    const item = await itemRunningJob(mod, deployer);
    const reuse = await call('POST', '/deploy', { config: CFG });
    expect(reuse.status).toBe(200);
    expect(reuse.body).toMatchObject({ reused: true, deployment_id: item.deploymentId });
    deployer.complete(deployer.runs[0].id);
    await until(async () => ((await mod.api.getQueueItem(item.id)).status === 'completed' ? true : null));
    const dep = await mod.core.deployments.get(item.deploymentId);
    expect(dep.status).toBe('running');
    expect(pidAlive(dep.pid)).toBe(true);
    const del = await call('DELETE', `/deployments/${item.deploymentId}`);
    expect(del.status).toBe(200);
    expect((await mod.core.deployments.get(item.deploymentId)).status).toBe('stopped');
    expect(pidAlive(dep.pid)).toBe(false);
  });

  it('DELETE while the creating item still benchmarks releases it: it stops when that item, its last user, finishes', async () => {
    const { mod, deployer, call } = await setup();
    const item = await itemRunningJob(mod, deployer);
    expect((await call('POST', '/deploy', { config: CFG })).body.reused).toBe(true);
    const del = await call('DELETE', `/deployments/${item.deploymentId}`);
    expect(del.status).toBe(202);
    expect(del.body.message).toMatch(new RegExp(`stops when queue request ${item.id}`));
    expect((await mod.core.deployments.get(item.deploymentId)).status).toBe('running');
    deployer.complete(deployer.runs[0].id);
    await until(async () => ((await mod.api.getQueueItem(item.id)).status === 'completed' ? true : null));
    expect((await mod.core.deployments.get(item.deploymentId)).status).toBe('stopped');
  });

  it('cancelling the creating item after a reuse leaves the deployment to its new user; a queue-owned one is not deleted under its item', async () => {
    const { mod, deployer, call } = await setup();
    const item = await itemRunningJob(mod, deployer);
    // before any reuse, the deployment belongs to the item: DELETE is refused, not half-done
    const refused = await call('DELETE', `/deployments/${item.deploymentId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/in use by queue request/);
    expect((await call('POST', '/deploy', { config: CFG })).body.reused).toBe(true);
    await mod.api.cancel(item.id);
    expect((await mod.api.getQueueItem(item.id)).status).toBe('cancelled');
    expect(deployer.deleted).toEqual([deployer.runs[0].name]);
    expect((await mod.core.deployments.get(item.deploymentId)).status).toBe('running');
    expect((await call('DELETE', `/deployments/${item.deploymentId}`)).status).toBe(200);
  });

  it('bounds CPU deployments by cpu:N: over it POST /deploy is refused with the reason and the queue waits', async () => {
    const { mod, deployer, call } = await setup({ BENCHOPS_LOCAL_DEVICES: 'cpu:2' });
    const a = await call('POST', '/deploy', { config: { ...CFG, served_model_name: 'a' } });
    const b = await call('POST', '/deploy', { config: { ...CFG, served_model_name: 'b' } });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.placement.resources).toEqual({ 'benchops.io/cpu-slot': 1 });
    const c = await call('POST', '/deploy', { config: { ...CFG, served_model_name: 'c' } });
    expect(c.status).toBe(409);
    expect(c.body.detail).toMatch(/\(wait\): 1 CPU deployment slot not free/);
    const active = Object.values<any>((await call('GET', '/deployments')).body).filter((d) => d.status === 'running' || d.status === 'deploying');
    expect(active).toHaveLength(2);
    // an identical config still reuses (no new process, no slot)
    expect((await call('POST', '/deploy', { config: { ...CFG, served_model_name: 'a' } })).status).toBeLessThan(300);
    const nodes = await call('GET', '/clusters/local/nodes');
    expect(nodes.body[0].devices.find((d: any) => d.type === 'cpu').device_info).toMatchObject({ deployment_slots: 2, deployment_slots_free: 0 });

    const q = await mod.api.enqueue({ vllm_config: { ...CFG, served_model_name: 'queued' }, benchmark_configs: [job(1)] });
    const waiting = await until(async () => {
      const r = await mod.api.getQueueItem(q.queue_request_id);
      return r.current_step === 'waiting_for_resources' ? r : null;
    });
    expect(waiting.placement).toMatchObject({ action: 'wait', reason: expect.stringMatching(/CPU deployment slot/) });
    await until(async () => (await mod.core.deployments.get(a.body.deployment_id)).status === 'running');
    expect((await call('DELETE', `/deployments/${a.body.deployment_id}`)).status).toBe(200);
    await until(async () => deployer.runs.length === 1, 20_000, 'the queued item to start once a slot is free');
    expect((await mod.api.getQueueItem(q.queue_request_id)).placement).toMatchObject({ action: 'place' });
    await mod.api.cancel(q.queue_request_id);
  });
});
