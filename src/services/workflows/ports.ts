/**
 * What the workflows service needs from the others, through their public interfaces only: the vLLM service's queue
 * (in-process `VllmApi`, else HTTP) and its cluster/node and deployment routes (HTTP: `VllmApi` has no cluster
 * methods), the deployer's YAML apply/delete and job records (`DeployerApi` for records; apply/delete over HTTP, as
 * `DeployerApi` has no such methods), and the results service (`resultsApi`). In embedded mode the HTTP calls go to
 * this process's own listeners (`ctx.urls`); in cluster mode to BENCHOPS_VLLM_URL / BENCHOPS_DEPLOYER_URL.
 */
import { serviceToken as sharedServiceToken } from '../../core/auth.ts';
import { AppError, readJsonBody, remoteValidationError } from '../../core/errors.ts';
import { collaboratorHealth, type PlatformContext } from '../../core/service.ts';
import type { DeployerApi, DeploymentRecord } from '../deployer/api.ts';
import type { FullResultsApi } from '../results/api.ts';
import { resultsApi } from '../results/client.ts';
import { vllmApi, type VllmApi } from '../vllm/index.ts';
import type { QueueItemView } from '../vllm/api.ts';

/** A node in seed 003's shape, as the vLLM service answers `GET /clusters/{id}/nodes`. */
export interface LiveNode {
  hostname: string;
  status: string;
  devices: Array<{
    name: string;
    type: string;
    available_count: number;
    total_count?: number;
    resource_name?: string;
    device_config?: Record<string, unknown>;
    device_info?: Record<string, unknown>;
  }>;
  labels?: Record<string, string>;
}

export interface ClusterInfo {
  id: string;
  name: string;
  kind: string;
  namespace: string;
}

export interface AppliedObjects {
  deployment_id: string;
  resource_name: string;
  namespace: string;
}

/** The collaborators of the workflows service (tests and the bench script use the real ones). */
export interface WorkflowPorts {
  /** null when the vLLM service says 404. */
  cluster(id: string): Promise<ClusterInfo | null>;
  nodes(clusterId: string): Promise<LiveNode[]>;
  vllm(): VllmApi;
  queueItem(id: string): Promise<QueueItemView>;
  /** A vLLM deployment's endpoint and status. */
  deployment(id: string): Promise<{ status: string; endpoint: string | null; node_name?: string | null }>;
  deleteDeployment(id: string): Promise<void>;
  /** Applies YAML through the deployer's `POST /deploy` (all or nothing). */
  apply(yaml: string, namespace?: string): Promise<AppliedObjects>;
  /** Deletes what the YAML names through the deployer's `POST /delete` (absent objects count as deleted). */
  deleteObjects(yaml: string, namespace?: string): Promise<void>;
  jobRecord(deploymentId: string): Promise<DeploymentRecord>;
  /** The last lines of a job's log (for a failure's reason); '' when unavailable. */
  jobLogTail(name: string, namespace: string, lines: number): Promise<string>;
  results(): FullResultsApi;
  /** Whether each collaborator answers: 'ok' or why not. */
  health(): Promise<Record<string, string>>;
}

function serviceToken(ctx: Pick<PlatformContext, 'config'>): string | undefined {
  return sharedServiceToken(ctx.config, ['operator', 'admin', 'viewer']);
}

async function call<T>(base: string, token: string | undefined, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; body: T; text: string }> {
  let res: Response;
  try {
    res = await fetch(base.replace(/\/+$/, '') + path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e: any) {
    throw new AppError(503, `${base} unreachable: ${e?.cause?.code ?? e?.message ?? e}`, 'unavailable');
  }
  const { text, json } = await readJsonBody(res);
  if (!res.ok) {
    const invalid = remoteValidationError(res.status, json);
    if (invalid) throw invalid;
    const detail = typeof json?.detail === 'string' ? json.detail : text.slice(0, 300);
    throw new AppError(res.status >= 500 ? 502 : res.status, detail);
  }
  return { status: res.status, body: json as T, text };
}

/** The ports of a platform process. */
export function platformPorts(ctx: PlatformContext): WorkflowPorts {
  const token = serviceToken(ctx);
  const base = (svc: 'vllm' | 'deployer'): string => {
    const url = ctx.urls?.[svc] ?? (svc === 'vllm' ? ctx.config.vllmUrl : ctx.config.deployerUrl);
    if (!url) throw new AppError(503, `The ${svc} service is not running in this process and BENCHOPS_${svc.toUpperCase()}_URL is not set`, 'unavailable');
    return url;
  };
  const deployer = () => ctx.local.get('deployer')?.api as DeployerApi | undefined;
  const enc = encodeURIComponent;
  return {
    async cluster(id) {
      try {
        return (await call<ClusterInfo>(base('vllm'), token, 'GET', `/clusters/${enc(id)}`)).body;
      } catch (e) {
        if (e instanceof AppError && e.status === 404) return null;
        throw e;
      }
    },
    async nodes(clusterId) {
      return (await call<LiveNode[]>(base('vllm'), token, 'GET', `/clusters/${enc(clusterId)}/nodes`)).body;
    },
    vllm: () => vllmApi(ctx),
    queueItem: (id) => vllmApi(ctx).getQueueItem(id),
    async deployment(id) {
      return (await call<{ status: string; endpoint: string | null; node_name?: string | null }>(base('vllm'), token, 'GET', `/deployments/${enc(id)}/status`)).body;
    },
    async deleteDeployment(id) {
      try {
        await call(base('vllm'), token, 'DELETE', `/deployments/${enc(id)}`);
      } catch (e) {
        if (!(e instanceof AppError && e.status === 404)) throw e;
      }
    },
    async apply(yaml, namespace) {
      return (await call<AppliedObjects>(base('deployer'), token, 'POST', '/deploy', { yaml_content: yaml, ...(namespace ? { namespace } : {}) })).body;
    },
    async deleteObjects(yaml, namespace) {
      await call(base('deployer'), token, 'POST', '/delete', { yaml_content: yaml, ...(namespace ? { namespace } : {}) });
    },
    async jobRecord(id) {
      const local = deployer();
      if (local) return local.getDeployment(id);
      return (await call<DeploymentRecord>(base('deployer'), token, 'GET', `/deployments/${enc(id)}`)).body;
    },
    async jobLogTail(name, namespace, lines) {
      try {
        const r = await call<{ logs?: string[] }>(base('deployer'), token, 'GET', `/jobs/${enc(name)}/logs?namespace=${enc(namespace)}&tail_lines=${lines}`, undefined, 15_000);
        return Array.isArray(r.body?.logs) ? r.body.logs.join('\n') : '';
      } catch {
        return '';
      }
    },
    results: () => resultsApi(ctx, { token }),
    health: () => collaboratorHealth(ctx, ['vllm', 'deployer', 'results']),
  };
}
