/**
 * Virtual-time prediction: the emulated server's scheduler and performance model, plus the load generator's client
 * (arrival schedule, concurrency limit), run as a discrete-event simulation. Returns the same report as a measured run
 * (marked `benchops.predicted`) without real time passing.
 */
import { performance } from 'node:perf_hooks';
import { loadSamples, type Sample } from '../loadgen/dataset.ts';
import { calculateMetrics, type RequestOutput } from '../loadgen/metrics.ts';
import { addMetricFields, REPORT_VERSION, runFields, type BenchmarkReport } from '../loadgen/report.ts';
import { normaliseOptions, workloadOf, type BenchmarkOptions } from '../loadgen/runner.ts';
import { arrivalTimes } from '../loadgen/schedule.ts';
import { Rng } from '../loadgen/rng.ts';
import { bundledTokenizer, tokenCounterFor } from '../loadgen/tokenizer.ts';
import { modelSummary } from './describe.ts';
import { buildEngine, type EngineOptions } from './engine.ts';
import { newRequest, Scheduler, type ScheduledItem, type SimRequest } from './scheduler.ts';
import { renderChat } from './server.ts';

/** The load generator's workload description (its options without a URL). */
export type Workload = Omit<BenchmarkOptions, 'base_url'> & { base_url?: string };

/** Options of `predict`. */
export interface PredictOptions extends EngineOptions {
  workload: Workload;
  /** One-way client↔server latency added to every send and chunk, ms (default 0.1: loopback). */
  network_latency_ms?: number;
  /** Client cost of sending one request, ms: a burst of sends goes out one after another (default 0.2). */
  client_dispatch_ms?: number;
  /** Stop after this much virtual time (seconds, default 24 h) — a guard against runaway workloads. */
  max_virtual_s?: number;
  /**
   * Without ignore_eos: mean tokens a model writes before its end-of-sequence token (default 256). Each request stops
   * after a seeded exponential draw with this mean, capped at its max_tokens.
   */
  eos_mean_tokens?: number;
}

/** Output tokens of request `i` without ignore_eos: a seeded exponential draw with the given mean, within [1, max]. */
export function naturalOutputLen(seed: number, i: number, maxTokens: number, mean: number): number {
  const u = new Rng((seed * 1_000_003 + i) >>> 0).next();
  return Math.max(1, Math.min(maxTokens, Math.round(-Math.log(1 - u) * mean)));
}

/** The prefix a workload's request shares with others (prefix caching): random_prefix_len or prefix_repetition. */
function prefixOf(w: Workload, i: number): { key: string; len: number } | undefined {
  if (w.dataset_name === 'prefix_repetition') {
    const np = w.prefix_repetition_num_prefixes ?? 10;
    return { key: `p${i % np}`, len: w.prefix_repetition_prefix_len ?? 256 };
  }
  if (w.random_prefix_len) return { key: 'shared', len: w.random_prefix_len };
  return undefined;
}

interface Flight {
  index: number;
  sample: Sample;
  scheduled: number;
  sent: number;
  tokens: number[];
  /** Tokens computed but not yet delivered (a multi-step round delivers its tokens when it ends). */
  held: number;
  sim: SimRequest;
}

