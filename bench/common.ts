/**
 * What the bench scripts share: a `benchops serve` child started and waited for (its BENCHOPS_READY line), the
 * nearest-rank percentile they print, vLLM's (numpy's linear) percentile and the mean of the client comparisons, and
 * `--name value` arguments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_PORTS } from '../src/core/config.ts';
import { percentileSorted } from '../src/loadgen/metrics.ts';

/** `--name value` from the command line, or `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The same of an unsorted array (sorted on a copy). */
export function percentileOf(xs: number[], p: number): number {
  return percentile([...xs].sort((a, b) => a - b), p);
}

/** vLLM's percentile (numpy's default, linear between ranks) of an unsorted array, sorted on a copy; NaN when empty. */
export function percentileLinear(xs: readonly number[], p: number): number {
  return xs.length ? percentileSorted([...xs].sort((a, b) => a - b), p) : NaN;
}

/** Mean; 0 when empty. */
export const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/**
 * Runs `cmd` pinned to CPU `core` (taskset; under `nice` when given, root only: a busy shared machine otherwise takes
 * the core mid-run) and resolves with its stdout; `onStderr` sees its stderr so far after each piece.
 */
export function runPinned(core: string, cmd: string, args: string[], o: { nice?: string; onStderr?: (err: string, pid: number) => void } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const argv = ['taskset', '-c', core, cmd, ...args];
    const p = o.nice !== undefined ? spawn('nice', ['-n', o.nice, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => {
      err += d;
      o.onStderr?.(err, p.pid!);
    });
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-800)}`))));
  });
}

export interface ServeOptions {
  /** Services to serve (none: the whole embedded platform). */
  services?: string[];
  env?: Record<string, string>;
  /** Another checkout to serve from (a before/after comparison); this one by default. */
  root?: string;
  timeoutMs?: number;
}

/**
 * Starts `benchops serve [services…]` quietly (no demo, warn logs, every port 0) and resolves with the URLs of its
 * ready line once it is up; rejects with its output when it exits or does not start.
 */
export async function startServe(o: ServeOptions = {}): Promise<{ urls: Record<string, string>; child: ChildProcess }> {
  const root = path.resolve(o.root ?? '.');
  const ports = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((s) => [`BENCHOPS_${s.toUpperCase()}_PORT`, '0']));
  const child = spawn(process.execPath, [path.join(root, 'bin/benchops.js'), 'serve', ...(o.services ?? [])], {
    cwd: root,
    env: { ...process.env, ...ports, BENCHOPS_DEMO: '0', BENCHOPS_LOG_LEVEL: 'warn', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const end = Date.now() + (o.timeoutMs ?? 180_000);
  while (Date.now() < end) {
    const m = /BENCHOPS_READY (\{.*\})/.exec(out);
    if (m) return { urls: JSON.parse(m[1]), child };
    if (child.exitCode !== null) throw new Error(`benchops serve exited: ${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`benchops serve did not start: ${out.slice(-2000)}`);
}

/** A client's timing of one request on the epoch clock (ms: performance.timeOrigin + performance.now(), or time.time()). */
export interface ClientTiming {
  /** vLLM's clock start. */
  startMs: number;
  /** When the body reached a connected socket (benchops; the peer cannot see it). */
  sentMs?: number;
  /** Read time of every chunk. */
  readsMs: number[];
}

/** A benchops per-request record on the epoch clock (`originMs`: the run's time zero, benchops.origin_unix_s × 1000). */
export function clientTimingOf(q: { start_time: number; sent_time?: number; chunk_times: number[] }, originMs: number): ClientTiming {
  return { startMs: originMs + q.start_time * 1000, sentMs: originMs + (q.sent_time ?? q.start_time) * 1000, readsMs: q.chunk_times.map((t) => originMs + (q.start_time + t) * 1000) };
}

/** The emulator's record of one request (its /benchops/records entry, epoch ms). */
export interface ServerTiming {
  arrival_ms: number;
  /** one entry per token; tokens a late stream merged into one chunk share their chunk's write time */
  chunk_ms: number[];
}

