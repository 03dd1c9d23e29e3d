/**
 * The deployer's list cache (GET /deployments pages under the trigger-maintained version of deployer_deployments),
 * on PGlite and PostgreSQL: every change — an insert, an update, a status the watcher writes, a deletion, a raw SQL
 * write, whichever replica made it — is in the very next list; a list nothing changed since is the cached page; the
 * watcher's lease renewals alone do not invalidate it. Through the real service over HTTP as well.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/core/db/client.ts';
import type { Executor, JobStatus } from '../src/services/deployer/executors/types.ts';
import { DeployerRepository, type DeploymentFilter } from '../src/services/deployer/repository.ts';
import { deployments } from '../src/services/deployer/schema.ts';
import { StatusWatcher } from '../src/services/deployer/watcher.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const log = pino({ level: 'silent' });

function jobStatus(name: string, s: JobStatus['status']): JobStatus {
  return { job_name: name, namespace: 'ns', status: s, phase: null, start_time: null, completion_time: null, active_pods: 0, succeeded_pods: 0, failed_pods: 0, message: `job is ${s}` };
}

function record(name: string, type = 'job') {
  return {
    deploymentId: randomUUID(),
    resourceType: type,
    resourceName: name,
    namespace: 'ns',
    status: 'pending',
    yamlContent: `kind: Job\nmetadata:\n  name: ${name}\n`,
    resources: [],
    executor: 'kubernetes',
    origin: 'run',
  };
}

describe.each(DB_KINDS)('deployer list cache (%s)', (kind) => {
  let database: Database;
  let other: Database;
  /** Two replicas: each its own cache, one database. */
  let a: DeployerRepository;
  let b: DeployerRepository;
  const list = (repo: DeployerRepository, f: DeploymentFilter = {}) => repo.list(f, 50, 0);
  const statuses = async (repo: DeployerRepository, f: DeploymentFilter = {}) =>
    Object.fromEntries((await list(repo, f)).rows.map((r) => [r.resourceName, r.status]));

  beforeAll(async () => {
    database = await freshDatabase(kind);
    // on PostgreSQL the second replica has its own connections; PGlite is one process's database
    other = kind === 'postgres' ? await openDatabase({ databaseUrl: (database as Database & { url?: string }).url }) : database;
    a = new DeployerRepository(database.db);
    b = new DeployerRepository(other.db);
  });
  afterAll(async () => {
    if (other !== database) await other?.close();
    await database?.close();
  });

  it('a list nothing changed since is the cached page; each change is in the next list on either replica', async () => {
    expect((await list(a)).total).toBe(0);
    const first = record('job-1');
    await b.insert(first);
    // inserted on B: A's next list has it, without waiting
    expect(await statuses(a)).toEqual({ 'job-1': 'pending' });
    const page = await list(a);
    expect(await list(a)).toBe(page);
    expect(a.cachedPages).toBeGreaterThan(0);

    await b.update(first.deploymentId, { message: 'changed on B' });
    expect((await list(a)).rows[0].message).toBe('changed on B');

    await b.insert(record('job-2'));
    await b.insert(record('cm-1', 'configmap'));
    expect((await list(a)).total).toBe(3);
    expect((await list(a, { resource_type: 'configmap' })).rows.map((r) => r.resourceName)).toEqual(['cm-1']);
    expect((await list(a, { resource_type: 'job' })).total).toBe(2);

    // marked deleted on A: gone from B's default list, there with include_deleted
    await list(b);
    await a.markDeleted([{ type: 'configmap', name: 'cm-1', namespace: 'ns' }], 'deleted');
    expect(Object.keys(await statuses(b)).sort()).toEqual(['job-1', 'job-2']);
    expect((await statuses(b, { include_deleted: true }))['cm-1']).toBe('deleted');

    // a write by neither repository (another process's SQL) as well
    await database.db.update(deployments).set({ status: 'failed' }).where(eq(deployments.resourceName, 'job-2'));
    expect((await statuses(a))['job-2']).toBe('failed');
    expect((await statuses(b))['job-2']).toBe('failed');

    // concurrent lists after a change share one read of it
    await b.update(first.deploymentId, { message: 'read once' });
    const pages = await Promise.all(Array.from({ length: 8 }, () => list(a)));
    expect(new Set(pages).size).toBe(1);
    expect(pages[0].rows.find((r) => r.resourceName === 'job-1')!.message).toBe('read once');

    const gone = (await list(a)).rows.find((r) => r.resourceName === 'job-2')!;
    await b.remove(gone.deploymentId);
    expect(Object.keys(await statuses(a))).toEqual(['job-1']);
  });

  it("the watcher's status writes are in the next list; lease renewals and statements that change nothing keep the page", async () => {
    const states = new Map<string, JobStatus['status']>();
    const executor = {
      kind: 'kubernetes',
      jobStatus: async (name: string) => jobStatus(name, states.get(name) ?? 'running'),
      watchJob: () => () => {},
    } as unknown as Executor;
    await b.insert(record('watched'));
    expect((await statuses(a))['watched']).toBe('pending');

    const watcher = new StatusWatcher(b, executor, log, 60_000);
    await watcher.tick();
    expect((await statuses(a))['watched']).toBe('running');

    // the watcher renews its lease every tick: that alone is not a change the list shows
    const version = await a.listVersion();
    const page = await list(a);
    expect((await b.claimWatches(watcher.owner, 60_000)).map((r) => r.resourceName)).toContain('watched');
    await b.releaseWatches('nobody');
    await b.update('no-such-id', { message: 'x' });
    expect(await a.listVersion()).toBe(version);
    expect(await list(a)).toBe(page);

    states.set('watched', 'completed');
    await watcher.tick();
    const done = (await list(a)).rows.find((r) => r.resourceName === 'watched')!;
    expect(done.status).toBe('completed');
    expect(done.message).toBe('job is completed');
    expect(done.completionTime).not.toBeNull();
    await watcher.stop();
  });
});

