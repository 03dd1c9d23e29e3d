/** The projects pages' calls to the manager: typed paths and bodies from the generated schema, shapes from api/views. */
import { manager, unwrapAs, unwrapPageAs } from '../../api/client';
import type { DiffView, FileEntry, FileWithSource, ProjectDetail, ProjectView, SyncResponse } from '../../api/views';

export interface ProjectInput {
  name: string;
  project_type: 'benchmark' | 'vllm';
  repository_url: string;
  branch: string;
  github_token: string;
  config_path: string;
  job_path: string;
  polling_interval: number;
  /** Edit only: remove the stored token. */
  clear_github_token?: boolean;
}

const body = (v: ProjectInput) => ({
  name: v.name,
  project_type: v.project_type,
  repository_url: v.repository_url || null,
  branch: v.branch || null,
  // write-only: an empty field keeps the stored token (the server never sends it back)
  ...(v.github_token ? { github_token: v.github_token } : {}),
  ...(v.clear_github_token && !v.github_token ? { clear_github_token: true } : {}),
  config_path: v.config_path,
  job_path: v.job_path,
  polling_interval: v.polling_interval,
});

export const projectsApi = {
  list: () => unwrapPageAs<ProjectView>(manager.GET('/projects', { params: { query: { limit: 1000 } } })),
  get: (id: string) => unwrapAs<ProjectDetail>(manager.GET('/projects/{project_id}', { params: { path: { project_id: id } } })),
  create: (v: ProjectInput) => unwrapAs<ProjectView>(manager.POST('/projects', { body: body(v) })),
  update: (id: string, v: ProjectInput) => unwrapAs<ProjectView>(manager.PUT('/projects/{project_id}', { params: { path: { project_id: id } }, body: body(v) })),
  remove: (id: string) => unwrapAs<{ message: string }>(manager.DELETE('/projects/{project_id}', { params: { path: { project_id: id } } })),
  sync: (id: string) => unwrapAs<SyncResponse>(manager.POST('/projects/{project_id}/sync', { params: { path: { project_id: id } } })),
  files: (id: string) => unwrapPageAs<FileEntry>(manager.GET('/projects/{project_id}/files', { params: { path: { project_id: id }, query: { limit: 10_000 } } })),
  file: (pid: string, fid: string) => unwrapAs<FileWithSource>(manager.GET('/projects/{project_id}/files/{file_id}', { params: { path: { project_id: pid, file_id: fid } } })),
  diff: (pid: string, fid: string) => unwrapAs<DiffView>(manager.GET('/projects/{project_id}/files/{file_id}/diff', { params: { path: { project_id: pid, file_id: fid } } })),
  /** Saves an original's edited content as a new modified copy (optionally under another name). */
  saveCopy: (pid: string, originalId: string, content: string, name?: string) =>
    unwrapAs<FileEntry>(
      manager.POST('/projects/{project_id}/modified-files', { params: { path: { project_id: pid } }, body: { original_file_id: originalId, content, ...(name ? { modified_name: name } : {}) } }),
    ),
  updateCopy: (fid: string, patch: { content?: string; modified_name?: string }) =>
    unwrapAs<FileEntry>(manager.PUT('/modified-files/{file_id}', { params: { path: { file_id: fid } }, body: patch })),
  deleteCopy: (fid: string) => unwrapAs<{ message: string }>(manager.DELETE('/modified-files/{file_id}', { params: { path: { file_id: fid } } })),
  resetAll: (pid: string) => unwrapAs<{ message: string; deleted_count: number }>(manager.DELETE('/projects/{project_id}/modified-files', { params: { path: { project_id: pid } } })),
};

/** Files grouped by benchmark type, each group's configs then jobs, originals before their modified copies. */
export function groupFiles(files: FileEntry[]): { benchmarkType: string; files: FileEntry[] }[] {
  const groups = new Map<string, FileEntry[]>();
  for (const f of files) {
    const key = f.benchmark_type || '(top level)';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(f);
  }
  const typeOrder = { config: 0, job: 1, vllm: 2 } as const;
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([benchmarkType, list]) => ({
      benchmarkType,
      files: list.sort(
        (a, b) =>
          typeOrder[a.file_type] - typeOrder[b.file_type] ||
          a.file_path.localeCompare(b.file_path) ||
          (a.source === b.source ? 0 : a.source === 'original' ? -1 : 1),
      ),
    }));
}
