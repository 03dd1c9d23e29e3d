/**
 * Helm values → a vLLM config, read completely: every key is either honoured or said back as a warning. Two formats:
 * the earlier system's chart (`vllm.*`, `resources`, `hfToken`, `persistence`, `modelCache`, `serviceAccount`,
 * `fullnameOverride`…; test/fixtures/reference-repos/vllm-manifests) and the vLLM production-stack chart
 * (`servingEngineSpec.modelSpec[]` with `modelURL`, `requestGPU`, `vllmConfig.extraArgs`, `hf_token`…). Defaults of
 * the earlier chart apply where a custom values file leaves a key out (it was an override over that chart's
 * values.yaml): hfToken's Secret `hf-token-secret`/`token`, `/data` and `/data/model_cache` mount paths.
 */
import { unprocessable } from '../../core/errors.ts';
import { parseYamlOne, SafeParseError } from '../../core/parse.ts';
import { extraArgsToConfig } from './extra-args.ts';
import { checkParallelism, vllmConfigSchema, type VllmConfig, type VolumeSpec } from './models.ts';
import { isSecretEnvName } from './sealed.ts';

export interface ValuesResult {
  config: VllmConfig;
  /** Keys that were read but have no effect (or were adjusted), one sentence each. */
  warnings: string[];
}

type Loc = Array<string | number>;
type Obj = Record<string, any>;

const NON_ACCELERATOR = new Set(['cpu', 'memory', 'ephemeral-storage', 'hugepages-2Mi', 'hugepages-1Gi', 'pods']);
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (x: unknown) => (x === undefined || x === null || x === '' ? undefined : Number(x));
const str = (x: unknown) => (x === undefined || x === null || x === '' ? undefined : String(x));
const enabled = (v: unknown) => isObj(v) && (v.enabled === true || v.enabled === 'true');
const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : isObj(v) ? Object.keys(v).length > 0 : v !== undefined && v !== null && v !== '');

/** Collects the pieces of a config while reading; `warn` prefixes the values path. */
class Builder {
  raw: Obj = {};
  k8s: Obj = { env: [], secret_env: [], volumes: [] };
  warnings: string[] = [];
  extraArgs: unknown[] = [];
  warn(path: string, why: string) {
    this.warnings.push(`custom values: ${path} ${why}`);
  }
}

/** Reads a custom values text into a config; 422 naming `loc` (with line and column for YAML errors, never the text). */
export function readHelmValues(content: string, loc: Loc = ['body', 'custom_values_content']): ValuesResult {
  let values: unknown;
  try {
    values = parseYamlOne(content);
  } catch (e) {
    throw unprocessable(loc, `custom values are not valid YAML: ${e instanceof SafeParseError ? e.message : 'unreadable'}`);
  }
  if (!isObj(values)) throw unprocessable(loc, 'custom values must be a YAML mapping');
  const b = new Builder();
  if (isObj(values.servingEngineSpec)) readProductionStack(values, b, loc);
  else readEarlierChart(values, b, loc);
  return finish(b, content, loc);
}

// ------------------------------------------------------------------------------------------ the earlier chart

const VLLM_KEYS: Record<string, string> = {
  model: 'model_name', model_name: 'model_name',
  served_model_name: 'served_model_name', servedModelName: 'served_model_name',
  maxModelLen: 'max_model_len', max_model_len: 'max_model_len',
  gpuMemoryUtilization: 'gpu_memory_utilization', gpu_memory_utilization: 'gpu_memory_utilization',
  trust_remote_code: 'trust_remote_code', trustRemoteCode: 'trust_remote_code',
  tensor_parallel_size: 'tensor_parallel_size', tensorParallelSize: 'tensor_parallel_size',
  pipeline_parallel_size: 'pipeline_parallel_size', pipelineParallelSize: 'pipeline_parallel_size',
  max_num_seqs: 'max_num_seqs', maxNumSeqs: 'max_num_seqs',
  block_size: 'block_size', blockSize: 'block_size',
  dtype: 'dtype', quantization: 'quantization', port: 'port',
};
const NUMERIC = new Set(['max_model_len', 'gpu_memory_utilization', 'tensor_parallel_size', 'pipeline_parallel_size', 'max_num_seqs', 'block_size', 'port']);

