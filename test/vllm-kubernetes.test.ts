/**
 * The Kubernetes path against the Kubernetes API test double: a cluster registered by kubeconfig (stored encrypted),
 * nodes in seed 003's shape from node capacity and labels, Deployment + Service creation (schema-validated with
 * kubernetes-models), GPU accounting that includes pods BenchOps did not create, MIG placement, readiness, deletion of
 * only BenchOps' objects, no half-created objects, and start-up reconciliation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifests } from '../src/services/vllm/manifests.ts';
import { vllmConfigSchema } from '../src/services/vllm/models.ts';
import { K8sDouble } from './helpers/k8s-double.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { freshDatabase } from './helpers/db.ts';
import { fixture } from './helpers/fixtures.ts';
import { FakeDeployer, fakeModule, job, serveModule, until } from './vllm-fakes.ts';

const sample = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures/vllm-values', name), 'utf8');

const NS = 'models';
const j = async (r: Response) => ({ status: r.status, body: (await r.json()) as any });

describe('vLLM service on Kubernetes (API double)', () => {
  let k8s: K8sDouble;
  let p: TestPlatform;
  let base: string;
  let clusterId: string;
  const post = (path: string, body: unknown) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(j);
  const get = (path: string) => fetch(base + path).then(j);

  beforeAll(async () => {
    k8s = await K8sDouble.start();
    k8s.addNode('gpu-a', { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '2' }, { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    k8s.addNode('mig-b', { cpu: '32', memory: '256Gi', 'nvidia.com/mig-3g.40gb': '2', 'nvidia.com/mig-1g.10gb': '7' }, { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB-MIG-3g.40gb' });
    // someone else's training pod holds one H100 on gpu-a
    k8s.put('pods', {
      metadata: { name: 'trainer', namespace: 'research', labels: { app: 'trainer' } },
      spec: { nodeName: 'gpu-a', containers: [{ name: 't', image: 'x', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
      status: { phase: 'Running' },
    });
    p = await startTestPlatform({ kind: 'pglite', services: ['vllm'] });
    base = p.urls.vllm!;
  });
  afterAll(async () => {
    await p?.close();
    await k8s?.close();
  });

  it('registers a cluster by kubeconfig, stores it encrypted and never returns it', async () => {
    const bad = await post('/clusters', { name: 'broken', kubeconfig: 'not: a kubeconfig' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'kubeconfig']);
    const r = await post('/clusters', { name: 'lab', kubeconfig: k8s.kubeconfig, namespace: NS });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'lab', kind: 'kubernetes', namespace: NS, has_kubeconfig: true });
    expect(JSON.stringify(r.body)).not.toContain('double-token');
    clusterId = r.body.id;
    const list = await get('/clusters');
    expect(list.body.map((c: any) => c.id)).toEqual(['local', clusterId]);
    expect(JSON.stringify(list.body)).not.toContain('double-token');
    const raw: any = await p.ctx.db.execute(sql`SELECT kubeconfig_enc FROM vllm_clusters`);
    const stored = String((raw.rows ?? raw)[0].kubeconfig_enc);
    expect(stored.startsWith('v1:')).toBe(true);
    expect(stored).not.toContain('double-token');
    expect((await post('/clusters', { name: 'lab', kubeconfig: k8s.kubeconfig })).status).toBe(409);
    expect(p.logs()).not.toContain('double-token');
  });

  it('lists nodes in seed 003 shape with availability net of foreign pods', async () => {
    const r = await get(`/clusters/${clusterId}/nodes`);
    expect(r.status).toBe(200);
    const a = r.body.find((n: any) => n.hostname === 'gpu-a');
    expect(a.status).toBe('Ready');
    const h100 = a.devices.find((d: any) => d.type === 'gpu');
    expect(h100).toMatchObject({ name: 'H100-80G', available_count: 1, total_count: 2, device_config: { peak_fp16_TFLOPS: 989, memory_bandwidth_GBps: 3350 } });
    expect(a.devices.find((d: any) => d.type === 'cpu').device_info.num_virtual_cores).toBe(64);
    const b = r.body.find((n: any) => n.hostname === 'mig-b');
    const mig = b.devices.find((d: any) => d.resource_name === 'nvidia.com/mig-3g.40gb');
    expect(mig).toMatchObject({ name: 'A100-80G-MIG-3g.40gb', available_count: 2 });
    expect(mig.device_config.peak_fp16_TFLOPS).toBeCloseTo((312 * 3) / 7, 5);
    expect((await get('/clusters/nope/nodes')).status).toBe(404);
  });

  let gpuDep: any;
  it('creates a schema-valid Deployment + Service on the node that fits, and marks it running when ready', async () => {
    const r = await post('/deploy', {
      cluster_id: clusterId,
      config: { model_name: 'Qwen/Qwen3-8B', served_model_name: 'qwen3-8b', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, max_model_len: 4096 },
    });
    expect(r.status).toBe(201);
    gpuDep = r.body;
    expect(r.body).toMatchObject({ status: 'deploying', placement: { action: 'place', node: 'gpu-a' } });
    expect(r.body.endpoint).toBe(`http://${r.body.deployment_name}.${NS}.svc.cluster.local:8000`);
    const dep = k8s.get('deployments', NS, r.body.deployment_name, 'apps/v1')!;
    const svc = k8s.get('services', NS, r.body.deployment_name)!;
    expect(() => new Deployment(dep as any).validate()).not.toThrow();
    expect(() => new Service(svc as any).validate()).not.toThrow();
    for (const o of [dep, svc]) {
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'benchops', 'benchops.io/vllm-deployment-id': r.body.deployment_id });
    }
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(c.readinessProbe.httpGet.path).toBe('/health');
    expect(c.livenessProbe.httpGet.path).toBe('/health');
    expect(c.args).toEqual(expect.arrayContaining(['--model', 'Qwen/Qwen3-8B', '--served-model-name', 'qwen3-8b', '--max-model-len', '4096']));
    expect(pod.volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } });
    expect(c.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    expect(pod.nodeSelector['kubernetes.io/hostname']).toBe('gpu-a');
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);

    k8s.put('deployments', { ...dep, status: { replicas: 1, readyReplicas: 1 } }, 'apps/v1');
    const st = await until(async () => {
      const s = await get(`/deployments/${r.body.deployment_id}/status`);
      return s.body.status === 'running' ? s.body : null;
    });
    expect(st).toMatchObject({ node_name: 'gpu-a', error_message: null });
    const map = await get('/deployments');
    expect(map.body[r.body.deployment_id]).toMatchObject({ status: 'running', k8s_service_name: r.body.deployment_name, config: { model_name: 'Qwen/Qwen3-8B' } });
  });

  it('refuses a request no node can hold now (explicit decision), reuses identical ones, places MIG on the MIG node', async () => {
    const busy = await post('/deploy', { cluster_id: clusterId, config: { model_name: 'Qwen/Qwen3-0.6B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 } });
    expect(busy.status).toBe(409);
    expect(busy.body.detail).toMatch(/\(wait\).*not free/);
    const huge = await post('/deploy', { cluster_id: clusterId, config: { model_name: 'Qwen/Qwen3-0.6B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 4 } });
    expect(huge.body.detail).toMatch(/unschedulable/);
    const same = await post('/deploy', {
      cluster_id: clusterId,
      config: { model_name: 'Qwen/Qwen3-8B', served_model_name: 'qwen3-8b', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, max_model_len: 4096 },
    });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ reused: true, deployment_id: gpuDep.deployment_id, placement: { action: 'reuse' } });
    const mig = await post('/deploy', { cluster_id: clusterId, config: { model_name: 'Qwen/Qwen3-0.6B', gpu_resource_type: 'nvidia.com/mig-3g.40gb', gpu_resource_count: 1 } });
    expect(mig.status).toBe(201);
    expect(mig.body.placement).toMatchObject({ action: 'place', node: 'mig-b' });
    const migObj = k8s.get('deployments', NS, mig.body.deployment_name, 'apps/v1')!;
    expect(migObj.spec.template.spec.containers[0].resources.limits['nvidia.com/mig-3g.40gb']).toBe('1');
    expect(() => new Deployment(migObj as any).validate()).not.toThrow();
    const nodes = await get(`/clusters/${clusterId}/nodes`);
    const migDev = nodes.body.find((n: any) => n.hostname === 'mig-b').devices.find((d: any) => d.resource_name === 'nvidia.com/mig-3g.40gb');
    expect(migDev.available_count).toBe(1);
  });

  it('fails a deployment whose pod crash-loops', async () => {
    const r = await post('/deploy', { cluster_id: clusterId, config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'crashy', gpu_resource_type: 'nvidia.com/mig-1g.10gb', gpu_resource_count: 1 } });
    expect(r.status).toBe(201);
    k8s.put('pods', {
      metadata: { name: `${r.body.deployment_name}-abc`, namespace: NS, labels: { 'benchops.io/vllm-deployment-id': r.body.deployment_id } },
      spec: { nodeName: 'mig-b', containers: [{ name: 'vllm', image: 'x' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'vllm', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } } }] },
    });
    const st = await until(async () => {
      const s = await get(`/deployments/${r.body.deployment_id}/status`);
      return s.body.status === 'failed' ? s.body : null;
    });
    expect(st.error_message).toMatch(/CrashLoopBackOff/);
  });

  it('leaves nothing half-created when the Service cannot be created', async () => {
    k8s.failNext({ method: 'POST', path: new RegExp(`/api/v1/namespaces/${NS}/services$`), status: 500, message: 'boom' });
    const before = k8s.list('deployments', NS, 'apps/v1').length;
    const r = await post('/deploy', { cluster_id: clusterId, config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'half', gpu_resource_type: 'nvidia.com/mig-1g.10gb', gpu_resource_count: 1 } });
    expect(r.status).toBe(502);
    expect(r.body.detail).toMatch(/Starting vllm-qwen3-0-6b-\w+ failed: .*boom/);
    expect(k8s.list('deployments', NS, 'apps/v1').length).toBe(before);
    k8s.failNext({ method: 'GET', path: '/api/v1/nodes', status: 500, message: 'apiserver down' });
    const nodes = await get(`/clusters/${clusterId}/nodes`);
    expect(nodes.status).toBe(503);
    expect(nodes.body.detail).toMatch(/unreachable.*apiserver down/);
    const map = await get('/deployments');
    const rec = Object.values<any>(map.body).find((d) => d.served_model_name === 'half');
    expect(rec.status).toBe('failed');
  });

  it('deletes only the objects it created', async () => {
    // a same-named object BenchOps did not create is never deleted
    const r = await fetch(`${base}/deployments/${gpuDep.deployment_id}`, { method: 'DELETE' }).then(j);
    expect(r.body.message).toMatch(/stopped successfully/);
    expect(k8s.get('deployments', NS, gpuDep.deployment_name, 'apps/v1')).toBeUndefined();
    expect(k8s.get('services', NS, gpuDep.deployment_name)).toBeUndefined();
    expect(k8s.get('pods', 'research', 'trainer')).toBeDefined();
    k8s.put('services', { metadata: { name: gpuDep.deployment_name, namespace: NS, labels: { app: 'theirs' } }, spec: { ports: [{ port: 80 }] } });
    const again = await fetch(`${base}/deployments/${gpuDep.deployment_id}`, { method: 'DELETE' }).then(j);
    expect(again.status).toBe(200);
    expect(k8s.get('services', NS, gpuDep.deployment_name)).toBeDefined();
    expect((await get(`/deployments/${gpuDep.deployment_id}/status`)).body.status).toBe('stopped');
    expect((await fetch(`${base}/deployments/nope`, { method: 'DELETE' })).status).toBe(404);
  });

  it('reconciles on start: a Deployment removed behind its back is marked failed', async () => {
    const map = await get('/deployments');
    const mig = Object.values<any>(map.body).find((d) => d.resources['nvidia.com/mig-3g.40gb'] && d.status === 'deploying');
    k8s.put('deployments', { ...k8s.get('deployments', NS, mig.deployment_name, 'apps/v1')!, status: { replicas: 1, readyReplicas: 1 } }, 'apps/v1');
    await until(async () => (await get(`/deployments/${mig.deployment_id}/status`)).body.status === 'running');
    await fetch(`${k8s.url}/apis/apps/v1/namespaces/${NS}/deployments/${mig.deployment_name}`, { method: 'DELETE' });
    const mod: any = p.modules.get('vllm');
    const r = await mod.core.deployments.reconcile();
    expect(r.failed).toBeGreaterThanOrEqual(1);
    const st = await get(`/deployments/${mig.deployment_id}/status`);
    expect(st.body.status).toBe('failed');
    expect(st.body.error_message).toMatch(/missing/);
  });
});

describe('generated manifests', () => {
  const base = { id: 'd1', name: 'vllm-x-d1', namespace: 'ns', fingerprint: 'f', priorityRank: 2 };
  it.each([
    ['CPU', { model_name: 'facebook/opt-125m' }, {}],
    ['4 GPUs, tp 4, extra args', { model_name: 'meta-llama/Llama-3.1-70B-Instruct', tensor_parallel_size: 4, gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 4, quantization: 'fp8', trust_remote_code: true, additional_args: { 'enable-prefix-caching': true, 'disable-log-stats': false, 'max-num-batched-tokens': 8192 } }, { 'nvidia.com/gpu': 4 }],
    ['MIG slice with node selector', { model_name: 'Qwen/Qwen3-0.6B', gpu_resource_type: 'nvidia.com/mig-1g.10gb', gpu_resource_count: 1, node_selector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' } }, { 'nvidia.com/mig-1g.10gb': 1 }],
  ])('%s validates against the Kubernetes schema', (_n, cfg, resources) => {
    const config = vllmConfigSchema.parse(cfg);
    const { deployment, service } = buildManifests({ ...base, config, resources, node: 'n1' });
    expect(() => new Deployment(deployment).validate()).not.toThrow();
    expect(() => new Service(service).validate()).not.toThrow();
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    if (config.additional_args['enable-prefix-caching']) {
      expect(args).toContain('--enable-prefix-caching');
      expect(args).not.toContain('--disable-log-stats');
      expect(args.slice(args.indexOf('--max-num-batched-tokens'), args.indexOf('--max-num-batched-tokens') + 2)).toEqual(['--max-num-batched-tokens', '8192']);
    }
    if (!Object.keys(resources).length) expect(args).toContain('--device');
  });
});

/** A vLLM module with a scripted deployer, registered on a Kubernetes API double with one L40S node. */
async function queueOnDoubleCluster(opts: Parameters<typeof fakeModule>[2] = {}) {
  const k8s = await K8sDouble.start();
  const db = await freshDatabase('pglite');
  const deployer = new FakeDeployer(null);
  const mod = fakeModule(db, deployer, opts);
  k8s.addNode('gpu-a', { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '1' }, { 'nvidia.com/gpu.product': 'NVIDIA-L40S' });
  const cluster = await mod.core.clusters.add({ name: 'lab', kubeconfig: k8s.kubeconfig, namespace: NS });
  const close = async () => {
    await mod.stop!();
    await db.close();
    await k8s.close();
  };
  return { k8s, deployer, mod, cluster, close };
}

