/**
 * Per-request records of a performance result, read from its raw input (the standardized document keeps only the
 * statistics): the BenchOps runner's `requests[]` (seconds, times relative to the run's start), vLLM `bench serve`'s
 * parallel arrays (`ttfts`, `itls`, `output_lens`, `errors`; no start times), and the short `{ttft_ms, e2el_ms}`
 * form. From them: distributions (histogram, CDF) and what happened over the run (latency, output tokens/s).
 */
import { isObj, num } from './document';

export interface RequestRecord {
  scenario: string;
  /** Seconds since the run started; null when the tool does not record it. */
  start_s: number | null;
  ttft_ms: number | null;
  e2el_ms: number | null;
  /** The request's mean inter-token latency ((E2EL − TTFT) / (tokens − 1)); null with fewer than two tokens. */
  itl_ms: number | null;
  output_tokens: number | null;
  ok: boolean;
  error: string;
}

export interface RequestData {
  records: RequestRecord[];
  /** Every inter-token gap in ms when the tool kept them (vLLM bench serve's `itls`); else the per-request means. */
  itls_ms: number[];
  itlSource: 'tokens' | 'request-means' | 'none';
  /** How many records the run had when the document kept only some (the runner keeps at most 5000). */
  total?: number;
}

const meanItl = (ttft: number | null, e2el: number | null, tokens: number | null): number | null =>
  ttft !== null && e2el !== null && tokens !== null && tokens > 1 ? (e2el - ttft) / (tokens - 1) : null;

function fromRunner(r: Record<string, unknown>): RequestRecord {
  // seconds in the runner's records (`ttft`, `latency`), milliseconds in the short form (`ttft_ms`, `e2el_ms`)
  const ttft = num(r.ttft_ms) ?? (num(r.ttft) !== undefined ? (r.ttft as number) * 1000 : null);
  const e2el = num(r.e2el_ms) ?? (num(r.latency) !== undefined ? (r.latency as number) * 1000 : null);
  const tokens = num(r.output_tokens) ?? null;
  const ok = typeof r.success === 'boolean' ? r.success : typeof r.ok === 'boolean' ? r.ok : !r.error;
  return {
    scenario: typeof r.scenario === 'string' ? r.scenario : '',
    start_s: num(r.start_time) ?? null,
    ttft_ms: ok ? ttft : null,
    e2el_ms: ok ? e2el : null,
    itl_ms: ok ? meanItl(ttft, e2el, tokens) : null,
    output_tokens: tokens,
    ok,
    error: typeof r.error === 'string' ? r.error : '',
  };
}

/** The per-request data of a raw document, or null when it has none. */
export function requestsOf(raw: unknown): RequestData | null {
  if (!isObj(raw)) return null;
  if (Array.isArray(raw.requests) && raw.requests.length) {
    const records = raw.requests.filter(isObj).map(fromRunner);
    const itls = records.map((r) => r.itl_ms).filter((x): x is number => x !== null);
    const meta = isObj(raw.meta) ? raw.meta : {};
    return { records, itls_ms: itls, itlSource: itls.length ? 'request-means' : 'none', ...(num(meta.requests_total) ? { total: meta.requests_total as number } : {}) };
  }
  if (Array.isArray(raw.ttfts) && raw.ttfts.length) {
    const ttfts = raw.ttfts as unknown[];
    const itls = Array.isArray(raw.itls) ? (raw.itls as unknown[]) : [];
    const lens = Array.isArray(raw.output_lens) ? (raw.output_lens as unknown[]) : [];
    const errors = Array.isArray(raw.errors) ? (raw.errors as unknown[]) : [];
    const allItls: number[] = [];
    const records = ttfts.map((t, i): RequestRecord => {
      const error = typeof errors[i] === 'string' ? (errors[i] as string) : '';
      const gaps = Array.isArray(itls[i]) ? (itls[i] as unknown[]).map(num).filter((x): x is number => x !== undefined) : [];
      const ttft = num(t) !== undefined ? (t as number) * 1000 : null;
      const ok = !error && ttft !== null;
      if (ok) for (const g of gaps) allItls.push(g * 1000);
      const tokens = num(lens[i]) ?? (gaps.length ? gaps.length + 1 : null);
      // E2EL is TTFT plus every gap: only when the gaps are all there (a trimmed `itls` would understate it)
      const e2el = ok && (tokens === null || gaps.length >= tokens - 1) ? ttft! + gaps.reduce((a, b) => a + b, 0) * 1000 : null;
      return { scenario: '', start_s: null, ttft_ms: ok ? ttft : null, e2el_ms: e2el, itl_ms: ok && gaps.length ? (gaps.reduce((a, b) => a + b, 0) * 1000) / gaps.length : null, output_tokens: tokens, ok, error };
    });
    return { records, itls_ms: allItls, itlSource: allItls.length ? 'tokens' : 'none' };
  }
  return null;
}

