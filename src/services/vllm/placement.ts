/**
 * GPU placement: a pure function from (request, nodes, running workloads) to an explicit decision. Resources are
 * compared per resource name, as the Kubernetes scheduler does (`nvidia.com/gpu`, each `nvidia.com/mig-<profile>`,
 * `amd.com/gpu`…): a MIG-partitioned GPU appears only under its MIG profile names in the node's allocatable, so a
 * full-GPU request and a MIG request never share capacity by accident.
 */

export type Resources = Record<string, number>;

export interface NodeCapacity {
  name: string;
  ready: boolean;
  /** Allocatable extended resources per resource name (GPUs and MIG slices; cpu/memory are not placed here). */
  allocatable: Resources;
  labels?: Record<string, string>;
  /** Cordoned (spec.unschedulable). */
  unschedulable?: boolean;
}

export interface Workload {
  /** BenchOps deployment id, or `<namespace>/<pod>` for objects BenchOps did not create. */
  id: string;
  node: string | null;
  resources: Resources;
  /** Only workloads BenchOps created may ever be evicted or reused. */
  managedByBenchops: boolean;
  /** 0 = urgent … 3 = low (lower number = more important). */
  priorityRank: number;
  fingerprint?: string;
  /** Live check passed (process answers / Deployment ready). */
  healthy?: boolean;
  /**
   * Serving another active queue request: never evicted. (A deployment merely kept running after its request ended —
   * keep_deployment, a direct deploy — is evictable by a higher-priority request that allows eviction.)
   */
  pinned?: boolean;
}

export interface PlacementRequest {
  fingerprint: string;
  resources: Resources;
  priorityRank: number;
  allowEviction: boolean;
  /** Node labels the node must carry (e.g. nvidia.com/gpu.product). */
  nodeSelector?: Record<string, string>;
  /** Restrict to these node names (seed 003's chosen nodes). */
  nodes?: string[];
  /** Reuse an identical, healthy running deployment instead of creating one (default true). */
  allowReuse?: boolean;
}

export type PlacementDecision =
  | { action: 'reuse'; deployment_id: string; node: string | null; reason: string }
  | { action: 'place'; node: string; reason: string; free: Resources }
  | { action: 'evict'; node: string; evict: string[]; reason: string }
  | { action: 'wait'; reason: string; blocking: string[] }
  | { action: 'unschedulable'; reason: string };

const fmt = (r: Resources) =>
  Object.entries(r)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ') || 'no GPUs';

/** Only positive requests matter; zero counts are dropped so a CPU-only request needs nothing. */
export function normalize(r: Resources): Resources {
  const out: Resources = {};
  for (const [k, v] of Object.entries(r)) if (v > 0) out[k] = v;
  return out;
}

function add(into: Resources, r: Resources, sign = 1): void {
  for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + sign * v;
}

function fits(free: Resources, need: Resources): boolean {
  return Object.entries(need).every(([k, v]) => (free[k] ?? 0) >= v);
}

function eligible(node: NodeCapacity, req: PlacementRequest): boolean {
  if (!node.ready || node.unschedulable) return false;
  if (req.nodes?.length && !req.nodes.includes(node.name)) return false;
  for (const [k, v] of Object.entries(req.nodeSelector ?? {})) if (node.labels?.[k] !== v) return false;
  return true;
}

/** Free resources per node: allocatable minus what every workload placed there requests. */
export function freeByNode(nodes: NodeCapacity[], running: Workload[]): Map<string, Resources> {
  const out = new Map<string, Resources>();
  for (const n of nodes) out.set(n.name, { ...n.allocatable });
  for (const w of running) if (w.node && out.has(w.node)) add(out.get(w.node)!, normalize(w.resources), -1);
  return out;
}

/**
 * Decides where a deployment goes: reuse an identical healthy BenchOps deployment; else the fitting node with the
 * least free capacity left over (packs GPUs, keeps big holes for big requests); else, when the request allows it,
 * evict the fewest lower-priority BenchOps-owned workloads on one node; else wait (or unschedulable when no
 * eligible node could ever hold the request even empty).
 */
export function decidePlacement(req: PlacementRequest, nodes: NodeCapacity[], running: Workload[]): PlacementDecision {
  const need = normalize(req.resources);
  if (req.allowReuse !== false) {
    const same = running.find((w) => w.managedByBenchops && w.healthy && w.fingerprint === req.fingerprint);
    if (same) {
      return { action: 'reuse', deployment_id: same.id, node: same.node, reason: 'identical configuration already running' };
    }
  }
  const candidates = nodes.filter((n) => eligible(n, req));
  if (!candidates.length) {
    return { action: 'unschedulable', reason: nodes.length ? 'no ready node matches the node selection' : 'the cluster has no nodes' };
  }
  const possible = candidates.filter((n) => fits(n.allocatable, need));
  if (!possible.length) {
    return { action: 'unschedulable', reason: `no node has ${fmt(need)} allocatable even when empty` };
  }
  const free = freeByNode(nodes, running);
  const slack = (n: NodeCapacity) => Object.keys(need).reduce((s, k) => s + (free.get(n.name)![k] ?? 0) - need[k], 0);
  const fitting = possible.filter((n) => fits(free.get(n.name)!, need)).sort((a, b) => slack(a) - slack(b) || a.name.localeCompare(b.name));
  if (fitting.length) {
    const n = fitting[0];
    return { action: 'place', node: n.name, free: free.get(n.name)!, reason: Object.keys(need).length ? `${fmt(need)} free on ${n.name}` : `no accelerator requested; runs on ${n.name}` };
  }
  const blocking = running.filter((w) => w.node && possible.some((n) => n.name === w.node) && overlaps(w.resources, need)).map((w) => w.id);
  if (req.allowEviction) {
    let best: { node: string; evict: string[] } | undefined;
    for (const n of possible) {
      const victims = running
        .filter(
          (w) =>
            w.node === n.name &&
            w.managedByBenchops &&
            !w.pinned &&
            w.priorityRank > req.priorityRank &&
            overlaps(w.resources, need),
        )
        // least important first, then the smallest holders
        .sort((a, b) => b.priorityRank - a.priorityRank || total(a.resources) - total(b.resources));
      const f = { ...free.get(n.name)! };
      const chosen: string[] = [];
      for (const v of victims) {
        if (fits(f, need)) break;
        add(f, normalize(v.resources));
        chosen.push(v.id);
      }
      if (fits(f, need) && (!best || chosen.length < best.evict.length)) best = { node: n.name, evict: chosen };
    }
    if (best) {
      return {
        action: 'evict',
        node: best.node,
        evict: best.evict,
        reason: `evicting lower-priority BenchOps deployment(s) ${best.evict.join(', ')} frees ${fmt(need)} on ${best.node}`,
      };
    }
    return { action: 'wait', blocking, reason: `${fmt(need)} busy and no lower-priority BenchOps deployment can be evicted` };
  }
  return { action: 'wait', blocking, reason: `${fmt(need)} not free on any eligible node (eviction not allowed)` };
}

function overlaps(r: Resources, need: Resources): boolean {
  return Object.keys(need).some((k) => (r[k] ?? 0) > 0);
}

function total(r: Resources): number {
  return Object.values(r).reduce((s, v) => s + v, 0);
}

/** The GPU resources a vLLM config needs: `count` of `resourceName` (MIG profiles are resource names too); CPU → none. */
export function requestedResources(gpuResourceType: string, gpuResourceCount: number): Resources {
  if (!gpuResourceType || gpuResourceType === 'cpu' || gpuResourceCount <= 0) return {};
  return { [gpuResourceType]: gpuResourceCount };
}
