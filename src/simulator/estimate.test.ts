import { describe, expect, it } from 'vitest';
import { findModel, kvBytesPerToken, weightBytes } from './catalog.ts';
import { estimateModel, isEmbeddingName, moeSizesFromName, paramsFromName } from './estimate.ts';
import { activeParams } from './moe.ts';
import { resolveDeployment } from './perf-model.ts';

describe('dense models outside the catalogue', () => {
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
    expect(m.moe).toBeUndefined();
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

describe('mixture-of-experts names', () => {
  it('reads -A3B active sizes and N×M expert counts', () => {
    expect(moeSizesFromName('Qwen/Qwen3-Coder-30B-A3B-Instruct')).toEqual({ form: 'active', total: 30e9, active: 3e9 });
    expect(moeSizesFromName('baidu/ERNIE-4.5-21B-A3B-PT')).toEqual({ form: 'active', total: 21e9, active: 3e9 });
    expect(moeSizesFromName('mistralai/Mixtral-8x22B-v0.1')).toEqual({ form: 'experts', experts: 8, expert_model: 22e9 });
    expect(moeSizesFromName('Qwen/Qwen2.5-32B-Instruct')).toBeUndefined();
    expect(moeSizesFromName('org/odd-3B-A30B')).toBeUndefined(); // active above total is not a MoE size
  });

  it('a name with the sizes of a catalogue MoE gets its shape (Qwen3-Coder-30B-A3B is Qwen3-30B-A3B-shaped)', () => {
    const m = estimateModel('Qwen/Qwen3-Coder-30B-A3B-Instruct')!;
    const ref = findModel('Qwen/Qwen3-30B-A3B')!;
    expect(m).toMatchObject({ estimated_from: ref.name, params: ref.params, num_layers: 48, moe: ref.moe });
    const tuned = estimateModel('NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO')!;
    expect(tuned.estimated_from).toBe('mistralai/Mixtral-8x7B-Instruct-v0.1');
    expect(tuned.moe).toMatchObject({ num_experts: 8, experts_per_token: 2 });
  });

  it('other sizes scale a MoE reference: total fills memory, active drives compute', () => {
    const m = estimateModel('ibm/granite-moe-12B-A1.5B')!;
    expect(m.moe).toBeDefined();
    expect(m.params).toBe(12e9);
    expect(Math.abs(activeParams(m) / 1.5e9 - 1)).toBeLessThan(0.1);
    expect(m.moe!.num_experts).toBeGreaterThan(m.moe!.experts_per_token);
    const x = estimateModel('org/Foo-4x3B')!;
    expect(x.moe).toMatchObject({ num_experts: 4, experts_per_token: 2 });
    // an N×M model holds less than N whole models (attention and embeddings are shared) and computes more than one
    expect(x.params).toBeLessThan(4 * 3e9);
    expect(activeParams(x)).toBeGreaterThan(3e9);
    expect(activeParams(x)).toBeLessThan(x.params);
  });
});

describe('embedding names', () => {
  it('recognises embedding families but not rerankers or generators', () => {
    for (const n of ['thenlper/gte-large', 'intfloat/multilingual-e5-small', 'mixedbread-ai/mxbai-embed-large-v1', 'Qwen/Qwen3-Embedding-0.6B-GGUF', 'sentence-transformers/all-mpnet-base-v2']) {
      expect(isEmbeddingName(n)).toBe(true);
    }
    for (const n of ['BAAI/bge-reranker-v2-m3', 'Qwen/Qwen3-8B', 'meta-llama/Llama-3.1-8B-Instruct']) expect(isEmbeddingName(n)).toBe(false);
  });

  it('models an uncatalogued embedder by its size or size word, and refuses one that states neither', () => {
    expect(estimateModel('thenlper/gte-large')).toMatchObject({ estimated_from: 'BAAI/bge-large-en-v1.5', embedding: { dimensions: 1024 } });
    expect(estimateModel('intfloat/multilingual-e5-small')!.embedding!.dimensions).toBe(384);
    const q = estimateModel('Alibaba-NLP/gte-Qwen2-1.5B-instruct')!;
    expect(q.params).toBe(1.5e9);
    expect(q.embedding!.dimensions).toBe(q.hidden_size);
    expect(q.embedding!.matryoshka).toBe(false);
    expect(estimateModel('org/my-embedder')).toBeUndefined();
  });
});
