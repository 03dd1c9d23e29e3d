/**
 * Engine configuration (performance model + scheduler limits, with vLLM's defaults) and the real-time engine loop that
 * the emulated server runs: one timer per step, step boundaries anchored to the model's schedule so that late timer
 * wake-ups do not accumulate drift.
 */
import { performance } from 'node:perf_hooks';
import { PerformanceModel, resolveDeployment, type DeploymentOptions } from './perf-model.ts';
import { Scheduler, type ScheduledItem, type SchedulerConfig, type SimRequest, type StepResult } from './scheduler.ts';
import { nap } from './tick-clock.ts';

/** Deployment plus vLLM engine arguments (snake case of `vllm serve`'s flags). */
export interface EngineOptions extends DeploymentOptions {
  max_num_seqs?: number;
  max_num_batched_tokens?: number;
  max_model_len?: number;
  block_size?: number;
  /** --enable-chunked-prefill; default: the vLLM version's rule (v1: on; v0: only when max_model_len > 32K). */
  chunked_prefill?: boolean;
  enable_prefix_caching?: boolean;
  /** --preemption-mode (vLLM v0): recompute (default) or swap. */
  preemption_mode?: 'recompute' | 'swap';
}

/** A ready-to-run engine description. */
export interface EngineSetup {
  perf: PerformanceModel;
  scheduler: SchedulerConfig;
}

const BLOCK_SIZES = [1, 8, 16, 32, 64, 128];

/**
 * Resolves names and fills vLLM's defaults: max_num_seqs 256; chunked prefill and its token budget per the vLLM
 * version (presets.ts; v1: 8192 batched tokens on ≥70 GB devices, else 2048; v0 chunked: 512; v0 without chunked:
 * max(max_model_len, 2048)). The KV capacity follows vLLM's memory profiling (memory.ts) with that budget. An
 * encoder-only embedding model (bidirectional attention) runs without chunked prefill, as vLLM does, so each step's
 * token budget must hold a whole prompt (then it defaults to at least max_model_len).
 */
export function buildEngine(o: EngineOptions): EngineSetup {
  const perf = new PerformanceModel(resolveDeployment(o));
  const { preset, model } = perf.spec;
  const blockSize = o.block_size ?? 16;
  if (!BLOCK_SIZES.includes(blockSize)) throw new RangeError(`block_size must be one of ${BLOCK_SIZES.join(', ')}, got ${blockSize}`);
  if (o.max_model_len !== undefined && (!Number.isInteger(o.max_model_len) || o.max_model_len < 1)) throw new RangeError('max_model_len must be a positive integer');
  if (o.max_model_len !== undefined && o.max_model_len > model.max_context) {
    throw new RangeError(`max_model_len ${o.max_model_len} exceeds ${model.name}'s context ${model.max_context}`);
  }
  const maxNumSeqs = o.max_num_seqs ?? 256;
  if (!Number.isInteger(maxNumSeqs) || maxNumSeqs < 1) throw new RangeError('max_num_seqs must be a positive integer');
  const lenForRule = o.max_model_len ?? model.max_context;
  const chunked = model.embedding?.bidirectional ? (o.chunked_prefill ?? false) : (o.chunked_prefill ?? (preset.chunked_default === 'always' || lenForRule > 32_768));
  const big = perf.spec.hardware.memory_gb >= 70;
  const v1Budget = Math.max(big ? 8192 : 2048, chunked ? 0 : lenForRule);
  const defaultBudget = chunked ? preset.chunked_budget || v1Budget : preset.prefill_first ? Math.max(lenForRule, 2048) : v1Budget;
  const budget = o.max_num_batched_tokens ?? defaultBudget;
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError('max_num_batched_tokens must be a positive integer');
  const capacity = perf.kvCapacityTokens(budget, maxNumSeqs);
  const numBlocks = Math.floor(capacity / blockSize);
  const maxModelLen = o.max_model_len ?? Math.min(model.max_context, numBlocks * blockSize);
  if (!chunked && budget < maxModelLen) {
    throw new RangeError(`max_num_batched_tokens ${budget} is smaller than max_model_len ${maxModelLen} without chunked prefill: a long prompt could never run`);
  }
  perf.coldStart(budget);
  return {
    perf,
    scheduler: {
      max_num_seqs: maxNumSeqs,
      max_num_batched_tokens: budget,
      block_size: blockSize,
      num_blocks: numBlocks,
      max_model_len: maxModelLen,
      chunked_prefill: chunked,
      prefill_first: preset.prefill_first,
      num_scheduler_steps: perf.spec.num_scheduler_steps,
      enable_prefix_caching: o.enable_prefix_caching ?? preset.name === 'v1',
      preemption_mode: o.preemption_mode ?? 'recompute',
    },
  };
}

/** Runs a scheduler against the wall clock; `onStep` gets each step's result when the step's modelled time is over. */
export class RealtimeEngine {
  readonly scheduler: Scheduler;
  private readonly perf: PerformanceModel;
  private readonly onStep: (r: StepResult, nowMs: number) => void;
  private inflight: ScheduledItem[] | null = null;
  private stepEnd = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private active = false;
  private closed = false;
  /** Steps run so far. */
  steps = 0;

  constructor(setup: EngineSetup, onStep: (r: StepResult, nowMs: number) => void) {
    this.perf = setup.perf;
    this.scheduler = new Scheduler(setup.scheduler);
    this.onStep = onStep;
  }

  /** Queues a request; starts the loop when idle. */
  submit(req: SimRequest): void {
    this.scheduler.add(req);
    if (!this.active && !this.closed) {
      this.active = true;
      this.stepEnd = performance.now();
      setImmediate(() => this.tick(false));
    }
  }

  /** Drops a request (client disconnected). */
  abort(req: SimRequest): void {
    this.scheduler.abort(req);
  }

  /** Stops the loop. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
  }

  /**
   * Waits for the step's end: a timer to about a millisecond before it (node timers have millisecond granularity and
   * may fire up to a millisecond early or late), then polling with setImmediate and short naps, so a step's tokens
   * leave within a fraction of a millisecond of its modelled end.
   */
  private wakeAt(endMs: number): void {
    const wait = endMs - performance.now();
    if (wait < 1.2) this.immediate = setImmediate(() => this.tick(true));
    else this.timer = setTimeout(() => this.tick(false), Math.max(1, Math.floor(wait - 1)));
  }

  private tick(polled: boolean): void {
    this.timer = null;
    this.immediate = null;
    if (this.closed) return;
    let now = performance.now();
    if (polled && this.inflight) {
      // the last stretch before the step's end: nap (at most NAP_MS, so arriving I/O waits little) instead of
      // spinning through the event loop, as the tick clock does; the CPU is free for the streams' writes
      const wait = this.stepEnd - 0.05 - now;
      if (wait > 0.02) {
        nap(wait);
        now = performance.now();
      }
    }
    if (this.inflight) {
      if (now < this.stepEnd - 0.05) {
        this.wakeAt(this.stepEnd);
        return;
      }
      const items = this.inflight;
      this.inflight = null;
      this.steps++;
      this.onStep(this.scheduler.complete(items), now);
      now = performance.now();
    }
    const items = this.scheduler.schedule(now);
    if (!items) {
      this.active = false;
      return;
    }
    // anchor to the modelled schedule unless we fell far behind (then restart from now)
    const start = now - this.stepEnd > 20 ? now : this.stepEnd;
    this.stepEnd = start + this.perf.runStep(items) * 1000;
    this.inflight = items;
    this.wakeAt(this.stepEnd);
  }
}
