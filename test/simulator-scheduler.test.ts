/** Scheduler invariants, performance-model sanity and catalogue lookups. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/loadgen/rng.ts';
import {
  buildEngine,
  findHardware,
  findModel,
  HARDWARE_CATALOGUE,
  hardwareForResource,
  newRequest,
  PerformanceModel,
  resolveDeployment,
  Scheduler,
  type SimRequest,
} from '../src/simulator/index.ts';

describe('continuous-batching scheduler', () => {
  it('never exceeds max_num_seqs or the KV budget, admits FIFO, and finishes every request', () => {
    const cfg = { max_num_seqs: 8, max_num_batched_tokens: 512, block_size: 16, num_blocks: 200, max_model_len: 1024, chunked_prefill: true };
    const s = new Scheduler(cfg);
    const rng = new Rng(11);
    const reqs: SimRequest[] = [];
    let t = 0;
    let nextId = 0;
    const admitted: number[] = [];
    let maxRunning = 0;
    let sawPreemption = false;
    for (let step = 0; step < 20_000 && (nextId < 120 || s.busy); step++) {
      if (nextId < 120 && rng.next() < 0.3) {
        const r = newRequest(String(nextId++), rng.int(16, 700), rng.int(1, 300), t);
        reqs.push(r);
        s.add(r);
      }
      const items = s.schedule(t);
      t += 1;
      if (!items) continue;
      maxRunning = Math.max(maxRunning, s.running.length);
      expect(s.running.length).toBeLessThanOrEqual(cfg.max_num_seqs);
      expect(s.usedBlocks).toBeLessThanOrEqual(cfg.num_blocks);
      expect(items.reduce((a, x) => a + x.tokens, 0)).toBeLessThanOrEqual(cfg.max_num_batched_tokens);
      // blocks held cover the tokens computed after this step
      for (const it of items) expect(it.req.blocks * cfg.block_size).toBeGreaterThanOrEqual(it.context + it.tokens);
      for (const it of items) if (it.context === 0 && it.req.preemptions === 0 && !admitted.includes(Number(it.req.id))) admitted.push(Number(it.req.id));
      s.complete(items);
      if (s.preemptions > 0) sawPreemption = true;
    }
    expect(reqs.every((r) => r.state === 'finished' && r.output === r.max_output)).toBe(true);
    expect(s.usedBlocks).toBe(0);
    expect(maxRunning).toBe(cfg.max_num_seqs);
    // FIFO: first admissions happen in arrival order
    expect(admitted).toEqual([...admitted].sort((a, b) => a - b));
    expect(sawPreemption).toBe(true); // 200 blocks × 16 tokens is tight for 8 × (700 + 300): preemption exercised
  });

  it('keeps a waiting head from being overtaken when it does not fit', () => {
    const s = new Scheduler({ max_num_seqs: 4, max_num_batched_tokens: 4096, block_size: 16, num_blocks: 64, max_model_len: 1024, chunked_prefill: true });
    const big = newRequest('big', 900, 10, 0);
    const a = newRequest('a', 600, 10, 0);
    const small = newRequest('small', 16, 1, 0);
    s.add(a);
    s.schedule(0); // a takes 38 of 64 blocks
    s.add(big);
    s.add(small);
    const items = s.schedule(1)!;
    expect(items.map((i) => i.req.id)).toEqual(['a']); // big needs 57 blocks > 26 free; small must not jump the queue
    expect(s.waiting.map((r) => r.id)).toEqual(['big', 'small']);
  });

  it('rejects requests that can never fit and configurations whose KV cannot hold max_model_len', () => {
    const s = new Scheduler({ max_num_seqs: 4, max_num_batched_tokens: 256, block_size: 16, num_blocks: 64, max_model_len: 1024, chunked_prefill: true });
    expect(() => s.add(newRequest('x', 1000, 100, 0))).toThrow(/max_model_len/);
    expect(() => new Scheduler({ max_num_seqs: 1, max_num_batched_tokens: 256, block_size: 16, num_blocks: 10, max_model_len: 1024, chunked_prefill: true })).toThrow(/KV cache/);
  });

  it('chunked prefill splits a long prompt over steps within the token budget', () => {
    const s = new Scheduler({ max_num_seqs: 4, max_num_batched_tokens: 256, block_size: 16, num_blocks: 1000, max_model_len: 4096, chunked_prefill: true });
    const r = newRequest('p', 1000, 2, 0);
    s.add(r);
    const chunks: number[] = [];
    for (let i = 0; i < 10 && r.state !== 'finished'; i++) {
      const items = s.schedule(i)!;
      chunks.push(items[0].tokens);
      s.complete(items);
    }
    expect(chunks).toEqual([256, 256, 256, 232, 1]);
    expect(r.output).toBe(2);
  });
});

describe('performance model', () => {
  const perf = new PerformanceModel(resolveDeployment({ model: 'Llama-3.1-8B', hardware: 'H100' }));

  it('decode time grows with the batch KV bytes; prefill time with prompt tokens', () => {
    const decode = (n: number, ctx: number) => perf.stepTime(Array.from({ length: n }, () => ({ tokens: 1, context: ctx })));
    expect(decode(1, 1000)).toBeLessThan(decode(32, 1000));
    expect(decode(32, 1000)).toBeLessThan(decode(32, 8000));
    expect(decode(64, 4000)).toBeLessThan(decode(64, 8000));
    // one token of 8B bf16 weights from HBM: ~16 GB / (3.35 TB/s · efficiency) ≈ 6 ms
    expect(decode(1, 100) * 1000).toBeGreaterThan(5);
    expect(decode(1, 100) * 1000).toBeLessThan(8);
    const prefill = (n: number) => perf.stepTime([{ tokens: n, context: 0 }]);
    expect(prefill(512)).toBeLessThan(prefill(2048));
    expect(prefill(4096)).toBeGreaterThan(prefill(2048) * 1.8); // compute-bound: ~linear (+ quadratic attention)
    expect(perf.step([{ tokens: 4096, context: 0 }]).compute_s).toBeGreaterThan(perf.step([{ tokens: 4096, context: 0 }]).memory_s);
    expect(perf.step([{ tokens: 1, context: 100 }]).memory_s).toBeGreaterThan(perf.step([{ tokens: 1, context: 100 }]).compute_s);
  });

  it('tensor parallel and faster hardware shorten steps; a model that does not fit is refused', () => {
    const tp2 = new PerformanceModel(resolveDeployment({ model: 'Llama-3.1-8B', hardware: 'H100', tensor_parallel: 2 }));
    const h200 = new PerformanceModel(resolveDeployment({ model: 'Llama-3.1-8B', hardware: 'H200' }));
    const batch = Array.from({ length: 16 }, () => ({ tokens: 1, context: 2000 }));
    expect(tp2.stepTime(batch)).toBeLessThan(perf.stepTime(batch));
    expect(tp2.step(batch).comm_s).toBeGreaterThan(0);
    expect(h200.stepTime(batch)).toBeLessThan(perf.stepTime(batch));
    expect(tp2.kvCapacityTokens()).toBeGreaterThan(2 * perf.kvCapacityTokens());
    expect(() => new PerformanceModel(resolveDeployment({ model: 'Llama-3.1-70B', hardware: 'H100' })).kvCapacityTokens()).toThrow(/does not fit/);
    expect(() => buildEngine({ model: 'Llama-3.1-70B', hardware: 'H100', tensor_parallel: 4 })).not.toThrow();
    expect(() => resolveDeployment({ model: 'Llama-3.1-8B', tensor_parallel: 3 })).toThrow(/tensor_parallel 3/);
    expect(() => resolveDeployment({ model: 'nope' })).toThrow(/unknown model "nope"/);
  });
});

describe('catalogues', () => {
  it('finds models and hardware by name, alias and product label, including MIG profiles', () => {
    expect(findModel('llama-3.1-8b')?.num_kv_heads).toBe(8);
    expect(findModel('Qwen/Qwen3-8B')?.num_layers).toBe(36);
    expect(findHardware('H100 SXM')?.name).toBe('H100-80G');
    expect(findHardware('NVIDIA-H100-NVL')?.name).toBe('H100-NVL');
    for (const n of ['H100-80G', 'H200', 'A100-80G', 'L40S']) expect(findHardware(n)?.type).toBe('gpu');
    expect(HARDWARE_CATALOGUE.some((h) => h.type === 'cpu')).toBe(true);
    const mig = hardwareForResource('nvidia.com/mig-1g.10gb', 'NVIDIA-A100-SXM4-80GB');
    expect(mig?.name).toBe('A100-80G-MIG-1g.10gb');
    expect(mig?.memory_gb).toBe(10);
    expect(mig?.peak_fp16_TFLOPS).toBeCloseTo(312 / 7);
    expect(hardwareForResource('nvidia.com/mig-1g.10gb', 'NVIDIA-H100-80GB-HBM3')?.mig?.parent).toBe('H100-80G');
    for (const h of HARDWARE_CATALOGUE) {
      expect(h.memory_gb).toBeGreaterThan(0);
      expect(h.peak_fp16_TFLOPS).toBeGreaterThan(0);
      expect(h.memory_bandwidth_GBps).toBeGreaterThan(0);
    }
  });
});
