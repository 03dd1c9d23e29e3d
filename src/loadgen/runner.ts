/** `runBenchmark`: one load-generator run against an OpenAI-compatible endpoint, from options to report. */
import { performance } from 'node:perf_hooks';
import { makeAgent, sendRequest, type EndpointTarget, type RawResult } from './client.ts';
import { bundledCounter, loadSamples, type DatasetOptions, type Sample, type TokenCounter } from './dataset.ts';
import { calculateMetrics, METRIC_NAMES, parseGoodput, type GoodputSlos, type MetricName, type RequestOutput } from './metrics.ts';
import { addMetricFields, REPORT_VERSION, runFields, type BenchmarkReport, type RequestRecordOut } from './report.ts';
import { arrivalTimes, checkSchedule, type ScheduleOptions } from './schedule.ts';
import { DEFAULT_LIMITS, startSelfCheck, type SelfCheckLimits } from './selfcheck.ts';
import { bundledTokenizer } from './tokenizer.ts';

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
  /** `auto` (server /tokenize when it answers, else bundled), `server` or `bundled`. */
  tokenizer?: 'auto' | 'server' | 'bundled';
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
  /** Warm-up requests before measuring (vLLM --num-warmups); not counted. */
  num_warmups?: number;
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
  const timeout = o.request_timeout ?? 600;
  if (!(timeout > 0)) throw new RangeError('request_timeout must be > 0');
  checkSchedule(o);
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

function toOutput(raw: RawResult, sample: Sample, scheduled: number): RequestOutput {
  const ttft = raw.tokenChunks.length ? raw.tokenChunks[0] - raw.start : 0;
  const itl: number[] = [];
  for (let i = 1; i < raw.tokenChunks.length; i++) itl.push(raw.tokenChunks[i] - raw.tokenChunks[i - 1]);
  const last = raw.tokenChunks.length ? raw.tokenChunks[raw.tokenChunks.length - 1] : raw.end;
  return {
    success: raw.success,
    error: raw.error,
    prompt_len: sample.prompt_len,
    output_tokens: raw.usageOutput,
    generated_text: raw.text,
    start_time: raw.start,
    dispatch_time: raw.dispatch,
    scheduled_time: scheduled,
    ttft,
    itl,
    latency: last - raw.start,
    role_chunk: raw.roleChunk !== undefined ? raw.roleChunk - raw.start : undefined,
  };
}

