/**
 * Queue claim throughput with two schedulers on one PostgreSQL: two connection pools (two replicas), each with
 * `--lanes` concurrent workers doing claim (UPDATE … FOR UPDATE SKIP LOCKED with a lease) → complete (a conditional
 * UPDATE on the claim), over `--items` queued items with mixed priorities. Prints items/s overall and per instance,
 * claim latency p50/p99, and checks that every item was claimed exactly once. Also the full scheduler (two
 * instances with heartbeats, a no-op deployer job per item) end to end.
 *
 *   npx tsx bench/queue-claim.ts [--items 2000] [--lanes 4] [--scheduler-items 200]
 *
 * PostgreSQL: TEST_DATABASE_URL (an admin URL) if set, else a temporary server started like the test setup does.
 */
import { openDatabase, type Database } from '../src/core/db/client.ts';
import { runMigrations } from '../src/core/db/migrate.ts';
import { queueRequestSchema, vllmConfigSchema } from '../src/services/vllm/models.ts';
import { QueueRepository } from '../src/services/vllm/queue.ts';
import { createDatabase, startPostgresServer } from '../test/setup/postgres-admin.ts';
import { FakeDeployer, fakeModule } from '../test/vllm-fakes.ts';
import { arg, percentile as pct } from './common.ts';

const ITEMS = Number(arg('items', '2000'));
const LANES = Number(arg('lanes', '4'));
const SCHED_ITEMS = Number(arg('scheduler-items', '200'));


async function rawClaims(url: string): Promise<void> {
  const a = await openDatabase({ databaseUrl: url, poolSize: LANES + 1 });
  await runMigrations(a);
  const b = await openDatabase({ databaseUrl: url, poolSize: LANES + 1 });
  const qa = new QueueRepository(a.db);
  const qb = new QueueRepository(b.db);
  const pri = ['urgent', 'high', 'medium', 'low'] as const;
  for (let i = 0; i < ITEMS; i++) await qa.insert(queueRequestSchema.parse({ skip_vllm_creation: true, priority: pri[i % 4] }), null);
  const seen = new Map<string, string>();
  const latencies: number[] = [];
  const per: Record<string, number> = { a: 0, b: 0 };
  const worker = async (q: QueueRepository, name: string) => {
    for (;;) {
      const t = performance.now();
      const r = await q.claimNext(name, 60_000);
      latencies.push(performance.now() - t);
      if (!r) return;
      if (seen.has(r.id)) throw new Error(`item ${r.id} claimed twice (${seen.get(r.id)} and ${name})`);
      seen.set(r.id, name);
      per[name]++;
      if (!(await q.update(r.id, name, { status: 'completed', completedAt: new Date() }))) throw new Error(`lost claim on ${r.id}`);
    }
  };
  const t0 = performance.now();
  await Promise.all([...Array.from({ length: LANES }, () => worker(qa, 'a')), ...Array.from({ length: LANES }, () => worker(qb, 'b'))]);
  const s = (performance.now() - t0) / 1000;
  latencies.sort((x, y) => x - y);
  console.log(`raw claim+complete, 2 instances × ${LANES} lanes, ${ITEMS} items on PostgreSQL:`);
  console.log(`  ${(ITEMS / s).toFixed(0)} items/s (${s.toFixed(2)} s); instance a ${per.a}, b ${per.b}; claimed exactly once: ${seen.size === ITEMS}`);
  console.log(`  claim latency p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms`);
  await a.close();
  await b.close();
}

async function schedulers(url: string): Promise<void> {
  const a: Database = await openDatabase({ databaseUrl: url });
  await runMigrations(a);
  const b: Database = await openDatabase({ databaseUrl: url });
  const deployer = new FakeDeployer(0);
  const opts = { concurrency: 8, jobPollMs: 5, leaseMs: 30_000 };
  const ma = fakeModule(a, deployer, { ...opts, instanceId: 'a' });
  const mb = fakeModule(b, deployer, { ...opts, instanceId: 'b' });
  await ma.core.scheduler.setSettings({ running: false });
  const out = await ma.core.deployments.create(vllmConfigSchema.parse({ model_name: 'Qwen/Qwen3-0.6B' }), { clusterId: 'local', priorityRank: 2, keep: true });
  if (out.kind !== 'created') throw new Error('no deployment');
  await ma.core.deployments.waitReady(out.deployment.id);
  for (let i = 0; i < SCHED_ITEMS; i++) {
    await ma.api.enqueue({ skip_vllm_creation: true, deployment_id: out.deployment.id, benchmark_configs: [{ project_id: 'p', job_file_id: `j${i}`, benchmark_type: 'perf' }] });
  }
  await ma.start!();
  await mb.start!();
  const t0 = performance.now();
  await ma.core.scheduler.setSettings({ running: true });
  for (;;) {
    const c = await ma.api.queueStatus();
    if (c.completed_requests + c.failed_requests === SCHED_ITEMS) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const s = (performance.now() - t0) / 1000;
  const items = await ma.api.listQueue({ limit: 1000 });
  const by = (o: string) => items.filter((x) => x.claimed_by === o).length;
  console.log(`full schedulers (2 instances × ${opts.concurrency} concurrent items, heartbeats, one no-op job each), ${SCHED_ITEMS} items:`);
  console.log(
    `  ${(SCHED_ITEMS / s).toFixed(1)} items/s (${s.toFixed(2)} s); instance a ${by('a')}, b ${by('b')}; deployer runs ${deployer.runs.length}; ` +
      `all attempts = 1: ${items.every((x) => x.attempts === 1)}`,
  );
  await ma.core.deployments.stop(out.deployment.id);
  await ma.stop!();
  await mb.stop!();
  await a.close();
  await b.close();
}

const { adminUrl, stop } = await startPostgresServer();
try {
  await rawClaims(await createDatabase(adminUrl, 'bench_q'));
  await schedulers(await createDatabase(adminUrl, 'bench_q'));
} finally {
  await stop();
}
