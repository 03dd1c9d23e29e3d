/**
 * The emulator's own timing under load (issue 16): the emulated server (fixed profile) pinned to one core, a lean raw
 * client (keep-alive sockets, chunks counted by their SSE separators, no JSON parsing) pinned to another; then the
 * server's own per-chunk records against its profile give its timing error (TTFT = first chunk − arrival − profile
 * TTFT; ITL = gap − profile ITL; a chunk's time is recorded when the write that carries it returned), and /proc gives
 * its CPU (also per token: what load on a shared machine changes least).
 *
 * Run: npx tsx bench/emulator-load.ts [--streams 1000] [--ttft 50] [--itl 10] [--tokens 100] [--seconds 8]
 *      [--server-core 0] [--client-core 1] [--workers 1] [--no-records] [--chat] [--nice -10]
 * Saturation (tokens/s on one core): npx tsx bench/emulator-load.ts --streams 1000 --itl 1 --no-records
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { spawnEmulator } from '../src/simulator/index.ts';
import type { RequestRecord } from '../src/simulator/server.ts';

const { values: a } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    ttft: { type: 'string', default: '50' },
    itl: { type: 'string', default: '10' },
    tokens: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '8' },
    'server-core': { type: 'string', default: '0' },
    'client-core': { type: 'string', default: '1' },
    workers: { type: 'string', default: '1' },
    'no-records': { type: 'boolean', default: false },
    chat: { type: 'boolean', default: false },
    /** renice the server (root only; a busy shared machine otherwise takes its core away mid-measurement) */
    nice: { type: 'string' },
    /** drive a server started elsewhere (e.g. under node --cpu-prof); its CPU is then not measured */
    url: { type: 'string' },
  },
});
const STREAMS = Number(a.streams);
const TTFT = Number(a.ttft);
const ITL = Number(a.itl);
const TOKENS = Number(a.tokens);
const SECONDS = Number(a.seconds);
const records = !a['no-records'];

const pin = (pid: number, core: string) => {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
/** CPU seconds (user + system) of a process and its threads, from /proc; `sys` only the kernel's share. */
const cpuOf = (pid: number, sys = false): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((sys ? 0 : Number(fields[11])) + Number(fields[12])) / 100;
};
/** Seconds a process's threads were runnable but waited for a core (/proc/<pid>/task/<tid>/schedstat): the machine's share of the lateness. */
const runqWaitOf = (pid: number): number => {
  let ns = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return 0;
  }
  return ns / 1e9;
};
const childPids = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