/** Runs one benchmark and returns its report. Failures are counted in the report, never dropped. */
export async function runBenchmark(options: BenchmarkOptions, hooks: BenchmarkHooks = {}): Promise<BenchmarkReport> {
  const n = normaliseOptions(options);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.api_key) headers.authorization = `Bearer ${options.api_key}`;
  const startedAt = new Date();
  const t00 = performance.now();
  const progress = (phase: BenchmarkProgress['phase'], completed: number, failed: number, total: number | null, inflight: number) =>
    hooks.onProgress?.({ phase, completed, failed, total, inflight, elapsed_s: (performance.now() - t00) / 1000 });

  let model = options.model;
  if (!model) {
    const j = await getJson(`${n.root}/v1/models`, { headers });
    model = j?.data?.[0]?.id;
    if (!model) throw new Error(`${n.root}/v1/models lists no model; pass model`);
  }
  const tokMode = options.tokenizer ?? 'auto';
  let counter: TokenCounter = bundledCounter();
  if (tokMode !== 'bundled') {
    const sc = await serverCounter(n.root, model, headers);
    if (sc) counter = sc;
    else if (tokMode === 'server') throw new Error(`${n.root}/tokenize is not available (tokenizer: server)`);
  }
  progress('tokenizing', 0, 0, n.numPrompts, 0);
  const samples =
    options.samples ??
    (await loadSamples({ ...options, num_prompts: n.numPrompts, seed: n.seed }, counter));
  const target: EndpointTarget = {
    url: n.url,
    chat: n.chat,
    model,
    headers,
    agent: makeAgent(n.url, n.conc ?? 1024),
    stream: options.stream ?? true,
    timeoutMs: n.timeoutMs,
    extraBody: {
      temperature: options.temperature ?? 0,
      ...((options.ignore_eos ?? true) ? { ignore_eos: true } : {}),
      ...(options.extra_body ?? {}),
    },
  };
  try {
    // warm-up: not measured
    if (n.warm > 0) {
      progress('warmup', 0, 0, n.warm, 0);
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
    }

    const check = startSelfCheck({ ...DEFAULT_LIMITS, ...(options.self_check_limits ?? {}) });
    const origin = performance.now() / 1000;
    const results: Array<{ out: RequestOutput; raw: RawResult; sample: Sample; index: number }> = [];
    const total = options.duration ? null : n.numPrompts;
    const slots = n.conc ?? Infinity;
    let inflight = 0;
    let completed = 0;
    let failed = 0;
    const waiters: Array<() => void> = [];
    const pending = new Set<Promise<void>>();
    const times = arrivalTimes({ ...options, seed: n.seed }, total ?? undefined, options.duration);
    let lastProgress = 0;
    for (let i = 0; ; i++) {
      if (hooks.signal?.aborted) break;
      if (total !== null && i >= total) break;
      const at = times.next().value as number;
      if (options.duration && at >= options.duration) break;
      const wait = (origin + at) * 1000 - performance.now();
      if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
      else if (i % 64 === 63) await new Promise((r) => setImmediate(r));
      if (inflight >= slots) await new Promise<void>((r) => waiters.push(r));
      if (options.duration && performance.now() / 1000 - origin >= options.duration) break;
      if (hooks.signal?.aborted) break;
      inflight++;
      const sample = samples[i % samples.length];
      const index = i;
      const p: Promise<void> = sendRequest(target, sample.prompt, sample.expected_output_len, origin, hooks.signal).then((raw) => {
        inflight--;
        pending.delete(p);
        const out = toOutput(raw, sample, at);
        results.push({ out, raw, sample, index });
        if (out.success) completed++;
        else failed++;
        waiters.shift()?.();
        if (hooks.onRequest) hooks.onRequest(recordOf(out, raw, index));
        const now = performance.now();
        if (now - lastProgress > 100) {
          lastProgress = now;
          progress('running', completed, failed, total, inflight);
        }
      });
      pending.add(p);
    }
    await Promise.all([...pending]);
    const selfCheck = check.stop();
    const endS = performance.now() / 1000 - origin;
    progress('done', completed, failed, total, 0);
    results.sort((a, b) => a.index - b.index);
    const outs = results.map((r) => r.out);
    // vLLM measures the duration from the start to the end of the last request
    const durationS = endS;
    const tokz = bundledTokenizer();
    const metrics = calculateMetrics(outs, durationS, n.percentiles, (s) => tokz.count(s), n.slos);
    const ok = outs.filter((o) => o.success);
    const fromUsage = ok.filter((o) => o.output_tokens).length;
    const outputSource = ok.length === 0 ? 'none' : fromUsage === ok.length ? 'usage' : fromUsage === 0 ? 'tokenizer' : 'mixed';
    const modelId = options.model_id ?? model;
    const report: BenchmarkReport = {
      date: startedAt.toISOString(),
      backend: n.backend,
      endpoint_type: n.backend,
      label: options.label ?? null,
      model_id: modelId,
      tokenizer_id: counter.source === 'server' ? modelId : counter.id,
      ...runFields(metrics, outs, { ...options, max_concurrency: n.conc, duration: durationS, slos: !!n.slos, texts: true }),
      benchops: {
        version: REPORT_VERSION,
        tokenizer: { id: counter.id, source: counter.source },
        output_token_source: outputSource,
        percentiles: n.percentiles,
        percentile_metrics: n.percentileMetrics,
        goodput_slos: n.slos ?? null,
        client_queue_ms: metrics.client_queue,
        client_dispatch_ms: metrics.client_dispatch,
        self_check: selfCheck,
        reliable: selfCheck.reliable,
        warmup_requests: n.warm,
        started_at: startedAt.toISOString(),
        finished_at: new Date().toISOString(),
        endpoint_url: n.url.href,
        stream: target.stream,
        workload: workloadOf(options, n.numPrompts),
      },
    };
    addMetricFields(report, metrics, n.percentileMetrics);
    if (options.save_detailed ?? true) report.requests = results.map((r) => recordOf(r.out, r.raw, r.index));
    return report;
  } finally {
    target.agent.destroy();
  }
}

function recordOf(out: RequestOutput, raw: RawResult, index: number): RequestRecordOut {
  return {
    index,
    scheduled_time: out.scheduled_time,
    start_time: out.start_time,
    client_queue_time: Math.max(0, (out.dispatch_time ?? out.start_time) - out.scheduled_time),
    client_dispatch_time: Math.max(0, out.start_time - (out.dispatch_time ?? out.start_time)),
    success: out.success,
    error: out.error,
    prompt_len: out.prompt_len,
    output_tokens: out.output_tokens ?? (out.success ? bundledTokenizer().count(out.generated_text) : 0),
    output_token_source: !out.success ? 'none' : out.output_tokens ? 'usage' : 'tokenizer',
    ttft: out.ttft,
    latency: out.latency,
    chunk_times: raw.tokenChunks.map((t) => t - raw.start),
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
