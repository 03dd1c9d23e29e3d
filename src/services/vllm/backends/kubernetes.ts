/**
 * Kubernetes backend: creates the objects of manifests.ts (Secret, ServiceAccount, claims, then the Deployment and
 * Service; all or nothing), reads their state (ready, failing pods, the fingerprint annotation), deletes only objects
 * labelled as BenchOps' own, and reports node capacity and the GPU requests of every running pod (BenchOps' and
 * others') for placement.
 */
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { nodeFromKube, type ClusterNode } from '../devices.ts';
import { buildManifests, claimNameOf, DEPLOYMENT_ID_LABEL, FINGERPRINT_ANNOTATION, MANAGED_BY, secretNameOf, serviceEndpoint, type ManifestInput } from '../manifests.ts';
import { normalize, type Resources, type Workload } from '../placement.ts';
import type { DeploymentRef, LiveState, ServingBackend, StartResult } from './types.ts';

const FATAL_WAITING = new Set(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'InvalidImageName', 'CrashLoopBackOff']);

const code = (e: any): number | undefined => e?.code ?? e?.statusCode ?? e?.response?.statusCode;

/** Extended-resource requests of a pod (limits count when requests omit them, as for GPUs). */
export function podResources(pod: any): Resources {
  const out: Resources = {};
  for (const c of pod.spec?.containers ?? []) {
    const req = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
    for (const [k, v] of Object.entries<any>(req)) {
      if (!k.includes('/') || k.startsWith('hugepages')) continue;
      out[k] = (out[k] ?? 0) + Number(v);
    }
  }
  return normalize(out);
}

