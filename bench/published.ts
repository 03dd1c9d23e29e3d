/**
 * The published-measurements check shared by bench/sim-published.ts (prints it) and test/sim-published.test.ts
 * (holds it to a tolerance): each row of bench/published-measurements.json predicted with the simulator's defaults
 * and the row's own engine arguments, compared with what was published.
 */
import { readFileSync } from 'node:fs';
import type { Sample } from '../src/loadgen/dataset.ts';
import { findHardware } from '../src/simulator/catalog.ts';
import type { EfficiencyFactors } from '../src/simulator/perf-model.ts';
import { predict } from '../src/simulator/predict.ts';

/**
 * What a 0 in a workload's output_lens is for a row. The legacy client (benchmark_serving.py) counts the tokens of the
 * text it received; a successful request with no text (ttft 0) is one whose model stopped at once. 'eos': the row's
 * model is the one that produced those lengths (no ignore_eos), so it generated one token. 'resample': the row's model
 * is another one (or ran with ignore_eos) and generated a length of its own, unknown: the next known length stands in.
 */
export type ZeroOutputs = 'resample' | 'eos';

/** One published measurement. */
export interface PublishedRow {
  id: string;
  source: string;
  vllm_version: string;
  gpu: string;
  tensor_parallel: number;
  model: string;
  dtype: string;
  /** zero_outputs: how this row reads the workload's 0-token outputs (default: the workload's rule). */
  workload: { lengths: string; num_prompts: number; request_rate: 'inf' | number; zero_outputs?: ZeroOutputs };
  engine: { max_num_seqs: number; max_model_len: number; chunked_prefill: boolean; num_scheduler_steps?: number; gpu_memory_utilization?: number };
  published: { output_throughput?: number; median_itl_ms?: number; median_tpot_ms?: number };
  split: 'fit' | 'held-out';
  /** What of the workload is not from the row's source (the stand-in used instead). */
  workload_assumed?: string;
  /** Published figures left out of the error (printed, never fitted or scored) and why: the file's consistency rule. */
  excluded?: { metrics: Metric[]; reason: string };
}

/** The file's contents. */
export interface PublishedTable {
  about: string;
  sources: Record<string, { url: string; section: string; publisher: string; note: string }>;
  workloads: Record<string, { source: string; note: string; input_lens: number[]; output_lens: number[]; zero_outputs?: ZeroOutputs }>;
  rows: PublishedRow[];
}

/** Metrics compared, in the published file's names. */
export const METRICS = ['output_throughput', 'median_tpot_ms', 'median_itl_ms'] as const;
export type Metric = (typeof METRICS)[number];

/** A row's predicted figures and relative errors (predicted / published − 1). */
export interface RowResult {
  row: PublishedRow;
  predicted: Partial<Record<Metric, number>>;
  error: Partial<Record<Metric, number>>;
}

/** Reads bench/published-measurements.json. */
export function loadPublished(): PublishedTable {
  return JSON.parse(readFileSync(new URL('./published-measurements.json', import.meta.url), 'utf8')) as PublishedTable;
}

/** The row's requests: the workload's lengths, repeated to num_prompts, with 0-token outputs read as ZeroOutputs says. */
function samplesOf(t: PublishedTable, row: PublishedRow): Sample[] {
  const w = t.workloads[row.workload.lengths];
  const known = w.output_lens.filter((x) => x > 0);
  let k = 0;
  const zeros = row.workload.zero_outputs ?? w.zero_outputs ?? 'resample';
  const outs = w.output_lens.map((x) => (x > 0 ? x : zeros === 'eos' ? 1 : known[k++ % known.length]));
  const out: Sample[] = [];
  for (let i = 0; i < row.workload.num_prompts; i++) {
    const j = i % w.input_lens.length;
    out.push({ prompt: '', prompt_len: w.input_lens[j], expected_output_len: outs[j] });
  }
  return out;
}

/** Overrides of the defaults while fitting: factors per vLLM version, host CPU factor per GPU. */
export interface FitOverrides {
  factors?: (row: PublishedRow) => Partial<EfficiencyFactors>;
  host_cpu_factor?: Record<string, number>;
}

/** Predicts one row with the simulator's defaults, or with `over` replacing some (fitting). */
export async function predictRow(t: PublishedTable, row: PublishedRow, over: FitOverrides = {}): Promise<RowResult> {
  const hf = over.host_cpu_factor?.[row.gpu];
  const rep = await predict({
    model: row.model,
    hardware: hf === undefined ? row.gpu : { ...findHardware(row.gpu)!, host_cpu_factor: hf },
    tensor_parallel: row.tensor_parallel,
    vllm_version: row.vllm_version,
    max_num_seqs: row.engine.max_num_seqs,
    max_model_len: row.engine.max_model_len,
    chunked_prefill: row.engine.chunked_prefill,
    num_scheduler_steps: row.engine.num_scheduler_steps,
    gpu_memory_utilization: row.engine.gpu_memory_utilization,
    factors: over.factors?.(row),
    network_latency_ms: 0.05,
    workload: {
      backend: 'completions',
      samples: samplesOf(t, row),
      num_prompts: row.workload.num_prompts,
      request_rate: row.workload.request_rate === 'inf' ? Infinity : row.workload.request_rate,
      ignore_eos: true,
      seed: 0,
      metric_percentiles: '50',
    },
  });
  const predicted: RowResult['predicted'] = {};
  const error: RowResult['error'] = {};
  for (const m of METRICS) {
    const pub = row.published[m];
    if (pub === undefined) continue;
    const p = rep[m] as number;
    predicted[m] = p;
    if (row.excluded?.metrics.includes(m)) continue;
    error[m] = p / pub - 1;
  }
  return { row, predicted, error };
}

/** Mean absolute relative error of one metric over results (NaN when none has it). */
export function mape(results: readonly RowResult[], m: Metric): number {
  const e = results.map((r) => r.error[m]).filter((x): x is number => x !== undefined);
  return e.length ? e.reduce((a, x) => a + Math.abs(x), 0) / e.length : NaN;
}

/** Predicts every row (sequentially: each prediction is CPU-bound). */
export async function predictAll(t: PublishedTable, rows = t.rows, over: FitOverrides = {}): Promise<RowResult[]> {
  const out: RowResult[] = [];
  for (const r of rows) out.push(await predictRow(t, r, over));
  return out;
}
