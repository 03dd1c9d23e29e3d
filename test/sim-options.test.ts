/**
 * Each engine option moves `sim predict` in the direction vLLM's behaviour says (virtual time, so no timing noise):
 * weight and KV formats, parallelism, seats and token budget, memory utilisation, prefix caching, chunked prefill and
 * multi-step scheduling of the v0 engine, speculative decoding, vLLM generation, preemption mode, and --no-ignore-eos.
 */
import { describe, expect, it } from 'vitest';
import { PerformanceModel, resolveDeployment } from '../src/simulator/perf-model.ts';
import { predict, type PredictOptions, type Workload } from '../src/simulator/predict.ts';
import { newRequest, Scheduler } from '../src/simulator/scheduler.ts';

const run = (o: Omit<PredictOptions, 'workload'>, w: Workload) => predict({ ...o, workload: { seed: 0, metric_percentiles: '50,99', ...w } });
const num = (x: unknown) => x as number;
const pred = (r: any) => r.prediction;
const decodeHeavy: Workload = { num_prompts: 64, max_concurrency: 32, random_input_len: 256, random_output_len: 128 };

describe('each option moves the prediction the documented way', () => {
  it('FP8 weights decode faster than BF16 on an H100 (fewer bytes per step) and an FP8 KV cache holds twice the tokens', async () => {
    const bf = await run({ model: 'Llama-3.1-8B', hardware: 'H100', quantization: 'none' }, decodeHeavy);
    const f8 = await run({ model: 'Llama-3.1-8B', hardware: 'H100', quantization: 'fp8' }, decodeHeavy);
    expect(num(f8.median_tpot_ms)).toBeLessThan(num(bf.median_tpot_ms));
    expect(f8.output_throughput).toBeGreaterThan(bf.output_throughput);
    const kv8 = await run({ model: 'Llama-3.1-8B', hardware: 'H100', kv_cache_dtype: 'fp8' }, { num_prompts: 4, random_input_len: 16, random_output_len: 4 });
    const kv16 = await run({ model: 'Llama-3.1-8B', hardware: 'H100' }, { num_prompts: 4, random_input_len: 16, random_output_len: 4 });
    expect(pred(kv8).kv_cache_tokens / pred(kv16).kv_cache_tokens).toBeCloseTo(2, 1);
  });

  it('tensor parallel 4 beats 2 for a 70B model at load; pipeline parallel 2 adds KV room and throughput over 1 at the same TP', async () => {
    const w: Workload = { num_prompts: 128, max_concurrency: 128, random_input_len: 512, random_output_len: 128 };
    const tp2 = await run({ model: 'Llama-3.1-70B', hardware: 'H100', tensor_parallel: 2 }, w);
    const tp4 = await run({ model: 'Llama-3.1-70B', hardware: 'H100', tensor_parallel: 4 }, w);
    expect(tp4.output_throughput).toBeGreaterThan(tp2.output_throughput);
    expect(num(tp4.median_tpot_ms)).toBeLessThan(num(tp2.median_tpot_ms));
    const pp2 = await run({ model: 'Llama-3.1-70B', hardware: 'H100', tensor_parallel: 2, pipeline_parallel: 2 }, w);
    expect(pred(pp2).kv_cache_tokens).toBeGreaterThan(2 * pred(tp2).kv_cache_tokens);
    expect(pp2.output_throughput).toBeGreaterThan(tp2.output_throughput);
  });

  it('fewer seats lower throughput at high concurrency; a smaller token budget trades TTFT for smoother decodes', async () => {
    const w: Workload = { num_prompts: 96, max_concurrency: 96, random_input_len: 128, random_output_len: 128 };
    const many = await run({ model: 'Llama-3.1-8B', max_num_seqs: 96 }, w);
    const few = await run({ model: 'Llama-3.1-8B', max_num_seqs: 8 }, w);
    expect(few.output_throughput).toBeLessThan(many.output_throughput);
    // vLLM's tuning guide: a smaller max_num_batched_tokens gives better ITL (decodes wait behind smaller prefill
    // chunks), a larger one better TTFT (fewer steps per prompt)
    const mixed: Workload = { num_prompts: 64, max_concurrency: 16, random_input_len: 3000, random_output_len: 64 };
    const wide = await run({ model: 'Llama-3.1-8B', max_num_batched_tokens: 8192 }, mixed);
    const narrow = await run({ model: 'Llama-3.1-8B', max_num_batched_tokens: 512 }, mixed);
    expect(num(narrow.p99_itl_ms)).toBeLessThan(num(wide.p99_itl_ms));
    expect(num(narrow.mean_ttft_ms)).toBeGreaterThan(num(wide.mean_ttft_ms));
  });

  it('a lower gpu_memory_utilization leaves less KV cache, and under pressure more preemptions', async () => {
    const w: Workload = { num_prompts: 48, max_concurrency: 48, random_input_len: 1500, random_output_len: 600 };
    const hi = await run({ model: 'neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8', hardware: 'H100', gpu_memory_utilization: 0.95, max_model_len: 4096 }, w);
    const lo = await run({ model: 'neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8', hardware: 'H100', gpu_memory_utilization: 0.92, max_model_len: 4096 }, w);
    expect(pred(lo).kv_cache_tokens).toBeLessThan(pred(hi).kv_cache_tokens);
    expect(pred(lo).preemptions).toBeGreaterThanOrEqual(pred(hi).preemptions);
    expect(pred(lo).preemptions).toBeGreaterThan(0);
  });

  it('prefix caching serves a shared prefix from the cache: fewer tokens computed, lower TTFT', async () => {
    const w: Workload = { num_prompts: 64, max_concurrency: 8, random_input_len: 64, random_prefix_len: 2048, random_output_len: 16 };
    const on = await run({ model: 'Llama-3.1-8B', enable_prefix_caching: true }, w);
    const off = await run({ model: 'Llama-3.1-8B', enable_prefix_caching: false }, w);
    expect(pred(off).prefix_cache_hit_tokens).toBe(0);
    // every request after the first reuses the prefix's 128 full blocks
    expect(pred(on).prefix_cache_hit_tokens).toBe(63 * 2048);
    expect(num(on.mean_ttft_ms)).toBeLessThan(num(off.mean_ttft_ms) / 2);
  });

  it('v0.6 without chunked prefill stalls decodes behind prefills (higher p99 ITL); multi-step raises throughput and chunks the stream', async () => {
    const w: Workload = { num_prompts: 400, random_input_len: 400, random_output_len: 100, random_range_ratio: 0.5 };
    const base = { model: 'neuralmagic/Meta-Llama-3.1-8B-FP8', hardware: 'H100', vllm_version: '0.6.0', max_model_len: 2048 };
    const chunked = await run({ ...base, chunked_prefill: true }, w);
    const whole = await run({ ...base, chunked_prefill: false }, w);
    expect(num(whole.p99_itl_ms)).toBeGreaterThan(num(chunked.p99_itl_ms));
    const one = await run({ ...base, chunked_prefill: false, num_scheduler_steps: 1 }, w);
    const ten = await run({ ...base, chunked_prefill: false, num_scheduler_steps: 10 }, w);
    expect(ten.output_throughput).toBeGreaterThan(one.output_throughput);
    // tokens of a round arrive together: one gap per round, so the median ITL spans several steps
    expect(num(ten.median_itl_ms)).toBeGreaterThan(3 * num(ten.median_tpot_ms));
    await expect(run({ ...base, vllm_version: '0.10.0', num_scheduler_steps: 4 }, w)).rejects.toThrow(/num_scheduler_steps/);
  });

  it('speculative decoding lowers TPOT at batch 1, more so with a higher acceptance rate', async () => {
    const w: Workload = { num_prompts: 4, max_concurrency: 1, random_input_len: 128, random_output_len: 128 };
    const plain = await run({ model: 'Llama-3.1-8B' }, w);
    const sdLow = await run({ model: 'Llama-3.1-8B', speculative: { num_speculative_tokens: 3, acceptance_rate: 0.5 } }, w);
    const sdHigh = await run({ model: 'Llama-3.1-8B', speculative: { num_speculative_tokens: 3, acceptance_rate: 0.8 } }, w);
    expect(num(sdLow.median_tpot_ms)).toBeLessThan(num(plain.median_tpot_ms));
    expect(num(sdHigh.median_tpot_ms)).toBeLessThan(num(sdLow.median_tpot_ms));
  });

  it('an older vLLM generation is slower at load (CPU cost per step); the A100 slower than the H100', async () => {
    const w: Workload = { num_prompts: 256, random_input_len: 200, random_output_len: 150 };
    const v05 = await run({ model: 'Llama-3.1-8B', vllm_version: '0.5.4' }, w);
    const v1 = await run({ model: 'Llama-3.1-8B' }, w);
    expect(v05.output_throughput).toBeLessThan(v1.output_throughput);
    const a100 = await run({ model: 'Llama-3.1-8B', hardware: 'A100' }, w);
    expect(a100.output_throughput).toBeLessThan(v1.output_throughput);
  });

  it('--no-ignore-eos stops requests early (seeded, reproducible); with ignore_eos every request writes max_tokens', async () => {
    const w: Workload = { num_prompts: 50, random_input_len: 64, random_output_len: 400 };
    const forced = await run({ model: 'Llama-3.1-8B' }, w);
    const natural = await run({ model: 'Llama-3.1-8B', eos_mean_tokens: 100 }, { ...w, ignore_eos: false });
    const again = await run({ model: 'Llama-3.1-8B', eos_mean_tokens: 100 }, { ...w, ignore_eos: false });
    expect(forced.total_output_tokens).toBe(50 * 400);
    expect(natural.total_output_tokens).toBeLessThan(forced.total_output_tokens / 2);
    expect(natural.total_output_tokens).toBeGreaterThan(50 * 40);
    expect(again.total_output_tokens).toBe(natural.total_output_tokens);
  });
});

