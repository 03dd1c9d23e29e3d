/**
 * Roofline performance model of one vLLM engine step. A step runs a batch of decode tokens (one per running sequence)
 * and prefill chunks together (chunked prefill). Its time is max(compute, memory) plus tensor-parallel all-reduce time
 * plus CPU-side overheads:
 *   compute = (2·active params·tokens + attention FLOPs) / (peak · tp · mfu)
 *   memory  = (weight bytes read + KV bytes read) / (bandwidth · tp · bandwidth_efficiency)
 * A dense model reads all its weights every step; a mixture-of-experts model reads its shared part and the experts the
 * step's tokens route to (moe.ts), while memory capacity is always taken by all parameters.
 */
import { findHardware, findModel, GIB, kvBytesPerToken, weightBytes, type HardwareSpec, type ModelSpec } from './catalog.ts';
import { estimateModel } from './estimate.ts';
import { computeParams, weightBytesRead } from './moe.ts';

/** Efficiency factors: what fraction of the datasheet the software reaches, and fixed costs. Fitted by calibration. */
export interface EfficiencyFactors {
  /** Fraction of peak FLOPS reached by prefill-dominated steps. */
  mfu: number;
  /** Fraction of memory bandwidth reached by decode-dominated steps. */
  bandwidth_efficiency: number;
  /** Fixed CPU cost per engine step (scheduling, launch, sampling), ms. */
  step_overhead_ms: number;
  /** Extra CPU cost per sequence in the batch per step (output processing, detokenization), ms. */
  per_seq_overhead_ms: number;
  /** Fraction of interconnect bandwidth reached by all-reduce. */
  comm_efficiency: number;
  /** Fixed latency per all-reduce, microseconds. */
  allreduce_latency_us: number;
}

/** Defaults for GPUs running vLLM with CUDA graphs (see bench/sim-published.ts for how they compare). */
export const GPU_FACTORS: EfficiencyFactors = {
  mfu: 0.55,
  bandwidth_efficiency: 0.8,
  step_overhead_ms: 0.6,
  per_seq_overhead_ms: 0.02,
  comm_efficiency: 0.7,
  allreduce_latency_us: 8,
};

/** Defaults for CPU inference (AMX/AVX-512 kernels reach far less of the peak). */
export const CPU_FACTORS: EfficiencyFactors = {
  mfu: 0.2,
  bandwidth_efficiency: 0.6,
  step_overhead_ms: 2,
  per_seq_overhead_ms: 0.05,
  comm_efficiency: 0.5,
  allreduce_latency_us: 30,
};

/** One sequence's share of a step: `tokens` new tokens computed on top of `context` tokens already in the KV cache. */
export interface StepSeq {
  tokens: number;
  context: number;
}

/** Resolved deployment: model, hardware, tensor parallel degree and factors. */
export interface DeploymentSpec {
  model: ModelSpec;
  hardware: HardwareSpec;
  tensor_parallel: number;
  factors: EfficiencyFactors;
  /** vLLM's --gpu-memory-utilization. */
  gpu_memory_utilization: number;
}

/** Options accepted wherever a deployment is described by names. */
export interface DeploymentOptions {
  /** Catalogue model name/alias, or a full spec. */
  model: string | ModelSpec;
  /** Catalogue hardware name/alias/product label, or a full spec (default H100-80G). */
  hardware?: string | HardwareSpec;
  tensor_parallel?: number;
  factors?: Partial<EfficiencyFactors>;
  gpu_memory_utilization?: number;
}

/** Resolves names against the catalogues; throws a RangeError naming the unknown value. */
export function resolveDeployment(o: DeploymentOptions): DeploymentSpec {
  const model = typeof o.model === 'string' ? (findModel(o.model) ?? estimateModel(o.model)) : o.model;
  if (!model) {
    throw new RangeError(`unknown model "${String(o.model)}" (not in the catalogue and its name states no size such as 7B; pass a full model spec)`);
  }
  const hwIn = o.hardware ?? 'H100-80G';
  const hardware = typeof hwIn === 'string' ? findHardware(hwIn) : hwIn;
  if (!hardware) throw new RangeError(`unknown hardware "${String(hwIn)}"`);
  const tp = o.tensor_parallel ?? 1;
  if (!Number.isInteger(tp) || tp < 1 || tp > 64) throw new RangeError(`tensor_parallel must be an integer 1..64, got ${tp}`);
  if (model.num_heads % tp !== 0) throw new RangeError(`tensor_parallel ${tp} does not divide ${model.num_heads} attention heads`);
  const base = hardware.type === 'cpu' ? CPU_FACTORS : GPU_FACTORS;
  return {
    model,
    hardware,
    tensor_parallel: tp,
    factors: { ...base, ...(o.factors ?? {}) },
    gpu_memory_utilization: o.gpu_memory_utilization ?? 0.9,
  };
}

