/** Table-driven GPU placement: fits, waits, other node, MIG vs full GPU, reuse, eviction only when allowed and only of BenchOps' own. */
import { describe, expect, it } from 'vitest';
import { decidePlacement, type NodeCapacity, type PlacementRequest, type Workload } from '../src/services/vllm/placement.ts';

const node = (name: string, allocatable: Record<string, number>, extra: Partial<NodeCapacity> = {}): NodeCapacity => ({
  name,
  ready: true,
  allocatable,
  labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
  ...extra,
});
const req = (resources: Record<string, number>, extra: Partial<PlacementRequest> = {}): PlacementRequest => ({
  fingerprint: 'fp-new',
  resources,
  priorityRank: 1,
  allowEviction: false,
  ...extra,
});
const ours = (id: string, nodeName: string, resources: Record<string, number>, extra: Partial<Workload> = {}): Workload => ({
  id,
  node: nodeName,
  resources,
  managedByBenchops: true,
  priorityRank: 3,
  fingerprint: `fp-${id}`,
  healthy: true,
  ...extra,
});
const foreign = (id: string, nodeName: string, resources: Record<string, number>): Workload => ({
  id,
  node: nodeName,
  resources,
  managedByBenchops: false,
  priorityRank: -1,
});

const GPU = 'nvidia.com/gpu';
const MIG3 = 'nvidia.com/mig-3g.40gb';
const MIG1 = 'nvidia.com/mig-1g.10gb';

