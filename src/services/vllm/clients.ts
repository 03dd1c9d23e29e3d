/**
 * The vLLM service's HTTP client (`VllmApi` over HTTP, for the deployer's `/vllm/*` forwarding and the workflows
 * service) and what this service reads from the results service (`BENCHOPS_RESULTS_URL`). The deployer's client is
 * the deployer's own (deployer/client.ts).
 */
import { serviceToken as sharedServiceToken } from '../../core/auth.ts';
import { AppError } from '../../core/errors.ts';
import { jsonClient, type JsonClient } from '../../core/http-client.ts';
import type { PlatformContext } from '../../core/service.ts';
import type { ResultSummary } from '../results/api.ts';
import type { QueueCounts, QueueItemView, SchedulerState, ServedModel, VllmApi } from './api.ts';
import type { QueueRequestInput } from './models.ts';

function serviceToken(ctx: Pick<PlatformContext, 'config'>): string | undefined {
  return sharedServiceToken(ctx.config, ['operator', 'admin', 'viewer']);
}

/** Result pks stored for a run id (standardized first, then raw); [] when the results service cannot be reached. */
export async function resultPksFor(ctx: Pick<PlatformContext, 'local' | 'config'>, runId: string): Promise<string[]> {
  const local = ctx.local.get('results')?.api as
    | { listStandardized?: (f: any) => Promise<{ items: ResultSummary[] }>; listRaw?: (f: any) => Promise<{ items: ResultSummary[] }> }
    | undefined;
  const pks = new Set<string>();
  if (local?.listStandardized) {
    for (const r of (await local.listStandardized({ run_id: runId, limit: 1000 })).items) pks.add(r.pk);
    if (local.listRaw) for (const r of (await local.listRaw({ run_id: runId, limit: 1000 })).items) pks.add(r.pk);
    return [...pks];
  }
  if (ctx.config.resultsUrl) {
    const http = jsonClient({ base: ctx.config.resultsUrl, token: serviceToken(ctx), timeoutMs: 60_000, service: 'Results service' });
    for (const coll of ['standardized_output', 'raw_input']) {
      const items = await http
        .get<ResultSummary[]>(`/${coll}`, { query: { run_id: runId, limit: 1000 } })
        .then((r) => r.body)
        .catch(() => [] as ResultSummary[]);
      for (const r of items) pks.add(r.pk);
    }
  }
  return [...pks];
}

/** VllmApi over HTTP (cluster mode: the deployer's `/vllm/*` forwarding reaches the vLLM service at BENCHOPS_VLLM_URL). */
export class VllmHttpClient implements VllmApi {
  private readonly http: JsonClient;

  constructor(base: string, token?: string, timeoutMs = 60_000) {
    this.http = jsonClient({ base, token, timeoutMs, service: 'vLLM service' });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return (await this.http.request<T>(method, path, body)).body;
  }

  enqueue(body: QueueRequestInput): Promise<QueueItemView & { warnings: string[] }> {
    return this.call('POST', '/queue/deployment', body);
  }

  getQueueItem(id: string): Promise<QueueItemView> {
    return this.call('GET', `/queue/${encodeURIComponent(id)}`);
  }

  listQueue(opts: { status?: string; limit?: number; offset?: number } = {}): Promise<QueueItemView[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) q.set(k, String(v));
    return this.call('GET', `/queue/list${q.size ? `?${q}` : ''}`);
  }

  queueStatus(): Promise<QueueCounts> {
    return this.call('GET', '/queue/status');
  }

  async cancel(id: string): Promise<void> {
    await this.call('POST', `/queue/${encodeURIComponent(id)}/cancel`);
  }

  async setPriority(id: string, priority: string): Promise<void> {
    await this.call('POST', `/queue/${encodeURIComponent(id)}/priority`, { priority });
  }

  async triggerScheduler(): Promise<void> {
    await this.call('POST', '/scheduler/trigger');
  }

  async schedulerState(): Promise<SchedulerState> {
    const s = await this.call<SchedulerState>('GET', '/scheduler/status');
    return { running: s.running, poll_interval: s.poll_interval, active_requests: s.active_requests, pending_requests: s.pending_requests };
  }

  async servedModels(): Promise<ServedModel[]> {
    const map = await this.call<Record<string, any>>('GET', '/deployments?status=running');
    return Object.values(map)
      .filter((d) => d.endpoint)
      .map((d) => ({
        deployment_id: d.deployment_id,
        id: d.served_model_name,
        endpoint: d.endpoint,
        max_model_len: d.config?.max_model_len ?? null,
        created: Math.floor(Date.parse(d.created_at) / 1000),
        reachable: true,
      }));
  }
}

/** The VllmApi for this process: in-process when the vLLM service runs here, else HTTP to `vllmUrl`. */
export function vllmApi(ctx: Pick<PlatformContext, 'local' | 'config'>): VllmApi {
  const local = ctx.local.get('vllm')?.api as VllmApi | undefined;
  if (local) return local;
  if (ctx.config.vllmUrl) return new VllmHttpClient(ctx.config.vllmUrl, serviceToken(ctx));
  throw new AppError(503, 'The vLLM service is not running in this process and BENCHOPS_VLLM_URL is not set', 'unavailable');
}
