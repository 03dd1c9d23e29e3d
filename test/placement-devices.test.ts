/** Inputs of placement: the local device description, node capacity from Kubernetes nodes, names and fingerprints. */
import { describe, expect, it } from 'vitest';
import { localNode, nodeFromKube, nodeView, parseLocalDevices } from '../src/services/vllm/devices.ts';
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
    expect(n.allocatable).toEqual({ 'nvidia.com/gpu': 2, 'nvidia.com/mig-3g.40gb': 2, 'nvidia.com/mig-1g.10gb': 7 });
    expect(n.labels!['nvidia.com/gpu.product']).toBe('NVIDIA-H100-80GB-HBM3');
    const cpuOnly = localNode([]);
    expect(cpuOnly.allocatable).toEqual({});
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
