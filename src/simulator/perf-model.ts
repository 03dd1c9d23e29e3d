/**
 * Roofline performance model of one vLLM engine step. A step runs a batch of decode tokens (one per running sequence)
 * and prefill chunks. Its time is
 *   GPU:  max(compute, memory) + a per-layer kernel floor + tensor/pipeline/expert-parallel communication (parallel.ts)
 *     compute = 2·active params·tokens / (linear peak · tp · mfu) + attention FLOPs / (16-bit peak · tp · mfu)
 *     memory  = (weight bytes read + KV bytes read + activations) / (bandwidth · tp · bandwidth_efficiency)
 *   CPU:  the vLLM generation's scheduling and output-processing cost (presets.ts); the serial part adds to the GPU
 *         time, the overlapped part hides under it.
 * The linear peak follows the weight format (quantization.ts: FP8 where the device has FP8 tensor cores). A dense
 * model reads all its weights every step; a mixture-of-experts model reads its shared part and the experts the step's
 * tokens route to (moe.ts), while memory capacity is always taken by all parameters. The per-layer floor is why tensor
 * parallelism stops paying at small batches: launch gaps and tiny GEMMs do not shrink with more ranks.
 * Pipeline parallelism runs pp micro-batches through pp stages: one period moves every sequence one token.
 * Speculative decoding is a factor on decode steps: k+1 tokens verified, (1 − a^(k+1))/(1 − a) accepted on average.
 * FP8/INT8 GEMMs run at the low-precision peak times their own efficiency (low_precision_mfu_scale: scaled GEMMs and the
 * activations' quantization reach less of the doubled peak). A server's life is stateful in one way (runStep after
 * coldStart): a v0 engine serving a mixture-of-experts model compiles fused-MoE kernel variants on first use (moe.ts).
 */
import { findHardware, findModel, kvBytesPerToken, type HardwareSpec, type ModelSpec } from './catalog.ts';
import { estimateModel } from './estimate.ts';
import { memoryBreakdown, type MemoryBreakdown } from './memory.ts';
import { computeParams, FusedMoeJit, weightBytesRead } from './moe.ts';
import { expertParallelTime, pipelineSendTime, tensorParallelTime } from './parallel.ts';
import { cpuCost, cpuFactorsOf, presetFor, type CpuFactors, type EnginePreset } from './presets.ts';
import { applyQuantization, catalogueName, linearPeakTFLOPS, resolveQuantization, type QuantizationSpec } from './quantization.ts';

/** Efficiency factors: what fraction of the datasheet the software reaches, and fixed costs. Fitted by calibration. */
export interface EfficiencyFactors extends CpuFactors {
  /** Fraction of peak FLOPS reached by prefill-dominated steps. */
  mfu: number;
  /** Fraction of memory bandwidth reached by decode-dominated steps. */
  bandwidth_efficiency: number;
  /** Fixed CPU cost per scheduling round, ms (default: the vLLM version's preset, presets.ts, like all CPU factors). */
  step_overhead_ms: number;
  /** CPU cost per sequence in the batch per scheduling round, ms. */
  per_seq_overhead_ms: number;
  /** Fraction of interconnect bandwidth reached by all-reduce. */
  comm_efficiency: number;
  /** Fixed latency per all-reduce on NVLink, microseconds (PCIe: a multiple, parallel.ts). */
  allreduce_latency_us: number;
  /** GPU time per layer per step that no parallelism removes (kernel launch gaps, small-GEMM inefficiency), µs. */
  layer_floor_us: number;
  /**
   * How much of the smaller of compute and memory time adds to the larger: 0 is the pure roofline max(); between the
   * regimes (batches of tens to a few hundred) GEMMs neither saturate the tensor cores nor stream at full bandwidth.
   */
  roofline_blend: number;
  /** Multiplier on mfu for weight-only quantized GEMMs (Marlin: FP8/INT4 weights dequantized to 16 bits), < 1 at large batches. */
  dequant_mfu_scale: number;
  /**
   * Multiplier on mfu for GEMMs computed in FP8/INT8 on tensor cores that have it: the low-precision peak is twice the
   * 16-bit one, but the scaled GEMMs (plus each step's activation quantization) reach a smaller fraction of it.
   */
  low_precision_mfu_scale: number;
  /**
   * Compile time of one Triton kernel variant on an H100 server's host, ms (× host_cpu_factor): what a step pays the
   * first time it needs a fused-MoE GEMM variant that start-up did not compile (moe.ts FusedMoeJit; vLLM v0 engines). 0: warm.
   */
  triton_jit_ms: number;
}

