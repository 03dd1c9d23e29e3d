/**
 * The results list's state (filters, sort, page) as URL search parameters, so a filtered list is a link and the back
 * button works, and what each row shows besides its summary: the kind of result and its headline numbers, read from
 * the metric values of the page's results (one `GET /compare` for the whole page).
 */
import type { ComparedMetric } from './compare';

export type Kind = 'performance' | 'quality';
export type SortKey = 'timestamp' | 'benchmark_name' | 'model_id' | 'source';

export interface ListState {
  benchmark: string;
  model: string;
  source: string;
  /** ISO instants or ''. */
  since: string;
  until: string;
  kind: Kind | '';
  sort: SortKey;
  dir: 'asc' | 'desc';
  page: number;
}

export const PAGE_SIZE = 25;
const SORTS: SortKey[] = ['timestamp', 'benchmark_name', 'model_id', 'source'];

/** Reads the list state from the URL (unknown values fall back to the defaults). */
export function readListState(p: URLSearchParams): ListState {
  const sort = p.get('sort') as SortKey;
  const kind = p.get('kind');
  const page = Number(p.get('page'));
  return {
    benchmark: p.get('benchmark') ?? '',
    model: p.get('model') ?? '',
    source: p.get('source') ?? '',
    since: p.get('since') ?? '',
    until: p.get('until') ?? '',
    kind: kind === 'performance' || kind === 'quality' ? kind : '',
    sort: SORTS.includes(sort) ? sort : 'timestamp',
    dir: p.get('dir') === 'asc' ? 'asc' : 'desc',
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

/** The URL parameters of a state (defaults left out, so the plain list is /results). */
export function writeListState(s: ListState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.benchmark) p.set('benchmark', s.benchmark);
  if (s.model) p.set('model', s.model);
  if (s.source) p.set('source', s.source);
  if (s.since) p.set('since', s.since);
  if (s.until) p.set('until', s.until);
  if (s.kind) p.set('kind', s.kind);
  if (s.sort !== 'timestamp') p.set('sort', s.sort);
  if (s.dir !== 'desc') p.set('dir', s.dir);
  if (s.page > 1) p.set('page', String(s.page));
  return p;
}

/** The list route's query for a state: the service filters (kind included), sorts and pages. */
export function listQuery(s: ListState) {
  return {
    limit: PAGE_SIZE,
    offset: (s.page - 1) * PAGE_SIZE,
    order: s.dir,
    ...(s.sort !== 'timestamp' ? { sort: s.sort } : {}),
    ...(s.benchmark ? { benchmark_name: s.benchmark } : {}),
    ...(s.model ? { model_id: s.model } : {}),
    ...(s.source ? { source: s.source } : {}),
    ...(s.since ? { since: s.since } : {}),
    ...(s.until ? { until: s.until } : {}),
    ...(s.kind ? { kind: s.kind } : {}),
  };
}

/** The time-range presets: the instant `hours` before `now`. */
export const RANGES = [
  { label: 'Last 24 h', hours: 24 },
  { label: 'Last 7 days', hours: 24 * 7 },
  { label: 'Last 30 days', hours: 24 * 30 },
] as const;

export function sinceFor(hours: number, now = Date.now()): string {
  return new Date(now - hours * 3_600_000).toISOString();
}

/** What a row shows besides its summary. */
export interface Headline {
  kinds: Kind[];
  /** p99 TTFT (ms), output tokens/s, request/s of a performance result. */
  ttftP99?: number;
  outputThroughput?: number;
  /** The first score of a quality result and how many scores it has. */
  score?: { label: string; value: number };
  scores: number;
}

/** Kind and headline numbers per pk from the metric values of the page's results. */
export function headlines(metrics: readonly ComparedMetric[], pks: readonly string[]): Record<string, Headline> {
  const out: Record<string, Headline> = {};
  for (const pk of pks) {
    const has = metrics.filter((m) => m.values[pk] !== null && m.values[pk] !== undefined);
    const scores = has.filter((m) => m.group === 'score' && m.stat === '');
    const perf = has.some((m) => (m.group === 'latency' && /^(ttft|tpot|itl)_ms$/.test(m.metric)) || (m.group === 'throughput' && m.metric === 'output_throughput'));
    const kinds: Kind[] = [];
    if (perf) kinds.push('performance');
    if (scores.length) kinds.push('quality');
    const val = (path: string) => has.find((m) => m.path === path)?.values[pk] ?? undefined;
    const first = scores[0];
    out[pk] = {
      kinds,
      ttftP99: perf ? val('performance.latency.ttft_ms.p99') : undefined,
      outputThroughput: perf ? val('performance.throughput.output_throughput') : undefined,
      score: first ? { label: `${first.task} ${first.metric}${first.filter && first.filter !== 'none' ? ` (${first.filter})` : ''}`, value: first.values[pk]! } : undefined,
      scores: scores.length,
    };
  }
  return out;
}

/** The compare link for selected results: oldest first, so the base is the earlier run. */
export function compareLink(selected: readonly { pk: string; timestamp: string }[]): string {
  const pks = [...selected].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.pk.localeCompare(b.pk)).map((s) => s.pk);
  const p = new URLSearchParams();
  for (const pk of pks) p.append('pk', pk);
  return `/compare?${p.toString()}`;
}