const args = ['--port', '0', '--profile', 'fixed', '--ttft-ms', String(TTFT), '--itl-ms', String(ITL), '--served-model-name', 'm'];
if (!records) args.push('--no-records');
if (Number(a.workers) > 1) args.push('--workers', a.workers!);
const emu = a.url ? { url: a.url, child: { pid: process.pid }, stop: async () => 0 } : await spawnEmulator(args);
const serverPid = a.url ? 0 : emu.child.pid!;
const pids = () => (serverPid ? [serverPid, ...childPids(serverPid)] : []);
const pinnedServer = pids().every((p) => pin(p, a['server-core']!));
const pinnedClient = pin(process.pid, a['client-core']!);
if (a.nice !== undefined) for (const p of pids()) execFileSync('renice', ['-n', a.nice, '-p', String(p)], { stdio: 'ignore' });
const u = new URL(emu.url);
const path = a.chat ? '/v1/chat/completions' : '/v1/completions';
const body = JSON.stringify(
  a.chat
    ? { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: TOKENS, ignore_eos: true, stream: true }
    : { model: 'm', prompt: ' ba be bi', max_tokens: TOKENS, ignore_eos: true, stream: true },
);
const request = Buffer.from(`POST ${path} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
const END = Buffer.from('\r\n0\r\n\r\n');
const SEP = 0x0a;

let chunks = 0;
let completed = 0;
let stopping = false;
let measuring = false;
const opened: net.Socket[] = [];
/** One keep-alive connection that sends the next request when the previous response's last chunk is in. */
function stream(): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.setNoDelay(true);
      s.write(request);
    });
    opened.push(s);
    let prevNl = false;
    s.on('data', (b: Buffer) => {
      // count "\n\n" (SSE event ends) without decoding: the client must cost far less than the server
      let n = 0;
      for (let i = 0; i < b.length; i++) {
        if (b[i] === SEP) {
          if (prevNl) n++;
          prevNl = true;
        } else prevNl = false;
      }
      if (measuring) chunks += n;
      if (b.length >= END.length && b.subarray(b.length - END.length).equals(END)) {
        if (measuring) completed++;
        if (stopping) {
          s.destroy();
          return resolve();
        }
        s.write(request);
      }
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const all = Array.from({ length: STREAMS }, (_, i) => new Promise<void>((r) => setTimeout(() => stream().then(r), (i * 500) / STREAMS)));
// ramp (open connections over 0.5 s), then warm up for 1 s before the measured window
await new Promise((r) => setTimeout(r, 1500));
await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
const cpu0 = pids().reduce((s, p) => s + cpuOf(p), 0);
const sys0 = pids().reduce((s, p) => s + cpuOf(p, true), 0);
const wait0 = pids().reduce((s, p) => s + runqWaitOf(p), 0);
const c0 = process.cpuUsage();
const t0 = performance.now();
const wall0 = performance.timeOrigin + t0;
measuring = true;
await new Promise((r) => setTimeout(r, SECONDS * 1000));
measuring = false;
const wall1 = performance.timeOrigin + performance.now();
const elapsed = (performance.now() - t0) / 1000;
const cpu1 = pids().reduce((s, p) => s + cpuOf(p), 0);
const sys1 = pids().reduce((s, p) => s + cpuOf(p, true), 0);
const wait1 = pids().reduce((s, p) => s + runqWaitOf(p), 0);
const cc = process.cpuUsage(c0);
stopping = true;
let recs: RequestRecord[] = [];
if (records) recs = (await (await fetch(`${emu.url}/benchops/records`)).json()) as RequestRecord[];
await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 15_000))]);
for (const s of opened) s.destroy();
await emu.stop();

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

console.log(`emulator fixed profile TTFT ${TTFT} ms / ITL ${ITL} ms, ${STREAMS} streams × ${TOKENS} tokens, ${SECONDS} s measured, workers ${a.workers}, records ${records ? 'on' : 'off'}`);
console.log(`pinned: server → core ${a['server-core']} ${pinnedServer ? 'yes' : 'NO'}, client → core ${a['client-core']} ${pinnedClient ? 'yes' : 'NO'}${a.nice !== undefined ? `, server nice ${a.nice}` : ''}; load average ${load0} before, ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} after`);
console.log(`tokens/s (client-counted chunks): ${(chunks / elapsed).toFixed(0)}; completed requests ${completed}; server CPU ${((cpu1 - cpu0) / elapsed).toFixed(2)} core(s) (${((sys1 - sys0) / elapsed).toFixed(2)} in the kernel), ${chunks ? (((cpu1 - cpu0) * 1e6) / chunks).toFixed(2) : '—'} µs per token, waited for a core ${(((wait1 - wait0) * 1000) / elapsed).toFixed(0)} ms/s; client CPU ${((cc.user + cc.system) / 1e6 / elapsed).toFixed(2)} core(s)`);
if (records) {
  // only requests that started and ended inside the window: full TTFT and ITL sequences
  const inside = recs.filter((r) => r.arrival_ms >= wall0 && r.chunk_ms.length && r.chunk_ms[r.chunk_ms.length - 1] <= wall1);
  const ttftErr = inside.map((r) => r.chunk_ms[0] - r.arrival_ms - TTFT);
  const itlErr: number[] = [];
  for (const r of inside) for (let i = 1; i < r.chunk_ms.length; i++) itlErr.push(r.chunk_ms[i] - r.chunk_ms[i - 1] - ITL);
  // lateness against the anchored schedule (what a client sees accumulate): chunk i − (arrival + TTFT + i·ITL)
  const late: number[] = [];
  for (const r of inside) for (let i = 0; i < r.chunk_ms.length; i++) late.push(r.chunk_ms[i] - (r.arrival_ms + TTFT + i * ITL));
  const serverTokens = recs.reduce((n, r) => n + r.chunk_ms.filter((t) => t >= wall0 && t <= wall1).length, 0);
  console.log(`server-recorded tokens/s: ${(serverTokens / elapsed).toFixed(0)}; requests inside the window: ${inside.length}`);
  // phase alignment: where in the ITL cycle the streams' chunks are due (uniform: each 1 ms slot holds 1 ms / ITL of them)
  if (ITL >= 2) {
    const slots = new Array<number>(Math.floor(ITL)).fill(0);
    for (const r of inside) slots[Math.floor(((r.arrival_ms + TTFT) % ITL) / (ITL / slots.length))]++;
    console.log(`phase alignment: the busiest 1 ms of the ${ITL} ms cycle holds ${((100 * Math.max(...slots)) / Math.max(1, inside.length)).toFixed(1)} % of the streams' due times (uniform ${(100 / slots.length).toFixed(1)} %)`);
  }
  console.log('| emulator timing error (ms) | mean | p50 | p99 | max |');
  console.log('|---|---|---|---|---|');
  console.log(`| TTFT | ${f(mean(ttftErr))} | ${f(pct(ttftErr, 50))} | ${f(pct(ttftErr, 99))} | ${f(Math.max(...ttftErr))} |`);
  console.log(`| ITL | ${f(mean(itlErr))} | ${f(pct(itlErr, 50))} | ${f(pct(itlErr, 99))} | ${f(pct(itlErr, 100))} |`);
  console.log(`| chunk vs schedule | ${f(mean(late))} | ${f(pct(late, 50))} | ${f(pct(late, 99))} | ${f(pct(late, 100))} |`);
}
