/** Manager logic: projects (with a write-only encrypted token), file listings, modified copies, diffs. Sync lives in sync.ts. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../core/db/client.ts';
import type { Role } from '../../core/auth.ts';
import { badRequest, forbidden, notFound, unprocessable } from '../../core/errors.ts';
import type { SecretBox } from '../../core/secrets.ts';
import type { FileType, ManagerApi, ProjectFile, ProjectSummary } from './api.ts';
import { unifiedDiff } from './diff.ts';
import { baseName } from './layout.ts';
import { ListCache } from './list-cache.ts';
import * as repo from './repository.ts';
import { modifiedFiles, projects, type ProjectRow } from './schema.ts';
import { checkContent, checkFileName, checkFilePath, credentialOrigin, normaliseFolder, parseRepoUrl } from './validation.ts';
import { apiFile, modifiedView, originalView, projectView, TOKEN_MASK } from './views.ts';

export interface ProjectInput {
  name?: string;
  project_type?: 'benchmark' | 'vllm';
  github_repo_url?: string | null;
  repository_url?: string | null;
  github_token?: string | null;
  clear_github_token?: boolean;
  config_folder?: string | null;
  config_path?: string | null;
  job_folder?: string | null;
  job_path?: string | null;
  vllm_values_path?: string | null;
  branch?: string | null;
  polling_interval?: number | null;
}

export interface ModifiedInput {
  original_file_id?: string | null;
  modified_name?: string | null;
  file_path?: string | null;
  file_type?: FileType | null;
  content?: string | null;
  project_id?: string | null;
}

export interface FileListQuery {
  file_type?: FileType;
  benchmark_type?: string;
  source?: 'original' | 'modified';
  limit: number;
  offset: number;
  /** Lists leave content out (it is what makes them heavy); the single-file GET has it. */
  include_content?: boolean;
}

/** Seed name or alias; both given with different values is ambiguous (422 naming the alias). */
function pick<T>(input: Record<string, any>, seed: string, alias: string): T | undefined {
  const a = input[seed];
  const b = input[alias];
  if (a != null && b != null && a !== b) throw unprocessable(['body', alias], `${alias} conflicts with ${seed}; send one of them`);
  return (a ?? b ?? undefined) as T | undefined;
}

/** The spelling the caller used (for 422 locations). */
const sent = (input: Record<string, any>, seed: string, alias: string) => (input[seed] == null && input[alias] != null ? alias : seed);

const isMasked = (t: string) => /^\*+$/.test(t.trim()) || t.trim() === TOKEN_MASK;
const BRANCH_RE = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

export class ManagerService implements ManagerApi {
  /** File-list pages by files_version (list-cache.ts). */
  private readonly lists = new ListCache();

  constructor(
    readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly githubApiUrl: string,
  ) {}

  // ---- projects ------------------------------------------------------------------------------------------------