function readVllmSection(v: Obj, path: string, b: Builder): void {
  for (const [k, val] of Object.entries(v)) {
    if (k === 'vllm' && isObj(val)) continue; // nested vllm.vllm, read after (it wins)
    const field = VLLM_KEYS[k];
    if (field) {
      if (val === null || val === undefined || val === '') continue;
      b.raw[field] = NUMERIC.has(field) ? num(val) : field === 'trust_remote_code' ? val === true || val === 'true' : val;
    } else if (k === 'extraArgs' || k === 'extra_args' || k === 'args') {
      if (val !== null && val !== undefined) b.extraArgs.push(val);
    } else if (k === 'host') {
      if (val !== '0.0.0.0' && val) b.warn(`${path}.host`, 'has no effect: the server listens on 0.0.0.0 behind its Service');
    } else if (k === 'chat_template' || k === 'chatTemplate') {
      if (typeof val === 'string' && val) b.extraArgs.push(['--chat-template', val]);
    } else if (val !== null && val !== undefined) {
      b.warn(`${path}.${k}`, 'is not a vLLM setting BenchOps knows; ignored (extra vLLM flags go in extraArgs)');
    }
  }
  if (isObj(v.vllm)) readVllmSection(v.vllm, `${path}.vllm`, b);
}

/** A volume from `persistence`/`modelCache`-style settings; null when disabled. */
function chartVolume(v: unknown, name: string, mount: string, size: string, path: string, b: Builder): VolumeSpec | null {
  if (!isObj(v) || !(v.enabled === true || v.enabled === 'true')) return null;
  const mount_path = str(v.mountPath) ?? mount;
  const hostPath = isObj(v.hostPath) ? str(v.hostPath.path) : str(v.hostPath);
  if (hostPath) return { name, mount_path, type: 'hostPath', path: hostPath };
  if (v.emptyDir === true || v.type === 'emptyDir') return { name, mount_path, type: 'emptyDir', size: str(v.size) ?? null };
  for (const k of Object.keys(v)) {
    if (!['enabled', 'mountPath', 'hostPath', 'emptyDir', 'type', 'size', 'storageClass', 'accessMode', 'existingClaim', 'claimName'].includes(k)) {
      b.warn(`${path}.${k}`, 'has no effect on the volume');
    }
  }
  return {
    name,
    mount_path,
    type: 'pvc',
    claim_name: str(v.existingClaim) ?? str(v.claimName) ?? null,
    size: str(v.size) ?? size,
    storage_class: str(v.storageClass) ?? null,
    access_mode: (str(v.accessMode) as VolumeSpec['access_mode']) ?? 'ReadWriteOnce',
  };
}

function readEnvList(list: unknown, path: string, b: Builder): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) return b.warn(path, 'must be a list of {name, value}; ignored');
  list.forEach((e, i) => {
    if (!isObj(e) || typeof e.name !== 'string') return b.warn(`${path}[${i}]`, 'is not {name, value}; ignored');
    const ref = e.valueFrom?.secretKeyRef;
    if (isObj(ref) && ref.name && ref.key) b.k8s.secret_env.push({ name: e.name, secret_name: String(ref.name), secret_key: String(ref.key) });
    else if (e.valueFrom) b.warn(`${path}[${i}] (${e.name})`, 'valueFrom other than secretKeyRef has no effect');
    else b.k8s.env.push({ name: e.name, value: e.value === undefined || e.value === null ? '' : String(e.value) });
  });
}

/** `hfToken` (earlier chart) / `hf_token` (production-stack): a Secret reference, or a clear token that gets sealed. */
function readHfToken(v: unknown, path: string, b: Builder, chartDefaults: boolean): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v === 'string') {
    b.k8s.env.push({ name: 'HF_TOKEN', value: v }); // secret-looking name: sealed by splitSecrets, never stored in clear
    return;
  }
  if (!isObj(v)) return b.warn(path, 'must be a token or {secretName, secretKey}; ignored');
  if (v.enabled === false || v.enabled === 'false') return;
  const clear = str(v.value) ?? str(v.token);
  if (clear) return void b.k8s.env.push({ name: 'HF_TOKEN', value: clear });
  const secretName = str(v.secretName) ?? (chartDefaults ? 'hf-token-secret' : undefined);
  const secretKey = str(v.secretKey) ?? (chartDefaults ? 'token' : undefined);
  if (!secretName || !secretKey) return b.warn(path, 'names no secretName/secretKey; no token is passed');
  b.k8s.secret_env.push({ name: 'HF_TOKEN', secret_name: secretName, secret_key: secretKey });
}

