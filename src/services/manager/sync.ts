/**
 * Sync: network work first (list + changed blobs), then one transaction that applies the result: stable ids per path,
 * removed files removed, modified copies untouched. A failed listing changes no file and is reported as status "error"
 * (HTTP 200, as the earlier clients expect) and recorded on the project. One sync per project at a time across replicas
 * (cluster-wide lock).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Db } from '../../core/db/client.ts';
import { isLoopback } from '../../core/config.ts';
import { notFound } from '../../core/errors.ts';
import { GithubFetcher } from './git/github.ts';
import { GitCliFetcher } from './git/gitcli.ts';
import { SyncError, type FetchResult, type RepoFetcher } from './git/source.ts';
import * as repo from './repository.ts';
import { files, projects, syncRuns, type ProjectRow } from './schema.ts';
import type { ManagerService } from './service.ts';
import { parseRepoUrl, redactUrl } from './validation.ts';

export interface SyncResponse {
  status: 'success' | 'error';
  message: string;
  synced_files: number;
  project_id: string;
  new_files: number;
  updated_files: number;
  deleted_files: number;
  commit: string | null;
  last_sync: string | null;
}

export type SyncTrigger = 'manual' | 'sync-all' | 'poll' | 'demo';

export interface SyncerOptions {
  database: Database;
  service: ManagerService;
  log: Logger;
  dataDir: string;
  githubApiUrl: string;
  githubToken?: string;
  instanceId: string;
  /** Tests swap the sources. */
  fetcherFor?: (p: ProjectRow) => RepoFetcher | null;
  /** Called after every sync (metrics). */
  observe?: (trigger: SyncTrigger, status: SyncResponse['status'], seconds: number) => void;
}

/** The 200 answer of a failed sync (reference §1.2's shape): status "error", nothing synced, the last good state. */
export function syncFailureResponse(projectId: string, msg: string, commit: string | null = null, lastSync: Date | null = null): SyncResponse {
  return {
    status: 'error',
    message: `Sync failed: ${msg}`,
    synced_files: 0,
    project_id: projectId,
    new_files: 0,
    updated_files: 0,
    deleted_files: 0,
    commit,
    last_sync: lastSync ? lastSync.toISOString() : null,
  };
}

/** At most this many syncs run at once per process: each holds a pooled connection for its lock while it works. */
const MAX_CONCURRENT_SYNCS = 4;

/** Sync runs kept per project: polling adds one per interval, forever otherwise. */
export const SYNC_RUNS_KEPT = 100;

/** Drops a project's sync runs beyond the newest SYNC_RUNS_KEPT. */
async function pruneSyncRuns(tx: Pick<Db, 'execute'>, projectId: string): Promise<void> {
  await tx.execute(sql`
    DELETE FROM manager_sync_runs
     WHERE project_id = ${projectId}
       AND id IN (SELECT id FROM manager_sync_runs WHERE project_id = ${projectId}
                   ORDER BY started_at DESC, id OFFSET ${SYNC_RUNS_KEPT})`);
}

