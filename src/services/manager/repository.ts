/** Database access for the manager (drizzle); every function takes a Db or a transaction handle. */
import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../core/db/client.ts';
import { files, modifiedFiles, projects, syncRuns, type FileRow, type ModifiedRow, type ProjectRow } from './schema.ts';
import type { FileType } from './api.ts';

export interface FileFilter {
  file_type?: FileType;
  benchmark_type?: string;
}

export async function getProject(db: DbOrTx, id: string, forUpdate = false): Promise<ProjectRow | undefined> {
  const q = db.select().from(projects).where(eq(projects.id, id));
  const rows = forUpdate ? await q.for('update') : await q;
  return rows[0];
}

export async function listProjects(
  db: DbOrTx,
  opts: { limit: number; offset: number; projectType?: string; name?: string },
): Promise<{ rows: ProjectRow[]; total: number }> {
  const conds: SQL[] = [];
  if (opts.projectType) conds.push(eq(projects.projectType, opts.projectType));
  if (opts.name) conds.push(eq(projects.name, opts.name));
  const where = conds.length ? and(...conds) : undefined;
  const rows = await db.select().from(projects).where(where).orderBy(asc(projects.createdAt), asc(projects.id)).limit(opts.limit).offset(opts.offset);
  const [{ n }] = await db.select({ n: count() }).from(projects).where(where);
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

export async function listOriginals(db: DbOrTx, projectId: string, f: FileFilter, limit: number, offset: number): Promise<FileRow[]> {
  if (limit <= 0) return [];
  return db.select().from(files).where(originalWhere(projectId, f)).orderBy(asc(files.filePath)).limit(limit).offset(offset);
}

export async function listModified(db: DbOrTx, projectId: string, f: FileFilter, limit: number, offset: number): Promise<ModifiedRow[]> {
  if (limit <= 0) return [];
  return db
    .select()
    .from(modifiedFiles)
    .where(modifiedWhere(projectId, f))
    .orderBy(asc(modifiedFiles.filePath), asc(modifiedFiles.createdAt), asc(modifiedFiles.id))
    .limit(limit)
    .offset(offset);
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
