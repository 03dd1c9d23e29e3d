/**
 * Request and record shapes of the vLLM service (field names of the earlier API, reference-behaviour.md §4.2 and
 * §2.5), Helm-style custom values → vLLM config, and the configuration fingerprint used for reuse.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
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
  /** Raw Helm-style custom values (a vLLM project file); never returned by the API. */
  custom_values_content: z.string().max(1_000_000).nullish(),
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
  scheduled_time: z.string().datetime({ offset: true, local: true }).nullish(),
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

/** What the API shows of a config: everything except the raw custom values (which may hold tokens). */
export function publicConfig(cfg: VllmConfig): Omit<VllmConfig, 'custom_values_content'> & { has_custom_values: boolean } {
  const { custom_values_content, ...rest } = cfg;
  return { ...rest, has_custom_values: !!custom_values_content };
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

const NON_ACCELERATOR = new Set(['cpu', 'memory', 'ephemeral-storage', 'hugepages-2Mi', 'hugepages-1Gi', 'pods']);

/**
 * Turns Helm-style custom values (vLLM project files such as custom-values-qwen3-8b.yaml, over the chart's defaults)
 * into a vLLM config. `loc` names the request field for the 422.
 */
export function configFromHelmValues(content: string, overrides: Record<string, unknown> = {}, loc: string[] = ['body', 'custom_values_content']): VllmConfig {
  let values: any;
  try {
    values = parseYaml(content, { maxAliasCount: 100 });
  } catch (e: any) {
    throw unprocessable(loc, `custom values are not valid YAML: ${e.message}`);
  }
  if (!values || typeof values !== 'object' || Array.isArray(values)) throw unprocessable(loc, 'custom values must be a YAML mapping');
  const v = (values.vllm && typeof values.vllm === 'object' ? values.vllm : {}) as Record<string, any>;
  const inner = (v.vllm && typeof v.vllm === 'object' ? v.vllm : {}) as Record<string, any>;
  const pick = (...names: string[]) => {
    for (const src of [inner, v, values]) for (const n of names) if (src[n] !== undefined && src[n] !== null) return src[n];
    return undefined;
  };
  const model = pick('model', 'model_name');
  if (typeof model !== 'string' || !model) throw unprocessable(loc, 'custom values name no model (vllm.model)');
  const limits = { ...(values.resources?.requests ?? {}), ...(values.resources?.limits ?? {}) } as Record<string, unknown>;
  const gpu = Object.entries(limits).find(([k]) => !NON_ACCELERATOR.has(k));
  const num = (x: unknown) => (x === undefined || x === null || x === '' ? undefined : Number(x));
  const raw: Record<string, unknown> = {
    model_name: model,
    served_model_name: pick('served_model_name', 'servedModelName') ?? undefined,
    max_model_len: num(pick('maxModelLen', 'max_model_len')),
    gpu_memory_utilization: num(pick('gpuMemoryUtilization', 'gpu_memory_utilization')),
    trust_remote_code: pick('trust_remote_code', 'trustRemoteCode'),
    tensor_parallel_size: num(pick('tensor_parallel_size', 'tensorParallelSize')),
    pipeline_parallel_size: num(pick('pipeline_parallel_size', 'pipelineParallelSize')),
    max_num_seqs: num(pick('max_num_seqs', 'maxNumSeqs')) ?? 256,
    dtype: pick('dtype') ?? 'auto',
    quantization: pick('quantization') ?? undefined,
    gpu_resource_type: gpu ? gpu[0] : 'cpu',
    gpu_resource_count: gpu ? Number(gpu[1]) : 0,
    image: values.image?.repository ? `${values.image.repository}:${values.image.tag ?? 'latest'}` : undefined,
    node_selector: values.nodeSelector && typeof values.nodeSelector === 'object' ? values.nodeSelector : undefined,
    custom_values_content: content,
    ...overrides,
  };
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
  const parsed = vllmConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw unprocessable([...loc, ...i.path.map(String)], `custom values: ${i.message}`);
  }
  return parsed.data;
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
