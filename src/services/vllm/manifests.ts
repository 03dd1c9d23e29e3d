/**
 * Kubernetes objects for one vLLM deployment: a Deployment (vLLM's OpenAI server, /health probes, /dev/shm as a
 * memory emptyDir, GPU limits per resource name, the values' cpu/memory, volumes, service account, env) and a
 * ClusterIP Service; with them, when the settings ask for it, a Secret holding the sealed env values (referenced by
 * secretKeyRef, never inlined), a ServiceAccount, and PersistentVolumeClaims. Every object carries
 * `app.kubernetes.io/managed-by=benchops` and the deployment id, so BenchOps only ever touches what it created.
 */
import { servedName, type KubernetesSettings, type VllmConfig } from './models.ts';
import type { Resources } from './placement.ts';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const DEPLOYMENT_ID_LABEL = 'benchops.io/vllm-deployment-id';
export const REQUEST_ID_LABEL = 'benchops.io/queue-request-id';
export const FINGERPRINT_ANNOTATION = 'benchops.io/config-fingerprint';
export const PRIORITY_ANNOTATION = 'benchops.io/priority-rank';
export const DEFAULT_IMAGE = 'vllm/vllm-openai:v0.9.1';

export interface ManifestInput {
  id: string;
  name: string;
  namespace: string;
  config: VllmConfig;
  fingerprint: string;
  resources: Resources;
  priorityRank: number;
  node?: string | null;
  ownerRequestId?: string | null;
  /** Opened sealed env values (in memory only): rendered into the deployment's Secret. */
  secretEnv?: Record<string, string>;
}

/** The objects of one deployment, in the order they are created (the pod's dependencies first). */
export interface Manifests {
  secret: any | null;
  serviceAccount: any | null;
  claims: any[];
  deployment: any;
  service: any;
}

/** Name of the Secret holding a deployment's sealed env values. */
export const secretNameOf = (name: string) => `${name}-env`.slice(0, 253);
/** Name of a claim BenchOps creates for a volume without `claim_name`. */
export const claimNameOf = (name: string, volume: string) => `${name}-${volume}`.slice(0, 253);

/** vLLM server arguments from a config (`additional_args`: true → `--flag`, false/null dropped, else `--flag value`). */
export function vllmArgs(cfg: VllmConfig): string[] {
  const args = ['--model', cfg.model_name, '--served-model-name', servedName(cfg), '--host', '0.0.0.0', '--port', String(cfg.port)];
  args.push('--tensor-parallel-size', String(cfg.tensor_parallel_size));
  args.push('--pipeline-parallel-size', String(cfg.pipeline_parallel_size));
  args.push('--max-num-seqs', String(cfg.max_num_seqs), '--block-size', String(cfg.block_size), '--dtype', cfg.dtype);
  if (cfg.max_model_len) args.push('--max-model-len', String(cfg.max_model_len));
  if (cfg.gpu_resource_type !== 'cpu' && cfg.gpu_resource_count > 0) {
    args.push('--gpu-memory-utilization', String(cfg.gpu_memory_utilization));
  }
  if (cfg.quantization) args.push('--quantization', cfg.quantization);
  if (cfg.trust_remote_code) args.push('--trust-remote-code');
  for (const [k, v] of Object.entries(cfg.additional_args ?? {})) {
    if (v === false || v === null) continue;
    if (k === 'device' && cfg.gpu_resource_type === 'cpu') continue; // buildManifests adds --device cpu itself
    args.push(`--${k}`);
    if (v !== true) args.push(String(v));
  }
  return args;
}

export function labelsFor(input: ManifestInput): Record<string, string> {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'vllm',
    'app.kubernetes.io/instance': input.name,
    'app.kubernetes.io/component': 'model-server',
    [MANAGED_BY]: 'benchops',
    [DEPLOYMENT_ID_LABEL]: input.id,
  };
  if (input.ownerRequestId) labels[REQUEST_ID_LABEL] = input.ownerRequestId;
  return labels;
}

/** Resource quantities: the settings' cpu/memory over BenchOps' defaults; accelerators as placed (limits = requests). */
function podResources(input: ManifestInput, k: KubernetesSettings | null | undefined) {
  const gpu = Object.entries(input.resources).filter(([key, v]) => v > 0 && key.includes('/') && !key.startsWith('benchops.io/'));
  const cpuOnly = gpu.length === 0;
  const limits: Record<string, string> = { cpu: cpuOnly ? '4' : '16', memory: cpuOnly ? '16Gi' : '64Gi' };
  const requests: Record<string, string> = { cpu: cpuOnly ? '2' : '8', memory: cpuOnly ? '8Gi' : '32Gi' };
  const given = k?.resources;
  if (given) {
    // what the values give wins; a request without a limit keeps no BenchOps limit below it
    for (const key of ['cpu', 'memory'] as const) {
      const rq = given.requests?.[key];
      const lm = given.limits?.[key];
      if (rq) requests[key] = rq;
      if (lm) limits[key] = lm;
      if (rq && !lm) delete limits[key];
      if (lm && !rq) requests[key] = lm;
    }
  }
  for (const [key, v] of gpu) {
    // a pool key (`nvidia.com/gpu@H100-NVL`, local node only) never reaches a cluster; strip it defensively
    const res = key.split('@')[0];
    limits[res] = String(v);
    requests[res] = String(v);
  }
  return { limits, requests, gpu: gpu.map(([key]) => key.split('@')[0]), cpuOnly };
}

