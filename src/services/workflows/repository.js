/** Database access for workflows and their runs (drizzle); run claims are leases, so several replicas can drive runs. */
import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { conflict } from "../../core/errors.js";
import { workflowRuns, workflows } from "./schema.js";
export class WorkflowRepository {
    db;
    constructor(db) {
        this.db = db;
    }
    async insert(v) {
        const [row] = await this.db
            .insert(workflows)
            .values({ id: v.id ?? randomUUID(), name: v.name, totalSteps: v.totalSteps, state: v.state, steps: v.steps, status: v.status })
            .returning();
        return row;
    }
    async get(id, tx = this.db, forUpdate = false) {
        const q = tx.select().from(workflows).where(eq(workflows.id, id));
        const [row] = forUpdate ? await q.for('update') : await q;
        return row;
    }
    async update(id, set, tx = this.db) {
        const [row] = await tx.update(workflows).set({ ...set, updatedAt: new Date() }).where(eq(workflows.id, id)).returning();
        return row;
    }
    /** Runs `fn` on the row locked for update (concurrent step posts of one workflow apply one after the other). */
    async withLocked(id, fn) {
        return this.db.transaction(async (tx) => fn(await this.get(id, tx, true), tx));
    }
    async list(f) {
        const conds = [];
        if (f.status)
            conds.push(eq(workflows.status, f.status));
        if (f.name)
            conds.push(sql `${workflows.name} ILIKE ${'%' + f.name.replace(/[%_\\]/g, (c) => `\\${c}`) + '%'}`);
        if (f.eval_with)
            conds.push(sql `${workflows.state}->>'eval_with' = ${f.eval_with}`);
        if (f.model_id)
            conds.push(sql `${workflows.state}->>'model_id' = ${f.model_id}`);
        if (f.cluster_id)
            conds.push(sql `${workflows.state}->>'cluster_id' = ${f.cluster_id}`);
        const where = conds.length ? and(...conds) : undefined;
        const rows = await this.db.select().from(workflows).where(where).orderBy(desc(workflows.createdAt), desc(workflows.id)).limit(f.limit).offset(f.offset);
        const [{ n }] = await this.db.select({ n: count() }).from(workflows).where(where);
        return { rows, total: Number(n) };
    }
    async remove(id) {
        const r = await this.db.delete(workflows).where(eq(workflows.id, id)).returning({ id: workflows.id });
        return r.length > 0;
    }
    /** A workflow (name and id) whose steps name this value under `key` and that is not finished with it, or null. */
    async referencing(key, value) {
        const [row] = await this.db
            .select({ id: workflows.id, name: workflows.name })
            .from(workflows)
            .innerJoin(workflowRuns, eq(workflowRuns.workflowId, workflows.id))
            .where(and(eq(workflowRuns.status, 'running'), sql `${workflows.state}->>${key} = ${value}`))
            .limit(1);
        return row ? `workflow ${row.name} (${row.id}), which has a run in progress` : null;
    }
    async referencingDataset(datasetId) {
        const [row] = await this.db
            .select({ id: workflows.id, name: workflows.name })
            .from(workflows)
            .innerJoin(workflowRuns, eq(workflowRuns.workflowId, workflows.id))
            .where(and(eq(workflowRuns.status, 'running'), sql `${workflows.state}->'dataset_ids' ? ${datasetId}`))
            .limit(1);
        return row ? `workflow ${row.name} (${row.id}), which has a run in progress` : null;
    }
    async counts() {
        const rows = await this.db.select({ status: workflows.status, n: count() }).from(workflows).groupBy(workflows.status);
        return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    }
    // ---------------------------------------------------------------- runs
    /** A new run; AppError 409 when the workflow already has one in progress (the partial unique index decides). */
    async insertRun(v) {
        try {
            const [row] = await this.db
                .insert(workflowRuns)
                .values({ id: v.id ?? randomUUID(), workflowId: v.workflowId, mode: v.mode, status: v.status, stage: v.stage, plan: v.plan, resultRunId: v.resultRunId ?? null })
                .returning();
            return row;
        }
        catch (e) {
            if ((e?.code ?? e?.cause?.code) === '23505')
                throw conflict(`Workflow ${v.workflowId} has a run in progress; wait for it or cancel it`);
            throw e;
        }
    }
    async getRun(id) {
        const [row] = await this.db.select().from(workflowRuns).where(eq(workflowRuns.id, id));
        return row;
    }
    async updateRun(id, set, owner) {
        const where = owner ? and(eq(workflowRuns.id, id), eq(workflowRuns.leaseOwner, owner)) : eq(workflowRuns.id, id);
        const [row] = await this.db.update(workflowRuns).set({ ...set, updatedAt: new Date() }).where(where).returning();
        return row;
    }
    async runsOf(workflowId, limit = 20) {
        return this.db.select().from(workflowRuns).where(eq(workflowRuns.workflowId, workflowId)).orderBy(desc(workflowRuns.createdAt), desc(workflowRuns.id)).limit(limit);
    }
    async activeRun(workflowId) {
        const [row] = await this.db
            .select()
            .from(workflowRuns)
            .where(and(eq(workflowRuns.workflowId, workflowId), inArray(workflowRuns.status, ['running', 'cancelling'])))
            .limit(1);
        return row;
    }
    /** The newest completed simulation of a workflow. */
    async lastSimulation(workflowId) {
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
    async claimRuns(owner, leaseMs, limit) {
        const now = new Date();
        return this.db.transaction(async (tx) => {
            const free = await tx
                .select({ id: workflowRuns.id })
                .from(workflowRuns)
                .where(and(eq(workflowRuns.mode, 'cluster'), inArray(workflowRuns.status, ['running', 'cancelling']), or(isNull(workflowRuns.leaseUntil), lt(workflowRuns.leaseUntil, now), eq(workflowRuns.leaseOwner, owner))))
                .orderBy(asc(workflowRuns.createdAt))
                .limit(limit)
                .for('update', { skipLocked: true });
            if (!free.length)
                return [];
            return tx
                .update(workflowRuns)
                .set({ leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) })
                .where(inArray(workflowRuns.id, free.map((r) => r.id)))
                .returning();
        });
    }
    async releaseRun(id, owner) {
        await this.db.update(workflowRuns).set({ leaseOwner: null, leaseUntil: null }).where(and(eq(workflowRuns.id, id), eq(workflowRuns.leaseOwner, owner)));
    }
    async runCounts() {
        const rows = await this.db.select({ k: sql `${workflowRuns.mode} || ':' || ${workflowRuns.status}`, n: count() }).from(workflowRuns).groupBy(workflowRuns.mode, workflowRuns.status);
        return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
    }
}
//# sourceMappingURL=repository.js.map