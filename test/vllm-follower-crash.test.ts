/**
 * The Git follower's crash window (PGlite and PostgreSQL): a deploy is two writes — the file's state and the queue
 * item. The process is made to stop between them (the service's enqueue dies right after its insert committed, or
 * right before it), and the next passes adopt the item that exists or deploy the file once: per values file one queue
 * item, one deployment, its state 'deployed'. Then the other write pairs: a pass that dies after a prune's stop, before
 * the state is removed, stops nothing twice and removes the state on the next pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { until } from './helpers/deployer-setup.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { fetchJson as call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const values = (served: string) => `vllm:\n  model: Qwen/Qwen3-0.6B\n  servedModelName: ${served}\n  maxModelLen: 1024\n  maxNumSeqs: 8\n`;
const AFTER = 'vllm/custom-values-after.yaml';
const BEFORE = 'vllm/custom-values-before.yaml';

/** Polls `fn` until it gives a value (errors count as not yet). */
const waitFor = <T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> => until(fn, timeoutMs, what);

describe.each(DB_KINDS)('Git follower crash window (%s)', (kind) => {
  let p: TestPlatform;
  let repo: TestRepo;
  let urls: Record<string, string>;
  let projectId: string;
  let follower: any;
  let svc: any;
  const state = async () => Object.fromEntries((await call(`${urls.vllm}/follow/${projectId}`)).body.files.map((f: any) => [f.path, f]));
  const queue = async () => (await call(`${urls.vllm}/queue/list?limit=100`)).body as any[];

  beforeAll(async () => {
    repo = makeRepo({ [AFTER]: values('crash-after'), [BEFORE]: values('crash-before') });
    p = await startTestPlatform({ kind, env: { BENCHOPS_POLL_TICK_SECONDS: '0.3', BENCHOPS_LOCAL_DEVICES: 'cpu:4' } });
    urls = p.urls as Record<string, string>;
    const created = await call(`${urls.manager}/projects`, {
      method: 'POST',
      json: { name: `crash-${kind}`, project_type: 'vllm', github_repo_url: repo.url, vllm_values_path: 'vllm', polling_interval: 0 },
    });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    projectId = created.body.project_id ?? created.body.project?.project_id ?? created.body.id;
    expect((await call(`${urls.manager}/projects/${projectId}/sync`, { method: 'POST' })).body.status).toBe('success');
    const mod = p.modules.get('vllm') as any;
    follower = mod.follower;
    svc = follower.d.svc;
    // no background passes: each pass below is one asked for, so the process "dies" exactly where the test says
    await follower.stop();
  });
  afterAll(async () => {
    await p?.close();
    repo?.cleanup();
  });

  it('a pass that dies right after the queue item was added, or right before: one item and one deployment per file', async () => {
    const real = svc.enqueue.bind(svc);
    const died = { after: 0, before: 0 };
    svc.enqueue = async (body: any, o: any) => {
      const text: string = body.vllm_config.custom_values_content;
      if (text.includes('crash-after') && !died.after) {
        died.after++;
        await real(body, o); // committed: the queue holds the item
        throw new Error('process killed after the queue item was added');
      }
      if (text.includes('crash-before') && !died.before) {
        died.before++;
        throw new Error('process killed before the queue item was added');
      }
      return real(body, o);
    };
    try {
      expect((await call(`${urls.vllm}/follow/${projectId}`, { method: 'PUT', json: {} })).status).toBe(200);
      // the first pass dies at the first file (paths in order: "after" first)
      await expect(follower.syncNow(projectId)).rejects.toThrow(/killed after/);
      expect((await queue()).length).toBe(1);
      const s1 = await state();
      // the state named the item before it existed: the follower knows it
      expect(s1[AFTER]).toMatchObject({ status: 'deploying', queue_item_id: (await queue())[0].queue_request_id });
      // next pass: the item is adopted (no second one); the other file's pass dies before its item is added
      await expect(follower.syncNow(projectId)).rejects.toThrow(/killed before/);
      expect((await queue()).length).toBe(1);
      expect((await state())[BEFORE]).toMatchObject({ status: 'deploying' });
      // its state names an item that was never added: taken for gone, then deployed once
      let r = await follower.syncNow(projectId);
      expect((await state())[BEFORE].status).toBe('error');
      r = await follower.syncNow(projectId);
      expect(r).toMatchObject({ deployed: 1, error: null });
    } finally {
      svc.enqueue = real;
    }
    const done = await waitFor('both deployed', async () => {
      await follower.syncNow(projectId);
      const s = await state();
      return s[AFTER]?.status === 'deployed' && s[BEFORE]?.status === 'deployed' && s[AFTER].deployment_status === 'running' && s[BEFORE].deployment_status === 'running' ? s : null;
    });
    const items = await queue();
    expect(items.map((q) => q.status).sort()).toEqual(['completed', 'completed']);
    expect(items.map((q) => q.queue_request_id).sort()).toEqual([done[AFTER].queue_item_id, done[BEFORE].queue_item_id].sort());
    const running = Object.values((await call(`${urls.vllm}/deployments?status=running`)).body) as any[];
    expect(running.map((d) => d.deployment_id).sort()).toEqual([done[AFTER].deployment_id, done[BEFORE].deployment_id].sort());
    // and later passes change nothing
    expect(await follower.syncNow(projectId)).toMatchObject({ deployed: 0, healed: 0, stopped: 0 });
    expect((await queue()).length).toBe(2);
    // adding under an id that is taken answers with that item, never a second one
    const again = await svc.enqueue({ vllm_config: { custom_values_content: values('crash-after') }, benchmark_configs: [], keep_deployment: true }, { role: 'operator', id: done[AFTER].queue_item_id });
    expect(again).toMatchObject({ queue_request_id: done[AFTER].queue_item_id, status: 'completed' });
    expect((await queue()).length).toBe(2);
  });

  it('a prune that dies after the stop, before its state is removed, finishes on the next pass', async () => {
    const before = (await state())[BEFORE];
    repo.commit({ [BEFORE]: null }, 'before removed');
    expect((await call(`${urls.manager}/projects/${projectId}/sync`, { method: 'POST' })).body.status).toBe('success');
    const real = follower.store.deleteFile.bind(follower.store);
    follower.store.deleteFile = async () => {
      throw new Error('process killed before the state was removed');
    };
    try {
      await expect(follower.syncNow(projectId)).rejects.toThrow(/killed before the state/);
    } finally {
      follower.store.deleteFile = real;
    }
    expect((await call(`${urls.vllm}/deployments/${before.deployment_id}`)).body.status).toBe('stopped');
    expect((await state())[BEFORE]).toBeDefined();
    // the deployment is stopped already: nothing is stopped twice, the state goes
    expect(await follower.syncNow(projectId)).toMatchObject({ stopped: 0, deployed: 0, error: null });
    expect((await state())[BEFORE]).toBeUndefined();
    expect((await state())[AFTER].status).toBe('deployed');
    expect((await queue()).length).toBe(2);
  });
});
