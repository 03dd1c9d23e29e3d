/**
 * The platform as a real child process (`node bin/benchops.js serve`, every port 0), for the audits that kill it
 * with SIGKILL or start it under a umask: waits for its BENCHOPS_READY line, keeps its output, kills its whole
 * process group so nothing it started outlives the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_PORTS } from '../../src/core/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
// every service's port from the one list (a hand-written list missed WORKFLOWS: two audits at once both bound 8006)
const PORT_VARS = Object.keys(DEFAULT_PORTS).map((s) => s.toUpperCase());

export interface PlatformProcess {
  child: ChildProcess;
  urls: Record<string, string>;
  output(): string;
  /** `kill -9` of the process group; resolves once the server process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (a clean shutdown); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `benchops serve [services]` on `dataDir`; `umask` (octal string) is set by the shell before exec. */
export async function spawnPlatform(opts: {
  dataDir: string;
  env?: Record<string, string>;
  services?: string[];
  umask?: string;
  readyTimeoutMs?: number;
}): Promise<PlatformProcess> {
  const args = ['bin/benchops.js', 'serve', ...(opts.services ?? [])];
  const env = {
    ...process.env,
    BENCHOPS_DATA_DIR: opts.dataDir,
    BENCHOPS_DEMO: '0',
    BENCHOPS_LOG_LEVEL: 'warn',
    ...Object.fromEntries(PORT_VARS.map((s) => [`BENCHOPS_${s}_PORT`, '0'])),
    ...opts.env,
  };
  // `exec` keeps the pid: the shell becomes node, so the pid killed is the server's
  const child = opts.umask
    ? spawn('sh', ['-c', `umask ${opts.umask} && exec node ${args.join(' ')}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  // a long run (bench/api-load.ts at log level info) writes a lot: keep the tail
  const keep = (d: Buffer) => {
    out += d;
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup('SIGKILL');
      reject(new Error(`benchops serve not ready in time:\n${out.slice(-4000)}`));
    }, opts.readyTimeoutMs ?? 120_000);
    const onData = () => {
      const m = /BENCHOPS_READY (\{.*\})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`benchops serve exited ${code} before it was ready:\n${out.slice(-4000)}`));
    });
  });
  return {
    child,
    urls,
    output: () => out,
    kill9: async () => {
      killGroup('SIGKILL');
      await exited;
    },
    stop: async () => {
      killGroup('SIGTERM');
      const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 30_000))]);
      if (code === 'late') {
        killGroup('SIGKILL');
        throw new Error(`benchops serve did not stop on SIGTERM:\n${out.slice(-2000)}`);
      }
      return code;
    },
  };
}
