/**
 * Database access for MLflow events and settings. The row per (model, version, engine) is the claim: inserting it
 * twice yields nothing the second time, and processing needs a lease taken with one conditional UPDATE over a
 * `FOR UPDATE SKIP LOCKED` selection, so two replicas, a webhook and a manual poll never process a version twice.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../core/db/client.ts';
import { mlflowEvents, mlflowSettings } from './schema.ts';

export type EventRow = typeof mlflowEvents.$inferSelect;
export type EventStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'abandoned';

export interface NewEvent {
  modelName: string;
  version: string;
  engine: string;
  trigger: string;
  selection: string;
  mlflow: Record<string, unknown>;
}

export interface EventFilter {
  model_name?: string;
  version?: string;
  engine?: string;
  status?: string;
  trigger?: string;
  event_type?: string;
  limit: number;
  offset: number;
}

const DUE_STATUSES = ['pending', 'failed'];

export class MlflowRepository {
  constructor(private readonly db: Db) {}

  /** Inserts the event unless that (model, version, engine) exists; true when this call created it. */
  async insertIfNew(e: NewEvent): Promise<boolean> {
    const rows = await this.db
      .insert(mlflowEvents)
      .values({ id: randomUUID(), ...e, status: 'pending', nextAttemptAt: new Date() })
      .onConflictDoNothing({ target: [mlflowEvents.modelName, mlflowEvents.version, mlflowEvents.engine] })
      .returning({ id: mlflowEvents.id });
    return rows.length > 0;
  }

  /** Inserts the events that are new (in chunks, one statement each); returns how many were created. */
  async insertManyIfNew(events: NewEvent[]): Promise<number> {
    let created = 0;
    for (let i = 0; i < events.length; i += 500) {
      // due from this process's clock, the one claimDue compares with: the column's default (the database's now(),
      // microseconds) could be later than a claim made in the same millisecond, and the new event would wait a poll
      const now = new Date();
      const chunk = events.slice(i, i + 500).map((e) => ({ id: randomUUID(), ...e, status: 'pending', nextAttemptAt: now }));
      const rows = await this.db
        .insert(mlflowEvents)
        .values(chunk)
        .onConflictDoNothing({ target: [mlflowEvents.modelName, mlflowEvents.version, mlflowEvents.engine] })
        .returning({ id: mlflowEvents.id });
      created += rows.length;
    }
    return created;
  }

  /**
   * Leases up to `limit` events that are due (pending, failed with their retry time reached, or processing under an
   * expired lease), optionally only `ids`.
   */
  async claimDue(owner: string, leaseMs: number, limit: number, ids?: string[]): Promise<EventRow[]> {
    const now = new Date();
    return this.db.transaction(async (tx) => {
      const due = or(
        and(inArray(mlflowEvents.status, DUE_STATUSES), lte(mlflowEvents.nextAttemptAt, now)),
        and(eq(mlflowEvents.status, 'processing'), lt(mlflowEvents.leaseUntil, now)),
      );
      const free = await tx
        .select({ id: mlflowEvents.id })
        .from(mlflowEvents)
        .where(ids ? and(due, inArray(mlflowEvents.id, ids)) : due)
        .orderBy(asc(mlflowEvents.nextAttemptAt), asc(mlflowEvents.id))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (!free.length) return [];
      return tx
        .update(mlflowEvents)
        .set({ status: 'processing', leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs), attempts: sql`${mlflowEvents.attempts} + 1`, updatedAt: now })
        .where(inArray(mlflowEvents.id, free.map((r) => r.id)))
        .returning();
    });
  }

  /** Records progress of a leased event (done steps survive a retry); false when the lease was lost. */
  async update(id: string, owner: string, set: Partial<Pick<EventRow, 'outcome' | 'warnings' | 'eventType' | 'mlflow'>>): Promise<boolean> {
    const rows = await this.db
      .update(mlflowEvents)
      .set({ ...set, updatedAt: new Date() })
      .where(and(eq(mlflowEvents.id, id), eq(mlflowEvents.leaseOwner, owner), eq(mlflowEvents.status, 'processing')))
      .returning({ id: mlflowEvents.id });
    return rows.length > 0;
  }

  /** Ends a leased event: completed, failed (due again at `retryAt`) or abandoned. */
  async finish(id: string, owner: string, status: 'completed' | 'failed' | 'abandoned', o: { error?: string | null; retryAt?: Date } = {}): Promise<EventRow | undefined> {
    const now = new Date();
    const [row] = await this.db
      .update(mlflowEvents)
      .set({
        status,
        error: o.error ?? null,
        nextAttemptAt: o.retryAt ?? now,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
        finishedAt: status === 'failed' ? null : now,
      })
      .where(and(eq(mlflowEvents.id, id), eq(mlflowEvents.leaseOwner, owner)))
      .returning();
    return row;
  }

  /** Makes a failed or abandoned event due now with fresh attempts (POST /events/{id}/retry). */
  async retryNow(id: string): Promise<EventRow | undefined> {
    const [row] = await this.db
      .update(mlflowEvents)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: new Date(), updatedAt: new Date() })
      .where(and(eq(mlflowEvents.id, id), inArray(mlflowEvents.status, ['failed', 'abandoned'])))
      .returning();
    return row;
  }

  async get(id: string): Promise<EventRow | undefined> {
    const [row] = await this.db.select().from(mlflowEvents).where(eq(mlflowEvents.id, id));
    return row;
  }

  async findKey(modelName: string, version: string, engine: string): Promise<EventRow | undefined> {
    const [row] = await this.db
      .select()
      .from(mlflowEvents)
      .where(and(eq(mlflowEvents.modelName, modelName), eq(mlflowEvents.version, version), eq(mlflowEvents.engine, engine)));
    return row;
  }

  async list(f: EventFilter): Promise<{ rows: EventRow[]; total: number }> {
    const conds: SQL[] = [];
    if (f.model_name) conds.push(eq(mlflowEvents.modelName, f.model_name));
    if (f.version) conds.push(eq(mlflowEvents.version, f.version));
    if (f.engine) conds.push(eq(mlflowEvents.engine, f.engine));
    if (f.status) conds.push(eq(mlflowEvents.status, f.status));
    if (f.trigger) conds.push(eq(mlflowEvents.trigger, f.trigger));
    if (f.event_type) conds.push(eq(mlflowEvents.eventType, f.event_type));
    const where = conds.length ? and(...conds) : undefined;
    const rows = await this.db.select().from(mlflowEvents).where(where).orderBy(desc(mlflowEvents.createdAt), desc(mlflowEvents.id)).limit(f.limit).offset(f.offset);
    const [{ n }] = await this.db.select({ n: count() }).from(mlflowEvents).where(where);
    return { rows, total: Number(n) };
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.select({ s: mlflowEvents.status, n: count() }).from(mlflowEvents).groupBy(mlflowEvents.status);
    return Object.fromEntries(rows.map((r) => [r.s, Number(r.n)]));
  }

  async loadSettings(): Promise<{ settings: Record<string, unknown>; secrets: Record<string, string> } | undefined> {
    const [row] = await this.db.select().from(mlflowSettings).where(eq(mlflowSettings.id, 'default'));
    return row ? { settings: row.settings as Record<string, unknown>, secrets: row.secrets as Record<string, string> } : undefined;
  }

  async saveSettings(settings: Record<string, unknown>, secrets: Record<string, string>): Promise<void> {
    await this.db
      .insert(mlflowSettings)
      .values({ id: 'default', settings, secrets })
      .onConflictDoUpdate({ target: mlflowSettings.id, set: { settings, secrets, updatedAt: new Date() } });
  }
}