  private checkRepoUrl(input: ProjectInput, url: string, role: Role): string {
    const field = input.github_repo_url != null ? 'github_repo_url' : 'repository_url';
    if (url.length > 2048) throw unprocessable(['body', field], `${field} is too long`);
    // a file:// repository reads this server's disk (other projects' caches included): administrators only
    if (/^file:/i.test(url.trim()) && role !== 'admin') throw forbidden(`${field}: file:// repositories need the admin role`);
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(url.trim())) {
      throw unprocessable(['body', field], `${field} must not contain a password or token; send it in github_token (stored encrypted)`);
    }
    if (!parseRepoUrl(url, this.githubApiUrl)) {
      throw unprocessable(
        ['body', field],
        `${field} must be a GitHub repository (https://github.com/o/r, o/r, or an API URL .../repos/o/r) or a git URL (https, ssh, git, file)`,
      );
    }
    return url.trim();
  }

  private checkBranch(b: string | null | undefined): string | null | undefined {
    if (b === undefined) return undefined;
    if (b === null || b.trim() === '') return null;
    if (!BRANCH_RE.test(b.trim())) throw unprocessable(['body', 'branch'], 'branch is not a valid branch name');
    return b.trim();
  }

  /** Creates a project; the token (if any) is stored encrypted. */
  async createProject(input: ProjectInput, role: Role = 'admin'): Promise<ProjectRow> {
    const name = (input.name ?? '').trim();
    if (!name) throw unprocessable(['body', 'name'], 'name must not be empty');
    const url = this.checkRepoUrl(input, pick<string>(input, 'github_repo_url', 'repository_url') ?? '', role);
    const configFolder = normaliseFolder(pick<string>(input, 'config_folder', 'config_path') || 'config', sent(input, 'config_folder', 'config_path'));
    const jobFolder = normaliseFolder(pick<string>(input, 'job_folder', 'job_path') || 'job', sent(input, 'job_folder', 'job_path'));
    const vllmValuesPath = normaliseFolder(input.vllm_values_path ?? '', 'vllm_values_path');
    const token = input.github_token && !isMasked(input.github_token) ? input.github_token.trim() : '';
    const polling = input.polling_interval ?? 0;
    requirePollable(polling, url);
    const now = new Date();
    const [row] = await this.db
      .insert(projects)
      .values({
        id: randomUUID(),
        name,
        projectType: input.project_type ?? 'benchmark',
        repoUrl: url,
        tokenEnc: token ? this.secrets.encrypt(token) : null,
        configFolder,
        jobFolder,
        vllmValuesPath,
        branch: this.checkBranch(input.branch) ?? null,
        pollingInterval: polling,
        createdAt: now,
        updatedAt: now,
        nextSyncAt: polling > 0 ? now : null,
      })
      .returning();
    return row;
  }

  async requireProject(id: string): Promise<ProjectRow> {
    const p = await repo.getProject(this.db, id);
    if (!p) throw notFound('Project not found');
    return p;
  }

  async listProjects(q: { limit: number; offset: number; project_type?: string; name?: string }) {
    return repo.listProjects(this.db, { limit: q.limit, offset: q.offset, projectType: q.project_type, name: q.name });
  }

  /** A page of projects as response JSON text (built by the database) and the total; cached by the list's version. */
  async pageProjects(q: { limit: number; offset: number; project_type?: string; name?: string }) {
    const version = await repo.projectsVersion(this.db);
    const key = ['projects', version, q.project_type ?? '', q.name ?? '\u0000', q.limit, q.offset].join('\n');
    return this.lists.get(key, async () => ({
      count: 0,
      ...(await repo.pageProjectsJson(this.db, { limit: q.limit, offset: q.offset, projectType: q.project_type, name: q.name })),
    }));
  }

  async projectDetail(id: string) {
    const p = await this.requireProject(id);
    const stats = await repo.projectStats(this.db, id);
    return { project: projectView(p), stats: { ...stats, last_sync: projectView(p).last_sync } };
  }

  /** Partial update. An empty or masked token keeps the stored one unless `clear_github_token` is true. */
  async updateProject(id: string, input: ProjectInput, role: Role = 'admin'): Promise<ProjectRow> {
    const current = await this.requireProject(id);
    const set: Partial<typeof projects.$inferInsert> = {};
    if (input.name != null) {
      if (!input.name.trim()) throw unprocessable(['body', 'name'], 'name must not be empty');
      set.name = input.name.trim();
    }
    if (input.project_type != null) set.projectType = input.project_type;
    const url = pick<string>(input, 'github_repo_url', 'repository_url');
    if (url != null) set.repoUrl = this.checkRepoUrl(input, url, role);
    const cf = pick<string>(input, 'config_folder', 'config_path');
    if (cf != null) set.configFolder = normaliseFolder(cf || 'config', sent(input, 'config_folder', 'config_path'));
    const jf = pick<string>(input, 'job_folder', 'job_path');
    if (jf != null) set.jobFolder = normaliseFolder(jf || 'job', sent(input, 'job_folder', 'job_path'));
    if (input.vllm_values_path != null) set.vllmValuesPath = normaliseFolder(input.vllm_values_path, 'vllm_values_path');
    const branch = this.checkBranch(input.branch);
    if (branch !== undefined) set.branch = branch;
    const newToken = !!input.github_token && !!input.github_token.trim() && !isMasked(input.github_token);
    if (input.clear_github_token) set.tokenEnc = null;
    else if (newToken) set.tokenEnc = this.secrets.encrypt(input.github_token!.trim());
    else if (
      set.repoUrl !== undefined &&
      current.tokenEnc &&
      credentialOrigin(set.repoUrl, this.githubApiUrl) !== credentialOrigin(current.repoUrl, this.githubApiUrl)
    ) {
      // a stored token never follows the project to another host: it was given for the old one
      set.tokenEnc = null;
    }
    if (input.polling_interval != null && input.polling_interval !== current.pollingInterval) {
      set.pollingInterval = input.polling_interval;
      set.nextSyncAt = input.polling_interval > 0 ? new Date() : null;
    }
    requirePollable(set.pollingInterval ?? current.pollingInterval, set.repoUrl ?? current.repoUrl, input.polling_interval != null ? 'polling_interval' : sent(input, 'github_repo_url', 'repository_url'));
    const sourceChanged =
      (set.repoUrl !== undefined && set.repoUrl !== current.repoUrl) ||
      (set.branch !== undefined && set.branch !== current.branch) ||
      (set.configFolder !== undefined && set.configFolder !== current.configFolder) ||
      (set.jobFolder !== undefined && set.jobFolder !== current.jobFolder) ||
      (set.vllmValuesPath !== undefined && set.vllmValuesPath !== current.vllmValuesPath) ||
      (set.projectType !== undefined && set.projectType !== current.projectType) ||
      set.tokenEnc !== undefined;
    // A conditional listing is only valid for the settings it was made with.
    if (sourceChanged) set.etag = null;
    set.updatedAt = new Date();
    const [row] = await this.db.update(projects).set(set).where(eq(projects.id, id)).returning();
    if (!row) throw notFound('Project not found');
    return row;
  }

  /** Deletes the project; its files, modified copies and sync history go with it (foreign keys cascade). */
  async deleteProject(id: string): Promise<void> {
    const rows = await this.db.delete(projects).where(eq(projects.id, id)).returning({ id: projects.id });
    if (!rows.length) throw notFound('Project not found');
  }

  /** The stored token in clear, for the sync only. */
  tokenOf(p: ProjectRow): string | null {
    return p.tokenEnc ? this.secrets.decrypt(p.tokenEnc) : null;
  }

  // ---- files ---------------------------------------------------------------------------------------------------

  /**
   * Originals then modified copies (reference §1.4), paged across both: the page as JSON text (built by the database),
   * its length and the total. One primary-key lookup (the project's files_version, which also proves it exists) and,
   * unless this page of this version is cached, the query that builds it.
   */
  async pageFiles(projectId: string, q: FileListQuery) {
    const version = await repo.filesVersion(this.db, projectId);
    if (version === undefined) throw notFound('Project not found');
    const f = { file_type: q.file_type, benchmark_type: q.benchmark_type, source: q.source };
    const withContent = q.include_content === true;
    const compute = () => repo.pageFilesJson(this.db, projectId, f, q.limit, q.offset, withContent);
    if (withContent) return compute();
    const key = [projectId, version, f.file_type ?? '', f.benchmark_type ?? '\u0000', f.source ?? '', q.limit, q.offset].join('\n');
    return this.lists.get(key, compute);
  }

  async listModifiedFiles(projectId: string, q: FileListQuery) {
    return this.pageFiles(projectId, { ...q, source: 'modified' });
  }

  /** `{file_type: original|modified, file}`; the file must belong to the project in the path. */
  async getFileEntry(projectId: string, fileId: string) {
    await this.requireProject(projectId);
    const o = await repo.getOriginal(this.db, projectId, fileId);
    if (o) return { file_type: 'original' as const, file: originalView(o) };
    const m = await repo.getModified(this.db, fileId);
    if (m && m.projectId === projectId) return { file_type: 'modified' as const, file: modifiedView(m) };
    throw notFound('File not found');
  }

  async getModifiedFile(id: string) {
    const m = await repo.getModified(this.db, id);
    if (!m) throw notFound('Modified file not found');
    return m;
  }

  /** Creates a modified copy: from an original (`original_file_id`, optional `modified_name`) or from a path and content. */
  async createModified(projectId: string, input: ModifiedInput) {
    const project = await this.requireProject(projectId);
    if (input.project_id != null && input.project_id !== projectId) {
      throw unprocessable(['body', 'project_id'], 'project_id must match the project in the path');
    }
    if (input.content == null) throw unprocessable(['body', 'content'], 'Field required', 'missing');
    let original = input.original_file_id ? await repo.getOriginal(this.db, projectId, input.original_file_id) : undefined;
    if (input.original_file_id && !original) {
      throw unprocessable(['body', 'original_file_id'], 'original_file_id is not a file of this project');
    }
    let filePath = input.file_path != null ? checkFilePath(input.file_path, 'file_path') : original?.filePath;
    if (!filePath) throw unprocessable(['body', 'file_path'], 'file_path (or original_file_id) is required', 'missing');
    if (input.modified_name != null) filePath = withBaseName(filePath, checkFileName(input.modified_name, 'modified_name'));
    // A copy saved under an original's path (the earlier web UI's "save") keeps the link to that original.
    if (!original && input.original_file_id == null) original = await repo.getOriginalByPath(this.db, projectId, filePath);
    checkContent(input.content, filePath);
    const fileType: FileType =
      input.file_type ?? (original?.fileType as FileType | undefined) ?? (project.projectType === 'vllm' ? 'vllm' : /\.json$/i.test(filePath) ? 'config' : 'job');
    const now = new Date();
    const [row] = await this.db
      .insert(modifiedFiles)
      .values({
        id: randomUUID(),
        projectId,
        originalFileId: original?.id ?? null,
        filePath,
        fileType,
        content: input.content,
        createdAt: now,
        modifiedAt: now,
      })
      .returning();
    return row;
  }

  /** Partial update of a modified copy: content, rename (`file_path` or `modified_name`), type. It cannot move projects. */
  async updateModified(id: string, input: ModifiedInput) {
    const current = await this.getModifiedFile(id);
    if (input.project_id != null && input.project_id !== current.projectId) {
      throw unprocessable(['body', 'project_id'], 'a modified file cannot be moved to another project');
    }
    let filePath = input.file_path != null ? checkFilePath(input.file_path, 'file_path') : current.filePath;
    if (input.modified_name != null) filePath = withBaseName(filePath, checkFileName(input.modified_name, 'modified_name'));
    const content = input.content ?? current.content;
    let originalFileId = current.originalFileId;
    if (input.original_file_id !== undefined) {
      if (input.original_file_id === null) originalFileId = null;
      else {
        const o = await repo.getOriginal(this.db, current.projectId, input.original_file_id);
        if (!o) throw unprocessable(['body', 'original_file_id'], 'original_file_id is not a file of this project');
        originalFileId = o.id;
      }
    }
    checkContent(content, filePath);
    const [row] = await this.db
      .update(modifiedFiles)
      .set({ filePath, content, fileType: input.file_type ?? current.fileType, originalFileId, modifiedAt: new Date() })
      .where(eq(modifiedFiles.id, id))
      .returning();
    if (!row) throw notFound('Modified file not found');
    return row;
  }

  async deleteModified(id: string): Promise<void> {
    const rows = await this.db.delete(modifiedFiles).where(eq(modifiedFiles.id, id)).returning({ id: modifiedFiles.id });
    if (!rows.length) throw notFound('Modified file not found');
  }

  /** Deletes every modified copy of the project; originals stay. */
  async resetProject(projectId: string): Promise<number> {
    await this.requireProject(projectId);
    const rows = await this.db.delete(modifiedFiles).where(eq(modifiedFiles.projectId, projectId)).returning({ id: modifiedFiles.id });
    return rows.length;
  }

  /** Unified diff of a modified copy against its original (or against nothing when it has none). */
  async diff(projectId: string, fileId: string) {
    await this.requireProject(projectId);
    const m = await repo.getModified(this.db, fileId);
    if (!m || m.projectId !== projectId) {
      if (await repo.getOriginal(this.db, projectId, fileId)) {
        throw badRequest('This is an original file; a diff compares a modified file with its original');
      }
      throw notFound('File not found');
    }
    const original = m.originalFileId
      ? await repo.getOriginal(this.db, projectId, m.originalFileId)
      : await repo.getOriginalByPath(this.db, projectId, m.filePath);
    const from = original ? `a/${original.filePath}` : '/dev/null';
    const diff = unifiedDiff(original?.content ?? '', m.content, from, `b/${m.filePath}`);
    return {
      file_id: m.id,
      original_file_id: original?.id ?? null,
      original_path: original?.filePath ?? null,
      file_path: m.filePath,
      identical: diff === '',
      diff,
    };
  }

  async status() {
    const c = await repo.countAll(this.db);
    return {
      service: 'Benchmark Manager',
      status: 'healthy',
      total_projects: c.projects,
      total_files: c.files,
      total_modified_files: c.modified,
      polled_projects: c.polled,
      uptime: 'running',
    };
  }

  // ---- ManagerApi (in-process interface for other services) ----------------------------------------------------

  async getProject(projectId: string): Promise<ProjectSummary> {
    const p = await this.requireProject(projectId);
    return { project_id: p.id, name: p.name, project_type: p.projectType as ProjectSummary['project_type'] };
  }

  async listFiles(projectId: string, filter?: { file_type?: FileType; benchmark_type?: string }): Promise<ProjectFile[]> {
    const { json } = await this.pageFiles(projectId, { ...filter, limit: 1_000_000, offset: 0, include_content: true });
    return JSON.parse(json) as ProjectFile[];
  }

  async getFile(projectId: string, fileId: string): Promise<ProjectFile> {
    return apiFile((await this.getFileEntry(projectId, fileId)).file);
  }
}

/**
 * A project without a repository cannot be polled: every poll would fail. A 422 here, where no earlier client depends
 * on a 200 (they never send polling_interval), instead of a background failure every interval.
 */
function requirePollable(polling: number, repoUrl: string, field = 'polling_interval'): void {
  if (polling > 0 && !repoUrl.trim()) {
    throw unprocessable(['body', field], 'a project without a repository URL cannot be polled (polling_interval must be 0)');
  }
}

function withBaseName(filePath: string, name: string): string {
  const dir = filePath.slice(0, filePath.length - baseName(filePath).length);
  return dir + name;
}

