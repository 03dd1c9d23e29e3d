/**
 * Prediction accuracy against published vLLM numbers: `predict` for Llama-3.1-8B on 1×H100 vs the reference
 * rows (vLLM 0.21, `vllm bench serve`, random data). The reference does not state its input/output lengths, so the
 * table is printed for a few plausible workloads; the efficiency factors are the catalogue defaults (not fitted to
 * these rows). Run: npx tsx bench/sim-published.ts
 */
import { predict } from '../src/simulator/index.ts';

const ROWS = [
  { concurrency: 1, tok_s: 122, tpot_p50: 6.48 },
  { concurrency: 16, tok_s: 1384, tpot_p50: 10.94 },
  { concurrency: 64, tok_s: 1312, tpot_p50: 46.9 },
];
const WORKLOADS = [
  { random_input_len: 1024, random_output_len: 128 },
  { random_input_len: 1024, random_output_len: 1024 },
  { random_input_len: 8192, random_output_len: 128 },
];

const pct = (p: number, m: number) => `${((p / m - 1) * 100).toFixed(1).padStart(6)} %`;
console.log('Llama-3.1-8B-Instruct on 1×H100-80G, default factors; error = predicted / published − 1');
for (const w of WORKLOADS) {
  console.log(`\nworkload: random ${w.random_input_len} in / ${w.random_output_len} out, ignore_eos, num_prompts = 10 × concurrency (≥ 20)`);
  console.log('conc | published tok/s | predicted tok/s |  error  | published TPOT p50 | predicted TPOT p50 |  error');
  let sumAbs = 0;
  for (const r of ROWS) {
    const rep = await predict({
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      hardware: 'H100-80G',
      workload: { ...w, max_concurrency: r.concurrency, num_prompts: Math.max(20, 10 * r.concurrency), seed: 0, metric_percentiles: '50,99' },
    });
    const tpot = rep.median_tpot_ms as number;
    sumAbs += Math.abs(rep.output_throughput / r.tok_s - 1) + Math.abs(tpot / r.tpot_p50 - 1);
    console.log(
      `${String(r.concurrency).padStart(4)} | ${String(r.tok_s).padStart(15)} | ${rep.output_throughput.toFixed(0).padStart(15)} | ${pct(rep.output_throughput, r.tok_s)} | ${r.tpot_p50.toFixed(2).padStart(18)} | ${tpot.toFixed(2).padStart(18)} | ${pct(tpot, r.tpot_p50)}`,
    );
  }
  console.log(`mean |error| over the 6 figures: ${((sumAbs / 6) * 100).toFixed(1)} %`);
}
