/**
 * Continuous-batching scheduler in the manner of vLLM v1, independent of any clock: `schedule()` picks the next step's
 * batch, `complete()` applies it. Running sequences go first (decodes and unfinished prefill chunks), then waiting
 * requests are admitted in FIFO order while seats (`max_num_seqs`), the token budget (`max_num_batched_tokens`, chunked
 * prefill) and KV blocks allow. When a running sequence needs a block and none is free, the most recently admitted
 * running sequence is preempted (recompute: its blocks are freed and it returns to the head of the queue; swap: its KV
 * is copied to host memory and back when it resumes, which the step pays for).
 * vLLM v0 without chunked prefill runs prefill-only steps while requests wait (`prefill_first`); multi-step scheduling
 * (`num_scheduler_steps`) runs rounds of n decode steps without admitting anyone in between. With prefix caching a
 * request whose prompt starts with a prefix another request computed reuses those KV blocks (full blocks only) instead
 * of computing them; unreferenced cached prefixes are evicted (least recently used) before anyone is preempted.
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
  /** Without chunked prefill: a step is prefill-only while waiting requests can be admitted (vLLM v0). */
  prefill_first?: boolean;
  /** Decode steps per scheduling round (vLLM 0.6–0.7 multi-step). */
  num_scheduler_steps?: number;
  /** --enable-prefix-caching. */
  enable_prefix_caching?: boolean;
  /** --preemption-mode (v0): recompute (default) or swap. */
  preemption_mode?: 'recompute' | 'swap';
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
  /** Prompt prefix shared with other requests (prefix caching): its identity and length in tokens. */
  prefix_key?: string;
  prefix_len?: number;
  /** Blocks this request uses from the prefix cache (held by the cache, not by the request). */
  shared_blocks?: number;
  /** Tokens whose KV sits in host memory after a swap preemption. */
  swapped?: number;
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

interface CachedPrefix {
  blocks: number;
  refs: number;
  last_use: number;
}

