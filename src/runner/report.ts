/**
 * The runner's output documents (the `benchops-runner/v1` contract in src/services/results/parsers/benchops.ts) and the
 * summary table printed at the end of a job.
 */
import type { ThresholdCheck } from './thresholds.ts';

export const RUNNER_FORMAT = 'benchops-runner/v1';
export const RUNNER_SOURCE = 'benchops-runner';
export const RUNNER_VERSION = '0.1.0';

export type LatencyStats = Record<string, number>;

export interface PerformanceBlock {
  summary: Record<string, unknown>;
  throughput: Record<string, number>;
  latency: Record<string, LatencyStats>;
}

/** The load generator's self-check verdict: a saturated client overstates latencies, and `reasons` say why. */
export interface Reliability {
  reliable: boolean;
  /** Empty when reliable; e.g. `p99 event-loop lag 14.20 ms > 10 ms` (prefixed with the scenario in a run's verdict). */
  reasons: string[];
}

export interface RunnerOutput {
  format: typeof RUNNER_FORMAT;
  kind: 'performance' | 'task-eval';
  meta: Record<string, unknown> & { benchmark_name: string; model: { id: string; tokenizer_id?: string }; reliability?: Reliability };
  results: Record<string, Record<string, number>>;
  performance: PerformanceBlock;
  thresholds?: { passed: boolean; checks: ThresholdCheck[] };
  scenarios?: ({ name: string; config?: Record<string, unknown>; reliability?: Reliability } & PerformanceBlock)[];
  requests?: unknown[];
  samples?: unknown[];
}

const RAW_ONLY = new Set(['requests', 'samples', 'format', 'kind']);

/** The standardized document: the raw output without per-request records, scenarios kept under `performance.scenarios`. */
export function standardize(raw: RunnerOutput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!RAW_ONLY.has(k) && v !== undefined) out[k] = v;
  out.meta = { ...raw.meta, source: RUNNER_SOURCE, kind: raw.kind };
  if (raw.scenarios) {
    out.performance = { ...raw.performance, scenarios: Object.fromEntries(raw.scenarios.map((s) => [s.name, s])) };
    delete out.scenarios;
  }
  return out;
}

/**
 * A run's verdict from its scenarios' self-checks: unreliable when any scenario was, each reason prefixed with its
 * scenario; undefined when no scenario was checked (task evaluations).
 */
export function runReliability(scenarios: readonly { name: string; reliability?: Reliability }[]): Reliability | undefined {
  const checked = scenarios.filter((s) => s.reliability);
  if (!checked.length) return undefined;
  return {
    reliable: checked.every((s) => s.reliability!.reliable),
    reasons: checked.flatMap((s) => s.reliability!.reasons.map((r) => (scenarios.length > 1 ? `${s.name}: ${r}` : r))),
  };
}

/** Formats a number for the table: 3 significant decimals at most, `-` when absent. */
export function fmt(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v === null || v === undefined ? '-' : String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toFixed(4);
}

/** A plain-text table (monospace logs: no colours, no box drawing that breaks in kubectl logs). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The end-of-run summary for a performance run: one row per scenario. */
export function perfSummaryTable(scenarios: NonNullable<RunnerOutput['scenarios']>): string {
  const rows = scenarios.map((s) => [
    s.name,
    `${fmt(s.summary.completed)}/${fmt((Number(s.summary.completed) || 0) + (Number(s.summary.failed) || 0))}`,
    fmt(s.throughput.request_throughput),
    fmt(s.throughput.output_throughput),
    fmt(s.latency.ttft_ms?.mean),
    fmt(s.latency.ttft_ms?.p99 ?? s.latency.ttft_ms?.p95),
    fmt(s.latency.tpot_ms?.mean),
    fmt(s.latency.itl_ms?.mean),
    fmt(s.latency.e2el_ms?.mean),
  ]);
  return table(['scenario', 'ok/total', 'req/s', 'out tok/s', 'TTFT mean', 'TTFT p99', 'TPOT mean', 'ITL mean', 'E2EL mean'], rows);
}

/** The end-of-run summary for a task evaluation: one row per task and metric. */
export function taskSummaryTable(results: RunnerOutput['results']): string {
  const rows: string[][] = [];
  for (const [task, scores] of Object.entries(results)) {
    for (const [k, v] of Object.entries(scores)) {
      if (k.endsWith('_stderr') || k === 'samples' || k === 'failed' || k === 'num_fewshot') continue;
      rows.push([task, k, fmt(v), `±${fmt(scores[`${k}_stderr`])}`, fmt(scores.samples), fmt(scores.failed)]);
    }
  }
  return table(['task', 'metric', 'value', 'stderr', 'samples', 'failed'], rows);
}

export function thresholdTable(checks: ThresholdCheck[]): string {
  return table(
    ['threshold', 'scope', 'limit', 'value', 'result'],
    checks.map((c) => [c.name, c.scope, `${c.op === 'max' ? '≤' : '≥'} ${fmt(c.limit)}`, fmt(c.value), c.passed ? 'PASS' : 'FAIL']),
  );
}
