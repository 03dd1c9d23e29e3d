/**
 * Continuous-batching scheduler in the manner of vLLM v1, independent of any clock: `schedule()` picks the next step's
 * batch, `complete()` applies it. Running sequences go first (decodes and unfinished prefill chunks), then waiting
 * requests are admitted in FIFO order while seats (`max_num_seqs`), the token budget (`max_num_batched_tokens`, chunked
 * prefill) and KV blocks allow. When a running sequence needs a block and none is free, the most recently admitted
 * running sequence is preempted (recompute: its blocks are freed and it returns to the head of the queue).
 */
import type { StepSeq } from './perf-model.ts';

/** Scheduler limits (vLLM engine arguments). */
export interface SchedulerConfig {
  max_num_seqs: number;
  max_num_batched_tokens: number;
  block_size: number;
  /** KV-cache budget in blocks. */
  num_blocks: number;
  max_model_len: number;
  /** Split long prompts over several steps (vLLM v1 default: on). */
  chunked_prefill: boolean;
}

/** A request inside the scheduler. */
export interface SimRequest {
  id: string;
  prompt_tokens: number;
  /** Output tokens this request produces before it stops (max_tokens with ignore_eos, else its natural length). */
  max_output: number;
  arrival: number;
  computed: number;
  output: number;
  blocks: number;
  state: 'waiting' | 'running' | 'finished' | 'aborted';
  preemptions: number;
  /** Time it was first scheduled (queue time = first_scheduled − arrival). */
  first_scheduled?: number;
  /** An embedding (pooling) request: done when its prompt is computed; it samples nothing. */
  pooling?: boolean;
  /** Free slot for the owner (the server keeps its stream here). */
  owner?: unknown;
}

/** One sequence's part in a step. */
export interface ScheduledItem extends StepSeq {
  req: SimRequest;
}

/** What a step produced: requests that sampled a token (in batch order) and those that finished. */
export interface StepResult {
  emitted: SimRequest[];
  finished: SimRequest[];
}

/** Creates a request record in its initial state. */
export function newRequest(id: string, promptTokens: number, maxOutput: number, arrival: number): SimRequest {
  return {
    id,
    prompt_tokens: promptTokens,
    max_output: Math.max(1, maxOutput),
    arrival,
    computed: 0,
    output: 0,
    blocks: 0,
    state: 'waiting',
    preemptions: 0,
  };
}

/**
 * A prefill-only request (embeddings): it finishes in the step that computes the last prompt token, which reports it
 * in `emitted` (its pooled output) and `finished` alike.
 */
export function newPoolingRequest(id: string, promptTokens: number, arrival: number): SimRequest {
  return { ...newRequest(id, promptTokens, 1, arrival), pooling: true };
}

export class Scheduler {
  readonly config: SchedulerConfig;
  readonly waiting: SimRequest[] = [];
  readonly running: SimRequest[] = [];
  private freeBlocks: number;
  /** Total preemptions so far. */
  preemptions = 0;

  constructor(config: SchedulerConfig) {
    if (config.max_num_seqs < 1) throw new RangeError('max_num_seqs must be ≥ 1');
    if (config.num_blocks * config.block_size < config.max_model_len) {
      throw new RangeError(
        `KV cache holds ${config.num_blocks * config.block_size} tokens, fewer than max_model_len ${config.max_model_len}; ` +
          'lower max_model_len or use more memory/devices',
      );
    }
    this.config = config;
    this.freeBlocks = config.num_blocks;
  }

  /** Queues a request (FIFO). Throws when it can never fit max_model_len. */
  add(req: SimRequest): void {
    const output = req.pooling ? 0 : req.max_output;
    if (req.prompt_tokens + output > this.config.max_model_len) {
      throw new RangeError(
        `prompt (${req.prompt_tokens}) + output (${output}) tokens exceed max_model_len ${this.config.max_model_len}`,
      );
    }
    req.state = 'waiting';
    this.waiting.push(req);
  }

