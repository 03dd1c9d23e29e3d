import { describe, expect, it } from 'vitest';
import { deviceLabel, occupancyChart, totals, type OccupancyNode } from './occupancy';

const nodes: OccupancyNode[] = [
  {
    hostname: 'n1',
    status: 'Ready',
    devices: [
      { key: 'nvidia.com/gpu', name: 'L4', resource_name: 'nvidia.com/gpu', mig_profile: null, total: 2, used: 1, free: 1, holders: [{ id: 'd1', kind: 'deployment', name: 'demo', model: 'qwen', status: 'running', count: 1 }] },
      { key: 'nvidia.com/mig-3g.40gb', name: 'A100-80G-MIG-3g.40gb', resource_name: 'nvidia.com/mig-3g.40gb', mig_profile: '3g.40gb', total: 2, used: 2, free: 0, holders: [{ id: 'd2', kind: 'deployment', name: 'x', model: 'm2', status: 'running', count: 1 }, { id: 'ns/p', kind: 'workload', name: 'ns/p', model: null, status: null, count: 1 }] },
      { key: 'benchops.io/cpu-slot', name: 'CPU deployment slots', resource_name: 'benchops.io/cpu-slot', mig_profile: null, total: 4, used: 0, free: 4, holders: [] },
    ],
  },
];

describe('occupancy view', () => {
  it('counts accelerators only', () => {
    expect(totals(nodes)).toEqual({ total: 4, used: 3, free: 1 });
  });
  it('names MIG profiles once', () => {
    expect(deviceLabel({ name: 'A100-80G-MIG-3g.40gb', mig_profile: '3g.40gb' })).toBe('A100-80G-MIG-3g.40gb');
    expect(deviceLabel({ name: 'nvidia.com/mig-1g.10gb', mig_profile: '1g.10gb' })).toBe('nvidia.com/mig-1g.10gb');
    expect(deviceLabel({ name: 'H100', mig_profile: '1g.12gb' })).toBe('H100 (MIG 1g.12gb)');
  });
  it('stacks one series per holder and the free rest, a row per device group', () => {
    const c = occupancyChart(nodes);
    const s = c.option.series as any[];
    expect(s.map((x) => x.name)).toEqual(['qwen', 'm2', 'ns/p (not BenchOps)', 'free']);
    expect(s[0].data).toEqual([1, null]);
    expect(s[2].data).toEqual([null, 1]);
    expect(s[3].data).toEqual([1, 0]);
    // the CPU deployment slots stay out of the accelerator chart
    expect((c.option.yAxis as any).data).toHaveLength(2);
    expect((c.option.yAxis as any).data[1]).toBe('n1 · A100-80G-MIG-3g.40gb');
    expect(c.summary).toBe('3 of 4 accelerators in use, 1 free');
  });
});
