/**
 * Benchmark metrics with vLLM `bench serve`'s definitions (vllm/benchmarks/serve.py `calculate_metrics`):
 * TTFT = first token-bearing chunk − send; ITL = gaps between token-bearing chunks; E2EL = last token-bearing chunk −
 * send; TPOT = (E2EL − TTFT)/(output_tokens − 1) for outputs longer than one token; throughputs over the benchmark
 * duration; goodput = requests meeting every SLO (TPOT counts as 0 for one-token outputs); peak output tokens/s and peak
 * concurrency over one-second buckets.
 */

/** One request as the client measured it. Times in seconds; `start_time` is relative to the benchmark start. */
export interface RequestOutput {
  success: boolean;
  error: string;
  prompt_len: number;
  /** Output tokens from the server's usage, null when the server did not say. */
  output_tokens: number | null;
  generated_text: string;
  /** When the request was sent (after any client queueing and dispatch). */
  start_time: number;
  /** When the client began sending it; start_time − dispatch_time is client dispatch delay (default: start_time). */
  dispatch_time?: number;
  /** When the schedule wanted it sent; start_time − scheduled_time is client queue time. */
  scheduled_time: number;
  ttft: number;
  itl: number[];
  latency: number;
  /** Chat: seconds to a role-only chunk, if one came before the first token. */
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
  /** Client dispatch delay (socket flush − dispatch), ms; not part of TTFT. */
  client_dispatch: Distribution;
}

/** numpy.percentile with linear interpolation, on an ascending-sorted array. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** mean/median/std (population, like numpy)/percentiles of seconds, returned in ms; an empty sample gives zeros. */
export function distribution(valuesS: readonly number[], percentiles: readonly number[]): Distribution {
  const v = valuesS.length ? valuesS : [0];
  const sorted = [...v].sort((a, b) => a - b);
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
  let totalInput = 0;
  let completed = 0;
  let fromTokenizer = 0;
  let good = 0;
  for (const o of outputs) {
    const d = o.dispatch_time ?? o.start_time;
    queue.push(Math.max(0, d - o.scheduled_time));
    dispatch.push(Math.max(0, o.start_time - d));
    if (!o.success) {
      outputLens.push(0);
      continue;
    }
    let outLen = o.output_tokens ?? 0;
    if (!outLen) {
      outLen = countTokens(o.generated_text);
      fromTokenizer++;
    }
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
  };
}

/** vLLM's one-second-bucket peaks: token times rebuilt from start + TTFT + cumulative ITL. */
function peaks(outputs: readonly RequestOutput[]): { maxTokensPerS: number; maxConcurrent: number } {
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
  const conc = new Float64Array(n);
  for (const o of ok) {
    let t = o.start_time + o.ttft;
    const add = (x: number) => {
      const b = Math.floor(x - t0);
      if (b >= 0 && b < n) tokens[b]++;
    };
    add(t);
    for (const g of o.itl) {
      t += g;
      add(t);
    }
    const s = Math.floor(o.start_time - t0);
    const e = Math.floor(o.start_time + o.latency - t0);
    for (let b = s; b <= e && b < n; b++) conc[b]++;
  }
  let maxT = 0;
  let maxC = 0;
  for (let i = 0; i < n; i++) {
    if (tokens[i] > maxT) maxT = tokens[i];
    if (conc[i] > maxC) maxC = conc[i];
  }
  return { maxTokensPerS: maxT, maxConcurrent: maxC };
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
