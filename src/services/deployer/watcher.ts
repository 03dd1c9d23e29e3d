/**
 * Tracks job records to completion. Each tick claims (or renews) a lease on active job records in the database
 * (`FOR UPDATE SKIP LOCKED`), so with several replicas each job is followed by exactly one of them; the holder keeps an
 * executor watch open and also polls once per tick (a missed watch event cannot leave a record stale).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { isAppError } from '../../core/errors.ts';
import type { Executor, JobStatus } from './executors/types.ts';
import { deletedJobStatus, TERMINAL_PHASES } from './executors/types.ts';
import type { DeployerRepository } from './repository.ts';

export class StatusWatcher {
  readonly owner = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly watching = new Map<string, () => void>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private again = false;
  private stopped = false;
  ticks = 0;

  constructor(
    private readonly repo: DeployerRepository,
    private readonly executor: Executor,
    private readonly log: Logger,
    private readonly tickMs: number,
    private readonly onTick?: () => Promise<void>,
  ) {}

  get leaseMs(): number {
    return Math.max(3 * this.tickMs, 15_000);
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** Runs one tick (or joins the running one and schedules another right after). */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        await this.once().catch((e) => this.log.warn({ err: e }, 'deployer watcher tick failed'));
      } while (this.again);
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async once(): Promise<void> {
    this.ticks++;
    const rows = await this.repo.claimWatches(this.owner, this.leaseMs);
    const held = new Set(rows.map((r) => r.deploymentId));
    for (const [id, stop] of this.watching) {
      if (!held.has(id)) {
        stop();
        this.watching.delete(id);
      }
    }
    for (const r of rows) {
      if (!this.watching.has(r.deploymentId)) {
        const stop = this.executor.watchJob(r.resourceName, r.namespace, (s) => void this.apply(r.deploymentId, s));
        this.watching.set(r.deploymentId, stop);
      }
      try {
        await this.apply(r.deploymentId, await this.executor.jobStatus(r.resourceName, r.namespace));
      } catch (e) {
        if (isAppError(e) && e.status === 404) {
          await this.apply(r.deploymentId, deletedJobStatus(r.resourceName, r.namespace));
        } else this.log.warn({ err: e, job: r.resourceName }, 'job status check failed');
      }
    }
    await this.onTick?.();
  }

  private async apply(id: string, s: JobStatus): Promise<void> {
    if (this.stopped) return;
    try {
      const written = await this.repo.applyStatus(id, this.owner, s);
      if (TERMINAL_PHASES.includes(s.status) || !written) {
        this.watching.get(id)?.();
        this.watching.delete(id);
      }
    } catch (e) {
      this.log.warn({ err: e, deployment_id: id }, 'status update failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const stop of this.watching.values()) stop();
    this.watching.clear();
    await this.ticking?.catch(() => {});
    await this.repo.releaseWatches(this.owner).catch(() => {});
  }
}
