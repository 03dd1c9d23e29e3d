/** What a place to run vLLM servers offers: start/inspect/remove one deployment, and the nodes with their usage. */
import type { ClusterNode } from '../devices.ts';
import type { ManifestInput } from '../manifests.ts';
import type { VllmConfig } from '../models.ts';
import type { Workload } from '../placement.ts';

export interface StartResult {
  endpoint: string;
  serviceName: string;
  pid?: number | null;
}

export interface LiveState {
  state: 'ready' | 'starting' | 'failed' | 'missing';
  message?: string;
  /** `starting` because the cluster's scheduler cannot place a pod (capacity the placement did not see, taints). */
  unschedulable?: boolean;
  /** Fingerprint recorded on the live object (Kubernetes annotation); reuse requires it to match. */
  fingerprint?: string;
}

/** The stored facts a backend needs about a deployment. */
export interface DeploymentRef {
  id: string;
  name: string;
  namespace: string;
  endpoint: string | null;
  pid: number | null;
  /** The stored config (which objects besides the Deployment and Service were made for it). */
  config?: VllmConfig;
}

export interface ServingBackend {
  readonly kind: 'local' | 'kubernetes';
  /** Whether this process can reach deployment endpoints over HTTP (false outside the cluster). */
  readonly httpReachable: boolean;
  start(input: ManifestInput & { hardware: string }, signal?: AbortSignal): Promise<StartResult>;
  inspect(ref: DeploymentRef): Promise<LiveState>;
  /** Removes what BenchOps created for this deployment; a missing object is not an error. */
  remove(ref: DeploymentRef): Promise<void>;
  nodes(): Promise<ClusterNode[]>;
  /** Workloads on the nodes that BenchOps did not create (they count against capacity, never evicted). */
  foreignWorkloads(): Promise<Workload[]>;
  close(): Promise<void>;
}
