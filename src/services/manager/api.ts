/**
 * The manager's interface for other services (the deployer's POST /run, the vLLM queue, the eval service).
 * Embedded mode: the in-process implementation; cluster mode: an HTTP client of the same shape.
 * Shapes follow reference-behaviour.md §1.4 (what `GET /projects/{id}/files` returns).
 */
export type FileType = 'config' | 'job' | 'vllm';

/** One entry of `GET /projects/{id}/files`: an original (synced) or a modified copy. */
export interface ProjectFile {
  file_id: string;
  project_id: string;
  file_path: string;
  file_type: FileType;
  content: string;
  source: 'original' | 'modified';
  /** The folder the file sits in (the benchmark type for config/job files). */
  benchmark_type: string;
  file_name: string;
  /** Modified copies keep the link to their original. */
  original_file_id?: string | null;
}

export interface ProjectSummary {
  project_id: string;
  name: string;
  project_type: 'benchmark' | 'vllm';
}

export interface ManagerApi {
  /** Throws AppError 404 when the project does not exist. */
  getProject(projectId: string): Promise<ProjectSummary>;
  /** Originals then modified copies; optional filter by file type and benchmark type. */
  listFiles(projectId: string, filter?: { file_type?: FileType; benchmark_type?: string }): Promise<ProjectFile[]>;
  /** Throws AppError 404 when the file is not in that project. */
  getFile(projectId: string, fileId: string): Promise<ProjectFile>;
}