export class Scheduler {
  readonly config: SchedulerConfig;
  readonly waiting: SimRequest[] = [];
  readonly running: SimRequest[] = [];
  private freeBlocks: number;
  private readonly prefixes = new Map<string, CachedPrefix>();
  private roundLeft = 0;
  private clock = 0;
  /** Total preemptions so far. */
  preemptions = 0;
  /** Prompt tokens served from the prefix cache so far. */
  prefixHitTokens = 0;
  /** Whether the last scheduled step ends a multi-step round (its tokens reach clients then). */
  roundEnd = true;

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
    return Math.ceil((r.computed + newTokens) / this.config.block_size) - r.blocks - (r.shared_blocks ?? 0);
  }

  private release(r: SimRequest): void {
    this.freeBlocks += r.blocks;
    r.blocks = 0;
    if (r.shared_blocks && r.prefix_key) {
      const p = this.prefixes.get(r.prefix_key);
      if (p) p.refs--;
    }
    r.shared_blocks = 0;
  }

  /** Frees unreferenced cached prefixes, least recently used first, until `need` blocks are free or none is left. */
  private reclaim(need: number): void {
    while (need > this.freeBlocks) {
      let victim: [string, CachedPrefix] | undefined;
      for (const e of this.prefixes) if (e[1].refs === 0 && (!victim || e[1].last_use < victim[1].last_use)) victim = e;
      if (!victim) return;
      this.prefixes.delete(victim[0]);
      this.freeBlocks += victim[1].blocks;
    }
  }

  /** A request starting from scratch takes the cached blocks of its prefix, when there are some. */
  private attachPrefix(r: SimRequest): void {
    if (!this.config.enable_prefix_caching || !r.prefix_key || r.computed > 0) return;
    const p = this.prefixes.get(r.prefix_key);
    if (!p) return;
    // at least one prompt token is always computed (vLLM recomputes the last block when the whole prompt hits)
    const blocks = Math.min(p.blocks, Math.floor((r.prompt_tokens - 1) / this.config.block_size));
    if (blocks <= 0) return;
    p.refs++;
    p.last_use = this.clock;
    r.shared_blocks = blocks;
    r.computed = blocks * this.config.block_size;
    this.prefixHitTokens += r.computed;
  }

  /** After a step computed a request's prefix, its full blocks become a cached prefix others can share. */
  private publishPrefix(r: SimRequest): void {
    if (!this.config.enable_prefix_caching || !r.prefix_key || !r.prefix_len || r.shared_blocks) return;
    const blocks = Math.floor(Math.min(r.prefix_len, r.computed) / this.config.block_size);
    if (blocks <= 0 || this.prefixes.has(r.prefix_key) || r.computed < r.prefix_len) return;
    this.prefixes.set(r.prefix_key, { blocks, refs: 1, last_use: this.clock });
    r.blocks -= blocks;
    r.shared_blocks = blocks;
  }

  private preempt(r: SimRequest): void {
    const i = this.running.indexOf(r);
    if (i >= 0) this.running.splice(i, 1);
    const keep = this.config.preemption_mode === 'swap' ? r.computed : 0;
    this.release(r);
    r.computed = keep;
    r.swapped = keep || undefined;
    r.state = 'waiting';
    r.preemptions++;
    this.preemptions++;
    this.waiting.unshift(r);
  }

  /** Picks the next step's batch, or null when there is nothing to run. `now` stamps first scheduling. */
  schedule(now: number): ScheduledItem[] | null {
    const cfg = this.config;
    this.clock = now;
    const inRound = this.roundLeft > 0;
    let budget = cfg.max_num_batched_tokens;
    const items: ScheduledItem[] = [];
    let preempted = false;
    // v0 without chunked prefill: while someone can be admitted, the step is theirs alone
    const prefillOnly = !inRound && !!cfg.prefill_first && !cfg.chunked_prefill && this.canAdmitHead(budget);
    for (let i = 0; i < this.running.length && budget > 0 && !prefillOnly; i++) {
      const r = this.running[i];
      const rem = this.remaining(r);
      if (!cfg.chunked_prefill && rem > budget) continue;
      const n = Math.min(rem, budget);
      let need = this.blocksFor(r, n);
      this.reclaim(need);
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
    if (!preempted && !inRound) {
      while (this.waiting.length > 0 && this.running.length < cfg.max_num_seqs && budget > 0) {
        const r = this.waiting[0];
        this.attachPrefix(r);
        const rem = this.remaining(r);
        if (!cfg.chunked_prefill && rem > budget) break;
        const n = Math.min(rem, budget);
        const need = this.blocksFor(r, n);
        this.reclaim(need);
        if (need > this.freeBlocks) break; // FIFO: the head waits, nobody overtakes it
        this.waiting.shift();
        this.freeBlocks -= need;
        r.blocks += need;
        r.state = 'running';
        r.first_scheduled ??= now;
        this.running.push(r);
        const swapIn = r.swapped ?? 0;
        r.swapped = undefined;
        items.push(swapIn ? { req: r, tokens: n, context: r.computed, swap_in: swapIn } : { req: r, tokens: n, context: r.computed });
        budget -= n;
      }
    }
    if (!items.length) {
      this.roundLeft = 0;
      this.roundEnd = true;
      return null;
    }
    // the performance model charges the v0 engine per queued request (perf-model.ts StepBatch)
    (items as ScheduledItem[] & { waiting?: number }).waiting = this.waiting.length;
    const steps = cfg.num_scheduler_steps ?? 1;
    if (inRound) this.roundLeft--;
    else if (steps > 1 && items.every((it) => it.tokens === 1 && it.context >= it.req.prompt_tokens)) this.roundLeft = steps - 1;
    this.roundEnd = this.roundLeft === 0;
    return items;
  }

  /** Whether the queue's head could be admitted into an otherwise empty step now. */
  private canAdmitHead(budget: number): boolean {
    const r = this.waiting[0];
    if (!r || this.running.length >= this.config.max_num_seqs) return false;
    const rem = this.remaining(r);
    if (rem > budget) return false;
    return this.blocksFor(r, rem) <= this.freeBlocks + this.evictable();
  }

  private evictable(): number {
    let n = 0;
    for (const p of this.prefixes.values()) if (p.refs === 0) n += p.blocks;
    return n;
  }

  /** Applies a finished step: KV grows, caught-up sequences sample a token, finished ones leave and free their blocks. */
  complete(items: readonly ScheduledItem[]): StepResult {
    const emitted: SimRequest[] = [];
    const finished: SimRequest[] = [];
    for (const it of items) {
      const r = it.req;
      if (r.state !== 'running') continue; // aborted or preempted meanwhile
      r.computed += it.tokens;
      this.publishPrefix(r);
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
