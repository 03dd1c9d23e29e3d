/**
 * Mixture-of-experts in the performance model: total parameters take memory, active parameters drive compute and the
 * weights a decode step reads (more experts as the batch grows). Bounds come from the models' definitions (virtual
 * time and the roofline), never from this machine's speed.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { activationPeakBytes } from '../src/simulator/memory.ts';
import { describe, expect, it } from 'vitest';
import {
  activeParams,
  findModel,
  PerformanceModel,
  predict,
  resolveDeployment,
  startEmulatedServer,
  type ModelSpec,
} from '../src/simulator/index.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/benchops.js');
const GIB = 1024 ** 3;

/** The same shape without experts: a dense model of the MoE's total size, and one of its active size. */
function counterfactuals(m: ModelSpec): { total: ModelSpec; active: ModelSpec } {
  const total = { ...m, name: `dense-${m.name}`, moe: undefined };
  return { total, active: { ...total, name: `dense-active-${m.name}`, params: activeParams(m) } };
}
const perf = (model: ModelSpec, hardware = 'H100-80G', tp = 1) => new PerformanceModel(resolveDeployment({ model, hardware, tensor_parallel: tp }));
const decode = (batch: number, context = 1024) => Array.from({ length: batch }, () => ({ tokens: 1, context }));

describe('MoE decode time follows the active parameters', () => {
  it.each([
    ['Qwen/Qwen3-30B-A3B', 'H100-80G', 1],
    ['mistralai/Mixtral-8x7B-Instruct-v0.1', 'H100-80G', 2],
    ['deepseek-ai/DeepSeek-V2-Lite-Chat', 'A100-80G', 1],
  ] as const)('%s at batch 1 takes the time of a dense model of its active size, not of its total', (name, hw, tp) => {
    const m = findModel(name)!;
    const cf = counterfactuals(m);
    const moe = perf(m, hw, tp).stepTime(decode(1));
    const asActive = perf(cf.active, hw, tp).stepTime(decode(1));
    const asTotal = perf(cf.total, hw, tp).stepTime(decode(1));
    expect(asActive).toBeLessThan(moe * 1.0001); // the same bytes read and FLOPs: equal up to rounding
    expect(Math.abs(moe - asActive)).toBeLessThan(0.01 * (asTotal - moe));
    // KV reads and step overhead are the same for both, so the ratio sits between active/total and 1, near the former
    const share = activeParams(m) / m.params;
    expect(moe / asTotal).toBeGreaterThan(share);
    expect(moe / asTotal).toBeLessThan(2 * share);
  });

  it('reads more experts as the batch grows, up to all of them, never more than the dense equivalent', () => {
    const m = findModel('Qwen/Qwen3-30B-A3B')!;
    const moe = perf(m);
    const dense = perf(counterfactuals(m).total);
    let prev = 0;
    let prevPerToken = Infinity;
    for (const b of [1, 2, 4, 8, 16, 32, 64, 128, 256]) {
      const s = moe.step(decode(b));
      expect(s.memory_s).toBeGreaterThan(prev);
      expect(s.memory_s).toBeLessThanOrEqual(dense.step(decode(b)).memory_s);
      expect(s.total_s / b).toBeLessThan(prevPerToken); // batching still amortises the weights
      prev = s.memory_s;
      prevPerToken = s.total_s / b;
    }
    // 256 tokens × 8 of 128 experts: all but ~0 experts touched, so the step reads (almost) everything
    expect(moe.step(decode(256)).memory_s / dense.step(decode(256)).memory_s).toBeGreaterThan(0.99);
    // compute always follows active parameters: a 2048-token prefill chunk is far cheaper than the dense one's
    const chunk = [{ tokens: 2048, context: 0 }];
    expect(moe.step(chunk).compute_s / dense.step(chunk).compute_s).toBeLessThan(2 * (activeParams(m) / m.params));
  });
});

