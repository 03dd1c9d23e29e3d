/**
 * The deploy-then-benchmark queue in the database. Claims are one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select
 * ordered by priority then age, and carry a lease (`claimed_by`, `lease_until`) that the worker renews; every later
 * write of a worker is conditional on still holding the claim, so a cancelled or re-claimed item is never overwritten.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, getTableColumns, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../core/db/client.ts';
import { badRequest, notFound } from '../../core/errors.ts';
import { iso } from '../../core/http.ts';
import { priorityRank, publicConfig, type QueueRequest, type VllmConfig } from './models.ts';
import { vllmQueue } from './schema.ts';

export type QueueRow = typeof vllmQueue.$inferSelect;
export type QueueStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface JobRecord {
  index: number;
  name: string;
  namespace: string | null;
  run_id: string;
  deployer_deployment_id: string | null;
  resource_name: string | null;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'deleted';
  result_pks: string[];
  error?: string | null;
}

export function queueView(r: QueueRow) {
  const cfg = r.vllmConfig as VllmConfig | null;
  const jobs = (r.jobs as JobRecord[]) ?? [];
  return {
    queue_request_id: r.id,
    priority: r.priority,
    status: r.status,
    vllm_config: cfg ? publicConfig(cfg) : null,
    // the earlier UI also sends each job's YAML text; jobs are read from the project, and the text (which may carry
    // credentials in env values) is not echoed to every viewer
    benchmark_configs: ((r.benchmarkConfigs as Array<Record<string, unknown>>) ?? []).map(({ yaml_content, ...b }) => ({ ...b, has_yaml_content: !!(yaml_content || b.has_yaml_content) })),
    scheduling_config: r.schedulingConfig,
    created_at: iso(r.createdAt),
    started_at: iso(r.startedAt),
    completed_at: iso(r.completedAt),
    deployment_id: r.deploymentId,
    vllm_deployment_id: r.deploymentId,
    benchmark_job_ids: jobs.map((j) => j.deployer_deployment_id).filter(Boolean),
    created_job_names: jobs.filter((j) => j.resource_name).map((j) => ({ name: j.resource_name, namespace: j.namespace, status: j.status })),
    jobs,
    result_pks: r.resultPks,
    current_step: r.currentStep,
    total_steps: r.totalSteps,
    completed_steps: r.completedSteps,
    skip_vllm_creation: r.skipVllmCreation,
    helm_deployment: r.helmDeployment,
    helm_config: r.helmConfig,
    cluster_id: r.clusterId,
    allow_eviction: r.allowEviction,
    keep_deployment: r.keepDeployment,
    placement: r.placement,
    error_message: r.errorMessage,
    claimed_by: r.claimedBy,
    lease_until: iso(r.leaseUntil),
    attempts: r.attempts,
    scheduled_for: iso(r.notBefore),
  };
}

/** Counts per status in the earlier `/queue/status` shape. */
export async function queueCounts(db: Db) {
  const rows = await db
    .select({ status: vllmQueue.status, n: sql<number>`count(*)::int` })
    .from(vllmQueue)
    .groupBy(vllmQueue.status);
  const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const total = Object.values(by).reduce((s: number, n) => s + (n as number), 0);
  return {
    total_requests: total,
    pending_requests: by.pending ?? 0,
    processing_requests: by.processing ?? 0,
    completed_requests: by.completed ?? 0,
    failed_requests: by.failed ?? 0,
    cancelled_requests: by.cancelled ?? 0,
  };
}

export class QueueRepository {
  constructor(private readonly db: Db) {}