function readResources(res: unknown, path: string, b: Builder): void {
  if (!isObj(res)) return;
  const limits = isObj(res.limits) ? res.limits : {};
  const requests = isObj(res.requests) ? res.requests : {};
  const gpus = [...new Set([...Object.keys(limits), ...Object.keys(requests)].filter((k) => !NON_ACCELERATOR.has(k)))];
  if (gpus.length) {
    const [gpu, ...rest] = gpus;
    b.raw.gpu_resource_type = gpu;
    b.raw.gpu_resource_count = num(limits[gpu] ?? requests[gpu]);
    for (const r of rest) b.warn(`${path}.*.${r}`, `has no effect: one accelerator resource per deployment (${gpu} is used)`);
  }
  const pick = (o: Obj) => ({ ...(o.cpu !== undefined ? { cpu: o.cpu } : {}), ...(o.memory !== undefined ? { memory: o.memory } : {}) });
  b.k8s.resources = { requests: pick(requests), limits: pick(limits) };
  for (const k of ['ephemeral-storage', 'hugepages-2Mi', 'hugepages-1Gi']) {
    if (limits[k] !== undefined || requests[k] !== undefined) b.warn(`${path}.*.${k}`, 'has no effect (cpu and memory are set)');
  }
}

const CHART_HANDLED = new Set([
  'vllm', 'image', 'nodeSelector', 'fullnameOverride', 'resources', 'serviceAccount', 'persistence', 'modelCache', 'hfToken', 'hf_token',
  'env', 'tolerations', 'affinity', 'podAnnotations', 'imagePullSecrets', 'extraArgs', 'replicaCount', 'runtimeClassName', 'model',
  'model_name', 'autoscaling', 'hpa', 'ingress', 'monitoring', 'service', 'nameOverride', 'podSecurityContext', 'securityContext', 'shmSize',
]);

function readEarlierChart(values: Obj, b: Builder, loc: Loc): void {
  if (values.model !== undefined || values.model_name !== undefined) b.raw.model_name = values.model ?? values.model_name;
  if (isObj(values.vllm)) readVllmSection(values.vllm, 'vllm', b);
  if (values.extraArgs !== undefined && values.extraArgs !== null) b.extraArgs.push(values.extraArgs);
  const img = values.image;
  if (isObj(img)) {
    if (img.repository) b.raw.image = `${img.repository}:${img.tag ?? 'latest'}`;
    if (img.pullPolicy) b.k8s.image_pull_policy = img.pullPolicy;
  }
  if (isObj(values.nodeSelector)) b.raw.node_selector = Object.fromEntries(Object.entries(values.nodeSelector).map(([k, v]) => [k, String(v)]));
  if (values.fullnameOverride) b.k8s.name_override = String(values.fullnameOverride);
  if (values.nameOverride) b.warn('nameOverride', 'has no effect: objects are named by fullnameOverride or vllm-<model>-<id>');
  readResources(values.resources, 'resources', b);
  const sa = values.serviceAccount;
  if (isObj(sa) && (sa.name || sa.create === true)) {
    b.k8s.service_account = { name: str(sa.name) ?? null, create: sa.create === true, ...(nonEmpty(sa.annotations) ? { annotations: sa.annotations } : {}) };
  }
  for (const v of [
    chartVolume(values.persistence, 'data', '/data', '80Gi', 'persistence', b),
    chartVolume(values.modelCache, 'model-cache', '/data/model_cache', '20Gi', 'modelCache', b),
  ]) {
    if (v) b.k8s.volumes.push(v);
  }
  readHfToken(values.hfToken ?? values.hf_token, values.hfToken !== undefined ? 'hfToken' : 'hf_token', b, true);
  readEnvList(values.env, 'env', b);
  if (Array.isArray(values.tolerations) && values.tolerations.length) b.k8s.tolerations = values.tolerations;
  if (nonEmpty(values.affinity)) b.k8s.affinity = values.affinity;
  if (nonEmpty(values.podAnnotations)) b.k8s.pod_annotations = Object.fromEntries(Object.entries(values.podAnnotations).map(([k, v]) => [k, String(v)]));
  if (Array.isArray(values.imagePullSecrets) && values.imagePullSecrets.length) {
    b.k8s.image_pull_secrets = values.imagePullSecrets.map((s: unknown) => (isObj(s) ? s.name : s));
  }
  if (values.runtimeClassName) b.k8s.runtime_class_name = values.runtimeClassName;
  if (values.shmSize) b.k8s.shm_size = values.shmSize;
  const replicas = num(values.replicaCount);
  if (replicas !== undefined && replicas !== 1) b.warn('replicaCount', `${replicas} has no effect: a benchmarked deployment runs one replica`);
  for (const k of ['autoscaling', 'hpa', 'ingress', 'monitoring']) {
    if (enabled(values[k])) b.warn(`${k}.enabled`, `has no effect: BenchOps creates no ${k === 'monitoring' ? 'ServiceMonitor or exporter' : k === 'ingress' ? 'Ingress' : 'autoscaler'} (the Service is ClusterIP; /metrics is on the pod)`);
  }
  const svc = values.service;
  if (isObj(svc)) {
    if (svc.type && svc.type !== 'ClusterIP') b.warn('service.type', `${svc.type} has no effect: the Service is ClusterIP (the gateway proxies /v1/*)`);
    const port = num(b.raw.port) ?? 8000;
    for (const k of ['port', 'targetPort']) if (svc[k] !== undefined && num(svc[k]) !== port) b.warn(`service.${k}`, `has no effect: the Service uses the server's port ${port}`);
  }
  for (const k of ['podSecurityContext', 'securityContext']) {
    if (nonEmpty(values[k])) b.warn(k, 'has no effect: the vLLM container runs with BenchOps\' restricted security context (no privilege escalation, all capabilities dropped)');
  }
  for (const k of Object.keys(values)) if (!CHART_HANDLED.has(k)) b.warn(k, 'is not a setting BenchOps knows; ignored');
  void loc;
}

