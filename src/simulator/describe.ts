/**
 * How the simulator models a model, in one line for people (`sim serve` / `sim predict` say it on stderr) and as a
 * record for reports (`/benchops/info`'s and a prediction's `model_summary`): its kind and which parameter count drives
 * memory and which drives compute.
 */
import type { ModelSpec } from './catalog.ts';
import { activeParams, modelKind, type ModelKind } from './moe.ts';

/** The kind and sizes the performance model uses for a model. */
export interface ModelSummary {
  name: string;
  kind: ModelKind;
  /** Parameters held in memory (weights, placement, KV-cache room). */
  params_total: number;
  /** Parameters one token computes with and (at batch 1) a decode step reads. */
  params_active: number;
  /** GB (10^9 bytes) of weights before tensor-parallel sharding. */
  weights_gb: number;
  dtype: ModelSpec['dtype'];
  experts?: { routed: number; per_token: number; shared_intermediate_size: number };
  embedding_dimensions?: number;
  /** Catalogue model whose shape was scaled or copied (the model is not in the catalogue). */
  estimated_from?: string;
}

/** The record form of how a model is modelled. */
export function modelSummary(m: ModelSpec): ModelSummary {
  const out: ModelSummary = {
    name: m.name,
    kind: modelKind(m),
    params_total: m.params,
    params_active: activeParams(m),
    weights_gb: Number(((m.params * m.weight_bytes) / 1e9).toFixed(2)),
    dtype: m.dtype,
  };
  if (m.moe) out.experts = { routed: m.moe.num_experts, per_token: m.moe.experts_per_token, shared_intermediate_size: m.moe.shared_intermediate_size };
  if (m.embedding) out.embedding_dimensions = m.embedding.dimensions;
  if (m.estimated_from) out.estimated_from = m.estimated_from;
  return out;
}

const size = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`);

/** One line saying the model's kind and parameters (active/total), and how an uncatalogued one was shaped. */
export function describeModel(m: ModelSpec): string {
  const s = modelSummary(m);
  const weights = `${s.weights_gb} GB of ${m.dtype} weights`;
  let what: string;
  let detail: string;
  if (s.kind === 'moe') {
    const e = m.moe!;
    what = `a mixture-of-experts model (${e.experts_per_token} of ${e.num_experts} experts per token${e.shared_intermediate_size ? ' plus shared experts' : ''})`;
    detail =
      `${size(s.params_total)} total parameters for memory (${weights}), ${size(s.params_active)} active per token for ` +
      'compute and for the weights a decode step reads (more experts as the batch grows)';
  } else if (s.kind === 'embedding') {
    what = `an embedding model (${s.embedding_dimensions}-dimensional vectors)`;
    detail =
      `${size(s.params_total)} parameters, ${weights}; serves /v1/embeddings timed as prefill only, while ` +
      '/v1/completions and /v1/chat/completions answer 404 as vLLM does';
  } else {
    what = `a ${size(s.params_total)} dense model`;
    detail = weights;
  }
  if (!m.estimated_from) return `${m.name}: ${what}; ${detail}`;
  return `"${m.name}" is not in the catalogue; modelled as ${what} shaped like ${m.estimated_from} (${m.num_layers} layers); ${detail}`;
}
