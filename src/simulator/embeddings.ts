/**
 * `/v1/embeddings` as vLLM serves it for an embedding (pooling) model: the request forms it accepts (`input` as a
 * string, strings, token ids or lists of them; or chat `messages`), its checks (context length, `dimensions` only for
 * Matryoshka models, `encoding_format` float|base64) and OpenAI's response shape.
 *
 * Vectors are deterministic per input and model: feature hashing of the input's tokens and token pairs into the
 * model's dimensions, L2-normalised (vLLM normalises embeddings by default). Texts that share tokens get a positive
 * cosine similarity, so retrieval-style checks behave plausibly; the cost is linear in the tokens and the inputs, which
 * the body limit and MAX_INPUTS bound.
 */
import type { EmbeddingSpec } from './catalog.ts';
import { HttpError } from './http-error.ts';

/** A validated embeddings request: one token list per input. */
export interface EmbeddingRequest {
  inputs: number[][];
  dimensions: number;
  encoding: 'float' | 'base64';
}

/** What the parser needs from the server. */
export interface EmbeddingContext {
  /** Name clients use; vLLM's messages quote it. */
  served: string;
  maxModelLen: number;
  spec: EmbeddingSpec;
  encode(text: string): number[];
  /** Chat messages as the model's template renders them. */
  renderChat(messages: Array<{ role: string; content: unknown }>): string;
}

/** Inputs one request may carry (OpenAI's limit): bounds the vectors one request makes the server build. */
export const MAX_INPUTS = 2048;

const isIds = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every((v) => Number.isInteger(v) && v >= 0);

function inputsOf(body: Record<string, unknown>, ctx: EmbeddingContext): number[][] {
  if (body.messages !== undefined) {
    const msgs = body.messages;
    if (!Array.isArray(msgs) || msgs.length === 0 || !msgs.every((m) => m && typeof m === 'object' && typeof m.role === 'string')) {
      throw new HttpError(400, 'messages must be a non-empty list of {role, content}', 'BadRequestError', 'messages');
    }
    return [ctx.encode(ctx.renderChat(msgs))];
  }
  const input = body.input;
  if (typeof input === 'string') return [ctx.encode(input)];
  if (Array.isArray(input) && input.length > MAX_INPUTS && !isIds(input)) {
    throw new HttpError(400, `input may hold at most ${MAX_INPUTS} items, got ${input.length}`, 'BadRequestError', 'input');
  }
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((x) => typeof x === 'string')) return (input as string[]).map((t) => ctx.encode(t));
    if (isIds(input)) return [input];
    if (input.every(isIds)) return input as number[][];
  }
  throw new HttpError(400, 'input must be a string, a non-empty list of strings, or token ids (a list of integers, or lists of them)', 'BadRequestError', 'input');
}

function truncated(ids: number[], body: Record<string, unknown>, ctx: EmbeddingContext): number[] {
  const t = body.truncate_prompt_tokens;
  if (t === undefined || t === null) {
    if (ids.length > ctx.maxModelLen) {
      throw new HttpError(
        400,
        `This model's maximum context length is ${ctx.maxModelLen} tokens. However, you requested ${ids.length} tokens in the input for embedding generation. Please reduce the length of the input.`,
        'BadRequestError',
        'input',
      );
    }
    return ids;
  }
  if (!Number.isInteger(t) || (t as number) < -1 || t === 0) {
    throw new HttpError(400, `truncate_prompt_tokens must be -1 or a positive integer, got ${JSON.stringify(t)}`, 'BadRequestError', 'truncate_prompt_tokens');
  }
  const keep = t === -1 ? ctx.maxModelLen : (t as number);
  if (keep > ctx.maxModelLen) {
    throw new HttpError(400, `truncate_prompt_tokens value (${keep}) is greater than max_model_len (${ctx.maxModelLen}). Please, select a smaller truncation size.`, 'BadRequestError', 'truncate_prompt_tokens');
  }
  return ids.length > keep ? ids.slice(ids.length - keep) : ids; // vLLM keeps the end of the prompt
}

