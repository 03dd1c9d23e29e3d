/** The Git follower's tables: followed projects and the per-file state (what was deployed from which content). */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../../core/db/client.ts';
import { iso } from '../../../core/http.ts';
import { vllmDeployments, vllmFollowFiles, vllmFollows } from '../schema.ts';

export type FollowRow = typeof vllmFollows.$inferSelect;
export type FileRow = typeof vllmFollowFiles.$inferSelect;
export type FileState = 'deploying' | 'deployed' | 'waiting' | 'error' | 'invalid';

export class FollowStore {
  constructor(private readonly db: Db) {}

  async follows(): Promise<FollowRow[]> {
    return this.db.select().from(vllmFollows).orderBy(asc(vllmFollows.createdAt), asc(vllmFollows.projectId));
  }

  async follow(projectId: string): Promise<FollowRow | null> {
    const [r] = await this.db.select().from(vllmFollows).where(eq(vllmFollows.projectId, projectId));
    return r ?? null;
  }

  /** Creates or updates a follow; returns the row. */
  async upsertFollow(row: Pick<FollowRow, 'projectId' | 'clusterId' | 'priority' | 'prune' | 'selfHeal'>): Promise<FollowRow> {
    const now = new Date();
    const [r] = await this.db
      .insert(vllmFollows)
      .values({ ...row, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: vllmFollows.projectId,
        set: { clusterId: row.clusterId, priority: row.priority, prune: row.prune, selfHeal: row.selfHeal, updatedAt: now },
      })
      .returning();
    return r;
  }

  async markTick(projectId: string, error: string | null): Promise<void> {
    await this.db.update(vllmFollows).set({ lastTickAt: new Date(), lastError: error }).where(eq(vllmFollows.projectId, projectId));
  }

  async deleteFollow(projectId: string): Promise<void> {
    await this.db.delete(vllmFollowFiles).where(eq(vllmFollowFiles.projectId, projectId));
    await this.db.delete(vllmFollows).where(eq(vllmFollows.projectId, projectId));
  }

  async files(projectIds: string[]): Promise<FileRow[]> {
    if (!projectIds.length) return [];
    return this.db.select().from(vllmFollowFiles).where(inArray(vllmFollowFiles.projectId, projectIds)).orderBy(asc(vllmFollowFiles.path));
  }

  /** Writes a file's state (insert or replace; `updatedAt` now). */
  async putFile(row: Omit<typeof vllmFollowFiles.$inferInsert, 'updatedAt'>): Promise<void> {
    const set = { ...row, updatedAt: new Date() };
    await this.db.insert(vllmFollowFiles).values(set).onConflictDoUpdate({ target: [vllmFollowFiles.projectId, vllmFollowFiles.path], set });
  }

  /** Files per state over every followed project (the metrics gauge). */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.select({ status: vllmFollowFiles.status, n: sql<number>`count(*)::int` }).from(vllmFollowFiles).groupBy(vllmFollowFiles.status);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async deleteFile(projectId: string, path: string): Promise<void> {
    await this.db.delete(vllmFollowFiles).where(and(eq(vllmFollowFiles.projectId, projectId), eq(vllmFollowFiles.path, path)));
  }

  /** Marks a deployment as the follower's: created from `path` of `projectId` with that content hash. */
  async markSource(deploymentId: string, projectId: string, path: string, hash: string): Promise<void> {
    await this.db
      .update(vllmDeployments)
      .set({ sourceProjectId: projectId, sourcePath: path, sourceHash: hash, updatedAt: new Date() })
      .where(eq(vllmDeployments.id, deploymentId));
  }

  /** Active deployments the follower created for a project (adopted after a restart or a re-follow). */
  async ownedActive(projectId: string): Promise<Array<{ id: string; path: string; hash: string | null }>> {
    const rows = await this.db
      .select({ id: vllmDeployments.id, path: vllmDeployments.sourcePath, hash: vllmDeployments.sourceHash })
      .from(vllmDeployments)
      .where(and(eq(vllmDeployments.sourceProjectId, projectId), inArray(vllmDeployments.status, ['deploying', 'running'])));
    return rows.map((r) => ({ id: r.id, path: r.path ?? '', hash: r.hash }));
  }
}

/** The API view of one file's state. */
export function fileView(f: FileRow, d?: { status: string; endpoint: string | null } | null) {
  return {
    path: f.path,
    file_id: f.fileId,
    status: f.status as FileState,
    content_hash: f.contentHash,
    queue_item_id: f.queueItemId,
    deployment_id: f.deploymentId,
    deployment_status: d?.status ?? null,
    endpoint: d?.endpoint ?? null,
    error: f.error,
    warnings: f.warnings as string[],
    attempts: f.attempts,
    retry_at: iso(f.retryAt),
    heals: f.heals,
    updated_at: iso(f.updatedAt),
  };
}

/** The API view of a followed project. */
export function followView(r: FollowRow, files: ReturnType<typeof fileView>[]) {
  return {
    project_id: r.projectId,
    cluster_id: r.clusterId,
    priority: r.priority,
    prune: r.prune,
    self_heal: r.selfHeal,
    last_tick_at: iso(r.lastTickAt),
    last_error: r.lastError,
    created_at: iso(r.createdAt),
    files,
  };
}
