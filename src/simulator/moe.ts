/**
 * What a model's parameters cost: all of them sit in memory, but a mixture-of-experts token only computes with the
 * shared part and the experts it is routed to, and an engine step reads only the experts its batch routes to.
 *
 * A routed expert is a gated FFN (gate, up and down projections): 3 · hidden · expert_intermediate parameters.
 *
 * Expected distinct experts a step touches. Each of the step's T tokens picks k of E experts in one MoE layer; under
 * uniform routing every expert is picked by one token with probability k/E, independently across tokens, so
 *     E[touched] = E · (1 − (1 − k/E)^T)
 * which is k at T = 1 and tends to E as T grows. A router that prefers some experts touches fewer (for fixed marginals
 * p_i summing to k, Σ 1 − (1 − p_i)^T is largest when all p_i are equal), so this is an upper bound on real routing.
 */
import type { ModelSpec } from './catalog.ts';

/** Parameters of one routed expert in one layer (gate, up, down). */
export function expertParams(m: ModelSpec): number {
  return m.moe ? 3 * m.hidden_size * m.moe.expert_intermediate_size : 0;
}

/** Parameters of all routed experts, over all MoE layers. */
export function routedParams(m: ModelSpec): number {
  return m.moe ? m.moe.moe_layers * m.moe.num_experts * expertParams(m) : 0;
}

/** Parameters one token computes with: the total for a dense model; shared part plus k routed experts per layer for MoE. */
export function activeParams(m: ModelSpec): number {
  if (!m.moe) return m.params;
  return m.params - m.moe.moe_layers * (m.moe.num_experts - m.moe.experts_per_token) * expertParams(m);
}

/**
 * Parameters in the linear layers a token goes through, for FLOPs: active parameters, except that an embedding model
 * has no LM head and its token table is a lookup, not a matrix product.
 */
export function computeParams(m: ModelSpec): number {
  const active = activeParams(m);
  const body = active - m.vocab_size * m.hidden_size;
  return m.embedding && body > 0 ? body : active;
}

/** Expected distinct experts `tokens` tokens route to in one MoE layer: E·(1 − (1 − k/E)^T) (formula in the header). */
export function expectedExpertsTouched(numExperts: number, expertsPerToken: number, tokens: number): number {
  if (tokens <= 0) return 0;
  return numExperts * (1 - (1 - expertsPerToken / numExperts) ** tokens);
}

/** Weight bytes one engine step reads for `tokens` tokens: all of a dense model; shared part plus touched experts for MoE. */
export function weightBytesRead(m: ModelSpec, tokens: number): number {
  if (!m.moe) return m.params * m.weight_bytes;
  const shared = m.params - routedParams(m);
  const touched = expectedExpertsTouched(m.moe.num_experts, m.moe.experts_per_token, tokens);
  return (shared + m.moe.moe_layers * touched * expertParams(m)) * m.weight_bytes;
}

/** What kind of model a spec is, for messages and reports. */
export type ModelKind = 'dense' | 'moe' | 'embedding';

/** The model's kind: embedding (pooling) models first, then mixture-of-experts, else dense. */
export function modelKind(m: ModelSpec): ModelKind {
  return m.embedding ? 'embedding' : m.moe ? 'moe' : 'dense';
}

/**
 * vLLM's fused-MoE GEMM is a Triton kernel compiled on first use. Its tile configuration is looked up by the step's
 * token count M in a tuned table (the nearest of these keys; vLLM's tuned files give every key from 1024 up the same
 * tiles), and Triton compiles a separate variant for each 16-divisibility of its integer arguments num_valid_tokens =
 * M·k and EM = M·k + E·(BLOCK_M − 1) (the sorted, padded token count). Start-up compiles the variant of the profiling
 * run (M = max_num_batched_tokens) and the CUDA-graph capture of decode batches (1…256 tokens: the small tiles); a
 * prefill or mixed step of more tokens that needs another variant compiles it while the engine waits, once per server,
 * for both GEMMs (gate/up and down). vLLM PR #55268 describes the mechanism (main then still compiled 4 variants per
 * rank during inference); Lambda's vLLM 0.5.4 Mixtral runs show it as a few 1–3 s stalls of every stream while the
 * queue's first and later requests are admitted, which dense models of the same runs do not have.
 */
const LARGE_M = [256, 512, 1024];

/** Which compiled variant a step of `tokens` tokens needs (its tile class and 16-divisibilities), or -1: compiled at start-up. */
export function fusedMoeVariant(m: ModelSpec, tokens: number): number {
  const moe = m.moe!;
  let key = LARGE_M[0];
  for (const k of [...LARGE_M, 1536]) if (Math.abs(k - tokens) < Math.abs(key - tokens)) key = k;
  if (key <= 256) return -1;
  const cls = key >= 1024 ? 1024 : key;
  const blockM = cls >= 1024 ? 128 : 64;
  const valid = tokens * moe.experts_per_token;
  const em = valid + moe.num_experts * (blockM - 1);
  return cls * 4 + (valid % 16 === 0 ? 2 : 0) + (em % 16 === 0 ? 1 : 0);
}

/** The fused-MoE kernel variants one server has compiled so far. */
export class FusedMoeJit {
  private readonly compiled = new Set<number>([-1]);
  private readonly model: ModelSpec;

  /** Start-up state: the profiling run of `budget` tokens (decode graphs cover the small tiles). */
  constructor(model: ModelSpec, budget: number) {
    this.model = model;
    this.compiled.add(fusedMoeVariant(model, budget));
  }

  /** Kernels a step of `tokens` tokens compiles before it runs (0 or 2: gate/up and down), and marks them compiled. */
  compile(tokens: number): number {
    const v = fusedMoeVariant(this.model, tokens);
    if (this.compiled.has(v)) return 0;
    this.compiled.add(v);
    return 2;
  }
}
