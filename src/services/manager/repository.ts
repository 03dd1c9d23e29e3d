/** Database access for the manager (drizzle); every function takes a Db or a transaction handle. */
import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../core/db/client.ts';
import { files, listVersions, modifiedFiles, projects, syncRuns, type FileRow, type ModifiedRow, type ProjectRow } from './schema.ts';
import type { FileType } from './api.ts';
import { TOKEN_MASK } from './views.ts';

const TOKEN_MASK_SQL = sql`${TOKEN_MASK}`;

export interface FileFilter {
  file_type?: FileType;
  benchmark_type?: string;
}

export async function getProject(db: DbOrTx, id: string, forUpdate = false): Promise<ProjectRow | undefined> {
  const q = db.select().from(projects).where(eq(projects.id, id));
  const rows = forUpdate ? await q.for('update') : await q;
  return rows[0];
}

/** What a project list needs: no ciphertext (only whether there is a token), no ETag or lease columns. */
const projectListColumns = {
  id: projects.id,
  name: projects.name,
  projectType: projects.projectType,
  repoUrl: projects.repoUrl,
  hasToken: sql<boolean>`(${projects.tokenEnc} IS NOT NULL)`,
  configFolder: projects.configFolder,
  jobFolder: projects.jobFolder,
  vllmValuesPath: projects.vllmValuesPath,
  branch: projects.branch,
  pollingInterval: projects.pollingInterval,
  createdAt: projects.createdAt,
  updatedAt: projects.updatedAt,
  lastSync: projects.lastSync,
  lastSyncStatus: projects.lastSyncStatus,
  lastSyncError: projects.lastSyncError,
  lastCommit: projects.lastCommit,
  nextSyncAt: projects.nextSyncAt,
};
export type ProjectListRow = Omit<ProjectRow, 'tokenEnc' | 'etag' | 'leaseUntil' | 'leaseOwner' | 'filesVersion'> & { hasToken: boolean };

/** A page of projects and the total, in one query (the total rides along as a window count). */
export async function listProjects(
  db: DbOrTx,
  opts: { limit: number; offset: number; projectType?: string; name?: string },
): Promise<{ rows: ProjectListRow[]; total: number }> {
  const conds: SQL[] = [];
  if (opts.projectType) conds.push(eq(projects.projectType, opts.projectType));
  if (opts.name) conds.push(eq(projects.name, opts.name));
  const where = conds.length ? and(...conds) : undefined;
  const page = await db
    .select({ ...projectListColumns, total: sql<number>`count(*) OVER ()` })
    .from(projects)
    .where(where)
    .orderBy(asc(projects.createdAt), asc(projects.id))
    .limit(opts.limit)
    .offset(opts.offset);
  const rows = page.map(({ total: _t, ...r }) => r);
  if (page.length) return { rows, total: Number(page[0].total) };
  // past the end (or nothing matches): the window count has no row to ride on
  const [{ n }] = opts.offset > 0 ? await db.select({ n: count() }).from(projects).where(where) : [{ n: 0 }];
  return { rows, total: Number(n) };
}

export async function countAll(db: DbOrTx): Promise<{ projects: number; files: number; modified: number; polled: number }> {
  const r = await db.execute(sql`SELECT
      (SELECT count(*) FROM manager_projects) AS projects,
      (SELECT count(*) FROM manager_files) AS files,
      (SELECT count(*) FROM manager_modified_files) AS modified,
      (SELECT count(*) FROM manager_projects WHERE polling_interval > 0) AS polled`);
  const row = ((r as any).rows ?? r)[0];
  return { projects: Number(row.projects), files: Number(row.files), modified: Number(row.modified), polled: Number(row.polled) };
}

export async function projectStats(db: DbOrTx, projectId: string) {
  const r = await db.execute(sql`SELECT
      (SELECT count(*) FROM manager_files WHERE project_id = ${projectId}) AS originals,
      (SELECT count(*) FROM manager_files WHERE project_id = ${projectId} AND file_type = 'config') AS configs,
      (SELECT count(*) FROM manager_files WHERE project_id = ${projectId} AND file_type = 'job') AS jobs,
      (SELECT count(*) FROM manager_files WHERE project_id = ${projectId} AND file_type = 'vllm') AS vllm,
      (SELECT count(*) FROM manager_modified_files WHERE project_id = ${projectId}) AS modified`);
  const row = ((r as any).rows ?? r)[0];
  return {
    total_original_files: Number(row.originals),
    total_modified_files: Number(row.modified),
    config_files: Number(row.configs),
    job_files: Number(row.jobs),
    vllm_files: Number(row.vllm),
  };
}

function originalWhere(projectId: string, f: FileFilter): SQL {
  const conds: SQL[] = [eq(files.projectId, projectId)];
  if (f.file_type) conds.push(eq(files.fileType, f.file_type));
  if (f.benchmark_type !== undefined) conds.push(eq(files.benchmarkType, f.benchmark_type));
  return and(...conds)!;
}

