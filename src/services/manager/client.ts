/**
 * ManagerApi over HTTP (cluster mode) and the resolver other services use: the in-process module when the manager runs
 * in this process, else an HTTP client to BENCHOPS_MANAGER_URL.
 */
import { serviceToken } from '../../core/auth.ts';
import { AppError } from '../../core/errors.ts';
import { jsonClient, type JsonClient } from '../../core/http-client.ts';
import type { PlatformContext } from '../../core/service.ts';
import type { FileType, ManagerApi, ProjectFile, ProjectSummary } from './api.ts';

export class ManagerHttpClient implements ManagerApi {
  private readonly http: JsonClient;

  constructor(baseUrl: string, token?: string, timeoutMs = 30_000) {
    this.http = jsonClient({ base: baseUrl, token, timeoutMs, service: 'Benchmark manager' });
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.http.get<T>(path)).body;
  }

  async getProject(projectId: string): Promise<ProjectSummary> {
    const r = await this.get<{ project: ProjectSummary & Record<string, unknown> }>(`/projects/${encodeURIComponent(projectId)}`);
    return { project_id: r.project.project_id, name: r.project.name, project_type: r.project.project_type };
  }

  async listFiles(projectId: string, filter: { file_type?: FileType; benchmark_type?: string } = {}): Promise<ProjectFile[]> {
    const out: ProjectFile[] = [];
    // lists carry content only when asked, in pages of at most 100 (the manager's bound)
    const page = 100;
    for (let offset = 0; ; offset += page) {
      const q = new URLSearchParams({ limit: String(page), offset: String(offset), include_content: 'true' });
      if (filter.file_type) q.set('file_type', filter.file_type);
      if (filter.benchmark_type !== undefined) q.set('benchmark_type', filter.benchmark_type);
      const items = await this.get<ProjectFile[]>(`/projects/${encodeURIComponent(projectId)}/files?${q}`);
      out.push(...items);
      if (items.length < page) return out;
    }
  }

  async getFile(projectId: string, fileId: string): Promise<ProjectFile> {
    const r = await this.get<{ file_type: string; file: ProjectFile }>(
      `/projects/${encodeURIComponent(projectId)}/files/${encodeURIComponent(fileId)}`,
    );
    return r.file;
  }
}

/** The ManagerApi for this process: in-process when the manager runs here, else HTTP to `managerUrl`. */
export function managerApi(ctx: Pick<PlatformContext, 'local' | 'config'>): ManagerApi {
  const local = ctx.local.get('manager')?.api as ManagerApi | undefined;
  if (local) return local;
  if (ctx.config.managerUrl) {
    // Service-to-service calls reuse a configured token (the least privileged one that can read).
    const token = serviceToken(ctx.config, ['viewer', 'operator', 'admin']);
    return new ManagerHttpClient(ctx.config.managerUrl, token);
  }
  throw new AppError(
    503,
    'The benchmark manager is not running in this process and BENCHOPS_MANAGER_URL is not set',
    'unavailable',
  );
}
