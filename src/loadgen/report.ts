/** Report shape (vLLM `bench serve` result JSON field names plus a `benchops` section), CSV and the terminal table. */
import type { BenchmarkMetrics, Distribution, GoodputSlos, MetricName, RequestOutput } from './metrics.ts';
import type { ClientShare, SelfCheckReport } from './selfcheck.ts';

/** One request in the per-request records (seconds; times relative to the benchmark start). */
export interface RequestRecordOut {
  index: number;
  scheduled_time: number;
  /** vLLM's clock start (before the HTTP client acquired a connection). */
  start_time: number;
  /** When the body reached a connected socket (start of our dispatch-excluded view). */
  sent_time?: number;
  client_queue_time: number;
  /** sent_time − start_time: waiting for a socket, connecting, a busy loop (inside vLLM's TTFT). */
  client_dispatch_time: number;
  success: boolean;
  error: string;
  prompt_len: number;
  output_tokens: number;
  /** usage: the server's count; tokenizer: counted from the text because usage was missing. */
  output_token_source: 'usage' | 'tokenizer' | 'none';
  ttft: number;
  latency: number;
  /** Read times of the chunks (messages with non-empty `choices`), relative to start_time. */
  chunk_times: number[];
  role_chunk_time?: number;
}

/** Our additions to the vLLM fields. */
export interface BenchopsExtras {
  version: string;
  /** Whose tokenizer counted prompt tokens (server `/tokenize` or the bundled one). */
  tokenizer: { id: string; source: 'server' | 'model' | 'bundled' };
  /** Which vLLM code the metric definitions follow. */
  vllm_definitions?: { version: string; calculate_metrics: string; request_func: string };
  /** Where output token counts came from. */
  output_token_source: 'usage' | 'tokenizer' | 'mixed' | 'none';
  /** Whose tokenizer counted outputs without usage (null when usage covered every request). */
  output_tokenizer?: { id: string; source: 'server' | 'model' | 'bundled' } | null;
  percentiles: number[];
  percentile_metrics: MetricName[];
  goodput_slos: GoodputSlos | null;
  /** Time requests waited in the client for a concurrency slot (ms; not part of TTFT). */
  client_queue_ms: Distribution;
  /** Time from vLLM's clock start to the body reaching a connected socket (ms; inside vLLM's TTFT and E2EL). */
  client_dispatch_ms: Distribution;
  /** Our dispatch-excluded view: TTFT and E2EL from the body reaching a connected socket (ms). */
  ttft_excl_dispatch_ms?: Distribution;
  e2el_excl_dispatch_ms?: Distribution;
  /** The run's self-check (several workers: worst lag, summed CPU, every worker's reasons). */
  self_check: SelfCheckReport;
  /** Each worker's own self-check (several workers only). */
  self_checks?: Array<SelfCheckReport & { worker: number; label?: string }>;
  /** What share of the figures the client itself made, and whether it limited the run. */
  client_share?: ClientShare;
  /** Worker threads the load ran on. */
  workers?: number;
  /** Cores this process may run on (its CPU affinity), when the run used worker threads. */
  client_cores?: number;
  /** What the run could not do as asked and what that means for its figures (the verdict stays the measured one's). */
  warnings?: string[];
  /** Chunks read in the run. */
  chunks?: number;
  /** The run's time zero (the origin of start_time and scheduled_time) as Unix seconds: merges align parts by it. */
  origin_unix_s?: number;
  /** Set by mergeReports: how many parts (pods) the run was merged from. */
  parts?: number;
  /** This report is one part of a run split over pods: every `count`-th request of its schedule from `index`. */
  part?: { index: number; count: number; requests: number };
  /** False when the client itself was saturated: its timestamps are late and latencies overstated. */
  reliable: boolean;
  warmup_requests: number;
  /**
   * Connections open when the measured requests began (summed over workers): the warm-up's kept pool (one worker) and
   * the pre-opened ones (`preconnect`); 0 when the first wave connected inside the measurement.
   */
  connections_at_start?: number;
  /** The load process's garbage collector: `single-threaded` (`--single-threaded-gc`, the CLI's default) or `parallel`. */
  client_gc?: 'single-threaded' | 'parallel';
  /** False when the load process runs without V8's memory reducer (`--no-memory-reducer`, the CLI's default for a load). */
  client_memory_reducer?: boolean;
  started_at: string;
  finished_at: string;
  endpoint_url: string;
  stream: boolean;
  workload: Record<string, unknown>;
  /** Set by `sim predict`: the figures come from virtual time, not a measurement. */
  predicted?: boolean;
}

/** The benchmark result. Field names follow vLLM's saved result JSON; `p{N}_{metric}_ms` exist per chosen percentile. */
export interface BenchmarkReport {
  date: string;
  backend: string;
  endpoint_type: string;
  label: string | null;
  model_id: string;
  tokenizer_id: string;
  num_prompts: number;
  request_rate: number | 'inf';
  burstiness: number;
  max_concurrency: number | null;
  duration: number;
  completed: number;
  failed: number;
  total_input_tokens: number;
  total_output_tokens: number;
  request_throughput: number;
  request_goodput: number | null;
  output_throughput: number;
  total_token_throughput: number;
  max_output_tokens_per_s: number;
  max_concurrent_requests: number;
  input_lens: number[];
  output_lens: number[];
  ttfts: number[];
  itls: number[][];
  generated_texts: string[];
  errors: string[];
  benchops: BenchopsExtras;
  requests?: RequestRecordOut[];
  [metric: string]: unknown;
}

