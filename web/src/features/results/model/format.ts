/**
 * Numbers as people compare them: one formatting rule for every table, chart label and test, and the unit of each
 * metric by its name (vLLM `bench serve` names: `*_ms` latencies, `*_throughput` rates, `duration_s` …).
 */

/** A number for a table: integers as they are, else 3 significant decimals at most (the runner's rule); `—` when absent. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toFixed(4);
}

/** A relative change as a signed percentage (`+12.3 %`, `−4.0 %`); `—` when there is none (a zero base). */
export function fmtPct(relative: number | null | undefined): string {
  if (relative === null || relative === undefined || !Number.isFinite(relative)) return '—';
  const p = relative * 100;
  const s = Math.abs(p) >= 100 ? Math.abs(p).toFixed(0) : Math.abs(p).toFixed(1);
  if (Number(s) === 0) return '0.0 %';
  return `${p > 0 ? '+' : '−'}${s} %`;
}

/** A value with its unit: `41.2 ms`, `206.5 tok/s`, `95.0 %` for ratios. */
export function fmtUnit(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (unit === '%') return `${(v * 100).toFixed(1)} %`;
  return unit ? `${fmt(v)} ${unit}` : fmt(v);
}

/** The unit of a metric from its group and name ('' when it has none: scores, counts of nothing in particular). */
export function unitOf(group: string, metric: string): string {
  if (group === 'latency' || /_ms$/.test(metric)) return 'ms';
  if (group === 'score') return '';
  if (/goodput|request_throughput|requests_per_s/.test(metric)) return 'req/s';
  if (/samples_per_s/.test(metric)) return 'samples/s';
  if (/token.*_per_s|_throughput$|tokens_per_s/.test(metric)) return 'tok/s';
  if (/concurren/.test(metric)) return 'requests';
  if (/success_rate/.test(metric)) return '%';
  if (/(^|_)duration(_s)?$|_s$/.test(metric)) return 's';
  if (/tokens/.test(metric)) return 'tokens';
  return '';
}

/** Display names of the latency metrics vLLM reports. */
export const LATENCY_LABELS: Record<string, string> = {
  ttft_ms: 'TTFT (time to first token)',
  tpot_ms: 'TPOT (time per output token)',
  itl_ms: 'ITL (inter-token latency)',
  e2el_ms: 'E2EL (end-to-end latency)',
};

/** Short names for chart legends: `ttft_ms` → `TTFT`. */
export function shortLatency(name: string): string {
  return name.replace(/_ms$/, '').toUpperCase();
}

/** An ISO time as the tables show it (local, to the second); the raw string when it does not parse. */
export function fmtTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
