/**
 * Engine behaviour per vLLM generation (`--vllm-version`). What changed between versions and moves real numbers is the
 * CPU side of a step and the scheduler's defaults:
 * - 0.5.x (v0 engine): scheduling, input preparation and output processing run serially with the GPU in one Python
 *   process; the driver broadcasts each step's metadata to every tensor-parallel worker. Chunked prefill is on by
 *   default only when max_model_len > 32K (then 512 batched tokens).
 * - 0.6.x–0.7.x (v0): output processing overlaps the next step's GPU work (async output processing), multi-step
 *   scheduling (`--num-scheduler-steps`) runs n decode steps per scheduling round (each step still pays the model
 *   runner's own Python: step_launch_cpu_ms); without chunked prefill a step is
 *   prefill-only while requests wait (prefills first).
 * - 0.8+ (v1 engine, default): the scheduler runs in its own process ahead of the GPU, chunked prefill always on,
 *   prefills and decodes mixed in one step; the CPU cost per step is small and mostly hidden.
 * The figures are the fitted defaults of bench/sim-published.ts (see bench/published-measurements.json).
 */

/** CPU-side costs of one engine step and the scheduler's defaults for one vLLM generation. */
export interface EnginePreset {
  /** Canonical name (`0.5`, `0.6`, `v1`). */
  name: string;
  /** Fixed CPU cost per scheduling round, ms (divided over the steps of a multi-step round). */
  step_cpu_ms: number;
  /**
   * Fixed CPU cost of every step that a multi-step round does not amortise, ms: each of its n steps still runs the
   * model runner's Python (advance_step, the CUDA-graph replay, logits and the sampler's launch, and pythonizing the
   * previous step's output: vLLM 0.6 MultiStepModelRunner.execute_model). Without multi-step it is part of step_cpu_ms.
   */
  step_launch_cpu_ms: number;
  /** CPU cost per waiting request per scheduling round (the v0 scheduler walks and re-sorts its queues), µs. */
  per_waiting_cpu_us: number;
  /**
   * CPU cost of launching one layer's kernels in a step that runs without CUDA graphs, µs (v0 captures graphs for
   * decode-only batches of ≤ 256 sequences; prefill and mixed steps run eagerly). v1 compiles piecewise graphs: 0.
   */
  eager_layer_us: number;
  /** CPU cost per running sequence per scheduling round (scheduling, input preparation, the request's output object), µs. */
  per_seq_cpu_us: number;
  /**
   * CPU cost per running sequence per generated token that a multi-step round does not amortise (detokenisation,
   * stop checks, appending the token), µs; without multi-step it adds to per_seq_cpu_us.
   */
  per_token_cpu_us: number;
  /**
   * Extra CPU per running sequence per step for models with a SentencePiece-style vocabulary (Llama-2, Mistral,
   * Mixtral: ≤ 32,768 tokens), µs: vLLM's incremental detokenisation converts ids to pieces and the pieces to text
   * again for every new token, which these slow tokenizers do in Python; byte-level BPE vocabularies (Llama-3, Qwen)
   * decode fast. Published v0.5.4 runs show it: Mistral-7B-BF16 streams 7.5 ms per step slower than Llama-3.1-8B-FP8
   * on an H100 and 13.7 ms on an A100 (the slower host), far more than their weights' bytes differ.
   */
  spm_detok_cpu_us: number;
  /**
   * CPU cost of broadcasting a step's inputs to the other tensor-parallel workers, ms per doubling of the group (a
   * shared-memory queue and tree broadcasts: log2(workers) hops, not one per worker).
   */
  per_worker_ms: number;
  /** Fraction of the per-sequence CPU cost that overlaps the GPU (async output processing / separate process). */
  overlap: number;
  /** Chunked prefill unless told otherwise: 'always', or only when max_model_len exceeds 32K ('long-context'). */
  chunked_default: 'always' | 'long-context';
  /** max_num_batched_tokens with chunked prefill when not given (0: the device-size rule of engine.ts). */
  chunked_budget: number;
  /** Without chunked prefill, a step runs prefills only while requests wait (v0); v1 always mixes. */
  prefill_first: boolean;
  /** Whether --num-scheduler-steps exists (0.6–0.7). */
  multi_step: boolean;
}

