/** Manager tables: projects (a Git repository), originals synced from it, users' modified copies, and sync history. */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const projects = pgTable(
  'manager_projects',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    projectType: text('project_type').notNull().default('benchmark'),
    repoUrl: text('repo_url').notNull().default(''),
    /** AES-256-GCM ciphertext (ctx.secrets); never returned. */
    tokenEnc: text('token_enc'),
    configFolder: text('config_folder').notNull().default('config'),
    jobFolder: text('job_folder').notNull().default('job'),
    vllmValuesPath: text('vllm_values_path').notNull().default(''),
    /** Null: the remote's default branch. */
    branch: text('branch'),
    pollingInterval: integer('polling_interval').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    lastSync: ts('last_sync'),
    lastSyncStatus: text('last_sync_status'),
    lastSyncError: text('last_sync_error'),
    lastCommit: text('last_commit'),
    /** ETag of the last successful GitHub tree listing (If-None-Match on the next sync). */
    etag: text('etag'),
    /** Background polling: when the project is next due, and the lease of the replica syncing it. */
    nextSyncAt: ts('next_sync_at'),
    leaseUntil: ts('lease_until'),
    leaseOwner: text('lease_owner'),
    /** Bumped by triggers on every change to the project's originals or modified copies (list caches key on it). */
    filesVersion: bigint('files_version', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    index('manager_projects_due_idx').on(t.nextSyncAt).where(sql`${t.pollingInterval} > 0`),
    // GET /projects pages in this order, filtered by type or name
    index('manager_projects_list_idx').on(t.createdAt, t.id),
    index('manager_projects_name_idx').on(t.name),
  ],
);

export const files = pgTable(
  'manager_files',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    filePath: text('file_path').notNull(),
    fileType: text('file_type').notNull(),
    benchmarkType: text('benchmark_type').notNull().default(''),
    content: text('content').notNull(),
    sha: text('sha').notNull(),
    lastModified: ts('last_modified').notNull().defaultNow(),
    syncedAt: ts('synced_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('manager_files_project_path_uq').on(t.projectId, t.filePath), index('manager_files_type_idx').on(t.projectId, t.fileType)],
);

export const modifiedFiles = pgTable(
  'manager_modified_files',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    /** The original this copy was made from; kept as-is even if the original disappears upstream (sync never touches copies). */
    originalFileId: text('original_file_id'),
    filePath: text('file_path').notNull(),
    fileType: text('file_type').notNull(),
    content: text('content').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    modifiedAt: ts('modified_at').notNull().defaultNow(),
  },
  (t) => [index('manager_modified_project_idx').on(t.projectId, t.filePath)],
);

export const syncRuns = pgTable(
  'manager_sync_runs',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    trigger: text('trigger').notNull(),
    instance: text('instance').notNull(),
    status: text('status').notNull(),
    message: text('message').notNull().default(''),
    newFiles: integer('new_files').notNull().default(0),
    updatedFiles: integer('updated_files').notNull().default(0),
    deletedFiles: integer('deleted_files').notNull().default(0),
    syncedFiles: integer('synced_files').notNull().default(0),
    commit: text('commit'),
    startedAt: ts('started_at').notNull(),
    finishedAt: ts('finished_at').notNull().defaultNow(),
  },
  (t) => [index('manager_sync_runs_project_idx').on(t.projectId, t.startedAt)],
);

/** Versions of whole lists, bumped by triggers (migration 0002): `projects` on any change to manager_projects. */
export const listVersions = pgTable('manager_list_versions', {
  name: text('name').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

export type ProjectRow = typeof projects.$inferSelect;
export type FileRow = typeof files.$inferSelect;
export type ModifiedRow = typeof modifiedFiles.$inferSelect;
export type SyncRunRow = typeof syncRuns.$inferSelect;
