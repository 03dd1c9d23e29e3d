/**
 * Specs for models the catalogue does not know, from what their names state: a size (`Qwen2-1.5B`, `opt-350m`), a
 * mixture-of-experts size (`…-30B-A3B`: total and active; `…-8x7B`: experts × expert-model size), or an embedding
 * family (`bge-`, `e5-`, `…-embed…`, `…-Embedding-…`) with a size or a size word (small/base/large). Each estimate
 * scales the nearest catalogue model of the same kind, or copies it when the name states the same sizes.
 */
import { MODEL_CATALOGUE, type ModelSpec } from './catalog.ts';
import { activeParams, expertParams } from './moe.ts';

const lastPart = (name: string) => name.split('/').pop() ?? name;

/** Parameters stated in a model name: `Qwen2-1.5B-Instruct` → 1.5e9, `opt-350m` → 3.5e8 (the first size named). */
export function paramsFromName(name: string): number | undefined {
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z0-9])/i.exec(lastPart(name));
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2].toLowerCase() === 'b' ? 1e9 : 1e6);
  return n >= 1e7 && n <= 2e12 ? n : undefined;
}

/** Sizes a mixture-of-experts name states: `30B-A3B` (total, active) or `8x7B` (experts, size of one expert model). */
export type MoeNameSizes = { form: 'active'; total: number; active: number } | { form: 'experts'; experts: number; expert_model: number };

/** Reads `-30B-A3B` / `-8x7B` from a model name; undefined when it states neither. */
export function moeSizesFromName(name: string): MoeNameSizes | undefined {
  const part = lastPart(name);
  const a = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)B-A(\d+(?:\.\d+)?)B(?![a-z0-9])/i.exec(part);
  if (a) {
    const total = Number(a[1]) * 1e9;
    const active = Number(a[2]) * 1e9;
    if (active > 0 && active < total && total <= 2e12) return { form: 'active', total, active };
  }
  const x = /(?:^|[^a-z0-9.])(\d+)x(\d+(?:\.\d+)?)B(?![a-z0-9])/i.exec(part);
  if (x) {
    const experts = Number(x[1]);
    const expertModel = Number(x[2]) * 1e9;
    if (experts >= 2 && experts <= 1024 && expertModel >= 1e8) return { form: 'experts', experts, expert_model: expertModel };
  }
  return undefined;
}

/** Whether a name looks like an embedding model's (rerankers and classifiers are other pooling tasks: not these). */
export function isEmbeddingName(name: string): boolean {
  if (/rerank|reward|classif/i.test(name)) return false;
  return (
    /embed/i.test(name) ||
    /^sentence-transformers\//i.test(name) ||
    /(?:^|[/_-])(?:bge|gte|e5|all-minilm|all-mpnet|sentence-t5|instructor)(?:[-_]|$)/i.test(name)
  );
}

const dist = (a: number, b: number) => Math.abs(Math.log(a / b));
const nearest = (refs: readonly ModelSpec[], f: (m: ModelSpec) => number) => refs.reduce((a, b) => (f(b) < f(a) ? b : a));

/**
 * The reference's shape scaled to r times its (active) size, the way model families grow: layers by √r, widths by
 * r^¼ (hidden rounded to 8 heads' worth so usual tensor-parallel degrees divide the heads), heads with the width.
 */
function scaleShape(ref: ModelSpec, r: number, name: string): ModelSpec {
  const headGroup = ref.head_dim * 8;
  const w = r ** 0.25;
  const hidden = Math.max(headGroup, Math.round((ref.hidden_size * w) / headGroup) * headGroup);
  const numHeads = Math.max(8, Math.round((ref.num_heads * hidden) / ref.hidden_size / 8) * 8);
  return {
    ...ref,
    name,
    aliases: [],
    params: ref.params * r,
    num_layers: Math.max(2, Math.round(ref.num_layers * Math.sqrt(r))),
    hidden_size: hidden,
    num_heads: numHeads,
    num_kv_heads: Math.min(ref.num_kv_heads, numHeads),
    intermediate_size: Math.round(ref.intermediate_size * w),
    estimated_from: ref.name,
  };
}

const copyOf = (ref: ModelSpec, name: string): ModelSpec => ({ ...ref, name, aliases: [], estimated_from: ref.name });