const PRESETS: Record<string, EnginePreset> = {
  '0.5': { name: '0.5', step_cpu_ms: 6.22, step_launch_cpu_ms: 0, per_waiting_cpu_us: 9.18, eager_layer_us: 319, per_seq_cpu_us: 69.5, per_token_cpu_us: 0, spm_detok_cpu_us: 16.2, per_worker_ms: 0.209, overlap: 0, chunked_default: 'long-context', chunked_budget: 512, prefill_first: true, multi_step: false },
  '0.6': { name: '0.6', step_cpu_ms: 0.0932, step_launch_cpu_ms: 0.312, per_waiting_cpu_us: 7.5, eager_layer_us: 319, per_seq_cpu_us: 39.2, per_token_cpu_us: 2.2, spm_detok_cpu_us: 27, per_worker_ms: 0.6, overlap: 0.0893, chunked_default: 'long-context', chunked_budget: 512, prefill_first: true, multi_step: true },
  v1: { name: 'v1', step_cpu_ms: 0.6, step_launch_cpu_ms: 0, per_waiting_cpu_us: 0.5, eager_layer_us: 0, per_seq_cpu_us: 8, per_token_cpu_us: 0, spm_detok_cpu_us: 0, per_worker_ms: 0.15, overlap: 0.8, chunked_default: 'always', chunked_budget: 0, prefill_first: false, multi_step: false },
};

/** The preset for a version string (`0.5.4`, `v0.6.0`, `0.10.1`, `latest`); throws a RangeError for an unreadable one. */
export function presetFor(version?: string | null): EnginePreset {
  if (version === undefined || version === null || version === '' || version === 'latest' || version === 'v1') return PRESETS.v1;
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[.+-].*)?$/.exec(version.trim());
  if (!m) throw new RangeError(`vllm_version "${version.slice(0, 30)}" is not a version such as 0.6.0 (or "latest")`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major > 0 || minor >= 8) return PRESETS.v1;
  if (minor >= 6) return PRESETS['0.6'];
  return PRESETS['0.5'];
}

/** Presets by name, for listing and for fitting (bench/sim-published.ts). */
export const ENGINE_PRESETS: Readonly<Record<string, EnginePreset>> = PRESETS;

/** The CPU-side costs as factors (calibration may override each). */
export interface CpuFactors {
  step_overhead_ms: number;
  /** See EnginePreset.step_launch_cpu_ms, ms. */
  step_launch_ms: number;
  per_seq_overhead_ms: number;
  /** See EnginePreset.per_token_cpu_us, ms. */
  per_token_overhead_ms: number;
  /** See EnginePreset.spm_detok_cpu_us, ms. */
  spm_detok_ms: number;
  per_worker_ms: number;
  per_waiting_us: number;
  cpu_overlap: number;
  eager_layer_us: number;
}

/** A preset's CPU costs in factor form. */
export function cpuFactorsOf(p: EnginePreset): CpuFactors {
  return {
    step_overhead_ms: p.step_cpu_ms,
    step_launch_ms: p.step_launch_cpu_ms,
    per_seq_overhead_ms: p.per_seq_cpu_us / 1000,
    per_token_overhead_ms: p.per_token_cpu_us / 1000,
    spm_detok_ms: p.spm_detok_cpu_us / 1000,
    per_worker_ms: p.per_worker_ms,
    per_waiting_us: p.per_waiting_cpu_us,
    cpu_overlap: p.overlap,
    eager_layer_us: p.eager_layer_us,
  };
}

/**
 * Per-step CPU time that does not overlap the GPU, and the part that does, in seconds, for a batch of `seqs` with
 * `waiting` requests queued, on a host `hostFactor` times slower than an H100 server's; `spm`: the model has a
 * SentencePiece-style vocabulary (spm_detok_ms per sequence per token).
 */
export function cpuCost(f: CpuFactors, seqs: number, waiting: number, workers: number, steps: number, hostFactor: number, spm = false): { serial_s: number; overlapped_s: number } {
  const fixed = (f.step_overhead_ms + f.per_worker_ms * Math.log2(Math.max(1, workers)) + (f.per_waiting_us * waiting) / 1000) / 1000;
  // a multi-step round schedules and prepares inputs once for its n steps (sampling stays on the GPU in between);
  // every token still has to be detokenised and checked
  const n = Math.max(1, steps);
  const perToken = f.per_token_overhead_ms + (spm ? f.spm_detok_ms : 0);
  const perSeq = (f.per_seq_overhead_ms * seqs) / 1000 / n + (perToken * seqs) / 1000;
  const launch = (f.step_launch_ms ?? 0) / 1000;
  return { serial_s: hostFactor * (fixed / n + launch + perSeq * (1 - f.cpu_overlap)), overlapped_s: hostFactor * perSeq * f.cpu_overlap };
}