describe('expert parallel', () => {
  it('spreads a MoE model\'s experts over the ranks: same memory, all-to-all instead of all-reduce in its MoE layers', () => {
    const tp = new PerformanceModel(resolveDeployment({ model: 'Qwen3-30B-A3B', hardware: 'H100', tensor_parallel: 4 }));
    const ep = new PerformanceModel(resolveDeployment({ model: 'Qwen3-30B-A3B', hardware: 'H100', tensor_parallel: 4, enable_expert_parallel: true }));
    expect(ep.spec.expert_parallel).toBe(true);
    expect(ep.memory().weights).toBe(tp.memory().weights);
    const batch = Array.from({ length: 64 }, () => ({ tokens: 1, context: 512 }));
    // a decode token goes to 8 experts: dispatching it costs more than all-reducing its hidden state once
    expect(ep.step(batch).comm_s).toBeGreaterThan(tp.step(batch).comm_s);
    // a dense model has no experts to spread
    expect(resolveDeployment({ model: 'Llama-3.1-8B', enable_expert_parallel: true }).expert_parallel).toBe(false);
  });
});

describe('scheduler options', () => {
  it('a larger block size wastes more of the last block of each sequence: fewer sequences fit the same tokens', () => {
    const admitted = (blockSize: number) => {
      const s = new Scheduler({ max_num_seqs: 1000, max_num_batched_tokens: 100_000, block_size: blockSize, num_blocks: 4096 / blockSize, max_model_len: 4096, chunked_prefill: true });
      for (let i = 0; i < 200; i++) s.add(newRequest(String(i), 20, 4, 0));
      return s.schedule(0)!.length;
    };
    expect(admitted(16)).toBe(128); // 2 blocks of 16 per 20-token prompt
    expect(admitted(128)).toBe(32); // 1 block of 128
  });

  it('swap preemption keeps the computed tokens (swapped back in), recompute starts over', () => {
    const trial = (mode: 'swap' | 'recompute') => {
      const s = new Scheduler({ max_num_seqs: 8, max_num_batched_tokens: 4096, block_size: 16, num_blocks: 10, max_model_len: 160, chunked_prefill: true, preemption_mode: mode });
      const a = newRequest('a', 60, 100, 0);
      const b = newRequest('b', 60, 100, 0);
      s.add(a);
      s.add(b);
      let swapIns = 0;
      for (let i = 0; i < 400 && s.busy; i++) {
        const items = s.schedule(i)!;
        swapIns += items.filter((it) => it.swap_in).length;
        s.complete(items);
      }
      return { swapIns, preemptions: s.preemptions, done: a.state === 'finished' && b.state === 'finished' };
    };
    const swap = trial('swap');
    const rec = trial('recompute');
    expect(swap.done && rec.done).toBe(true);
    expect(swap.preemptions).toBeGreaterThan(0);
    expect(swap.swapIns).toBe(swap.preemptions);
    expect(rec.swapIns).toBe(0);
  });
});
