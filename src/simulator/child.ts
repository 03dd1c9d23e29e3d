/**
 * Starts `benchops sim serve` as a child process and waits for its `BENCHOPS_SIM_READY` line; and, inside such a
 * child, watches the heartbeat file its parent touches, so an emulated server whose platform died (kill -9) does not
 * run on for ever holding a port and a device slot, while a platform restarted within the grace adopts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The heartbeat file a parent names for its emulated server (set by the vLLM service's local backend). */
export const PARENT_HEARTBEAT_ENV = 'BENCHOPS_PARENT_HEARTBEAT';
/** How long the heartbeat may be stale before the server ends (seconds). */
export const PARENT_GRACE_ENV = 'BENCHOPS_PARENT_GRACE_SECONDS';

/** A running child emulator. */
export interface EmulatorProcess {
  url: string;
  child: ChildProcess;
  /** What it wrote on stderr so far (notes such as how an uncatalogued model is modelled, and errors). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

const BIN = fileURLToPath(new URL('../../bin/benchops.js', import.meta.url));

/** Spawns `benchops sim serve <args>` (add `--port 0` for a free port); rejects if it exits or is not ready in time. */
export function spawnEmulator(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [BIN, 'sim', 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<EmulatorProcess>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sim serve not ready in ${opts.timeoutMs ?? 30_000} ms: ${err.slice(-500)}`));
    }, opts.timeoutMs ?? 30_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /BENCHOPS_SIM_READY (\{.*\})/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const url = JSON.parse(m[1]).url as string;
      resolve({
        url,
        child,
        stderr: () => err,
        stop: async (graceMs = 5000) => {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(t);
          return code;
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sim serve exited with ${code} before it was ready: ${err.slice(-500)}`));
    });
  });
}

/**
 * Calls `onStale` once when `file` has not been touched for `graceMs` (or is gone). Returns a stop function; the
 * timer never keeps the process alive on its own.
 */
export function watchParentHeartbeat(file: string, graceMs: number, onStale: (ageMs: number) => void): () => void {
  const timer = setInterval(() => {
    let age: number;
    try {
      age = Date.now() - statSync(file).mtimeMs;
    } catch {
      age = Infinity;
    }
    if (age <= graceMs) return;
    clearInterval(timer);
    onStale(age);
  }, Math.max(200, Math.min(2000, graceMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}

// In an emulated server started with a parent heartbeat: end gracefully (SIGTERM: the server closes) when it stops.
const heartbeat = process.env[PARENT_HEARTBEAT_ENV];
if (heartbeat) {
  // after the parent's death its pipes are gone: a log line must not crash a server a restarted platform adopts
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const grace = Number(process.env[PARENT_GRACE_ENV] ?? 60) * 1000;
  watchParentHeartbeat(heartbeat, Number.isFinite(grace) && grace > 0 ? grace : 60_000, (age) => {
    process.stderr.write(`benchops sim serve: the platform's heartbeat is ${Number.isFinite(age) ? `${Math.round(age / 1000)} s old` : 'gone'}; exiting\n`);
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), 5000).unref();
  });
}
