/**
 * The measuring loop, the same in the main thread (one worker) and in each worker thread: take the next request of the
 * run's one global arrival schedule from a shared counter, wait for a free concurrency slot of this share and for its
 * arrival time, send it, keep its record. With several workers every one holds its own slots (the run's concurrency
 * split over them) and they all take from the same counter, so the union is one arrival process and, with a
 * concurrency limit, all slots stay busy while requests remain — the behaviour of vLLM's one global semaphore.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { closeTarget, makeAgent, poolOfTarget, startRequest, type EndpointTarget, type RawResult } from './client.ts';
import type { Sample } from './dataset.ts';
import type { RequestOutput } from './metrics.ts';
import { startSelfCheck, type SelfCheckLimits, type SelfCheckReport } from './selfcheck.ts';

/** A serialisable description of the endpoint (worker threads rebuild the agent from it). */
export interface TargetSpec {
  url: string;
  chat: boolean;
  model: string;
  headers: Record<string, string>;
  stream: boolean;
  timeoutMs: number;
  extraBody: Record<string, unknown>;
  maxSockets: number;
  /** node:http instead of the lean transport for plain http. */
  nodeHttp?: boolean;
}

/** One share of a run. */
export interface LoadShare {
  target: TargetSpec;
  samples: Sample[];
  /** Arrival times of the global schedule (seconds from the run's time zero); null: every request at 0. */
  times: Float64Array | null;
  /** Requests in the run (Infinity: until `duration`). */
  total: number;
  duration?: number;
  /** This share's concurrency slots (Infinity: unlimited). */
  slots: number;
  /** Index 0 is the next request index of the run, shared by all shares (Atomics). */
  counter: Int32Array;
  /** The run's time zero in this thread's performance.now() milliseconds. */
  originMs: number;
  limits: SelfCheckLimits;
  /**
   * Connections to open before the time zero (worker threads open their own before they say they are ready), each
   * proven by a GET of `probePath`; see client.ts `preopenTarget`.
   */
  preopen?: { connections: number; probePath: string };
}

/** One request's record: the metric inputs (chunk times are rebuilt from TTFT and ITL when records are written). */
export interface LoadRecord {
  out: RequestOutput;
}

/** Chunk read times relative to start_time: TTFT, then the cumulative ITL gaps. */
export function chunkTimes(o: RequestOutput): number[] {
  if (!o.success && o.itl.length === 0 && o.ttft === 0) return [];
  const t = new Array<number>(o.itl.length + 1);
  t[0] = o.ttft;
  for (let i = 0; i < o.itl.length; i++) t[i + 1] = t[i] + o.itl[i];
  return t;
}

/** What a share measured. */
export interface LoadResult {
  records: LoadRecord[];
  /** Seconds from the run's time zero to the end of this share's last request. */
  endS: number;
  selfCheck: SelfCheckReport;
  chunks: number;
  /** The run's time zero as Unix milliseconds (performance.timeOrigin + the share's origin). */
  originEpochMs: number;
  /** Connections the share's pool held at its time zero (kept from a warm-up or pre-opened). */
  connectionsAtStart: number;
}

/** Builds the endpoint target of a spec (one keep-alive agent per share). */
export function targetOf(s: TargetSpec): EndpointTarget {
  const url = new URL(s.url);
  return { url, chat: s.chat, model: s.model, headers: s.headers, agent: makeAgent(url, s.maxSockets), stream: s.stream, timeoutMs: s.timeoutMs, extraBody: s.extraBody, maxSockets: s.maxSockets, nodeHttp: s.nodeHttp };
}

/** The record of one raw result: vLLM's times from its clock start, our socket-write time beside them. */
export function outputOf(raw: RawResult, sample: Sample, scheduled: number, index: number): LoadRecord {
  const c = raw.chunks;
  const ttft = c.length ? c[0] - raw.start : 0;
  const itl = new Array<number>(Math.max(0, c.length - 1));
  for (let i = 1; i < c.length; i++) itl[i - 1] = c[i] - c[i - 1];
  const last = c.length ? c[c.length - 1] : raw.end;
  const out: RequestOutput = {
    index,
    success: raw.success,
    error: raw.error,
    // vLLM: usage.prompt_tokens replaces the dataset's count when the server gives it
    prompt_len: raw.usagePrompt ?? sample.prompt_len,
    output_tokens: raw.usageOutput,
    generated_text: raw.text,
    start_time: raw.start,
    sent_time: raw.sent,
    scheduled_time: scheduled,
    ttft,
    itl,
    latency: last - raw.start,
    role_chunk: raw.roleChunk !== undefined ? raw.roleChunk - raw.start : undefined,
  };
  return { out };
}

