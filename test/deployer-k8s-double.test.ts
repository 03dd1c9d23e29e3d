/**
 * The Kubernetes API test double itself, driven by the real @kubernetes/client-node (so other suites can trust it):
 * generic resources, selectors, watch streaming, garbage collection, nodes, discovery, injected errors.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sDouble, labelMatcher } from './helpers/k8s-double.ts';

describe('Kubernetes API test double', () => {
  let k8s: K8sDouble;
  let kc: KubeConfig;
  beforeAll(async () => {
    k8s = await K8sDouble.start();
    kc = new KubeConfig();
    kc.loadFromString(k8s.kubeconfig);
  });
  afterAll(async () => {
    await k8s?.close();
  });

  it('creates, lists by label, replaces, deletes with garbage collection, and rejects bad names and duplicates', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const sts = await apps.createNamespacedStatefulSet({
      namespace: 'vllm',
      body: { metadata: { name: 'vllm-a', labels: { app: 'vllm', tier: 'gpu' } }, spec: { serviceName: 's', selector: { matchLabels: { app: 'vllm' } }, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } },
    });
    expect(sts.metadata?.uid).toBeTruthy();
    await core.createNamespacedService({
      namespace: 'vllm',
      body: { metadata: { name: 'vllm-a-svc', labels: { app: 'vllm' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'vllm-a', uid: sts.metadata!.uid! }] }, spec: { ports: [{ port: 8000 }] } },
    });
    await core.createNamespacedService({ namespace: 'vllm', body: { metadata: { name: 'other', labels: { app: 'web' } }, spec: {} } });
    const listed = await core.listNamespacedService({ namespace: 'vllm', labelSelector: 'app in (vllm,api),!missing' });
    expect(listed.items.map((s) => s.metadata?.name)).toEqual(['vllm-a-svc']);
    await expect(core.createNamespacedService({ namespace: 'vllm', body: { metadata: { name: 'other' }, spec: {} } })).rejects.toMatchObject({ code: 409 });
    await expect(core.createNamespacedConfigMap({ namespace: 'vllm', body: { metadata: { name: 'Bad_Name' } } })).rejects.toMatchObject({ code: 422 });

    await apps.deleteNamespacedStatefulSet({ name: 'vllm-a', namespace: 'vllm' });
    expect(k8s.get('services', 'vllm', 'vllm-a-svc')).toBeUndefined();
    expect(k8s.get('services', 'vllm', 'other')).toBeDefined();
    await expect(apps.readNamespacedStatefulSet({ name: 'vllm-a', namespace: 'vllm' })).rejects.toMatchObject({ code: 404 });
  });

  it('streams watch events, lists nodes, serves discovery for the generic client, and injects errors', async () => {
    const events: string[] = [];
    const ctl = await new Watch(kc).watch('/api/v1/namespaces/w/configmaps', { labelSelector: 'keep=yes' }, (type, obj) => events.push(`${type}:${obj.metadata.name}`), () => {});
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'a', labels: { keep: 'yes' } }, data: { x: '1' } } });
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'b', labels: { keep: 'no' } } } });
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'w', body: { data: { x: '2' } } }, undefined as any).catch(() => undefined);
    await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'w' });
    await new Promise((r) => setTimeout(r, 200));
    expect(events[0]).toBe('ADDED:a');
    expect(events.at(-1)).toBe('DELETED:a');
    expect(events.some((e) => e.endsWith(':b'))).toBe(false);
    ctl.abort();

    k8s.addNode('gpu-1', { cpu: '32', memory: '128Gi', 'nvidia.com/gpu': '4' }, { 'nvidia.com/gpu.product': 'H100' });
    const nodes = await core.listNode();
    expect(nodes.items[0].status?.allocatable?.['nvidia.com/gpu']).toBe('4');

    const generic = KubernetesObjectApi.makeApiClient(kc);
    const created = await generic.create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gen', namespace: 'w' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } } as any);
    expect(created.metadata?.uid).toBeTruthy();

    k8s.failNext({ method: 'GET', path: '/api/v1/nodes', status: 503, message: 'apiserver unavailable', times: 2 });
    await expect(core.listNode()).rejects.toMatchObject({ code: 503 });
    await expect(core.listNode()).rejects.toMatchObject({ code: 503 });
    expect((await core.listNode()).items).toHaveLength(1);
    expect(labelMatcher('a=b,c!=d')({ a: 'b', c: 'e' })).toBe(true);
    expect(labelMatcher('a=b,c!=d')({ a: 'b', c: 'd' })).toBe(false);
  });
});
