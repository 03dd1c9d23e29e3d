/**
 * Benchmark metrics with vLLM `bench serve`'s definitions (vllm/benchmarks/serve.py `calculate_metrics` at vLLM commit
 * 009e6d4a, request function vllm/benchmarks/lib/endpoint_request_func.py at 02cfb534 — see VLLM_DEFINITIONS):
 * the clock starts before the request is handed to the HTTP client (connection acquisition included); a chunk is every
 * SSE message whose `choices` is non-empty (empty text and the chat role-only chunk included); TTFT = first chunk −
 * start; ITL = gaps between chunks; E2EL = last chunk − start; TPOT = (E2EL − TTFT)/(output_tokens − 1) for outputs
 * longer than one token; throughputs over the benchmark duration; goodput = requests meeting every SLO (TPOT counts as
 * 0 for one-token outputs); peak output tokens/s over one-second buckets; peak concurrency exact, by a sweep over
 * start/end events of half-open intervals [start, start + E2EL) (an end sorts before a start at the same instant).
 */

/** Which vLLM code our definitions follow (reported in every result). */
export const VLLM_DEFINITIONS = {
  version: 'vllm-project/vllm main @ 009e6d4a (serve.py) / 02cfb534 (endpoint_request_func.py)',
  calculate_metrics: 'vllm/benchmarks/serve.py @ 009e6d4a1cd6ba3fb2a9fc00f4ec06f5297232a1',
  request_func: 'vllm/benchmarks/lib/endpoint_request_func.py @ 02cfb534df5674737558730b10f23d1b7aef9b7c',
} as const;

/** One request as the client measured it. Times in seconds; `start_time` is relative to the benchmark start. */
export interface RequestOutput {
  /** Position in the run's global arrival schedule (set by the runner; merges order by it). */
  index?: number;
  success: boolean;
  error: string;
  prompt_len: number;
  /** Output tokens from the server's usage, null when the server did not say. */
  output_tokens: number | null;
  /** Output tokens counted from the text when usage was missing (by `counted_by`); calculateMetrics uses it first. */
  counted_output_tokens?: number;
  /** Whose tokenizer gave `counted_output_tokens`: the server's `/tokenize`, a real one for the model, the bundled one. */
  counted_by?: 'server' | 'model' | 'bundled';
  generated_text: string;
  /** vLLM's clock start: when the client handed the request to its HTTP stack (before connection acquisition). */
  start_time: number;
  /** When the body reached a connected socket; sent_time − start_time is client dispatch delay (default 0). */
  sent_time?: number;
  /** When the schedule wanted it sent; start_time − scheduled_time is client queue time. */
  scheduled_time: number;
  /** First chunk − start_time (vLLM). */
  ttft: number;
  itl: number[];
  /** Last chunk − start_time (vLLM's E2EL). */
  latency: number;
  /** Chat: seconds to a role-only chunk (the first chunk when the server sends one). */
  role_chunk?: number;
}

