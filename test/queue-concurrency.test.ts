/**
 * Two scheduler instances (separate connection pools, as two replicas) on one PostgreSQL: 50 queued items are each
 * processed exactly once, and racing raw claims never hand one item to both.
 */
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/core/db/client.ts';
import { QueueRepository } from '../src/services/vllm/queue.ts';
import { queueRequestSchema, vllmConfigSchema } from '../src/services/vllm/models.ts';
import { freshDatabase } from './helpers/db.ts';
import { FakeDeployer, fakeModule, job, until } from './vllm-fakes.ts';

describe('queue with two schedulers on one PostgreSQL', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  });

  async function twoPools(): Promise<[Database, Database]> {
    const a = await freshDatabase('postgres');
    const b = await openDatabase({ databaseUrl: a.url });
    closers.push(() => a.close(), () => b.close());
    return [a, b];
  }

  it('processes each of 50 items exactly once', async () => {
    const [dbA, dbB] = await twoPools();
    const deployer = new FakeDeployer(5);
    const a = fakeModule(dbA, deployer, { instanceId: 'sched-a', concurrency: 4 });
    const b = fakeModule(dbB, deployer, { instanceId: 'sched-b', concurrency: 4 });
    closers.push(() => a.stop!(), () => b.stop!());
    await a.core.scheduler.setSettings({ running: false });
    const created = await a.core.deployments.create(vllmConfigSchema.parse({ model_name: 'Qwen/Qwen3-0.6B' }), { clusterId: 'local', priorityRank: 2, keep: true });
    const depId = (created as any).deployment.id as string;
    await a.core.deployments.waitReady(depId);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const pri = (['urgent', 'high', 'medium', 'low'] as const)[i % 4];
      ids.push((await a.api.enqueue({ skip_vllm_creation: true, deployment_id: depId, benchmark_configs: [job(i)], priority: pri })).queue_request_id);
    }
    await a.start!();
    await b.start!();
    await a.core.scheduler.setSettings({ running: true });
    const items = await until(
      async () => {
        const list = await a.api.listQueue({ limit: 100 });
        return list.length === 50 && list.every((x) => x.status === 'completed' || x.status === 'failed') ? list : null;
      },
      60_000,
      '50 items to finish',
    );
    expect(items.filter((x) => x.status === 'completed')).toHaveLength(50);
    expect(items.every((x) => x.attempts === 1 && x.completed_steps === 1 && x.total_steps === 1)).toBe(true);
    // one deployer run per item, each with that item's run id
    expect(deployer.runs).toHaveLength(50);
    const runIds = deployer.runs.map((r) => r.opts!.env!.BENCHOPS_RUN_ID);
    expect(new Set(runIds).size).toBe(50);
    expect(new Set(runIds.map((r) => r.slice(0, 36)))).toEqual(new Set(ids));
    // both instances did work
    const by = (o: string) => items.filter((x) => x.claimed_by === o).length;
    expect(by('sched-a') + by('sched-b')).toBe(50);
    expect(by('sched-a')).toBeGreaterThan(0);
    expect(by('sched-b')).toBeGreaterThan(0);
    await a.core.deployments.stop(depId);
  });

  it('takes over an item whose scheduler died (lease expired) and fails one interrupted too often', async () => {
    const [dbA, dbB] = await twoPools();
    const deployer = new FakeDeployer(0);
    const b = fakeModule(dbB, deployer, { instanceId: 'survivor', maxAttempts: 3 });
    closers.push(() => b.stop!());
    await b.core.scheduler.setSettings({ running: false });
    const created = await b.core.deployments.create(vllmConfigSchema.parse({ model_name: 'Qwen/Qwen3-0.6B' }), { clusterId: 'local', priorityRank: 2, keep: true });
    const depId = (created as any).deployment.id as string;
    await b.core.deployments.waitReady(depId);
    const x = await b.api.enqueue({ skip_vllm_creation: true, deployment_id: depId, benchmark_configs: [job(1)] });
    const y = await b.api.enqueue({ skip_vllm_creation: true, deployment_id: depId, benchmark_configs: [job(2)] });
    // a replica that claims both and dies without a word (no heartbeat, no release)
    await b.core.scheduler.setSettings({ running: true });
    const dead = new QueueRepository(dbA.db);
    expect((await dead.claimNext('dead', 300))?.id).toBe(x.queue_request_id);
    expect((await dead.claimNext('dead', 300))?.id).toBe(y.queue_request_id);
    await dbA.db.execute(sql`UPDATE vllm_queue SET attempts = 3 WHERE id = ${y.queue_request_id}`);
    await b.start!();
    const [dx, dy] = await until(async () => {
      const r = await Promise.all([b.api.getQueueItem(x.queue_request_id), b.api.getQueueItem(y.queue_request_id)]);
      return r.every((i) => i.status === 'completed' || i.status === 'failed') ? r : null;
    });
    expect(dx).toMatchObject({ status: 'completed', claimed_by: 'survivor', attempts: 2, completed_steps: 1 });
    expect(dy.status).toBe('failed');
    expect(dy.error_message).toMatch(/Interrupted 3 times/);
    expect(deployer.runs.map((r) => r.req.job_file_id)).toEqual(['job-1']);
    await b.core.deployments.stop(depId);
  });

  it('racing claims from two pools never hand one item to both', async () => {
    const [dbA, dbB] = await twoPools();
    const qa = new QueueRepository(dbA.db);
    const qb = new QueueRepository(dbB.db);
    const req = queueRequestSchema.parse({ skip_vllm_creation: true });
    for (let i = 0; i < 50; i++) await qa.insert(req, null);
    const claimed: Record<string, string[]> = { a: [], b: [] };
    const worker = async (q: QueueRepository, name: 'a' | 'b') => {
      const lanes = Array.from({ length: 4 }, async () => {
        for (;;) {
          const r = await q.claimNext(name, 60_000);
          if (!r) return;
          claimed[name].push(r.id);
        }
      });
      await Promise.all(lanes);
    };
    await Promise.all([worker(qa, 'a'), worker(qb, 'b')]);
    const all = [...claimed.a, ...claimed.b];
    expect(all).toHaveLength(50);
    expect(new Set(all).size).toBe(50);
    const rows = (await qa.list({ limit: 100, offset: 0 })).rows;
    for (const r of rows) expect(r.claimedBy).toBe(claimed.a.includes(r.id) ? 'a' : 'b');
  });
});
