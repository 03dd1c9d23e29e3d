/**
 * One clock for every timed write of the emulated server: a min-heap of due times served by a single timer. Per-token
 * timers (one setTimeout per chunk) cost a timer-list insertion and a callback each and fire with millisecond
 * granularity; here all chunks that are due are handed over in one batch per wake-up, and the last millisecond before
 * the next due time is waited out with setImmediate (I/O keeps flowing) so chunks leave within a fraction of a
 * millisecond of their modelled time instead of up to a millisecond early or late. That wait naps: each turn of the
 * poll sleeps up to NAP_MS in the kernel (a futex wait) instead of spinning, so a lightly loaded server does not hold a
 * whole core (100 streams spun one core at 65 µs of CPU per token), which on a shared machine costs it its scheduler
 * share exactly when chunks are due; I/O waits at most one nap. A wake-up hands over at most SLICE items: when more
 * are due (a thousand streams whose chunks fall in the same millisecond, or a server catching up), the rest follow
 * in the next turn of the loop (setImmediate), after its poll phase has read what arrived meanwhile, so a new
 * request's arrival stamp is late by one slice of writes rather than by a whole tick's.
 */
import { performance } from 'node:perf_hooks';

/**
 * Items due within this many ms are sent now. 0: never before the modelled time (a chunk written early would make the
 * emulator's own error look smaller than it is; the nap below wakes at the due time, so none are needed early).
 */
export const EARLY_MS = 0;
/** Below this distance to the next due time the clock polls with setImmediate instead of arming a timer. */
const SPIN_MS = 1.2;
/** Longest sleep of one poll turn (ms): bounds how long arriving I/O waits for the loop, and how late a chunk leaves. */
export const NAP_MS = 0.1;
/**
 * Most items one wake-up delivers before the loop polls for I/O again (~64 chunk writes, a few hundred µs at ~5–10 µs
 * each; one poll turn costs a few µs).
 */
export const SLICE = 64;
// what Atomics.wait sleeps on (never notified: every wait times out)
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps `ms`, at most NAP_MS, in the kernel (a futex wait): a poll turn that frees the CPU instead of spinning. */
export function nap(ms: number): void {
  Atomics.wait(napCell, 0, 0, Math.min(ms, NAP_MS));
}

/** A time-ordered queue of items (performance.now() milliseconds) delivered in batches when due. */
export class TickClock<T> {
  private dues: number[] = [];
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerFor = Infinity;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly batch: T[] = [];
  /** Wake-ups that delivered at least one item, and items delivered (for the bench's per-tick figures). */
  ticks = 0;
  delivered = 0;

  /** `onDue` receives the due items (oldest first) and the time they were taken; it may add items again. */
  constructor(private readonly onDue: (items: readonly T[], nowMs: number) => void) {}

  /** Items waiting. */
  get size(): number {
    return this.dues.length;
  }

  /** Queues `item` for `dueMs` (performance.now() clock). */
  add(dueMs: number, item: T): void {
    if (this.closed) return;
    const d = this.dues;
    const it = this.items;
    let i = d.length;
    d.push(dueMs);
    it.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (d[p] <= dueMs) break;
      d[i] = d[p];
      it[i] = it[p];
      i = p;
    }
    d[i] = dueMs;
    it[i] = item;
    if (i === 0) this.arm();
  }

  /** Stops the clock; pending items are dropped. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = null;
    this.dues = [];
    this.items = [];
  }

  private pop(): T {
    const d = this.dues;
    const it = this.items;
    const top = it[0];
    const lastD = d.pop()!;
    const lastI = it.pop()!;
    const n = d.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && d[r] < d[l] ? r : l;
        if (d[c] >= lastD) break;
        d[i] = d[c];
        it[i] = it[c];
        i = c;
      }
      d[i] = lastD;
      it[i] = lastI;
    }
    return top;
  }

  private arm(): void {
    if (this.closed || this.immediate || !this.dues.length) return;
    const due = this.dues[0];
    const wait = due - performance.now();
    if (wait < SPIN_MS) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
        this.timerFor = Infinity;
      }
      this.immediate = setImmediate(this.wake);
      return;
    }
    // a timer already armed for this (or an earlier) due time stays
    if (this.timer && this.timerFor <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerFor = due;
    // wake a millisecond early: the loop's cached time may be stale, and the rest is polled
    this.timer = setTimeout(this.wake, Math.max(1, Math.floor(wait - SPIN_MS + 0.2)));
  }

  private readonly wake = (): void => {
    const polled = this.immediate !== null;
    this.timer = null;
    this.timerFor = Infinity;
    this.immediate = null;
    if (this.closed) return;
    let now = performance.now();
    if (polled && this.dues.length) {
      // nothing due within the nap: sleep (the CPU is free for others) rather than spin through the loop again
      const wait = this.dues[0] - EARLY_MS - now;
      if (wait > 0.02) {
        nap(wait);
        now = performance.now();
      }
    }
    const limit = now + EARLY_MS;
    const batch = this.batch;
    batch.length = 0;
    while (batch.length < SLICE && this.dues.length && this.dues[0] <= limit) batch.push(this.pop());
    if (batch.length) {
      this.ticks++;
      this.delivered += batch.length;
      this.onDue(batch, now);
      batch.length = 0;
    }
    this.arm();
  };
}