// ------------------------------------------------------------------------------------ vLLM production-stack

const STACK_VLLM_FLAGS: Record<string, string> = {
  enablePrefixCaching: 'enable-prefix-caching', enableChunkedPrefill: 'enable-chunked-prefill', maxLoras: 'max-loras',
  runner: 'runner', convert: 'convert', maxNumBatchedTokens: 'max-num-batched-tokens',
};
const STACK_SPEC_HANDLED = new Set([
  'name', 'enabled', 'repository', 'tag', 'modelURL', 'replicaCount', 'resources', 'requestCPU', 'requestMemory', 'requestGPU', 'requestGPUType',
  'limitCPU', 'limitMemory', 'pvcStorage', 'storageClass', 'pvcAccessMode', 'vllmConfig', 'hf_token', 'env', 'serviceAccountName', 'nodeSelectorTerms',
  'tolerations', 'affinity', 'runtimeClassName', 'imagePullSecret', 'shmSize', 'podAnnotations', 'enableLoRA', 'extraVolumes', 'extraVolumeMounts',
  'nodeName',
]);

function readProductionStack(values: Obj, b: Builder, loc: Loc): void {
  const engine = values.servingEngineSpec as Obj;
  const specs = (Array.isArray(engine.modelSpec) ? engine.modelSpec : []).filter((s: unknown) => isObj(s) && s.enabled !== false);
  if (!specs.length) throw unprocessable(loc, 'custom values: servingEngineSpec.modelSpec has no enabled model');
  const m = specs[0] as Obj;
  const at = `servingEngineSpec.modelSpec[${(engine.modelSpec as unknown[]).indexOf(m)}]`;
  if (specs.length > 1) b.warn('servingEngineSpec.modelSpec', `lists ${specs.length} models: only the first (${m.name ?? m.modelURL}) is deployed`);
  b.raw.model_name = m.modelURL;
  if (m.repository) b.raw.image = `${m.repository}:${m.tag ?? 'latest'}`;
  const replicas = num(m.replicaCount);
  if (replicas !== undefined && replicas !== 1) b.warn(`${at}.replicaCount`, `${replicas} has no effect: a benchmarked deployment runs one replica`);
  if (isObj(m.resources) && Object.keys(m.resources).length) readResources(m.resources, `${at}.resources`, b);
  else {
    const gpu = num(m.requestGPU);
    if (gpu) {
      b.raw.gpu_resource_type = str(m.requestGPUType) ?? 'nvidia.com/gpu';
      b.raw.gpu_resource_count = gpu;
    }
    const rq = { ...(m.requestCPU !== undefined ? { cpu: m.requestCPU } : {}), ...(m.requestMemory !== undefined ? { memory: m.requestMemory } : {}) };
    const lm = { ...(m.limitCPU !== undefined ? { cpu: m.limitCPU } : {}), ...(m.limitMemory !== undefined ? { memory: m.limitMemory } : {}) };
    b.k8s.resources = { requests: rq, limits: lm };
  }
  if (m.pvcStorage) {
    const modes = Array.isArray(m.pvcAccessMode) ? m.pvcAccessMode : m.pvcAccessMode ? [m.pvcAccessMode] : [];
    b.k8s.volumes.push({ name: 'data', mount_path: '/data', type: 'pvc', claim_name: null, size: str(m.pvcStorage), storage_class: str(m.storageClass) ?? null, access_mode: modes[0] ?? 'ReadWriteOnce' });
    b.k8s.env.push({ name: 'HF_HOME', value: '/data' });
  }
  const vc = isObj(m.vllmConfig) ? m.vllmConfig : {};
  for (const [k, val] of Object.entries(vc)) {
    if (val === null || val === undefined) continue;
    const field = VLLM_KEYS[k];
    if (field) b.raw[field] = NUMERIC.has(field) ? num(val) : val;
    else if (k === 'extraArgs') b.extraArgs.push(val);
    else if (STACK_VLLM_FLAGS[k]) {
      if (val !== false) b.extraArgs.push(val === true ? [`--${STACK_VLLM_FLAGS[k]}`] : [`--${STACK_VLLM_FLAGS[k]}`, String(val)]);
    } else b.warn(`${at}.vllmConfig.${k}`, 'is not a vLLM setting BenchOps knows; ignored (extra vLLM flags go in extraArgs)');
  }
  if (m.enableLoRA === true) b.extraArgs.push(['--enable-lora']);
  readHfToken(m.hf_token, `${at}.hf_token`, b, false);
  readEnvList(m.env, `${at}.env`, b);
  if (m.serviceAccountName) b.k8s.service_account = { name: String(m.serviceAccountName), create: false };
  const terms = m.nodeSelectorTerms;
  if (Array.isArray(terms) && terms.length) {
    // the common form (one term, `In` with one value) is a nodeSelector; anything richer is said back
    const exprs = terms.length === 1 && Array.isArray(terms[0]?.matchExpressions) ? terms[0].matchExpressions : null;
    if (exprs && exprs.every((e: Obj) => e.operator === 'In' && Array.isArray(e.values) && e.values.length === 1)) {
      b.raw.node_selector = Object.fromEntries(exprs.map((e: Obj) => [e.key, String(e.values[0])]));
    } else b.warn(`${at}.nodeSelectorTerms`, 'has no effect beyond one term of single-value In expressions; use nodeSelector labels');
  }
  const tol = [...(Array.isArray(engine.tolerations) ? engine.tolerations : []), ...(Array.isArray(m.tolerations) ? m.tolerations : [])];
  if (tol.length) b.k8s.tolerations = tol;
  if (nonEmpty(m.affinity)) b.k8s.affinity = m.affinity;
  const rc = m.runtimeClassName ?? engine.runtimeClassName;
  if (rc) b.k8s.runtime_class_name = rc;
  if (m.imagePullSecret) b.k8s.image_pull_secrets = [String(m.imagePullSecret)];
  if (m.shmSize) b.k8s.shm_size = m.shmSize;
  if (nonEmpty(m.podAnnotations)) b.k8s.pod_annotations = m.podAnnotations;
  if (engine.imagePullPolicy) b.k8s.image_pull_policy = engine.imagePullPolicy;
  if (engine.containerPort) b.raw.port = num(engine.containerPort);
  readExtraVolumes(m, at, b);
  if (m.nodeName) b.warn(`${at}.nodeName`, 'has no effect: placement chooses the node (use nodeSelector labels or the request\'s nodes)');
  for (const k of Object.keys(m)) if (!STACK_SPEC_HANDLED.has(k) && nonEmpty(m[k]) && !(isObj(m[k]) && m[k].enabled === false)) b.warn(`${at}.${k}`, 'has no effect');
  for (const k of Object.keys(engine)) {
    if (['modelSpec', 'tolerations', 'runtimeClassName', 'imagePullPolicy', 'containerPort'].includes(k) || !nonEmpty(engine[k])) continue;
    b.warn(`servingEngineSpec.${k}`, k === 'vllmApiKey' ? "has no effect: BenchOps' jobs and gateway call the server without an API key" : 'has no effect');
  }
  for (const k of Object.keys(values)) {
    if (k !== 'servingEngineSpec' && nonEmpty(values[k]) && !(isObj(values[k]) && values[k].enableRouter === false && Object.keys(values[k]).length === 1)) {
      b.warn(k, 'has no effect: BenchOps deploys the serving engine only (no router, cache server or LoRA controller)');
    }
  }
}