describe('queue on a Kubernetes cluster (API double)', () => {
  it('deploys, benchmarks, and on cancel removes its Deployment and Service (and only those)', async () => {
    const { k8s, deployer, mod, cluster, close } = await queueOnDoubleCluster();
    try {
      k8s.put('services', { metadata: { name: 'unrelated', namespace: NS, labels: { app: 'x' } }, spec: { ports: [{ port: 80 }] } });
      await mod.start!();
      const q = await mod.api.enqueue({
        cluster_id: cluster.id,
        vllm_config: { model_name: 'Qwen/Qwen3-8B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 },
        benchmark_configs: [job(1)],
      });
      const dep = await until(async () => k8s.list('deployments', NS, 'apps/v1')[0]);
      expect(dep.metadata.labels['benchops.io/queue-request-id']).toBe(q.queue_request_id);
      k8s.put('deployments', { ...dep, status: { replicas: 1, readyReplicas: 1 } }, 'apps/v1');
      const running = await until(async () => {
        const r = await mod.api.getQueueItem(q.queue_request_id);
        return r.current_step === 'benchmark_job_1' && deployer.runs.length ? r : null;
      });
      expect(running.placement).toMatchObject({ action: 'place', node: 'gpu-a' });
      const subs = deployer.runs[0].opts!.substitutions!;
      expect(subs.VLLM_SERVICE_NAME).toBe(`${dep.metadata.name}.${NS}.svc.cluster.local`);
      expect(deployer.runs[0].req.vllm_model_endpoint).toBe(`http://${dep.metadata.name}.${NS}.svc.cluster.local:8000`);
      await mod.api.cancel(q.queue_request_id);
      expect((await mod.api.getQueueItem(q.queue_request_id)).status).toBe('cancelled');
      expect(deployer.deleted).toEqual([deployer.runs[0].name]);
      expect(k8s.list('deployments', NS, 'apps/v1')).toEqual([]);
      expect(k8s.list('services', NS).map((s) => s.metadata.name)).toEqual(['unrelated']);
    } finally {
      await close();
    }
  });
});

describe('queue on a Kubernetes cluster that cannot schedule the pod (API double)', () => {
  it('removes the pending deployment and waits for capacity with the reason, instead of holding the pod', async () => {
    const { k8s, deployer, mod, cluster, close } = await queueOnDoubleCluster({ unschedulableGraceMs: 300, retryWaitMs: 60_000 });
    try {
      await mod.start!();
      const q = await mod.api.enqueue({
        cluster_id: cluster.id,
        vllm_config: { model_name: 'Qwen/Qwen3-8B', gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 },
        benchmark_configs: [job(1)],
      });
      const dep = await until(async () => k8s.list('deployments', NS, 'apps/v1')[0]);
      const depId = dep.metadata.labels['benchops.io/vllm-deployment-id'];
      // the scheduler refuses the pod (e.g. a taint the placement could not see)
      k8s.put('pods', {
        metadata: { name: `${dep.metadata.name}-xyz`, namespace: NS, labels: { 'benchops.io/vllm-deployment-id': depId } },
        spec: { containers: [{ name: 'vllm', image: 'x' }] },
        status: {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 node(s) had untolerated taint {gpu: reserved}.' }],
        },
      });
      const waiting = await until(async () => {
        const r = await mod.api.getQueueItem(q.queue_request_id);
        return r.current_step === 'waiting_for_resources' ? r : null;
      }, 20_000);
      expect(waiting).toMatchObject({ status: 'pending', deployment_id: null, completed_steps: 0 });
      expect(waiting.placement).toMatchObject({ action: 'wait', reason: expect.stringMatching(/could not schedule.*untolerated taint/) });
      expect(k8s.list('deployments', NS, 'apps/v1')).toEqual([]);
      expect((await mod.core.deployments.get(depId)).status).toBe('stopped');
      expect(deployer.runs).toHaveLength(0);
      await mod.api.cancel(q.queue_request_id);
    } finally {
      await close();
    }
  });
});

describe('Helm values on Kubernetes (API double)', () => {
  const NVL = 'NVIDIA-H100-NVL';
  async function setup() {
    const k8s = await K8sDouble.start();
    k8s.addNode('nvl-a', { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '2' }, { 'nvidia.com/gpu.product': NVL });
    const db = await freshDatabase('pglite');
    const mod = fakeModule(db, new FakeDeployer(null));
    const cluster = await mod.core.clusters.add({ name: 'lab', kubeconfig: k8s.kubeconfig, namespace: NS });
    const srv = await serveModule(mod);
    const post = (path: string, body: unknown) => fetch(srv.base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(j);
    const close = async () => {
      await srv.close();
      await mod.stop!();
      await db.close();
      await k8s.close();
    };
    return { k8s, mod, cluster, srv, post, close };
  }
  const validate = (o: any) => {
    const models: Record<string, any> = { Deployment, Service, Secret, ServiceAccount, PersistentVolumeClaim };
    expect(() => new models[o.kind](o).validate()).not.toThrow();
  };

  it('creates the Secret (sealed token), claims, service account and a Deployment that only references the token; removes them all', async () => {
    const { k8s, srv, post, cluster, close } = await setup();
    try {
      const values = `${sample('earlier-chart-clear-token.yaml')}\nnodeSelector: {nvidia.com/gpu.product: ${NVL}}\nfullnameOverride: vllm-qwen-nvl\nserviceAccount: {create: true}\n`;
      const r = await post('/deploy', { cluster_id: cluster.id, custom_values_content: values });
      expect(r.status).toBe(201);
      expect(r.body.deployment_name).toBe('vllm-qwen-nvl');
      expect(JSON.stringify(r.body)).not.toMatch(/hf_FAKE/);
      const dep = k8s.get('deployments', NS, 'vllm-qwen-nvl', 'apps/v1')!;
      const secret = k8s.get('secrets', NS, 'vllm-qwen-nvl-env')!;
      const sa = k8s.get('serviceaccounts', NS, 'vllm-qwen-nvl-sa')!;
      const claim = k8s.get('persistentvolumeclaims', NS, 'vllm-qwen-nvl-model-cache')!;
      for (const o of [dep, k8s.get('services', NS, 'vllm-qwen-nvl')!, secret, sa, claim]) {
        validate(o);
        expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'benchops', 'benchops.io/vllm-deployment-id': r.body.deployment_id });
      }
      const token = secret.stringData?.HF_TOKEN ?? Buffer.from(secret.data?.HF_TOKEN ?? '', 'base64').toString();
      expect(token).toBe('hf_FAKE_clear_token_in_args_0001');
      expect(JSON.stringify(dep)).not.toMatch(/hf_FAKE/);
      const c = dep.spec.template.spec.containers[0];
      expect(c.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'vllm-qwen-nvl-env', key: 'HF_TOKEN' } } });
      expect(dep.spec.template.spec.serviceAccountName).toBe('vllm-qwen-nvl-sa');
      expect(claim.spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } });
      // the same fullnameOverride for another configuration is refused while the first is active
      const clash = await post('/deploy', { cluster_id: cluster.id, custom_values_content: values.replace('maxModelLen: 4096', 'maxModelLen: 2048') });
      expect(clash.status).toBe(409);
      expect(clash.body.detail).toMatch(/vllm-qwen-nvl \(fullnameOverride\) is used by active deployment/);
      expect(srv.logs()).not.toMatch(/hf_FAKE/);

      k8s.put('persistentvolumeclaims', { metadata: { name: 'keep-me', namespace: NS, labels: { app: 'theirs' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
      const del = await fetch(`${srv.base}/deployments/${r.body.deployment_id}`, { method: 'DELETE' }).then(j);
      expect(del.status).toBe(200);
      for (const [res, name, v] of [['deployments', 'vllm-qwen-nvl', 'apps/v1'], ['services', 'vllm-qwen-nvl'], ['secrets', 'vllm-qwen-nvl-env'], ['serviceaccounts', 'vllm-qwen-nvl-sa'], ['persistentvolumeclaims', 'vllm-qwen-nvl-model-cache']]) {
        expect(k8s.get(res!, NS, name!, v), `${res}/${name}`).toBeUndefined();
      }
      expect(k8s.get('persistentvolumeclaims', NS, 'keep-me')).toBeDefined();
    } finally {
      await close();
    }
  });

  it('leaves no Secret, claim or service account behind when the Deployment cannot be created', async () => {
    const { k8s, post, cluster, close } = await setup();
    try {
      k8s.failNext({ method: 'POST', path: new RegExp(`/apis/apps/v1/namespaces/${NS}/deployments$`), status: 500, message: 'admission webhook down' });
      const values = `${sample('earlier-chart-clear-token.yaml')}\nserviceAccount: {create: true, name: half-sa}\n`;
      const r = await post('/deploy', { cluster_id: cluster.id, custom_values_content: values });
      expect(r.status).toBe(502);
      expect(k8s.list('secrets', NS)).toEqual([]);
      expect(k8s.list('serviceaccounts', NS)).toEqual([]);
      expect(k8s.list('persistentvolumeclaims', NS)).toEqual([]);
      expect(k8s.list('deployments', NS, 'apps/v1')).toEqual([]);
    } finally {
      await close();
    }
  });

  it('says back Kubernetes-only settings on the local cluster, and hostPath volumes need admin', async () => {
    const { post, close } = await setup();
    try {
      const local = await post('/placement/preview', { custom_values_content: fixture('vllm-manifests/vllm/custom-values-qwen3-8b.yaml') });
      expect(local.body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/kubernetes settings \(.*resources.*\) apply on Kubernetes clusters/)]));
      // no tokens configured: the caller is admin, so hostPath is accepted here (the role test covers operators)
      const host = await post('/configs/validate', { custom_values_content: 'vllm: {model: m/x}\nmodelCache: {enabled: true, hostPath: /mnt/models}\n' });
      expect(host.status).toBe(200);
    } finally {
      await close();
    }
  });
});
