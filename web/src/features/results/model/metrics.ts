/**
 * The metric rows of one standardized document, as the results service flattens them for /compare and history
 * (src/services/results/standard.ts `flattenMetrics`, scores.ts `scoreRows`): this mirror lets the result page list
 * and export a single result's numbers, which no route returns yet (a `GET /standardized_output/{pk}/metrics`
 * would replace it). Paths are the service's, so a row's path is a valid `metric` of the history route.
 * metrics.test.ts checks this mirror against the service's own code on every fixture: when it fails, the service's
 * rules changed and this file follows them.
 */
import { isObj, num, type StandardDoc } from './document';

export type Group = 'score' | 'latency' | 'throughput' | 'summary';

export interface Row {
  path: string;
  group: Group;
  task: string;
  metric: string;
  /** A score's filter (`none` when unfiltered); '' for performance figures. */
  filter: string;
  /** Latency statistic; for scores '' (the score), `stderr`, `std` or `detail`. */
  stat: string;
  value: number;
}

const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const DATE_KEY = new RegExp(`^(?:\\d{4}(?:[-_/.]?\\d{2}){0,2}|\\d{4}[-_]?q[1-4]|${MONTH}(?:[-_ ]?\\d{2,4})?|\\d{2,4}[-_ ]?${MONTH})$`, 'i');
/** Names of counts and bookkeeping that tools write next to their scores (by their words: `num_passed`, `timeouts`). */
const DETAIL_FIRST = new Set(['n', 'num', 'number', 'count', 'total']);
const DETAIL_LAST = new Set([
  'n', 'k', 'num', 'count', 'counts', 'total', 'sample', 'samples', 'problems', 'questions', 'items', 'examples', 'tasks',
  'tokens', 'toks', 'timeouts', 'errors', 'error', 'failures', 'failed', 'skipped', 'retries', 'passed', 'solved', 'correct',
  'incorrect', 'invalid', 'truncated', 'repeat', 'repeats', 'seconds', 'secs', 's', 'ms', 'time', 'duration', 'len',
  'length', 'size', 'seed', 'version', 'alias', 'fewshot', 'shots', 'shot',
]);
/** `solved_avg`, `tokens_mean`: an average of a count is a count. */
const AGGREGATE = new Set(['avg', 'mean', 'median', 'average']);

/** The words of a name: `num_passed` → num,passed; `solvedAvg` → solved,avg. */
const nameWords = (name: string): string[] =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

function isDetail(name: string): boolean {
  const w = nameWords(name);
  if (w.length === 0) return false;
  if (DETAIL_FIRST.has(w[0]) && w.length > 1) return true;
  let i = w.length - 1;
  while (i > 0 && AGGREGATE.has(w[i])) i--;
  return DETAIL_LAST.has(w[i]);
}

const STDERR = /^(.+?)[_-](?:stderr|std_err|std_error|sem|se)$/i;
const STD = /^(.+?)[_-](?:std|stdev|std_dev|stddev)$/i;

/** Reads a key under a task: the metric, its filter and what it is (null for a calendar breakdown). */
export function scoreKey(key: string, declared?: Set<string>): { metric: string; filter: string; stat: string } | null {
  const comma = key.indexOf(',');
  const name = comma > 0 ? key.slice(0, comma) : key;
  const filter = comma > 0 && comma < key.length - 1 ? key.slice(comma + 1) : 'none';
  if (DATE_KEY.test(name.trim())) return null;
  const se = STDERR.exec(name);
  if (se) return { metric: se[1], filter, stat: 'stderr' };
  const sd = STD.exec(name);
  if (sd) return { metric: sd[1], filter, stat: 'std' };
  if (isDetail(name)) return { metric: name, filter, stat: 'detail' };
  if (declared && !declared.has(name)) return { metric: name, filter, stat: 'detail' };
  return { metric: name, filter, stat: '' };
}

/** The score rows of `results`: scores, their stderr/std and details (counts) per task. */
export function scoreRows(results: Record<string, unknown>, meta: Record<string, unknown>, benchmark: string): Row[] {
  const rows: Row[] = [];
  const push = (task: string, path: string, value: number, k: ReturnType<typeof scoreKey>, filter?: string) => {
    if (k) rows.push({ path, group: 'score', task, metric: k.metric, filter: filter ?? k.filter, stat: k.stat, value });
  };
  for (const [task, v] of Object.entries(results)) {
    const n = num(v);
    if (n !== undefined) {
      push(benchmark, `results.${task}`, n, scoreKey(task));
      continue;
    }
    if (!isObj(v) || DATE_KEY.test(task)) continue;
    const hib = isObj(meta.higher_is_better) ? meta.higher_is_better[task] : undefined;
    const declared = isObj(hib) && Object.keys(hib).length ? new Set(Object.keys(hib).map((k) => k.split(',')[0])) : undefined;
    const f = isObj(meta.filters) ? meta.filters[task] : undefined;
    const filters = new Set(Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : []);
    for (const [key, x] of Object.entries(v)) {
      const path = `results.${task}.${key}`;
      if (num(x) !== undefined) push(task, path, x as number, scoreKey(key, declared));
      else if (typeof x === 'boolean') push(task, path, x ? 1 : 0, scoreKey(key, declared));
      else if (isObj(x) && filters.size) {
        for (const [fk, y] of Object.entries(x)) if (filters.has(fk) && num(y) !== undefined) push(task, `${path}.${fk}`, y as number, scoreKey(key, declared), fk);
      }
    }
  }
  return rows;
}

