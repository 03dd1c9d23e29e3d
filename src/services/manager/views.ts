/** Response shapes (reference-behaviour.md §1.2/§1.4): projects with both field spellings, flat file entries. */
import { iso } from '../../core/http.ts';
import type { FileType, ProjectFile } from './api.ts';
import { baseName, parentFolder } from './layout.ts';
import type { FileRow, ModifiedRow, ProjectRow } from './schema.ts';

/** What a stored token looks like in responses: masked, never the value. */
export const TOKEN_MASK = '********';

/** A project as answered (repository.ts pageProjectsJson builds the same shape for lists). */
export function projectView(p: ProjectRow) {
  const hasToken = !!p.tokenEnc;
  return {
    project_id: p.id,
    name: p.name,
    project_type: p.projectType as 'benchmark' | 'vllm',
    github_repo_url: p.repoUrl,
    repository_url: p.repoUrl,
    has_github_token: hasToken,
    github_token: hasToken ? TOKEN_MASK : '',
    config_folder: p.configFolder,
    config_path: p.configFolder,
    job_folder: p.jobFolder,
    job_path: p.jobFolder,
    vllm_values_path: p.vllmValuesPath,
    branch: p.branch,
    polling_interval: p.pollingInterval,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
    last_sync: iso(p.lastSync),
    last_sync_status: p.lastSyncStatus,
    last_sync_error: p.lastSyncError,
    last_commit: p.lastCommit,
    next_sync_at: p.pollingInterval > 0 ? iso(p.nextSyncAt) : null,
  };
}
export type ProjectView = ReturnType<typeof projectView>;

/** A synced original (single-file GET; repository.ts pageFilesJson builds list entries of the same shape). */
export function originalView(f: FileRow) {
  return {
    file_id: f.id,
    project_id: f.projectId,
    file_path: f.filePath,
    file_type: f.fileType as FileType,
    content: f.content,
    sha: f.sha,
    last_modified: iso(f.lastModified),
    synced_at: iso(f.syncedAt),
    source: 'original' as const,
    benchmark_type: f.benchmarkType || parentFolder(f.filePath),
    file_name: baseName(f.filePath),
  };
}

/** A modified copy, as created, read and listed. */
export function modifiedView(m: ModifiedRow) {
  return {
    file_id: m.id,
    project_id: m.projectId,
    modified: true as const,
    file_type: m.fileType as FileType,
    file_path: m.filePath,
    content: m.content,
    created_at: iso(m.createdAt),
    modified_at: iso(m.modifiedAt),
    source: 'modified' as const,
    benchmark_type: parentFolder(m.filePath),
    file_name: baseName(m.filePath),
    modified_name: baseName(m.filePath),
    original_file_id: m.originalFileId,
  };
}

/** The ManagerApi shape of either kind of file. */
export function apiFile(v: ReturnType<typeof originalView> | ReturnType<typeof modifiedView>): ProjectFile {
  return v as ProjectFile;
}
