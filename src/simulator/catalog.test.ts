import { describe, expect, it } from 'vitest';
import { estimateModel, findModel, kvBytesPerToken, paramsFromName, weightBytes } from './catalog.ts';
import { resolveDeployment } from './perf-model.ts';

describe('models outside the catalogue', () => {
  it('reads the size a model name states', () => {
    expect(paramsFromName('Qwen/Qwen2-1.5B-Instruct')).toBe(1.5e9);
    expect(paramsFromName('facebook/opt-350m')).toBe(3.5e8);
    expect(paramsFromName('Qwen/Qwen3-30B-A3B')).toBe(30e9);
    expect(paramsFromName('org/model-70b-chat')).toBe(70e9);
    expect(paramsFromName('my-org/custom-model')).toBeUndefined();
    expect(paramsFromName('org/v2.1-preview')).toBeUndefined();
  });

  it('estimates a shape close to the real one (Qwen2.5-32B: 64 layers, GQA 8×128, 32.8B)', () => {
    const m = estimateModel('Qwen/Qwen2.5-32B-Instruct')!;
    expect(findModel('Qwen/Qwen2.5-32B-Instruct')).toBeUndefined();
    expect(m).toMatchObject({ name: 'Qwen/Qwen2.5-32B-Instruct', params: 32e9, estimated_from: expect.any(String) });
    expect(Math.abs(m.num_layers - 64) / 64).toBeLessThan(0.2);
    const realKv = 2 * 64 * 8 * 128 * 2;
    expect(Math.abs(kvBytesPerToken(m) - realKv) / realKv).toBeLessThan(0.25);
    expect(weightBytes(m)).toBeCloseTo(64e9, -9);
    for (const tp of [1, 2, 4, 8]) expect(m.num_heads % tp).toBe(0);
    // small models scale down from a small reference
    const small = estimateModel('Qwen/Qwen2-1.5B-Instruct')!;
    expect(small.estimated_from).toMatch(/Llama-3\.2-1B|Qwen3-0\.6B/);
    expect(kvBytesPerToken(small)).toBeLessThan(kvBytesPerToken(m));
  });

  it('resolves deployments of sized names, and refuses names that state no size', () => {
    const d = resolveDeployment({ model: 'Qwen/Qwen2-1.5B-Instruct', hardware: 'L4' });
    expect(d.model.params).toBe(1.5e9);
    expect(() => resolveDeployment({ model: 'my-org/custom-model' })).toThrow(/not in the catalogue and its name states no size/);
  });
});
