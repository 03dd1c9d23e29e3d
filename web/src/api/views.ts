/**
 * Response shapes of routes whose OpenAPI entries declare no response schema yet (the manager's and most of the
 * deployer's). They mirror src/services/manager/views.ts and the deployer's routes; when a service declares its
 * response schemas, `npm run gen:api` types them and the matching interface here goes away.
 */
export interface ProjectView {
  project_id: string;
  name: string;
  project_type: 'benchmark' | 'vllm';
  repository_url: string | null;
  has_github_token: boolean;
  config_path: string;
  job_path: string;
  vllm_values_path: string | null;
  branch: string | null;
  polling_interval: number;
  created_at: string | null;
  updated_at: string | null;
  last_sync: string | null;
  last_sync_status: string | null;
  last_sync_error: string | null;
  last_commit: string | null;
  next_sync_at: string | null;
}

export interface ProjectDetail {
  project: ProjectView;
  stats: Record<string, number | string | null>;
}

export type FileType = 'config' | 'job' | 'vllm';

export interface FileEntry {
  file_id: string;
  project_id: string;
  file_path: string;
  file_type: FileType;
  content?: string;
  source: 'original' | 'modified';
  benchmark_type: string;
  file_name: string;
  sha?: string;
  last_modified?: string | null;
  synced_at?: string | null;
  created_at?: string | null;
  modified_at?: string | null;
  original_file_id?: string | null;
}

export interface FileWithSource {
  file_type: 'original' | 'modified';
  file: FileEntry & { content: string };
}

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

export interface DiffView {
  file_id: string;
  original_file_id: string | null;
  original_path: string | null;
  file_path: string;
  identical: boolean;
  diff: string;
}

export interface ModelEntry {
  id: string;
  owned_by: string;
  created: number;
  max_model_len?: number;
  deployment_id?: string;
}