/** Where a step's time goes, in seconds. */
export interface StepBreakdown {
  compute_s: number;
  memory_s: number;
  comm_s: number;
  overhead_s: number;
  total_s: number;
}

/** The roofline step-time model for one deployment. */
export class PerformanceModel {
  readonly spec: DeploymentSpec;
  private readonly kvPerToken: number;
  private readonly weights: number;
  private readonly flopParams: number;

  constructor(spec: DeploymentSpec) {
    this.spec = spec;
    this.kvPerToken = kvBytesPerToken(spec.model);
    this.weights = weightBytes(spec.model);
    this.flopParams = computeParams(spec.model);
  }

  /** Time of one engine step over the given sequences (decode: tokens = 1). */
  step(seqs: readonly StepSeq[]): StepBreakdown {
    const { model: m, hardware: h, tensor_parallel: tp, factors: f } = this.spec;
    let tokens = 0;
    let attnFlops = 0;
    let kvRead = 0;
    for (const s of seqs) {
      tokens += s.tokens;
      // causal attention: QK^T and AV over the context plus half of the new chunk
      attnFlops += 4 * m.num_layers * m.num_heads * m.head_dim * s.tokens * (s.context + s.tokens / 2);
      kvRead += (s.context + s.tokens) * this.kvPerToken;
    }
    if (tokens === 0) return { compute_s: 0, memory_s: 0, comm_s: 0, overhead_s: 0, total_s: 0 };
    const linearFlops = 2 * this.flopParams * tokens;
    const compute = (linearFlops + attnFlops) / (h.peak_fp16_TFLOPS * 1e12 * tp * f.mfu);
    const weightsRead = m.moe ? weightBytesRead(m, tokens) : this.weights;
    const bytes = weightsRead + kvRead + tokens * m.hidden_size * 2 * m.num_layers * 4; // + activations
    const memory = bytes / (h.memory_bandwidth_GBps * 1e9 * tp * f.bandwidth_efficiency);
    let comm = 0;
    if (tp > 1) {
      const msg = tokens * m.hidden_size * 2; // bf16 activations per all-reduce
      const perAllReduce =
        (2 * (tp - 1) * msg) / tp / (Math.max(h.interconnect_GBps, 1) * 1e9 * f.comm_efficiency) +
        f.allreduce_latency_us * 1e-6;
      comm = 2 * m.num_layers * perAllReduce;
    }
    const overhead = (f.step_overhead_ms + f.per_seq_overhead_ms * seqs.length) / 1000;
    const total = Math.max(compute, memory) + comm + overhead;
    return { compute_s: compute, memory_s: memory, comm_s: comm, overhead_s: overhead, total_s: total };
  }

  /** Step time in seconds. */
  stepTime(seqs: readonly StepSeq[]): number {
    return this.step(seqs).total_s;
  }

  /** KV-cache bytes per token on one device (after sharding the KV heads over tensor parallel ranks). */
  kvBytesPerTokenPerDevice(): number {
    // an MLA latent is shared by all heads: every rank keeps all of it
    if (this.spec.model.mla_kv_dim) return this.kvPerToken;
    return this.kvPerToken / Math.min(this.spec.tensor_parallel, this.spec.model.num_kv_heads);
  }

  /**
   * Tokens the KV cache holds: device memory × utilisation − weights − activation reserve, over KV bytes per token.
   * Throws when the weights do not fit at all.
   */
  kvCapacityTokens(): number {
    const { hardware: h, tensor_parallel: tp, gpu_memory_utilization: util, model: m } = this.spec;
    const perDevice = h.memory_gb * GIB * util;
    const weightsPerDevice = this.weights / tp;
    // activations, CUDA graphs and the sampler need room too: ~5 % of memory, at least 1 GiB
    const reserve = Math.max(1 * GIB, 0.05 * h.memory_gb * GIB);
    const free = perDevice - weightsPerDevice - reserve;
    if (free <= 0) {
      throw new RangeError(
        `${m.name} (${(this.weights / GIB).toFixed(1)} GiB of weights) does not fit on ${tp}×${h.name} ` +
          `(${h.memory_gb} GB, utilisation ${util})`,
      );
    }
    return Math.floor(free / this.kvBytesPerTokenPerDevice());
  }
}