interface Case {
  name: string;
  request: PlacementRequest;
  nodes: NodeCapacity[];
  running: Workload[];
  expect: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: 'fits on the only node',
    request: req({ [GPU]: 2 }),
    nodes: [node('a', { [GPU]: 4 })],
    running: [ours('x', 'a', { [GPU]: 1 })],
    expect: { action: 'place', node: 'a', reason: 'nvidia.com/gpu=2 free on a' },
  },
  {
    name: 'CPU-only request needs no GPU and is placed',
    request: req({}),
    nodes: [node('a', { [GPU]: 1 })],
    running: [ours('x', 'a', { [GPU]: 1 })],
    expect: { action: 'place', node: 'a', reason: 'no accelerator requested; runs on a' },
  },
  {
    name: 'waits when the GPUs are busy and eviction is not allowed',
    request: req({ [GPU]: 2 }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [ours('x', 'a', { [GPU]: 1 })],
    expect: { action: 'wait', blocking: ['x'] },
  },
  {
    name: 'goes to another node that fits',
    request: req({ [GPU]: 2 }),
    nodes: [node('a', { [GPU]: 2 }), node('b', { [GPU]: 2 })],
    running: [ours('x', 'a', { [GPU]: 1 })],
    expect: { action: 'place', node: 'b' },
  },
  {
    name: 'packs: prefers the node with the least capacity left over',
    request: req({ [GPU]: 1 }),
    nodes: [node('big', { [GPU]: 8 }), node('small', { [GPU]: 2 })],
    running: [ours('x', 'small', { [GPU]: 1 })],
    expect: { action: 'place', node: 'small' },
  },
  {
    name: 'skips NotReady and cordoned nodes',
    request: req({ [GPU]: 1 }),
    nodes: [node('down', { [GPU]: 8 }, { ready: false }), node('cordoned', { [GPU]: 8 }, { unschedulable: true }), node('ok', { [GPU]: 1 })],
    running: [],
    expect: { action: 'place', node: 'ok' },
  },
  {
    name: 'a MIG request does not use full GPUs',
    request: req({ [MIG3]: 1 }),
    nodes: [node('full', { [GPU]: 8 }), node('mig', { [MIG3]: 2, [MIG1]: 7 })],
    running: [],
    expect: { action: 'place', node: 'mig' },
  },
  {
    name: 'a full-GPU request does not use MIG slices',
    request: req({ [GPU]: 1 }),
    nodes: [node('mig', { [MIG3]: 2 })],
    running: [],
    expect: { action: 'unschedulable' },
  },
  {
    name: 'MIG profiles are counted per profile',
    request: req({ [MIG3]: 1 }),
    nodes: [node('mig', { [MIG3]: 2, [MIG1]: 7 })],
    running: [ours('x', 'mig', { [MIG3]: 1 }), ours('y', 'mig', { [MIG1]: 7 })],
    expect: { action: 'place', node: 'mig' },
  },
  {
    name: 'MIG profile exhausted: waits',
    request: req({ [MIG3]: 1 }),
    nodes: [node('mig', { [MIG3]: 2, [MIG1]: 7 })],
    running: [ours('x', 'mig', { [MIG3]: 1 }), ours('y', 'mig', { [MIG3]: 1 })],
    expect: { action: 'wait' },
  },
  {
    name: 'reuses an identical healthy running deployment',
    request: req({ [GPU]: 1 }, { fingerprint: 'fp-x' }),
    nodes: [node('a', { [GPU]: 1 })],
    running: [ours('x', 'a', { [GPU]: 1 })],
    expect: { action: 'reuse', deployment_id: 'x' },
  },
  {
    name: 'does not reuse an unhealthy identical deployment',
    request: req({ [GPU]: 1 }, { fingerprint: 'fp-x' }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [ours('x', 'a', { [GPU]: 1 }, { healthy: false })],
    expect: { action: 'place', node: 'a' },
  },
  {
    name: 'does not reuse a workload BenchOps did not create even with the same fingerprint',
    request: req({ [GPU]: 1 }, { fingerprint: 'fp-z' }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [{ ...foreign('ns/z', 'a', { [GPU]: 1 }), fingerprint: 'fp-z', healthy: true }],
    expect: { action: 'place', node: 'a' },
  },
  {
    name: 'reuse can be turned off',
    request: req({ [GPU]: 1 }, { fingerprint: 'fp-x', allowReuse: false }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [ours('x', 'a', { [GPU]: 1 })],
    expect: { action: 'place' },
  },
  {
    name: 'evicts a lower-priority BenchOps deployment when allowed',
    request: req({ [GPU]: 2 }, { allowEviction: true, priorityRank: 0 }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [ours('low', 'a', { [GPU]: 1 }, { priorityRank: 3 })],
    expect: { action: 'evict', node: 'a', evict: ['low'] },
  },
  {
    name: 'never evicts a workload BenchOps did not create',
    request: req({ [GPU]: 2 }, { allowEviction: true, priorityRank: 0 }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [foreign('team/training', 'a', { [GPU]: 1 })],
    expect: { action: 'wait', blocking: ['team/training'] },
  },
  {
    name: 'never evicts an equal- or higher-priority deployment',
    request: req({ [GPU]: 2 }, { allowEviction: true, priorityRank: 2 }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [ours('same', 'a', { [GPU]: 1 }, { priorityRank: 2 }), ours('higher', 'a', { [GPU]: 1 }, { priorityRank: 0 })],
    expect: { action: 'wait' },
  },
  {
    name: 'never evicts a pinned deployment (serving another running request)',
    request: req({ [GPU]: 1 }, { allowEviction: true, priorityRank: 0 }),
    nodes: [node('a', { [GPU]: 1 })],
    running: [ours('busy', 'a', { [GPU]: 1 }, { pinned: true })],
    expect: { action: 'wait' },
  },
  {
    name: 'evicts only as many as needed, lowest priority first',
    request: req({ [GPU]: 2 }, { allowEviction: true, priorityRank: 0 }),
    nodes: [node('a', { [GPU]: 4 })],
    running: [
      ours('med', 'a', { [GPU]: 1 }, { priorityRank: 2 }),
      ours('low1', 'a', { [GPU]: 1 }, { priorityRank: 3 }),
      ours('low2', 'a', { [GPU]: 1 }, { priorityRank: 3 }),
      foreign('ns/p', 'a', { [GPU]: 1 }),
    ],
    expect: { action: 'evict', evict: ['low1', 'low2'] },
  },
  {
    name: 'prefers a free node over evicting',
    request: req({ [GPU]: 1 }, { allowEviction: true, priorityRank: 0 }),
    nodes: [node('a', { [GPU]: 1 }), node('b', { [GPU]: 1 })],
    running: [ours('low', 'a', { [GPU]: 1 })],
    expect: { action: 'place', node: 'b' },
  },
  {
    name: 'eviction that cannot free enough waits instead',
    request: req({ [GPU]: 2 }, { allowEviction: true, priorityRank: 0 }),
    nodes: [node('a', { [GPU]: 2 })],
    running: [ours('low', 'a', { [GPU]: 1 }), foreign('ns/p', 'a', { [GPU]: 1 })],
    expect: { action: 'wait' },
  },
  {
    name: 'node selector restricts the nodes',
    request: req({ [GPU]: 1 }, { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL' } }),
    nodes: [node('h100', { [GPU]: 8 }), node('nvl', { [GPU]: 1 }, { labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL' } })],
    running: [],
    expect: { action: 'place', node: 'nvl' },
  },
  {
    name: 'no node matches the selector: unschedulable, naming the selector and what the nodes have',
    request: req({ [GPU]: 1 }, { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H200' } }),
    nodes: [node('h100', { [GPU]: 8 }), node('nvl', { [GPU]: 1 }, { labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL' } })],
    running: [],
    expect: {
      action: 'unschedulable',
      reason:
        'no ready node matches nodeSelector {nvidia.com/gpu.product=NVIDIA-H200} (h100: nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3; nvl: nvidia.com/gpu.product=NVIDIA-H100-NVL)',
    },
  },
  {
    name: 'pools: a selector for one product waits for that product even while the other is free',
    request: req({ [GPU]: 1 }, { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL' } }),
    nodes: [
      node(
        'local',
        { [`${GPU}@H100-80G`]: 2, [`${GPU}@H100-NVL`]: 1 },
        {
          labels: {},
          pools: {
            [`${GPU}@H100-80G`]: { resource: GPU, hardware: 'H100-80G', labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' } },
            [`${GPU}@H100-NVL`]: { resource: GPU, hardware: 'H100-NVL', labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-NVL' } },
          },
        },
      ),
    ],
    running: [ours('x', 'local', { [`${GPU}@H100-NVL`]: 1 })],
    expect: { action: 'wait', blocking: ['x'] },
  },
  {
    name: 'pools: the requested hardware picks the pool; no selector packs the fuller one',
    request: req({ [GPU]: 1 }, { hardware: 'H100-NVL' }),
    nodes: [
      node(
        'local',
        { [`${GPU}@H100-80G`]: 1, [`${GPU}@H100-NVL`]: 2 },
        {
          labels: {},
          pools: {
            [`${GPU}@H100-80G`]: { resource: GPU, hardware: 'H100-80G', labels: {} },
            [`${GPU}@H100-NVL`]: { resource: GPU, hardware: 'H100-NVL', labels: {} },
          },
        },
      ),
    ],
    running: [],
    expect: { action: 'place', node: 'local', resources: { [`${GPU}@H100-NVL`]: 1 } },
  },
  {
    name: 'chosen nodes restrict the nodes (seed 003 step 4)',
    request: req({ [GPU]: 1 }, { nodes: ['b'] }),
    nodes: [node('a', { [GPU]: 8 }), node('b', { [GPU]: 1 })],
    running: [ours('x', 'b', { [GPU]: 1 })],
    expect: { action: 'wait' },
  },
  {
    name: 'more than any node has: unschedulable, not a wait forever',
    request: req({ [GPU]: 16 }),
    nodes: [node('a', { [GPU]: 8 }), node('b', { [GPU]: 8 })],
    running: [],
    expect: { action: 'unschedulable' },
  },
  {
    name: 'no nodes: unschedulable',
    request: req({ [GPU]: 1 }),
    nodes: [],
    running: [],
    expect: { action: 'unschedulable' },
  },
];

describe('decidePlacement', () => {
  it.each(cases)('$name', (c) => {
    const d = decidePlacement(c.request, c.nodes, c.running);
    expect(d).toMatchObject(c.expect);
    expect(typeof d.reason).toBe('string');
  });

  it('does not change its inputs', () => {
    const nodes = [node('a', { [GPU]: 2 })];
    const running = [ours('x', 'a', { [GPU]: 1 })];
    const snapshot = JSON.stringify({ nodes, running });
    decidePlacement(req({ [GPU]: 2 }, { allowEviction: true, priorityRank: 0 }), nodes, running);
    expect(JSON.stringify({ nodes, running })).toBe(snapshot);
  });
});
