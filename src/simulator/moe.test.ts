import { describe, expect, it } from 'vitest';
import { Rng } from '../loadgen/rng.ts';
import { findModel } from './catalog.ts';
import { activeParams, computeParams, expectedExpertsTouched, FusedMoeJit, fusedMoeVariant, routedParams, weightBytesRead } from './moe.ts';
import { buildEngine } from './engine.ts';

/** Distinct experts T tokens touch when each draws k of E without replacement (partial Fisher-Yates), averaged. */
function simulateTouched(E: number, k: number, T: number, trials: number, rng: Rng): number {
  let sum = 0;
  const ids = Array.from({ length: E }, (_, i) => i);
  for (let t = 0; t < trials; t++) {
    const seen = new Set<number>();
    for (let tok = 0; tok < T; tok++) {
      for (let j = 0; j < k; j++) {
        const r = j + Math.floor(rng.next() * (E - j));
        [ids[j], ids[r]] = [ids[r], ids[j]];
        seen.add(ids[j]);
      }
    }
    sum += seen.size;
  }
  return sum / trials;
}

describe('expected experts a step touches: E·(1 − (1 − k/E)^T)', () => {
  it('is k for one token, 0 for none, and grows toward E', () => {
    expect(expectedExpertsTouched(128, 8, 0)).toBe(0);
    expect(expectedExpertsTouched(128, 8, 1)).toBeCloseTo(8, 10);
    expect(expectedExpertsTouched(8, 2, 1)).toBeCloseTo(2, 10);
    let prev = 0;
    for (const T of [1, 2, 4, 8, 16, 64, 256]) {
      const v = expectedExpertsTouched(128, 8, T);
      expect(v).toBeGreaterThan(prev);
      expect(v).toBeLessThanOrEqual(128);
      prev = v;
    }
    expect(expectedExpertsTouched(128, 8, 4096)).toBeCloseTo(128, 6);
  });

  it('matches a simulation of uniform top-k routing', () => {
    const rng = new Rng(42);
    for (const [E, k, T] of [[128, 8, 4], [128, 8, 16], [128, 8, 64], [8, 2, 3], [8, 2, 10], [60, 4, 7]]) {
      const simulated = simulateTouched(E, k, T, 3000, rng);
      expect(Math.abs(simulated / expectedExpertsTouched(E, k, T) - 1)).toBeLessThan(0.02);
    }
  });
});

describe('what a MoE model reads and computes', () => {
  const q = findModel('Qwen/Qwen3-30B-A3B')!;

  it('reads exactly the active weights at batch 1 and all weights once every expert is touched', () => {
    expect(weightBytesRead(q, 1)).toBeCloseTo(activeParams(q) * q.weight_bytes, -3);
    expect(weightBytesRead(q, 100_000) / (q.params * q.weight_bytes)).toBeCloseTo(1, 6);
    expect(weightBytesRead(q, 8)).toBeGreaterThan(weightBytesRead(q, 1));
    expect(weightBytesRead(q, 8)).toBeLessThan(weightBytesRead(q, 64));
    // active = total minus the experts a token does not use
    expect(q.params - activeParams(q)).toBeCloseTo(routedParams(q) * (1 - 8 / 128), -3);
  });

  it('leaves dense models unchanged: all weights every step, all parameters computed', () => {
    const d = findModel('Llama-3.1-8B')!;
    expect(weightBytesRead(d, 1)).toBe(d.params * d.weight_bytes);
    expect(weightBytesRead(d, 256)).toBe(d.params * d.weight_bytes);
    expect(activeParams(d)).toBe(d.params);
    expect(computeParams(d)).toBe(d.params);
  });

  it('an embedding model computes without its token table (a lookup) and has no LM head', () => {
    const e = findModel('BAAI/bge-small-en-v1.5')!;
    expect(computeParams(e)).toBe(e.params - e.vocab_size * e.hidden_size);
  });
});

describe('fused-MoE kernels compile on first use (vLLM v0)', () => {
  const mixtral = findModel('Mixtral-8x7B')!;

  it('a variant compiles once per server: the profiling run and decode-sized steps are warm, a new large step is not', () => {
    const jit = new FusedMoeJit(mixtral, 2048);
    expect(jit.compile(2048)).toBe(0); // the profiling run's variant
    expect(jit.compile(200)).toBe(0); // small tiles: compiled by the decode graph capture
    const cold = jit.compile(1501);
    expect(cold).toBe(2); // gate/up and down GEMMs
    expect(jit.compile(1501)).toBe(0);
    expect(fusedMoeVariant(mixtral, 1501)).toBe(fusedMoeVariant(mixtral, 1503)); // same tiles and divisibilities
    expect(fusedMoeVariant(mixtral, 1501)).not.toBe(fusedMoeVariant(mixtral, 1504));
  });

  it('only v0 engines serving a mixture-of-experts model pay it, and only once', () => {
    const seqs = [{ tokens: 1501, context: 0 }];
    const moe = buildEngine({ model: 'Mixtral-8x7B', hardware: 'H100', tensor_parallel: 2, vllm_version: '0.5.4', max_model_len: 2048 }).perf;
    const first = moe.runStep(seqs);
    expect(first).toBeGreaterThan(moe.stepTime(seqs));
    expect(moe.runStep(seqs)).toBe(moe.stepTime(seqs));
    const v1 = buildEngine({ model: 'Mixtral-8x7B', hardware: 'H100', tensor_parallel: 2, max_model_len: 2048 }).perf;
    expect(v1.runStep(seqs)).toBe(v1.stepTime(seqs));
    const dense = buildEngine({ model: 'Llama-3.1-8B', hardware: 'H100', vllm_version: '0.5.4', max_model_len: 2048 }).perf;
    expect(dense.runStep(seqs)).toBe(dense.stepTime(seqs));
    const warm = buildEngine({ model: 'Mixtral-8x7B', hardware: 'H100', tensor_parallel: 2, vllm_version: '0.5.4', max_model_len: 2048, factors: { triton_jit_ms: 0 } }).perf;
    expect(warm.runStep(seqs)).toBe(warm.stepTime(seqs));
  });
});
