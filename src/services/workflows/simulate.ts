/**
 * Simulate: the plan's workload on the plan's hardware through the simulator in virtual time (src/simulator/predict.ts),
 * turned into a standardized result (source `simulator`) with the same performance block as a measured run of the
 * BenchOps runner, so it is listed, compared and charted like one. Also picks the dataset rows a run uses, the same
 * rows for the prediction and for the job.
 */
import type { Sample } from '../../loadgen/dataset.ts';
import { blockFromBenchJson } from '../../runner/perf.ts';
import type { PerformanceBlock } from '../../runner/report.ts';
import { engineOptionsFromFields, formatFromName, predict, type Workload } from '../../simulator/index.ts';
import { DEFAULT_DATASET_OUTPUT_LEN } from './datasets.ts';
import { MAX_JOB_DATASET_BYTES, type ExecutionPlan } from './plan.ts';

export const SIMULATOR_SOURCE = 'simulator';

/** The rows a run sends: the datasets' rows in order, up to num_prompts and what a job's ConfigMap can hold. */
export interface RowSelection {
  content: string;
  samples: Sample[];
  rows: number;
  /** Rows left out because of num_prompts or the size limit. */
  left_out: number;
}

export function selectRows(loaded: Array<{ content: string; input: number[]; output: (number | null)[] }>, numPrompts: number): RowSelection {
  const lines: string[] = [];
  const samples: Sample[] = [];
  let bytes = 0;
  let total = 0;
  for (const d of loaded) {
    const rows = d.content.split('\n').filter((l) => l.length);
    total += rows.length;
    for (let i = 0; i < rows.length; i++) {
      if (samples.length >= numPrompts) break;
      const size = Buffer.byteLength(rows[i], 'utf8') + 1;
      if (bytes + size > MAX_JOB_DATASET_BYTES && samples.length) break;
      bytes += size;
      lines.push(rows[i]);
      samples.push({ prompt: '', prompt_len: d.input[i], expected_output_len: d.output[i] ?? DEFAULT_DATASET_OUTPUT_LEN });
    }
  }
  return { content: lines.join('\n') + '\n', samples, rows: samples.length, left_out: total - samples.length };
}

/** The plan's workload as the simulator's (the load generator's options without a URL). */
export function simulatorWorkload(plan: ExecutionPlan, rows: RowSelection | null): Workload {
  const w = plan.workload;
  const base: Workload = {
    backend: w.api === 'chat' ? 'chat' : 'completions',
    model: plan.model.served_model_name,
    num_prompts: w.num_prompts,
    max_concurrency: w.concurrent_requests,
    request_rate: Infinity,
    ignore_eos: true,
    seed: 0,
    goodput: w.goodput,
    percentile_metrics: 'ttft,tpot,itl,e2el',
    metric_percentiles: '50,90,95,99',
    label: w.benchmark_name,
  };
  if (w.eval_with === 'configuration') return { ...base, dataset_name: 'random', random_input_len: w.input_len!, random_output_len: w.output_len! };
  return { ...base, samples: rows!.samples };
}

export interface SimulationOutcome {
  /** The standardized document's data. */
  data: Record<string, unknown>;
  block: PerformanceBlock;
  flat: Record<string, number>;
  /** Wall time of the prediction itself. */
  compute_ms: number;
}

/** Runs the prediction; throws a RangeError when the workload cannot run on the plan's deployment. */
export async function simulate(plan: ExecutionPlan, rows: RowSelection | null, ids: { workflow_id: string; run_id: string }): Promise<SimulationOutcome> {
  const sim = plan.simulator;
  if (!sim) throw new RangeError(plan.simulator_error ?? 'the plan cannot be simulated');
  const t0 = performance.now();
  // the Simulate step's vLLM engine fields (engine-fields.ts) when the plan carries them; a checkpoint named …-FP8
  // (-AWQ, -GPTQ…) is simulated in that format even though the simulator's shape is the catalogue model's
  const engine = engineOptionsFromFields(sim.engine);
  const named = formatFromName(plan.model.model_name);
  const report = await predict({
    ...engine,
    ...(engine.quantization === undefined && named ? { quantization: named.method } : {}),
    model: sim.model,
    hardware: sim.hardware,
    tensor_parallel: sim.tensor_parallel,
    ...(sim.max_model_len ? { max_model_len: sim.max_model_len } : {}),
    ...(sim.factors ? { factors: sim.factors } : {}),
    workload: simulatorWorkload(plan, rows),
  });
  const compute_ms = performance.now() - t0;
  const { block, flat } = blockFromBenchJson(report as unknown as Record<string, unknown>, plan.workload.num_prompts);
  const data = {
    meta: {
      benchmark_name: plan.workload.benchmark_name,
      source: SIMULATOR_SOURCE,
      kind: 'performance',
      predicted: true,
      workflow_id: ids.workflow_id,
      workflow_run_id: ids.run_id,
      model: { id: plan.model.served_model_name, tokenizer_id: report.tokenizer_id, simulated_as: sim.model },
      hardware: sim.hardware,
      device_count: sim.device_count,
      tensor_parallel: sim.tensor_parallel,
      engine: { quantization: (report as any).prediction?.quantization ?? null, vllm_engine: (report as any).prediction?.vllm_engine ?? null, ...engine },
      factors: (report as any).prediction?.factors ?? null,
      calibration: sim.calibration,
      workload: plan.workload,
      compute_ms: Math.round(compute_ms),
    },
    results: {},
    performance: block,
  };
  return { data, block, flat, compute_ms };
}

/** The metrics a run is compared on (flat vLLM-style names), in a stable order. */
export const COMPARED_METRICS = [
  ...['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => ['mean', 'median', 'p90', 'p95', 'p99'].map((s) => `${s}_${m}_ms`)),
  'request_throughput',
  'output_throughput',
  'total_token_throughput',
  'request_goodput',
  'duration',
];

/** The compared metrics out of a flat metric map (absent ones left out). */
export function pickMetrics(flat: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...COMPARED_METRICS, 'completed', 'failed']) if (typeof flat[k] === 'number' && Number.isFinite(flat[k])) out[k] = flat[k];
  return out;
}

/** Flat metrics of a standardized performance block (`performance.latency.ttft_ms.p99` → `p99_ttft_ms`). */
export function flatFromBlock(perf: any): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [metric, stats] of Object.entries<any>(perf?.latency ?? {})) {
    const m = metric.replace(/_ms$/, '');
    for (const [stat, v] of Object.entries(stats ?? {})) if (typeof v === 'number') out[`${stat}_${m}_ms`] = v;
  }
  for (const [k, v] of Object.entries<any>(perf?.throughput ?? {})) if (typeof v === 'number') out[k] = v;
  for (const k of ['completed', 'failed'] as const) if (typeof perf?.summary?.[k] === 'number') out[k] = perf.summary[k];
  if (typeof perf?.summary?.duration_s === 'number') out.duration = perf.summary.duration_s;
  return out;
}
