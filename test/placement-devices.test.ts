/** Inputs of placement: the local device description, node capacity from Kubernetes nodes, names and fingerprints. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOCAL_CPU_SLOTS,
  deriveMigHardware,
  emulatedHardware,
  localNode,
  nodeFromKube,
  nodeView,
  parseLocalDevices,
  resolveHardware,
} from '../src/services/vllm/devices.ts';
import { CPU_SLOT, decidePlacement } from '../src/services/vllm/placement.ts';
import { findHardware } from '../src/simulator/catalog.ts';
import { podResources } from '../src/services/vllm/backends/kubernetes.ts';
import { fingerprint, k8sName, vllmConfigSchema } from '../src/services/vllm/models.ts';

describe('local devices', () => {
  it('parses the shorthand and JSON forms into catalogue hardware', () => {
    expect(parseLocalDevices('H100:2, A100-80G-MIG-3g.40gb:2')).toEqual([
      { hardware: 'H100-80G', count: 2 },
      { hardware: 'A100-80G-MIG-3g.40gb', count: 2 },
    ]);
    expect(parseLocalDevices('[{"hardware":"L40S","count":4}]')).toEqual([{ hardware: 'L40S', count: 4 }]);
    expect(parseLocalDevices('')).toEqual([]);
    expect(() => parseLocalDevices('TPU-v5:1')).toThrow(/unknown hardware "TPU-v5"/);
    expect(() => parseLocalDevices('H100:0')).toThrow(/bad count/);
  });

  it('turns devices into allocatable resources per resource name, MIG slices separate from full GPUs', () => {
    const n = localNode(parseLocalDevices('H100-80G:2,A100-80G-MIG-3g.40gb:2,A100-80G-MIG-1g.10gb:7'));
    expect(n.allocatable).toEqual({ 'nvidia.com/gpu': 2, 'nvidia.com/mig-3g.40gb': 2, 'nvidia.com/mig-1g.10gb': 7, [CPU_SLOT]: DEFAULT_LOCAL_CPU_SLOTS });
    expect(n.labels!['nvidia.com/gpu.product']).toBe('NVIDIA-H100-80GB-HBM3');
    const cpuOnly = localNode([]);
    expect(cpuOnly.allocatable).toEqual({ [CPU_SLOT]: DEFAULT_LOCAL_CPU_SLOTS });
    const v = nodeView(n, { 'nvidia.com/gpu': 1 });
    expect(v.devices.find((d) => d.resource_name === 'nvidia.com/gpu')).toMatchObject({ available_count: 1, total_count: 2 });
    expect(v.devices.at(-1)!.type).toBe('cpu');
  });

  it('reads Kubernetes nodes: extended resources only, readiness, cordon, product label → hardware', () => {
    const n = nodeFromKube({
      metadata: { name: 'n1', labels: { 'nvidia.com/gpu.product': 'NVIDIA-H200' } },
      spec: { unschedulable: true },
      status: {
        allocatable: { cpu: '95500m', memory: '1Ti', 'nvidia.com/gpu': '8', 'hugepages-2Mi': '0', 'ephemeral-storage': '1Ti' },
        capacity: { cpu: '96' },
        conditions: [{ type: 'Ready', status: 'False' }],
      },
    });
    expect(n).toMatchObject({ name: 'n1', ready: false, unschedulable: true, allocatable: { 'nvidia.com/gpu': 8 }, cpuCores: 96 });
    expect(n.hardware['nvidia.com/gpu']!.name).toBe('H200');
    expect(nodeView(n, {}).status).toBe('NotReady');
  });

  it('counts pod GPU requests from limits when requests are omitted', () => {
    expect(
      podResources({
        spec: {
          containers: [
            { resources: { limits: { 'nvidia.com/gpu': '2', cpu: '4' } } },
            { resources: { requests: { 'nvidia.com/mig-1g.10gb': '1' }, limits: { 'nvidia.com/mig-1g.10gb': '1' } } },
            {},
          ],
        },
      }),
    ).toEqual({ 'nvidia.com/gpu': 2, 'nvidia.com/mig-1g.10gb': 1 });
  });
});

describe('two GPU products, MIG profiles of any GPU, GPU feature discovery labels, CPU slots', () => {
  it('keeps two full-GPU products apart: two device groups, each with its product labels, placed by selector', () => {
    const n = localNode(parseLocalDevices('H100-80G:2,H100-NVL:2'));
    // both answer to nvidia.com/gpu on a cluster; locally each is a pool with its own product
    expect(n.allocatable).toMatchObject({ 'nvidia.com/gpu@H100-80G': 2, 'nvidia.com/gpu@H100-NVL': 2 });
    expect(n.allocatable['nvidia.com/gpu']).toBeUndefined();
    const v = nodeView(n, { 'nvidia.com/gpu@H100-NVL': 1 });
    const gpus = v.devices.filter((d) => d.type === 'gpu');
    expect(gpus.map((d) => [d.name, d.resource_name, d.total_count, d.available_count])).toEqual([
      ['H100-80G', 'nvidia.com/gpu', 2, 2],
      ['H100-NVL', 'nvidia.com/gpu', 2, 1],
    ]);
    expect(gpus[1].device_config.memory_gb).toBe(94);
    expect(n.labels).toMatchObject({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.count': '4' });
    expect(n.pools!['nvidia.com/gpu@H100-NVL'].labels).toMatchObject({ 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL', 'nvidia.com/gpu.count': '2', 'nvidia.com/gpu.memory': String(94 * 1024) });

    const place = (sel: Record<string, string>) =>
      decidePlacement({ fingerprint: 'f', resources: { 'nvidia.com/gpu': 1 }, priorityRank: 2, allowEviction: false, nodeSelector: sel }, [n], []);
    expect(place({ 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL' })).toMatchObject({ action: 'place', resources: { 'nvidia.com/gpu@H100-NVL': 1 } });
    expect(place({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' })).toMatchObject({ action: 'place', resources: { 'nvidia.com/gpu@H100-80G': 1 } });
    // the emulated server models the GPU of the pool it was placed on
    expect(emulatedHardware(n, { 'nvidia.com/gpu@H100-NVL': 1 })).toBe('H100-NVL');
    expect(emulatedHardware(n, { 'nvidia.com/gpu@H100-80G': 1 })).toBe('H100-80G');
  });

  it('single-product nodes carry GFD labels on the node (product, count, memory, family), MIG profiles their own', () => {
    const n = localNode(parseLocalDevices('H100-80G:2,H100-80G-MIG-1g.10gb:7'));
    expect(n.pools).toBeUndefined();
    expect(n.labels).toMatchObject({
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
      'nvidia.com/gpu.count': '2',
      'nvidia.com/gpu.memory': String(80 * 1024),
      'nvidia.com/gpu.family': 'hopper',
      'nvidia.com/mig.strategy': 'mixed',
      'nvidia.com/mig-1g.10gb.product': 'NVIDIA-H100-80GB-HBM3-MIG-1g.10gb',
      'nvidia.com/mig-1g.10gb.count': '7',
      'nvidia.com/mig-1g.10gb.memory': String(10 * 1024),
    });
    // a selector written for a real cluster's MIG node matches the local one
    const d = decidePlacement(
      { fingerprint: 'f', resources: { 'nvidia.com/mig-1g.10gb': 1 }, priorityRank: 2, allowEviction: false, nodeSelector: { 'nvidia.com/mig-1g.10gb.product': 'NVIDIA-H100-80GB-HBM3-MIG-1g.10gb' } },
      [n],
      [],
    );
    expect(d).toMatchObject({ action: 'place', resources: { 'nvidia.com/mig-1g.10gb': 1 } });
  });

  it('derives MIG profiles of GPUs the catalogue lists without them (H100 NVL 1g.12gb) from the parent and the profile', () => {
    expect(findHardware('H100-NVL-MIG-1g.12gb')).toBeUndefined();
    const hw = deriveMigHardware('H100-NVL-MIG-1g.12gb')!;
    const nvl = findHardware('H100-NVL')!;
    expect(hw).toMatchObject({ name: 'H100-NVL-MIG-1g.12gb', resource_name: 'nvidia.com/mig-1g.12gb', memory_gb: 12, product_labels: ['NVIDIA-H100-NVL-MIG-1g.12gb'] });
    expect(hw.peak_fp16_TFLOPS).toBeCloseTo(nvl.peak_fp16_TFLOPS / 7, 6);
    // 12 of 94 GB is one of eight memory slices, and bandwidth follows the memory slices
    expect(hw.mig).toEqual({ parent: 'H100-NVL', compute_slices: 1, memory_slices: 1, per_gpu: 7 });
    expect(hw.memory_bandwidth_GBps).toBeCloseTo(nvl.memory_bandwidth_GBps / 8, 6);
    expect(deriveMigHardware('H100-NVL-MIG-3g.47gb')!.mig).toMatchObject({ compute_slices: 3, memory_slices: 4, per_gpu: 2 });
    expect(deriveMigHardware('H100-NVL-MIG-9g.12gb')).toBeUndefined();
    expect(deriveMigHardware('H100-NVL-MIG-1g.500gb')).toBeUndefined();
    expect(deriveMigHardware('TPU-MIG-1g.12gb')).toBeUndefined();
    expect(resolveHardware('A100-80G-MIG-3g.40gb')!.name).toBe('A100-80G-MIG-3g.40gb');

    const local = localNode(parseLocalDevices('H100-NVL:1,H100-NVL-MIG-1g.12gb:7'));
    expect(local.allocatable['nvidia.com/mig-1g.12gb']).toBe(7);
    expect(local.labels!['nvidia.com/mig-1g.12gb.product']).toBe('NVIDIA-H100-NVL-MIG-1g.12gb');
    const view = nodeView(local, {}).devices.find((d) => d.resource_name === 'nvidia.com/mig-1g.12gb')!;
    expect(view).toMatchObject({ name: 'H100-NVL-MIG-1g.12gb', total_count: 7 });
    // the emulator gets a catalogued profile close to it (same compute slices) until the simulator knows the exact one
    const sim = emulatedHardware(local, { 'nvidia.com/mig-1g.12gb': 1 });
    expect(findHardware(sim)?.mig?.compute_slices).toBe(1);

    // a real cluster's H100 NVL node with the mixed MIG strategy
    const k = nodeFromKube({
      metadata: { name: 'nvl', labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL', 'nvidia.com/mig-1g.12gb.product': 'NVIDIA-H100-NVL-MIG-1g.12gb' } },
      status: { allocatable: { 'nvidia.com/mig-1g.12gb': '7', 'nvidia.com/gpu': '1' }, capacity: { cpu: '32' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(k.hardware['nvidia.com/mig-1g.12gb']!.name).toBe('H100-NVL-MIG-1g.12gb');
    expect(k.hardware['nvidia.com/gpu']!.name).toBe('H100-NVL');
    const unknownProduct = nodeFromKube({ metadata: { name: 't4', labels: { 'nvidia.com/gpu.product': 'Tesla-T4' } }, status: { allocatable: { 'nvidia.com/gpu': '1' } } });
    // an unknown product is unknown, not silently an H100
    expect(unknownProduct.hardware['nvidia.com/gpu']).toBeUndefined();
  });

  it('bounds CPU deployments on the local node: cpu:N slots (default 4), one per CPU deployment', () => {
    expect(localNode(parseLocalDevices('cpu:2')).allocatable).toEqual({ [CPU_SLOT]: 2 });
    expect(localNode(parseLocalDevices('H100:1,cpu:0')).allocatable[CPU_SLOT]).toBe(0);
    expect(() => parseLocalDevices('cpu:-1')).toThrow(/bad count/);
    const n = localNode(parseLocalDevices('cpu:2'));
    const cpuReq = { fingerprint: 'f', resources: {}, priorityRank: 2, allowEviction: false };
    const run = (id: string) => ({ id, node: n.name, resources: { [CPU_SLOT]: 1 }, managedByBenchops: true, priorityRank: 2, healthy: true, fingerprint: id });
    expect(decidePlacement(cpuReq, [n], [run('a')])).toMatchObject({ action: 'place', resources: { [CPU_SLOT]: 1 } });
    const full = decidePlacement(cpuReq, [n], [run('a'), run('b')]);
    expect(full).toMatchObject({ action: 'wait', blocking: ['a', 'b'] });
    expect(full.reason).toMatch(/1 CPU deployment slot not free/);
    expect(decidePlacement(cpuReq, [localNode(parseLocalDevices('cpu:0'))], [])).toMatchObject({ action: 'unschedulable', reason: expect.stringMatching(/CPU deployment slot allocatable even when empty/) });
    const cpu = nodeView(n, { [CPU_SLOT]: 1 }).devices.find((d) => d.type === 'cpu')!;
    expect(cpu.device_info).toMatchObject({ deployment_slots: 2, deployment_slots_free: 1 });
  });
});

describe('names and fingerprints', () => {
  it('makes DNS-1035 names of at most 53 characters, unique per id', () => {
    const long = k8sName('meta-llama/Llama-3.1-70B-Instruct-with-a-very-long-suffix_and_underscores.v2', 'a1b2c3d4-0000');
    expect(long.length).toBeLessThanOrEqual(53);
    expect(long).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(long.endsWith('-a1b2c3d4')).toBe(true);
    expect(k8sName('Qwen/Qwen3-8B', 'ffff0000')).toBe('vllm-qwen3-8b-ffff0000');
    expect(k8sName('Qwen/Qwen3-8B', 'ffff0000')).not.toBe(k8sName('Qwen/Qwen3-8B', 'eeee0000'));
  });

  it('fingerprints what is served, not how the request was written', () => {
    const a = vllmConfigSchema.parse({ model_name: 'm', additional_args: { a: true, b: 1 } });
    const b = vllmConfigSchema.parse({ additional_args: { b: 1, a: true }, model_name: 'm', served_model_name: 'm', namespace: 'vllm' });
    expect(fingerprint(a, 'local')).toBe(fingerprint(b, 'local'));
    expect(fingerprint(a, 'local')).not.toBe(fingerprint(a, 'other-cluster'));
    expect(fingerprint(a, 'local')).not.toBe(fingerprint({ ...a, max_num_seqs: 8 }, 'local'));
    expect(fingerprint(a, 'local')).not.toBe(fingerprint({ ...a, gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1 }, 'local'));
  });
});
