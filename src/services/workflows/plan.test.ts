import { describe, expect, it } from 'vitest';
import { chooseTensorParallel } from './plan.ts';

describe('chooseTensorParallel', () => {
  it('sizes the checkpoint in its own format: a 70B in FP8 fits one H100 where BF16 needs two', () => {
    const model = 'meta-llama/Llama-3.1-70B-Instruct';
    expect(chooseTensorParallel(model, 'H100-80G', 2, 4096, null)).toEqual({ tp: 2 });
    expect(chooseTensorParallel(model, 'H100-80G', 2, 4096, null, { quantization: 'fp8' })).toEqual({ tp: 1 });
    // with one device and BF16 nothing fits, and the reason says so
    const none = chooseTensorParallel(model, 'H100-80G', 1, 4096, null);
    expect('error' in none && none.error).toMatch(/does not fit on up to 1 × H100-80G/);
  });
});
