/**
 * Prediction vs real time: `predict` against a real `runBenchmark` run on `benchops sim serve` (same model, hardware,
 * workload), for decode-heavy and prefill-heavy workloads; prints the relative error of throughput, TTFT and TPOT.
 * Run: npx tsx bench/sim-agreement.ts
 */
import { runBenchmark, type BenchmarkOptions } from '../src/loadgen/index.ts';
import { predict, spawnEmulator } from '../src/simulator/index.ts';

const emu = await spawnEmulator(['--port', '0', '--model', 'Llama-3.1-8B', '--hardware', 'H100', '--max-num-seqs', '32']);
const workloads: Array<Omit<BenchmarkOptions, 'base_url'>> = [
  { backend: 'completions', max_concurrency: 16, num_prompts: 48, random_input_len: 128, random_output_len: 128 },
  { backend: 'chat', request_rate: 20, max_concurrency: 48, num_prompts: 80, random_input_len: 128, random_output_len: 128 },
  { backend: 'completions', max_concurrency: 16, num_prompts: 48, random_input_len: 512, random_output_len: 64 },
  { backend: 'chat', max_concurrency: 48, num_prompts: 96, random_input_len: 256, random_output_len: 48 },
];
const e = (p: number, m: number) => `${((p / m - 1) * 100).toFixed(1).padStart(6)} %`;
try {
  console.log('Llama-3.1-8B on H100-80G, max_num_seqs 32; error = predicted / measured − 1');
  console.log('workload                                              | throughput |  mean TTFT | mean TPOT | client');
  for (const w of workloads) {
    const m = await runBenchmark({ ...w, base_url: emu.url, seed: 1, num_warmups: 1, save_detailed: false });
    const p = await predict({ model: 'Llama-3.1-8B', hardware: 'H100', max_num_seqs: 32, workload: { ...w, seed: 1 } });
    const name = `${w.backend} c=${w.max_concurrency} rate=${w.request_rate ?? 'inf'} in=${w.random_input_len} out=${w.random_output_len} n=${w.num_prompts}`;
    console.log(`${name.padEnd(53)} | ${e(p.output_throughput, m.output_throughput).padStart(10)} | ${e(p.mean_ttft_ms as number, m.mean_ttft_ms as number).padStart(10)} | ${e(p.mean_tpot_ms as number, m.mean_tpot_ms as number).padStart(9)} | ${m.benchops.reliable ? 'green' : 'RED'}`);
  }
} finally {
  await emu.stop();
}