/** One client request matched to the server record that served it (ms; cross-process times on the epoch clock). */
export interface MatchedRequest {
  /** The client's TTFT (vLLM's clock). */
  meas: number;
  /** The server's own TTFT: arrival stamp → first chunk written. */
  srv: number;
  /** From the request's body leaving the client (its clock start without `sentMs`) to the server's first write. */
  wire: number;
  /** Client: clock start → body on a connected socket (0 without `sentMs`). */
  dispatch: number;
  /** Client: first chunk written by the server → read by the client. */
  readLag: number;
  /** Per chunk: written by the server → read by the client. */
  chunkLag: number[];
  /** Body left the client → the server's arrival stamp (the server reading late). */
  srvRead: number;
  measItl: number[];
  srvItl: number[];
  /** Per chunk: client ITL − server ITL. */
  itlErr: number[];
}

/**
 * Matches each client request to the server record that served it, by the chunk times: a request's read times follow
 * its record's write times chunk by chunk at a small lag, while any other record's jittered ITLs drift away within a
 * few chunks. Candidates: records whose first write is within `maxLagMs` before (0.5 ms after) the first read and whose
 * arrival is after the client sent (1 ms of slack: a stamp is taken after the write or parse it records returned, so a
 * preempted server stamps late); a chunk cannot be read before it was written, so a candidate with any read more than
 * `slackMs` before its write is not one (of 256 simultaneous streams at ITL 10 ms ± 10 %, 37 were paired wrongly when
 * an early read only cost as much as a late one). The slack is the same 1 ms: the emulator stamps a chunk when its
 * write returned, and the client on another core may read it first (0.2 ms left 2 of 20 one-stream requests
 * unmatched; the processes' epoch clocks agree within 0.05 ms), and an early read inside it costs 10× a late one
 * (another stream's record reads early about as often as late; one late stamp barely moves the true pair's cost).
 * Cost = mean of those over the chunks; pairs are taken cheapest first, each once.
 */
export function matchRequests(reqs: readonly ClientTiming[], recs: readonly ServerTiming[], maxLagMs = 100, slackMs = 1): MatchedRequest[] {
  const byFirst = recs
    .filter((x) => x.chunk_ms.length)
    .map((x) => ({ arrival_ms: x.arrival_ms, chunk_ms: x.chunk_ms.filter((t, i) => i === 0 || t !== x.chunk_ms[i - 1]) }))
    .sort((x, y) => x.chunk_ms[0] - y.chunk_ms[0]);
  const firsts = byFirst.map((x) => x.chunk_ms[0]);
  const cand: [number, number, number][] = [];
  reqs.forEach((q, ci) => {
    const rd = q.readsMs;
    if (!rd.length) return;
    const sent = q.sentMs ?? q.startMs;
    let lo = 0;
    let hi = firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (firsts[mid] < rd[0] - maxLagMs) lo = mid + 1;
      else hi = mid;
    }
    for (let si = lo; si < firsts.length && firsts[si] <= rd[0] + slackMs; si++) {
      const w = byFirst[si].chunk_ms;
      if (byFirst[si].arrival_ms < sent - slackMs) continue;
      const n = Math.min(w.length, rd.length);
      let sum = 0;
      let i = 0;
      for (; i < n; i++) {
        const d = rd[i] - w[i];
        if (d < -slackMs) break;
        sum += d >= 0 ? d : -10 * d;
      }
      if (i === n) cand.push([sum / n, ci, si]);
    }
  });
  cand.sort((x, y) => x[0] - y[0]);
  const usedC = new Set<number>();
  const usedS = new Set<number>();
  const out: MatchedRequest[] = [];
  for (const [, ci, si] of cand) {
    if (usedC.has(ci) || usedS.has(si)) continue;
    usedC.add(ci);
    usedS.add(si);
    const q = reqs[ci];
    const s = byFirst[si];
    const rd = q.readsMs;
    const w = s.chunk_ms;
    const n = Math.min(w.length, rd.length);
    const sent = q.sentMs ?? q.startMs;
    const measItl = rd.slice(1, n).map((t, i) => t - rd[i]);
    const srvItl = w.slice(1, n).map((t, i) => t - w[i]);
    out.push({
      meas: rd[0] - q.startMs,
      srv: w[0] - s.arrival_ms,
      wire: w[0] - sent,
      dispatch: sent - q.startMs,
      readLag: rd[0] - w[0],
      chunkLag: rd.slice(0, n).map((t, i) => t - w[i]),
      srvRead: s.arrival_ms - sent,
      measItl,
      srvItl,
      itlErr: measItl.map((x, i) => x - srvItl[i]),
    });
  }
  return out;
}
