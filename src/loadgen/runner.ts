/**
 * `runBenchmark`: one load-generator run against an OpenAI-compatible endpoint, from options to report. The load runs
 * in this thread (one worker) or on worker threads (`workers` > 1, see workers.ts); either way the per-request records
 * are merged exactly (merge.ts) and each share's self-check is judged against the run's own TTFT/ITL scale.
 */
import { performance } from 'node:perf_hooks';
import { closeTarget, preopenTarget, sendRequest } from './client.ts';
import { bundledCounter, loadSamples, type DatasetOptions, type Sample, type TokenCounter } from './dataset.ts';
import { chunkTimes, runLoad, targetOf, type LoadCounters, type LoadRecord, type LoadResult, type LoadShare, type TargetSpec } from './load.ts';
import { mergeParts } from './merge.ts';
import { distribution, METRIC_NAMES, parseGoodput, VLLM_DEFINITIONS, type GoodputSlos, type MetricName, type RequestOutput } from './metrics.ts';
import { addMetricFields, REPORT_VERSION, runFields, type BenchmarkReport, type RequestRecordOut } from './report.ts';
import { arrivalTimes, checkSchedule, type ScheduleOptions } from './schedule.ts';
import { combineChecks, DEFAULT_LIMITS, judge, type ClientShare, type SelfCheckLimits } from './selfcheck.ts';
import { tokenCounterFor } from './tokenizer.ts';
import { clientCores, defaultWorkers, runOnWorkers, splitSlots } from './workers.ts';

/** Options, named after `vllm bench serve` flags (snake_case). */
export interface BenchmarkOptions extends Omit<DatasetOptions, 'num_prompts' | 'seed'>, Omit<ScheduleOptions, 'seed'> {
  /** Server root, e.g. `http://127.0.0.1:8000` (vLLM --base-url). A trailing `/v1` is tolerated. */
  base_url: string;
  /** Route (vLLM --endpoint); default `/v1/completions`, or `/v1/chat/completions` for chat. */
  endpoint?: string;
  /** `completions` | `chat`; vLLM names `openai`, `vllm` (completions) and `openai-chat` are accepted. */
  backend?: 'completions' | 'chat' | 'openai' | 'openai-chat' | 'vllm';
  /** Model name to send; default: the first model of `/v1/models`. */
  model?: string;
  /** Name reported as model_id/tokenizer_id when different from `model`. */
  model_id?: string;
  /**
   * Who counts prompt tokens (and output tokens when usage is missing): `auto` (the server's /tokenize when it answers,
   * else a real tokenizer for the model's family, else the bundled one), `server`, `model` or `bundled`.
   */
  tokenizer?: 'auto' | 'server' | 'model' | 'bundled';
  /**
   * Worker threads for the load (default 1 in the library). `auto` (the CLI's default): the machine's cores, keeping
   * one for a server on this machine, capped at max_concurrency and at one worker per 16 requests.
   */
  workers?: number | 'auto';
  /** Requests to send (default 1000). With `duration` the prompts are cycled until the time is up. */
  num_prompts?: number;
  /** Seconds to keep sending (then waits for in-flight requests). */
  duration?: number;
  max_concurrency?: number | null;
  /** Comma list or array; default ttft,tpot,itl,e2el. */
  percentile_metrics?: string | MetricName[];
  /** Comma list or array; default 50,90,95,99. */
  metric_percentiles?: string | number[];
  /** SLOs in ms: "ttft:200 tpot:50", ["ttft:200"], or {ttft: 200}. */
  goodput?: string | string[] | GoodputSlos;
  seed?: number;
  /**
   * Warm-up requests before measuring (vLLM --num-warmups); not counted. As in vLLM (one aiohttp session for the
   * warm-up and the run), the measured requests reuse the warm-up's connections (one worker; worker threads each
   * connect their own — `preconnect` opens them before the time zero).
   */
  num_warmups?: number;
  /**
   * Open the run's connections before its time zero (max_concurrency of them, at most 1,024 per worker; each proven by
   * a GET of the models route, a bounded number of connects at a time), so the first wave does not connect inside the
   * measurement. vLLM's clock still starts before a connection is acquired; it is found open. Default false (vLLM's
   * client connects during the run).
   */
  preconnect?: boolean;
  /** Send max_tokens with ignore_eos so outputs have the exact length (default true). */
  ignore_eos?: boolean;
  temperature?: number;
  stream?: boolean;
  /** Per-request timeout, seconds (default 600). */
  request_timeout?: number;
  api_key?: string;
  headers?: Record<string, string>;
  /** Extra JSON fields for every request body. */
  extra_body?: Record<string, unknown>;
  label?: string;
  /** Keep per-request records in the report (default true). */
  save_detailed?: boolean;
  self_check_limits?: Partial<SelfCheckLimits>;
  /** Fixed samples instead of a dataset (library use). */
  samples?: Sample[];
  /**
   * This process's share of a run split over pods (an Indexed Job's JOB_COMPLETION_INDEX of N): of the whole run's one
   * arrival schedule and dataset it sends every `count`-th request from `index`, at the run's own arrival times, with
   * its share of the concurrency; records keep the run's request indexes, so the parts merge into the run exactly.
   */
  part?: { index: number; count: number };
}

