/** Database access for workflows and their runs (drizzle); run claims are leases, so several replicas can drive runs. */
import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../core/db/client.ts';
import { conflict } from '../../core/errors.ts';
import { workflowRuns, workflows } from './schema.ts';
import type { StepRecords, WorkflowState } from './steps.ts';

export type WorkflowRow = typeof workflows.$inferSelect;
export type RunRow = typeof workflowRuns.$inferSelect;
export type RunPatch = Partial<Omit<typeof workflowRuns.$inferInsert, 'id' | 'workflowId' | 'createdAt'>>;

export interface WorkflowFilter {
  status?: string;
  name?: string;
  eval_with?: string;
  model_id?: string;
  cluster_id?: string;
  limit: number;
  offset: number;
}

export class WorkflowRepository {
  constructor(private readonly db: Db) {}

  async insert(v: { id?: string; name: string; totalSteps: number; state: WorkflowState; steps: StepRecords; status: string }): Promise<WorkflowRow> {
    const [row] = await this.db
      .insert(workflows)
      .values({ id: v.id ?? randomUUID(), name: v.name, totalSteps: v.totalSteps, state: v.state, steps: v.steps, status: v.status })
      .returning();
    return row;
  }

  async get(id: string, tx: DbOrTx = this.db, forUpdate = false): Promise<WorkflowRow | undefined> {
    const q = tx.select().from(workflows).where(eq(workflows.id, id));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  }

  async update(id: string, set: Partial<Pick<WorkflowRow, 'name' | 'state' | 'steps' | 'status'>>, tx: DbOrTx = this.db): Promise<WorkflowRow> {
    const [row] = await tx.update(workflows).set({ ...set, updatedAt: new Date() }).where(eq(workflows.id, id)).returning();
    return row;
  }

