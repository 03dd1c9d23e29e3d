/**
 * Nodes and devices in seed 003's shape (`hostname`, `status`, `devices[]` with `name`, `type`, `device_info`,
 * `device_config.peak_fp16_TFLOPS`, memory bandwidth, `available_count`), from a device description (the local
 * node) or from Kubernetes node capacity and labels, with figures from the simulator's hardware catalogue.
 */
import os from 'node:os';
import { findHardware, HARDWARE_CATALOGUE, hardwareForResource, type HardwareSpec } from '../../simulator/catalog.ts';
import { CPU_SLOT, type NodeCapacity, type Resources } from './placement.ts';

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

/** The local node's CPU deployments at once when BENCHOPS_LOCAL_DEVICES gives no `cpu:N` (each is one emulated server process). */
export const DEFAULT_LOCAL_CPU_SLOTS = 4;

/**
 * A MIG profile of a catalogue GPU the catalogue does not list (`H100-NVL-MIG-1g.12gb`), derived as NVIDIA slices it:
 * `<g>` of 7 compute slices, the profile's memory as a share of 8 memory slices (bandwidth scales with them).
 */
export function deriveMigHardware(name: string): HardwareSpec | undefined {
  const m = /^(.+)-MIG-(\d)g\.(\d+)gb$/i.exec(name.trim());
  if (!m) return undefined;
  const parent = findHardware(m[1]);
  const g = Number(m[2]);
  const memGb = Number(m[3]);
  if (!parent || parent.type !== 'gpu' || parent.mig || g < 1 || g > 7 || memGb < 1 || memGb > parent.memory_gb + 1) return undefined;
  const memSlices = Math.min(8, Math.max(1, Math.round((memGb / parent.memory_gb) * 8)));
  const profile = `${g}g.${memGb}gb`;
  return {
    name: `${parent.name}-MIG-${profile}`,
    aliases: [],
    type: 'gpu',
    vendor: parent.vendor,
    product_labels: parent.product_labels.map((l) => `${l}-MIG-${profile}`),
    resource_name: `nvidia.com/mig-${profile}`,
    memory_gb: memGb,
    peak_fp16_TFLOPS: (parent.peak_fp16_TFLOPS * g) / 7,
    memory_bandwidth_GBps: (parent.memory_bandwidth_GBps * memSlices) / 8,
    interconnect_GBps: 0,
    mig: { parent: parent.name, compute_slices: g, memory_slices: memSlices, per_gpu: Math.min(Math.floor(7 / g), Math.floor(8 / memSlices)) },
  };
}

/** Catalogue hardware by name, alias or product label, or a MIG profile derived from its parent GPU. */
export function resolveHardware(name: string): HardwareSpec | undefined {
  return findHardware(name) ?? deriveMigHardware(name);
}

/**
 * The name to give the emulated server (`sim serve --hardware`): the hardware itself when the simulator's catalogue
 * knows it, else (a derived MIG profile) the catalogued MIG profile closest to it in compute and memory slices.
 */
export function simulatorHardwareName(hw: HardwareSpec): string {
  if (findHardware(hw.name)) return hw.name;
  if (hw.mig) {
    const near = HARDWARE_CATALOGUE.filter((h) => h.mig)
      .map((h) => ({ h, d: Math.abs(h.mig!.compute_slices - hw.mig!.compute_slices) * 10 + Math.abs(h.memory_gb - hw.memory_gb) }))
      .sort((a, b) => a.d - b.d)[0];
    if (near) return near.h.name;
  }
  return hw.mig?.parent ?? hw.name;
}

/**
 * Parses the local device description: JSON `[{"hardware":"H100-80G","count":2}]` or `H100-80G:2,A100-80G-MIG-3g.40gb:2`.
 * A `cpu:N` entry sets how many CPU deployments (emulated servers without a GPU) may run at once (default
 * DEFAULT_LOCAL_CPU_SLOTS). Empty → CPU only. Throws an Error naming the bad entry.
 */
