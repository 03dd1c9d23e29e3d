/**
 * The local executor's terminal: an interactive shell in the run's work folder, with the container's environment.
 *
 * The shell gets a real pseudo-terminal when util-linux `script` is on the machine (Debian's essential bsdutils):
 * the terminal's line discipline turns the browser's Enter (\r) into a line end, echoes, makes Ctrl-C an interrupt
 * of the foreground job, and bash runs with job control and readline, as over `kubectl exec -t`. The window size is
 * set on the pty's slave with `stty -F` (the kernel then signals SIGWINCH). Without `script` the shell reads plain
 * pipes (`tty: false`): the page then edits lines itself.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { badRequest } from '../../../core/errors.ts';
import { killGroup } from './supervisor.ts';
import type { ExecHandlers, ExecSession } from './types.ts';

/** Shells a session may ask for (the first that exists is used when the asked one does not). */
const SHELLS = ['/bin/bash', '/bin/sh', '/usr/bin/bash', '/bin/zsh', '/usr/bin/zsh', '/bin/ash', '/bin/dash'];

let scriptBin: string | null | undefined;
/** util-linux `script` (its -q -f -e -c flags; BSD's has other ones), or null. Looked up once. */
export function ptyHelper(): string | null {
  if (scriptBin !== undefined) return scriptBin;
  scriptBin = null;
  for (const bin of ['/usr/bin/script', '/bin/script']) {
    if (!existsSync(bin)) continue;
    try {
      if (/util-linux/.test(execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 }))) scriptBin = bin;
    } catch {
      // not util-linux's
    }
    break;
  }
  return scriptBin;
}

/** The first child of `pid` (Linux /proc), or null. */
function childOf(pid: number): number | null {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
}

/**
 * Starts `shell -i` in `cwd` (its own process group, killed whole on close), on a pty when the machine can give one;
 * 400 when no known shell exists.
 */
export function openShell(shell: string, cwd: string, env: Record<string, string>, h: ExecHandlers, o: { tty?: boolean } = {}): ExecSession {
  const bin = [shell, ...SHELLS].find((s) => SHELLS.includes(s) && existsSync(s));
  if (!bin) throw badRequest(`No usable shell (${shell}) on this machine`);
  const script = o.tty === false ? null : ptyHelper();
  // a pod's shell, not this host user's: no rc files (they may wait on tools of the host, and would reset PS1)
  const args = /bash$/.test(bin) ? ['--norc', '-i'] : /zsh$/.test(bin) ? ['-f', '-i'] : ['-i'];
  // `script` starts its command with `$SHELL -c`, and a non-interactive bash drops PS1: /bin/sh starts it instead,
  // handing the prompt and SHELL on through variables it expands itself (no value is spliced into the command)
  const ptyCommand = `exec env -u BENCHOPS_PS1 -u BENCHOPS_SHELL SHELL="$BENCHOPS_SHELL" PS1="$BENCHOPS_PS1" ${[bin, ...args].join(' ')}`;
  const ptyEnv = { ...env, TERM: 'xterm-256color', SHELL: '/bin/sh', BENCHOPS_SHELL: env.SHELL ?? bin, BENCHOPS_PS1: env.PS1 ?? '$ ' };
  const p = script
    ? spawn(script, ['-q', '-f', '-e', '-c', ptyCommand, '/dev/null'], { cwd, env: ptyEnv, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    : spawn(bin, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
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

  // the pty's slave (the shell's stdin), found once the shell runs; one stty at a time, the latest size wins
  let slave: string | null = null;
  let wanted: { rows: number; cols: number } | null = null;
  let sizing = false;
  const applySize = () => {
    if (sizing || !wanted || done || !p.pid) return;
    if (!slave) {
      const child = childOf(p.pid);
      try {
        const fd0 = child ? readlinkSync(`/proc/${child}/fd/0`) : '';
        if (/^\/dev\/pts\/\d+$/.test(fd0)) slave = fd0;
      } catch {
        // not started yet
      }
      // the shell is not up yet: its first output tries again
      if (!slave) return;
    }
    const { rows, cols } = wanted;
    wanted = null;
    sizing = true;
    execFile('stty', ['-F', slave, 'rows', String(rows), 'cols', String(cols)], { timeout: 5000 }, () => {
      sizing = false;
      applySize();
    });
  };
  if (script) p.stdout.on('data', applySize);

  return {
    tty: !!script,
    write: (d) => {
      if (!done) p.stdin.write(d);
    },
    resize: (rows, cols) => {
      if (!script) return;
      wanted = { rows, cols };
      applySize();
    },
    close: () => {
      if (p.exitCode !== null || p.signalCode !== null || !p.pid) return;
      // the shell leads its own session on the pty: hang it up as a closed terminal would, then end `script`
      const child = script ? childOf(p.pid) : null;
      if (child) killGroup(child, 'SIGHUP');
      killGroup(p.pid, 'SIGKILL');
    },
  };
}
