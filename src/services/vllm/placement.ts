/**
 * GPU placement: a pure function from (request, nodes, running workloads) to an explicit decision. Resources are
 * compared per resource name, as the Kubernetes scheduler does (`nvidia.com/gpu`, each `nvidia.com/mig-<profile>`,
 * `amd.com/gpu`…): a MIG-partitioned GPU appears only under its MIG profile names in the node's allocatable, so a
 * full-GPU request and a MIG request never share capacity by accident.
 */

export type Resources = Record<string, number>;

/**
 * A node's capacity for CPU deployments (the local node: each is an emulated server process, so they are bounded
 * like GPUs). Only nodes that offer it are asked for one; on Kubernetes the scheduler bounds CPU pods itself.
 */
export const CPU_SLOT = 'benchops.io/cpu-slot';

/** A group of devices that shares a resource name with another group on the same node, with its own labels. */
export interface Pool {
  /** The resource name requests use (`nvidia.com/gpu`). */
  resource: string;
  /** Catalogue hardware of the group. */
  hardware: string;
  /** Labels that describe this group (GPU feature discovery's `nvidia.com/gpu.product`…). */
  labels: Record<string, string>;
}

export interface NodeCapacity {
  name: string;
  ready: boolean;
  /**
   * Allocatable extended resources per resource name (GPUs and MIG slices; cpu/memory are not placed here), or per
   * pool key (`nvidia.com/gpu@H100-NVL`) when `pools` splits one resource name into device groups.
   */
  allocatable: Resources;
  labels?: Record<string, string>;
  /** Cordoned (spec.unschedulable). */
  unschedulable?: boolean;
  /** Pool key → pool (the local node emulating two GPU products). */
  pools?: Record<string, Pool>;
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
  /** Catalogue hardware the request asks for: chooses among pools (other nodes are not constrained by it). */
  hardware?: string | null;
}

export type PlacementDecision =
  | { action: 'reuse'; deployment_id: string; node: string | null; reason: string }
  | { action: 'place'; node: string; reason: string; free: Resources; resources: Resources }
  | { action: 'evict'; node: string; evict: string[]; reason: string; resources: Resources }
  | { action: 'wait'; reason: string; blocking: string[] }
  | { action: 'unschedulable'; reason: string };

const fmt = (r: Resources) =>
  Object.entries(r)
    .map(([k, v]) => (k === CPU_SLOT ? `${v} CPU deployment slot${v === 1 ? '' : 's'}` : `${k}=${v}`))
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
  return true;
}

