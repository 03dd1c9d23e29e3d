/**
 * Reading a standardized result document (`{meta, results, performance: {summary, throughput, latency}}`, see
 * src/services/results/standard.ts) the way the pages need it: what kind of result it is, the latency percentiles,
 * the steps of a multi-scenario run or a GuideLLM sweep, the thresholds and the self-check's verdict. Documents
 * come from several tools, so every reader is lenient: a missing or odd section gives an empty answer, never a throw.
 */

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A standardized document as stored (sections may be missing in documents of older tools). */
export interface StandardDoc {
  meta: Obj;
  results: Obj;
  performance: Obj & { summary: Obj; throughput: Obj; latency: Obj };
  thresholds?: unknown;
  [k: string]: unknown;
}

/** Gives every section its place (`{}` when absent), so readers need no checks. */
export function asDoc(data: unknown): StandardDoc {
  const d = isObj(data) ? data : {};
  const perf = isObj(d.performance) ? d.performance : {};
  return {
    ...d,
    meta: isObj(d.meta) ? d.meta : {},
    results: isObj(d.results) ? d.results : {},
    performance: {
      ...perf,
      summary: isObj(perf.summary) ? perf.summary : {},
      throughput: isObj(perf.throughput) ? perf.throughput : {},
      latency: isObj(perf.latency) ? perf.latency : {},
    },
  };
}

/** A latency metric's statistics in ms: `{mean, median, std, min, max, p50, p90, p99, p99.9 …}`. */
export type LatencyStats = Record<string, number>;

/** The latency section as numbers only: `{ttft_ms: {p50: 41, …}}`; a plain number becomes `{value}`. */
export function latencyOf(latency: unknown): Record<string, LatencyStats> {
  const out: Record<string, LatencyStats> = {};
  if (!isObj(latency)) return out;
  for (const [name, v] of Object.entries(latency)) {
    const n = num(v);
    if (n !== undefined) {
      out[name] = { value: n };
      continue;
    }
    if (!isObj(v)) continue;
    const stats: LatencyStats = {};
    for (const [k, x] of Object.entries(v)) {
      const y = num(x);
      if (y !== undefined) stats[k] = y;
    }
    if (Object.keys(stats).length) out[name] = stats;
  }
  return out;
}

