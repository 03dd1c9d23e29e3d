/**
 * Scaling laws of the performance model as properties (fast-check): more tensor parallelism never makes a
 * memory-bound decode step slower, FP8 never takes more memory than BF16, KV capacity grows with device memory and
 * with gpu_memory_utilization, and a checkpoint named …-FP8 is FP8 unless told otherwise. The v0 CPU structure the
 * published table is fitted with (presets.ts): SentencePiece vocabularies detokenise slower, multi-step rounds amortise
 * scheduling but not per-token work, the tensor-parallel broadcast grows per doubling of the group.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findHardware, type HardwareSpec } from '../src/simulator/catalog.ts';
import { PerformanceModel, resolveDeployment, type StepSeq } from '../src/simulator/perf-model.ts';
import { ENGINE_PRESETS } from '../src/simulator/presets.ts';
import { quantizedWeightBytes, resolveQuantization } from '../src/simulator/quantization.ts';

const DENSE = ['Llama-3.1-8B', 'Llama-3.1-70B', 'Llama-3.1-405B', 'Qwen3-8B', 'Mistral-7B'];
const GPUS = ['H100-80G', 'H200', 'A100-80G', 'H100-PCIe', 'L40S'];
const VERSIONS = ['0.5.4', '0.6.0', 'latest'];

const decodeBatch = (n: number, ctx: number): StepSeq[] => Array.from({ length: n }, () => ({ tokens: 1, context: ctx }));

describe('performance model scaling laws', () => {
  it('more tensor parallelism is never slower per token while decode stays memory-bound', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DENSE), fc.constantFrom(...GPUS), fc.constantFrom(...VERSIONS), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 8192 }), fc.constantFrom(1, 2, 4), (model, hw, v, batch, ctx, tp) => {
        const small = new PerformanceModel(resolveDeployment({ model, hardware: hw, tensor_parallel: tp, vllm_version: v }));
        const big = new PerformanceModel(resolveDeployment({ model, hardware: hw, tensor_parallel: tp * 2, vllm_version: v }));
        const b = big.step(decodeBatch(batch, ctx));
        // memory-bound at the larger degree: reading weights and KV still costs more than talking and scheduling
        fc.pre(b.memory_s >= b.comm_s + b.overhead_s && b.memory_s >= b.compute_s);
        expect(b.total_s).toBeLessThanOrEqual(small.step(decodeBatch(batch, ctx)).total_s * (1 + 1e-9));
      }),
      { numRuns: 300 },
    );
  });

  it('FP8 weights and an FP8 KV cache never take more memory than BF16, and leave at least as much KV room', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DENSE, 'Qwen3-30B-A3B', 'Mixtral-8x7B'), fc.constantFrom('H100-80G', 'H200', 'A100-80G'), fc.constantFrom(1, 2, 4, 8), (model, hw, tp) => {
        const h = findHardware(hw)!;
        const bf = resolveDeployment({ model, hardware: h, tensor_parallel: tp, quantization: 'none' });
        const f8 = resolveDeployment({ model, hardware: h, tensor_parallel: tp, quantization: 'fp8', kv_cache_dtype: 'fp8' });
        expect(quantizedWeightBytes(f8.model, f8.quantization) / f8.model.weight_bytes).toBeGreaterThan(0);
        expect(f8.model.params * f8.model.weight_bytes).toBeLessThan(bf.model.params * bf.model.weight_bytes);
        expect(f8.model.kv_bytes).toBeLessThan(bf.model.kv_bytes);
        const kvBf = new PerformanceModel(bf).memory().kv_cache;
        const kvF8 = new PerformanceModel(f8).memory().kv_cache;
        expect(kvF8).toBeGreaterThan(kvBf);
      }),
    );
  });

  it('KV capacity is monotone in device memory and in gpu_memory_utilization', () => {
    fc.assert(
      fc.property(fc.constantFrom('Llama-3.1-8B', 'Qwen3-8B', 'Mistral-7B'), fc.double({ min: 30, max: 200, noNaN: true }), fc.double({ min: 1, max: 60, noNaN: true }), fc.double({ min: 0.5, max: 0.95, noNaN: true }), (model, gib, extra, util) => {
        const base = findHardware('H100-80G')!;
        const hw = (g: number): HardwareSpec => ({ ...base, memory_total_gib: g });
        // the KV room before it is turned into tokens: negative where the model does not fit (kvCapacityTokens throws)
        const cap = (g: number, u: number) => new PerformanceModel(resolveDeployment({ model, hardware: hw(g), gpu_memory_utilization: u })).memory().kv_cache;
        expect(cap(gib + extra, util)).toBeGreaterThanOrEqual(cap(gib, util));
        expect(cap(gib, Math.min(1, util + 0.04))).toBeGreaterThanOrEqual(cap(gib, util));
      }),
      { numRuns: 150 },
    );
  });
});

describe('memory as vLLM profiles it', () => {
  it('an 80 GB H100 is ~79.2 GiB, and Llama-3.1-8B leaves ~55 GiB of KV cache at utilisation 0.9 (vLLM logs 54.95 GiB)', () => {
    const mem = new PerformanceModel(resolveDeployment({ model: 'Llama-3.1-8B', hardware: 'H100' })).memory(8192, 256);
    const gib = (b: number) => b / 1024 ** 3;
    expect(gib(mem.total)).toBeCloseTo(79.19, 1);
    expect(gib(mem.weights)).toBeCloseTo(14.96, 1);
    expect(gib(mem.kv_cache)).toBeGreaterThan(53);
    expect(gib(mem.kv_cache)).toBeLessThan(57);
  });

  it('a 70B FP8 checkpoint fits on one H100 (it runs there) and its BF16 original does not', () => {
    const fp8 = new PerformanceModel(resolveDeployment({ model: 'neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8', hardware: 'H100' }));
    expect(fp8.spec.quantization.weights).toBe('fp8');
    expect(fp8.spec.quantization.weights_source).toBe('name');
    expect(fp8.kvCapacityTokens(2048, 256)).toBeGreaterThan(2048);
    const bf = new PerformanceModel(resolveDeployment({ model: 'Llama-3.1-70B', hardware: 'H100' }));
    expect(() => bf.kvCapacityTokens()).toThrow(/does not fit/);
  });

  it('an -FP8 name is FP8 unless --quantization says otherwise; A100 computes FP8 weights at the 16-bit peak', () => {
    const h100 = findHardware('H100')!;
    const a100 = findHardware('A100')!;
    expect(resolveQuantization('org/Model-8B-FP8', h100).low_precision_compute).toBe(true);
    expect(resolveQuantization('org/Model-8B-FP8', a100).low_precision_compute).toBe(false);
    expect(resolveQuantization('org/Model-8B-FP8', h100, 'none').weights).toBe('bf16');
    expect(resolveQuantization('Qwen/Qwen2.5-7B-Instruct-AWQ', h100).weights).toBe('int4');
    expect(resolveQuantization('Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8', h100, 'gptq').weights).toBe('int8');
    expect(resolveQuantization('plain-8B', h100).weights).toBe('bf16');
    expect(() => resolveQuantization('x', h100, 'nf3')).toThrow(/quantization "nf3"/);
    expect(() => resolveQuantization('x', h100, null, 'fp4')).toThrow(/kv_cache_dtype/);
  });
});

describe('the v0 engine CPU structure the published table is fitted with', () => {
  const step = (o: Parameters<typeof resolveDeployment>[0], batch: number, waiting = 0) => {
    const seqs = Object.assign(decodeBatch(batch, 512), { waiting });
    return new PerformanceModel(resolveDeployment(o)).step(seqs);
  };

  it('a SentencePiece vocabulary (Mistral) costs more CPU per step than a byte-level BPE one (Llama-3) in v0, the same in v1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 256 }), fc.constantFrom('0.5.4', '0.6.0'), (batch, v) => {
        const spm = step({ model: 'Mistral-7B', vllm_version: v }, batch).overhead_s;
        const bpe = step({ model: 'Llama-3.1-8B', vllm_version: v }, batch).overhead_s;
        expect(spm).toBeGreaterThan(bpe);
        expect(step({ model: 'Mistral-7B' }, batch).overhead_s).toBeCloseTo(step({ model: 'Llama-3.1-8B' }, batch).overhead_s, 9);
      }),
      { numRuns: 50 },
    );
  });

  it('a multi-step round amortises scheduling but not the per-token work: more steps per round, cheaper per step, never free', () => {
    const per = (n: number) => step({ model: 'Llama-3.1-8B', vllm_version: '0.6.0', num_scheduler_steps: n }, 256, 2000).overhead_s;
    expect(per(10)).toBeLessThan(per(1));
    expect(per(64)).toBeLessThan(per(10));
    // every token is still detokenised: 256 sequences × the per-token cost (its serial part) stays in each step
    const p06 = ENGINE_PRESETS['0.6'];
    expect(p06.per_token_cpu_us).toBeGreaterThan(0);
    expect(per(64)).toBeGreaterThan((256 * p06.per_token_cpu_us * (1 - p06.overlap)) / 1e6);
  });

  it('the tensor-parallel broadcast grows with each doubling of the group, not with each worker', () => {
    const cpu = (tp: number) => step({ model: 'Llama-3.1-70B', vllm_version: '0.5.4', tensor_parallel: tp }, 1).overhead_s;
    const d2 = cpu(4) - cpu(2);
    const d4 = cpu(8) - cpu(4);
    expect(d2).toBeGreaterThan(0);
    expect(Math.abs(d4 - d2)).toBeLessThan(1e-9);
  });
});