/** An http:// (not https) URL to a host other than this machine: a token sent there travels in clear. */
function plainHttpRemote(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && !isLoopback(u.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}

export class Syncer {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly o: SyncerOptions) {}

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= MAX_CONCURRENT_SYNCS) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Cache folder of a project's plain-git source. */
  cacheDir(projectId: string): string {
    return path.join(this.o.dataDir, 'manager', 'git-cache', projectId);
  }

  /** Drops a deleted project's git cache. */
  async forget(projectId: string): Promise<void> {
    await rm(this.cacheDir(projectId), { recursive: true, force: true }).catch(() => {});
  }

  private fetcherFor(p: ProjectRow): RepoFetcher | null {
    if (this.o.fetcherFor) return this.o.fetcherFor(p);
    const src = parseRepoUrl(p.repoUrl, this.o.githubApiUrl);
    if (!src || src.kind === 'none') return null;
    if (src.kind === 'github') return new GithubFetcher({ owner: src.owner, repo: src.repo, apiBase: src.apiBase });
    return new GitCliFetcher(src.url, this.cacheDir(p.id));
  }

  /** Syncs one project; 404 when it does not exist, otherwise a SyncResponse (status "error" on failure). */
  async sync(projectId: string, trigger: SyncTrigger = 'manual'): Promise<SyncResponse> {
    if (!(await repo.getProject(this.o.database.db, projectId))) throw notFound('Project not found');
    const t0 = performance.now();
    const r = await this.slot(() => this.o.database.withLock(`benchops:manager:sync:${projectId}`, () => this.syncLocked(projectId, trigger)));
    this.o.observe?.(trigger, r.status, (performance.now() - t0) / 1000);
    return r;
  }

  private async syncLocked(projectId: string, trigger: SyncTrigger): Promise<SyncResponse> {
    const db = this.o.database.db;
    const startedAt = new Date();
    const p = await repo.getProject(db, projectId);
    if (!p) throw notFound('Project not found');
    const fetcher = this.fetcherFor(p);
    let result: FetchResult;
    const existing = await repo.allOriginals(db, projectId);
    try {
      if (!fetcher) throw new SyncError(p.repoUrl ? 'Unsupported repository URL' : 'The project has no repository URL');
      const src = parseRepoUrl(p.repoUrl, this.o.githubApiUrl);
      // the server-wide GITHUB_TOKEN only ever goes to the configured GitHub API, never to a host a project names
      const ownApi = src?.kind === 'github' && src.apiBase.replace(/\/+$/, '') === this.o.githubApiUrl.replace(/\/+$/, '');
      const token = this.o.service.tokenOf(p) ?? (ownApi ? (this.o.githubToken ?? null) : null);
      if (token && p.repoUrl && plainHttpRemote(src?.kind === 'github' ? src.apiBase : p.repoUrl)) {
        throw new SyncError('Refusing to send the project token over plain http to a non-loopback host; use https');
      }
      result = await fetcher.fetch({
        layout: { projectType: p.projectType, configFolder: p.configFolder, jobFolder: p.jobFolder, vllmValuesPath: p.vllmValuesPath },
        branch: p.branch,
        token,
        known: new Map(existing.map((f) => [f.filePath, { sha: f.sha, content: f.content }])),
        etag: p.etag,
      });
    } catch (e: any) {
      const msg = e instanceof SyncError ? e.message : `unexpected error: ${redactUrl(String(e?.message ?? e))}`;
      if (!(e instanceof SyncError)) this.o.log.error({ err: e, project_id: projectId }, 'sync failed unexpectedly');
      return this.recordFailure(p, trigger, startedAt, msg);
    }
    try {
      return await this.apply(p, trigger, startedAt, result);
    } catch (e: any) {
      if (e instanceof SyncError) return this.recordFailure(p, trigger, startedAt, e.message);
      // an unexpected failure (the database, say) still answers 500, but the project says it failed too
      this.o.log.error({ err: e, project_id: projectId }, 'sync failed unexpectedly');
      await this.recordFailure(p, trigger, startedAt, `unexpected error: ${redactUrl(String(e?.message ?? e))}`).catch(() => {});
      throw e;
    }
  }

  private async recordFailure(p: ProjectRow, trigger: SyncTrigger, startedAt: Date, msg: string): Promise<SyncResponse> {
    const db = this.o.database.db;
    this.o.log.warn({ project_id: p.id, trigger, reason: msg }, 'sync failed; nothing changed');
    await db.transaction(async (tx) => {
      await tx.update(projects).set({ lastSyncStatus: 'error', lastSyncError: msg }).where(eq(projects.id, p.id));
      if (await repo.getProject(tx, p.id)) {
        await tx.insert(syncRuns).values({
          id: randomUUID(),
          projectId: p.id,
          trigger,
          instance: this.o.instanceId,
          status: 'error',
          message: msg,
          startedAt,
        });
        await pruneSyncRuns(tx, p.id);
      }
    });
    return syncFailureResponse(p.id, msg, p.lastCommit, p.lastSync);
  }

  /** Applies a fetched listing in one transaction. */
  private async apply(p0: ProjectRow, trigger: SyncTrigger, startedAt: Date, result: FetchResult): Promise<SyncResponse> {
    const db = this.o.database.db;
    const now = new Date();
    const out = await db.transaction(async (tx) => {
      const p = await repo.getProject(tx, p0.id, true);
      if (!p) throw new SyncError('the project was deleted during the sync');
      if (sourceKey(p) !== sourceKey(p0)) throw new SyncError('the project settings changed during the sync; sync again');
      const existing = await repo.allOriginals(tx, p.id);
      let added = 0;
      let updated = 0;
      let deleted = 0;
      let total = existing.length;
      let commit = p.lastCommit;
      let etag = p.etag;
      if (!result.unchanged) {
        const byPath = new Map(existing.map((f) => [f.filePath, f]));
        const seen = new Set<string>();
        const inserts: (typeof files.$inferInsert)[] = [];
        for (const f of result.files) {
          seen.add(f.path);
          const old = byPath.get(f.path);
          if (!old) {
            inserts.push({
              id: randomUUID(),
              projectId: p.id,
              filePath: f.path,
              fileType: f.fileType,
              benchmarkType: f.benchmarkType,
              content: f.content,
              sha: f.sha,
              lastModified: now,
              syncedAt: now,
            });
            added++;
          } else if (old.sha !== f.sha || old.content !== f.content || old.fileType !== f.fileType || old.benchmarkType !== f.benchmarkType) {
            await tx
              .update(files)
              .set({ content: f.content, sha: f.sha, fileType: f.fileType, benchmarkType: f.benchmarkType, lastModified: now, syncedAt: now })
              .where(eq(files.id, old.id));
            updated++;
          }
        }
        await repo.insertOriginals(tx, inserts);
        const gone = existing.filter((f) => !seen.has(f.filePath)).map((f) => f.id);
        await repo.deleteOriginals(tx, gone);
        deleted = gone.length;
        total = result.files.length;
        commit = result.commit;
        etag = result.etag;
        // Unchanged rows still get the sync time so the listing says when it was last confirmed.
        await tx.update(files).set({ syncedAt: now }).where(eq(files.projectId, p.id));
      }
      await tx
        .update(projects)
        .set({ lastSync: now, lastSyncStatus: 'success', lastSyncError: null, lastCommit: commit, etag })
        .where(eq(projects.id, p.id));
      const skipped = result.unchanged ? [] : (result.skipped ?? []);
      const message =
        (result.unchanged
          ? `Already up to date: ${total} files (0 new, 0 updated, 0 deleted)`
          : `Successfully synced ${total} files (${added} new, ${updated} updated, ${deleted} deleted)`) +
        (skipped.length ? `; skipped ${skipped.length} files over 5 MiB: ${skipped.slice(0, 5).join(', ')}` : '');
      await tx.insert(syncRuns).values({
        id: randomUUID(),
        projectId: p.id,
        trigger,
        instance: this.o.instanceId,
        status: 'success',
        message,
        newFiles: added,
        updatedFiles: updated,
        deletedFiles: deleted,
        syncedFiles: total,
        commit,
        startedAt,
        finishedAt: now,
      });
      await pruneSyncRuns(tx, p.id);
      return { added, updated, deleted, total, commit, message };
    });
    this.o.log.info(
      { project_id: p0.id, trigger, new: out.added, updated: out.updated, deleted: out.deleted, files: out.total },
      'project synced',
    );
    return {
      status: 'success',
      message: out.message,
      synced_files: out.total,
      project_id: p0.id,
      new_files: out.added,
      updated_files: out.updated,
      deleted_files: out.deleted,
      commit: out.commit,
      last_sync: now.toISOString(),
    };
  }
}

/** The settings a listing depends on; a change during a sync makes its result stale. */
function sourceKey(p: ProjectRow): string {
  return JSON.stringify([p.repoUrl, p.branch, p.projectType, p.configFolder, p.jobFolder, p.vllmValuesPath, p.tokenEnc]);
}
