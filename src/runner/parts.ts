/**
 * A performance job over many pods (a Kubernetes Indexed Job): each pod runs its share of every scenario's load and
 * posts a part (source `benchops-runner-part`, run id `<run>-part-<index>`) holding its per-request records; when the
 * last part of a run is in, the Results service merges them (`mergeRunnerParts`) into ONE stored run under the run's
 * own id, with percentiles computed exactly over the union of the records (loadgen mergeParts) and every pod's
 * self-check kept. Kubernetes distributes the pods; there is no coordinator of our own.
 */
import { mergeParts, type RunPart } from '../loadgen/merge.ts';
import type { GoodputSlos, MetricName, RequestOutput } from '../loadgen/metrics.ts';
import { addMetricFields, runFields, type RequestRecordOut } from '../loadgen/report.ts';
import { blockFromBenchJson } from './perf.ts';
import type { Threshold } from './perf-config.ts';
import { RUNNER_FORMAT, runReliability, type Reliability, type RunnerOutput } from './report.ts';
import { checkPerf } from './thresholds.ts';

/** The source a part is posted with (no parser: parts are raw inputs only; the merged run is the result). */
export const PART_SOURCE = 'benchops-runner-part';
/** Pods a run may be split over (each part is one post; the merge reads them all in one transaction). */
export const MAX_PARTS = 64;
/** Per-request records a part carries (beyond it the part says so and the merge is of the kept records). */
export const MAX_PART_RECORDS = 50_000;

/** Which share a pod runs: JOB_COMPLETION_INDEX of BENCHOPS_JOB_PARTS. */
export interface PartInfo {
  index: number;
  count: number;
}

/** The run id a part is stored under. */
export function partRunId(runId: string, index: number): string {
  return `${runId}-part-${index}`;
}

/** Splits `total` over `count` parts as evenly as possible (the first ones get the remainder). */
export function shareCount(total: number, part: PartInfo): number {
  return Math.floor(total / part.count) + (part.index < total % part.count ? 1 : 0);
}

/**
 * How many requests and concurrency slots a pod's share of a scenario has: every `count`-th request of the run's one
 * arrival schedule from its index (the load generator's `part`), and its slots of the run's concurrency.
 */
export function shareOf(s: { numPrompts: number; maxConcurrency?: number | null }, part: PartInfo) {
  return {
    numPrompts: shareCount(s.numPrompts, part),
    maxConcurrency: s.maxConcurrency == null ? null : shareCount(s.maxConcurrency, part),
  };
}

/** One scenario as a part carries it: what the merge needs to recompute it exactly. */
export interface PartScenario {
  name: string;
  /** The part's time zero on the wall clock (Unix seconds): the parts' records go on one time axis. */
  origin_s: number;
  duration_s: number;
  percentiles: number[];
  percentile_metrics: MetricName[];
  goodput_slos: GoodputSlos | null;
  request_rate: number | 'inf';
  burstiness: number;
  /** The whole run's concurrency (all parts), for the merged result's vLLM field. */
  max_concurrency: number | null;
  thresholds: Threshold[];
  self_check: Record<string, unknown> | null;
  reliability?: Reliability;
  records: RequestRecordOut[];
  records_dropped: number;
}

/** What a part's document adds to the runner's output. */
export interface PartFields {
  part: PartInfo & { run_id: string; pod?: string };
  part_scenarios: PartScenario[];
}

export type PartDocument = RunnerOutput & PartFields;

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** A record as stored in a part: chunk times kept (ITL is exact after the merge), rounded to the microsecond. */
export function compactRecord(r: RequestRecordOut): RequestRecordOut {
  return { ...r, ttft: round6(r.ttft), latency: round6(r.latency), start_time: round6(r.start_time), scheduled_time: round6(r.scheduled_time), chunk_times: r.chunk_times.map(round6) };
}

/** A stored record back as the metric input; its index is the run's global one (`local · count + index`). */
export function outputOfRecord(r: RequestRecordOut, part: PartInfo): RequestOutput {
  const itl: number[] = [];
  for (let i = 1; i < r.chunk_times.length; i++) itl.push(r.chunk_times[i] - r.chunk_times[i - 1]);
  const fromUsage = r.output_token_source === 'usage';
  return {
    index: r.index * part.count + part.index,
    success: r.success,
    error: r.error,
    prompt_len: r.prompt_len,
    output_tokens: fromUsage ? r.output_tokens : null,
    ...(fromUsage ? {} : { counted_output_tokens: r.output_tokens }),
    generated_text: '',
    start_time: r.start_time,
    ...(r.sent_time !== undefined ? { sent_time: r.sent_time } : {}),
    scheduled_time: r.scheduled_time,
    ttft: r.ttft,
    itl,
    latency: r.latency,
    ...(r.role_chunk_time !== undefined ? { role_chunk: r.role_chunk_time } : {}),
  };
}

/** Is `data` a part document (checked before the merge reads it)? Returns the reason it is not, or undefined. */
export function partProblem(data: unknown): string | undefined {
  const d = data as Partial<PartDocument> | null;
  const p = d?.part;
  if (!p || typeof p !== 'object') return 'data.part is missing';
  if (!Number.isInteger(p.count) || p.count < 1 || p.count > MAX_PARTS) return `data.part.count must be an integer in 1..${MAX_PARTS}`;
  if (!Number.isInteger(p.index) || p.index < 0 || p.index >= p.count) return 'data.part.index must be an integer in 0..count-1';
  if (typeof p.run_id !== 'string' || !p.run_id) return 'data.part.run_id is missing';
  if (!Array.isArray(d!.part_scenarios)) return 'data.part_scenarios must be a list';
  for (const [i, s] of d!.part_scenarios.entries()) {
    if (!s || typeof s.name !== 'string' || !Array.isArray(s.records) || !(Number.isFinite(s.origin_s) && Number.isFinite(s.duration_s))) {
      return `data.part_scenarios.${i} needs name, origin_s, duration_s and records`;
    }
  }
  return undefined;
}

