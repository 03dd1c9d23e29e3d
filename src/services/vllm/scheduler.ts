/**
 * The queue scheduler of one process. Its on/off state and poll interval live in the database (every replica obeys
 * `/scheduler/stop`); stopping never interrupts items already running (they finish), and a process shutting down
 * releases its leases so another replica, or this one after a restart, resumes them from their checkpoints.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../core/db/client.ts';
import { Pipeline, Stop } from './pipeline.ts';
import type { QueueRepository, QueueRow } from './queue.ts';
import { vllmScheduler } from './schema.ts';

export interface SchedulerOptions {
  db: Db;
  queue: QueueRepository;
  pipeline: Pipeline;
  log: Logger;
  owner: string;
  /** Default poll interval (s) when none is stored. */
  defaultPollSeconds: number;
  leaseMs: number;
  /** Items one process runs at once. */
  concurrency: number;
  /** After this many claims an interrupted item fails instead of resuming again. */
  maxAttempts: number;
}

export function newInstanceId(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private looping = false;
  private ticking: Promise<void> | null = null;
  private again = false;
  private readonly active = new Map<string, { ctrl: AbortController; done: Promise<void> }>();
  lastTickAt: Date | null = null;
  lastError: string | null = null;
  processed = 0;

  constructor(private readonly o: SchedulerOptions) {}

  get owner(): string {
    return this.o.owner;
  }

  async settings(): Promise<{ running: boolean; pollInterval: number }> {
    const [row] = await this.o.db.select().from(vllmScheduler).where(eq(vllmScheduler.id, 'default'));
    return { running: row ? row.running : true, pollInterval: row?.pollInterval ?? this.o.defaultPollSeconds };
  }

  async setSettings(set: { running?: boolean; pollInterval?: number }): Promise<void> {
    const cur = await this.settings();
    const next = { running: set.running ?? cur.running, pollInterval: set.pollInterval ?? cur.pollInterval };
    await this.o.db
      .insert(vllmScheduler)
      .values({ id: 'default', running: next.running, pollInterval: set.pollInterval ?? null, updatedAt: new Date() })
      .onConflictDoUpdate({
        target: vllmScheduler.id,
        set: { running: next.running, ...(set.pollInterval !== undefined ? { pollInterval: set.pollInterval } : {}), updatedAt: new Date() },
      });
    this.wake();
  }

  /** Starts this process' loop (the stored on/off state decides whether it claims anything). */
  start(): void {
    if (this.looping) return;
    this.looping = true;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.looping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
    this.timer.unref?.();
  }

  /** Runs a tick now (after an enqueue, a cancel, a finished item). */
  wake(): void {
    if (!this.looping) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  private async loop(): Promise<void> {
    let poll = this.o.defaultPollSeconds;
    try {
      this.ticking = this.tick().then((p) => {
        poll = p;
      });
      await this.ticking;
      this.lastError = null;
    } catch (e: any) {
      this.lastError = e.message;
      this.o.log.warn({ err: e.message }, 'scheduler tick failed');
    } finally {
      this.ticking = null;
    }
    if (this.again) {
      this.again = false;
      this.schedule(0);
    } else this.schedule(poll * 1000);
  }

  /** One pass: expire overdue items, finish orphaned cancellations, resume stale items, claim new ones. Returns the poll interval. */
  async tick(): Promise<number> {
    this.lastTickAt = new Date();
    const s = await this.settings();
    await this.o.queue.expireOverdue();
    const cleanup = await this.o.queue.claimCleanup(this.o.owner, this.o.leaseMs);
    if (cleanup) await this.o.pipeline.cleanup(cleanup).catch((e) => this.o.log.warn({ err: e.message }, 'cancel cleanup failed'));
    if (!s.running) return s.pollInterval;
    while (this.looping && this.active.size < this.o.concurrency) {
      let item = await this.o.queue.claimStale(this.o.owner, this.o.leaseMs);
      if (item) {
        if (item.attempts > this.o.maxAttempts) {
          await this.o.queue.update(item.id, this.o.owner, {
            status: 'failed',
            currentStep: 'failed',
            completedAt: new Date(),
            errorMessage: `Interrupted ${item.attempts - 1} times (scheduler restarts or crashes); not resumed again`,
          });
          continue;
        }
        this.o.log.info({ item: item.id, step: item.currentStep, attempt: item.attempts }, 'resuming an interrupted queue item');
      } else item = await this.o.queue.claimNext(this.o.owner, this.o.leaseMs);
      if (!item) break;
      this.launch(item);
    }
    return s.pollInterval;
  }

  private launch(item: QueueRow): void {
    const ctrl = new AbortController();
    const hb = setInterval(() => void this.heartbeat(item.id, ctrl), Math.max(200, Math.min(this.o.leaseMs / 3, 2000)));
    hb.unref?.();
    const done = this.o.pipeline
      .run(item, ctrl.signal)
      .catch((e) => this.o.log.error({ item: item.id, err: e.message }, 'queue item crashed'))
      .finally(() => {
        clearInterval(hb);
        this.active.delete(item.id);
        this.processed++;
        this.wake();
      });
    this.active.set(item.id, { ctrl, done });
  }

  private async heartbeat(id: string, ctrl: AbortController): Promise<void> {
    if (ctrl.signal.aborted) return;
    const lost = await this.o.queue.renew(id, this.o.owner, this.o.leaseMs).catch(() => null);
    if (!lost || ctrl.signal.aborted) return;
    ctrl.abort(new Stop(lost === 'cancelled' ? 'cancelled' : 'lost', `item ${id}: ${lost}`));
  }

  /** Stops the running step of an item this process runs (cancel fast path); other processes notice on heartbeat. */
  interrupt(id: string, why: 'cancelled' | 'shutdown'): Promise<void> | null {
    const a = this.active.get(id);
    if (!a) return null;
    a.ctrl.abort(new Stop(why, `item ${id} ${why}`));
    return a.done;
  }

  activeIds(): string[] {
    return [...this.active.keys()];
  }

  /** Stops the loop; in-flight items are interrupted and their leases released for a later resume. */
  async stop(): Promise<void> {
    this.looping = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => {});
    const waits = [...this.active.keys()].map((id) => this.interrupt(id, 'shutdown'));
    await Promise.all(waits);
    await this.o.queue.releaseAll(this.o.owner).catch(() => {});
  }

  async pendingCount(): Promise<number> {
    const r: any = await this.o.db.execute(sql`SELECT count(*)::int AS n FROM vllm_queue WHERE status = 'pending'`);
    return Number((r.rows ?? r)[0]?.n ?? 0);
  }
}
