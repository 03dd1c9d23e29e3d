import { describe, expect, it } from 'vitest';
import { findModel, kvBytesPerToken, MODEL_CATALOGUE, weightBytes, type ModelSpec } from './catalog.ts';
import { activeParams } from './moe.ts';

/** Parameters recomputed from the shape alone (gated FFNs, untied embeddings, MLA where stated). */
function paramsFromShape(m: ModelSpec): number {
  const h = m.hidden_size;
  const q = m.num_heads * m.head_dim;
  const attention = m.mla_kv_dim
    ? h * q + h * m.mla_kv_dim + 512 * m.num_heads * (128 + 128) + m.num_heads * 128 * h // DeepSeek-V2-Lite's MLA
    : h * q + 2 * h * m.num_kv_heads * m.head_dim + q * h;
  const e = m.moe!;
  const ffnMoe = e.num_experts * 3 * h * e.expert_intermediate_size + 3 * h * e.shared_intermediate_size + h * e.num_experts;
  const ffnDense = 3 * h * m.intermediate_size;
  return m.num_layers * attention + e.moe_layers * ffnMoe + (m.num_layers - e.moe_layers) * ffnDense + 2 * m.vocab_size * h;
}

// published totals and active parameters (model cards); DeepSeek counts active parameters without the input token table
const PUBLISHED: Array<[name: string, total: number, active: number, activeWithoutTokenTable?: boolean]> = [
  ['Qwen/Qwen3-30B-A3B', 30.5e9, 3.3e9],
  ['Qwen/Qwen3-235B-A22B', 235e9, 22e9],
  ['mistralai/Mixtral-8x7B-Instruct-v0.1', 46.7e9, 12.9e9],
  ['mistralai/Mixtral-8x22B-Instruct-v0.1', 141e9, 39e9],
  ['Qwen/Qwen1.5-MoE-A2.7B', 14.3e9, 2.7e9],
  ['deepseek-ai/DeepSeek-V2-Lite-Chat', 15.7e9, 2.4e9, true],
];

describe('mixture-of-experts catalogue entries', () => {
  it.each(PUBLISHED)('%s: shape gives the published total and active parameters', (name, total, active, noTable) => {
    const m = findModel(name)!;
    expect(m.moe).toBeDefined();
    expect(Math.abs(m.params / total - 1)).toBeLessThan(0.01);
    expect(Math.abs(paramsFromShape(m) / m.params - 1)).toBeLessThan(0.03);
    const a = activeParams(m) - (noTable ? m.vocab_size * m.hidden_size : 0);
    expect(Math.abs(a / active - 1)).toBeLessThan(0.05);
  });

  it('Qwen3-30B-A3B holds ~61 GB of BF16 weights although a token uses ~3.3B parameters', () => {
    const q = findModel('qwen3-30b-a3b')!;
    expect(weightBytes(q) / 1e9).toBeCloseTo(61, 0);
    expect(activeParams(q) / q.params).toBeLessThan(0.12);
    expect(kvBytesPerToken(q)).toBe(2 * 48 * 4 * 128 * 2);
  });

  it('MLA caches one latent per layer instead of per-head keys and values', () => {
    const d = findModel('DeepSeek-V2-Lite')!;
    expect(kvBytesPerToken(d)).toBe(27 * 576 * 2);
    expect(kvBytesPerToken(d)).toBeLessThan(2 * 27 * d.num_kv_heads * d.head_dim * 2);
  });
});

describe('embedding catalogue entries', () => {
  it('state their vector size; only Matryoshka-trained ones allow shorter vectors', () => {
    const embedders = MODEL_CATALOGUE.filter((m) => m.embedding);
    expect(embedders.length).toBeGreaterThanOrEqual(10);
    for (const m of embedders) {
      expect(m.moe).toBeUndefined();
      expect(m.embedding!.dimensions).toBeLessThanOrEqual(m.hidden_size);
    }
    expect(findModel('BAAI/bge-small-en-v1.5')!.embedding).toEqual({ dimensions: 384, matryoshka: false, bidirectional: true });
    expect(findModel('Qwen/Qwen3-Embedding-8B')!.embedding).toEqual({ dimensions: 4096, matryoshka: true, bidirectional: false });
    // generators are not embedders
    expect(findModel('Llama-3.1-8B')!.embedding).toBeUndefined();
  });
});