/**
 * Merges every part of a run into the run's one runner output: per scenario, the figures of the union of the parts'
 * records (exact percentiles), the thresholds checked on them, each pod's self-check kept under `meta.parts`, and the
 * run reliable only when every pod was.
 */
export function mergeRunnerParts(parts: readonly PartDocument[], maxRecords = 5000): RunnerOutput {
  const sorted = [...parts].sort((a, b) => a.part.index - b.part.index);
  const first = sorted[0];
  const scenarios: NonNullable<RunnerOutput['scenarios']> = [];
  const checks: ReturnType<typeof checkPerf> = [];
  const requests: unknown[] = [];
  let dropped = 0;
  for (const [si, s0] of first.part_scenarios.entries()) {
    const mine = sorted.map((p) => p.part_scenarios.find((x) => x.name === s0.name) ?? p.part_scenarios[si]).filter(Boolean);
    const runParts: RunPart[] = mine.map((s, i) => ({
      outputs: s.records.map((r) => outputOfRecord(r, sorted[i].part)),
      duration_s: s.duration_s,
      origin_s: s.origin_s,
      self_check: (s.self_check ?? undefined) as RunPart['self_check'],
      label: `pod ${sorted[i].part.index}`,
    }));
    dropped += mine.reduce((n, s) => n + (s.records_dropped ?? 0), 0);
    const merged = mergeParts(runParts, { percentiles: s0.percentiles, slos: s0.goodput_slos ?? undefined });
    const rate = s0.request_rate === 'inf' ? Infinity : s0.request_rate * first.part.count;
    const flat: Record<string, unknown> = {
      ...runFields(merged.metrics, merged.outputs, {
        request_rate: rate,
        burstiness: s0.burstiness,
        max_concurrency: s0.max_concurrency,
        duration: merged.duration_s,
        slos: !!s0.goodput_slos,
        texts: false,
      }),
    };
    addMetricFields(flat, merged.metrics, s0.percentile_metrics);
    const { block, flat: numbers } = blockFromBenchJson(flat, merged.outputs.length);
    const podReasons = mine.flatMap((s, i) => (s.reliability?.reasons ?? []).map((r) => `pod ${sorted[i].part.index}: ${r}`));
    const reliability: Reliability = { reliable: merged.reliable && mine.every((s) => s.reliability?.reliable !== false), reasons: [...new Set([...merged.reasons, ...podReasons])] };
    const config = (first.scenarios?.find((x) => x.name === s0.name)?.config ?? {}) as Record<string, unknown>;
    scenarios.push({
      name: s0.name,
      config: { ...config, num_prompts: merged.outputs.length, max_concurrency: s0.max_concurrency, request_rate: s0.request_rate === 'inf' ? 'inf' : rate, pods: first.part.count },
      reliability,
      ...block,
    });
    checks.push(...checkPerf(s0.name, numbers, s0.thresholds ?? []));
    for (const o of merged.outputs) {
      if (requests.length >= maxRecords) break;
      requests.push({ scenario: s0.name, index: o.index, success: o.success, error: o.error, prompt_len: o.prompt_len, output_tokens: o.output_tokens ?? o.counted_output_tokens ?? 0, ttft: o.ttft, latency: o.latency, start_time: o.start_time });
    }
  }
  const total = scenarios.reduce((n, s) => n + Number(s.summary.completed ?? 0) + Number(s.summary.failed ?? 0), 0);
  const { part: _p, part_scenarios: _s, ...base } = first;
  const meta = { ...first.meta } as Record<string, unknown>;
  const times = (k: string) => sorted.map((p) => String(p.meta[k] ?? '')).filter(Boolean).sort();
  const reliability = runReliability(scenarios);
  const out: RunnerOutput = {
    ...base,
    format: RUNNER_FORMAT,
    kind: 'performance',
    meta: {
      ...meta,
      benchmark_name: first.meta.benchmark_name,
      model: first.meta.model,
      run_id: first.part.run_id,
      started_at: times('started_at')[0],
      finished_at: times('finished_at').at(-1),
      reliable: scenarios.every((s) => s.reliability?.reliable !== false),
      ...(reliability ? { reliability } : {}),
      pods: first.part.count,
      // every pod's own verdict and self-check, as the pod measured it
      parts: sorted.map((p) => ({
        index: p.part.index,
        pod: p.part.pod ?? null,
        reliability: p.meta.reliability ?? null,
        scenarios: p.part_scenarios.map((s) => ({ name: s.name, requests: s.records.length, self_check: s.self_check, reliability: s.reliability ?? null })),
      })),
      ...(total > maxRecords ? { requests_total: total, requests_kept: maxRecords } : {}),
      ...(dropped ? { records_dropped: dropped } : {}),
    },
    results: {},
    performance: { summary: { ...scenarios[0].summary }, throughput: scenarios[0].throughput, latency: scenarios[0].latency },
    thresholds: checks.length ? { passed: checks.every((c) => c.passed), checks } : undefined,
    scenarios,
    requests,
  };
  delete (out.meta as Record<string, unknown>).part;
  if (out.thresholds) out.performance.summary.thresholds_passed = out.thresholds.passed ? 1 : 0;
  return out;
}