/** The self-check's verdict of a report and why (`reasons` is empty when the measurement is reliable). */
export function reliabilityOf(r: Pick<BenchmarkReport, 'benchops'>): { reliable: boolean; reasons: string[] } {
  const reasons = r.benchops.self_check?.reasons ?? [];
  return { reliable: r.benchops.reliable, reasons: r.benchops.reliable ? [] : [...reasons] };
}

/** vLLM's percentile key word: 99 → "99", 99.9 → "99.9". */
export function pWord(p: number): string {
  return Number.isInteger(p) ? String(p) : String(p);
}

/** Adds mean/median/std/p*_{metric}_ms fields for the selected metrics. */
/** Version written into reports (`benchops.version`). */
export const REPORT_VERSION = '0.1.0';

/**
 * The run-level fields of vLLM's result JSON, from `num_prompts` to `errors`, shared by measured runs and predictions.
 * `request_goodput` is null when no SLOs were given.
 */
export function runFields(
  m: BenchmarkMetrics,
  outs: readonly RequestOutput[],
  run: { request_rate?: number; burstiness?: number; max_concurrency: number | null; duration: number; slos: boolean; texts: boolean },
): Pick<
  BenchmarkReport,
  | 'num_prompts' | 'request_rate' | 'burstiness' | 'max_concurrency' | 'duration' | 'completed' | 'failed' | 'total_input_tokens'
  | 'total_output_tokens' | 'request_throughput' | 'request_goodput' | 'output_throughput' | 'total_token_throughput'
  | 'max_output_tokens_per_s' | 'max_concurrent_requests' | 'input_lens' | 'output_lens' | 'ttfts' | 'itls'
  | 'generated_texts' | 'errors'
> {
  return {
    num_prompts: outs.length,
    request_rate: (run.request_rate ?? Infinity) === Infinity ? 'inf' : run.request_rate!,
    burstiness: run.burstiness ?? 1,
    max_concurrency: run.max_concurrency,
    duration: run.duration,
    completed: m.completed,
    failed: m.failed,
    total_input_tokens: m.total_input,
    total_output_tokens: m.total_output,
    request_throughput: m.request_throughput,
    request_goodput: run.slos ? m.request_goodput : null,
    output_throughput: m.output_throughput,
    total_token_throughput: m.total_token_throughput,
    max_output_tokens_per_s: m.max_output_tokens_per_s,
    max_concurrent_requests: m.max_concurrent_requests,
    input_lens: outs.map((o) => o.prompt_len),
    output_lens: m.output_lens,
    ttfts: outs.map((o) => o.ttft),
    itls: outs.map((o) => o.itl),
    generated_texts: outs.map((o) => (run.texts ? o.generated_text : '')),
    errors: outs.map((o) => o.error),
  };
}

export function addMetricFields(report: Record<string, unknown>, m: BenchmarkMetrics, metrics: readonly MetricName[]): void {
  for (const name of metrics) {
    const d = m[name];
    report[`mean_${name}_ms`] = d.mean;
    report[`median_${name}_ms`] = d.median;
    report[`std_${name}_ms`] = d.std;
    for (const [p, v] of d.percentiles) report[`p${pWord(p)}_${name}_ms`] = v;
  }
}

const num = (v: unknown, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v ?? '-'));

