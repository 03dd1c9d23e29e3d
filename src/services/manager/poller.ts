/**
 * Background polling of projects with `polling_interval > 0`, safe with several replicas on one PostgreSQL: a replica
 * claims a due project by moving its `next_sync_at` one interval ahead and taking a lease in one UPDATE over a
 * `FOR UPDATE SKIP LOCKED` row, so each interval's sync runs on exactly one replica.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../core/db/client.ts';
import type { Syncer } from './sync.ts';

/** Longest a claimed sync may run before another replica may take the project over. */
const LEASE_SECONDS = 600;

export class SyncPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private halted = false;

  constructor(
    private readonly db: Db,
    private readonly syncer: Syncer,
    private readonly instanceId: string,
    private readonly tickMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halted = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  get active(): boolean {
    return !this.stopped;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((e) => this.log.error({ err: e }, 'sync polling tick failed'))
        .finally(() => {
          this.running = null;
          this.schedule(this.tickMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** Claims one due project (or none); returns its id. */
  async claimDue(): Promise<string | null> {
    const r: any = await this.db.execute(sql`
      UPDATE manager_projects p
         SET next_sync_at = now() + make_interval(secs => p.polling_interval),
             lease_until = now() + make_interval(secs => ${LEASE_SECONDS}),
             lease_owner = ${this.instanceId}
       WHERE p.id = (
         SELECT id FROM manager_projects
          WHERE polling_interval > 0
            AND (next_sync_at IS NULL OR next_sync_at <= now())
            AND (lease_until IS NULL OR lease_until < now())
          ORDER BY next_sync_at NULLS FIRST
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
      RETURNING p.id`);
    const rows = r.rows ?? r;
    return rows[0]?.id ?? null;
  }

  /** Syncs every project due now (one at a time), releasing each lease afterwards. */
  async tick(): Promise<number> {
    let n = 0;
    for (let i = 0; i < 20 && !this.halted; i++) {
      const id = await this.claimDue();
      if (!id) break;
      n++;
      try {
        await this.syncer.sync(id, 'poll');
      } catch (e: any) {
        if (e?.status !== 404) this.log.error({ err: e, project_id: id }, 'polled sync failed');
      } finally {
        // The next interval counts from the end of this sync, so slow syncs never overlap.
        await this.db.execute(sql`
          UPDATE manager_projects
             SET lease_until = NULL, lease_owner = NULL,
                 next_sync_at = now() + make_interval(secs => polling_interval)
           WHERE id = ${id} AND lease_owner = ${this.instanceId}`);
      }
    }
    return n;
  }
}