/** Numbers of a flat section (summary, throughput): non-numbers are left out. */
export function numbersOf(section: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObj(section)) return out;
  for (const [k, v] of Object.entries(section)) {
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : num(v);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/** One percentile of a latency metric. */
export interface Percentile {
  /** 50, 90, 99.9 … */
  p: number;
  /** The key in the document: `p99`, `p99.9` (`median` stands in for p50 when no `p50` is given). */
  key: string;
  value: number;
}

/** The percentiles of a metric's stats, in order of p. */
export function percentilesOf(stats: LatencyStats | undefined): Percentile[] {
  if (!stats) return [];
  const out: Percentile[] = [];
  for (const [key, value] of Object.entries(stats)) {
    const m = /^p(\d+(?:\.\d+)?)$/.exec(key);
    if (m) out.push({ p: Number(m[1]), key, value });
  }
  if (!out.some((x) => x.p === 50) && stats.median !== undefined) out.push({ p: 50, key: 'median', value: stats.median });
  return out.sort((a, b) => a.p - b.p);
}

/** The latency metrics in the order people read them (TTFT, TPOT, ITL, E2EL, then the rest by name). */
export function latencyNames(latency: Record<string, LatencyStats>): string[] {
  const order = ['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms'];
  return Object.keys(latency).sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

/** The self-check's verdict: a saturated load generator overstates latencies, and the reasons say why. */
export interface Reliability {
  state: 'reliable' | 'unreliable' | 'unknown';
  reasons: string[];
  /** Why the verdict is what it is when no reasons can be shown. */
  note?: string;
}

/** Reads `{reliability: {reliable, reasons}}` or the older `{reliable: bool}` of a meta or scenario object. */
export function reliabilityOf(o: Obj | undefined, tool?: string): Reliability {
  const r = o && isObj(o.reliability) ? o.reliability : undefined;
  const reliable = r && typeof r.reliable === 'boolean' ? r.reliable : o && typeof o.reliable === 'boolean' ? o.reliable : undefined;
  if (reliable === undefined) {
    return { state: 'unknown', reasons: [], note: `not checked: ${tool ? `${tool} results carry` : 'this result carries'} no load-generator self-check` };
  }
  const reasons = r && Array.isArray(r.reasons) ? r.reasons.filter((x): x is string => typeof x === 'string') : [];
  if (reliable) return { state: 'reliable', reasons: [] };
  return { state: 'unreliable', reasons, ...(reasons.length ? {} : { note: 'the result records no reason (stored before reasons were kept)' }) };
}

/** One step of a run: a runner scenario, a GuideLLM benchmark of a sweep, or the whole result when it has one. */
export interface Step {
  name: string;
  config: Obj;
  summary: Record<string, number>;
  throughput: Record<string, number>;
  latency: Record<string, LatencyStats>;
  reliability: Reliability;
}

function stepOf(name: string, o: Obj, tool?: string): Step {
  const strategy = isObj(o.strategy) ? o.strategy : undefined;
  return {
    name,
    config: isObj(o.config) ? o.config : strategy ? { ...strategy } : {},
    summary: numbersOf(o.summary),
    throughput: numbersOf(o.throughput),
    latency: latencyOf(o.latency),
    reliability: reliabilityOf(o, tool),
  };
}

/** A GuideLLM strategy as a step name: `constant@4`, `synchronous`. */
function strategyName(s: unknown, i: number): string {
  if (!isObj(s)) return `benchmark ${i + 1}`;
  const type = typeof s.type === 'string' ? s.type : `benchmark ${i + 1}`;
  const rate = num(s.rate) ?? num(s.streams) ?? num(s.max_concurrency);
  return rate !== undefined ? `${type}@${rate}` : type;
}

/**
 * The steps of a result: the runner's `performance.scenarios` (an object by name, or an array), GuideLLM's
 * `performance.benchmarks`, else the headline performance block alone.
 */
export function stepsOf(doc: StandardDoc): Step[] {
  const tool = toolOf(doc);
  const sc = doc.performance.scenarios;
  if (isObj(sc) && Object.keys(sc).length) {
    return Object.entries(sc).filter(([, v]) => isObj(v)).map(([name, v]) => stepOf(typeof (v as Obj).name === 'string' ? ((v as Obj).name as string) : name, v as Obj, tool));
  }
  if (Array.isArray(sc) && sc.length) {
    return sc.filter(isObj).map((v, i) => stepOf(typeof v.name === 'string' ? v.name : `scenario ${i + 1}`, v, tool));
  }
  const b = doc.performance.benchmarks;
  if (Array.isArray(b) && b.length) return b.filter(isObj).map((v, i) => stepOf(strategyName(v.strategy, i), v, tool));
  return [stepOf(typeof doc.meta.scenario === 'string' ? doc.meta.scenario : 'result', doc.performance, tool)];
}

/** Which tool wrote the result (`meta.tool`, else `meta.source`). */
export function toolOf(doc: StandardDoc): string | undefined {
  const t = doc.meta.tool ?? doc.meta.source;
  return typeof t === 'string' ? t : undefined;
}

/** What a result holds: performance figures (latency, throughput of a load test), scores, or both. */
export function kindOf(doc: StandardDoc, hasScores: boolean): { performance: boolean; quality: boolean } {
  const kind = doc.meta.kind;
  const lat = latencyOf(doc.performance.latency);
  const perfShape = ['ttft_ms', 'tpot_ms', 'itl_ms'].some((k) => k in lat) || num(doc.performance.throughput.output_throughput) !== undefined;
  return {
    performance: kind === 'performance' || (kind !== 'task-eval' && perfShape),
    quality: kind === 'task-eval' || hasScores,
  };
}

/** One threshold check of a run (the runner's `thresholds.checks`). */
export interface Check {
  name: string;
  scope: string;
  metric: string;
  op: 'max' | 'min' | '';
  limit: number | null;
  value: number | null;
  passed: boolean;
}

/** The thresholds of a result: every check and the overall verdict; null when none were checked. */
export function thresholdsOf(doc: StandardDoc): { passed: boolean; checks: Check[] } | null {
  const t = doc.thresholds;
  if (!isObj(t) || !Array.isArray(t.checks)) {
    const flag = num(doc.performance.summary.thresholds_passed);
    return flag === undefined ? null : { passed: flag === 1, checks: [] };
  }
  const checks = t.checks.filter(isObj).map((c): Check => ({
    name: typeof c.name === 'string' ? c.name : String(c.metric ?? 'check'),
    scope: typeof c.scope === 'string' ? c.scope : '',
    metric: typeof c.metric === 'string' ? c.metric : '',
    op: c.op === 'max' || c.op === 'min' ? c.op : ('' as const),
    limit: num(c.limit) ?? null,
    value: num(c.value) ?? null,
    passed: c.passed === true,
  }));
  return { passed: typeof t.passed === 'boolean' ? t.passed : checks.every((c) => c.passed), checks };
}