  /** Removes a request wherever it is (client went away), freeing its blocks. */
  abort(req: SimRequest): void {
    if (req.state === 'finished' || req.state === 'aborted') return;
    const list = req.state === 'waiting' ? this.waiting : this.running;
    const i = list.indexOf(req);
    if (i >= 0) list.splice(i, 1);
    this.release(req);
    req.state = 'aborted';
  }

  /** Whether anything is waiting or running. */
  get busy(): boolean {
    return this.waiting.length > 0 || this.running.length > 0;
  }

  /** Blocks in use. */
  get usedBlocks(): number {
    return this.config.num_blocks - this.freeBlocks;
  }

  /** KV-cache usage, 0..1. */
  get kvUsage(): number {
    return this.usedBlocks / this.config.num_blocks;
  }

  private remaining(r: SimRequest): number {
    return r.prompt_tokens + r.output - r.computed;
  }

  private blocksFor(r: SimRequest, newTokens: number): number {
    return Math.ceil((r.computed + newTokens) / this.config.block_size) - r.blocks;
  }

  private release(r: SimRequest): void {
    this.freeBlocks += r.blocks;
    r.blocks = 0;
  }

  private preempt(r: SimRequest): void {
    const i = this.running.indexOf(r);
    if (i >= 0) this.running.splice(i, 1);
    this.release(r);
    r.computed = 0;
    r.state = 'waiting';
    r.preemptions++;
    this.preemptions++;
    this.waiting.unshift(r);
  }

  /** Picks the next step's batch, or null when there is nothing to run. `now` stamps first scheduling. */
  schedule(now: number): ScheduledItem[] | null {
    const cfg = this.config;
    let budget = cfg.max_num_batched_tokens;
    const items: ScheduledItem[] = [];
    let preempted = false;
    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const r = this.running[i];
      const rem = this.remaining(r);
      if (!cfg.chunked_prefill && rem > budget) continue;
      const n = Math.min(rem, budget);
      let need = this.blocksFor(r, n);
      while (need > this.freeBlocks) {
        const victim = this.running[this.running.length - 1];
        this.preempt(victim);
        preempted = true;
        if (victim === r) break;
      }
      if (r.state !== 'running') break; // r itself was preempted
      need = this.blocksFor(r, n);
      this.freeBlocks -= need;
      r.blocks += need;
      items.push({ req: r, tokens: n, context: r.computed });
      budget -= n;
    }
    if (!preempted) {
      while (this.waiting.length > 0 && this.running.length < cfg.max_num_seqs && budget > 0) {
        const r = this.waiting[0];
        const rem = this.remaining(r);
        if (!cfg.chunked_prefill && rem > budget) break;
        const n = Math.min(rem, budget);
        const need = this.blocksFor(r, n);
        if (need > this.freeBlocks) break; // FIFO: the head waits, nobody overtakes it
        this.waiting.shift();
        this.freeBlocks -= need;
        r.blocks += need;
        r.state = 'running';
        r.first_scheduled ??= now;
        this.running.push(r);
        items.push({ req: r, tokens: n, context: r.computed });
        budget -= n;
      }
    }
    return items.length ? items : null;
  }

  /** Applies a finished step: KV grows, caught-up sequences sample a token, finished ones leave and free their blocks. */
  complete(items: readonly ScheduledItem[]): StepResult {
    const emitted: SimRequest[] = [];
    const finished: SimRequest[] = [];
    for (const it of items) {
      const r = it.req;
      if (r.state !== 'running') continue; // aborted or preempted meanwhile
      r.computed += it.tokens;
      if (r.computed === r.prompt_tokens + r.output) {
        r.output++;
        emitted.push(r);
        if (r.output >= r.max_output) finished.push(r);
      }
    }
    for (const r of finished) {
      const i = this.running.indexOf(r);
      if (i >= 0) this.running.splice(i, 1);
      this.release(r);
      r.state = 'finished';
    }
    return { emitted, finished };
  }
}