function denseEstimate(name: string, params: number): ModelSpec {
  const generative = MODEL_CATALOGUE.filter((m) => !m.moe && !m.embedding && m.vocab_size > 32_000 && m.max_context >= 2048);
  const ref = nearest(generative, (m) => dist(m.params, params));
  return { ...scaleShape(ref, params / ref.params, name), params };
}

/** Size of the dense model a MoE's experts were grown from (Mixtral-8x7B → ~7.2B): one expert per layer. */
function expertModelSize(m: ModelSpec): number {
  return m.params - (m.moe!.num_experts - 1) * m.moe!.moe_layers * expertParams(m);
}

function moeEstimate(name: string, sizes: MoeNameSizes): ModelSpec {
  const refs = MODEL_CATALOGUE.filter((m) => m.moe);
  if (sizes.form === 'experts') {
    const same = refs.find((m) => m.moe!.num_experts === sizes.experts && dist(expertModelSize(m), sizes.expert_model) < 0.1);
    if (same) return copyOf(same, name);
    // an "N×M" name is Mixtral-style: every FFN of an M-sized dense model replicated N times, two experts per token
    const dense = denseEstimate(name, sizes.expert_model);
    const moe = { num_experts: sizes.experts, experts_per_token: 2, expert_intermediate_size: dense.intermediate_size, moe_layers: dense.num_layers, shared_intermediate_size: 0 };
    const spec = { ...dense, moe };
    return { ...spec, params: sizes.expert_model + (sizes.experts - 1) * dense.num_layers * expertParams(spec) };
  }
  const { total, active } = sizes;
  const ref = nearest(refs, (m) => dist(m.params, total) + dist(activeParams(m), active));
  // names round their sizes (Qwen3-Coder-30B-A3B is 30.5B with 3.3B active): same sizes, same shape
  if (dist(ref.params, total) < 0.05 && dist(activeParams(ref), active) < 0.15) return copyOf(ref, name);
  const r = active / activeParams(ref);
  const shape = scaleShape(ref, r, name);
  const w = r ** 0.25;
  const m = ref.moe!;
  const moeLayers = Math.max(1, Math.round((m.moe_layers * shape.num_layers) / ref.num_layers));
  const spec: ModelSpec = {
    ...shape,
    params: total,
    moe: { ...m, moe_layers: moeLayers, expert_intermediate_size: Math.round(m.expert_intermediate_size * w), shared_intermediate_size: Math.round(m.shared_intermediate_size * w) },
  };
  // the shared part is what the active size leaves after k experts per layer; the experts fill the rest of the total
  const perExpert = moeLayers * expertParams(spec);
  const shared = Math.max(0.05 * active, active - m.experts_per_token * perExpert);
  const experts = Math.max(m.experts_per_token + 1, Math.round((total - shared) / perExpert));
  return { ...spec, moe: { ...spec.moe!, num_experts: experts } };
}

const SIZE_WORDS: Record<string, string> = { small: 'BAAI/bge-small-en-v1.5', base: 'BAAI/bge-base-en-v1.5', large: 'BAAI/bge-large-en-v1.5' };

function embeddingEstimate(name: string): ModelSpec | undefined {
  const refs = MODEL_CATALOGUE.filter((m) => m.embedding);
  const params = paramsFromName(name);
  if (params) {
    const ref = nearest(refs, (m) => dist(m.params, params));
    if (dist(ref.params, params) < 0.1) return copyOf(ref, name);
    const shape = { ...scaleShape(ref, params / ref.params, name), params };
    return { ...shape, embedding: { ...ref.embedding!, dimensions: shape.hidden_size, matryoshka: false } };
  }
  const word = /(?:^|[-_.])(small|base|large)(?:[-_.]|$)/i.exec(lastPart(name))?.[1]?.toLowerCase();
  const ref = word ? refs.find((m) => m.name === SIZE_WORDS[word]) : undefined;
  return ref ? copyOf(ref, name) : undefined;
}

/**
 * A spec for a model the catalogue does not know, from what its name states (see the header); undefined when it
 * states nothing to go by. Weights, FLOPs and KV bytes per token land near the real model's.
 */
export function estimateModel(name: string): ModelSpec | undefined {
  if (isEmbeddingName(name)) return embeddingEstimate(name);
  const moe = moeSizesFromName(name);
  if (moe) return moeEstimate(name, moe);
  const params = paramsFromName(name);
  return params ? denseEstimate(name, params) : undefined;
}