  /**
   * `sealed`: the request's secrets as SecretBox ciphertext (sealed.ts), stored beside the clear record. `presetId`: an
   * id the caller chose before the item exists (the Git follower writes it into its own state first, so a process
   * that dies right after the insert leaves an item it can find, not an unknown one); adding under an id that is
   * taken returns that item instead of a second one.
   */
  async insert(req: QueueRequest, resolvedConfig: VllmConfig | null, now = new Date(), sealed: string | null = null, presetId?: string): Promise<QueueRow> {
    const sched = req.scheduling_config ?? { immediate: true, scheduled_time: null, max_wait_time: 3600 };
    // a zone-less time (the earlier UI sends local datetime strings) is taken as UTC, never as this server's zone
    const at = sched.scheduled_time ? new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(sched.scheduled_time) ? sched.scheduled_time : `${sched.scheduled_time}Z`) : null;
    const notBefore = at && at > now ? at : null;
    const start = notBefore ?? now;
    const deadline = sched.max_wait_time > 0 ? new Date(start.getTime() + sched.max_wait_time * 1000) : null;
    const total = (req.skip_vllm_creation ? 0 : 1) + req.benchmark_configs.length;
    const id = presetId ?? randomUUID();
    const [row] = await this.db
      .insert(vllmQueue)
      .values({
        id,
        priority: req.priority,
        priorityRank: priorityRank(req.priority),
        status: 'pending',
        vllmConfig: resolvedConfig,
        benchmarkConfigs: req.benchmark_configs,
        schedulingConfig: { immediate: sched.immediate, scheduled_time: sched.scheduled_time ?? null, max_wait_time: sched.max_wait_time },
        skipVllmCreation: req.skip_vllm_creation,
        helmDeployment: req.helm_deployment,
        helmConfig: req.helm_config ?? null,
        clusterId: req.cluster_id,
        allowEviction: req.allow_eviction,
        keepDeployment: req.keep_deployment,
        targetDeploymentId: req.deployment_id ?? null,
        currentStep: notBefore ? 'scheduled' : 'pending',
        totalSteps: total,
        notBefore,
        deadline,
        secretsEnc: sealed,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing({ target: vllmQueue.id })
      .returning();
    // only a caller-chosen id can be taken: the request was added already, and that item is the answer
    return row ?? this.get(id);
  }

  async get(id: string): Promise<QueueRow> {
    const [r] = await this.db.select().from(vllmQueue).where(eq(vllmQueue.id, id));
    if (!r) throw notFound('Queue request not found');
    return r;
  }

  /** A page, newest first; the sealed column is never read for a list. */
  async list(opts: { status?: string; limit: number; offset: number }): Promise<{ rows: QueueRow[]; total: number }> {
    const where = opts.status ? eq(vllmQueue.status, opts.status) : undefined;
    const { secretsEnc: _sealed, ...cols } = getTableColumns(vllmQueue);
    const rows = await this.db
      .select(cols)
      .from(vllmQueue)
      .where(where)
      .orderBy(desc(vllmQueue.createdAt), vllmQueue.priorityRank)
      .limit(opts.limit)
      .offset(opts.offset);
    const [{ n }] = await this.db.select({ n: sql<number>`count(*)::int` }).from(vllmQueue).where(where);
    return { rows: rows.map((r) => ({ ...r, secretsEnc: null })), total: Number(n) };
  }

  /** Claims the most important due pending item (priority, then age) for `owner`; null when none. */
  async claimNext(owner: string, leaseMs: number): Promise<QueueRow | null> {
    // the scheduler's stored on/off state is part of the claim, so /scheduler/stop takes effect at once on every replica
    const pick = sql`(SELECT id FROM vllm_queue WHERE status = 'pending' AND (not_before IS NULL OR not_before <= now())
      AND NOT EXISTS (SELECT 1 FROM vllm_scheduler WHERE id = 'default' AND NOT running)
      ORDER BY priority_rank, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)`;
    return this.claimWhere(eq(vllmQueue.id, pick), owner, leaseMs, { status: 'processing' });
  }

  /** Takes over a `processing` item whose owner stopped renewing its lease (crash, restart). */
  async claimStale(owner: string, leaseMs: number): Promise<QueueRow | null> {
    const pick = sql`(SELECT id FROM vllm_queue WHERE status = 'processing' AND (lease_until IS NULL OR lease_until < now())
      ORDER BY priority_rank, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)`;
    return this.claimWhere(eq(vllmQueue.id, pick), owner, leaseMs, {});
  }

  /** Takes a cancelled item whose cleanup has not run yet (its worker died before cleaning). */
  async claimCleanup(owner: string, leaseMs: number): Promise<QueueRow | null> {
    const pick = sql`(SELECT id FROM vllm_queue WHERE status = 'cancelled' AND cleanup_pending AND (lease_until IS NULL OR lease_until < now())
      LIMIT 1 FOR UPDATE SKIP LOCKED)`;
    return this.claimWhere(eq(vllmQueue.id, pick), owner, leaseMs, {});
  }

  private async claimWhere(where: SQL, owner: string, leaseMs: number, set: Partial<QueueRow>): Promise<QueueRow | null> {
    const [row] = await this.db
      .update(vllmQueue)
      .set({
        ...set,
        claimedBy: owner,
        leaseUntil: sql`now() + ${`${Math.ceil(leaseMs)} milliseconds`}::interval`,
        attempts: sql`${vllmQueue.attempts} + 1`,
        startedAt: sql`coalesce(${vllmQueue.startedAt}, now())`,
        updatedAt: new Date(),
      } as any)
      .where(where)
      .returning();
    return row ?? null;
  }

  /** Renews the lease; returns the row's status when the claim is lost (cancelled, finished, taken over) or null when held. */
  async renew(id: string, owner: string, leaseMs: number, status: QueueStatus = 'processing'): Promise<string | null> {
    const r = await this.db
      .update(vllmQueue)
      .set({ leaseUntil: sql`now() + ${`${Math.ceil(leaseMs)} milliseconds`}::interval` } as any)
      .where(and(eq(vllmQueue.id, id), eq(vllmQueue.claimedBy, owner), eq(vllmQueue.status, status)))
      .returning({ id: vllmQueue.id });
    if (r.length) return null;
    const [now] = await this.db.select({ status: vllmQueue.status, claimedBy: vllmQueue.claimedBy }).from(vllmQueue).where(eq(vllmQueue.id, id));
    if (!now) return 'deleted';
    return now.claimedBy !== owner ? `taken over by ${now.claimedBy ?? 'nobody'}` : now.status;
  }

  /** A worker's checkpoint write: applied only while it still holds the processing claim. */
  async update(id: string, owner: string, set: Partial<typeof vllmQueue.$inferInsert>, status: QueueStatus = 'processing'): Promise<boolean> {
    const r = await this.db
      .update(vllmQueue)
      .set({ ...set, updatedAt: new Date() })
      .where(and(eq(vllmQueue.id, id), eq(vllmQueue.claimedBy, owner), eq(vllmQueue.status, status)))
      .returning({ id: vllmQueue.id });
    return r.length > 0;
  }

  /** Pending items whose wait exceeded `max_wait_time` fail explicitly. */
  async expireOverdue(): Promise<number> {
    const r = await this.db
      .update(vllmQueue)
      .set({
        status: 'failed',
        currentStep: 'failed',
        completedAt: new Date(),
        updatedAt: new Date(),
        errorMessage: sql`coalesce('Waited longer than max_wait_time (' || (${vllmQueue.schedulingConfig}->>'max_wait_time') || ' s) without starting'
          || coalesce(': ' || (${vllmQueue.placement}->>'reason'), ''), 'expired')`,
      })
      .where(and(eq(vllmQueue.status, 'pending'), lt(vllmQueue.deadline, sql`now()`)))
      .returning({ id: vllmQueue.id });
    return r.length;
  }

  /** Cancels a pending or processing item; processing ones get their cleanup done by the worker (or a sweeper). */
  async cancel(id: string): Promise<QueueRow> {
    const [r] = await this.db
      .update(vllmQueue)
      .set({
        status: 'cancelled',
        currentStep: 'cancelled',
        completedAt: new Date(),
        updatedAt: new Date(),
        cleanupPending: sql`${vllmQueue.status} = 'processing'`,
        errorMessage: 'Cancelled by request',
      } as any)
      .where(and(eq(vllmQueue.id, id), inArray(vllmQueue.status, ['pending', 'processing'])))
      .returning();
    if (!r) {
      await this.get(id);
      throw notFound(`Queue request ${id} is not pending or processing`);
    }
    return r;
  }

  async setPriority(id: string, priority: string): Promise<void> {
    const r = await this.db
      .update(vllmQueue)
      .set({ priority, priorityRank: priorityRank(priority), updatedAt: new Date() })
      .where(and(eq(vllmQueue.id, id), eq(vllmQueue.status, 'pending')))
      .returning({ id: vllmQueue.id });
    if (!r.length) {
      await this.get(id);
      throw notFound(`Queue request ${id} is not pending; only pending requests can change priority`);
    }
  }

  /** Removes a finished item (processing ones must be cancelled or force-deleted). */
  async delete(id: string): Promise<void> {
    const r = await this.db
      .delete(vllmQueue)
      .where(and(eq(vllmQueue.id, id), or(eq(vllmQueue.status, 'pending'), eq(vllmQueue.status, 'completed'), eq(vllmQueue.status, 'failed'), and(eq(vllmQueue.status, 'cancelled'), eq(vllmQueue.cleanupPending, false)))))
      .returning({ id: vllmQueue.id });
    if (!r.length) {
      const row = await this.get(id);
      throw badRequest(`Queue request ${id} is ${row.status}${row.cleanupPending ? ' (cleanup running)' : ''}; cancel it or use force`);
    }
  }

  async hardDelete(id: string): Promise<void> {
    await this.db.delete(vllmQueue).where(eq(vllmQueue.id, id));
  }

  /** Releases this instance's claims (graceful stop): the items stay `processing` with their checkpoints, lease expired. */
  async releaseAll(owner: string): Promise<void> {
    await this.db
      .update(vllmQueue)
      .set({ leaseUntil: sql`now() - interval '1 second'` } as any)
      .where(and(eq(vllmQueue.claimedBy, owner), or(eq(vllmQueue.status, 'processing'), eq(vllmQueue.cleanupPending, true))));
  }
}