/** Sorted finite values of one field of the successful records. */
export function valuesOf(records: readonly RequestRecord[], field: 'ttft_ms' | 'e2el_ms' | 'itl_ms'): number[] {
  return records
    .map((r) => r[field])
    .filter((x): x is number => x !== null && Number.isFinite(x))
    .sort((a, b) => a - b);
}

/** The empirical CDF as `[value, fraction ≤ value]` steps, at most `maxPoints` (evenly chosen, the last kept). */
export function cdf(values: readonly number[], maxPoints = 400): [number, number][] {
  const v = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  const n = v.length;
  if (!n) return [];
  const stride = Math.max(1, Math.ceil(n / maxPoints));
  const out: [number, number][] = [];
  for (let i = stride - 1; i < n; i += stride) out.push([v[i], (i + 1) / n]);
  if (out[out.length - 1][1] !== 1) out.push([v[n - 1], 1]);
  return out;
}

export interface Bin {
  from: number;
  to: number;
  count: number;
}

/** A histogram with `bins` equal-width bins over [min, max]; one bin when all values are equal. */
export function histogram(values: readonly number[], bins = 30): Bin[] {
  const v = values.filter(Number.isFinite);
  if (!v.length) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (min === max) return [{ from: min, to: max, count: v.length }];
  const k = Math.max(1, Math.min(bins, v.length));
  const w = (max - min) / k;
  const out: Bin[] = Array.from({ length: k }, (_, i) => ({ from: min + i * w, to: i === k - 1 ? max : min + (i + 1) * w, count: 0 }));
  for (const x of v) out[Math.min(k - 1, Math.floor((x - min) / w))].count++;
  return out;
}

/** The records that have a start time, in start order (for plots over the run). */
export function timed(records: readonly RequestRecord[]): RequestRecord[] {
  return records.filter((r) => r.start_s !== null).sort((a, b) => a.start_s! - b.start_s!);
}

/**
 * Output tokens per second over the run: each successful request's tokens spread evenly from its first token to its
 * end, summed per bin. The bin width adapts to the run (≈ 60 bins, at least 0.1 s). Empty without start times.
 */
export function tokensOverTime(records: readonly RequestRecord[], targetBins = 60): { t: number; tokensPerS: number }[] {
  const rs = timed(records).filter((r) => r.ok && r.e2el_ms !== null && r.output_tokens);
  if (!rs.length) return [];
  const end = Math.max(...rs.map((r) => r.start_s! + r.e2el_ms! / 1000));
  const width = Math.max(0.1, end / targetBins);
  const n = Math.max(1, Math.ceil(end / width));
  const acc = new Array<number>(n).fill(0);
  for (const r of rs) {
    const a = r.start_s! + (r.ttft_ms ?? 0) / 1000;
    const b = r.start_s! + r.e2el_ms! / 1000;
    const tokens = r.output_tokens!;
    if (b <= a) {
      acc[Math.min(n - 1, Math.floor(a / width))] += tokens;
      continue;
    }
    const rate = tokens / (b - a);
    for (let i = Math.floor(a / width); i <= Math.min(n - 1, Math.floor(b / width)); i++) {
      const overlap = Math.min(b, (i + 1) * width) - Math.max(a, i * width);
      if (overlap > 0) acc[i] += rate * overlap;
    }
  }
  return acc.map((tokens, i) => ({ t: (i + 0.5) * width, tokensPerS: tokens / width }));
}

/** Failed requests grouped by their error message, most frequent first. */
export function errorGroups(records: readonly RequestRecord[]): { error: string; count: number }[] {
  const m = new Map<string, number>();
  for (const r of records) if (!r.ok) m.set(r.error || '(no message)', (m.get(r.error || '(no message)') ?? 0) + 1);
  return [...m].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count || a.error.localeCompare(b.error));
}