describe('MoE memory follows the total parameters', () => {
  it('Qwen3-30B-A3B needs ~61 GB for weights: it fits an H100-80G with the rest as KV cache, not an L40S-48G', () => {
    const m = findModel('Qwen/Qwen3-30B-A3B')!;
    const p = perf(m);
    // vLLM's profiling: CUDA-reported memory (79.19 GiB) × 0.9 − all weights − activation peak − non-torch memory
    const free = 79.19 * GIB * 0.9 - m.params * 2 - activationPeakBytes(m, 1, 8192, 256) - 0.2 * GIB;
    expect(p.kvCapacityTokens()).toBe(Math.floor(free / p.kvBytesPerTokenPerDevice()));
    expect(() => perf(m, 'L40S').kvCapacityTokens()).toThrow(/56\.8 GiB of bfloat16 weights\) does not fit on 1×L40S/);
    // a dense model of the active size would fit there: placement must not use active parameters
    expect(perf(counterfactuals(m).active, 'L40S').kvCapacityTokens()).toBeGreaterThan(0);
    expect(() => perf(findModel('Mixtral-8x7B')!).kvCapacityTokens()).toThrow(/does not fit/);
    expect(perf(findModel('Mixtral-8x7B')!, 'H100-80G', 2).kvCapacityTokens()).toBeGreaterThan(0);
  });
});

describe('predictions and the emulator say how a MoE model is modelled', () => {
  const workload = { max_concurrency: 1, num_prompts: 4, random_input_len: 128, random_output_len: 64, seed: 1 };

  it('predicted TPOT of Qwen3-30B-A3B is near a 3.3B dense model’s, far from a 30.5B one’s', async () => {
    const m = findModel('Qwen/Qwen3-30B-A3B')!;
    const cf = counterfactuals(m);
    const [moe, asTotal, asActive] = await Promise.all([m, cf.total, cf.active].map((model) => predict({ model, hardware: 'H100-80G', workload })));
    const tpot = (r: typeof moe) => r.mean_tpot_ms as number;
    expect(tpot(moe)).toBeLessThan(0.2 * tpot(asTotal));
    expect(Math.abs(tpot(moe) / tpot(asActive) - 1)).toBeLessThan(0.01);
    expect((moe.prediction as any).model_summary).toMatchObject({ kind: 'moe', params_total: 30.5e9, experts: { routed: 128, per_token: 8 } });
    expect((moe.prediction as any).model_summary.params_active).toBeCloseTo(activeParams(m), -3);
  });

  it('/benchops/info of an emulated MoE server carries the summary', async () => {
    const s = await startEmulatedServer({ model: 'Qwen/Qwen3-30B-A3B', hardware: 'H100-80G', max_model_len: 4096 });
    try {
      const info: any = await (await fetch(`${s.url}/benchops/info`)).json();
      expect(info.model_summary).toMatchObject({ kind: 'moe', params_total: 30.5e9, weights_gb: 61 });
      const r: any = await (await fetch(`${s.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'hi', max_tokens: 2 }) })).json();
      expect(r.usage.completion_tokens).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('sim predict says the kind and both parameter counts on stderr', async () => {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'sim', 'predict', '--model', 'Qwen/Qwen3-Coder-30B-A3B-Instruct', '--hardware', 'H100', '--max-concurrency', '2', '--num-prompts', '4', '--random-input-len', '64', '--random-output-len', '8', '--json']);
    expect(stderr).toMatch(/not in the catalogue; modelled as a mixture-of-experts model \(8 of 128 experts per token\) shaped like Qwen\/Qwen3-30B-A3B/);
    expect(stderr).toMatch(/30\.50B total parameters for memory \(61 GB of bfloat16 weights\), 3\.32B active per token/);
    expect(JSON.parse(stdout).prediction.model_summary).toMatchObject({ kind: 'moe', estimated_from: 'Qwen/Qwen3-30B-A3B' });
  });
});
