#!/usr/bin/env node
// Runs the compiled CLI when BENCHOPS_USE_DIST=1 (the container image) or when the sources are absent;
// otherwise runs the TypeScript sources through tsx so a checkout needs no build step.
//
// `bench` and `job run` (the commands that run a load) start again as a child with V8's --single-threaded-gc: a load
// generator's event loop is pinned to a core (or shares the machine with a local server), and parallel and concurrent
// GC helper threads then compete with it for that core: 1–8 % less client CPU per non-streaming request measured on
// one core, no difference beyond noise for streaming (bench/loadgen-vs-vllm.ts --non-streaming-only --gc both). It has to be a V8 flag at start: v8.setFlagsFromString('--single-threaded-gc') once
// the heap runs aborts V8 (a concurrent-marking check fails at the next GC), NODE_OPTIONS does not take V8 GC flags,
// and a Worker's execArgv takes no V8 options. With it, --no-memory-reducer: at a low load (one stream) V8's memory
// reducer starts full mark-compacts to shrink an idle heap, and with one GC thread their atomic pauses (1–6 ms
// measured, `node --single-threaded-gc --trace-gc --import tsx bench/loadgen-accuracy.ts --conc 1`) stop the loop that
// timestamps reads; a load run's heap is short-lived and need not shrink. BENCHOPS_PARALLEL_GC=1 keeps V8's defaults.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FLAG = '--single-threaded-gc';
const FLAGS = [FLAG, '--no-memory-reducer'];
const [cmd, sub] = process.argv.slice(2);
const runsLoad = cmd === 'bench' || (cmd === 'job' && sub === 'run');
if (runsLoad && !process.execArgv.includes(FLAG) && process.env.BENCHOPS_PARALLEL_GC !== '1') {
  const child = spawn(process.execPath, [...FLAGS, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // the child is in this process group: a terminal's Ctrl-C reaches it directly (forwarding it too would be a second
  // SIGINT, which ends `bench` without its report); a signal sent to this process alone is passed on
  const forward = (sig) => () => {
    if (sig === 'SIGINT' && process.stdin.isTTY) return;
    child.kill(sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, forward(sig));
  child.on('error', (e) => {
    console.error(`benchops: cannot start ${process.execPath}: ${e.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  const dist = new URL('../dist/cli/index.js', import.meta.url);
  const src = new URL('../src/cli/index.ts', import.meta.url);
  if (process.env.BENCHOPS_USE_DIST === '1' || !existsSync(src)) {
    await import(dist.href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(src.href);
  }
}
