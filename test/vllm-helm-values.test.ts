/**
 * Helm values read completely (issue 9): the earlier chart's and vLLM production-stack's formats, every key honoured
 * or said back; secrets split off for sealing (never in a stored config or a manifest in clear); tensor parallelism
 * checked against the GPUs; YAML errors with line and column and no source text; the manifests of the result
 * validated with kubernetes-models.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/core/errors.ts';
import { readHelmValues } from '../src/services/vllm/helm-values.ts';
import { buildManifests, vllmArgs } from '../src/services/vllm/manifests.ts';
import { checkParallelism, fingerprint, resourcesOf, schedulingSchema, vllmConfigSchema, type VllmConfig } from '../src/services/vllm/models.ts';
import { splitSecrets } from '../src/services/vllm/sealed.ts';
import { fixture } from './helpers/fixtures.ts';

const sample = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures/vllm-values', name), 'utf8');
const QWEN = fixture('vllm-manifests/vllm/custom-values-qwen3-8b.yaml');

function manifestsOf(cfg: VllmConfig, secretEnv?: Record<string, string>) {
  return buildManifests({
    id: 'dep-1234',
    name: cfg.kubernetes?.name_override ?? 'vllm-x-dep1234',
    namespace: 'models',
    config: cfg,
    fingerprint: fingerprint(cfg, 'lab'),
    resources: resourcesOf(cfg),
    priorityRank: 2,
    node: 'gpu-a',
    secretEnv,
  });
}

function validateAll(m: ReturnType<typeof buildManifests>) {
  expect(() => new Deployment(m.deployment).validate()).not.toThrow();
  expect(() => new Service(m.service).validate()).not.toThrow();
  if (m.secret) expect(() => new Secret(m.secret).validate()).not.toThrow();
  if (m.serviceAccount) expect(() => new ServiceAccount(m.serviceAccount).validate()).not.toThrow();
  for (const c of m.claims) expect(() => new PersistentVolumeClaim(c).validate()).not.toThrow();
}

function err422(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).status).toBe(422);
    return e as AppError;
  }
  throw new Error('expected a 422');
}

describe('the earlier chart format', () => {
  it('reads the real qwen3-8b values: resources, service account, caches, hfToken reference, fullnameOverride', () => {
    const { config: cfg, warnings } = readHelmValues(QWEN);
    expect(cfg).toMatchObject({ model_name: 'Qwen/Qwen3-8B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, max_model_len: 4096 });
    expect(cfg.kubernetes).toMatchObject({
      name_override: 'vllm-qwen3-8b',
      resources: { limits: { cpu: '16', memory: '48Gi' }, requests: { cpu: '8', memory: '24Gi' } },
      service_account: { name: 'vllm-qwen3-8b-sa', create: true },
      // the earlier chart's defaults fill what the custom file leaves out
      secret_env: [{ name: 'HF_TOKEN', secret_name: 'hf-token-secret', secret_key: 'token' }],
    });
    expect(cfg.kubernetes!.volumes).toEqual([
      { name: 'data', mount_path: '/data', type: 'pvc', claim_name: null, size: '80Gi', storage_class: 'csi-rbd-sc', access_mode: 'ReadWriteOnce' },
      { name: 'model-cache', mount_path: '/data/model_cache', type: 'pvc', claim_name: null, size: '20Gi', storage_class: 'csi-rbd-sc', access_mode: 'ReadWriteOnce' },
    ]);
    // Hugging Face downloads go to the cache volume, or the cache would sit unused
    expect(cfg.kubernetes!.env).toContainEqual({ name: 'HF_HOME', value: '/data/model_cache' });
    // enabled features BenchOps does not create are said back; disabled ones are not noise
    expect(warnings).toEqual([expect.stringMatching(/^custom values: monitoring\.enabled has no effect/)]);

    const m = manifestsOf(cfg);
    validateAll(m);
    expect(m.deployment.metadata.name).toBe('vllm-qwen3-8b');
    const pod = m.deployment.spec.template.spec;
    const c = pod.containers[0];
    expect(c.resources).toEqual({ limits: { cpu: '16', memory: '48Gi', 'nvidia.com/gpu': '1' }, requests: { cpu: '8', memory: '24Gi', 'nvidia.com/gpu': '1' } });
    expect(pod.serviceAccountName).toBe('vllm-qwen3-8b-sa');
    expect(m.serviceAccount.metadata.name).toBe('vllm-qwen3-8b-sa');
    expect(c.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token-secret', key: 'token' } } });
    expect(m.secret).toBeNull();
    expect(m.claims.map((x: any) => [x.metadata.name, x.spec.storageClassName, x.spec.resources.requests.storage])).toEqual([
      ['vllm-qwen3-8b-data', 'csi-rbd-sc', '80Gi'],
      ['vllm-qwen3-8b-model-cache', 'csi-rbd-sc', '20Gi'],
    ]);
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/data' }, { name: 'model-cache', mountPath: '/data/model_cache' }]));
    expect(pod.volumes).toContainEqual({ name: 'model-cache', persistentVolumeClaim: { claimName: 'vllm-qwen3-8b-model-cache' } });
    for (const o of [m.serviceAccount, ...m.claims]) expect(o.metadata.labels['benchops.io/vllm-deployment-id']).toBe('dep-1234');
  });

  it('honours extraArgs (flags BenchOps sets become fields), tolerations, annotations, an existing claim, and warns the rest', () => {
    const { config: cfg, warnings } = readHelmValues(sample('earlier-chart-llama70b.yaml'));
    expect(cfg).toMatchObject({ tensor_parallel_size: 4, gpu_resource_count: 4, max_num_seqs: 128, gpu_memory_utilization: 0.92, served_model_name: 'llama-70b' });
    expect(cfg.additional_args).toEqual({ 'enable-prefix-caching': true, 'max-num-batched-tokens': '16384', 'disable-log-requests': true });
    const args = vllmArgs(cfg);
    expect(args.filter((a) => a === '--max-num-seqs')).toHaveLength(1);
    expect(args).toEqual(expect.arrayContaining(['--enable-prefix-caching', '--max-num-batched-tokens', '16384', '--disable-log-requests', '--tensor-parallel-size', '4']));
    expect(cfg.kubernetes!.volumes).toEqual([{ name: 'model-cache', mount_path: '/models', type: 'pvc', claim_name: 'shared-model-cache', size: '20Gi', storage_class: null, access_mode: 'ReadWriteOnce' }]);
    expect(warnings.map((w) => w.replace(/ has no effect.*| is not a setting.*/, ''))).toEqual([
      'custom values: autoscaling.enabled',
      'custom values: service.type LoadBalancer',
      'custom values: podSecurityContext',
      'custom values: customDashboard',
    ]);

    const { config: stored, secrets } = splitSecrets(cfg);
    // WANDB_API_KEY is a credential: its value leaves the config; VLLM_LOGGING_LEVEL stays
    expect(JSON.stringify(stored)).not.toContain('wandb-fake');
    expect(secrets.env).toEqual({ WANDB_API_KEY: 'wandb-fake-0123456789abcdef' });
    expect(stored.kubernetes!.sealed_env).toEqual(['WANDB_API_KEY']);
    expect(stored.kubernetes!.env).toEqual([{ name: 'VLLM_LOGGING_LEVEL', value: 'INFO' }, { name: 'HF_HOME', value: '/models' }]);

    const m = manifestsOf(stored, secrets.env);
    validateAll(m);
    const pod = m.deployment.spec.template.spec;
    expect(pod.tolerations).toEqual(expect.arrayContaining([{ key: 'dedicated', operator: 'Equal', value: 'llm', effect: 'NoSchedule' }, { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]));
    expect(m.deployment.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
    expect(pod.containers[0].imagePullPolicy).toBe('Always');
    // an existing claim is referenced, never created
    expect(m.claims).toEqual([]);
    expect(pod.volumes).toContainEqual({ name: 'model-cache', persistentVolumeClaim: { claimName: 'shared-model-cache' } });
    // the sealed value is in the deployment's own Secret; the Deployment only references it
    expect(JSON.stringify(m.deployment)).not.toContain('wandb-fake');
    expect(pod.containers[0].env).toContainEqual({ name: 'WANDB_API_KEY', valueFrom: { secretKeyRef: { name: 'vllm-llama-70b-env', key: 'WANDB_API_KEY' } } });
    expect(m.secret).toMatchObject({ metadata: { name: 'vllm-llama-70b-env' }, stringData: { WANDB_API_KEY: 'wandb-fake-0123456789abcdef' } });
  });

  it('moves clear tokens (hfToken.value, --hf-token) out of the config and the command line into the Secret', () => {
    const text = sample('earlier-chart-clear-token.yaml');
    const { config, secrets } = splitSecrets(readHelmValues(text).config);
    expect(JSON.stringify(config)).not.toMatch(/hf_FAKE/);
    expect(config.custom_values_content).toBeUndefined();
    expect(config.has_custom_values).toBe(true);
    expect(secrets.values).toBe(text);
    // --hf-token comes after hfToken in the file's reading order, so it is the one the server would have used
    expect(secrets.env).toEqual({ HF_TOKEN: 'hf_FAKE_clear_token_in_args_0001' });
    expect(config.additional_args).toEqual({});
    const m = manifestsOf(config, secrets.env);
    validateAll(m);
    expect(JSON.stringify([m.deployment, m.service, m.claims])).not.toMatch(/hf_FAKE/);
    expect(m.claims[0].spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } });
  });

  it('renders hostPath and emptyDir caches as the values say', () => {
    const { config } = readHelmValues('vllm: {model: m/x}\nmodelCache: {enabled: true, hostPath: /mnt/models}\npersistence: {enabled: true, emptyDir: true, size: 10Gi}\n');
    expect(config.kubernetes!.volumes.map((v) => [v.name, v.type])).toEqual([['data', 'emptyDir'], ['model-cache', 'hostPath']]);
    const m = manifestsOf(config);
    validateAll(m);
    const vols = m.deployment.spec.template.spec.volumes;
    expect(vols).toContainEqual({ name: 'model-cache', hostPath: { path: '/mnt/models', type: 'DirectoryOrCreate' } });
    expect(vols).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '10Gi' } });
  });
});

