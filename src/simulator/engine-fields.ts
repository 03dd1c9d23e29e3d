/**
 * vLLM engine arguments as request fields (snake case of `vllm serve`'s flags), for the workflow's Simulate step and any
 * API that describes a deployment to simulate: a zod schema that validates them (422 naming the field) and the
 * conversion to the simulator's EngineOptions.
 */
import { z } from 'zod';
import type { EngineOptions } from './engine.ts';
import { KV_CACHE_DTYPES, QUANTIZATION_METHODS } from './quantization.ts';

const names = (o: Record<string, unknown>) => Object.keys(o) as [string, ...string[]];

/** The engine fields a simulation honours. */
export const engineFieldsSchema = z
  .object({
    quantization: z.enum(names(QUANTIZATION_METHODS)).nullish(),
    kv_cache_dtype: z.enum(names(KV_CACHE_DTYPES)).nullish(),
    pipeline_parallel_size: z.number().int().min(1).max(64).nullish(),
    gpu_memory_utilization: z.number().gt(0).max(1).nullish(),
    max_num_seqs: z.number().int().min(1).max(65536).nullish(),
    max_num_batched_tokens: z.number().int().min(1).max(10_000_000).nullish(),
    block_size: z.union([z.literal(1), z.literal(8), z.literal(16), z.literal(32), z.literal(64), z.literal(128)]).nullish(),
    enable_prefix_caching: z.boolean().nullish(),
    enable_chunked_prefill: z.boolean().nullish(),
    num_scheduler_steps: z.number().int().min(1).max(64).nullish(),
    enable_expert_parallel: z.boolean().nullish(),
    vllm_version: z.string().regex(/^(latest|v?\d+\.\d+(\.\d+)?([.+-][0-9A-Za-z.]+)?)$/, 'a vLLM version such as 0.6.0, or latest').nullish(),
  })
  .strict();

/** Engine fields as validated by engineFieldsSchema. */
export type EngineFields = z.infer<typeof engineFieldsSchema>;

/** The fields as EngineOptions (absent and null fields left to the simulator's defaults). */
export function engineOptionsFromFields(f: EngineFields | null | undefined): Partial<EngineOptions> {
  if (!f) return {};
  const out: Partial<EngineOptions> = {};
  if (f.quantization) out.quantization = f.quantization;
  if (f.kv_cache_dtype) out.kv_cache_dtype = f.kv_cache_dtype;
  if (f.pipeline_parallel_size) out.pipeline_parallel = f.pipeline_parallel_size;
  if (f.gpu_memory_utilization) out.gpu_memory_utilization = f.gpu_memory_utilization;
  if (f.max_num_seqs) out.max_num_seqs = f.max_num_seqs;
  if (f.max_num_batched_tokens) out.max_num_batched_tokens = f.max_num_batched_tokens;
  if (f.block_size) out.block_size = f.block_size;
  if (typeof f.enable_prefix_caching === 'boolean') out.enable_prefix_caching = f.enable_prefix_caching;
  if (typeof f.enable_chunked_prefill === 'boolean') out.chunked_prefill = f.enable_chunked_prefill;
  if (f.num_scheduler_steps) out.num_scheduler_steps = f.num_scheduler_steps;
  if (typeof f.enable_expert_parallel === 'boolean') out.enable_expert_parallel = f.enable_expert_parallel;
  if (f.vllm_version) out.vllm_version = f.vllm_version;
  return out;
}