/** Validates an embeddings request body the way vLLM does; throws HttpError(400) naming the field. */
export function parseEmbeddingRequest(body: Record<string, unknown>, ctx: EmbeddingContext): EmbeddingRequest {
  const inputs = inputsOf(body, ctx).map((ids) => truncated(ids, body, ctx));
  const full = ctx.spec.dimensions;
  let dimensions = full;
  if (body.dimensions !== undefined && body.dimensions !== null) {
    const d = body.dimensions;
    if (!ctx.spec.matryoshka) {
      throw new HttpError(400, `Model "${ctx.served}" does not support matryoshka representation, changing output dimensions will lead to poor results.`, 'BadRequestError', 'dimensions');
    }
    if (!Number.isInteger(d) || (d as number) < 1) throw new HttpError(400, 'Dimensions must be greater than 0', 'BadRequestError', 'dimensions');
    if ((d as number) > full) throw new HttpError(400, `dimensions must be at most ${full} for this model, got ${d}`, 'BadRequestError', 'dimensions');
    dimensions = d as number;
  }
  const enc = body.encoding_format ?? 'float';
  if (enc !== 'float' && enc !== 'base64') {
    throw new HttpError(400, `encoding_format must be "float" or "base64", got ${JSON.stringify(enc)}`, 'BadRequestError', 'encoding_format');
  }
  return { inputs, dimensions, encoding: enc };
}

/** murmur3's 32-bit finaliser over a combination of integers: a fast, well-spread hash. */
function mix(a: number, b: number, c: number): number {
  let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77) ^ Math.imul(c + 0x165667b1, 0xc2b2ae3d)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A stable integer for a model name, so that two models embed the same text differently. */
export function modelSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function addFeature(v: Float64Array, seed: number, key: number, salt: number, weight: number, hashes: number): void {
  for (let j = 0; j < hashes; j++) {
    const h = mix(seed ^ salt, key, j);
    v[h % v.length] += h & 0x80000000 ? -weight : weight;
  }
}

/**
 * The unit vector for a token list: every token (and, more lightly, every adjacent pair) adds ±1 to a few hashed
 * coordinates of the model's full dimension; the first `dimensions` coordinates are kept (Matryoshka) and normalised.
 */
export function embeddingVector(ids: readonly number[], fullDims: number, dimensions: number, seed: number): Float32Array {
  const v = new Float64Array(fullDims);
  addFeature(v, seed, 0, 0x51ed27, 1, 4); // the start-of-input token every encoder sees: no input maps to zero
  for (let i = 0; i < ids.length; i++) {
    addFeature(v, seed, ids[i], 0x1b873593, 1, 6);
    if (i > 0) addFeature(v, seed, ids[i - 1] * 0x10001 + ids[i], 0x68e31da4, 0.5, 2);
  }
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += v[i] * v[i];
  const out = new Float32Array(dimensions);
  // a truncated prefix can be all zeros for a tiny input: fall back to the first coordinate
  if (norm === 0) out[0] = 1;
  else for (let i = 0; i < dimensions; i++) out[i] = v[i] / Math.sqrt(norm);
  return out;
}

/** The OpenAI-shaped body vLLM answers (`object: "list"`, one `embedding` item per input, usage counting prompts). */
export function embeddingResponse(o: {
  id: string;
  created: number;
  model: string;
  vectors: Float32Array[];
  encoding: 'float' | 'base64';
  promptTokens: number;
}): unknown {
  return {
    id: o.id,
    object: 'list',
    created: o.created,
    model: o.model,
    data: o.vectors.map((vec, index) => ({
      index,
      object: 'embedding',
      // base64: the float32 array's bytes, little-endian, as vLLM encodes them by default
      embedding: o.encoding === 'base64' ? Buffer.from(vec.buffer, vec.byteOffset, vec.byteLength).toString('base64') : Array.from(vec),
    })),
    usage: { prompt_tokens: o.promptTokens, total_tokens: o.promptTokens, completion_tokens: 0, prompt_tokens_details: null },
  };
}
