/**
 * Deployer storage: deployment records (with the status-watch lease) and terminal sessions. List pages are cached
 * under the records' write version (`deployer_list_versions`, bumped by triggers: migration 0003), so a list nothing
 * changed since costs one primary-key read, and is never stale, whichever replica wrote.
 */
import { and, count, desc, eq, inArray, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../core/db/client.ts';
import { VersionedCache } from '../../core/list-cache.ts';
import { deployments, listVersions, terminalSessions, type DeploymentRow, type TerminalSessionRow } from './schema.ts';
import type { JobStatus } from './executors/types.ts';

export type NewDeployment = typeof deployments.$inferInsert;

export interface DeploymentFilter {
  status?: string;
  resource_type?: string;
  namespace?: string;
  project_id?: string;
  benchmark_type?: string;
  resource_name?: string;
  include_deleted?: boolean;
}

const ACTIVE = ['pending', 'running'];

/** A list page: its records (shared with the cache: read, never modify) and the filter's total. */
export interface DeploymentPage {
  rows: DeploymentRow[];
  total: number;
}

/** A page's size as the cache counts it: its text fields twice (UTF-16) plus a bound for the rest of each row. */
function pageBytes(p: DeploymentPage): number {
  let n = 64;
  for (const r of p.rows) n += 2 * (r.yamlContent.length + r.message.length) + 2048;
  return n;
}

function listKey(f: DeploymentFilter, limit: number, offset: number): string {
  return JSON.stringify([f.status, f.resource_type, f.namespace, f.project_id, f.benchmark_type, f.resource_name, !!f.include_deleted, limit, offset]);
}

export class DeployerRepository {
  /** List pages by list version. */
  private readonly lists: VersionedCache<DeploymentPage>;
  /** Pages being read, by key and version: concurrent misses after a change share one read. */
  private readonly reading = new Map<string, Promise<DeploymentPage>>();

  constructor(
    private readonly db: Db,
    cache: { maxEntries?: number; maxBytes?: number } = {},
  ) {
    this.lists = new VersionedCache({ maxEntries: cache.maxEntries ?? 128, maxBytes: cache.maxBytes ?? 16 * 1024 * 1024, sizeOf: pageBytes });
  }

  async insert(row: NewDeployment): Promise<DeploymentRow> {
    const [r] = await this.db.insert(deployments).values(row).returning();
    return r;
  }

  async update(id: string, patch: Partial<NewDeployment>): Promise<void> {
    await this.db
      .update(deployments)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(deployments.deploymentId, id));
  }

  async remove(id: string): Promise<void> {
    await this.db.delete(deployments).where(eq(deployments.deploymentId, id));
  }

  async get(id: string): Promise<DeploymentRow | undefined> {
    const [r] = await this.db.select().from(deployments).where(eq(deployments.deploymentId, id));
    return r;
  }

  /** The newest record of a resource name (optionally in one namespace). */
  async latestByName(name: string, namespace?: string): Promise<DeploymentRow | undefined> {
    const conds = [eq(deployments.resourceName, name)];
    if (namespace) conds.push(eq(deployments.namespace, namespace));
    const [r] = await this.db
      .select()
      .from(deployments)
      .where(and(...conds))
      .orderBy(desc(deployments.createdAt))
      .limit(1);
    return r;
  }

  /** The records' write version; null when its counter row is missing (then nothing is cached). */
  async listVersion(): Promise<number | null> {
    const [r] = await this.db.select({ v: listVersions.version }).from(listVersions).where(eq(listVersions.name, 'deployer_deployments'));
    return r ? Number(r.v) : null;
  }

  /**
   * A page of records, newest first, and the filter's total: from the cache when nothing changed since it was read.
   * The version is read before the rows, so a page is never filed under a version newer than what it shows.
   */
  async list(f: DeploymentFilter, limit: number, offset: number): Promise<DeploymentPage> {
    const version = await this.listVersion();
    if (version === null) return this.readPage(f, limit, offset);
    const key = listKey(f, limit, offset);
    return this.lists.get(key, version, () => {
      // a read begun under this same version (after the version was read) answers for it too
      const flight = `${version} ${key}`;
      let p = this.reading.get(flight);
      if (!p) {
        p = this.readPage(f, limit, offset).finally(() => this.reading.delete(flight));
        this.reading.set(flight, p);
      }
      return p;
    });
  }

  private async readPage(f: DeploymentFilter, limit: number, offset: number): Promise<DeploymentPage> {
    const conds: SQL[] = [];
    if (!f.include_deleted && f.status !== 'deleted') conds.push(isNull(deployments.deletedAt));
    if (f.status) conds.push(eq(deployments.status, f.status));
    if (f.resource_type) conds.push(eq(deployments.resourceType, f.resource_type));
    if (f.namespace) conds.push(eq(deployments.namespace, f.namespace));
    if (f.project_id) conds.push(eq(deployments.projectId, f.project_id));
    if (f.benchmark_type) conds.push(eq(deployments.benchmarkType, f.benchmark_type));
    if (f.resource_name) conds.push(eq(deployments.resourceName, f.resource_name));
    const where = conds.length ? and(...conds) : undefined;
    const rows = await this.db
      .select()
      .from(deployments)
      .where(where)
      .orderBy(desc(deployments.createdAt), desc(deployments.deploymentId))
      .limit(limit)
      .offset(offset);
    const [{ n }] = await this.db.select({ n: count() }).from(deployments).where(where);
    return { rows, total: Number(n) };
  }

  /** List pages kept (tests). */
  get cachedPages(): number {
    return this.lists.size;
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ status: deployments.status, n: count() })
      .from(deployments)
      .groupBy(deployments.status);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Marks every live record of these resources deleted; returns their ids. */
  async markDeleted(resources: { type: string; name: string; namespace: string }[], message: string): Promise<string[]> {
    const ids: string[] = [];
    for (const r of resources) {
      const rows = await this.db
        .update(deployments)
        .set({ status: 'deleted', deletedAt: new Date(), updatedAt: new Date(), message, watchOwner: null, watchUntil: null })
        .where(
          and(
            eq(deployments.resourceType, r.type),
            eq(deployments.resourceName, r.name),
            eq(deployments.namespace, r.namespace),
            ne(deployments.status, 'deleted'),
          ),
        )
        .returning({ id: deployments.deploymentId });
      ids.push(...rows.map((x) => x.id));
    }
    return ids;
  }

  /**
   * Claims (or renews) the status-watch lease of active job records: rows nobody holds, whose lease expired, or that
   * this owner already holds. Safe with several replicas (row locks skipped, not waited for).
   */
  async claimWatches(owner: string, leaseMs: number, limit = 100): Promise<DeploymentRow[]> {
    const until = new Date(Date.now() + leaseMs);
    return this.db.transaction(async (tx) => {
      const candidates = await tx
        .select({ id: deployments.deploymentId })
        .from(deployments)
        .where(
          and(
            eq(deployments.resourceType, 'job'),
            inArray(deployments.status, ACTIVE),
            isNull(deployments.deletedAt),
            or(isNull(deployments.watchUntil), lt(deployments.watchUntil, new Date()), eq(deployments.watchOwner, owner)),
          ),
        )
        .orderBy(deployments.createdAt)
        .limit(limit)
        .for('update', { skipLocked: true });
      if (!candidates.length) return [];
      return tx
        .update(deployments)
        .set({ watchOwner: owner, watchUntil: until })
        .where(inArray(deployments.deploymentId, candidates.map((c) => c.id)))
        .returning();
    });
  }

  /** Gives up this owner's leases (clean shutdown: another replica takes over at its next tick). */
  async releaseWatches(owner: string): Promise<void> {
    await this.db
      .update(deployments)
      .set({ watchOwner: null, watchUntil: null })
      .where(eq(deployments.watchOwner, owner));
  }

  /** Writes a job's live status if this owner still holds the lease and the record is still active. */
  async applyStatus(id: string, owner: string | null, s: JobStatus): Promise<boolean> {
    const terminal = s.status === 'completed' || s.status === 'failed' || s.status === 'deleted';
    const conds = [eq(deployments.deploymentId, id), inArray(deployments.status, ACTIVE)];
    if (owner) conds.push(eq(deployments.watchOwner, owner));
    const rows = await this.db
      .update(deployments)
      .set({
        status: s.status,
        message: s.message ?? sql`${deployments.message}`,
        startTime: s.start_time ? new Date(s.start_time) : sql`${deployments.startTime}`,
        completionTime: s.completion_time ? new Date(s.completion_time) : terminal ? new Date() : sql`${deployments.completionTime}`,
        updatedAt: new Date(),
        ...(terminal ? { watchOwner: null, watchUntil: null } : {}),
        ...(s.status === 'deleted' ? { deletedAt: new Date() } : {}),
      })
      .where(and(...conds))
      .returning({ id: deployments.deploymentId });
    return rows.length > 0;
  }

  // ---- terminal sessions ----

  async insertSession(row: typeof terminalSessions.$inferInsert): Promise<TerminalSessionRow> {
    const [r] = await this.db.insert(terminalSessions).values(row).returning();
    return r;
  }

  async getSession(id: string): Promise<TerminalSessionRow | undefined> {
    const [r] = await this.db.select().from(terminalSessions).where(eq(terminalSessions.sessionId, id));
    return r;
  }

  async listSessions(jobName?: string): Promise<TerminalSessionRow[]> {
    return this.db
      .select()
      .from(terminalSessions)
      .where(jobName ? eq(terminalSessions.jobName, jobName) : undefined)
      .orderBy(desc(terminalSessions.createdAt));
  }

  async touchSession(id: string): Promise<void> {
    await this.db.update(terminalSessions).set({ lastActivity: new Date() }).where(eq(terminalSessions.sessionId, id));
  }

  /** Stops sessions (by id or by job); returns the ids that were active. */
  async stopSessions(by: { id?: string; jobName?: string }): Promise<string[]> {
    const cond = by.id ? eq(terminalSessions.sessionId, by.id) : eq(terminalSessions.jobName, by.jobName!);
    const rows = await this.db
      .update(terminalSessions)
      .set({ isActive: false })
      .where(and(cond, eq(terminalSessions.isActive, true)))
      .returning({ id: terminalSessions.sessionId });
    return rows.map((r) => r.id);
  }

  /** Ends sessions idle for longer than `idleMs`; forgets ended ones after a week. */
  async expireSessions(idleMs: number): Promise<string[]> {
    await this.db
      .delete(terminalSessions)
      .where(and(eq(terminalSessions.isActive, false), lt(terminalSessions.lastActivity, new Date(Date.now() - 7 * 24 * 3600_000))));
    const rows = await this.db
      .update(terminalSessions)
      .set({ isActive: false })
      .where(and(eq(terminalSessions.isActive, true), lt(terminalSessions.lastActivity, new Date(Date.now() - idleMs))))
      .returning({ id: terminalSessions.sessionId });
    return rows.map((r) => r.id);
  }
}
