/**
 * The standardized result shape (what the earlier web UI renders) and the numbers BenchOps reads out of it:
 * `{meta, results, performance: {summary, throughput, latency}}`.
 *
 * - `meta`: free-form key/values; `meta.benchmark_name` is the page title.
 * - `results`: scores per task, `{<task>: {<metric>: number, <metric>_stderr: number, …}}`; a number directly under
 *   `results` (`{"accuracy": 0.61}`) is a score of the task named like the benchmark.
 * - `performance.latency`: `{<name>_ms: {mean, median, std, p50, p90, p95, p99, …}}` (milliseconds), or plain numbers.
 * - `performance.throughput`: `{request_throughput (req/s), output_throughput (tok/s), total_token_throughput (tok/s), …}`.
 * - `performance.summary`: counts and totals (`completed`, `failed`, `duration_s`, `total_input_tokens`, …).
 */
import { createHash } from 'node:crypto';
import type { ValidationIssue } from '../../core/errors.ts';

export interface StandardizedData {
  meta: Record<string, unknown>;
  results: Record<string, unknown>;
  performance: {
    summary: Record<string, unknown>;
    throughput: Record<string, unknown>;
    latency: Record<string, unknown>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export type MetricGroup = 'score' | 'latency' | 'throughput' | 'summary';

/** One number found in a standardized document. */
export interface MetricRow {
  /** Dotted path inside `data` (segments containing dots are kept as they are). */
  path: string;
  group: MetricGroup;
  task: string;
  metric: string;
  stat: string;
  value: number;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Fills missing sections with `{}` (the UI throws without `performance`) and reports sections of the wrong type.
 * Everything else is kept exactly as posted.
 */
export function normalizeStandardized(data: unknown, loc: (string | number)[] = ['body', 'data']): {
  data?: StandardizedData;
  issues: ValidationIssue[];
} {
  const issues: ValidationIssue[] = [];
  if (!isPlainObject(data)) {
    return { issues: [{ loc, msg: 'Standardized data must be a JSON object with meta, results and performance', type: 'object_type' }] };
  }
  const out: Record<string, unknown> = { ...data };
  for (const key of ['meta', 'results', 'performance'] as const) {
    if (out[key] === undefined || out[key] === null) out[key] = {};
    else if (!isPlainObject(out[key])) issues.push({ loc: [...loc, key], msg: `${key} must be an object`, type: 'object_type' });
  }
  if (isPlainObject(out.performance)) {
    const perf: Record<string, unknown> = { ...out.performance };
    for (const key of ['summary', 'throughput', 'latency'] as const) {
      if (perf[key] === undefined || perf[key] === null) perf[key] = {};
      else if (!isPlainObject(perf[key])) {
        issues.push({ loc: [...loc, 'performance', key], msg: `performance.${key} must be an object`, type: 'object_type' });
      }
    }
    out.performance = perf;
  }
  return issues.length ? { issues } : { data: out as StandardizedData, issues };
}

/** JSON with object keys sorted at every level: equal documents give equal text whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
};

const MAX_DEPTH = 4;

/** Walks an object and calls `leaf` for every finite number (booleans as 1/0) with its key path. */
function walk(v: unknown, keys: string[], leaf: (keys: string[], value: number) => void, depth = 0): void {
  const n = num(v);
  if (n !== undefined) return leaf(keys, n);
  if (!isPlainObject(v) || depth >= MAX_DEPTH) return;
  for (const [k, child] of Object.entries(v)) walk(child, [...keys, k], leaf, depth + 1);
}

/** Every number of `results` and `performance.{latency,throughput,summary}`; arrays are not read. */
export function flattenMetrics(data: StandardizedData, benchmarkName: string): MetricRow[] {
  const rows: MetricRow[] = [];
  const seen = new Set<string>();
  const push = (r: MetricRow) => {
    if (seen.has(r.path)) return;
    seen.add(r.path);
    rows.push(r);
  };
  walk(data.results, [], (keys, value) => {
    const [task, ...rest] = keys.length > 1 ? keys : [benchmarkName, ...keys];
    push({ path: ['results', ...keys].join('.'), group: 'score', task, metric: rest.join('.'), stat: '', value });
  });
  const perf = data.performance;
  walk(perf.latency, [], (keys, value) => {
    const [metric, ...stat] = keys;
    push({ path: ['performance', 'latency', ...keys].join('.'), group: 'latency', task: benchmarkName, metric, stat: stat.join('.'), value });
  });
  for (const group of ['throughput', 'summary'] as const) {
    walk(perf[group], [], (keys, value) => {
      push({ path: ['performance', group, ...keys].join('.'), group, task: benchmarkName, metric: keys.join('.'), stat: '', value });
    });
  }
  return rows;
}

/** A Prometheus-safe name fragment: `exact_match,flexible-extract` → `exact_match_flexible_extract`. */
export function promName(s: string): string {
  const out = s
    .replace(/[^a-zA-Z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return out || 'value';
}

/**
 * The exported family of a row, or null when it is not exported (stderr companions, summary counters of other
 * shapes): scores → `vllm_eval_<metric>{task, model_tag}` (seed 004), latency →
 * `benchops_perf_<metric>{model_tag, benchmark, stat}`, throughput → `benchops_perf_<metric>{model_tag, benchmark}`,
 * summary → `benchops_perf_summary_<metric>{model_tag, benchmark}`.
 */
export function familyOf(row: Pick<MetricRow, 'group' | 'metric'>): string | null {
  switch (row.group) {
    case 'score':
      if (/(^|_)stderr($|[,_.])/.test(row.metric)) return null;
      return `vllm_eval_${promName(row.metric)}`;
    case 'latency':
      return `benchops_perf_${promName(row.metric)}`;
    case 'throughput':
      return `benchops_perf_${promName(row.metric)}`;
    case 'summary':
      return `benchops_perf_summary_${promName(row.metric)}`;
  }
}

/** Whether a larger value is an improvement (latencies and failures: smaller is better). */
export function higherIsBetter(row: Pick<MetricRow, 'group' | 'metric'>): boolean {
  if (row.group === 'latency') return false;
  if (/stderr|std_err|fail|error|errored|incomplete|duration|latency|perplexity|bits_per_byte|_ms$|_s$/.test(row.metric)) return false;
  return true;
}

/** PostgreSQL's jsonb cannot hold NUL or unpaired surrogates (generated texts can): they become U+FFFD. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const storable = (s: string): string => s.replace(UNSTORABLE, '\uFFFD');

const SECRET_KEY = /^(api[_-]?key|apikey|access[_-]?token|auth[_-]?token|bearer[_-]?token|hf[_-]?token|token|secret|client[_-]?secret|password|passwd|authorization|openai[_-]?api[_-]?key)$/i;
const SECRET_ARG = /\b(api[_-]?key|apikey|access[_-]?token|auth[_-]?token|hf[_-]?token|token|secret|password)=([^,\s&]+)/gi;

/**
 * Tools write their invocation into their output (lm-eval's `model_args: "…,api_key=sk-…"`, headers, URLs with
 * credentials); results are readable by every viewer, so secret-looking values are replaced before storing.
 * Text PostgreSQL cannot store (NUL, unpaired surrogates) is replaced too.
 */
export function redactSecrets(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') {
    v = storable(v as string);
    if (!/[=@]|bearer/i.test(v as string)) return v;
    return (v as string)
      .replace(SECRET_ARG, '$1=[redacted]')
      .replace(/\b(bearer)\s+[A-Za-z0-9._~+/-]{8,}=*/gi, '$1 [redacted]')
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1[redacted]@');
  }
  if (depth > 64) return v;
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x) => {
      const y = redactSecrets(x, depth + 1);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? out : v;
  }
  if (isPlainObject(v)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = SECRET_KEY.test(k) && typeof x === 'string' && x !== '' ? '[redacted]' : redactSecrets(x, depth + 1);
      const key = storable(k);
      if (y !== x || key !== k) changed = true;
      out[key] = y;
    }
    return changed ? out : v;
  }
  return v;
}