export function parseLocalDevices(text: string | undefined): LocalDevice[] {
  if (!text || !text.trim()) return [];
  let entries: Array<{ hardware?: string; name?: string; count?: number }>;
  if (text.trim().startsWith('[')) {
    try {
      entries = JSON.parse(text);
    } catch {
      throw new Error('BENCHOPS_LOCAL_DEVICES: not valid JSON');
    }
    if (!Array.isArray(entries)) throw new Error('BENCHOPS_LOCAL_DEVICES: the JSON form is a list of {hardware, count}');
  } else {
    entries = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const i = s.lastIndexOf(':');
        return i > 0 ? { hardware: s.slice(0, i), count: Number(s.slice(i + 1)) } : { hardware: s, count: 1 };
      });
  }
  const devices: LocalDevice[] = [];
  for (const e of entries) {
    const name = String(e?.hardware ?? e?.name ?? '');
    const hw = resolveHardware(name);
    if (!hw) throw new Error(`BENCHOPS_LOCAL_DEVICES: unknown hardware "${name}" (see the simulator's hardware catalogue; MIG profiles look like H100-NVL-MIG-1g.12gb)`);
    const count = e.count ?? 1;
    if (!Number.isInteger(count) || count < (hw.type === 'cpu' ? 0 : 1)) throw new Error(`BENCHOPS_LOCAL_DEVICES: bad count for "${name}"`);
    // the same hardware named twice (H100:1,H100-80G:1) is one group
    const same = devices.find((d) => d.hardware === hw.name);
    if (same) same.count += count;
    else devices.push({ hardware: hw.name, count });
  }
  return devices;
}

/** Pool key of a full-GPU product that shares its resource name with another product on the same node. */
export const poolKey = (resource: string, hardware: string) => `${resource}@${hardware}`;

/** MiB as GPU feature discovery reports `nvidia.com/gpu.memory` (the datasheet GB, as the driver rounds it). */
const mib = (gb: number) => String(Math.round(gb * 1024));
const family = (hw: HardwareSpec) => (/^[HG]\d/.test(hw.name) ? 'hopper' : /^A\d/.test(hw.name) ? 'ampere' : /^L\d/.test(hw.name) ? 'ada-lovelace' : 'unknown');

/** GPU feature discovery's labels for one full-GPU product (`nvidia.com/gpu.*`). */
function gpuLabels(hw: HardwareSpec, count: number): Record<string, string> {
  return {
    'nvidia.com/gpu.present': 'true',
    'nvidia.com/gpu.product': hw.product_labels[0] ?? hw.name,
    'nvidia.com/gpu.count': String(count),
    'nvidia.com/gpu.memory': mib(hw.memory_gb),
    'nvidia.com/gpu.family': family(hw),
  };
}

/**
 * The built-in `local` cluster's single node, labelled as GPU feature discovery labels a real node (product, count,
 * memory, family; `nvidia.com/mig-<profile>.*` for MIG slices, mig.strategy mixed), so a nodeSelector written for a
 * real cluster matches. Two full-GPU products on one machine both answer to `nvidia.com/gpu`: each becomes a pool
 * (`nvidia.com/gpu@H100-NVL`) with its own product labels, and placement picks the pool the selector names.
 */
