import { describe, expect, it } from 'vitest';
import { decisionSummary, EMPTY_FORM, parseExtraArgs, toConfig } from './config';

describe('deploy form', () => {
  it('reads extra flags in their three forms, numbers as numbers', () => {
    expect(parseExtraArgs('--enable-prefix-caching --swap-space 8 --kv-cache-dtype=fp8')).toEqual({ 'enable-prefix-caching': true, 'swap-space': 8, 'kv-cache-dtype': 'fp8' });
    expect(parseExtraArgs('  ')).toEqual({});
    expect(() => parseExtraArgs('enable-prefix-caching')).toThrow(/not a flag/);
    expect(() => parseExtraArgs('--bad$name')).toThrow(/not a vLLM flag name/);
  });
  it('leaves out empty optional fields and gives a CPU deployment no GPUs', () => {
    const c = toConfig({ ...EMPTY_FORM, served_model_name: ' ', max_model_len: '', gpu_resource_type: 'cpu', gpu_resource_count: 2 });
    expect(c).not.toHaveProperty('served_model_name');
    expect(c).not.toHaveProperty('max_model_len');
    expect(c.gpu_resource_count).toBe(0);
    expect(toConfig({ ...EMPTY_FORM, served_model_name: 'm', extra_args: '--seed 3' })).toMatchObject({ served_model_name: 'm', max_num_seqs: 256, additional_args: { seed: 3 } });
  });
  it('says a placement decision in a few words', () => {
    expect(decisionSummary({ action: 'place', node: 'n1' })).toBe('place on n1');
    expect(decisionSummary({ action: 'reuse', deployment_id: 'abcdef1234', node: null })).toBe('reuse abcdef12');
    expect(decisionSummary({ action: 'wait' })).toBe('wait');
    expect(decisionSummary(null)).toBe('—');
  });
});