describe('the vLLM production-stack format', () => {
  it('reads modelSpec: image, GPUs, cpu/memory, PVC, vllmConfig and extraArgs, hf_token reference, service account', () => {
    const { config: cfg, warnings } = readHelmValues(sample('production-stack-qwen3.yaml'));
    expect(cfg).toMatchObject({
      model_name: 'Qwen/Qwen3-32B',
      image: 'vllm/vllm-openai:v0.10.0',
      gpu_resource_type: 'nvidia.com/gpu',
      gpu_resource_count: 2,
      tensor_parallel_size: 2,
      max_model_len: 32768,
      max_num_seqs: 64,
      dtype: 'bfloat16',
      node_selector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
    });
    expect(cfg.additional_args).toEqual({ 'enable-prefix-caching': true, 'disable-log-requests': true, 'swap-space': '8' });
    expect(cfg.kubernetes).toMatchObject({
      resources: { requests: { cpu: '10', memory: '64Gi' }, limits: { memory: '96Gi' } },
      service_account: { name: 'vllm-engine', create: false },
      secret_env: [{ name: 'HF_TOKEN', secret_name: 'hf-secret', secret_key: 'token' }],
      runtime_class_name: 'nvidia',
      shm_size: '20Gi',
      volumes: [{ name: 'data', mount_path: '/data', type: 'pvc', size: '100Gi', storage_class: 'standard-rwo' }],
    });
    expect(warnings).toEqual([
      expect.stringMatching(/lmcacheConfig has no effect/),
      expect.stringMatching(/^custom values: routerSpec has no effect: BenchOps deploys the serving engine only/),
    ]);
    const m = manifestsOf(cfg);
    validateAll(m);
    const pod = m.deployment.spec.template.spec;
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(pod.serviceAccountName).toBe('vllm-engine');
    expect(m.serviceAccount).toBeNull();
    expect(pod.containers[0].resources.limits).toEqual({ memory: '96Gi', 'nvidia.com/gpu': '2' });
    expect(pod.containers[0].resources.requests).toEqual({ cpu: '10', memory: '64Gi', 'nvidia.com/gpu': '2' });
    expect(pod.volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '20Gi' } });
    expect(pod.tolerations).toContainEqual({ key: 'gpu-node', operator: 'Exists', effect: 'NoSchedule' });
  });

  it('says which model of several is deployed, and refuses values with none enabled', () => {
    const two = readHelmValues('servingEngineSpec:\n  modelSpec:\n  - {name: a, modelURL: org/a}\n  - {name: b, modelURL: org/b}\n');
    expect(two.config.model_name).toBe('org/a');
    expect(two.warnings).toEqual([expect.stringMatching(/lists 2 models: only the first \(a\) is deployed/)]);
    const none = err422(() => readHelmValues('servingEngineSpec:\n  modelSpec:\n  - {name: a, modelURL: org/a, enabled: false}\n'));
    expect(none.issues![0].msg).toMatch(/no enabled model/);
  });
});

