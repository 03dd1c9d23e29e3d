/**
 * What keeps local job processes honest across a platform crash. Each container runs under a small supervisor (plain
 * Node, no TypeScript loader: it starts in milliseconds) that
 * - records the container's exit status in a file, so a platform restarted after `kill -9` learns what an adopted
 *   process did instead of presuming it lost;
 * - watches a heartbeat file the platform touches every few seconds, and ends the container when the heartbeat is
 *   older than the grace period: after a crash nothing runs on for ever holding ports and devices, while a restart
 *   within the grace adopts the processes and resumes the heartbeat.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Default time a job process outlives a silent platform (BENCHOPS_ORPHAN_GRACE_SECONDS). */
export const DEFAULT_ORPHAN_GRACE_MS = 60_000;

/**
 * argv: <status file> <heartbeat file> <grace ms> <command> [args…]. The command inherits stdio (the log file) and the
 * process group (the executor kills the group). Signals sent to the supervisor alone are passed on. The status file
 * is the authority on how the container ended: the supervisor ends its whole group after writing it.
 */
const SCRIPT = String.raw`
import { spawn } from 'node:child_process';
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
const [statusFile, heartbeat, graceArg, cmd, ...args] = process.argv.slice(2);
const grace = Number(graceArg);
let orphaned = false;
let ended = false;
const write = (o) => {
  try {
    writeFileSync(statusFile + '.tmp', JSON.stringify({ ...o, orphaned, finished_at: new Date().toISOString() }));
    renameSync(statusFile + '.tmp', statusFile);
  } catch {}
};
const child = spawn(cmd, args, { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => { try { child.kill(sig); } catch {} });
const age = () => { try { return Date.now() - statSync(heartbeat).mtimeMs; } catch { return Infinity; } };
const timer = setInterval(() => {
  if (ended || orphaned || age() <= grace) return;
  orphaned = true;
  process.stderr.write('benchops: the platform stopped answering for ' + Math.round(grace / 1000) + ' s; ending the job process\n');
  try { process.kill(-process.pid, 'SIGTERM'); } catch { try { child.kill('SIGTERM'); } catch {} }
  setTimeout(() => { write({ code: 137, signal: 'SIGKILL' }); end(); }, 5000).unref();
}, Math.max(200, Math.min(2000, grace / 4)));
// like a container, the group ends with its main process: nothing it started in the background lives on
const end = () => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} };
child.on('error', (e) => {
  ended = true;
  clearInterval(timer);
  process.stderr.write('failed to start: ' + e.message + '\n');
  write({ code: 127, signal: null, error: e.message });
  process.exit(127);
});
child.on('exit', (code, signal) => {
  ended = true;
  clearInterval(timer);
  const exit = code ?? 128 + (constants.signals[signal] ?? 1);
  write({ code: exit, signal });
  end();
  process.exit(exit);
});
`;

/** Writes the supervisor script under `dir` (named by its content, so a running older one is never overwritten). */
export function installSupervisor(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `supervisor-${createHash('sha256').update(SCRIPT).digest('hex').slice(0, 12)}.mjs`);
  if (!existsSync(file)) writeFileSync(file, SCRIPT, { mode: 0o600 });
  return file;
}

/** What the supervisor recorded when its container ended. */
export interface ExitStatus {
  code: number;
  signal: string | null;
  orphaned: boolean;
  error?: string;
  finished_at?: string;
}

/** The recorded exit status, or undefined when none was written (still running, or the supervisor was killed). */
export function readExitStatus(file: string): ExitStatus | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8'));
    return typeof s?.code === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a live supervisor of `statusFile`. On Linux the command line is checked, so a pid reused by an
 * unrelated process after a crash is never adopted; elsewhere a live pid is taken at its word.
 */
export function isSupervisorOf(pid: number, statusFile: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e: any) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(statusFile);
  } catch {
    return !existsSync('/proc/self');
  }
}

/** Touches the heartbeat files of live processes every `intervalMs` (one timer for all of them). */
export class HeartbeatKeeper {
  private readonly files = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs: number) {}

  /** The beat interval for a grace period: several beats fit in it, never busier than twice a second. */
  static intervalFor(graceMs: number): number {
    return Math.max(500, Math.min(5000, Math.floor(graceMs / 4)));
  }

  add(file: string): void {
    this.touch(file);
    this.files.add(file);
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const f of this.files) this.touch(f);
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  delete(file: string): void {
    this.files.delete(file);
    if (!this.files.size && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Stops beating (the processes end after their grace unless another platform adopts them). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.files.clear();
  }

  private touch(file: string): void {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, '', { mode: 0o600 });
      } catch {
        /* the folder is gone (the job was deleted): the process ends on its own */
      }
    }
  }
}

/** Signals a container's process group (its supervisor leads it), or the process alone when it leads none. */
export function killGroup(pid: number, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}