/** Defaults for GPUs running vLLM with CUDA graphs, fitted on bench/published-measurements.json (bench/sim-published.ts). */
export const GPU_FACTORS: Omit<EfficiencyFactors, keyof CpuFactors> = {
  mfu: 0.435,
  bandwidth_efficiency: 0.9,
  comm_efficiency: 0.7,
  allreduce_latency_us: 39.8,
  layer_floor_us: 21.4,
  roofline_blend: 0.00204,
  dequant_mfu_scale: 1,
  low_precision_mfu_scale: 0.711,
  // not fitted (no mixture-of-experts row is a fit row): twelve Triton JIT compiles took ~14 s of a first request on one
  // host (syv-ai/qwen38-27b-rtx3090#155), ~1.2 s each; vLLM PR #3901 measured ~3 s for one larger attention kernel
  triton_jit_ms: 1200,
};

/** Defaults for CPU inference (AMX/AVX-512 kernels reach far less of the peak). */
export const CPU_FACTORS: EfficiencyFactors = {
  mfu: 0.2,
  bandwidth_efficiency: 0.6,
  step_overhead_ms: 2,
  step_launch_ms: 0,
  per_seq_overhead_ms: 0.05,
  per_token_overhead_ms: 0,
  spm_detok_ms: 0,
  per_worker_ms: 0.5,
  per_waiting_us: 0.5,
  cpu_overlap: 0,
  eager_layer_us: 0,
  comm_efficiency: 0.5,
  allreduce_latency_us: 30,
  layer_floor_us: 0,
  roofline_blend: 0,
  dequant_mfu_scale: 1,
  low_precision_mfu_scale: 1,
  triton_jit_ms: 0,
};

/** Speculative decoding as a factor: draft tokens per step, their acceptance rate, and the draft's cost. */
export interface SpeculativeOptions {
  /** `num_speculative_tokens`. */
  num_speculative_tokens: number;
  /** Probability that a draft token is accepted (default 0.7; n-gram drafts on chat text reach less). */
  acceptance_rate?: number;
  /** Cost of proposing one draft token relative to one target decode step (default 0.05: a small draft model). */
  draft_cost?: number;
}

/**
 * A step's batch as the scheduler hands it over: its sequences, plus (set by the scheduler) how many requests wait,
 * which the v0 engine's CPU cost depends on.
 */
export type StepBatch = readonly StepSeq[] & { waiting?: number };

/** One sequence's share of a step: `tokens` new tokens computed on top of `context` tokens already in the KV cache. */
export interface StepSeq {
  tokens: number;
  context: number;
  /** Tokens of KV swapped back in from host memory before this step (preemption by swap). */
  swap_in?: number;
}

/** Resolved deployment: model (in its stored format), hardware, parallelism, engine generation and factors. */
export interface DeploymentSpec {
  model: ModelSpec;
  hardware: HardwareSpec;
  tensor_parallel: number;
  pipeline_parallel: number;
  expert_parallel: boolean;
  quantization: QuantizationSpec;
  preset: EnginePreset;
  factors: EfficiencyFactors;
  /** vLLM's --gpu-memory-utilization. */
  gpu_memory_utilization: number;
  /** Decode steps per scheduling round (--num-scheduler-steps, vLLM 0.6–0.7). */
  num_scheduler_steps: number;
  speculative: Required<SpeculativeOptions> | null;
}

/** Options accepted wherever a deployment is described by names (vLLM's engine arguments in snake case). */
export interface DeploymentOptions {
  /** Catalogue model name/alias (a `…-FP8`/`…-AWQ` suffix is read as the format), or a full spec. */
  model: string | ModelSpec;
  /** Catalogue hardware name/alias/product label, or a full spec (default H100-80G). */
  hardware?: string | HardwareSpec;
  tensor_parallel?: number;
  pipeline_parallel?: number;
  /** --enable-expert-parallel: a MoE's experts spread over the tensor-parallel ranks, all-to-all instead of all-reduce. */
  enable_expert_parallel?: boolean;
  /** --quantization (fp8, int8, awq, gptq…); default: what the checkpoint name states, else 16-bit. */
  quantization?: string | null;
  /** --kv-cache-dtype (auto, fp8, fp8_e4m3, fp8_e5m2). */
  kv_cache_dtype?: string | null;
  /** vLLM version whose engine behaviour to model (presets.ts; default: the current v1 engine). */
  vllm_version?: string | null;
  num_scheduler_steps?: number;
  speculative?: SpeculativeOptions | null;
  factors?: Partial<EfficiencyFactors>;
  gpu_memory_utilization?: number;
}