/** Progress notifications. */
export interface BenchmarkProgress {
  phase: 'tokenizing' | 'warmup' | 'running' | 'done';
  completed: number;
  failed: number;
  /** Expected total (unknown with duration). */
  total: number | null;
  inflight: number;
  elapsed_s: number;
  /** Chunks read so far (streams). */
  chunks?: number;
  /** Busy fraction of the (busiest) client event loop lately: near 1 the client, not the server, is the limit. */
  client_busy?: number;
}

/** Library hooks: progress, per-request results, cancellation. */
export interface BenchmarkHooks {
  onProgress?: (p: BenchmarkProgress) => void;
  onRequest?: (r: RequestRecordOut) => void;
  signal?: AbortSignal;
}

function splitList(v: string | readonly (string | number)[] | undefined, dflt: string): string[] {
  if (v === undefined) return dflt.split(',');
  return (typeof v === 'string' ? v.split(',') : v.map(String)).map((s) => s.trim()).filter(Boolean);
}

/** Validates and normalises options; throws a RangeError naming the option. */
export function normaliseOptions(o: BenchmarkOptions) {
  let base: URL;
  try {
    base = new URL(o.base_url);
  } catch {
    throw new RangeError(`base_url "${o.base_url}" is not a URL`);
  }
  if (!/^https?:$/.test(base.protocol)) throw new RangeError('base_url must be http(s)');
  const root = base.href.replace(/\/+$/, '').replace(/\/v1$/, '');
  const b = o.backend ?? (o.endpoint?.includes('chat') ? 'chat' : 'completions');
  if (!['completions', 'chat', 'openai', 'openai-chat', 'vllm'].includes(b)) throw new RangeError(`backend "${b}" is not completions|chat`);
  const chat = b === 'chat' || b === 'openai-chat';
  const endpoint = o.endpoint ?? (chat ? '/v1/chat/completions' : '/v1/completions');
  const percentileMetrics = splitList(o.percentile_metrics, 'ttft,tpot,itl,e2el') as MetricName[];
  for (const m of percentileMetrics) if (!METRIC_NAMES.includes(m)) throw new RangeError(`percentile_metrics: unknown metric "${m}"`);
  const percentiles = splitList(o.metric_percentiles, '50,90,95,99').map(Number);
  for (const p of percentiles) if (!(p >= 0 && p <= 100)) throw new RangeError(`metric_percentiles: ${p} is not in 0..100`);
  const numPrompts = o.num_prompts ?? (o.samples?.length || 1000);
  if (!Number.isInteger(numPrompts) || numPrompts < 1) throw new RangeError('num_prompts must be a positive integer');
  const conc = o.max_concurrency ?? null;
  if (conc !== null && (!Number.isInteger(conc) || conc < 1)) throw new RangeError('max_concurrency must be a positive integer');
  if (o.duration !== undefined && !(o.duration > 0)) throw new RangeError('duration must be > 0 seconds');
  const warm = o.num_warmups ?? 0;
  if (!Number.isInteger(warm) || warm < 0) throw new RangeError('num_warmups must be an integer ≥ 0');
  // what this process sends: the run, or a part's share of it (every count-th request, its slots of the concurrency)
  const ownConc = o.part && conc !== null ? splitSlots(conc, o.part.count)[o.part.index] ?? conc : conc;
  const ownPrompts = o.part ? Math.ceil((numPrompts - o.part.index) / o.part.count) : numPrompts;
  // auto: the machine's cores (one kept for a local server), but never more than the run can use — one slot each
  // (max_concurrency) and at least 16 requests each (a worker thread takes ~0.5 s to start)
  const workers =
    o.workers === 'auto'
      ? Math.max(1, Math.min(defaultWorkers(base.href), ownConc ?? Infinity, o.duration ? Infinity : Math.floor(ownPrompts / 16)))
      : (o.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new RangeError('workers must be an integer in 1..256 (or auto)');
  if (ownConc !== null && workers > ownConc) throw new RangeError(`workers (${workers}) must not exceed max_concurrency (${ownConc}${o.part ? ', this part\'s share' : ''}): each worker needs a slot`);
  const timeout = o.request_timeout ?? 600;
  if (!(timeout > 0)) throw new RangeError('request_timeout must be > 0');
  checkSchedule(o);
  const part = o.part;
  if (part) {
    if (!Number.isInteger(part.count) || part.count < 1 || part.count > 1024) throw new RangeError('part.count must be an integer in 1..1024');
    if (!Number.isInteger(part.index) || part.index < 0 || part.index >= part.count) throw new RangeError(`part.index must be an integer in 0..${part.count - 1}`);
    if (o.duration !== undefined) throw new RangeError('part: a run split over pods sends num_prompts requests (not a duration)');
    if (part.count > numPrompts) throw new RangeError(`part.count (${part.count}) must not exceed num_prompts (${numPrompts})`);
    if (conc !== null && part.count > conc) throw new RangeError(`part.count (${part.count}) must not exceed max_concurrency (${conc}): each part needs a slot`);
  }
  return {
    root,
    url: new URL(root + (endpoint.startsWith('/') ? endpoint : '/' + endpoint)),
    chat,
    backend: chat ? 'openai-chat' : 'openai',
    endpoint,
    percentileMetrics,
    percentiles,
    numPrompts,
    conc,
    warm,
    timeoutMs: timeout * 1000,
    slos: parseGoodput(o.goodput),
    seed: o.seed ?? 0,
    workers,
  };
}

async function getJson(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<any> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** The server's `/tokenize` as a counter, or undefined when it has none. */
export async function serverCounter(root: string, model: string, headers: Record<string, string>): Promise<TokenCounter | undefined> {
  const post = async (prompt: string) => {
    const j = await getJson(`${root}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, prompt, add_special_tokens: false }) });
    const c = typeof j.count === 'number' ? j.count : Array.isArray(j.tokens) ? j.tokens.length : undefined;
    if (c === undefined) throw new Error('no count in /tokenize answer');
    return c as number;
  };
  try {
    await post('hello world');
  } catch {
    return undefined;
  }
  return { id: `${model} (server /tokenize)`, source: 'server', count: post };
}

/** Times in a buffer the worker threads can share when there are several. */
function sharedTimes(list: number[], shared: boolean): Float64Array {
  const times = new Float64Array(shared ? new SharedArrayBuffer(list.length * 8) : new ArrayBuffer(list.length * 8));
  times.set(list);
  return times;
}

/** Arrival times of the whole run (one schedule for every share); null when all requests go at once. */
function scheduleOf(o: BenchmarkOptions, seed: number, total: number | null, shared: boolean): { times: Float64Array | null; total: number } {
  const inf = (o.request_rate ?? Infinity) === Infinity && !o.ramp_up_strategy;
  if (inf) return { times: null, total: total ?? Infinity };
  const MAX = 20_000_000;
  const gen = arrivalTimes({ ...o, seed }, total ?? undefined, o.duration);
  const list: number[] = [];
  for (;;) {
    if (total !== null && list.length >= total) break;
    const at = gen.next().value as number;
    if (o.duration !== undefined && at >= o.duration) break;
    if (list.length >= MAX) throw new RangeError(`request_rate × duration asks for more than ${MAX} requests`);
    list.push(at);
  }
  const times = new Float64Array(shared ? new SharedArrayBuffer(list.length * 8) : new ArrayBuffer(list.length * 8));
  times.set(list);
  return { times, total: list.length };
}

/** Counts output tokens of successful requests the server gave no usage for (bounded parallelism towards /tokenize). */
async function countMissingOutputs(outs: RequestOutput[], counter: TokenCounter): Promise<void> {
  const todo = outs.filter((o) => o.success && !o.output_tokens);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, todo.length) }, async () => {
      while (next < todo.length) {
        const o = todo[next++];
        o.counted_output_tokens = counter.countSync ? counter.countSync(o.generated_text) : await counter.count(o.generated_text);
        o.counted_by = counter.source;
      }
    }),
  );
}

/** The tokenizer the run counts with (see `BenchmarkOptions.tokenizer`). */
async function pickCounter(mode: BenchmarkOptions['tokenizer'], root: string, model: string, family: string, headers: Record<string, string>): Promise<TokenCounter> {
  const m = mode ?? 'auto';
  if (m === 'bundled') return bundledCounter();
  if (m === 'auto' || m === 'server') {
    const sc = await serverCounter(root, model, headers);
    if (sc) return sc;
    if (m === 'server') throw new Error(`${root}/tokenize is not available (tokenizer: server)`);
  }
  return tokenCounterFor(family);
}

/** Runs one benchmark and returns its report. Failures are counted in the report, never dropped. */
export async function runBenchmark(options: BenchmarkOptions, hooks: BenchmarkHooks = {}): Promise<BenchmarkReport> {
  const n = normaliseOptions(options);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.api_key) headers.authorization = `Bearer ${options.api_key}`;
  const startedAt = new Date();
  const t00 = performance.now();
  const progress = (phase: BenchmarkProgress['phase'], completed: number, failed: number, total: number | null, inflight: number, extra: Partial<BenchmarkProgress> = {}) =>
    hooks.onProgress?.({ phase, completed, failed, total, inflight, elapsed_s: (performance.now() - t00) / 1000, ...extra });

  let model = options.model;
  if (!model) {
    const j = await getJson(`${n.root}/v1/models`, { headers });
    model = j?.data?.[0]?.id;
    if (!model) throw new Error(`${n.root}/v1/models lists no model; pass model`);
  }
  const modelId = options.model_id ?? model;
  const counter = await pickCounter(options.tokenizer, n.root, model, modelId, headers);
  progress('tokenizing', 0, 0, n.numPrompts, 0);
  const samples = options.samples ?? (await loadSamples({ ...options, num_prompts: n.numPrompts, seed: n.seed }, counter));
  const spec: TargetSpec = {
    url: n.url.href,
    chat: n.chat,
    model,
    headers,
    stream: options.stream ?? true,
    timeoutMs: n.timeoutMs,
    extraBody: {
      temperature: options.temperature ?? 0,
      ...((options.ignore_eos ?? true) ? { ignore_eos: true } : {}),
      ...(options.extra_body ?? {}),
    },
    maxSockets: 1024,
  };

  const total = options.duration ? null : n.numPrompts;
  const multi = n.workers > 1;
  // a part's share of the slots (the whole run's without parts)
  const conc = options.part && n.conc !== null ? splitSlots(n.conc, options.part.count)[options.part.index] : n.conc;
  // one worker: the run's own target, opened by the warm-up and kept for the measured requests (vLLM's one session)
  const runTarget = multi ? null : targetOf({ ...spec, maxSockets: conc ?? 1024 });
  try {
    return await measure();
  } finally {
    if (runTarget) closeTarget(runTarget);
  }

  async function measure(): Promise<BenchmarkReport> {
    // warm-up: not measured
    if (n.warm > 0) {
      progress('warmup', 0, 0, n.warm, 0);
      const target = runTarget ?? targetOf({ ...spec, maxSockets: n.conc ?? 1024 });
      try {
        const width = Math.min(n.conc ?? n.warm, n.warm);
        let next = 0;
        await Promise.all(
          Array.from({ length: width }, async () => {
            while (next < n.warm) {
              const s = samples[next++ % samples.length];
              await sendRequest(target, s.prompt, s.expected_output_len, performance.now() / 1000, hooks.signal);
            }
          }),
        );
      } finally {
        if (target !== runTarget) closeTarget(target);
      }
    }

    const whole = scheduleOf(options, n.seed, total, multi);
    // a part's share: every count-th request of the whole run's schedule and samples, at the run's own arrival times
    const part = options.part;
    const globalIndex = part ? Array.from({ length: Math.ceil((n.numPrompts - part.index) / part.count) }, (_, k) => part.index + k * part.count) : null;
    const sched = globalIndex ? { times: whole.times ? sharedTimes(globalIndex.map((i) => whole.times![i]), multi) : null, total: globalIndex.length } : whole;
    const runSamples = globalIndex ? globalIndex.map((i) => samples[i % samples.length]) : samples;
    const counterBuf = new Int32Array(multi ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
    const slots = splitSlots(conc ?? Infinity, n.workers);
    const limits: SelfCheckLimits = { ...DEFAULT_LIMITS, ...(options.self_check_limits ?? {}) };
    const probePath = new URL(n.root + '/v1/models').pathname;
    const shares: Array<Omit<LoadShare, 'originMs'>> = slots.map((sl) => ({
      target: { ...spec, maxSockets: sl === Infinity ? 1024 : sl },
      samples: runSamples,
      times: sched.times,
      total: sched.total,
      duration: options.duration,
      slots: sl,
      counter: counterBuf,
      limits,
      // a worker thread opens its own before it is ready; one worker's are opened below
      ...(options.preconnect && multi ? { preopen: { connections: Math.min(sl, sched.total, 1024), probePath } } : {}),
    }));
    let lastProgress = 0;
    let elu = performance.eventLoopUtilization();
    const onCounters = (c: LoadCounters, own = false) => {
      const now = performance.now();
      if (now - lastProgress < 100) return;
      lastProgress = now;
      if (own) {
        // this thread runs the load: its own loop's busy share since the last report
        const e = performance.eventLoopUtilization();
        c.busy = performance.eventLoopUtilization(e, elu).utilization;
        elu = e;
      }
      progress('running', c.completed, c.failed, globalIndex ? globalIndex.length : total, c.inflight, { chunks: c.chunks, client_busy: c.busy });
    };
    const onRecord = hooks.onRequest ? (r: LoadRecord) => hooks.onRequest!(recordOf(r)) : undefined;
    // the load begins (a caller measuring the client's own cost counts from here to 'done')
    progress('running', 0, 0, globalIndex ? globalIndex.length : total, 0, { chunks: 0 });
    let results: LoadResult[];
    if (!multi) {
      const counters: LoadCounters = { completed: 0, failed: 0, inflight: 0, chunks: 0 };
      if (options.preconnect) await preopenTarget(runTarget!, Math.min(slots[0], sched.total, 1024), probePath);
      results = [
        await runLoad(
          { ...shares[0], originMs: performance.now() },
          { signal: hooks.signal, counters, target: runTarget!, onRecord: (r) => (onRecord?.(r), onCounters(counters, true)) },
        ),
      ];
    } else {
      results = await runOnWorkers(shares, { signal: hooks.signal, onProgress: (c) => onCounters(c), onRecord });
    }
    const all = results.flatMap((r) => r.records);
    // a part's records carry the whole run's request indexes
    if (globalIndex) for (const r of all) r.out.index = globalIndex[r.out.index ?? 0];
    progress('done', all.filter((r) => r.out.success).length, all.filter((r) => !r.out.success).length, globalIndex ? globalIndex.length : total, 0);

    const outCounter = counter.source === 'server' ? counter : await tokenCounterFor(modelId);
    await countMissingOutputs(all.map((r) => r.out), outCounter);
    const bundled = bundledCounter();
    const merged = mergeParts(
      results.map((r, i) => ({ outputs: r.records.map((x) => x.out), duration_s: r.endS, self_check: r.selfCheck as never, label: multi ? `worker ${i}` : 'client' })),
      { percentiles: n.percentiles, countTokens: (s) => bundled.countSync!(s), slos: n.slos },
    );
    const metrics = merged.metrics;
    const outs = merged.outputs;
    // each share's self-check against the run's TTFT/ITL scale and its own dispatch delays
    const stream = spec.stream;
    const shares_: ClientShare[] = results.map((r) =>
      judge(r.selfCheck, {
        ttft: metrics.ttft,
        itl: metrics.itl,
        client_dispatch: distribution(r.records.map((x) => Math.max(0, (x.out.sent_time ?? x.out.start_time) - x.out.start_time)), [50, 99]),
        stream,
      }),
    );
    const reasons = results.flatMap((r, i) => r.selfCheck.reasons.map((x) => (multi ? `worker ${i}: ${x}` : x)));
    const selfCheck = combineChecks(results.map((r) => r.selfCheck), reasons);
    const clientShare: ClientShare = {
      dispatch_of_mean_ttft: Math.max(...shares_.map((x) => x.dispatch_of_mean_ttft)),
      dispatch_of_p99_ttft: Math.max(...shares_.map((x) => x.dispatch_of_p99_ttft)),
      lag_of_p99_ttft: Math.max(...shares_.map((x) => x.lag_of_p99_ttft)),
      lag_of_mean_itl: Math.max(...shares_.map((x) => x.lag_of_mean_itl)),
      client_bound: !selfCheck.reliable,
    };
    const ok = outs.filter((o) => o.success);
    const fromUsage = ok.filter((o) => o.output_tokens).length;
    const outputSource = ok.length === 0 ? 'none' : fromUsage === ok.length ? 'usage' : fromUsage === 0 ? 'tokenizer' : 'mixed';
    const byIndex = new Map(all.map((r) => [r.out.index!, r]));
    // the cores this process may use, said beside the worker count (several workers only)
    const cores = multi ? clientCores() : undefined;
    const report: BenchmarkReport = {
      date: startedAt.toISOString(),
      backend: n.backend,
      endpoint_type: n.backend,
      label: options.label ?? null,
      model_id: modelId,
      tokenizer_id: counter.source === 'server' ? modelId : counter.id,
      ...runFields(metrics, outs, { ...options, max_concurrency: n.conc, duration: merged.duration_s, slos: !!n.slos, texts: true }),
      benchops: {
        version: REPORT_VERSION,
        vllm_definitions: VLLM_DEFINITIONS,
        tokenizer: { id: counter.id, source: counter.source },
        output_token_source: outputSource,
        output_tokenizer: fromUsage === ok.length ? null : { id: outCounter.id, source: outCounter.source },
        percentiles: n.percentiles,
        percentile_metrics: n.percentileMetrics,
        goodput_slos: n.slos ?? null,
        client_queue_ms: metrics.client_queue,
        client_dispatch_ms: metrics.client_dispatch,
        ttft_excl_dispatch_ms: metrics.ttft_excl_dispatch,
        e2el_excl_dispatch_ms: metrics.e2el_excl_dispatch,
        self_check: selfCheck,
        self_checks: multi ? results.map((r, i) => ({ worker: i, ...r.selfCheck })) : undefined,
        client_share: clientShare,
        workers: n.workers,
        client_cores: cores,
        warnings: cores !== undefined && n.workers > cores ? [coresWarning(n.workers, cores)] : undefined,
        part: part && globalIndex ? { index: part.index, count: part.count, requests: globalIndex.length } : undefined,
        chunks: results.reduce((a, r) => a + r.chunks, 0),
        origin_unix_s: results[0].originEpochMs / 1000,
        reliable: selfCheck.reliable,
        warmup_requests: n.warm,
        connections_at_start: results.reduce((a, r) => a + r.connectionsAtStart, 0),
        client_gc: singleThreadedGc() ? 'single-threaded' : 'parallel',
        client_memory_reducer: !process.execArgv.includes('--no-memory-reducer'),
        started_at: startedAt.toISOString(),
        finished_at: new Date().toISOString(),
        endpoint_url: n.url.href,
        stream,
        workload: workloadOf(options, n.numPrompts),
      },
    };
    addMetricFields(report, metrics, n.percentileMetrics);
    addDispatchExcludedFields(report, metrics.ttft_excl_dispatch, 'ttft');
    addDispatchExcludedFields(report, metrics.e2el_excl_dispatch, 'e2el');
    if (options.save_detailed ?? true) report.requests = outs.map((o) => recordOf(byIndex.get(o.index!)!));
    return report;
  }
}

/** Whether this process runs V8 with `--single-threaded-gc` (bin/benchops.js starts `bench` and `job run` so). */
export function singleThreadedGc(): boolean {
  return process.execArgv.includes('--single-threaded-gc');
}

/** Our dispatch-excluded view as top-level fields beside vLLM's: `mean_ttft_excl_dispatch_ms`, `p99_…`. */
function addDispatchExcludedFields(report: Record<string, unknown>, d: ReturnType<typeof distribution>, name: 'ttft' | 'e2el'): void {
  report[`mean_${name}_excl_dispatch_ms`] = d.mean;
  report[`median_${name}_excl_dispatch_ms`] = d.median;
  for (const [p, v] of d.percentiles) report[`p${p}_${name}_excl_dispatch_ms`] = v;
}

function recordOf(r: LoadRecord): RequestRecordOut {
  const out = r.out;
  const sent = out.sent_time ?? out.start_time;
  return {
    index: out.index ?? 0,
    scheduled_time: out.scheduled_time,
    start_time: out.start_time,
    sent_time: sent,
    client_queue_time: Math.max(0, out.start_time - out.scheduled_time),
    client_dispatch_time: Math.max(0, sent - out.start_time),
    success: out.success,
    error: out.error,
    prompt_len: out.prompt_len,
    output_tokens: out.output_tokens || (out.success ? (out.counted_output_tokens ?? 0) : 0),
    output_token_source: !out.success ? 'none' : out.output_tokens ? 'usage' : 'tokenizer',
    ttft: out.ttft,
    latency: out.latency,
    chunk_times: chunkTimes(out),
    role_chunk_time: out.role_chunk,
  };
}

/** The workload description (what `sim predict` replays). */
export function workloadOf(o: BenchmarkOptions, numPrompts: number): Record<string, unknown> {
  const keys = [
    'dataset_name', 'dataset_path', 'random_input_len', 'random_output_len', 'random_range_ratio', 'random_prefix_len',
    'prefix_repetition_prefix_len', 'prefix_repetition_suffix_len', 'prefix_repetition_num_prefixes', 'prefix_repetition_output_len',
    'request_rate', 'burstiness', 'arrival_process', 'ramp_up_strategy', 'ramp_up_start_rps', 'ramp_up_end_rps', 'max_concurrency',
    'duration', 'seed', 'backend', 'ignore_eos',
  ] as const;
  const w: Record<string, unknown> = { num_prompts: numPrompts };
  for (const k of keys) if (o[k] !== undefined) w[k] = o[k] === Infinity ? 'inf' : o[k];
  return w;
}

/**
 * More workers than cores: they take turns on a core, and a worker that is not running reads its sockets late (2 workers
 * on one core: +1.7 % mean TTFT error at 512 streams where one worker had +0.3 %, bench/loadgen-accuracy.ts).
 */
export function coresWarning(workers: number, cores: number): string {
  return `${workers} worker threads on ${cores} core(s): they take turns on a core and read late while another runs; use at most ${cores} (the self-check judges the figures measured)`;
}
