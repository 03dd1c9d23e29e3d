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
