/** The local executor's terminal: an interactive shell in the run's work folder, with the container's environment. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { badRequest } from '../../../core/errors.ts';
import { killGroup } from './supervisor.ts';
import type { ExecHandlers, ExecSession } from './types.ts';

/** Shells a session may ask for (the first that exists is used when the asked one does not). */
const SHELLS = ['/bin/bash', '/bin/sh', '/usr/bin/bash', '/bin/zsh', '/usr/bin/zsh', '/bin/ash', '/bin/dash'];

/** Starts `shell -i` in `cwd` (its own process group, killed whole on close); 400 when no known shell exists. */
export function openShell(shell: string, cwd: string, env: Record<string, string>, h: ExecHandlers): ExecSession {
  const bin = [shell, ...SHELLS].find((s) => SHELLS.includes(s) && existsSync(s));
  if (!bin) throw badRequest(`No usable shell (${shell}) on this machine`);
  const p = spawn(bin, ['-i'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let done = false;
  const finish = (err?: string) => {
    if (!done) {
      done = true;
      h.exit(err);
    }
  };
  p.stdout.on('data', (d: Buffer) => h.stdout(d.toString('utf8')));
  p.stderr.on('data', (d: Buffer) => h.stderr(d.toString('utf8')));
  p.on('error', (e) => finish(e.message));
  p.on('close', () => finish());
  p.stdin.on('error', () => {});
  return {
    write: (d) => {
      if (!done) p.stdin.write(d);
    },
    resize: () => {},
    close: () => {
      if (p.exitCode === null && p.signalCode === null && p.pid) killGroup(p.pid, 'SIGKILL');
    },
  };
}