describe('checks', () => {
  it('refuses tensor parallelism beyond the GPUs, and across MIG slices, naming the field', () => {
    const over = err422(() => readHelmValues('vllm: {model: m/x, tensor_parallel_size: 4}\nresources: {limits: {nvidia.com/gpu: 2}}\n'));
    expect(over.issues![0]).toMatchObject({ loc: ['body', 'custom_values_content', 'tensor_parallel_size'] });
    expect(over.issues![0].msg).toMatch(/needs 4 GPUs, but gpu_resource_count is 2/);
    const viaArgs = err422(() => readHelmValues('vllm: {model: m/x, extraArgs: ["-tp", "2"]}\nresources: {limits: {nvidia.com/gpu: 1}}\n'));
    expect(viaArgs.issues![0].msg).toMatch(/tensor_parallel_size 2 × pipeline_parallel_size 1 needs 2 GPUs/);
    const mig = vllmConfigSchema.parse({ model_name: 'm', gpu_resource_type: 'nvidia.com/mig-3g.40gb', gpu_resource_count: 2, tensor_parallel_size: 2 });
    expect(() => checkParallelism(mig, ['body', 'config'])).toThrow(/MIG slice/);
    const idle = vllmConfigSchema.parse({ model_name: 'm', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 4, tensor_parallel_size: 2 });
    expect(checkParallelism(idle, ['body'])).toEqual([expect.stringMatching(/2 GPU\(s\) would sit idle/)]);
    const cpu = vllmConfigSchema.parse({ model_name: 'm', tensor_parallel_size: 2 });
    expect(checkParallelism(cpu, ['body'])).toEqual([]);
  });

  it('refuses pod settings the API server would refuse, naming the field (not a 502 from the cluster later)', () => {
    const tol = err422(() => readHelmValues('vllm: {model: m/x}\ntolerations: [{key: gpu, operator: Maybe}]\n'));
    expect(tol.issues![0].loc).toEqual(['body', 'custom_values_content', 'kubernetes', 'tolerations', 0, 'operator']);
    const qty = err422(() => readHelmValues('vllm: {model: m/x}\nresources: {limits: {memory: lots}}\n'));
    expect(qty.issues![0].loc).toEqual(['body', 'custom_values_content', 'kubernetes', 'resources', 'limits', 'memory']);
    const name = err422(() => readHelmValues('vllm: {model: m/x}\nfullnameOverride: Not_A_Name\n'));
    expect(name.issues![0].loc).toEqual(['body', 'custom_values_content', 'kubernetes', 'name_override']);
  });

  it('gives YAML errors with line and column and never the text (which carries tokens)', () => {
    const text = 'vllm:\n  model: m/x\nhfToken:\n  value: "hf_SECRET_in_broken_file"\n  bad: [unclosed\n';
    const e = err422(() => readHelmValues(text));
    expect(e.issues![0].loc).toEqual(['body', 'custom_values_content']);
    expect(e.issues![0].msg).toMatch(/line \d+/);
    expect(JSON.stringify(e.issues)).not.toContain('hf_SECRET');
    expect(JSON.stringify(e.issues)).not.toContain('unclosed');
  });

  it('refuses malformed flags naming the flag, never its value', () => {
    const e = err422(() => readHelmValues('vllm: {model: m/x, extraArgs: ["--api-key", "sk-live-123", "stray-value-secret", "x"]}\n'));
    expect(e.issues![0].msg).toMatch(/value without a --flag/);
    expect(JSON.stringify(e.issues)).not.toMatch(/sk-live|stray-value/);
    const r = readHelmValues('vllm: {model: m/x, extraArgs: ["--api-key", "sk-live-123"]}\n');
    expect(r.config.additional_args).toEqual({});
    expect(r.warnings).toEqual([expect.stringMatching(/--api-key is dropped/)]);
    expect(JSON.stringify(splitSecrets(r.config).config)).not.toContain('sk-live');
  });

  it('treats the earlier UI\'s empty scheduled_time as unset', () => {
    expect(schedulingSchema.parse({ immediate: false, scheduled_time: '' }).scheduled_time).toBeNull();
    expect(schedulingSchema.parse({ immediate: false, scheduled_time: '  ' }).scheduled_time).toBeNull();
    expect(schedulingSchema.safeParse({ scheduled_time: 'tomorrow' }).success).toBe(false);
  });
});