export class KubernetesBackend implements ServingBackend {
  readonly kind = 'kubernetes' as const;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
    readonly httpReachable: boolean,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async start(input: ManifestInput): Promise<StartResult> {
    const m = buildManifests(input);
    const ns = input.namespace;
    // the pod's dependencies first, so its first start finds them; on any failure what was made goes again
    const undo: Array<() => Promise<unknown>> = [];
    try {
      if (m.secret) {
        await this.core.createNamespacedSecret({ namespace: ns, body: m.secret });
        undo.push(() => this.core.deleteNamespacedSecret({ name: m.secret.metadata.name, namespace: ns }));
      }
      if (m.serviceAccount) {
        await this.core.createNamespacedServiceAccount({ namespace: ns, body: m.serviceAccount });
        undo.push(() => this.core.deleteNamespacedServiceAccount({ name: m.serviceAccount.metadata.name, namespace: ns }));
      }
      for (const c of m.claims) {
        await this.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: c });
        undo.push(() => this.core.deleteNamespacedPersistentVolumeClaim({ name: c.metadata.name, namespace: ns }));
      }
      await this.apps.createNamespacedDeployment({ namespace: ns, body: m.deployment });
      undo.push(() => this.apps.deleteNamespacedDeployment({ name: input.name, namespace: ns }));
      await this.core.createNamespacedService({ namespace: ns, body: m.service });
    } catch (e) {
      // nothing half-created
      for (const u of undo.reverse()) await u().catch(() => {});
      throw e;
    }
    return { endpoint: serviceEndpoint(input.name, ns, input.config.port), serviceName: input.name, pid: null };
  }

  async inspect(ref: DeploymentRef): Promise<LiveState> {
    let dep: any;
    try {
      dep = await this.apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
    } catch (e) {
      if (code(e) === 404) return { state: 'missing', message: `Deployment ${ref.namespace}/${ref.name} not found` };
      throw e;
    }
    if (dep.metadata?.labels?.[MANAGED_BY] !== 'benchops' || dep.metadata?.labels?.[DEPLOYMENT_ID_LABEL] !== ref.id) {
      return { state: 'missing', message: `Deployment ${ref.name} is not the one BenchOps created` };
    }
    const fingerprint = dep.metadata?.annotations?.[FINGERPRINT_ANNOTATION];
    const want = dep.spec?.replicas ?? 1;
    if ((dep.status?.readyReplicas ?? 0) >= want && want > 0) return { state: 'ready', fingerprint };
    const conds: any[] = dep.status?.conditions ?? [];
    const stalled = conds.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
    if (stalled) return { state: 'failed', message: stalled.message ?? 'progress deadline exceeded', fingerprint };
    const pods = await this.core.listNamespacedPod({ namespace: ref.namespace, labelSelector: `${DEPLOYMENT_ID_LABEL}=${ref.id}` });
    for (const p of pods.items ?? []) {
      for (const s of p.status?.containerStatuses ?? []) {
        const reason = s.state?.waiting?.reason;
        if (reason && FATAL_WAITING.has(reason) && (reason !== 'CrashLoopBackOff' || (s.restartCount ?? 0) >= 3)) {
          return { state: 'failed', message: `pod ${p.metadata?.name}: ${reason}${s.state?.waiting?.message ? `: ${s.state.waiting.message}` : ''}`, fingerprint };
        }
      }
      const unsched = (p.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled' && c.status === 'False');
      if (unsched) return { state: 'starting', unschedulable: true, message: `pod ${p.metadata?.name} unschedulable: ${unsched.message ?? ''}`, fingerprint };
    }
    return { state: 'starting', fingerprint };
  }

  /** Removes the deployment's objects: each is read first and deleted only when labelled as this deployment's. */
  async remove(ref: DeploymentRef): Promise<void> {
    const owned = (o: any) => o?.metadata?.labels?.[MANAGED_BY] === 'benchops' && o?.metadata?.labels?.[DEPLOYMENT_ID_LABEL] === ref.id;
    const ns = ref.namespace;
    const gone = (e: any) => {
      if (code(e) === 404) return null;
      throw e;
    };
    const del = async (read: () => Promise<any>, remove: () => Promise<unknown>) => {
      const o = await read().catch(gone);
      if (o && owned(o)) await remove().catch(gone);
    };
    await del(
      () => this.apps.readNamespacedDeployment({ name: ref.name, namespace: ns }),
      () => this.apps.deleteNamespacedDeployment({ name: ref.name, namespace: ns, propagationPolicy: 'Foreground' }),
    );
    await del(
      () => this.core.readNamespacedService({ name: ref.name, namespace: ns }),
      () => this.core.deleteNamespacedService({ name: ref.name, namespace: ns }),
    );
    const secret = secretNameOf(ref.name);
    await del(() => this.core.readNamespacedSecret({ name: secret, namespace: ns }), () => this.core.deleteNamespacedSecret({ name: secret, namespace: ns }));
    const k = ref.config?.kubernetes;
    const sa = k?.service_account?.create ? (k.service_account.name ?? `${ref.name}-sa`) : null;
    if (sa) await del(() => this.core.readNamespacedServiceAccount({ name: sa, namespace: ns }), () => this.core.deleteNamespacedServiceAccount({ name: sa, namespace: ns }));
    for (const v of k?.volumes ?? []) {
      if (v.type !== 'pvc' || v.claim_name) continue; // an existing claim is the user's
      const claim = claimNameOf(ref.name, v.name);
      await del(
        () => this.core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: ns }),
        () => this.core.deleteNamespacedPersistentVolumeClaim({ name: claim, namespace: ns }),
      );
    }
  }

  async nodes(): Promise<ClusterNode[]> {
    const list = await this.core.listNode({});
    return (list.items ?? []).map(nodeFromKube);
  }

  /** Every running or pending pod with accelerator requests that BenchOps did not create. */
  async foreignWorkloads(): Promise<Workload[]> {
    const pods = await this.core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' });
    const out: Workload[] = [];
    for (const p of pods.items ?? []) {
      if (p.metadata?.labels?.[MANAGED_BY] === 'benchops' && p.metadata?.labels?.[DEPLOYMENT_ID_LABEL]) continue;
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      const resources = podResources(p);
      if (!Object.keys(resources).length) continue;
      out.push({
        id: `${p.metadata?.namespace}/${p.metadata?.name}`,
        node: p.spec?.nodeName ?? null,
        resources,
        managedByBenchops: false,
        priorityRank: -1,
      });
    }
    return out;
  }

  async close(): Promise<void> {}
}