const matches = (labels: Record<string, string>, sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

/**
 * The concrete resources a request would take on a node, one map per way it can be satisfied: a request for
 * `nvidia.com/gpu` on a pooled node takes one pool's key. Pools must match the selector (with the node's labels) and
 * the requested hardware; without pools the node's labels must match. Empty when the node cannot match.
 */
function variants(node: NodeCapacity, need: Resources, req: PlacementRequest): Resources[] {
  const sel = req.nodeSelector ?? {};
  const base = node.labels ?? {};
  const pools = Object.entries(node.pools ?? {});
  const keys = Object.keys(need);
  const pooledKeys = keys.filter((k) => pools.some(([, p]) => p.resource === k));
  if (!pooledKeys.length) {
    // a request that takes no pool matches when the node, or one of its device groups, carries the labels
    const ok = matches(base, sel) || pools.some(([, p]) => matches({ ...base, ...p.labels }, sel));
    return ok ? [need] : [];
  }
  const out: Resources[] = [];
  // one accelerator resource per request (see requestedResources), so one pooled key to choose for
  for (const [key, p] of pools) {
    if (p.resource !== pooledKeys[0] || (req.hardware && p.hardware !== req.hardware && !sameHardware(p.hardware, req.hardware))) continue;
    if (!matches({ ...base, ...p.labels }, sel)) continue;
    const v: Resources = {};
    for (const [k, n] of Object.entries(need)) v[k === p.resource ? key : k] = n;
    out.push(v);
  }
  return out;
}

const sameHardware = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Why no node matched: the selector, and what each eligible node has for those keys. */
function noMatchReason(nodes: NodeCapacity[], req: PlacementRequest): string {
  const sel = req.nodeSelector ?? {};
  const keys = Object.keys(sel);
  const selText = keys.length ? `nodeSelector {${keys.map((k) => `${k}=${sel[k]}`).join(', ')}}` : '';
  const hwText = req.hardware ? `hardware ${req.hardware}` : '';
  const what = [selText, hwText].filter(Boolean).join(' and ') || 'the node selection';
  const seen = nodes.slice(0, 5).map((n) => {
    const groups = [n.labels ?? {}, ...Object.values(n.pools ?? {}).map((p) => ({ ...(n.labels ?? {}), ...p.labels }))];
    const vals = keys.map((k) => `${k}=${[...new Set(groups.map((g) => g[k] ?? '(none)'))].join('|')}`);
    const hw = req.hardware && n.pools ? ` pools ${Object.values(n.pools).map((p) => p.hardware).join('|')}` : '';
    return `${n.name}: ${vals.join(', ') || 'no labels asked'}${hw}`;
  });
  return `no ready node matches ${what} (${seen.join('; ')}${nodes.length > 5 ? `; … ${nodes.length - 5} more` : ''})`;
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
  let need = normalize(req.resources);
  if (req.allowReuse !== false) {
    const same = running.find((w) => w.managedByBenchops && w.healthy && w.fingerprint === req.fingerprint);
    if (same) {
      return { action: 'reuse', deployment_id: same.id, node: same.node, reason: 'identical configuration already running' };
    }
  }
  // a CPU-only deployment takes a CPU slot where nodes offer them (the local node): it is a process like any other
  if (!Object.keys(need).length && nodes.some((n) => n.allocatable[CPU_SLOT] !== undefined)) need = { [CPU_SLOT]: 1 };
  const ready = nodes.filter((n) => eligible(n, req));
  if (!ready.length) {
    return { action: 'unschedulable', reason: nodes.length ? 'no ready node matches the node selection' : 'the cluster has no nodes' };
  }
  const options = ready.flatMap((n) => variants(n, need, req).map((v) => ({ n, v })));
  if (!options.length) return { action: 'unschedulable', reason: noMatchReason(ready, req) };
  const possible = options.filter(({ n, v }) => fits(n.allocatable, v));
  if (!possible.length) {
    return { action: 'unschedulable', reason: `no node has ${fmt(need)} allocatable even when empty` };
  }
  const free = freeByNode(nodes, running);
  const slack = (o: { n: NodeCapacity; v: Resources }) => Object.keys(o.v).reduce((s, k) => s + (free.get(o.n.name)![k] ?? 0) - o.v[k], 0);
  const fitting = possible
    .filter((o) => fits(free.get(o.n.name)!, o.v))
    .sort((a, b) => slack(a) - slack(b) || a.n.name.localeCompare(b.n.name) || Object.keys(a.v).join().localeCompare(Object.keys(b.v).join()));
  if (fitting.length) {
    const { n, v } = fitting[0];
    const gpu = Object.keys(v).some((k) => k !== CPU_SLOT);
    return {
      action: 'place',
      node: n.name,
      free: free.get(n.name)!,
      resources: v,
      reason: gpu ? `${fmt(v)} free on ${n.name}` : `no accelerator requested; runs on ${n.name}${v[CPU_SLOT] ? ` (${fmt(v)} of ${n.allocatable[CPU_SLOT]} free)` : ''}`,
    };
  }
  const blocking = running.filter((w) => w.node && possible.some((o) => o.n.name === w.node && overlaps(w.resources, o.v))).map((w) => w.id);
  if (req.allowEviction) {
    let best: { node: string; evict: string[]; v: Resources } | undefined;
    for (const { n, v } of possible) {
      const victims = running
        .filter(
          (w) =>
            w.node === n.name &&
            w.managedByBenchops &&
            !w.pinned &&
            w.priorityRank > req.priorityRank &&
            overlaps(w.resources, v),
        )
        // least important first, then the smallest holders
        .sort((a, b) => b.priorityRank - a.priorityRank || total(a.resources) - total(b.resources));
      const f = { ...free.get(n.name)! };
      const chosen: string[] = [];
      for (const w of victims) {
        if (fits(f, v)) break;
        add(f, normalize(w.resources));
        chosen.push(w.id);
      }
      if (fits(f, v) && (!best || chosen.length < best.evict.length)) best = { node: n.name, evict: chosen, v };
    }
    if (best) {
      return {
        action: 'evict',
        node: best.node,
        evict: best.evict,
        resources: best.v,
        reason: `evicting lower-priority BenchOps deployment(s) ${best.evict.join(', ')} frees ${fmt(best.v)} on ${best.node}`,
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
