/**
 * Prediction vs real time: `predict` (virtual time) and a real load-generator run against `benchops sim serve` with the
 * same model, hardware and workload see the same requests and tokens, and the real run is never faster than the model
 * (an emulator that ignored its model would be); how close the two are on a quiet machine is a figure
 * (`npx tsx bench/sim-agreement.ts`), not a test: a busy machine only ever makes the real run slower.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmark, type BenchmarkOptions } from '../src/loadgen/index.ts';
import { calibrate, predict, spawnEmulator, type EmulatorProcess } from '../src/simulator/index.ts';

let emu: EmulatorProcess;
const deployment = { model: 'Llama-3.1-8B', hardware: 'H100', max_num_seqs: 32 };

beforeAll(async () => {
  emu = await spawnEmulator(['--port', '0', '--model', 'Llama-3.1-8B', '--hardware', 'H100', '--max-num-seqs', '32', '--seed', '3']);
});
afterAll(async () => {
  await emu?.stop();
});

describe('sim predict agrees with a real run against sim serve', () => {
  it.each([
    // decode-dominated workloads: prefill-heavy bursts are sensitive to the exact arrival order of a burst (the client's
    // dispatch jitter), which moves TTFT and the batching pattern; bench/sim-agreement.ts reports those too
    ['completions, c=16', { backend: 'completions', max_concurrency: 16, num_prompts: 48, random_input_len: 128, random_output_len: 128 }],
    ['chat, Poisson 20 req/s, c=48 over max_num_seqs 32', { backend: 'chat', request_rate: 20, max_concurrency: 48, num_prompts: 80, random_input_len: 128, random_output_len: 128 }],
  ] as Array<[string, Omit<BenchmarkOptions, 'base_url'>]>)('%s', async (_name, workload) => {
    const measured = await runBenchmark({ ...workload, base_url: emu.url, seed: 1, num_warmups: 1 });
    const predicted = await predict({ ...deployment, workload: { ...workload, seed: 1 } });
    expect(measured.completed).toBe(workload.num_prompts);
    expect(predicted.completed).toBe(workload.num_prompts);
    expect(predicted.benchops.predicted).toBe(true);
    expect(predicted.total_input_tokens).toBe(measured.total_input_tokens);
    expect(predicted.total_output_tokens).toBe(measured.total_output_tokens);
    // never faster than the model (5 %: the client's own clock and rounding), and not wildly slower either (a broken
    // step model or a lost timer shows as a multiple, a starved CI core as tens of percent)
    expect(measured.output_throughput).toBeLessThan(predicted.output_throughput * 1.05);
    expect(measured.mean_tpot_ms as number).toBeGreaterThan((predicted.mean_tpot_ms as number) * 0.95);
    expect(measured.output_throughput).toBeGreaterThan(predicted.output_throughput / 3);
  });

  it('calibration recovers changed efficiency factors from a predicted run', async () => {
    const workload = { max_concurrency: 8, num_prompts: 32, random_input_len: 1024, random_output_len: 64 };
    const truth = await predict({ ...deployment, factors: { bandwidth_efficiency: 0.6, mfu: 0.4 }, workload });
    const fit = await calibrate(deployment, truth, 12);
    expect(fit.before.loss).toBeGreaterThan(0.01);
    expect(fit.after.loss).toBeLessThan(fit.before.loss / 10);
    expect(Math.abs(fit.after.tpot)).toBeLessThan(0.04);
    expect(Math.abs(fit.after.throughput)).toBeLessThan(0.04);
    expect(fit.factors.bandwidth_efficiency).toBeLessThan(0.7);
  });
});