/** production-stack `extraVolumes` + `extraVolumeMounts` (Kubernetes format) for the volume kinds BenchOps renders. */
function readExtraVolumes(m: Obj, at: string, b: Builder): void {
  const vols = Array.isArray(m.extraVolumes) ? m.extraVolumes : [];
  const mounts = Array.isArray(m.extraVolumeMounts) ? m.extraVolumeMounts : [];
  for (const v of vols) {
    const mount = mounts.find((x: Obj) => x?.name === v?.name);
    if (!isObj(v) || !mount?.mountPath) {
      b.warn(`${at}.extraVolumes`, `${v?.name ?? '?'} has no mount in extraVolumeMounts; ignored`);
      continue;
    }
    const base = { name: String(v.name), mount_path: String(mount.mountPath), read_only: mount.readOnly === true ? true : null };
    if (isObj(v.persistentVolumeClaim)) b.k8s.volumes.push({ ...base, type: 'pvc', claim_name: String(v.persistentVolumeClaim.claimName) });
    else if (isObj(v.hostPath)) b.k8s.volumes.push({ ...base, type: 'hostPath', path: String(v.hostPath.path) });
    else if (isObj(v.emptyDir)) b.k8s.volumes.push({ ...base, type: 'emptyDir', size: str(v.emptyDir.sizeLimit) ?? null });
    else b.warn(`${at}.extraVolumes`, `${v.name}: only persistentVolumeClaim, hostPath and emptyDir volumes are rendered; ignored`);
  }
}

