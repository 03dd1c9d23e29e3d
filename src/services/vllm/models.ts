/**
 * Request and record shapes of the vLLM service (field names of the earlier API, reference-behaviour.md §4.2 and
 * §2.5), Helm-style custom values → vLLM config, and the configuration fingerprint used for reuse.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { unprocessable } from '../../core/errors.ts';
import { requestedResources, type Resources } from './placement.ts';

export const PRIORITIES = ['urgent', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const priorityRank = (p: string): number => {
  const i = PRIORITIES.indexOf(p as Priority);
  return i < 0 ? 2 : i;
};

/** Extended resource names: `nvidia.com/gpu`, `nvidia.com/mig-3g.20gb`, `amd.com/gpu`, or `cpu` (no accelerator). */
const resourceName = z
  .string()
  .regex(/^(cpu|([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)$/, 'not a Kubernetes resource name')
  .max(253);

const argValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

const dns1123 = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'not a Kubernetes name');
const dns1035 = z.string().max(53).regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'not a DNS-1035 name (lower case, starts with a letter, at most 53 characters)');
/** A Kubernetes quantity (`8`, `500m`, `16Gi`); numbers are accepted as the values files write them. */
const quantity = z
  .union([z.string().max(32), z.number().nonnegative()])
  .transform(String)
  .pipe(z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$/, 'not a Kubernetes quantity'));
const envName = z.string().max(253).regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'not an environment variable name');
const cpuMemory = z.object({ cpu: quantity.nullish(), memory: quantity.nullish() }).strict();

/** A volume of the vLLM pod: a model cache or data folder (PVC, existing claim, hostPath or emptyDir). */
export const volumeSchema = z
  .object({
    name: z.string().max(50).regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'not a volume name'),
    mount_path: z.string().max(1000).regex(/^\/[^\0]*$/, 'must be an absolute path'),
    type: z.enum(['pvc', 'hostPath', 'emptyDir']),
    /** pvc: an existing claim (never created or deleted by BenchOps); without it a claim is created with the deployment. */
    claim_name: dns1123.nullish(),
    size: quantity.nullish(),
    storage_class: z.string().max(253).nullish(),
    access_mode: z.enum(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod']).nullish(),
    /** hostPath: the folder on the node (admin only, as for any host path). */
    path: z.string().max(1000).regex(/^\/[^\0]*$/, 'must be an absolute path').nullish(),
    read_only: z.boolean().nullish(),
  })
  .strict();
export type VolumeSpec = z.infer<typeof volumeSchema>;

/**
 * Pod settings that only a Kubernetes cluster honours (from Helm values or given directly): cpu/memory, secrets as
 * references, volumes, service account, the objects' name. Secret values never live here: `sealed_env` only names
 * variables whose values are kept encrypted beside the record (see sealed.ts).
 */
export const kubernetesSettingsSchema = z
  .object({
    /** Name of the Deployment/Service (Helm `fullnameOverride`), instead of `vllm-<model>-<id8>`. */
    name_override: dns1035.nullish(),
    resources: z.object({ requests: cpuMemory.nullish(), limits: cpuMemory.nullish() }).strict().nullish(),
    /** `create`: BenchOps creates it with the deployment (named `<name>-sa` when no name is given) and removes it after. */
    service_account: z
      .object({ name: dns1123.nullish(), create: z.boolean().default(false), annotations: z.record(z.string().max(317), z.string().max(4096)).nullish() })
      .strict()
      .nullish(),
    /** Plain environment variables (values that look like secrets are moved to `sealed_env` when the config is stored). */
    env: z.array(z.object({ name: envName, value: z.string().max(10_000) }).strict()).max(100).default([]),
    /** Variables read from existing Secrets (e.g. the values' `hfToken.secretName`). */
    secret_env: z.array(z.object({ name: envName, secret_name: dns1123, secret_key: z.string().max(253).regex(/^[-._a-zA-Z0-9]+$/) }).strict()).max(50).default([]),
    /** Variables whose values are sealed beside the record; rendered as a Secret the Deployment references. */
    sealed_env: z.array(envName).max(50).default([]),
    volumes: z.array(volumeSchema).max(10).default([]),
    tolerations: z
      .array(
        z
          .object({
            key: z.string().max(317).nullish(),
            operator: z.enum(['Exists', 'Equal']).nullish(),
            value: z.string().max(63).nullish(),
            effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).nullish(),
            tolerationSeconds: z.number().int().nullish(),
          })
          .strict(),
      )
      .max(50)
      .nullish(),
    affinity: z.record(z.string(), z.unknown()).nullish(),
    pod_annotations: z.record(z.string().max(317), z.string().max(4096)).nullish(),
    image_pull_policy: z.enum(['Always', 'IfNotPresent', 'Never']).nullish(),
    image_pull_secrets: z.array(dns1123).max(10).nullish(),
    runtime_class_name: dns1123.nullish(),
    shm_size: quantity.nullish(),
  })
  .strict();
