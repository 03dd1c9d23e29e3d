/** Starts `benchops sim serve` as a child process and waits for its `BENCHOPS_SIM_READY` line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
