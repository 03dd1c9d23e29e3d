/**
 * `sim calibrate` fitted from one run improves the prediction of another workload on the same model and hardware:
 * the "measured" runs come from a deployment whose CPU and memory efficiency differ from the defaults (as a real
 * server's do), the fit sees only the concurrency-4 run, and the fitted factors must predict the concurrency-48 and
 * the long-prompt runs far better than the defaults do.
 */
import { describe, expect, it } from 'vitest';
import { calibrate } from '../src/simulator/calibrate.ts';
import { predict, type Workload } from '../src/simulator/predict.ts';

const deployment = { model: 'Llama-3.1-8B', hardware: 'H100', max_num_seqs: 64 };
// what the "real" server does differently from the defaults: slower kernels and a heavier CPU side
const hidden = { bandwidth_efficiency: 0.62, mfu: 0.25, step_overhead_ms: 2.5, per_seq_overhead_ms: 0.06 };
const measured = (w: Workload) => predict({ ...deployment, factors: hidden, workload: { seed: 7, ...w } });
const err = (p: number, m: number) => Math.abs(p / m - 1);

describe('calibration transfers across workloads', () => {
  it('fit at concurrency 4, predict concurrency 48 and a prefill-heavy workload', async () => {
    const fitRun = await measured({ num_prompts: 48, max_concurrency: 4, random_input_len: 512, random_output_len: 128 });
    const fit = await calibrate(deployment, fitRun as any, 40);
    expect(fit.after.loss).toBeLessThan(fit.before.loss / 10);

    for (const w of [
      { num_prompts: 192, max_concurrency: 48, random_input_len: 512, random_output_len: 128 },
      { num_prompts: 48, max_concurrency: 16, random_input_len: 3000, random_output_len: 32 },
    ] as Workload[]) {
      const truth = await measured(w);
      const byDefault = await predict({ ...deployment, workload: { seed: 7, ...w } });
      const byFit = await predict({ ...deployment, factors: fit.factors, workload: { seed: 7, ...w } });
      const before = err(byDefault.output_throughput, truth.output_throughput) + err(byDefault.mean_tpot_ms as number, truth.mean_tpot_ms as number);
      const after = err(byFit.output_throughput, truth.output_throughput) + err(byFit.mean_tpot_ms as number, truth.mean_tpot_ms as number);
      expect(before).toBeGreaterThan(0.2);
      expect(after).toBeLessThan(before / 3);
      expect(err(byFit.output_throughput, truth.output_throughput)).toBeLessThan(0.08);
    }
  });
});
