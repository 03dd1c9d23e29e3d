/**
 * The deployer's status watcher with several replicas on one database (PGlite and PostgreSQL): each active job is
 * followed by exactly one replica, a dead replica's lease is taken over after it expires, a clean stop hands over at
 * once, and a replica that lost its lease can no longer write.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';
import type { Database } from '../src/core/db/client.ts';
import { DeployerRepository } from '../src/services/deployer/repository.ts';
import { deployments } from '../src/services/deployer/schema.ts';
import { StatusWatcher } from '../src/services/deployer/watcher.ts';
import type { Executor, JobStatus } from '../src/services/deployer/executors/types.ts';

const log = pino({ level: 'silent' });

function status(name: string, s: JobStatus['status']): JobStatus {
  return { job_name: name, namespace: 'ns', status: s, phase: null, start_time: null, completion_time: null, active_pods: 0, succeeded_pods: 0, failed_pods: 0, message: null };
}

/** An executor whose jobs are all running until told otherwise; counts open watches per job. */
function fakeExecutor(states: Map<string, JobStatus['status']>, watches: Map<string, number>): Executor {
  return {
    kind: 'kubernetes',
    jobStatus: async (name: string) => status(name, states.get(name) ?? 'running'),
    watchJob: (name: string) => {
      watches.set(name, (watches.get(name) ?? 0) + 1);
      return () => watches.set(name, watches.get(name)! - 1);
    },
  } as unknown as Executor;
}

describe.each(DB_KINDS)('deployer status watcher replicas (%s)', (kind) => {
  let database: Database;
  let repo: DeployerRepository;
  const names: string[] = [];

  beforeAll(async () => {
    database = await freshDatabase(kind);
    repo = new DeployerRepository(database.db);
    for (let i = 0; i < 6; i++) {
      const name = `job-${i}`;
      names.push(name);
      await repo.insert({
        deploymentId: randomUUID(),
        resourceType: 'job',
        resourceName: name,
        namespace: 'ns',
        status: 'pending',
        yamlContent: '',
        resources: [],
        executor: 'kubernetes',
        origin: 'run',
      });
    }
  });
  afterAll(async () => {
    await database?.close();
  });

  it('claims are disjoint between replicas, and leases move only when they lapse', async () => {
    const [a, b] = await Promise.all([repo.claimWatches('A', 60_000, 4), repo.claimWatches('B', 60_000, 4)]);
    const ids = [...a, ...b].map((r) => r.deploymentId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(6);
    expect(await repo.claimWatches('C', 60_000)).toEqual([]);
    // A renews its own
    expect((await repo.claimWatches('A', 60_000)).map((r) => r.deploymentId).sort()).toEqual(a.map((r) => r.deploymentId).sort());
    // A dies: its leases lapse, C takes them; A can no longer write
    await database.db.update(deployments).set({ watchUntil: new Date(Date.now() - 1000) }).where(undefined as any);
    const c = await repo.claimWatches('C', 60_000);
    expect(c.length).toBe(6);
    expect(await repo.applyStatus(a[0].deploymentId, 'A', status(a[0].resourceName, 'completed'))).toBe(false);
    expect(await repo.applyStatus(a[0].deploymentId, 'C', status(a[0].resourceName, 'running'))).toBe(true);
    await repo.releaseWatches('C');
  });

  it('two watchers follow each job exactly once and record completion', async () => {
    const states = new Map<string, JobStatus['status']>();
    const watches = new Map<string, number>();
    const w1 = new StatusWatcher(repo, fakeExecutor(states, watches), log, 100_000);
    const w2 = new StatusWatcher(repo, fakeExecutor(states, watches), log, 100_000);
    await Promise.all([w1.tick(), w2.tick()]);
    await Promise.all([w1.tick(), w2.tick()]);
    expect(names.map((n) => watches.get(n))).toEqual(names.map(() => 1));
    const { rows } = await repo.list({}, 100, 0);
    expect(rows.every((r) => r.status === 'running')).toBe(true);

    states.set('job-0', 'completed');
    states.set('job-1', 'failed');
    await Promise.all([w1.tick(), w2.tick()]);
    const after = Object.fromEntries((await repo.list({}, 100, 0)).rows.map((r) => [r.resourceName, r]));
    expect(after['job-0'].status).toBe('completed');
    expect(after['job-0'].completionTime).toBeInstanceOf(Date);
    expect(after['job-1'].status).toBe('failed');
    expect(watches.get('job-0')).toBe(0);
    expect(after['job-0'].watchOwner).toBeNull();

    // a clean stop hands over at once: the other replica now follows everything still active
    await w1.stop();
    await w2.tick();
    const owners = new Set((await repo.list({}, 100, 0)).rows.filter((r) => r.status === 'running').map((r) => r.watchOwner));
    expect([...owners]).toEqual([w2.owner]);
    await w2.stop();
  });
});