/** Modified copies' benchmark type is their path's parent folder, computed in SQL to filter and page in the database. */
const modifiedBenchmarkType = sql<string>`coalesce(substring(${modifiedFiles.filePath} from '([^/]+)/[^/]+$'), '')`;

function modifiedWhere(projectId: string, f: FileFilter): SQL {
  const conds: SQL[] = [eq(modifiedFiles.projectId, projectId)];
  if (f.file_type) conds.push(eq(modifiedFiles.fileType, f.file_type));
  if (f.benchmark_type !== undefined) conds.push(sql`${modifiedBenchmarkType} = ${f.benchmark_type}`);
  return and(...conds)!;
}

export async function countOriginals(db: DbOrTx, projectId: string, f: FileFilter = {}): Promise<number> {
  const [{ n }] = await db.select({ n: count() }).from(files).where(originalWhere(projectId, f));
  return Number(n);
}

export async function countModified(db: DbOrTx, projectId: string, f: FileFilter = {}): Promise<number> {
  const [{ n }] = await db.select({ n: count() }).from(modifiedFiles).where(modifiedWhere(projectId, f));
  return Number(n);
}

/** The version of the projects list (bumped by a trigger on any change to manager_projects). */
export async function projectsVersion(db: DbOrTx): Promise<number> {
  const rows = await db.select({ v: listVersions.version }).from(listVersions).where(eq(listVersions.name, 'projects'));
  return rows[0]?.v ?? 0;
}

/** The project's files_version (bumped by triggers on any change to its files), or undefined when it does not exist. */
export async function filesVersion(db: DbOrTx, projectId: string): Promise<number | undefined> {
  const rows = await db.select({ v: projects.filesVersion }).from(projects).where(eq(projects.id, projectId));
  return rows[0]?.v;
}

/** ISO-8601 UTC with milliseconds and `Z`, formatted by the database (as `iso()` in core/http.ts). */
const isoSql = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The last path segment, and the one before it ('' without a folder): layout.ts's baseName and parentFolder. */
const FILE_NAME = `substring(file_path from '[^/]*$')`;
const PARENT = `coalesce(substring(file_path from '([^/]+)/[^/]+$'), '')`;

/**
 * A page of a project's file list (originals then modified copies, reference §1.4) as JSON text built by the
 * database, with the counts. Per row, a list costs the database a little and this process nothing: no row objects,
 * no Date parsing, no serialisation (with 1,000 rows that was most of a request). Entries have the single-file shapes
 * of views.ts without `content`, unless `withContent`. Pages in SQL: originals by path, then modified copies by path
 * and creation time.
 */
export async function pageFilesJson(
  db: DbOrTx,
  projectId: string,
  f: FileFilter & { source?: 'original' | 'modified' },
  limit: number,
  offset: number,
  withContent = false,
): Promise<{ json: string; count: number; total: number }> {
  const content = sql.raw(withContent ? 'content,' : '');
  const wantO = f.source !== 'modified';
  const wantM = f.source !== 'original';
  const ow = originalWhere(projectId, f);
  const mw = modifiedWhere(projectId, f);
  const r: any = await db.execute(sql`
    WITH op AS (
      SELECT id AS file_id, project_id, file_path, file_type, ${content} sha,
             ${sql.raw(isoSql('last_modified'))} AS last_modified, ${sql.raw(isoSql('synced_at'))} AS synced_at,
             'original' AS source,
             CASE WHEN benchmark_type <> '' THEN benchmark_type ELSE ${sql.raw(PARENT)} END AS benchmark_type,
             ${sql.raw(FILE_NAME)} AS file_name
        FROM manager_files WHERE ${wantO ? ow : sql`false`}
       ORDER BY file_path LIMIT ${limit} OFFSET ${offset}),
    n_orig AS (SELECT ${wantO ? sql`(SELECT count(*) FROM manager_files WHERE ${ow})` : sql`0`}::int AS n),
    mp AS (
      SELECT * FROM manager_modified_files WHERE ${wantM ? mw : sql`false`}
       ORDER BY file_path, created_at, id
       LIMIT greatest(0, ${limit} - (SELECT count(*) FROM op)) OFFSET greatest(0, ${offset} - (SELECT n FROM n_orig)))
    SELECT (SELECT n FROM n_orig) AS n_orig,
           ${wantM ? sql`(SELECT count(*) FROM manager_modified_files WHERE ${mw})` : sql`0`}::int AS n_mod,
           (SELECT count(*) FROM op)::int + (SELECT count(*) FROM mp)::int AS count,
           (SELECT json_agg(op ORDER BY op.file_path) FROM op)::text AS originals,
           (SELECT json_agg(json_build_object(
              'file_id', id, 'project_id', project_id, 'modified', true, 'file_type', file_type, 'file_path', file_path,
              ${sql.raw(withContent ? `'content', content,` : '')}
              'created_at', ${sql.raw(isoSql('created_at'))}, 'modified_at', ${sql.raw(isoSql('modified_at'))},
              'source', 'modified', 'benchmark_type', ${sql.raw(PARENT)}, 'file_name', ${sql.raw(FILE_NAME)},
              'modified_name', ${sql.raw(FILE_NAME)}, 'original_file_id', original_file_id)
              ORDER BY file_path, created_at, id) FROM mp)::text AS modified`);
  const row = (r.rows ?? r)[0];
  const parts = [row.originals, row.modified].filter((x): x is string => typeof x === 'string' && x.length > 2);
  // two JSON arrays joined into one without parsing them: "[a,b]" + "[c]" → "[a,b,c]"
  const json = parts.length === 0 ? '[]' : parts.length === 1 ? parts[0] : `${parts[0].slice(0, -1)},${parts[1].slice(1)}`;
  return { json, count: Number(row.count), total: Number(row.n_orig) + Number(row.n_mod) };
}

