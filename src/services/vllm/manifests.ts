/**
 * Kubernetes objects for one vLLM deployment: a Deployment (vLLM's OpenAI server, /health probes, /dev/shm as a
 * memory emptyDir, GPU limits per resource name) and a ClusterIP Service. Every object carries
 * `app.kubernetes.io/managed-by=benchops` and the deployment id, so BenchOps only ever touches what it created.
 */
import { servedName, type VllmConfig } from './models.ts';
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
}

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

/** The Deployment and the Service, as plain objects (apps/v1 and v1). */
export function buildManifests(input: ManifestInput): { deployment: any; service: any } {
  const { config: cfg } = input;
  const labels = labelsFor(input);
  const selector = { [DEPLOYMENT_ID_LABEL]: input.id, 'app.kubernetes.io/name': 'vllm' };
  const annotations = { [FINGERPRINT_ANNOTATION]: input.fingerprint, [PRIORITY_ANNOTATION]: String(input.priorityRank) };
  const gpu = Object.entries(input.resources).filter(([, v]) => v > 0);
  const cpuOnly = gpu.length === 0;
  const limits: Record<string, string> = { cpu: cpuOnly ? '4' : '16', memory: cpuOnly ? '16Gi' : '64Gi' };
  const requests: Record<string, string> = { cpu: cpuOnly ? '2' : '8', memory: cpuOnly ? '8Gi' : '32Gi' };
  for (const [k, v] of gpu) {
    limits[k] = String(v);
    requests[k] = String(v);
  }
  const args = vllmArgs(cfg);
  const env: Array<{ name: string; value: string }> = [{ name: 'VLLM_PORT', value: String(cfg.port) }];
  if (cpuOnly) {
    args.push('--device', 'cpu');
    env.push({ name: 'VLLM_TARGET_DEVICE', value: 'cpu' });
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
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: input.name, namespace: input.namespace, labels, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels, annotations },
        spec: {
          ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
          ...(cpuOnly ? {} : { tolerations: gpu.map(([k]) => ({ key: k.startsWith('nvidia.com/') ? 'nvidia.com/gpu' : k, operator: 'Exists', effect: 'NoSchedule' })) }),
          containers: [
            {
              name: 'vllm',
              image: cfg.image || DEFAULT_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              args,
              env,
              ports: [{ name: 'http', containerPort: cfg.port, protocol: 'TCP' }],
              resources: { limits, requests },
              startupProbe: probe(10, 10, 90),
              readinessProbe: probe(0, 10, 3),
              livenessProbe: probe(0, 30, 3),
              volumeMounts: [{ name: 'dshm', mountPath: '/dev/shm' }],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
          volumes: [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: cpuOnly ? '2Gi' : '16Gi' } }],
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
  return { deployment, service };
}

/** In-cluster URL of the Service. */
export function serviceEndpoint(name: string, namespace: string, port: number): string {
  return `http://${name}.${namespace}.svc.cluster.local:${port}`;
}
