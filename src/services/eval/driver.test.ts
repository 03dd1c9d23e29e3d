/**
 * The driver following a submitted job, on a real PGlite database, with the deployer as an in-process test double
 * whose run record the test sets: what the history says when the driver's checks fall before, during and after the
 * job's run (a busy machine can have a short job start and finish between two checks).
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../core/db/client.ts';
import { freshDatabase } from '../../../test/helpers/db.ts';
import type { DeploymentRecord } from '../deployer/api.ts';
import { EvalDriver } from './driver.ts';
import type { EvalPorts } from './ports.ts';
import { EvalRepository } from './repository.ts';
import { entry } from './service.ts';

describe('eval driver: following a job (pglite)', () => {
  let database: Database;
  let repo: EvalRepository;
  const records = new Map<string, DeploymentRecord['status']>();
  const ports = {
    deployer: () => ({
      run: async () => {
        throw new Error('not used');
      },
      deleteJob: async () => {},
      getDeployment: async (id: string): Promise<DeploymentRecord> => {
        const at = new Date().toISOString();
        return { deployment_id: id, status: records.get(id)!, resource_type: 'job', resource_name: `job-${id.slice(0, 8)}`, namespace: 'default', created_at: at, updated_at: at };
      },
    }),
    resultPks: async (runId: string) => [`pk-${runId.slice(0, 8)}`],
  } as unknown as EvalPorts;
  let driver: EvalDriver;

  beforeAll(async () => {
    database = await freshDatabase('pglite');
    repo = new EvalRepository(database.db);
    driver = new EvalDriver({
      repo,
      ports,
      log: pino({ level: 'silent' }),
      owner: 'test',
      // ticks only when the test settles (start's first tick aside)
      tickMs: 3_600_000,
      leaseMs: 30_000,
      concurrency: 4,
      probeTimeoutMs: 1000,
      firstBackoffMs: 50,
      maxBackoffMs: 50,
      followMs: 0,
      jobTimeoutMs: 600_000,
      submitRetries: 0,
    });
    driver.start();
  });
  afterAll(async () => {
    await driver?.stop();
    await database?.close();
  });

  async function submitted(): Promise<string> {
    const id = randomUUID();
    const deploymentId = randomUUID();
    await repo.insert({
      id,
      modelName: 'm',
      engineUrl: 'http://127.0.0.1:9/',
      template: { project_id: 'p', job_path: 'j.yaml', config_path: 'c.json' },
      status: 'submitted',
      stage: 'submitted',
      history: [entry('waiting'), entry('submitted')],
      readyDeadline: new Date(Date.now() + 60_000),
      nextCheckAt: new Date(Date.now() - 1),
      deploymentId,
      jobName: 'j',
    });
    records.set(deploymentId, 'pending');
    return id;
  }
  const statuses = async (id: string) => ((await repo.get(id))!.history as Array<{ status: string }>).map((h) => h.status);
  const setRecord = async (id: string, s: DeploymentRecord['status']) => records.set((await repo.get(id))!.deploymentId!, s);

  it('a job seen pending, running, then completed: each stage once, in order', async () => {
    const id = await submitted();
    await driver.settle();
    expect(await statuses(id)).toEqual(['waiting', 'submitted']);
    await setRecord(id, 'running');
    await driver.settle();
    await driver.settle();
    expect(await statuses(id)).toEqual(['waiting', 'submitted', 'running']);
    await setRecord(id, 'completed');
    await driver.settle();
    const row = (await repo.get(id))!;
    expect(row.status).toBe('completed');
    expect(await statuses(id)).toEqual(['waiting', 'submitted', 'running', 'completed']);
    expect(row.resultPks).toEqual([`pk-${row.deploymentId!.slice(0, 8)}`]);
  });

  it('a job that started and finished between two checks still has its running stage, saying so', async () => {
    const id = await submitted();
    await setRecord(id, 'completed');
    await driver.settle();
    const row = (await repo.get(id))!;
    expect(row.status).toBe('completed');
    expect(await statuses(id)).toEqual(['waiting', 'submitted', 'running', 'completed']);
    const running = (row.history as Array<{ status: string; detail?: string }>).find((h) => h.status === 'running')!;
    expect(running.detail).toMatch(/started and finished between two checks/);
  });
});