export type KubernetesSettings = z.infer<typeof kubernetesSettingsSchema>;

export const vllmConfigSchema = z.object({
  model_name: z.string().min(1).max(300),
  served_model_name: z.string().min(1).max(300).nullish(),
  gpu_memory_utilization: z.number().min(0).max(1).default(0.9),
  max_num_seqs: z.number().int().min(1).max(100_000).default(256),
  block_size: z.number().int().min(1).max(1024).default(16),
  tensor_parallel_size: z.number().int().min(1).max(64).default(1),
  pipeline_parallel_size: z.number().int().min(1).max(64).default(1),
  trust_remote_code: z.boolean().default(false),
  dtype: z.string().max(32).default('auto'),
  max_model_len: z.number().int().min(16).max(10_000_000).nullish(),
  quantization: z.string().max(64).nullish(),
  port: z.number().int().min(1).max(65535).default(8000),
  host: z.string().max(255).default('0.0.0.0'),
  gpu_resource_type: resourceName.default('cpu'),
  gpu_resource_count: z.number().int().min(0).max(64).default(0),
  additional_args: z.record(z.string().regex(/^[a-z0-9][-a-z0-9_]*$/i, 'not a vLLM flag name'), argValue).default({}),
  /** Hardware to emulate on the local backend (catalogue name, e.g. H100); default: the node's device. */
  hardware: z.string().max(64).nullish(),
  image: z.string().max(500).nullish(),
  node_selector: z.record(z.string().max(317), z.string().max(63)).nullish(),
  kubernetes: kubernetesSettingsSchema.nullish(),
  /** Raw Helm-style custom values (a vLLM project file): read into the fields above, then kept only encrypted. */
  custom_values_content: z.string().max(1_000_000).nullish(),
  /** Set when the config came from custom values (the text itself is sealed, never returned). */
  has_custom_values: z.boolean().nullish(),
  /** Accepted for compatibility with the earlier UI (the namespace is the cluster's). */
  namespace: z.string().max(63).nullish(),
});
export type VllmConfigInput = z.input<typeof vllmConfigSchema>;
export type VllmConfig = z.infer<typeof vllmConfigSchema>;

export const benchmarkJobSchema = z.object({
  yaml_content: z.string().max(1_000_000).nullish(),
  namespace: z.string().max(63).default('default'),
  project_id: z.string().max(200).nullish(),
  job_file_id: z.string().max(200).nullish(),
  config_file_id: z.string().max(200).nullish(),
  benchmark_type: z.string().max(200).nullish(),
  name: z.string().max(200).nullish(),
});
export type BenchmarkJobConfig = z.infer<typeof benchmarkJobSchema>;

export const schedulingSchema = z.object({
  immediate: z.boolean().default(true),
  // the earlier web client sends "" when "deploy immediately" is off and no time is picked: that is "unset"
  scheduled_time: z.preprocess((v) => (typeof v === 'string' && !v.trim() ? null : v), z.string().datetime({ offset: true, local: true }).nullish()),
  max_wait_time: z.number().int().min(0).max(30 * 24 * 3600).default(3600),
});
export type SchedulingConfig = z.infer<typeof schedulingSchema>;

const helmConfigSchema = z.object({
  project_id: z.string().max(200).nullish(),
  values_file_id: z.string().max(200).nullish(),
  release_name: z.string().max(200).nullish(),
  namespace: z.string().max(63).nullish(),
  chart_path: z.string().max(500).nullish(),
  additional_args: z.string().max(2000).nullish(),
});

export const queueRequestSchema = z.object({
  vllm_config: vllmConfigSchema.partial({ model_name: true }).nullish(),
  benchmark_configs: z.array(benchmarkJobSchema).max(100).default([]),
  scheduling_config: schedulingSchema.nullish(),
  priority: z.enum(PRIORITIES).default('medium'),
  skip_vllm_creation: z.boolean().default(false),
  helm_deployment: z.boolean().default(false),
  helm_config: helmConfigSchema.nullish(),
  /** The earlier UI's and deployer's name for `helm_config`. */
  vllm_helm_config: helmConfigSchema.nullish(),
  vllm_yaml_content: z.string().nullish(),
  cluster_id: z.string().max(100).default('local'),
  allow_eviction: z.boolean().default(false),
  keep_deployment: z.boolean().default(false),
  deployment_id: z.string().max(200).nullish(),
});
export type QueueRequestInput = z.input<typeof queueRequestSchema>;
export type QueueRequest = z.infer<typeof queueRequestSchema>;

