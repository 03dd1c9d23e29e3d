/**
 * What the workflows service needs from the others, through their public interfaces only: the vLLM service's queue
 * (in-process `VllmApi`, else HTTP) and its cluster/node and deployment routes (HTTP: `VllmApi` has no cluster
 * methods), the deployer's YAML apply/delete and job records (`DeployerApi` for records; apply/delete over HTTP, as
 * `DeployerApi` has no such methods), and the results service (`resultsApi`). In embedded mode the HTTP calls go to
 * this process's own listeners (`ctx.urls`); in cluster mode to BENCHOPS_VLLM_URL / BENCHOPS_DEPLOYER_URL.
 */
import { serviceToken as sharedServiceToken } from '../../core/auth.ts';
import { AppError } from '../../core/errors.ts';
import { jsonClient } from '../../core/http-client.ts';
import { collaboratorHealth, type PlatformContext } from '../../core/service.ts';
import type { DeployerApi, DeploymentRecord } from '../deployer/api.ts';
import { DeployerHttpClient, type AppliedObjects } from '../deployer/client.ts';
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

export type { AppliedObjects };

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

/** The ports of a platform process. */
export function platformPorts(ctx: PlatformContext): WorkflowPorts {
  const token = serviceToken(ctx);
  const base = (svc: 'vllm' | 'deployer'): string => {
    const url = ctx.urls?.[svc] ?? (svc === 'vllm' ? ctx.config.vllmUrl : ctx.config.deployerUrl);
    if (!url) throw new AppError(503, `The ${svc} service is not running in this process and BENCHOPS_${svc.toUpperCase()}_URL is not set`, 'unavailable');
    return url;
  };
  // VllmApi has no cluster or deployment methods: those routes are called directly
  const vllmHttp = () => jsonClient({ base: base('vllm'), token, timeoutMs: 60_000, service: 'vLLM service' });
  const deployerHttp = () => new DeployerHttpClient(base('deployer'), token);
  const deployer = () => ctx.local.get('deployer')?.api as DeployerApi | undefined;
  const enc = encodeURIComponent;
  return {
    async cluster(id) {
      try {
        return (await vllmHttp().get<ClusterInfo>(`/clusters/${enc(id)}`)).body;
      } catch (e) {
        if (e instanceof AppError && e.status === 404) return null;
        throw e;
      }
    },
    async nodes(clusterId) {
      return (await vllmHttp().get<LiveNode[]>(`/clusters/${enc(clusterId)}/nodes`)).body;
    },
    vllm: () => vllmApi(ctx),
    queueItem: (id) => vllmApi(ctx).getQueueItem(id),
    async deployment(id) {
      return (await vllmHttp().get<{ status: string; endpoint: string | null; node_name?: string | null }>(`/deployments/${enc(id)}/status`)).body;
    },
    async deleteDeployment(id) {
      try {
        await vllmHttp().delete(`/deployments/${enc(id)}`);
      } catch (e) {
        if (!(e instanceof AppError && e.status === 404)) throw e;
      }
    },
    apply: (yaml, namespace) => deployerHttp().apply(yaml, namespace),
    deleteObjects: (yaml, namespace) => deployerHttp().deleteYaml(yaml, namespace),
    async jobRecord(id) {
      const local = deployer();
      if (local) return local.getDeployment(id);
      return deployerHttp().getDeployment(id);
    },
    async jobLogTail(name, namespace, lines) {
      try {
        return (await deployerHttp().jobLogs(name, namespace, lines, 15_000)).join('\n');
      } catch {
        return '';
      }
    },
    results: () => resultsApi(ctx, { token }),
    health: () => collaboratorHealth(ctx, ['vllm', 'deployer', 'results']),
  };
}