function positiveInt(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer 1..${max}, got ${v}`);
  return v;
}

/** Resolves names against the catalogues; throws a RangeError naming the unknown or invalid value. */
export function resolveDeployment(o: DeploymentOptions): DeploymentSpec {
  const name = typeof o.model === 'string' ? o.model : o.model.name;
  let base = typeof o.model === 'string' ? findModel(o.model) : o.model;
  if (!base && typeof o.model === 'string') {
    // a quantized checkpoint of a catalogue model (neuralmagic/…-FP8) keeps its own name: vLLM serves it under that
    const c = catalogueName(o.model);
    const same = findModel(c) ?? findModel(c.replace(/-Instruct$/i, ''));
    base = same ? { ...same, name: o.model, aliases: [] } : estimateModel(o.model);
  }
  if (!base) {
    throw new RangeError(`unknown model "${String(o.model)}" (not in the catalogue and its name states no size such as 7B; pass a full model spec)`);
  }
  const hwIn = o.hardware ?? 'H100-80G';
  const hardware = typeof hwIn === 'string' ? findHardware(hwIn) : hwIn;
  if (!hardware) throw new RangeError(`unknown hardware "${String(hwIn)}"`);
  const tp = positiveInt('tensor_parallel', o.tensor_parallel ?? 1, 64);
  const pp = positiveInt('pipeline_parallel', o.pipeline_parallel ?? 1, 64);
  if (base.num_heads % tp !== 0) throw new RangeError(`tensor_parallel ${tp} does not divide ${base.num_heads} attention heads`);
  if (pp > base.num_layers) throw new RangeError(`pipeline_parallel ${pp} exceeds ${base.num_layers} layers`);
  const util = o.gpu_memory_utilization ?? 0.9;
  if (!(util > 0 && util <= 1)) throw new RangeError(`gpu_memory_utilization must be in (0, 1], got ${util}`);
  const quantization = resolveQuantization(name, hardware, o.quantization, o.kv_cache_dtype);
  const model = applyQuantization(base, quantization);
  const preset = presetFor(o.vllm_version);
  const steps = positiveInt('num_scheduler_steps', o.num_scheduler_steps ?? 1, 64);
  if (steps > 1 && !preset.multi_step) throw new RangeError(`num_scheduler_steps ${steps} needs vLLM 0.6–0.7 (--vllm-version 0.6); vLLM ${preset.name} has no multi-step scheduling`);
  let speculative: DeploymentSpec['speculative'] = null;
  if (o.speculative) {
    const k = positiveInt('speculative.num_speculative_tokens', o.speculative.num_speculative_tokens, 16);
    const a = o.speculative.acceptance_rate ?? 0.7;
    const c = o.speculative.draft_cost ?? 0.05;
    if (!(a >= 0 && a < 1)) throw new RangeError(`speculative.acceptance_rate must be in [0, 1), got ${a}`);
    if (!(c >= 0 && c <= 1)) throw new RangeError(`speculative.draft_cost must be in [0, 1], got ${c}`);
    speculative = { num_speculative_tokens: k, acceptance_rate: a, draft_cost: c };
  }
  const defaults: EfficiencyFactors =
    hardware.type === 'cpu' ? CPU_FACTORS : { ...GPU_FACTORS, ...cpuFactorsOf(preset) };
  return {
    model,
    hardware,
    tensor_parallel: tp,
    pipeline_parallel: pp,
    expert_parallel: !!o.enable_expert_parallel && !!model.moe,
    quantization,
    preset,
    factors: { ...defaults, ...(o.factors ?? {}) },
    gpu_memory_utilization: util,
    num_scheduler_steps: steps,
    speculative,
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

const HOST_LINK_BPS = 25e9; // PCIe Gen4/5 x16 as a swap path, bytes/s

/** The roofline step-time model for one deployment. */
export class PerformanceModel {
  readonly spec: DeploymentSpec;
  private readonly kvPerToken: number;
  private readonly weights: number;
  private readonly flopParams: number;
  private readonly linearPeak: number;
  /** A SentencePiece-style vocabulary (≤ 32,768 tokens: Llama-2, Mistral, Mixtral), slow to detokenise (presets.ts). */
  private readonly spm: boolean;

  constructor(spec: DeploymentSpec) {
    this.spm = spec.model.vocab_size <= 32_768;
    this.spec = spec;
    this.kvPerToken = kvBytesPerToken(spec.model);
    this.weights = spec.model.params * spec.model.weight_bytes;
    this.flopParams = computeParams(spec.model);
    this.linearPeak = linearPeakTFLOPS(spec.hardware, spec.quantization) * 1e12;
  }

  /** Time of one engine step over the given sequences (decode: tokens = 1). */
  step(seqs: StepBatch): StepBreakdown {
    const { model: m, hardware: h, tensor_parallel: tp, pipeline_parallel: pp, factors: f, speculative: sd } = this.spec;
    let tokens = 0;
    let decodes = 0;
    let attnFlops = 0;
    let kvRead = 0;
    let swapTokens = 0;
    const verify = sd ? sd.num_speculative_tokens + 1 : 1;
    for (const s of seqs) {
      const t = s.tokens === 1 ? verify : s.tokens;
      if (s.tokens === 1) decodes++;
      tokens += t;
      // causal attention: QK^T and AV over the context plus half of the new chunk
      attnFlops += 4 * m.num_layers * m.num_heads * m.head_dim * t * (s.context + t / 2);
      kvRead += (s.context + t) * this.kvPerToken;
      swapTokens += s.swap_in ?? 0;
    }
    if (tokens === 0) return { compute_s: 0, memory_s: 0, comm_s: 0, overhead_s: 0, total_s: 0 };
    const hf = h.host_cpu_factor ?? 1;
    // pp micro-batches of 1/pp of the batch through pp stages of 1/pp of the layers: one period = pp stage times
    const linearFlops = 2 * this.flopParams * tokens;
    const q = this.spec.quantization;
    const sixteen = q.weights === 'bf16' || q.weights === 'fp16';
    const dequant = sixteen ? 1 : q.low_precision_compute ? f.low_precision_mfu_scale : f.dequant_mfu_scale;
    const compute = (linearFlops / (this.linearPeak * dequant) + attnFlops / (h.peak_fp16_TFLOPS * 1e12)) / (tp * pp * f.mfu);
    const weightsRead = m.moe ? weightBytesRead(m, Math.ceil(tokens / pp)) : this.weights;
    const stageBytes = weightsRead / pp + (kvRead + tokens * m.hidden_size * 2 * m.num_layers * 4) / (pp * pp);
    const memory = (pp * stageBytes) / (h.memory_bandwidth_GBps * 1e9 * tp * f.bandwidth_efficiency);
    const floor = (m.num_layers * f.layer_floor_us) / 1e6;
    const micro = Math.ceil(tokens / pp);
    let comm = 0;
    if (this.spec.expert_parallel && m.moe) {
      const dense = m.num_layers - m.moe.moe_layers;
      comm = tensorParallelTime(h, tp, m.num_layers, m.hidden_size, micro, f) / 2 + tensorParallelTime(h, tp, dense, m.hidden_size, micro, f) / 2;
      comm += m.moe.moe_layers * expertParallelTime(h, tp, m.hidden_size, micro, m.moe.experts_per_token, f);
    } else {
      comm = tensorParallelTime(h, tp, m.num_layers, m.hidden_size, micro, f);
    }
    comm = comm * pp + pipelineSendTime(h, pp, m.hidden_size, micro, f);
    const swap = (swapTokens * this.kvBytesPerTokenPerDevice()) / HOST_LINK_BPS;
    let gpu = Math.max(compute, memory) + f.roofline_blend * Math.min(compute, memory) + floor + comm + swap;
    // v0 replays CUDA graphs for decode-only batches up to 256 sequences; other steps launch every layer's kernels
    const graphed = this.spec.preset.name === 'v1' || (decodes === seqs.length && seqs.length <= 256);
    if (!graphed) gpu = Math.max(gpu, (hf * (m.num_layers / pp) * f.eager_layer_us * pp) / 1e6);
    // multi-step rounds amortise the CPU's scheduling over n decode steps (prefill steps are single steps)
    const steps = decodes === seqs.length ? this.spec.num_scheduler_steps : 1;
    const cpu = cpuCost(f, seqs.length, seqs.waiting ?? 0, tp * pp, steps, hf, this.spm);
    if (sd && decodes > 0) {
      // per emitted token: the verify step plus k draft proposals, over the expected accepted run
      const a = sd.acceptance_rate;
      const k = sd.num_speculative_tokens;
      const accepted = (1 - a ** (k + 1)) / (1 - a);
      const share = decodes / seqs.length;
      gpu *= share * ((1 + sd.draft_cost * k) / accepted) + (1 - share);
    }
    const total = cpu.serial_s + Math.max(gpu, cpu.overlapped_s);
    return { compute_s: compute, memory_s: memory, comm_s: comm, overhead_s: cpu.serial_s + Math.max(0, cpu.overlapped_s - gpu), total_s: total };
  }

  /** Step time in seconds. */
  stepTime(seqs: StepBatch): number {
    return this.step(seqs).total_s;
  }

  private jit: FusedMoeJit | null = null;

  /**
   * Starts the server's life: from now on runStep() pays the Triton compiles a v0 engine's fused-MoE kernels need on
   * first use (moe.ts FusedMoeJit), given the start-up profiling run of `budget` tokens.
   */
  coldStart(budget: number): void {
    const { model, preset, factors } = this.spec;
    const v0 = preset.name !== 'v1';
    this.jit = model.moe && v0 && factors.triton_jit_ms > 0 && this.spec.hardware.type !== 'cpu' ? new FusedMoeJit(model, budget) : null;
  }

  /** Time of a step the engine runs, seconds: stepTime() plus what it compiles first (after coldStart()). */
  runStep(seqs: StepBatch): number {
    const t = this.step(seqs).total_s;
    if (!this.jit) return t;
    let tokens = 0;
    let decodes = 0;
    for (const s of seqs) {
      tokens += s.tokens;
      if (s.tokens === 1) decodes++;
    }
    // a graphed decode batch runs a captured size, compiled at start-up
    if (decodes === seqs.length && seqs.length <= 256) return t;
    const kernels = this.jit.compile(tokens);
    return t + (kernels * this.spec.factors.triton_jit_ms * (this.spec.hardware.host_cpu_factor ?? 1)) / 1000;
  }

  /** KV-cache bytes per token on one device (after sharding the KV heads over tensor ranks and layers over stages). */
  kvBytesPerTokenPerDevice(): number {
    const pp = this.spec.pipeline_parallel;
    // an MLA latent is shared by all heads: every rank keeps all of it
    if (this.spec.model.mla_kv_dim) return this.kvPerToken / pp;
    return this.kvPerToken / Math.min(this.spec.tensor_parallel, this.spec.model.num_kv_heads) / pp;
  }

  /** Where one device's memory goes, as vLLM's start-up profiling computes it (memory.ts). */
  memory(profileTokens = 8192, profileSeqs = 256): MemoryBreakdown {
    const s = this.spec;
    return memoryBreakdown({
      model: s.model,
      hardware: s.hardware,
      tensor_parallel: s.tensor_parallel,
      pipeline_parallel: s.pipeline_parallel,
      gpu_memory_utilization: s.gpu_memory_utilization,
      profile_tokens: profileTokens,
      profile_seqs: profileSeqs,
      weight_bytes: this.weights,
    });
  }

  /**
   * Tokens the KV cache holds: memory × utilisation − weights − activation peak − non-torch memory, over KV bytes per
   * token per device. Throws when nothing is left for the cache.
   */
  kvCapacityTokens(profileTokens = 8192, profileSeqs = 256): number {
    const { hardware: h, tensor_parallel: tp, pipeline_parallel: pp, gpu_memory_utilization: util, model: m } = this.spec;
    const mem = this.memory(profileTokens, profileSeqs);
    if (mem.kv_cache <= 0) {
      const gib = (b: number) => (b / 1024 ** 3).toFixed(1);
      throw new RangeError(
        `${m.name} (${gib(this.weights)} GiB of ${m.dtype} weights) does not fit on ${tp * pp}×${h.name}: per device ` +
          `${gib(mem.total)} GiB × utilisation ${util} = ${gib(mem.budget)} GiB, weights ${gib(mem.weights)} GiB, ` +
          `activations ${gib(mem.activation_peak)} GiB, other ${gib(mem.non_torch)} GiB`,
      );
    }
    return Math.floor(mem.kv_cache / this.kvBytesPerTokenPerDevice());
  }
}
