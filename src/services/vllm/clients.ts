/**
 * The other services this one calls, resolved per process: in-process modules in embedded mode, HTTP clients in
 * cluster mode (deployer: `BENCHOPS_DEPLOYER_URL`; results: `BENCHOPS_RESULTS_URL`).
 */
import { serviceToken as sharedServiceToken } from '../../core/auth.ts';
import { AppError, readJsonBody, remoteValidationError } from '../../core/errors.ts';
import type { PlatformContext } from '../../core/service.ts';
import type { DeployerApi, DeploymentRecord, RunOptions, RunRequest, RunResponse } from '../deployer/api.ts';
import type { ResultSummary } from '../results/api.ts';
import type { QueueCounts, QueueItemView, SchedulerState, ServedModel, VllmApi } from './api.ts';
import type { QueueRequestInput } from './models.ts';

function serviceToken(ctx: Pick<PlatformContext, 'config'>): string | undefined {
  return sharedServiceToken(ctx.config, ['operator', 'admin', 'viewer']);
}

async function call<T>(base: string, token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(base.replace(/\/+$/, '') + path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
  } catch (e: any) {
    throw new AppError(503, `${base} unreachable: ${e?.message ?? e}`, 'unavailable');
  }
  const { text, json: parsed } = await readJsonBody(res);
  if (!res.ok) {
    // a validation error keeps its field locations, so a forwarding service answers the same 422 as the one it calls
    const invalid = remoteValidationError(res.status, parsed);
    if (invalid) throw invalid;
    const detail = typeof parsed?.detail === 'string' ? parsed.detail : JSON.stringify(parsed?.detail ?? text.slice(0, 300));
    throw new AppError(res.status >= 500 ? 502 : res.status, detail);
  }
  return parsed as T;
}

/** DeployerApi over HTTP. Run options travel in the `x-benchops-run-options` header (JSON), outside seed 000's body. */
export class DeployerHttpClient implements DeployerApi {
  constructor(
    private readonly base: string,
    private readonly token?: string,
  ) {}

  run(req: RunRequest, opts?: RunOptions): Promise<RunResponse> {
    const headers: Record<string, string> = opts ? { 'x-benchops-run-options': JSON.stringify(opts) } : {};
    return call(this.base, this.token, 'POST', '/run', req, headers);
  }

  getDeployment(id: string): Promise<DeploymentRecord> {
    return call(this.base, this.token, 'GET', `/deployments/${encodeURIComponent(id)}`);
  }

  async deleteJob(name: string, namespace?: string): Promise<void> {
    const q = namespace ? `?namespace=${encodeURIComponent(namespace)}` : '';
    try {
      await call(this.base, this.token, 'DELETE', `/jobs/${encodeURIComponent(name)}/delete${q}`);
    } catch (e: any) {
      if (e?.status !== 404) throw e;
    }
  }
}

export function deployerApi(ctx: Pick<PlatformContext, 'local' | 'config'>): DeployerApi {
  const local = ctx.local.get('deployer')?.api as DeployerApi | undefined;
  if (local) return local;
  if (ctx.config.deployerUrl) return new DeployerHttpClient(ctx.config.deployerUrl, serviceToken(ctx));
  throw new AppError(503, 'The deployer is not running in this process and BENCHOPS_DEPLOYER_URL is not set', 'unavailable');
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
    const token = serviceToken(ctx);
    for (const coll of ['standardized_output', 'raw_input']) {
      const items = await call<ResultSummary[]>(ctx.config.resultsUrl, token, 'GET', `/${coll}?run_id=${encodeURIComponent(runId)}&limit=1000`).catch(
        () => [] as ResultSummary[],
      );
      for (const r of items) pks.add(r.pk);
    }
  }
  return [...pks];
}

/** VllmApi over HTTP (cluster mode: the deployer's `/vllm/*` forwarding reaches the vLLM service at BENCHOPS_VLLM_URL). */
export class VllmHttpClient implements VllmApi {
  constructor(
    private readonly base: string,
    private readonly token?: string,
  ) {}

  enqueue(body: QueueRequestInput): Promise<QueueItemView & { warnings: string[] }> {
    return call(this.base, this.token, 'POST', '/queue/deployment', body);
  }

  getQueueItem(id: string): Promise<QueueItemView> {
    return call(this.base, this.token, 'GET', `/queue/${encodeURIComponent(id)}`);
  }

  listQueue(opts: { status?: string; limit?: number; offset?: number } = {}): Promise<QueueItemView[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) q.set(k, String(v));
    return call(this.base, this.token, 'GET', `/queue/list${q.size ? `?${q}` : ''}`);
  }

  queueStatus(): Promise<QueueCounts> {
    return call(this.base, this.token, 'GET', '/queue/status');
  }

  async cancel(id: string): Promise<void> {
    await call(this.base, this.token, 'POST', `/queue/${encodeURIComponent(id)}/cancel`);
  }

  async setPriority(id: string, priority: string): Promise<void> {
    await call(this.base, this.token, 'POST', `/queue/${encodeURIComponent(id)}/priority`, { priority });
  }

  async triggerScheduler(): Promise<void> {
    await call(this.base, this.token, 'POST', '/scheduler/trigger');
  }

  async schedulerState(): Promise<SchedulerState> {
    const s = await call<SchedulerState>(this.base, this.token, 'GET', '/scheduler/status');
    return { running: s.running, poll_interval: s.poll_interval, active_requests: s.active_requests, pending_requests: s.pending_requests };
  }

  async servedModels(): Promise<ServedModel[]> {
    const map = await call<Record<string, any>>(this.base, this.token, 'GET', '/deployments?status=running');
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