/**
 * A page of projects as JSON text built by the database (views.ts projectView's shape), with the total. The token's
 * ciphertext never leaves the database: only whether there is one.
 */
export async function pageProjectsJson(
  db: DbOrTx,
  opts: { limit: number; offset: number; projectType?: string; name?: string },
): Promise<{ json: string; total: number }> {
  const conds: SQL[] = [];
  if (opts.projectType) conds.push(eq(projects.projectType, opts.projectType));
  if (opts.name) conds.push(eq(projects.name, opts.name));
  const where = conds.length ? and(...conds)! : sql`true`;
  // Rows go straight to JSON as composites (cheaper than json_build_object per row). The in-page order by the ISO
  // text equals the order by time: created_at is written from a JS Date, so it has millisecond precision.
  const r: any = await db.execute(sql`
    WITH page AS (
      SELECT id AS project_id, name, project_type, repo_url AS github_repo_url, repo_url AS repository_url,
             token_enc IS NOT NULL AS has_github_token,
             CASE WHEN token_enc IS NOT NULL THEN ${TOKEN_MASK_SQL} ELSE '' END AS github_token,
             config_folder, config_folder AS config_path, job_folder, job_folder AS job_path, vllm_values_path, branch,
             polling_interval, ${sql.raw(isoSql('created_at'))} AS created_at, ${sql.raw(isoSql('updated_at'))} AS updated_at,
             ${sql.raw(isoSql('last_sync'))} AS last_sync, last_sync_status, last_sync_error, last_commit,
             CASE WHEN polling_interval > 0 THEN ${sql.raw(isoSql('next_sync_at'))} END AS next_sync_at
        FROM manager_projects WHERE ${where}
       ORDER BY manager_projects.created_at, id LIMIT ${opts.limit} OFFSET ${opts.offset})
    SELECT (SELECT count(*) FROM manager_projects WHERE ${where})::int AS total,
           (SELECT json_agg(page ORDER BY page.created_at, page.project_id) FROM page)::text AS items`);
  const row = (r.rows ?? r)[0];
  return { json: row.items ?? '[]', total: Number(row.total) };
}

export async function allOriginals(db: DbOrTx, projectId: string): Promise<FileRow[]> {
  return db.select().from(files).where(eq(files.projectId, projectId));
}

export async function getOriginal(db: DbOrTx, projectId: string, fileId: string): Promise<FileRow | undefined> {
  const rows = await db.select().from(files).where(and(eq(files.projectId, projectId), eq(files.id, fileId)));
  return rows[0];
}

export async function getOriginalByPath(db: DbOrTx, projectId: string, filePath: string): Promise<FileRow | undefined> {
  const rows = await db.select().from(files).where(and(eq(files.projectId, projectId), eq(files.filePath, filePath)));
  return rows[0];
}

export async function getModified(db: DbOrTx, id: string): Promise<ModifiedRow | undefined> {
  const rows = await db.select().from(modifiedFiles).where(eq(modifiedFiles.id, id));
  return rows[0];
}

export async function deleteOriginals(db: DbOrTx, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await db.delete(files).where(inArray(files.id, ids.slice(i, i + 500)));
}

export async function insertOriginals(db: DbOrTx, rows: (typeof files.$inferInsert)[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await db.insert(files).values(rows.slice(i, i + 200));
}

/** Sync history of a project, newest first, with the total. */
export async function listSyncRuns(db: DbOrTx, projectId: string, limit: number, offset: number) {
  const rows = await db.select().from(syncRuns).where(eq(syncRuns.projectId, projectId)).orderBy(desc(syncRuns.startedAt)).limit(limit).offset(offset);
  const [{ n }] = await db.select({ n: count() }).from(syncRuns).where(eq(syncRuns.projectId, projectId));
  return { rows, total: Number(n) };
}

export { files, modifiedFiles, projects, syncRuns };
