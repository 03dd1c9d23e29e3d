/**
 * Nodes and devices in seed 003's shape (`hostname`, `status`, `devices[]` with `name`, `type`, `device_info`,
 * `device_config.peak_fp16_TFLOPS`, memory bandwidth, `available_count`), from a device description (the local
 * node) or from Kubernetes node capacity and labels, with figures from the simulator's hardware catalogue.
 */
import os from 'node:os';
import { findHardware, hardwareForResource, type HardwareSpec } from '../../simulator/catalog.ts';
import type { NodeCapacity, Resources } from './placement.ts';

export interface DeviceView {
  name: string;
  type: 'gpu' | 'cpu';
  device_info: Record<string, unknown>;
  device_config: { peak_fp16_TFLOPS: number; memory_bandwidth_GBps: number; memory_gb: number };
  available_count: number;
  total_count: number;
  resource_name: string;
}

export interface NodeView {
  hostname: string;
  status: 'Ready' | 'NotReady' | 'SchedulingDisabled';
  devices: DeviceView[];
  labels?: Record<string, string>;
}

/** A node as the service sees it: capacity for placement plus the hardware behind each resource name. */
export interface ClusterNode extends NodeCapacity {
  /** resource name → catalogue hardware (undefined when unknown). */
  hardware: Record<string, HardwareSpec | undefined>;
  cpuCores: number;
  cpuModel?: string;
}

export interface LocalDevice {
  hardware: string;
  count: number;
}

/**
 * Parses the local device description: JSON `[{"hardware":"H100-80G","count":2}]` or `H100-80G:2,A100-80G-MIG-3g.40gb:2`.
 * Empty → one CPU device. Throws an Error naming the bad entry.
 */
export function parseLocalDevices(text: string | undefined): LocalDevice[] {
  if (!text || !text.trim()) return [];
  let entries: Array<{ hardware?: string; name?: string; count?: number }>;
  if (text.trim().startsWith('[')) entries = JSON.parse(text);
  else {
    entries = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const i = s.lastIndexOf(':');
        return i > 0 ? { hardware: s.slice(0, i), count: Number(s.slice(i + 1)) } : { hardware: s, count: 1 };
      });
  }
  return entries.map((e) => {
    const name = e.hardware ?? e.name ?? '';
    const hw = findHardware(name);
    if (!hw) throw new Error(`BENCHOPS_LOCAL_DEVICES: unknown hardware "${name}" (see the simulator's hardware catalogue)`);
    const count = e.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new Error(`BENCHOPS_LOCAL_DEVICES: bad count for "${name}"`);
    return { hardware: hw.name, count };
  });
}

/** The built-in `local` cluster's single node. */
export function localNode(devices: LocalDevice[]): ClusterNode {
  const allocatable: Resources = {};
  const hardware: Record<string, HardwareSpec | undefined> = {};
  for (const d of devices) {
    const hw = findHardware(d.hardware)!;
    if (hw.type === 'cpu') continue;
    allocatable[hw.resource_name] = (allocatable[hw.resource_name] ?? 0) + d.count;
    hardware[hw.resource_name] = hw;
  }
  const cpus = os.cpus();
  const labels: Record<string, string> = { 'kubernetes.io/hostname': os.hostname() };
  // like GPU feature discovery: the product label of the (first) full GPU, so Helm values' nodeSelectors can match
  const product = Object.values(hardware).find((h) => h && !h.mig && h.product_labels.length)?.product_labels[0];
  if (product) labels['nvidia.com/gpu.product'] = product;
  return {
    name: os.hostname(),
    ready: true,
    allocatable,
    hardware,
    labels,
    cpuCores: cpus.length,
    cpuModel: cpus[0]?.model?.trim(),
  };
}

const CPU_HW = findHardware('cpu');

/** Seed 003 node view: one device entry per accelerator resource name, plus the CPU. */
export function nodeView(node: ClusterNode, used: Resources): NodeView {
  const devices: DeviceView[] = [];
  for (const [res, total] of Object.entries(node.allocatable)) {
    const hw = node.hardware[res];
    devices.push({
      name: hw?.name ?? res,
      type: 'gpu',
      device_info: { resource_name: res, memory_gb: hw?.memory_gb ?? null, vendor: hw?.vendor ?? null, ...(hw?.mig ? { mig: hw.mig } : {}) },
      device_config: {
        peak_fp16_TFLOPS: hw?.peak_fp16_TFLOPS ?? 0,
        memory_bandwidth_GBps: hw?.memory_bandwidth_GBps ?? 0,
        memory_gb: hw?.memory_gb ?? 0,
      },
      available_count: Math.max(0, total - (used[res] ?? 0)),
      total_count: total,
      resource_name: res,
    });
  }
  devices.push({
    name: node.cpuModel || CPU_HW?.name || 'cpu',
    type: 'cpu',
    device_info: { num_virtual_cores: node.cpuCores },
    device_config: {
      peak_fp16_TFLOPS: CPU_HW?.peak_fp16_TFLOPS ?? 0,
      memory_bandwidth_GBps: CPU_HW?.memory_bandwidth_GBps ?? 0,
      memory_gb: CPU_HW?.memory_gb ?? 0,
    },
    available_count: node.cpuCores,
    total_count: node.cpuCores,
    resource_name: 'cpu',
  });
  return {
    hostname: node.name,
    status: !node.ready ? 'NotReady' : node.unschedulable ? 'SchedulingDisabled' : 'Ready',
    devices,
    labels: node.labels,
  };
}

/** A Kubernetes node object → ClusterNode (extended resources with a `/` in their name are the accelerators). */
export function nodeFromKube(n: any): ClusterNode {
  const labels: Record<string, string> = n.metadata?.labels ?? {};
  const allocatable: Resources = {};
  const hardware: Record<string, HardwareSpec | undefined> = {};
  for (const [k, v] of Object.entries<any>(n.status?.allocatable ?? {})) {
    if (!k.includes('/') || k.startsWith('hugepages')) continue;
    const count = Number(v);
    if (!Number.isFinite(count) || count <= 0) continue;
    allocatable[k] = count;
    hardware[k] = hardwareForResource(k, labels['nvidia.com/gpu.product']);
  }
  const conds: any[] = n.status?.conditions ?? [];
  const ready = conds.some((c) => c.type === 'Ready' && c.status === 'True');
  const cpu = String(n.status?.capacity?.cpu ?? '0');
  return {
    name: n.metadata?.name,
    ready,
    unschedulable: !!n.spec?.unschedulable,
    allocatable,
    hardware,
    labels,
    cpuCores: cpu.endsWith('m') ? Math.floor(Number(cpu.slice(0, -1)) / 1000) : Number(cpu),
    cpuModel: undefined,
  };
}

/** Hardware to emulate for a request on a node: the config's choice, else the device behind the resource name, else CPU. */
export function emulatedHardware(node: ClusterNode | undefined, resource: string, explicit?: string | null): string {
  if (explicit) return explicit;
  const hw = node?.hardware[resource];
  if (hw) return hw.name;
  return CPU_HW?.name ?? 'cpu';
}
