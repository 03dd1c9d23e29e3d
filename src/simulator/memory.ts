/**
 * KV-cache capacity the way vLLM computes it at start-up (worker memory profiling):
 *     kv bytes = total_gpu_memory × gpu_memory_utilization − weights − activation peak − non-torch memory
 * per device. total_gpu_memory is what CUDA reports (an "80 GB" H100: ~79.2 GiB), the weights are the model's shard
 * in its stored format (quantization.ts), the activation peak is what a dummy forward pass over max_num_batched_tokens
 * tokens allocates (the MLP's gate/up output dominates; the sampler's fp32 logits for max_num_seqs rows), and non-torch
 * memory is NCCL's and the custom all-reduce's buffers plus the CUDA context's allocations outside PyTorch.
 */
import { GIB, type HardwareSpec, type ModelSpec } from './catalog.ts';

/** What the capacity computation needs about the deployment. */
export interface MemoryInputs {
  model: ModelSpec;
  hardware: HardwareSpec;
  tensor_parallel: number;
  pipeline_parallel: number;
  gpu_memory_utilization: number;
  /** Tokens of the profiling forward pass (max_num_batched_tokens). */
  profile_tokens: number;
  /** Sequences the sampler is profiled with (max_num_seqs). */
  profile_seqs: number;
  /** Weight bytes of the whole model in its stored format. */
  weight_bytes: number;
}

/** Where a device's memory goes, bytes. */
export interface MemoryBreakdown {
  total: number;
  budget: number;
  weights: number;
  activation_peak: number;
  non_torch: number;
  kv_cache: number;
}

/** Memory CUDA reports for a device, bytes (a catalogue entry without the figure: its label in 10^9 bytes). */
export function deviceMemoryBytes(h: HardwareSpec): number {
  return h.memory_total_gib ? h.memory_total_gib * GIB : h.memory_gb * 1e9;
}

/** Peak activation bytes of one device's profiling pass. */
export function activationPeakBytes(m: ModelSpec, tp: number, tokens: number, seqs: number): number {
  const inter = (m.moe ? Math.max(m.intermediate_size, m.moe.expert_intermediate_size * m.moe.experts_per_token) : m.intermediate_size) / tp;
  const qkv = ((m.num_heads + 2 * m.num_kv_heads) * m.head_dim) / tp;
  // gate+up output, the activation's output, qkv, and a few hidden-size residual buffers, all 16-bit
  const perToken = 2 * (2 * inter + inter + qkv + 3 * m.hidden_size);
  // the sampler holds fp32 logits (and a softmax copy) for one row per sequence
  const logits = Math.min(tokens, seqs) * m.vocab_size * 4 * 2;
  return tokens * perToken + logits;
}

/** The memory breakdown of one device; kv_cache ≤ 0 means the model does not fit. */
export function memoryBreakdown(i: MemoryInputs): MemoryBreakdown {
  const total = deviceMemoryBytes(i.hardware);
  const budget = total * i.gpu_memory_utilization;
  const weights = i.weight_bytes / (i.tensor_parallel * i.pipeline_parallel);
  const activation = activationPeakBytes(i.model, i.tensor_parallel, i.profile_tokens, i.profile_seqs);
  // CUDA context outside PyTorch's allocator, plus NCCL and custom all-reduce buffers in a parallel group
  const nonTorch = (0.2 + (i.tensor_parallel * i.pipeline_parallel > 1 ? 0.35 : 0)) * GIB;
  return { total, budget, weights, activation_peak: activation, non_torch: nonTorch, kv_cache: budget - weights - activation - nonTorch };
}