export function localNode(devices: LocalDevice[]): ClusterNode {
  const allocatable: Resources = {};
  const hardware: Record<string, HardwareSpec | undefined> = {};
  const pools: NonNullable<NodeCapacity['pools']> = {};
  const cpus = os.cpus();
  const labels: Record<string, string> = { 'kubernetes.io/hostname': os.hostname(), 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': os.arch() === 'x64' ? 'amd64' : os.arch() };
  const full = devices.map((d) => ({ d, hw: resolveHardware(d.hardware)! })).filter((x) => x.hw.type === 'gpu' && !x.hw.mig);
  const pooled = full.length > 1;
  for (const { d, hw } of full) {
    const key = pooled ? poolKey(hw.resource_name, hw.name) : hw.resource_name;
    allocatable[key] = (allocatable[key] ?? 0) + d.count;
    hardware[key] = hw;
    if (pooled) pools[key] = { resource: hw.resource_name, hardware: hw.name, labels: gpuLabels(hw, d.count) };
    else Object.assign(labels, gpuLabels(hw, d.count));
  }
  for (const d of devices) {
    const hw = resolveHardware(d.hardware)!;
    if (!hw.mig) continue;
    allocatable[hw.resource_name] = (allocatable[hw.resource_name] ?? 0) + d.count;
    hardware[hw.resource_name] = hw;
    const profile = hw.resource_name.slice('nvidia.com/mig-'.length);
    Object.assign(labels, {
      'nvidia.com/mig.strategy': 'mixed',
      [`nvidia.com/mig-${profile}.product`]: hw.product_labels[0] ?? hw.name,
      [`nvidia.com/mig-${profile}.count`]: String(allocatable[hw.resource_name]),
      [`nvidia.com/mig-${profile}.memory`]: mib(hw.memory_gb),
      [`nvidia.com/mig-${profile}.slices.gi`]: String(hw.mig.compute_slices),
      [`nvidia.com/mig-${profile}.slices.ci`]: String(hw.mig.compute_slices),
    });
  }
  if (pooled) {
    // the node-wide count is every full GPU, as the device plugin advertises them under one resource name
    labels['nvidia.com/gpu.present'] = 'true';
    labels['nvidia.com/gpu.count'] = String(full.reduce((s, x) => s + x.d.count, 0));
  }
  const cpuEntries = devices.filter((d) => resolveHardware(d.hardware)?.type === 'cpu');
  allocatable[CPU_SLOT] = cpuEntries.length ? cpuEntries.reduce((n, d) => n + d.count, 0) : DEFAULT_LOCAL_CPU_SLOTS;
  return {
    name: os.hostname(),
    ready: true,
    allocatable,
    hardware,
    labels,
    ...(pooled ? { pools } : {}),
    cpuCores: cpus.length,
    cpuModel: cpus[0]?.model?.trim(),
  };
}

const CPU_HW = findHardware('cpu');

/** Seed 003 node view: one device entry per accelerator group (resource name, or pool), plus the CPU. */
export function nodeView(node: ClusterNode, used: Resources): NodeView {
  const devices: DeviceView[] = [];
  for (const [key, total] of Object.entries(node.allocatable)) {
    if (key === CPU_SLOT) continue;
    const hw = node.hardware[key];
    const res = node.pools?.[key]?.resource ?? key;
    devices.push({
      name: hw?.name ?? res,
      type: 'gpu',
      device_info: {
        resource_name: res,
        memory_gb: hw?.memory_gb ?? null,
        vendor: hw?.vendor ?? null,
        ...(hw?.mig ? { mig: hw.mig } : {}),
        ...(node.pools?.[key] ? { pool: key, labels: node.pools[key].labels } : {}),
      },
      device_config: {
        peak_fp16_TFLOPS: hw?.peak_fp16_TFLOPS ?? 0,
        memory_bandwidth_GBps: hw?.memory_bandwidth_GBps ?? 0,
        memory_gb: hw?.memory_gb ?? 0,
      },
      available_count: Math.max(0, total - (used[key] ?? 0)),
      total_count: total,
      resource_name: res,
    });
  }
  const slots = node.allocatable[CPU_SLOT];
  devices.push({
    name: node.cpuModel || CPU_HW?.name || 'cpu',
    type: 'cpu',
    device_info: {
      num_virtual_cores: node.cpuCores,
      // local node: how many CPU deployments (emulated servers) may run at once, and how many are free
      ...(slots !== undefined ? { deployment_slots: slots, deployment_slots_free: Math.max(0, slots - (used[CPU_SLOT] ?? 0)) } : {}),
    },
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

/**
 * The hardware behind a resource name on a node, from GPU feature discovery's labels: a MIG profile is derived from
 * its parent GPU (`nvidia.com/mig-1g.12gb` on an H100 NVL node → H100-NVL-MIG-1g.12gb); an unknown product is unknown.
 */
export function hardwareOnNode(resource: string, labels: Record<string, string>): HardwareSpec | undefined {
  const strip = (l: string) => l.replace(/-MIG-.*$/, '').replace(/-SHARED$/, '');
  if (resource.startsWith('nvidia.com/mig-')) {
    const profile = resource.slice('nvidia.com/mig-'.length);
    const label = labels[`nvidia.com/mig-${profile}.product`] ?? labels['nvidia.com/gpu.product'];
    const parent = label ? findHardware(strip(label)) : undefined;
    const derived = parent ? resolveHardware(`${parent.name}-MIG-${profile}`) : undefined;
    return derived ?? hardwareForResource(resource, label);
  }
  const product = labels['nvidia.com/gpu.product'];
  if (resource === 'nvidia.com/gpu' && product) return findHardware(strip(product));
  return hardwareForResource(resource, product);
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
    hardware[k] = hardwareOnNode(k, labels);
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

/**
 * Hardware to emulate for a deployment on a node: the config's choice, else the device behind the resources it holds
 * (a pool key names the product), else CPU; always a name the simulator knows (see simulatorHardwareName).
 */
export function emulatedHardware(node: ClusterNode | undefined, resources: Resources | string, explicit?: string | null): string {
  const explicitHw = explicit ? resolveHardware(explicit) : undefined;
  if (explicitHw) return simulatorHardwareName(explicitHw);
  if (explicit) return explicit;
  const keys = typeof resources === 'string' ? [resources] : Object.keys(resources);
  for (const k of keys) {
    const hw = node?.hardware[k];
    if (hw) return simulatorHardwareName(hw);
  }
  return CPU_HW?.name ?? 'cpu';
}
