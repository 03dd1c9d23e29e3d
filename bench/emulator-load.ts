/**
 * The emulator's own timing under load (issue 16): the emulated server (fixed profile) pinned to one core, a lean raw
 * client (keep-alive sockets, chunks counted by their SSE separators, no JSON parsing) pinned to another; then the
 * server's own per-chunk records against its profile give its timing error (TTFT = first chunk − arrival − profile
 * TTFT; ITL = gap − profile ITL; a chunk's time is recorded when the write that carries it returned), and /proc gives
 * its CPU (also per token: what load on a shared machine changes least).
 *
 * Tokens are the server's (its records, or vllm:generation_tokens_total with --no-records and one worker), chunks the
 * client's SSE events less each response's [DONE]: a late stream carries several tokens in one chunk (as vLLM's output
 * collector merges them), so the two differ under overload. Arrival lag: the client's send time of each request
 * (performance.timeOrigin + performance.now(), one monotonic clock in both processes) to the server's arrival stamp,
 * matched by the response's id: how late the server reads a new request while it is busy writing chunks.
 *
 * Run: npx tsx bench/emulator-load.ts [--streams 1000] [--ttft 50] [--itl 10] [--tokens 100] [--seconds 8]
 *      [--server-core 0] [--client-core 1] [--workers 1] [--no-records] [--chat] [--nice=-10]
 *      [--perf] (perf record -g of the server over the window, node --perf-basic-prof: split by binary, top symbols)
 *      [--strace] (strace -c -f of the server over the window: system calls per chunk; slows the server)
 *      (KEEP_PERF=1 keeps perf.data and the server's /tmp/perf-<pid>.map for perf script)
 * Saturation (tokens/s on one core): npx tsx bench/emulator-load.ts --streams 1000 --itl 1 --no-records
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    perf: { type: 'boolean', default: false },
    strace: { type: 'boolean', default: false },
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
const env = a.perf ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --perf-basic-prof`.trim() } : undefined;
const emu = a.url ? { url: a.url, child: { pid: process.pid }, stop: async () => 0 } : await spawnEmulator(args, { env });
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

const epochNow = () => performance.timeOrigin + performance.now();
let events = 0;
let completed = 0;
/** Request id (from its first chunk) → the client's send time (epoch ms on the monotonic clock). */
const sentAt = new Map<string, number>();
const ID = Buffer.from('"id":"');
let stopping = false;
let measuring = false;
const opened: net.Socket[] = [];
/** One keep-alive connection that sends the next request when the previous response's last chunk is in. */
function stream(): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.setNoDelay(true);
      send();
    });
    opened.push(s);
    let prevNl = false;
    let sent = 0;
    let idFound = false;
    const send = () => {
      sent = epochNow();
      idFound = false;
      s.write(request);
    };
    s.on('data', (b: Buffer) => {
      if (!idFound) {
        const at = b.indexOf(ID);
        if (at >= 0) {
          idFound = true;
          const end = b.indexOf(0x22, at + ID.length);
          if (measuring) sentAt.set(b.toString('latin1', at + ID.length, end), sent);
        }
      }
      // count "\n\n" (SSE event ends) without decoding: the client must cost far less than the server
      let n = 0;
      for (let i = 0; i < b.length; i++) {
        if (b[i] === SEP) {
          if (prevNl) n++;
          prevNl = true;
        } else prevNl = false;
      }
      if (measuring) events += n;
      if (b.length >= END.length && b.subarray(b.length - END.length).equals(END)) {
        if (measuring) completed++;
        if (stopping) {
          s.destroy();
          return resolve();
        }
        send();
      }
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
// records cleared before the first request: a request in flight when the window opens keeps its record (its tokens
// inside the window count), and the window is cut from every record by time
await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
const all = Array.from({ length: STREAMS }, (_, i) => new Promise<void>((r) => setTimeout(() => stream().then(r), (i * 500) / STREAMS)));
// ramp (open connections over 0.5 s), then warm up for 1 s before the measured window
await new Promise((r) => setTimeout(r, 1500));
const genTokens = async () => Number(/^vllm:generation_tokens_total\{[^}]*\} (\S+)/m.exec(await (await fetch(`${emu.url}/metrics`)).text())?.[1] ?? NaN);
const gen0 = await genTokens();
const workDir = a.perf || a.strace ? mkdtempSync(join(tmpdir(), 'emu-load-')) : '';
let tracer: ChildProcess | undefined;
if (a.perf) tracer = spawn('perf', ['record', '-g', '-F', '999', '-o', join(workDir, 'perf.data'), '-p', pids().join(',')], { stdio: 'ignore' });
if (a.strace) tracer = spawn('strace', ['-c', '-f', '-o', join(workDir, 'strace.txt'), ...pids().flatMap((p) => ['-p', String(p)])], { stdio: 'ignore' });
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
const gen1 = await genTokens();
const traced = tracer ? new Promise((r) => tracer!.once('exit', r)) : undefined;
tracer?.kill('SIGINT');
await traced;
stopping = true;
let recs: RequestRecord[] = [];
if (records) recs = (await (await fetch(`${emu.url}/benchops/records`)).json()) as RequestRecord[];
await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 15_000))]);
for (const s of opened) s.destroy();
let perfReport = '';
if (a.perf) {
  const report = (mode: string, sort: string, limit: string) =>
    execFileSync('perf', ['report', '-i', join(workDir, 'perf.data'), '--stdio', mode, '--sort', sort, '--percent-limit', limit, '-g', 'none'], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => /^\s+\d/.test(l));
  // inclusive shares of the paths a chunk takes (perf's children view), as µs per chunk at the window's CPU per chunk
  const paths: Array<[string, RegExp]> = [
    ['tick clock wake-up (all chunk writes)', /JS:\S* file:\S*tick-clock\.ts/],
    ["Node stream write (Writable.write and below)", /JS:\S?Writable\.write /],
    ['StreamBase write (C++: string copy + syscall)', /StreamBase::WriteString|StreamBase::WriteBuffer|StreamBase::Writev/],
    ['write syscall (libc write and the kernel below)', /\[\.\] (__GI___libc_write|__libc_write|write)$/],
    ['  of it: loopback receive (softirq in the writer)', /\[k\] do_softirq/],
    ['socket reads (requests in: parse + handling)', /\[\.\] uv__read$/],
    ['epoll_wait', /\[k\] (__x64_sys_epoll_wait|do_epoll_wait)$/],
    ['V8 background threads (GC, compiler)', /PlatformWorkerThread$/],
  ];
  const children = report('--children', 'sym', '0.3');
  const cpuPerChunk = ((cpu1 - cpu0) * 1e6) / Math.max(1, events - completed);
  const rows = paths.map(([label, re]) => {
    const line = children.find((l) => re.test(l.trim()));
    const share = line ? Number(/^\s*([\d.]+)%/.exec(line)![1]) : 0;
    return `  ${label.padEnd(50)} ${share.toFixed(1).padStart(5)} %  ${((share / 100) * cpuPerChunk).toFixed(2)} µs/chunk`;
  });
  perfReport = [
    `perf record -g of the server (cpu-clock samples, every thread; node --perf-basic-prof), by binary:`,
    ...report('--no-children', 'dso', '1'),
    `inclusive paths (share of samples, µs per chunk at ${cpuPerChunk.toFixed(2)} µs CPU per chunk):`,
    ...rows,
    `top symbols (self):`,
    ...report('--no-children', 'dso,sym', '1.2'),
  ].join('\n');
}
await emu.stop();
for (const p of pids().concat(serverPid)) if (!process.env.KEEP_PERF && existsSync(`/tmp/perf-${p}.map`)) rmSync(`/tmp/perf-${p}.map`);

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

