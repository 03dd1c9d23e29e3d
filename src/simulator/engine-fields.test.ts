import { describe, expect, it } from 'vitest';
import { engineFieldsSchema, engineOptionsFromFields } from './engine-fields.ts';

describe('engine fields (vllm serve names as request fields)', () => {
  it('converts to EngineOptions, leaving absent fields to the defaults', () => {
    const f = engineFieldsSchema.parse({ quantization: 'fp8', kv_cache_dtype: 'fp8', pipeline_parallel_size: 2, enable_chunked_prefill: false, vllm_version: '0.6.0', num_scheduler_steps: 10 });
    expect(engineOptionsFromFields(f)).toEqual({ quantization: 'fp8', kv_cache_dtype: 'fp8', pipeline_parallel: 2, chunked_prefill: false, vllm_version: '0.6.0', num_scheduler_steps: 10 });
    expect(engineOptionsFromFields(null)).toEqual({});
  });

  it('refuses unknown formats, versions, block sizes and fields, naming the field', () => {
    for (const [body, field] of [
      [{ quantization: 'nf3' }, 'quantization'],
      [{ kv_cache_dtype: 'fp4' }, 'kv_cache_dtype'],
      [{ vllm_version: 'newest' }, 'vllm_version'],
      [{ block_size: 24 }, 'block_size'],
      [{ gpu_memory_utilization: 1.5 }, 'gpu_memory_utilization'],
    ] as const) {
      const r = engineFieldsSchema.safeParse(body);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0].path).toEqual([field]);
    }
    expect(engineFieldsSchema.safeParse({ tensor_parallel: 2 }).success).toBe(false);
  });
});
