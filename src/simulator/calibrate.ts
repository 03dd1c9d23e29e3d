/**
 * Calibration: fit the performance model's efficiency factors (mfu, bandwidth efficiency, step and per-sequence CPU
 * overhead) to a measured
 * run, by replaying its exact per-request lengths and load in virtual time and minimising the squared relative error
 * of mean TTFT, mean TPOT and output throughput (coordinate search on a log scale).
 */
import type { Sample } from '../loadgen/dataset.ts';
import type { EngineOptions } from './engine.ts';
import type { EfficiencyFactors } from './perf-model.ts';
import { resolveDeployment } from './perf-model.ts';
import { predict, type Workload } from './predict.ts';

/** The parts of a measured report calibration reads (vLLM's result JSON has them). */
export interface MeasuredRun {
  input_lens: number[];
  output_lens: number[];
  max_concurrency?: number | null;
  request_rate?: number | 'inf' | null;
  burstiness?: number;
  mean_ttft_ms?: unknown;
  mean_tpot_ms?: unknown;
  output_throughput: number;
  benchops?: { workload?: Record<string, unknown> };
}

/** Calibration outcome: fitted factors and the error before and after. */
export interface CalibrationResult {
  factors: EfficiencyFactors;
  before: FitError;
  after: FitError;
  iterations: number;
}

/** Relative errors of the fitted quantities (predicted/measured − 1). */
export interface FitError {
  ttft: number;
  tpot: number;
  throughput: number;
  loss: number;
}

/** The workload that reproduces a measured run (same lengths, concurrency and rate). */
export function workloadFromRun(run: MeasuredRun): Workload {
  const samples: Sample[] = [];
  const ok = run.input_lens.map((_, i) => i).filter((i) => (run.output_lens[i] ?? 0) > 0);
  for (const i of ok) samples.push({ prompt: '', prompt_len: run.input_lens[i], expected_output_len: run.output_lens[i] });
  if (!samples.length) throw new RangeError('the run has no successful request to calibrate on');
  const w = (run.benchops?.workload ?? {}) as Record<string, unknown>;
  const rate = run.request_rate === 'inf' || run.request_rate === null || run.request_rate === undefined ? Infinity : Number(run.request_rate);
  return {
    samples,
    num_prompts: samples.length,
    max_concurrency: run.max_concurrency ?? null,
    request_rate: rate,
    burstiness: run.burstiness ?? 1,
    seed: typeof w.seed === 'number' ? w.seed : 0,
    backend: 'completions',
  };
}

async function errorOf(deployment: EngineOptions, factors: EfficiencyFactors, workload: Workload, run: MeasuredRun): Promise<FitError> {
  const r = await predict({ ...deployment, factors, workload });
  const rel = (p: number, m: number) => (m > 0 ? p / m - 1 : 0);
  const ttft = rel(r.mean_ttft_ms as number, Number(run.mean_ttft_ms));
  const tpot = rel(r.mean_tpot_ms as number, Number(run.mean_tpot_ms));
  const throughput = rel(r.output_throughput, run.output_throughput);
  return { ttft, tpot, throughput, loss: ttft * ttft + tpot * tpot + throughput * throughput };
}

/** Fits efficiency factors to a measured run on the given deployment. */
export async function calibrate(deployment: EngineOptions, run: MeasuredRun, maxIterations = 30): Promise<CalibrationResult> {
  if (typeof run.mean_ttft_ms !== 'number' || typeof run.mean_tpot_ms !== 'number') {
    throw new RangeError('the run needs mean_ttft_ms and mean_tpot_ms (percentile_metrics must include ttft and tpot)');
  }
  const workload = workloadFromRun(run);
  const start = resolveDeployment(deployment).factors;
  let best = { ...start };
  const before = await errorOf(deployment, best, workload, run);
  let bestErr = before;
  const keys: Array<[keyof EfficiencyFactors, number, number]> = [
    ['bandwidth_efficiency', 0.05, 1],
    ['mfu', 0.05, 1],
    ['step_overhead_ms', 0.01, 50],
    // the per-sequence CPU cost is what carries a fit at one concurrency over to another
    ['per_seq_overhead_ms', 0.0005, 1],
  ];
  let scale = 1.4;
  let it = 0;
  for (; it < maxIterations && bestErr.loss > 1e-5; it++) {
    let improved = false;
    for (const [k, lo, hi] of keys) {
      for (const mul of [scale, 1 / scale]) {
        const cand = { ...best, [k]: Math.min(hi, Math.max(lo, best[k] * mul)) };
        const e = await errorOf(deployment, cand, workload, run);
        if (e.loss < bestErr.loss) {
          best = cand;
          bestErr = e;
          improved = true;
        }
      }
    }
    if (!improved) scale = Math.sqrt(scale);
  }
  return { factors: best, before, after: bestErr, iterations: it };
}