describe.each(DB_KINDS)('deployer GET /deployments over HTTP (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;
  const names = async (q = '') => (await call(base, 'GET', `/deployments${q}`)).body.map((d: any) => `${d.resource_name}:${d.status}`).sort();
  const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"\n`;

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['deployer'], env: { BENCHOPS_POLL_TICK_SECONDS: '60' } });
    base = p.urls.deployer!;
  });
  afterAll(async () => {
    await p?.close();
  });

  it('each apply, delete and record change is in the next answer, total included', async () => {
    expect(await names()).toEqual([]);
    expect((await call(base, 'POST', '/deploy', { yaml_content: configMap('cm-a') })).status).toBe(200);
    expect(await names()).toEqual(['cm-a:running']);
    expect(await names()).toEqual(['cm-a:running']);
    expect((await call(base, 'POST', '/deploy', { yaml_content: configMap('cm-b') })).status).toBe(200);
    const both = await call(base, 'GET', '/deployments');
    expect(both.headers.get('x-total-count')).toBe('2');
    expect(both.body.map((d: any) => d.resource_name).sort()).toEqual(['cm-a', 'cm-b']);

    expect((await call(base, 'POST', '/delete', { yaml_content: configMap('cm-a') })).status).toBe(200);
    expect(await names()).toEqual(['cm-b:running']);
    expect(await names('?include_deleted=true')).toEqual(['cm-a:deleted', 'cm-b:running']);

    // a status another replica (or the watcher) writes
    const repo = new DeployerRepository(p.ctx.db);
    const id = both.body.find((d: any) => d.resource_name === 'cm-b').deployment_id;
    await repo.update(id, { status: 'failed', message: 'from another replica' });
    const after = await call(base, 'GET', '/deployments');
    expect(after.body.map((d: any) => [d.resource_name, d.status, d.message])).toEqual([['cm-b', 'failed', 'from another replica']]);
    expect(after.headers.get('x-total-count')).toBe('1');
  });
});