console.log(`emulator fixed profile TTFT ${TTFT} ms / ITL ${ITL} ms, ${STREAMS} streams × ${TOKENS} tokens, ${SECONDS} s measured, workers ${a.workers}, records ${records ? 'on' : 'off'}`);
console.log(`pinned: server → core ${a['server-core']} ${pinnedServer ? 'yes' : 'NO'}, client → core ${a['client-core']} ${pinnedClient ? 'yes' : 'NO'}${a.nice !== undefined ? `, server nice ${a.nice}` : ''}`);
const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
// the client's SSE events less each completed response's [DONE] (completions: no role chunk, no usage chunk)
const chunks = events - completed;
const inWindow = (t: number) => t >= wall0 && t <= wall1;
const serverTokens = records ? recs.reduce((n, r) => n + r.chunk_ms.filter(inWindow).length, 0) : Number(a.workers) > 1 ? NaN : gen1 - gen0;
const tokens = Number.isFinite(serverTokens) ? serverTokens : chunks;
const cpuUs = (cpu1 - cpu0) * 1e6;
console.log(`load average ${load0} before, ${load1} after`);
console.log(`tokens/s ${(tokens / elapsed).toFixed(0)} (${records ? 'server records' : Number.isFinite(serverTokens) ? 'server /metrics' : 'client chunks: no token count with --no-records and workers'}); chunks/s ${(chunks / elapsed).toFixed(0)} (client-counted); tokens per chunk ${(tokens / chunks).toFixed(2)}; completed requests ${completed}`);
console.log(`server CPU ${((cpu1 - cpu0) / elapsed).toFixed(2)} core(s) (${((sys1 - sys0) / elapsed).toFixed(2)} in the kernel): ${(cpuUs / tokens).toFixed(2)} µs per token, ${(cpuUs / chunks).toFixed(2)} µs per chunk (kernel ${(((sys1 - sys0) * 1e6) / chunks).toFixed(2)}); waited for a core ${(((wait1 - wait0) * 1000) / elapsed).toFixed(0)} ms/s; client CPU ${((cc.user + cc.system) / 1e6 / elapsed).toFixed(2)} core(s)`);
if (records) {
  // only requests that started and ended inside the window: full TTFT and ITL sequences
  const inside = recs.filter((r) => r.arrival_ms >= wall0 && r.chunk_ms.length && r.chunk_ms[r.chunk_ms.length - 1] <= wall1);
  const ttftErr = inside.map((r) => r.chunk_ms[0] - r.arrival_ms - TTFT);
  // a token's ITL is its write time less the previous token's (0 within one chunk, as a client sees it)
  const itlErr: number[] = [];
  for (const r of inside) for (let i = 1; i < r.chunk_ms.length; i++) itlErr.push(r.chunk_ms[i] - r.chunk_ms[i - 1] - ITL);
  // lateness against the anchored schedule (what a client sees accumulate): chunk i − (arrival + TTFT + i·ITL)
  const late: number[] = [];
  for (const r of inside) for (let i = 0; i < r.chunk_ms.length; i++) late.push(r.chunk_ms[i] - (r.arrival_ms + TTFT + i * ITL));
  // arrival lag: client send → server arrival stamp
  const lagMs: number[] = [];
  for (const r of recs) {
    const t = sentAt.get(r.id);
    // requests sent inside the window (a connection's first request, sent at connect during the ramp, waits in the accept queue)
    if (t !== undefined && t >= wall0) lagMs.push(r.arrival_ms - t);
  }
  console.log(`requests inside the window: ${inside.length}; arrival lag (client send → server arrival stamp, ${lagMs.length} requests): p50 ${f(pct(lagMs, 50))} ms, p99 ${f(pct(lagMs, 99))} ms, max ${f(pct(lagMs, 100))} ms`);
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
if (a.strace) {
  const lines = readFileSync(join(workDir, 'strace.txt'), 'utf8').split('\n');
  console.log(`strace -c -f of the server over the window (calls per chunk in the last column; the server runs slower traced):`);
  for (const l of lines) {
    const m = /^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$/.exec(l);
    if (m && Number(m[1]) >= 0.5) console.log(`  ${m[6].padEnd(16)} ${m[1].padStart(6)} % of syscall time, ${m[3].padStart(6)} µs/call, ${m[4].padStart(8)} calls, ${(Number(m[4]) / Math.max(1, chunks)).toFixed(3)} per chunk`);
  }
}
if (perfReport) console.log(perfReport);
if (workDir && !process.env.KEEP_PERF) rmSync(workDir, { recursive: true, force: true });
else if (workDir) console.log(`kept ${workDir}`);
