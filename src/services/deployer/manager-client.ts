/** The manager's interface over HTTP (cluster mode, BENCHOPS_MANAGER_URL), same shape as the in-process one. */
import { AppError, notFound } from '../../core/errors.ts';
import type { FileType, ManagerApi, ProjectFile, ProjectSummary } from '../manager/api.ts';

export class HttpManagerClient implements ManagerApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  private async get(path: string): Promise<any> {
    const res = await fetch(new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`), {
      headers: { accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      signal: AbortSignal.timeout(30_000),
    }).catch((e) => {
      throw new AppError(502, `The manager service is unreachable: ${e.message}`, 'upstream');
    });
    const text = await res.text();
    if (res.status === 404) throw notFound(safeDetail(text) ?? 'Not found');
    if (!res.ok) throw new AppError(502, `Failed to fetch ${path} from the manager: HTTP ${res.status} ${safeDetail(text) ?? ''}`.trim(), 'upstream');
    return JSON.parse(text);
  }

  async getProject(projectId: string): Promise<ProjectSummary> {
    const body = await this.get(`/projects/${encodeURIComponent(projectId)}`);
    const p = body.project ?? body;
    return { project_id: p.project_id ?? projectId, name: p.name, project_type: p.project_type ?? 'benchmark' };
  }

  async listFiles(projectId: string, filter?: { file_type?: FileType; benchmark_type?: string }): Promise<ProjectFile[]> {
    const q = new URLSearchParams();
    if (filter?.file_type) q.set('file_type', filter.file_type);
    if (filter?.benchmark_type) q.set('benchmark_type', filter.benchmark_type);
    const qs = q.toString();
    return this.get(`/projects/${encodeURIComponent(projectId)}/files${qs ? `?${qs}` : ''}`);
  }

  async getFile(projectId: string, fileId: string): Promise<ProjectFile> {
    const f = (await this.listFiles(projectId)).find((x) => x.file_id === fileId);
    if (!f) throw notFound(`File ${fileId} not found in project ${projectId}`);
    return f;
  }
}

function safeDetail(text: string): string | undefined {
  try {
    const d = JSON.parse(text).detail;
    return typeof d === 'string' ? d : JSON.stringify(d);
  } catch {
    return text.slice(0, 200) || undefined;
  }
}