// ------------------------------------------------------------------------------------------------- the result

/** The pod settings without empty parts (undefined when nothing is set, so a plain values file stays plain). */
function pruned(k: Obj): Obj | undefined {
  const out: Obj = {};
  for (const [key, v] of Object.entries(k)) {
    if (key === 'resources' && isObj(v)) {
      const r = Object.fromEntries(Object.entries(v).filter(([, x]) => nonEmpty(x)));
      if (Object.keys(r).length) out.resources = r;
    } else if (nonEmpty(v)) out[key] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function finish(b: Builder, content: string, loc: Loc): ValuesResult {
  if (typeof b.raw.model_name !== 'string' || !b.raw.model_name) throw unprocessable(loc, 'custom values name no model (vllm.model, or modelURL in servingEngineSpec.modelSpec)');
  const fromArgs = extraArgsToConfig(b.extraArgs, loc, (w) => b.warnings.push(`custom values: ${w}`));
  Object.assign(b.raw, fromArgs.fields);
  for (const [name, value] of Object.entries(fromArgs.env)) {
    b.k8s.env = b.k8s.env.filter((e: Obj) => e.name !== name);
    b.k8s.env.push({ name, value });
  }
  const modelCache = b.k8s.volumes.find((v: VolumeSpec) => v.name === 'model-cache');
  // a model cache nobody points Hugging Face at is never used: downloads go to HF_HOME
  if (modelCache && !b.k8s.env.some((e: Obj) => e.name === 'HF_HOME')) b.k8s.env.push({ name: 'HF_HOME', value: modelCache.mount_path });
  for (const e of b.k8s.env) if (isSecretEnvName(e.name) && !e.value) b.warn(`env ${e.name}`, 'is empty');
  const raw: Obj = {
    max_num_seqs: 256,
    dtype: 'auto',
    ...b.raw,
    additional_args: fromArgs.additional_args,
    kubernetes: pruned(b.k8s),
    custom_values_content: content,
  };
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
  const parsed = vllmConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw unprocessable([...loc, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))], `custom values: ${i.message}`);
  }
  const warnings = [...b.warnings, ...checkParallelism(parsed.data, loc).map((w) => `custom values: ${w}`)];
  return { config: parsed.data, warnings };
}