/** Why an earlier-API field that BenchOps does not use is dropped (its text is never stored). */
const DROPPED_WHY: Record<string, string> = {
  github_token: 'BenchOps renders the Deployment itself (no Helm chart is cloned); the token is not stored',
  repository_url: 'BenchOps renders the Deployment itself (no Helm chart is cloned)',
  custom_values_path: 'a path on the server is not read; send the values as custom_values_content or a project file',
};

/**
 * Keys of `raw` that `schema` does not define, said back as warnings (`<prefix>.<key> has no effect: …`), since zod
 * drops them silently.
 */
export function unknownKeys(schema: z.ZodObject<any>, raw: unknown, prefix: string): string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const known = new Set(Object.keys(schema.shape));
  return Object.keys(raw)
    .filter((k) => !known.has(k))
    .slice(0, 20)
    .map((k) => `${prefix}${k.slice(0, 64)} has no effect: ${DROPPED_WHY[k] ?? 'not a field of this request'}`);
}

/** What the API shows of a config: everything except the raw custom values (which may hold tokens). */
export function publicConfig(cfg: VllmConfig): Omit<VllmConfig, 'custom_values_content'> & { has_custom_values: boolean } {
  const { custom_values_content, ...rest } = cfg;
  return { ...rest, has_custom_values: !!(custom_values_content || cfg.has_custom_values) };
}

/**
 * vLLM runs `tensor_parallel_size × pipeline_parallel_size` workers, one GPU each: more workers than requested GPUs
 * cannot start, and a MIG slice is one CUDA device per process (no tensor parallelism across slices). Throws a 422
 * naming the field; returns warnings for GPUs requested but left idle.
 */
export function checkParallelism(cfg: VllmConfig, loc: Array<string | number>): string[] {
  const world = cfg.tensor_parallel_size * cfg.pipeline_parallel_size;
  if (cfg.gpu_resource_type === 'cpu' || cfg.gpu_resource_count === 0) return [];
  const field = cfg.tensor_parallel_size > 1 ? 'tensor_parallel_size' : 'pipeline_parallel_size';
  if (/\/mig-/.test(cfg.gpu_resource_type) && world > 1) {
    throw unprocessable([...loc, field], `${field} ${cfg[field]} needs ${world} GPUs, but a MIG slice (${cfg.gpu_resource_type}) is one CUDA device per process: tensor/pipeline parallelism needs full GPUs`);
  }
  if (world > cfg.gpu_resource_count) {
    throw unprocessable(
      [...loc, field],
      `tensor_parallel_size ${cfg.tensor_parallel_size} × pipeline_parallel_size ${cfg.pipeline_parallel_size} needs ${world} GPUs, but gpu_resource_count is ${cfg.gpu_resource_count} (${cfg.gpu_resource_type})`,
    );
  }
  if (world < cfg.gpu_resource_count) {
    return [`gpu_resource_count ${cfg.gpu_resource_count} but tensor_parallel_size × pipeline_parallel_size is ${world}: ${cfg.gpu_resource_count - world} GPU(s) would sit idle`];
  }
  return [];
}

export function servedName(cfg: VllmConfig): string {
  return cfg.served_model_name || cfg.model_name;
}

export function resourcesOf(cfg: VllmConfig): Resources {
  return requestedResources(cfg.gpu_resource_type, cfg.gpu_resource_count);
}

/** Stable fingerprint of everything that changes what is served; identical fingerprints may share one deployment. */
export function fingerprint(cfg: VllmConfig, clusterId: string): string {
  const keys = [
    'model_name', 'gpu_memory_utilization', 'max_num_seqs', 'block_size', 'tensor_parallel_size',
    'pipeline_parallel_size', 'trust_remote_code', 'dtype', 'max_model_len', 'quantization', 'gpu_resource_type',
    'gpu_resource_count', 'additional_args', 'hardware', 'image', 'node_selector',
  ] as const;
  const picked: Record<string, unknown> = { cluster: clusterId, served: servedName(cfg) };
  for (const k of keys) picked[k] = cfg[k] ?? null;
  // pod settings change what runs on a cluster; added only when set, so older records keep their fingerprints
  if (cfg.kubernetes) picked.kubernetes = cfg.kubernetes;
  return createHash('sha256').update(canonical(picked)).digest('hex').slice(0, 32);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The deployment name: DNS-1035, unique per deployment (`vllm-<model>-<id8>`), at most 53 characters. */
export function k8sName(model: string, id: string): string {
  const base = model
    .split('/')
    .pop()!
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const suffix = id.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 8);
  const head = `vllm-${base}`.slice(0, 53 - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}
