/**
 * Database access for evaluations and schedules (drizzle). Driver claims are leases taken with `FOR UPDATE SKIP
 * LOCKED`, so several replicas share the work and none takes a row another holds; every state change names the
 * status it expects, so a cancel and a driver step cannot both win.
 */
import { and, asc, count, desc, eq, inArray, isNull, lt, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../core/db/client.ts';
import type { EvaluationStatus, HistoryEntry } from './api.ts';
import { evaluations, schedules, type EvaluationRow, type NewEvaluationRow, type ScheduleRow } from './schema.ts';

export const ACTIVE: EvaluationStatus[] = ['waiting', 'submitted', 'running'];

export interface EvaluationFilter {
  status?: EvaluationStatus;
  model_name?: string;
  schedule_id?: string;
  inference_engine_url?: string;
}

export type EvaluationPatch = Partial<Omit<NewEvaluationRow, 'id' | 'history' | 'createdAt'>>;

export class EvalRepository {
  constructor(readonly db: Db) {}

  async insert(row: NewEvaluationRow): Promise<EvaluationRow> {
    const [r] = await this.db.insert(evaluations).values(row).returning();
    return r;
  }

  async get(id: string): Promise<EvaluationRow | undefined> {
    const [r] = await this.db.select().from(evaluations).where(eq(evaluations.id, id));
    return r;
  }

  async list(f: EvaluationFilter, limit: number, offset: number): Promise<{ items: EvaluationRow[]; total: number }> {
    const conds: SQL[] = [];
    if (f.status) conds.push(eq(evaluations.status, f.status));
    if (f.model_name) conds.push(eq(evaluations.modelName, f.model_name));
    if (f.schedule_id) conds.push(eq(evaluations.scheduleId, f.schedule_id));
    if (f.inference_engine_url) conds.push(eq(evaluations.engineUrl, f.inference_engine_url));
    const where = conds.length ? and(...conds) : undefined;
    const items = await this.db.select().from(evaluations).where(where).orderBy(desc(evaluations.createdAt), desc(evaluations.id)).limit(limit).offset(offset);
    const [{ n }] = await this.db.select({ n: count() }).from(evaluations).where(where);
    return { items, total: Number(n) };
  }

  async countWaiting(): Promise<number> {
    const [{ n }] = await this.db.select({ n: count() }).from(evaluations).where(eq(evaluations.status, 'waiting'));
    return Number(n);
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.select({ s: evaluations.status, n: count() }).from(evaluations).groupBy(evaluations.status);
    return Object.fromEntries(rows.map((r) => [r.s, Number(r.n)]));
  }

  /** Claims up to `limit` active evaluations that are due and whose lease is free, expired or ours, for `leaseMs`. */
  async claimDue(owner: string, leaseMs: number, limit: number, now = new Date(), exclude: string[] = []): Promise<EvaluationRow[]> {
    return this.db.transaction(async (tx) => {
      const free = await tx
        .select({ id: evaluations.id })
        .from(evaluations)
        .where(
          and(
            inArray(evaluations.status, ACTIVE),
            lte(evaluations.nextCheckAt, now),
            // rows this replica is stepping right now stay out (their lease is ours, so the lease test lets them in)
            exclude.length ? notInArray(evaluations.id, exclude) : undefined,
            or(isNull(evaluations.leaseUntil), lt(evaluations.leaseUntil, now), eq(evaluations.leaseOwner, owner)),
          ),
        )
        .orderBy(asc(evaluations.nextCheckAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (!free.length) return [];
      return tx
        .update(evaluations)
        .set({ leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) })
        .where(inArray(evaluations.id, free.map((r) => r.id)))
        .returning();
    });
  }

  /**
   * Changes an evaluation that is still in one of `expect` (and, with `owner`, still leased by it); appends `entry` to
   * its history. Returns the new row, or undefined when the row moved on meanwhile (cancelled, or claimed elsewhere).
   */
  async transition(id: string, expect: EvaluationStatus[], patch: EvaluationPatch, entry?: HistoryEntry | HistoryEntry[], owner?: string): Promise<EvaluationRow | undefined> {
    const entries = entry === undefined ? [] : Array.isArray(entry) ? entry : [entry];
    const conds = [eq(evaluations.id, id), inArray(evaluations.status, expect)];
    if (owner) conds.push(eq(evaluations.leaseOwner, owner));
    const [r] = await this.db
      .update(evaluations)
      .set({
        ...patch,
        updatedAt: new Date(),
        ...(entries.length ? { history: sql`${evaluations.history} || ${JSON.stringify(entries)}::jsonb` } : {}),
      })
      .where(and(...conds))
      .returning();
    return r;
  }

  // ---- schedules ----

  async insertSchedule(row: typeof schedules.$inferInsert): Promise<ScheduleRow> {
    const [r] = await this.db.insert(schedules).values(row).returning();
    return r;
  }

  async getSchedule(id: string): Promise<ScheduleRow | undefined> {
    const [r] = await this.db.select().from(schedules).where(eq(schedules.id, id));
    return r;
  }

  async scheduleByName(name: string): Promise<ScheduleRow | undefined> {
    const [r] = await this.db.select().from(schedules).where(eq(schedules.name, name));
    return r;
  }

  async listSchedules(f: { paused?: boolean; model_name?: string }, limit: number, offset: number): Promise<{ items: ScheduleRow[]; total: number }> {
    const conds: SQL[] = [];
    if (f.paused !== undefined) conds.push(eq(schedules.paused, f.paused));
    if (f.model_name) conds.push(eq(schedules.modelName, f.model_name));
    const where = conds.length ? and(...conds) : undefined;
    const items = await this.db.select().from(schedules).where(where).orderBy(desc(schedules.createdAt), desc(schedules.id)).limit(limit).offset(offset);
    const [{ n }] = await this.db.select({ n: count() }).from(schedules).where(where);
    return { items, total: Number(n) };
  }

  async updateSchedule(id: string, patch: Partial<typeof schedules.$inferInsert>): Promise<ScheduleRow | undefined> {
    const [r] = await this.db.update(schedules).set({ ...patch, updatedAt: new Date() }).where(eq(schedules.id, id)).returning();
    return r;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    const r = await this.db.delete(schedules).where(eq(schedules.id, id)).returning({ id: schedules.id });
    return r.length > 0;
  }

  async countSchedules(): Promise<number> {
    const [{ n }] = await this.db.select({ n: count() }).from(schedules);
    return Number(n);
  }

  /** Unpaused schedules whose next tick is due (read without a lock: `fireTick` decides who fires). */
  async dueSchedules(now: Date, limit: number): Promise<ScheduleRow[]> {
    return this.db
      .select()
      .from(schedules)
      .where(and(eq(schedules.paused, false), lte(schedules.nextRunAt, now)))
      .orderBy(asc(schedules.nextRunAt))
      .limit(limit);
  }

  /**
   * Fires one tick of a schedule: moves `next_run_at` from the tick that was due (`tick`) to `next`, and stores the
   * evaluation (or the reason none could be made), in one transaction. Only the replica whose update still finds
   * `tick` fires; the others get false. The evaluation's (schedule, tick) is unique as a second guard.
   */
  async fireTick(s: ScheduleRow, tick: Date, next: Date | null, evaluation: NewEvaluationRow | null, error: string | null): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const moved = await tx
        .update(schedules)
        .set({
          nextRunAt: next,
          lastRunAt: new Date(),
          updatedAt: new Date(),
          lastError: error,
          ...(evaluation ? { lastEvaluationId: evaluation.id, fired: sql`${schedules.fired} + 1` } : {}),
        })
        .where(and(eq(schedules.id, s.id), eq(schedules.nextRunAt, tick), eq(schedules.paused, false)))
        .returning({ id: schedules.id });
      if (!moved.length) return false;
      if (evaluation) await tx.insert(evaluations).values(evaluation).onConflictDoNothing();
      return true;
    });
  }
}
