/**
 * tokenCounterFor: a real tokenizer for the model families we ship one for (Llama-3.x, Qwen2.5/Qwen3), the bundled one
 * otherwise, and the id says which. Counts are checked against the tokenizers' published encodings of fixed texts.
 */
import { describe, expect, it } from 'vitest';
import { BUNDLED_TOKENIZER_ID, tokenCounterFor, tokenizerFamily } from '../src/loadgen/tokenizer.ts';

describe('tokenCounterFor', () => {
  it('maps model names to families, and unknown or missing names to the bundled tokenizer', async () => {
    expect(tokenizerFamily('meta-llama/Llama-3.1-8B-Instruct')).toMatch(/llama3_1/);
    expect(tokenizerFamily('meta-llama/Meta-Llama-3-70B')).toMatch(/llama3_1/);
    expect(tokenizerFamily('llama3.2-3b')).toMatch(/llama3_1/);
    expect(tokenizerFamily('Qwen/Qwen2.5-7B-Instruct')).toMatch(/qwen3/);
    expect(tokenizerFamily('Qwen/Qwen3-8B-FP8')).toMatch(/qwen3/);
    expect(tokenizerFamily('meta-llama/Llama-2-7b-hf')).toBeUndefined();
    expect(tokenizerFamily('codellama-34b')).toBeUndefined();
    expect(tokenizerFamily(undefined)).toBeUndefined();
    const b = await tokenCounterFor('some-unknown-model');
    expect(b.id).toBe(BUNDLED_TOKENIZER_ID);
    expect(b.source).toBe('bundled');
    expect(await b.count(' kaze mobu')).toBe(2);
  });

  it('Llama-3: the real BPE counts (no BOS), far fewer than the bundled tokenizer on English text', async () => {
    const c = await tokenCounterFor('meta-llama/Llama-3.1-8B-Instruct');
    expect(c.source).toBe('model');
    expect(c.id).toMatch(/llama/i);
    // "Hello world, this is a test of the tokenizer." is 11 Llama-3 tokens: Hello| world|,| this| is| a| test| of| the| tokenizer|.
    expect(await c.count('Hello world, this is a test of the tokenizer.')).toBe(11);
    expect(c.countSync!('')).toBe(0);
    const text = 'The quick brown fox jumps over the lazy dog. Benchmarking large language models needs exact counts.';
    const bundled = await (await tokenCounterFor()).count(text);
    expect(await c.count(text)).toBeLessThan(bundled);
    // cached: the same object comes back
    expect(await tokenCounterFor('meta-llama/Llama-3.3-70B-Instruct')).toBe(c);
  }, 60_000);

  it('Qwen: the Qwen2 BPE vocabulary', async () => {
    const c = await tokenCounterFor('Qwen/Qwen3-8B');
    expect(c.source).toBe('model');
    expect(c.id).toMatch(/qwen/i);
    // Hello| world|,| this| is| a| test
    expect(await c.count('Hello world, this is a test')).toBe(7);
    expect(await tokenCounterFor('Qwen/Qwen2.5-0.5B')).toBe(c);
  }, 60_000);
});