/** The Deployment and the Service (plus Secret, ServiceAccount, claims when asked for), as plain objects. */
export function buildManifests(input: ManifestInput): Manifests {
  const { config: cfg } = input;
  const k = cfg.kubernetes;
  const labels = labelsFor(input);
  const selector = { [DEPLOYMENT_ID_LABEL]: input.id, 'app.kubernetes.io/name': 'vllm' };
  const annotations = { [FINGERPRINT_ANNOTATION]: input.fingerprint, [PRIORITY_ANNOTATION]: String(input.priorityRank) };
  const { limits, requests, gpu, cpuOnly } = podResources(input, k);
  const args = vllmArgs(cfg);
  const env: Array<Record<string, unknown>> = [{ name: 'VLLM_PORT', value: String(cfg.port) }];
  if (cpuOnly) {
    args.push('--device', 'cpu');
    env.push({ name: 'VLLM_TARGET_DEVICE', value: 'cpu' });
  }
  for (const e of k?.env ?? []) if (!env.some((x) => x.name === e.name)) env.push({ name: e.name, value: e.value });
  for (const e of k?.secret_env ?? []) env.push({ name: e.name, valueFrom: { secretKeyRef: { name: e.secret_name, key: e.secret_key } } });
  const sealedNames = (k?.sealed_env ?? []).filter((n) => input.secretEnv?.[n] !== undefined);
  const secretName = secretNameOf(input.name);
  for (const n of sealedNames) env.push({ name: n, valueFrom: { secretKeyRef: { name: secretName, key: n } } });
  const secret = sealedNames.length
    ? {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace: input.namespace, labels },
        type: 'Opaque',
        stringData: Object.fromEntries(sealedNames.map((n) => [n, input.secretEnv![n]])),
      }
    : null;
  const sa = k?.service_account;
  const saName = sa ? (sa.name ?? `${input.name}-sa`) : null;
  const serviceAccount =
    sa?.create && saName
      ? { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: saName, namespace: input.namespace, labels, ...(sa.annotations ? { annotations: sa.annotations } : {}) } }
      : null;
  const claims: any[] = [];
  const volumes: any[] = [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: k?.shm_size ?? (cpuOnly ? '2Gi' : '16Gi') } }];
  const volumeMounts: any[] = [{ name: 'dshm', mountPath: '/dev/shm' }];
  for (const v of k?.volumes ?? []) {
    if (v.type === 'pvc') {
      const claimName = v.claim_name ?? claimNameOf(input.name, v.name);
      if (!v.claim_name) {
        claims.push({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: claimName, namespace: input.namespace, labels },
          spec: {
            accessModes: [v.access_mode ?? 'ReadWriteOnce'],
            resources: { requests: { storage: v.size ?? '20Gi' } },
            ...(v.storage_class ? { storageClassName: v.storage_class } : {}),
          },
        });
      }
      volumes.push({ name: v.name, persistentVolumeClaim: { claimName, ...(v.read_only ? { readOnly: true } : {}) } });
    } else if (v.type === 'hostPath') {
      volumes.push({ name: v.name, hostPath: { path: v.path!, type: 'DirectoryOrCreate' } });
    } else {
      volumes.push({ name: v.name, emptyDir: v.size ? { sizeLimit: v.size } : {} });
    }
    volumeMounts.push({ name: v.name, mountPath: v.mount_path, ...(v.read_only ? { readOnly: true } : {}) });
  }
  const probe = (initialDelaySeconds: number, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: '/health', port: 'http' },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const nodeSelector: Record<string, string> = { ...(cfg.node_selector ?? {}) };
  if (input.node) nodeSelector['kubernetes.io/hostname'] = input.node;
  const tolerations = [
    ...(cpuOnly ? [] : [...new Set(gpu.map((key) => (key.startsWith('nvidia.com/') ? 'nvidia.com/gpu' : key)))].map((key) => ({ key, operator: 'Exists', effect: 'NoSchedule' }))),
    ...(k?.tolerations ?? []),
  ];
  const podAnnotations = { ...(k?.pod_annotations ?? {}), ...annotations };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: input.name, namespace: input.namespace, labels, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels, annotations: podAnnotations },
        spec: {
          ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
          ...(tolerations.length ? { tolerations } : {}),
          ...(k?.affinity ? { affinity: k.affinity } : {}),
          ...(saName ? { serviceAccountName: saName } : {}),
          ...(k?.runtime_class_name ? { runtimeClassName: k.runtime_class_name } : {}),
          ...(k?.image_pull_secrets?.length ? { imagePullSecrets: k.image_pull_secrets.map((name) => ({ name })) } : {}),
          containers: [
            {
              name: 'vllm',
              image: cfg.image || DEFAULT_IMAGE,
              imagePullPolicy: k?.image_pull_policy ?? 'IfNotPresent',
              args,
              env,
              ports: [{ name: 'http', containerPort: cfg.port, protocol: 'TCP' }],
              resources: { limits, requests },
              startupProbe: probe(10, 10, 90),
              readinessProbe: probe(0, 10, 3),
              livenessProbe: probe(0, 30, 3),
              volumeMounts,
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
          volumes,
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: input.name, namespace: input.namespace, labels, annotations },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'http', port: cfg.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  return { secret, serviceAccount, claims, deployment, service };
}

/** In-cluster URL of the Service. */
export function serviceEndpoint(name: string, namespace: string, port: number): string {
  return `http://${name}.${namespace}.svc.cluster.local:${port}`;
}