  /** Runs `fn` on the row locked for update (concurrent step posts of one workflow apply one after the other). */
  async withLocked<T>(id: string, fn: (row: WorkflowRow | undefined, tx: DbOrTx) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => fn(await this.get(id, tx, true), tx));
  }

  async list(f: WorkflowFilter): Promise<{ rows: WorkflowRow[]; total: number }> {
    const conds: SQL[] = [];
    if (f.status) conds.push(eq(workflows.status, f.status));
    if (f.name) conds.push(sql`${workflows.name} ILIKE ${'%' + f.name.replace(/[%_\\]/g, (c) => `\\${c}`) + '%'}`);
    if (f.eval_with) conds.push(sql`${workflows.state}->>'eval_with' = ${f.eval_with}`);
    if (f.model_id) conds.push(sql`${workflows.state}->>'model_id' = ${f.model_id}`);
    if (f.cluster_id) conds.push(sql`${workflows.state}->>'cluster_id' = ${f.cluster_id}`);
    const where = conds.length ? and(...conds) : undefined;
    const rows = await this.db.select().from(workflows).where(where).orderBy(desc(workflows.createdAt), desc(workflows.id)).limit(f.limit).offset(f.offset);
    const [{ n }] = await this.db.select({ n: count() }).from(workflows).where(where);
    return { rows, total: Number(n) };
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.db.delete(workflows).where(eq(workflows.id, id)).returning({ id: workflows.id });
    return r.length > 0;
  }

  /** A workflow (name and id) whose steps name this value under `key` and that is not finished with it, or null. */
  async referencing(key: 'model_id' | 'credential_id', value: string): Promise<string | null> {
    const [row] = await this.db
      .select({ id: workflows.id, name: workflows.name })
      .from(workflows)
      .innerJoin(workflowRuns, eq(workflowRuns.workflowId, workflows.id))
      .where(and(eq(workflowRuns.status, 'running'), sql`${workflows.state}->>${key} = ${value}`))
      .limit(1);
    return row ? `workflow ${row.name} (${row.id}), which has a run in progress` : null;
  }

  async referencingDataset(datasetId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ id: workflows.id, name: workflows.name })
      .from(workflows)
      .innerJoin(workflowRuns, eq(workflowRuns.workflowId, workflows.id))
      .where(and(eq(workflowRuns.status, 'running'), sql`${workflows.state}->'dataset_ids' ? ${datasetId}`))
      .limit(1);
    return row ? `workflow ${row.name} (${row.id}), which has a run in progress` : null;
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.select({ status: workflows.status, n: count() }).from(workflows).groupBy(workflows.status);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  // ---------------------------------------------------------------- runs

  /** A new run; AppError 409 when the workflow already has one in progress (the partial unique index decides). */
  async insertRun(v: { id?: string; workflowId: string; mode: string; status: string; stage: string; plan: unknown; resultRunId?: string | null }): Promise<RunRow> {
    try {
      const [row] = await this.db
        .insert(workflowRuns)
        .values({ id: v.id ?? randomUUID(), workflowId: v.workflowId, mode: v.mode, status: v.status, stage: v.stage, plan: v.plan, resultRunId: v.resultRunId ?? null })
        .returning();
      return row;
    } catch (e: any) {
      if ((e?.code ?? e?.cause?.code) === '23505') throw conflict(`Workflow ${v.workflowId} has a run in progress; wait for it or cancel it`);
      throw e;
    }
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    const [row] = await this.db.select().from(workflowRuns).where(eq(workflowRuns.id, id));
    return row;
  }

  async updateRun(id: string, set: RunPatch, owner?: string): Promise<RunRow | undefined> {
    const where = owner ? and(eq(workflowRuns.id, id), eq(workflowRuns.leaseOwner, owner)) : eq(workflowRuns.id, id);
    const [row] = await this.db.update(workflowRuns).set({ ...set, updatedAt: new Date() }).where(where).returning();
    return row;
  }

  async runsOf(workflowId: string, limit = 20): Promise<RunRow[]> {
    return this.db.select().from(workflowRuns).where(eq(workflowRuns.workflowId, workflowId)).orderBy(desc(workflowRuns.createdAt), desc(workflowRuns.id)).limit(limit);
  }

  async activeRun(workflowId: string): Promise<RunRow | undefined> {
    const [row] = await this.db
      .select()
      .from(workflowRuns)
      .where(and(eq(workflowRuns.workflowId, workflowId), inArray(workflowRuns.status, ['running', 'cancelling'])))
      .limit(1);
    return row;
  }

  /** The newest completed simulation of a workflow. */
  async lastSimulation(workflowId: string): Promise<RunRow | undefined> {
    const [row] = await this.db
      .select()
      .from(workflowRuns)
      .where(and(eq(workflowRuns.workflowId, workflowId), eq(workflowRuns.mode, 'simulation'), eq(workflowRuns.status, 'completed')))
      .orderBy(desc(workflowRuns.createdAt))
      .limit(1);
    return row;
  }

  /**
   * Claims up to `limit` running cluster runs whose lease is free or expired (`FOR UPDATE SKIP LOCKED`: two replicas
   * never claim the same run), for `leaseMs`.
   */
  async claimRuns(owner: string, leaseMs: number, limit: number): Promise<RunRow[]> {
    const now = new Date();
    return this.db.transaction(async (tx) => {
      const free = await tx
        .select({ id: workflowRuns.id })
        .from(workflowRuns)
        .where(
          and(
            eq(workflowRuns.mode, 'cluster'),
            inArray(workflowRuns.status, ['running', 'cancelling']),
            or(isNull(workflowRuns.leaseUntil), lt(workflowRuns.leaseUntil, now), eq(workflowRuns.leaseOwner, owner)),
          ),
        )
        .orderBy(asc(workflowRuns.createdAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (!free.length) return [];
      return tx
        .update(workflowRuns)
        .set({ leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) })
        .where(inArray(workflowRuns.id, free.map((r) => r.id)))
        .returning();
    });
  }

  async releaseRun(id: string, owner: string): Promise<void> {
    await this.db.update(workflowRuns).set({ leaseOwner: null, leaseUntil: null }).where(and(eq(workflowRuns.id, id), eq(workflowRuns.leaseOwner, owner)));
  }

  async runCounts(): Promise<Record<string, number>> {
    const rows = await this.db.select({ k: sql<string>`${workflowRuns.mode} || ':' || ${workflowRuns.status}`, n: count() }).from(workflowRuns).groupBy(workflowRuns.mode, workflowRuns.status);
    return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
  }
}
