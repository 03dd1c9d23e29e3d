/**
 * What the performance model predicts for mixture-of-experts models next to dense ones, and what embedding requests
 * cost: figures to eyeball, not a test. For each MoE model: expected distinct experts a step touches per batch size,
 * and predicted TPOT / output throughput at several concurrencies next to dense models of its active and total size
 * (same shape without experts). Run: npx tsx bench/sim-moe.ts
 */
import {
  activeParams,
  expectedExpertsTouched,
  findModel,
  PerformanceModel,
  predict,
  resolveDeployment,
  type ModelSpec,
} from '../src/simulator/index.ts';

const B = (n: number) => `${(n / 1e9).toFixed(2)}B`;
const dense = (m: ModelSpec, params: number, tag: string): ModelSpec => ({ ...m, name: `${tag} ${m.name}`, moe: undefined, params });

for (const [name, hardware, tp] of [['Qwen/Qwen3-30B-A3B', 'H100-80G', 1], ['mistralai/Mixtral-8x7B-Instruct-v0.1', 'H100-80G', 2]] as const) {
  const m = findModel(name)!;
  const e = m.moe!;
  console.log(`\n${name} on ${tp}×${hardware}: ${B(m.params)} total, ${B(activeParams(m))} active, ${e.experts_per_token} of ${e.num_experts} experts`);
  console.log('tokens in step | distinct experts per layer | share of expert weights read');
  for (const t of [1, 2, 4, 8, 16, 32, 64, 128, 256]) {
    const touched = expectedExpertsTouched(e.num_experts, e.experts_per_token, t);
    console.log(`${String(t).padStart(14)} | ${touched.toFixed(1).padStart(26)} | ${((touched / e.num_experts) * 100).toFixed(1).padStart(6)} %`);
  }
  console.log('model                         | conc | TPOT p50 ms | output tok/s');
  for (const model of [m, dense(m, activeParams(m), 'dense-active'), dense(m, m.params, 'dense-total')]) {
    for (const conc of [1, 8, 32, 128]) {
      const r = await predict({ model, hardware, tensor_parallel: tp, workload: { max_concurrency: conc, num_prompts: Math.max(16, 4 * conc), random_input_len: 1024, random_output_len: 128, seed: 0 } });
      const label = model === m ? 'MoE' : model.name.split(' ')[0];
      console.log(`${label.padEnd(29)} | ${String(conc).padStart(4)} | ${(r.median_tpot_ms as number).toFixed(2).padStart(11)} | ${r.output_throughput.toFixed(0).padStart(12)}`);
    }
  }
}

console.log('\nembedding models: modelled time of one prefill-only request (ms) by input length, and requests/s of a full batch');
console.log('model                          | hardware |   64 tok |  512 tok | a full step of 512-token inputs: req/s');
for (const [name, hardware] of [['BAAI/bge-small-en-v1.5', 'L4'], ['BAAI/bge-large-en-v1.5', 'L4'], ['Qwen/Qwen3-Embedding-0.6B', 'H100-80G'], ['Qwen/Qwen3-Embedding-8B', 'H100-80G']] as const) {
  const p = new PerformanceModel(resolveDeployment({ model: name, hardware }));
  const one = (n: number) => p.stepTime([{ tokens: n, context: 0 }]) * 1000;
  // vLLM's token budget bounds a step: as many 512-token prompts as fit into 8192 (≥70 GB) or max(2048, max_model_len)
  const budget = hardware === 'H100-80G' ? 8192 : 2048;
  const perStep = Math.floor(budget / 512);
  const step = p.stepTime(Array.from({ length: perStep }, () => ({ tokens: 512, context: 0 })));
  console.log(`${name.padEnd(30)} | ${hardware.padEnd(8)} | ${one(64).toFixed(2).padStart(8)} | ${one(512).toFixed(2).padStart(8)} | ${(perStep / step).toFixed(0).padStart(8)}`);
}
