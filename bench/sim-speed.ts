/**
 * How long `sim predict` takes for 10,000 requests (virtual time; CLI start-up aside): the simulation loop alone and
 * with the report's metrics, for a decode-heavy burst and a Poisson stream, on the v1 and the v0.6 multi-step engine.
 * Run: npx tsx bench/sim-speed.ts
 */
import { predict } from '../src/simulator/predict.ts';

const cases = [
  { name: '10,000 × (200 in / 150 out), all at once, v1', o: {}, w: { num_prompts: 10_000, random_input_len: 200, random_output_len: 150 } },
  { name: '10,000 × (1000 in / 100 out), Poisson 50 req/s, v1', o: {}, w: { num_prompts: 10_000, request_rate: 50, random_input_len: 1000, random_output_len: 100 } },
  { name: '10,000 × (200 in / 150 out), all at once, 0.6 multi-step 10', o: { vllm_version: '0.6.0', num_scheduler_steps: 10, max_model_len: 2048 }, w: { num_prompts: 10_000, random_input_len: 200, random_output_len: 150 } },
];
await predict({ model: 'Llama-3.1-8B', workload: { num_prompts: 10, seed: 0 } }); // warm the JIT and the tokenizer
for (const c of cases) {
  const runs: Array<{ sim: number; total: number }> = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r: any = await predict({ model: 'Llama-3.1-8B', hardware: 'H100', ...c.o, workload: { seed: 0, ...c.w } });
    runs.push({ sim: r.prediction.simulate_ms, total: performance.now() - t0 });
  }
  const best = runs.reduce((a, b) => (b.total < a.total ? b : a));
  console.log(`${c.name.padEnd(62)} simulation ${best.sim.toFixed(0).padStart(5)} ms, with metrics ${best.total.toFixed(0).padStart(5)} ms (best of 3)`);
}