/** Live counters of a share (read by the progress reporting). */
export interface LoadCounters {
  completed: number;
  failed: number;
  inflight: number;
  chunks: number;
  /** Busy fraction of the share's event loop since the previous progress report (set by the reporter). */
  busy?: number;
}

/**
 * Runs one share to its end; `onRecord` sees each finished request. `target`: a target whose pool is already open (a
 * warm-up's, or pre-opened) — the share uses it and leaves it open; without one it builds its own and closes it.
 */
export async function runLoad(
  share: LoadShare,
  hooks: { signal?: AbortSignal; onRecord?: (r: LoadRecord) => void; counters?: LoadCounters; target?: EndpointTarget } = {},
): Promise<LoadResult> {
  const own = !hooks.target;
  const target = hooks.target ?? targetOf(share.target);
  const connectionsAtStart = poolOfTarget(target)?.size ?? 0;
  const origin = share.originMs / 1000;
  const c: LoadCounters = hooks.counters ?? { completed: 0, failed: 0, inflight: 0, chunks: 0 };
  const records: LoadRecord[] = [];
  const waiters: Array<() => void> = [];
  let outstanding = 0;
  let allDone: (() => void) | null = null;
  const signal = hooks.signal;
  // every in-flight request listens for the abort: as many listeners as slots, by design
  if (signal) setMaxListeners(0, signal);
  // wait for the run's time zero (workers start a little ahead of it)
  const lead = share.originMs - performance.now();
  if (lead > 0) await new Promise((r) => setTimeout(r, lead));
  const check = startSelfCheck(share.limits);
  let endS = 0;
  try {
    for (let n = 0; ; n++) {
      if (signal?.aborted) break;
      if (c.inflight >= share.slots) await new Promise<void>((r) => waiters.push(r));
      if (signal?.aborted) break;
      const i = Atomics.add(share.counter, 0, 1);
      if (i >= share.total) break;
      const at = share.times ? share.times[i] : 0;
      if (share.duration !== undefined && at >= share.duration) break;
      const due = (origin + at) * 1000;
      let wait = due - performance.now();
      if (wait <= 0 && n % 64 === 63) await new Promise((r) => setImmediate(r));
      // a timer fires on the loop's cached clock, up to ~1 ms early: sleep to just short of the time, then yield
      // until it has come (a request is never sent before its arrival time)
      while (wait > 0) {
        await new Promise((r) => (wait > 1.5 ? setTimeout(r, wait - 1) : setImmediate(r)));
        wait = due - performance.now();
      }
      if (share.duration !== undefined && performance.now() / 1000 - origin >= share.duration) break;
      if (signal?.aborted) break;
      c.inflight++;
      outstanding++;
      const sample = share.samples[i % share.samples.length];
      // a callback, not a promise per request; it may run before startRequest returns (a refused connection)
      startRequest(target, sample.prompt, sample.expected_output_len, origin, signal, (raw) => {
        c.inflight--;
        outstanding--;
        const rec = outputOf(raw, sample, at, i);
        records.push(rec);
        c.chunks += raw.chunks.length;
        if (rec.out.success) c.completed++;
        else c.failed++;
        waiters.shift()?.();
        hooks.onRecord?.(rec);
        if (outstanding === 0) allDone?.();
      });
    }
    if (outstanding > 0) await new Promise<void>((r) => (allDone = r));
    endS = performance.now() / 1000 - origin;
  } finally {
    if (own) closeTarget(target);
  }
  const selfCheck = check.stop(c.chunks);
  return { records, endS, selfCheck, chunks: c.chunks, originEpochMs: performance.timeOrigin + share.originMs, connectionsAtStart };
}