/** Predicts a benchmark's report for a deployment and workload. */
export async function predict(o: PredictOptions): Promise<BenchmarkReport> {
  const wall0 = performance.now();
  const setup = buildEngine(o);
  const model = setup.perf.spec.model;
  if (model.embedding) {
    // a real run of this workload against the model would get 404 for every request: predicting timings would mislead
    throw new RangeError(
      `${model.name} is an embedding model: vLLM serves it at /v1/embeddings only (/v1/completions and /v1/chat/completions ` +
        'answer 404), and the load generator has no embeddings workload to predict',
    );
  }
  const sched = new Scheduler(setup.scheduler);
  const perf = setup.perf;
  const w = o.workload;
  const n = normaliseOptions({ ...w, base_url: w.base_url ?? 'http://predict.invalid' });
  const tok = bundledTokenizer();
  // datasets are counted with the model's real tokenizer where one is known (Llama-3.x, Qwen), as the load generator does
  // (synthetic datasets have exact lengths: nothing to count, no tokenizer to load)
  const synthetic = !w.dataset_name || w.dataset_name === 'random' || w.dataset_name === 'prefix_repetition';
  const counter = w.samples ? null : await tokenCounterFor(synthetic ? undefined : (w.model ?? model.name));
  const samples = w.samples ?? (await loadSamples({ ...w, num_prompts: n.numPrompts, seed: n.seed, lengths_only: true }, counter!));
  // the server counts the chat template too (the emulator's template, counted as the emulator counts it)
  const chatOverhead = n.chat ? tok.count(renderChat([{ role: 'user', content: ' ba be' }])) - 2 : 0;
  const ignoreEos = w.ignore_eos ?? true;
  const eosMean = o.eos_mean_tokens ?? 256;
  if (!(eosMean >= 1)) throw new RangeError(`eos_mean_tokens must be ≥ 1, got ${eosMean}`);
  let roundHeld: Flight[] = [];
  const delta = (o.network_latency_ms ?? 0.1) / 1000;
  const dispatch = (o.client_dispatch_ms ?? 0.2) / 1000;
  let lastSend = -Infinity;
  const slots = n.conc ?? Infinity;
  const total = w.duration ? null : n.numPrompts;
  const times = arrivalTimes({ ...w, seed: n.seed }, total ?? undefined, w.duration);
  const maxT = o.max_virtual_s ?? 86_400;

  const flights: Flight[] = [];
  const queue: Flight[] = [];
  let queueHead = 0; // queue[queueHead…] waits: an index, not shift(), so a 10,000-request burst stays linear
  const toServer: Array<{ t: number; f: Flight }> = [];
  let srvHead = 0; // toServer[srvHead…] are in flight to the server, ordered by arrival
  let inflight = 0;
  let issued = 0;
  let nextArrival: number | undefined = times.next().value as number;
  let batch: ScheduledItem[] | null = null;
  let stepEnd = Infinity;
  const outputs: RequestOutput[] = [];

  const nextArrivalValid = () =>
    nextArrival !== undefined && (total === null || issued < total) && !(w.duration && nextArrival >= w.duration);
  const send = (t: number) => {
    while (queueHead < queue.length && inflight < slots) {
      const f = queue[queueHead++];
      inflight++;
      f.sent = Math.max(t, lastSend + dispatch);
      lastSend = f.sent;
      const at = f.sent + delta;
      let i = toServer.length;
      while (i > srvHead && toServer[i - 1].t > at) i--;
      toServer.splice(i, 0, { t: at, f });
    }
  };
  const startStep = (t: number) => {
    batch = sched.schedule(t);
    stepEnd = batch ? t + perf.runStep(batch) : Infinity;
  };

  for (;;) {
    const tArr = nextArrivalValid() ? nextArrival! : Infinity;
    const tRecv = srvHead < toServer.length ? toServer[srvHead].t : Infinity;
    const t = Math.min(tArr, tRecv, stepEnd);
    if (t === Infinity) break;
    if (t > maxT) throw new RangeError(`prediction exceeded ${maxT} s of virtual time; the workload cannot finish`);
    if (t === stepEnd) {
      const res = sched.complete(batch!);
      batch = null;
      stepEnd = Infinity;
      for (const r of res.emitted) {
        const f = r.owner as Flight;
        if (f.held === 0) roundHeld.push(f);
        f.held++;
      }
      // one streamed chunk per round: tokens of a multi-step round arrive together when it ends (vLLM 0.6 multi-step)
      if (sched.roundEnd || res.finished.length) {
        const keep: Flight[] = [];
        for (const f of roundHeld) {
          if (!sched.roundEnd && f.sim.state === 'running') {
            keep.push(f);
            continue;
          }
          for (let k = 0; k < f.held; k++) f.tokens.push(t + delta);
          f.held = 0;
        }
        roundHeld = keep;
      }
      for (const r of res.finished) {
        const f = r.owner as Flight;
        inflight--;
        outputs[f.index] = toOutput(f);
      }
      if (res.finished.length) send(t + delta);
      startStep(t);
    } else if (t === tRecv) {
      const { f } = toServer[srvHead++];
      try {
        sched.add(f.sim);
      } catch (e) {
        // the server would answer 400 (context too long): a failed request
        inflight--;
        outputs[f.index] = { ...toOutput(f), success: false, error: `HTTP 400: ${(e as Error).message}` };
        send(t + delta);
        continue;
      }
      if (!batch) startStep(t);
    } else {
      const i = issued++;
      const sample = samples[i % samples.length];
      const outLen = ignoreEos ? sample.expected_output_len : naturalOutputLen(n.seed, i, sample.expected_output_len, eosMean);
      const sim = newRequest(String(i), sample.prompt_len + chatOverhead, outLen, t);
      const prefix = prefixOf(w, i);
      if (prefix) {
        sim.prefix_key = prefix.key;
        sim.prefix_len = prefix.len + chatOverhead;
      }
      const f: Flight = { index: i, sample, scheduled: t, sent: t, tokens: [], held: 0, sim };
      sim.owner = f;
      flights.push(f);
      queue.push(f);
      send(t);
      nextArrival = times.next().value as number;
    }
  }
  const outs = flights.map((f) => outputs[f.index] ?? { ...toOutput(f), success: false, error: 'not finished' });
  const durationS = outs.reduce((m, x) => Math.max(m, x.start_time + x.latency), 0);
  const simulatedMs = performance.now() - wall0;
  const metrics = calculateMetrics(outs, durationS, n.percentiles, (s) => (counter?.countSync ?? ((x: string) => tok.count(x)))(s), n.slos);
  const spec = perf.spec;
  const now = new Date();
  const report: BenchmarkReport = {
    date: now.toISOString(),
    backend: n.backend,
    endpoint_type: n.backend,
    label: w.label ?? null,
    model_id: w.model ?? spec.model.name,
    tokenizer_id: counter?.id ?? (w.samples ? 'given lengths' : tok.id),
    ...runFields(metrics, outs, { ...w, max_concurrency: n.conc, duration: durationS, slos: !!n.slos, texts: false }),
    benchops: {
      version: REPORT_VERSION,
      tokenizer: counter ? { id: counter.id, source: counter.source } : { id: 'given lengths', source: 'bundled' },
      output_token_source: 'usage',
      percentiles: n.percentiles,
      percentile_metrics: n.percentileMetrics,
      goodput_slos: n.slos ?? null,
      client_queue_ms: metrics.client_queue,
      client_dispatch_ms: metrics.client_dispatch,
      self_check: {
        event_loop_lag_ms: { mean: 0, p50: 0, p99: 0, max: 0 },
        cpu_mean: 0,
        cpu_peak: 0,
        samples: 0,
        reliable: true,
        reasons: [],
        limits: { mean_lag_ms: 0, p99_lag_ms: 0, cpu_fraction: 0 },
      },
      reliable: true,
      warmup_requests: 0,
      started_at: now.toISOString(),
      finished_at: now.toISOString(),
      endpoint_url: '',
      stream: true,
      workload: workloadOf(w as BenchmarkOptions, n.numPrompts),
      predicted: true,
    },
    prediction: {
      model: spec.model.name,
      model_summary: modelSummary(spec.model),
      hardware: spec.hardware.name,
      tensor_parallel: spec.tensor_parallel,
      pipeline_parallel: spec.pipeline_parallel,
      expert_parallel: spec.expert_parallel,
      quantization: spec.quantization,
      vllm_engine: spec.preset.name,
      speculative: spec.speculative,
      memory_gib: gibOf(perf.memory(setup.scheduler.max_num_batched_tokens, setup.scheduler.max_num_seqs)),
      kv_cache_tokens: setup.scheduler.num_blocks * setup.scheduler.block_size,
      factors: spec.factors,
      scheduler: setup.scheduler,
      preemptions: sched.preemptions,
      prefix_cache_hit_tokens: sched.prefixHitTokens,
      ignore_eos: ignoreEos,
      ...(ignoreEos ? {} : { eos_mean_tokens: eosMean }),
      network_latency_ms: delta * 1000,
      compute_ms: performance.now() - wall0,
      simulate_ms: simulatedMs,
    },
  };
  addMetricFields(report, metrics, n.percentileMetrics);
  return report;
}

function gibOf(m: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m as Record<string, number>)) out[k] = Number((v / 1024 ** 3).toFixed(3));
  return out;
}

function toOutput(f: Flight): RequestOutput {
  const first = f.tokens[0] ?? f.sent;
  const itl: number[] = [];
  // tokens delivered together are one chunk: the gap is counted once, as vLLM's benchmark counts chunks
  for (let i = 1; i < f.tokens.length; i++) if (f.tokens[i] !== f.tokens[i - 1]) itl.push(f.tokens[i] - f.tokens[i - 1]);
  return {
    success: f.tokens.length > 0,
    error: '',
    // what the server counts (usage.prompt_tokens, chat template included), as a measured run reports it
    prompt_len: f.sim.prompt_tokens,
    output_tokens: f.tokens.length,
    generated_text: '',
    start_time: f.sent,
    scheduled_time: f.scheduled,
    ttft: first - f.sent,
    itl,
    latency: (f.tokens[f.tokens.length - 1] ?? f.sent) - f.sent,
  };
}