/** The terminal summary, laid out like vLLM's. */
export function summaryTable(r: BenchmarkReport): string {
  const rows: Array<[string, string]> = [];
  const sec = (t: string) => rows.push([`---${t}`, '']);
  rows.push(['Successful requests:', String(r.completed)]);
  rows.push(['Failed requests:', String(r.failed)]);
  rows.push(['Maximum request concurrency:', String(r.max_concurrency ?? 'unlimited')]);
  rows.push(['Request rate configured (RPS):', String(r.request_rate)]);
  rows.push(['Benchmark duration (s):', num(r.duration)]);
  rows.push(['Total input tokens:', String(r.total_input_tokens)]);
  rows.push(['Total generated tokens:', String(r.total_output_tokens)]);
  rows.push(['Request throughput (req/s):', num(r.request_throughput)]);
  if (r.request_goodput !== null) rows.push(['Request goodput (req/s):', num(r.request_goodput)]);
  rows.push(['Output token throughput (tok/s):', num(r.output_throughput)]);
  rows.push(['Peak output token throughput (tok/s):', num(r.max_output_tokens_per_s)]);
  rows.push(['Peak concurrent requests:', num(r.max_concurrent_requests)]);
  rows.push(['Total token throughput (tok/s):', num(r.total_token_throughput)]);
  const titles: Record<MetricName, string> = { ttft: 'Time to First Token', tpot: 'Time per Output Token (excl. 1st token)', itl: 'Inter-token Latency', e2el: 'End-to-end Latency' };
  for (const m of r.benchops.percentile_metrics) {
    sec(titles[m]);
    rows.push([`Mean ${m.toUpperCase()} (ms):`, num(r[`mean_${m}_ms`])]);
    rows.push([`Median ${m.toUpperCase()} (ms):`, num(r[`median_${m}_ms`])]);
    for (const p of r.benchops.percentiles) rows.push([`P${pWord(p)} ${m.toUpperCase()} (ms):`, num(r[`p${pWord(p)}_${m}_ms`])]);
  }
  sec('Client');
  const q = r.benchops.client_queue_ms;
  rows.push(['Client queue time mean / max p (ms):', `${num(q.mean)} / ${num(q.percentiles.at(-1)?.[1])}`]);
  const dd = r.benchops.client_dispatch_ms;
  rows.push(['Client dispatch delay mean / max p (ms):', `${num(dd.mean)} / ${num(dd.percentiles.at(-1)?.[1])}`]);
  const sc = r.benchops.self_check;
  rows.push(['Event-loop lag mean / p99 (ms):', `${num(sc.event_loop_lag_ms.mean)} / ${num(sc.event_loop_lag_ms.p99)}`]);
  rows.push(['Client CPU mean / peak (core):', `${num(sc.cpu_mean)} / ${num(sc.cpu_peak)}`]);
  if (r.benchops.workers !== undefined) rows.push(['Client worker threads:', String(r.benchops.workers) + (r.benchops.client_cores !== undefined ? ` on ${r.benchops.client_cores} core(s)` : '')]);
  if (r.benchops.client_gc !== undefined) rows.push(['Client GC:', r.benchops.client_gc + (r.benchops.client_memory_reducer === false ? ', no memory reducer' : '')]);
  if (sc.chunks_per_cpu_s) rows.push(['Client chunks per CPU-second:', num(sc.chunks_per_cpu_s, 0)]);
  const cs = r.benchops.client_share;
  if (cs) {
    rows.push(['Client dispatch share of mean / p99 TTFT:', `${num(cs.dispatch_of_mean_ttft * 100, 1)} % / ${num(cs.dispatch_of_p99_ttft * 100, 1)} %`]);
    // "by how much": the client's own additions to the figures, as shares of the run's TTFT and ITL
    rows.push([
      'Limited by:',
      cs.client_bound
        ? `CLIENT: adds ${num(cs.dispatch_of_mean_ttft * 100, 1)} % to mean TTFT, lag ${num(cs.lag_of_p99_ttft * 100, 1)} % of p99 TTFT / ${num(cs.lag_of_mean_itl * 100, 0)} % of mean ITL`
        : 'server',
    ]);
  }
  rows.push(['Tokenizer:', `${r.benchops.tokenizer.id} (${r.benchops.tokenizer.source})`]);
  rows.push(['Output tokens from:', r.benchops.output_token_source]);
  rows.push(['Measurement:', r.benchops.reliable ? 'reliable' : `UNRELIABLE (${sc.reasons.join('; ')})`]);
  for (const w of r.benchops.warnings ?? []) rows.push(['Warning:', w]);
  const width = 50;
  const title = r.benchops.predicted ? ' Predicted Benchmark Result ' : ' Serving Benchmark Result ';
  const lines = [title.padStart((width + title.length) / 2, '=').padEnd(width, '=')];
  for (const [k, v] of rows) {
    if (k.startsWith('---')) lines.push(` ${k.slice(3)} `.padStart((width + k.length - 1) / 2, '-').padEnd(width, '-'));
    else if (k.length + v.length >= width) lines.push(`${k} ${v}`); // long values keep a space after the label
    else lines.push(k.padEnd(width - Math.max(10, v.length)) + v.padStart(Math.max(10, v.length)));
  }
  lines.push('='.repeat(width));
  return lines.join('\n');
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Per-request CSV (one row per request; chunk times joined with `;`). */
export function requestsCsv(r: BenchmarkReport): string {
  const cols = ['index', 'scheduled_time', 'start_time', 'client_queue_time', 'client_dispatch_time', 'success', 'error', 'prompt_len', 'output_tokens', 'output_token_source', 'ttft', 'latency', 'chunk_times'] as const;
  const lines = [cols.join(',')];
  for (const q of r.requests ?? []) {
    lines.push(cols.map((c) => csvCell(c === 'chunk_times' ? q.chunk_times.map((x) => x.toFixed(6)).join(';') : q[c])).join(','));
  }
  return lines.join('\n') + '\n';
}

/** One-row summary CSV of several reports (sweeps): the scalar vLLM fields. */
export function summaryCsv(reports: readonly BenchmarkReport[]): string {
  if (!reports.length) return '';
  const keys = Object.keys(reports[0]).filter((k) => typeof reports[0][k] !== 'object' || reports[0][k] === null);
  return [keys.join(','), ...reports.map((r) => keys.map((k) => csvCell(r[k])).join(','))].join('\n') + '\n';
}
