/** GPU occupancy as the page shows it: one bar per node and device group, stacked by holder, with the free rest. */
import type { Built } from '../results/charts/options';

const CPU_SLOT = 'benchops.io/cpu-slot';

export interface Holder {
  id: string;
  kind: 'deployment' | 'workload';
  name: string;
  model: string | null;
  status: string | null;
  count: number;
}
export interface OccupancyDevice {
  key: string;
  name: string;
  resource_name: string;
  mig_profile: string | null;
  total: number;
  used: number;
  free: number;
  holders: Holder[];
}
export interface OccupancyNode {
  hostname: string;
  status: string;
  devices: OccupancyDevice[];
}

/** The label of a device group: product, and the MIG profile when it is one. */
export function deviceLabel(d: Pick<OccupancyDevice, 'name' | 'mig_profile'>): string {
  return d.mig_profile && !d.name.includes(d.mig_profile) ? `${d.name} (MIG ${d.mig_profile})` : d.name;
}

/** Who holds a share, in a few words: the served model of a deployment, else its name. */
export function holderLabel(h: Holder): string {
  return h.kind === 'deployment' ? (h.model ?? h.name) : `${h.name} (not BenchOps)`;
}

/** Totals over every node: devices, used, free (CPU deployment slots left out: they are not accelerators). */
export function totals(nodes: OccupancyNode[]): { total: number; used: number; free: number } {
  const out = { total: 0, used: 0, free: 0 };
  for (const n of nodes) {
    for (const d of n.devices) {
      if (isCpuSlots(d)) continue;
      out.total += d.total;
      out.used += d.used;
      out.free += d.free;
    }
  }
  return out;
}

/** The local node's slots for CPU deployments: in the table, not in the accelerator chart. */
export const isCpuSlots = (d: Pick<OccupancyDevice, 'resource_name'>) => d.resource_name === CPU_SLOT;

/** A horizontal stacked bar chart: a row per node × accelerator group, a series per holder, and "free". */
export function occupancyChart(nodes: OccupancyNode[]): Built {
  const rows = nodes.flatMap((n) => n.devices.filter((d) => !isCpuSlots(d)).map((d) => ({ label: `${n.hostname} · ${deviceLabel(d)}`, d })));
  const holders = new Map<string, string>();
  for (const r of rows) for (const h of r.d.holders) holders.set(h.id, holderLabel(h));
  const series: any[] = [...holders.entries()].map(([id, label]) => ({
    name: label,
    type: 'bar',
    stack: 'occupancy',
    barMaxWidth: 22,
    data: rows.map((r) => r.d.holders.filter((h) => h.id === id).reduce((s, h) => s + h.count, 0) || null),
  }));
  series.push({ name: 'free', type: 'bar', stack: 'occupancy', barMaxWidth: 22, itemStyle: { color: '#dee2e6' }, data: rows.map((r) => r.d.free) });
  const t = totals(nodes);
  return {
    option: {
      grid: { left: 220, right: 24, top: 30, bottom: 30 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0, type: 'scroll', data: series.map((s) => s.name) },
      xAxis: { type: 'value', minInterval: 1, name: 'devices' },
      yAxis: { type: 'category', data: rows.map((r) => r.label), inverse: true },
      series,
    },
    summary: `${t.used} of ${t.total} accelerators in use, ${t.free} free`,
  };
}