function walk(v: unknown, keys: string[], leaf: (keys: string[], value: number) => void, depth = 0): void {
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : num(v);
  if (n !== undefined) return leaf(keys, n);
  if (!isObj(v) || depth >= 4) return;
  for (const [k, child] of Object.entries(v)) walk(child, [...keys, k], leaf, depth + 1);
}

/** Every metric row of a document: scores, then latency, throughput and summary figures (one row per path). */
export function flattenMetrics(doc: StandardDoc, benchmark: string): Row[] {
  const rows: Row[] = [];
  const seen = new Set<string>();
  const push = (r: Row) => {
    const id = `${r.group}\u0000${r.task}\u0000${r.metric}\u0000${r.filter}\u0000${r.stat}`;
    if (seen.has(r.path) || seen.has(id)) return;
    seen.add(r.path);
    seen.add(id);
    rows.push(r);
  };
  for (const r of scoreRows(doc.results, doc.meta, benchmark)) push(r);
  walk(doc.performance.latency, [], (keys, value) => {
    const [metric, ...stat] = keys;
    push({ path: ['performance', 'latency', ...keys].join('.'), group: 'latency', task: benchmark, metric, filter: '', stat: stat.join('.'), value });
  });
  for (const group of ['throughput', 'summary'] as const) {
    walk(doc.performance[group], [], (keys, value) => {
      push({ path: ['performance', group, ...keys].join('.'), group, task: benchmark, metric: keys.join('.'), filter: '', stat: '', value });
    });
  }
  return rows;
}

/** The group of a metric path (`performance.latency.ttft_ms.p99` → latency, `results.…` → score). */
export function groupOfPath(path: string): Group {
  if (path.startsWith('performance.latency.')) return 'latency';
  if (path.startsWith('performance.throughput.')) return 'throughput';
  if (path.startsWith('performance.summary.')) return 'summary';
  return 'score';
}

/** Whether a larger value is better (the service's rule: latencies, errors, durations and spreads are better small). */
export function higherIsBetter(group: Group, metric: string, stat = ''): boolean {
  if (group === 'latency') return false;
  if (group === 'score' && (stat === 'stderr' || stat === 'std')) return false;
  return !/stderr|std_err|fail|error|errored|incomplete|duration|latency|perplexity|bits_per_byte|_ms$|_s$/.test(metric);
}

/** A row's name for tables and legends: `ttft_ms p99`, `gsm8k exact_match (strict-match)`, `output_throughput`. */
export function rowLabel(r: Pick<Row, 'group' | 'task' | 'metric' | 'filter' | 'stat'>, withTask = true): string {
  if (r.group === 'score') {
    const f = r.filter && r.filter !== 'none' ? ` (${r.filter})` : '';
    const s = r.stat ? ` ${r.stat}` : '';
    return `${withTask ? `${r.task} ` : ''}${r.metric}${f}${s}`;
  }
  return r.stat ? `${r.metric} ${r.stat}` : r.metric;
}

/** A score with its standard error and its task's counts, for the quality table. */
export interface ScoreLine {
  path: string;
  task: string;
  metric: string;
  filter: string;
  value: number;
  stderr: number | null;
  /** The task's details (`samples`, `failed`, `num_fewshot` …) by metric name. */
  details: Record<string, number>;
}

/** The scores of a document, each with its stderr and its task's details, in document order. */
export function scoreTable(results: Record<string, unknown>, meta: Record<string, unknown>, benchmark: string): ScoreLine[] {
  const rows = scoreRows(results, meta, benchmark);
  const key = (r: Row) => `${r.task}\u0000${r.metric}\u0000${r.filter}`;
  const stderr = new Map(rows.filter((r) => r.stat === 'stderr').map((r) => [key(r), r.value]));
  const details = new Map<string, Record<string, number>>();
  for (const r of rows.filter((x) => x.stat === 'detail')) details.set(r.task, { ...details.get(r.task), [r.metric]: r.value });
  return rows
    .filter((r) => r.stat === '')
    .map((r) => ({ path: r.path, task: r.task, metric: r.metric, filter: r.filter, value: r.value, stderr: stderr.get(key(r)) ?? null, details: details.get(r.task) ?? {} }));
}
