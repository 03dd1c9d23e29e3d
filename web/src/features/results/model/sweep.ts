/**
 * Concurrency and rate sweeps: the steps of a run that differ only in the load they put on the server, as points of
 * the throughput–latency curve (one per step) with its knee, and goodput against load.
 */
import { num, type Step } from './document';

export type LoadAxis = 'max_concurrency' | 'request_rate' | 'measured_concurrency';

export interface SweepPoint {
  step: string;
  /** The load of the step on `axis` (configured concurrency or rate; measured concurrency for GuideLLM's sweeps). */
  load: number;
  /** Output tokens per second. */
  throughput: number | null;
  requestThroughput: number | null;
  /** Requests per second that met every SLO; null when no SLO was given. */
  goodput: number | null;
  /** The chosen latency statistic in ms. */
  latency: number | null;
}

export interface Sweep {
  axis: LoadAxis;
  points: SweepPoint[];
  /** Index into `points` of the knee, or null (fewer than three points, or no bend). */
  knee: number | null;
}

const loadOf = (s: Step, axis: LoadAxis): number | undefined => {
  if (axis === 'measured_concurrency') return s.throughput.mean_concurrency;
  const v = s.config[axis] ?? (axis === 'request_rate' ? s.config.rate : axis === 'max_concurrency' ? s.config.streams : undefined);
  return num(v);
};

/** The axis on which the steps differ: configured concurrency, else configured rate, else measured concurrency. */
export function sweepAxis(steps: readonly Step[]): LoadAxis | null {
  if (steps.length < 2) return null;
  for (const axis of ['max_concurrency', 'request_rate', 'measured_concurrency'] as const) {
    const loads = steps.map((s) => loadOf(s, axis));
    if (loads.every((x) => x !== undefined) && new Set(loads).size === steps.length) return axis;
  }
  return null;
}

/**
 * The sweep of a run, or null when its steps are not one (a single step, or steps that do not differ by load).
 * `metric`/`stat` choose the latency (default p99 of E2EL); points are in order of load.
 */
export function sweepOf(steps: readonly Step[], metric = 'e2el_ms', stat = 'p99'): Sweep | null {
  const axis = sweepAxis(steps);
  if (!axis) return null;
  const points = steps
    .map((s) => ({
      step: s.name,
      load: loadOf(s, axis)!,
      throughput: s.throughput.output_throughput ?? null,
      requestThroughput: s.throughput.request_throughput ?? null,
      goodput: s.throughput.request_goodput ?? null,
      latency: s.latency[metric]?.[stat] ?? null,
    }))
    .sort((a, b) => a.load - b.load);
  return { axis, points, knee: kneeOf(points.map((p) => [p.throughput, p.latency])) };
}

/**
 * The knee of a throughput–latency curve given in load order: with throughput and latency scaled to [0, 1], the
 * point where throughput gained most over latency paid (max of x − y, i.e. farthest above the chord from the
 * lightest to the heaviest load). Null with fewer than three usable points, or when the curve has no bend (the
 * best point is an end: latency grew as fast as throughput all along, or throughput never stopped growing).
 */
export function kneeOf(points: readonly [number | null, number | null][]): number | null {
  const ok = points.map((p, i) => ({ i, x: p[0], y: p[1] })).filter((p): p is { i: number; x: number; y: number } => p.x !== null && p.y !== null);
  if (ok.length < 3) return null;
  const xs = ok.map((p) => p.x);
  const ys = ok.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x1 === x0 || y1 === y0) return null;
  let best = -Infinity;
  let at = -1;
  for (const p of ok) {
    const score = (p.x - x0) / (x1 - x0) - (p.y - y0) / (y1 - y0);
    if (score > best + 1e-12) {
      best = score;
      at = p.i;
    }
  }
  if (at === ok[0].i || at === ok[ok.length - 1].i) return null;
  return at;
}

/** The axis name as a chart label. */
export function axisLabel(axis: LoadAxis): string {
  return axis === 'max_concurrency' ? 'max concurrency (requests)' : axis === 'request_rate' ? 'request rate (req/s)' : 'mean concurrency (requests)';
}