/** Metric names accepted in `percentile_metrics`. */
export const METRIC_NAMES = ['ttft', 'tpot', 'itl', 'e2el'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** SLOs in milliseconds per metric (vLLM's `--goodput ttft:200 tpot:50`). */
export type GoodputSlos = Partial<Record<'ttft' | 'tpot' | 'e2el', number>>;

/** Summary of a sample in milliseconds. */
export interface Distribution {
  mean: number;
  median: number;
  std: number;
  percentiles: Array<[number, number]>;
}

/** What `calculateMetrics` returns (milliseconds for latencies, per second for rates). */
export interface BenchmarkMetrics {
  completed: number;
  failed: number;
  total_input: number;
  total_output: number;
  request_throughput: number;
  request_goodput: number;
  output_throughput: number;
  total_token_throughput: number;
  max_output_tokens_per_s: number;
  max_concurrent_requests: number;
  /** Output lengths per request (0 for failures), usage where present, else the tokenizer. */
  output_lens: number[];
  /** How many successful requests' output counts came from the tokenizer because usage was missing. */
  output_tokens_from_tokenizer: number;
  ttft: Distribution;
  tpot: Distribution;
  itl: Distribution;
  e2el: Distribution;
  /** Client queue time (dispatch − scheduled: waiting for a concurrency slot or a late timer), ms; not part of TTFT. */
  client_queue: Distribution;
  /** Client dispatch delay (body on a connected socket − vLLM's clock start), ms; part of vLLM's TTFT and E2EL. */
  client_dispatch: Distribution;
  /** Our dispatch-excluded view: TTFT and E2EL measured from the body reaching a connected socket, ms. */
  ttft_excl_dispatch: Distribution;
  e2el_excl_dispatch: Distribution;
}

/** numpy.percentile with linear interpolation, on an ascending-sorted array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** mean/median/std (population, like numpy)/percentiles of seconds, returned in ms; an empty sample gives zeros. */
export function distribution(valuesS: readonly number[], percentiles: readonly number[]): Distribution {
  const v = valuesS.length ? valuesS : [0];
  // a typed array sorts numerically without a comparator call per pair (a 10,000-request prediction has ~1.5M ITLs)
  const sorted = Float64Array.from(v).sort();
  let sum = 0;
  for (const x of v) sum += x;
  const mean = sum / v.length;
  let sq = 0;
  for (const x of v) sq += (x - mean) ** 2;
  return {
    mean: mean * 1000,
    median: percentileSorted(sorted, 50) * 1000,
    std: Math.sqrt(sq / v.length) * 1000,
    percentiles: percentiles.map((p) => [p, percentileSorted(sorted, p) * 1000]),
  };
}

/** Computes the report metrics; `countTokens` is the fallback tokenizer when usage is missing. */
export function calculateMetrics(
  outputs: readonly RequestOutput[],
  durationS: number,
  percentiles: readonly number[],
  countTokens: (text: string) => number,
  slos?: GoodputSlos,
): BenchmarkMetrics {
  const outputLens: number[] = [];
  const ttfts: number[] = [];
  const tpots: number[] = [];
  const allTpots: number[] = [];
  const itls: number[] = [];
  const e2els: number[] = [];
  const queue: number[] = [];
  const dispatch: number[] = [];
  const ttftX: number[] = [];
  const e2elX: number[] = [];
  let totalInput = 0;
  let completed = 0;
  let fromTokenizer = 0;
  let good = 0;
  for (const o of outputs) {
    const dd = Math.max(0, (o.sent_time ?? o.start_time) - o.start_time);
    queue.push(Math.max(0, o.start_time - o.scheduled_time));
    dispatch.push(dd);
    if (!o.success) {
      outputLens.push(0);
      continue;
    }
    // vLLM: `if not output_len` — a usage of 0 is counted from the text too
    let outLen = o.output_tokens ?? 0;
    if (!outLen) {
      outLen = o.counted_output_tokens ?? countTokens(o.generated_text);
      fromTokenizer++;
    }
    ttftX.push(o.ttft - dd);
    e2elX.push(o.latency - dd);
    outputLens.push(outLen);
    totalInput += o.prompt_len;
    let tpot = 0;
    if (outLen > 1) {
      tpot = (o.latency - o.ttft) / (outLen - 1);
      tpots.push(tpot);
    }
    allTpots.push(tpot);
    for (const x of o.itl) itls.push(x);
    ttfts.push(o.ttft);
    e2els.push(o.latency);
    completed++;
    if (slos) {
      const ok =
        (slos.ttft === undefined || o.ttft <= slos.ttft / 1000) &&
        (slos.tpot === undefined || tpot <= slos.tpot / 1000) &&
        (slos.e2el === undefined || o.latency <= slos.e2el / 1000);
      if (ok) good++;
    }
  }
  const totalOutput = outputLens.reduce((a, b) => a + b, 0);
  const { maxTokensPerS, maxConcurrent } = peaks(outputs);
  const d = durationS > 0 ? durationS : Number.NaN;
  return {
    completed,
    failed: outputs.length - completed,
    total_input: totalInput,
    total_output: totalOutput,
    request_throughput: completed / d,
    request_goodput: good / d,
    output_throughput: totalOutput / d,
    total_token_throughput: (totalInput + totalOutput) / d,
    max_output_tokens_per_s: maxTokensPerS,
    max_concurrent_requests: maxConcurrent,
    output_lens: outputLens,
    output_tokens_from_tokenizer: fromTokenizer,
    ttft: distribution(ttfts, percentiles),
    tpot: distribution(tpots, percentiles),
    itl: distribution(itls, percentiles),
    e2el: distribution(e2els, percentiles),
    client_queue: distribution(queue, percentiles),
    client_dispatch: distribution(dispatch, percentiles),
    ttft_excl_dispatch: distribution(ttftX, percentiles),
    e2el_excl_dispatch: distribution(e2elX, percentiles),
  };
}

/**
 * vLLM's peaks: output chunks per one-second bucket from the first start (chunk times rebuilt from start + TTFT +
 * cumulative ITL), and the exact peak of concurrent requests by a sweep over [start, start + E2EL) events of the
 * successful requests, an end before a start at the same instant.
 */
export function peaks(outputs: readonly RequestOutput[]): { maxTokensPerS: number; maxConcurrent: number } {
  const ok = outputs.filter((o) => o.success);
  if (!ok.length) return { maxTokensPerS: 0, maxConcurrent: 0 };
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const o of ok) {
    t0 = Math.min(t0, o.start_time);
    t1 = Math.max(t1, o.start_time + o.latency);
  }
  const n = Math.ceil(t1 - t0) + 1;
  const tokens = new Float64Array(n);
  for (const o of ok) {
    let t = o.start_time + o.ttft;
    let b = Math.trunc(t - t0);
    if (b >= 0 && b < n) tokens[b]++;
    const itl = o.itl;
    for (let k = 0; k < itl.length; k++) {
      t += itl[k];
      b = Math.trunc(t - t0);
      if (b >= 0 && b < n) tokens[b]++;
    }
  }
  let maxT = 0;
  for (let i = 0; i < n; i++) if (tokens[i] > maxT) maxT = tokens[i];
  return { maxTokensPerS: maxT, maxConcurrent: peakConcurrency(ok) };
}

/**
 * Exact peak of overlapping half-open intervals [start_time, start_time + latency): the starts and the ends sorted
 * apart (typed arrays sort natively, no comparator call per pair) and merged, an end before a start at the same
 * instant — the same sweep as one sorted list of events, without sorting 2n indexes with a comparator.
 */
export function peakConcurrency(ok: readonly Pick<RequestOutput, 'start_time' | 'latency'>[]): number {
  const n = ok.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    starts[i] = ok[i].start_time;
    ends[i] = ok[i].start_time + ok[i].latency;
  }
  starts.sort();
  ends.sort();
  let cur = 0;
  let peak = 0;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const t = starts[i];
    while (e < n && ends[e] <= t) {
      e++;
      cur--;
    }
    if (++cur > peak) peak = cur;
  }
  return peak;
}

/** Parses `"ttft:200 tpot:50"`, `["ttft:200"]` or an object into SLOs; throws a RangeError naming the bad entry. */
export function parseGoodput(v: string | readonly string[] | GoodputSlos | undefined): GoodputSlos | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (!['ttft', 'tpot', 'e2el'].includes(k) || typeof x !== 'number' || !(x >= 0)) throw new RangeError(`invalid goodput SLO ${k}:${x}`);
    }
    return { ...(v as GoodputSlos) };
  }
  const parts = (typeof v === 'string' ? v.split(/[\s,]+/) : (v as readonly string[])).filter(Boolean);
  const out: GoodputSlos = {};
  for (const p of parts) {
    const [k, x] = p.split(':');
    const n = Number(x);
    if (!['ttft', 'tpot', 'e2el'].includes(k) || !Number.isFinite(n) || n < 0) {
      throw new RangeError(`invalid goodput SLO "${p}" (expected ttft|tpot|e2el:<ms>)`);
    }
    out[k as 'ttft'] = n;
  }
  return parts.length ? out : undefined;
}
