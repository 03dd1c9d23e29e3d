/**
 * Where a 1,024-stream start waits (issue 16): one benchops run at `--conc` streams against the pinned emulator (fixed
 * TTFT 50 ms / ITL 10 ms), the client pinned to another core and warmed up first as bench/loadgen-vs-vllm.ts does.
 * Prints, for the measured run: the kernel's TCP counters that move (nstat deltas: SYN and segment retransmits, listen
 * overflows and drops, backlog drops, timeouts), the socket states towards the emulator sampled during the burst (ss),
 * and per request the client's dispatch (clock start → body on a connected socket), the server's arrival after the
 * clock start, and TTFT error (p50/p99/max against the emulator's own records), first wave apart from the rest.
 * Optionally the vLLM request-function peer too (`--peer`), for its TTFT error.
 * With `--perf`, each client's system calls over its measured run (perf stat on the client process: reads, epoll
 * waits, writes per chunk) and the segments on the loopback per chunk (TcpOutSegs: the server's chunks plus the
 * client's ACKs), to say where a chunk's kernel time goes.
 * Run: flock /tmp/bench.lock npx tsx bench/loadgen-burst.ts [--conc 1024] [--waves 3] [--output-len 64] [--peer]
 *      [--mode warm|cold|preconnect] [--perf] [--perf-record] [--gc single|parallel] [--server-core 0] [--client-core 1] [--reps 1]
 * `--replay N`: no server and no load; N emulator-shaped responses (head, --output-len chunks as the emulator frames
 * them, usage, [DONE]) are fed to the lean transport's connection parser one chunk per read, in this process and on its
 * core, and the client's CPU per chunk is printed (median and min of 5 batches): the JS a chunk costs (framing, SSE
 * split, scan, record) plus its request's share (startRequest, the request's write to a local sink, the record), without
 * the kernel's or libuv's per-read cost. Run pinned: taskset -c 1 npx tsx bench/loadgen-burst.ts --replay 30000
 * `--perf-record`: where each client's CPU goes over its measured run, by binary (perf record -p, the benchops client
 * with --perf-basic-prof so V8's generated code is one "JIT" entry).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBenchmark } from '../src/loadgen/index.ts';
import { spawnEmulator } from '../src/simulator/index.ts';
import type { RequestRecord } from '../src/simulator/server.ts';
import { mean, percentileLinear, runPinned } from './common.ts';

const { values: a } = parseArgs({
  options: {
    conc: { type: 'string', default: '1024' },
    waves: { type: 'string', default: '3' },
    reps: { type: 'string', default: '1' },
    'output-len': { type: 'string', default: '64' },
    'server-core': { type: 'string', default: '0' },
    'client-core': { type: 'string', default: '1' },
    peer: { type: 'boolean', default: false },
    /** cold: the measured run connects anew; warm: num_warmups = conc on the run's own pool; preconnect: opened before time zero */
    mode: { type: 'string', default: 'warm' },
    /** count each client's system calls over its measured run (perf stat -p on the client process) */
    perf: { type: 'boolean', default: false },
    /** the client process with V8's --single-threaded-gc (as bin/benchops.js runs bench) or its parallel default */
    gc: { type: 'string', default: 'single' },
    /** sample each client's CPU over its measured run (perf record) and print its split by binary (kernel, node, JIT'd JS, libc…) */
    'perf-record': { type: 'boolean', default: false },
    /** with --perf-record: call graphs (perf record -g) and the top callers printed */
    'perf-g': { type: 'boolean', default: false },
    /** with --perf-record: keep perf.data and the client's symbol map in this folder (for perf report by hand) */
    'perf-keep': { type: 'string' },
    /** instead of a load: N emulator-shaped streamed responses replayed through the lean client's parse path in-process */
    replay: { type: 'string' },
    'as-client': { type: 'string' },
  },
});

const COUNTERS = ['TcpExtTCPSynRetrans', 'TcpRetransSegs', 'TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtTCPBacklogDrop', 'TcpExtTCPTimeouts', 'TcpExtTCPReqQFullDrop', 'TcpExtTCPReqQFullDoCookies', 'TcpExtSyncookiesSent', 'TcpExtTCPLossProbes', 'TcpExtTCPSpuriousRTOs', 'TcpExtTCPRcvQDrop', 'TcpExtPruneCalled', 'TcpExtTCPOFOQueue', 'TcpActiveOpens', 'TcpPassiveOpens', 'TcpAttemptFails', 'TcpOutSegs', 'TcpExtDelayedACKs', 'TcpExtTCPPureAcks', 'TcpExtTCPHPAcks', 'TcpExtTCPHPHits'];

/** Absolute TCP counters (nstat -asz: no history file touched). */
function counters(): Map<string, number> {
  const out = execFileSync('nstat', ['-asz'], { encoding: 'utf8' });
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

const ms = (x: number) => (Number.isFinite(x) ? (x * 1000).toFixed(1) : '—');

interface ClientOut {
  origin_unix_s: number;
  reqs: Array<{ index: number; start: number; sent: number; ttft: number; ok: boolean }>;
  /** every measured gap between chunks (s) */
  itls: number[];
  deltas: Record<string, number>;
  load_cpu_s: number;
  load_sys_s: number;
  chunks: number;
  at_start: number;
}

if (a['as-client']) {
  const o = JSON.parse(a['as-client']) as { url: string; n: number; c: number; len: number; mode: string; perf: boolean };
  const opts = { base_url: o.url, model: 'm', tokenizer: 'bundled' as const, workers: 1, num_prompts: o.n, max_concurrency: o.c, random_input_len: 8, random_output_len: o.len, stream: true, save_detailed: true };
  const w = Math.max(256, o.c);
  await runBenchmark({ ...opts, num_prompts: Math.max(1024, w), max_concurrency: w });
  await fetch(`${o.url}/benchops/records`, { method: 'DELETE' });
  await new Promise((r) => setTimeout(r, 500));
  const c0 = counters();
  process.stderr.write('MEASURE\n');
  // perf attaches meanwhile (it counts the in-run warm-up too: use --mode preconnect, whose probes are few)
  if (o.perf) await new Promise((r) => setTimeout(r, 300));
  let l0: NodeJS.CpuUsage | null = null;
  let l1: NodeJS.CpuUsage | null = null;
  const r = await runBenchmark({ ...opts, num_warmups: o.mode === 'warm' ? o.c : 0, preconnect: o.mode === 'preconnect' }, {
    onProgress: (p) => {
      // LOAD / LOADEND: a perf attached with a control fifo counts the load alone (stderr to a pipe is synchronous)
      if (p.phase === 'running' && !l0) {
        process.stderr.write('LOAD\n');
        l0 = process.cpuUsage();
      }
      if (p.phase === 'done' && l0 && !l1) {
        l1 = process.cpuUsage(l0);
        process.stderr.write('LOADEND\n');
      }
    },
  });
  const c1 = counters();
  const lu = l1 as NodeJS.CpuUsage | null;
  const out: ClientOut = {
    origin_unix_s: r.benchops.origin_unix_s ?? 0,
    reqs: (r.requests ?? []).map((x) => ({ index: x.index, start: x.start_time, sent: x.sent_time ?? x.start_time, ttft: x.ttft, ok: x.success })),
    itls: r.itls.flat(),
    deltas: Object.fromEntries(COUNTERS.map((k) => [k, (c1.get(k) ?? 0) - (c0.get(k) ?? 0)])),
    load_cpu_s: lu ? (lu.user + lu.system) / 1e6 : NaN,
    load_sys_s: lu ? lu.system / 1e6 : NaN,
    chunks: r.benchops.chunks ?? 0,
    at_start: r.benchops.connections_at_start ?? 0,
  };
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
  await new Promise(() => {});
}

if (a.replay) {
  const { startRequest, poolOfTarget, makeAgent } = await import('../src/loadgen/client.ts');
  const net = await import('node:net');
  // a sink for the requests' writes; the responses are fed to the connection's parser by hand
  const sink = net.createServer((s) => {
    s.on('data', () => {});
    s.on('error', () => {});
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const url = new URL(`http://127.0.0.1:${(sink.address() as import('node:net').AddressInfo).port}/v1/completions`);
  const t = { url, chat: false, model: 'm', headers: {}, agent: makeAgent(url, 4), stream: true, timeoutMs: 60_000, extraBody: { ignore_eos: true } };
  const len = Number(a['output-len']);
  const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\nconnection: keep-alive\r\nDate: Wed, 02 Dec 2026 05:12:12 GMT\r\nTransfer-Encoding: chunked\r\n\r\n';
  const words = [' rike', ' beri', ' podi', ' meva', ' ba', ' tolu'];
  const msg = (k: number) => `data: {"id":"cmpl-000000010","object":"text_completion","created":1796188332,"model":"m","choices":[{"index":0,"text":"${words[k % words.length]}","logprobs":null,"finish_reason":${k === len - 1 ? '"length"' : 'null'},"stop_reason":null}]}\n\n`;
  const usage = `data: {"id":"cmpl-000000010","object":"text_completion","created":1796188332,"model":"m","choices":[],"usage":{"prompt_tokens":3,"total_tokens":${len + 3},"completion_tokens":${len},"prompt_tokens_details":null}}\n\ndata: [DONE]\n\n`;
  const reads = Array.from({ length: len }, (_, k) => {
    const d = msg(k) + (k === len - 1 ? usage : '');
    return Buffer.from(`${k === 0 ? head : ''}${Buffer.byteLength(d).toString(16)}\r\n${d}\r\n${k === len - 1 ? '0\r\n\r\n' : ''}`);
  });
  const buf = Buffer.allocUnsafe(65536);
  let chunks = 0;
  const one = () =>
    new Promise<void>((resolve, reject) =>
      startRequest(t, 'p', len, 0, undefined, (r) => {
        if (!r.success) reject(new Error(r.error));
        chunks += r.chunks.length;
        resolve();
      }),
    );
  // the first request opens the connection; every later one reuses it, and its reads are the replayed ones
  const first = one();
  const pool = poolOfTarget(t)!;
  while (pool.size === 0 || (pool as unknown as { pending: Set<unknown> }).pending.size) await new Promise((r) => setTimeout(r, 5));
  const conn = [...(pool as unknown as { all: Set<{ onData(b: Buffer, n: number): void }> }).all][0];
  const feed = () => {
    for (const x of reads) {
      x.copy(buf);
      conn.onData(buf, x.length);
    }
  };
  feed();
  await first;
  const batch = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const p = one();
      feed();
      await p;
    }
  };
  const n = Number(a.replay);
  await batch(Math.min(5000, n));
  const per: number[] = [];
  for (let r = 0; r < 5; r++) {
    chunks = 0;
    const c0 = process.cpuUsage();
    await batch(Math.ceil(n / 5));
    const c = process.cpuUsage(c0);
    per.push(((c.user + c.system) * 1000) / chunks);
  }
  per.sort((x, y) => x - y);
  console.log(`replay: ${n} responses of ${len} chunks through the lean client's parser: ${per[2].toFixed(0)} ns CPU per chunk (median of 5 batches; min ${per[0].toFixed(0)}); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  process.exit(0);
}

const C = Number(a.conc);
const N = C * Number(a.waves);
const LEN = Number(a['output-len']);
const HERE = path.dirname(new URL(import.meta.url).pathname);
const emu = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '50', '--itl-ms', '10', '--served-model-name', 'm'], { timeoutMs: 60_000 });
execFileSync('taskset', ['-a', '-p', '-c', a['server-core']!, String(emu.child.pid)], { stdio: 'ignore' });
const port = new URL(emu.url).port;

/** Socket states towards the emulator's port, sampled every 50 ms while `busy` holds. */
function sampleStates(stop: () => boolean): Promise<string[]> {
  const lines: string[] = [];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const tick = () => {
      if (stop() || performance.now() - t0 > 4000) return resolve(lines);
      const out = execFileSync('ss', ['-tanH', `( dport = :${port} or sport = :${port} )`], { encoding: 'utf8' });
      const st = new Map<string, number>();
      let acceptQ = 0;
      for (const l of out.split('\n')) {
        const f = l.trim().split(/\s+/);
        if (f.length < 4) continue;
        if (f[0] === 'LISTEN') acceptQ = Number(f[1]);
        // the client side only (the local port is not the emulator's): one row per connection
        else if (!f[3].endsWith(`:${port}`)) st.set(f[0], (st.get(f[0]) ?? 0) + 1);
      }
      lines.push(`${(performance.now() - t0).toFixed(0).padStart(5)} ms: accept queue ${acceptQ}; client sockets ${[...st].map(([k, v]) => `${k} ${v}`).join(', ')}`);
      setTimeout(tick, 50);
    };
    tick();
  });
}

const PERF_EVENTS = ['raw_syscalls:sys_enter', 'syscalls:sys_enter_read', 'syscalls:sys_enter_recvfrom', 'syscalls:sys_enter_epoll_wait', 'syscalls:sys_enter_epoll_pwait', 'syscalls:sys_enter_epoll_ctl', 'syscalls:sys_enter_write', 'syscalls:sys_enter_writev', 'syscalls:sys_enter_sendto', 'context-switches'];

/**
 * A perf control fifo (perf -D -1 --control): the counters start disabled and the benchops client's LOAD / LOADEND
 * lines on stderr (its load's first request to its last response: the in-run warm-up left out, as the peer attaches
 * after its own) switch them on and off.
 */
class PerfControl {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'perfctl-'));
  readonly fifo = path.join(this.dir, 'ctl');
  private fd = -1;
  constructor() {
    execFileSync('mkfifo', [this.fifo]);
  }
  get args(): string[] {
    return ['-D', '-1', '--control', `fifo:${this.fifo}`];
  }
  send(cmd: 'enable' | 'disable'): void {
    // read-write: opening a fifo so never blocks, whether or not perf has opened it yet
    if (this.fd < 0) this.fd = openSync(this.fifo, 'r+');
    writeSync(this.fd, cmd + '\n');
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** perf stat on `pid` until it exits (over the load only with `ctl`); resolves with event → count. */
function perfStat(pid: number, ctl?: PerfControl): Promise<Map<string, number>> {
  return new Promise((resolve) => {
    const p = spawn('perf', ['stat', '-x', ',', ...(ctl?.args ?? []), '-e', PERF_EVENTS.join(','), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', () => {
      ctl?.close();
      const m = new Map<string, number>();
      for (const l of err.split('\n')) {
        const f = l.split(',');
        if (f.length > 3 && /^\d+$/.test(f[0])) m.set(f[2], Number(f[0]));
      }
      resolve(m);
    });
  });
}
/** perf record on `pid` until it exits (over the load only with `ctl`); resolves with the share of samples per binary ("dso"). */
function perfRecord(pid: number, ctl?: PerfControl): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'perf-'));
  const file = path.join(dir, 'perf.data');
  return new Promise((resolve) => {
    const p = spawn('perf', ['record', '-F', '1999', ...(a['perf-g'] ? ['-g'] : []), ...(ctl?.args ?? []), '-o', file, '-p', String(pid)], { stdio: 'ignore' });
    p.on('exit', () => {
      ctl?.close();
      try {
        const out = execFileSync('perf', ['report', '-i', file, '--sort', 'dso', '--stdio', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const top = (o: string, n: number) => o.split('\n').map((l) => l.trim()).filter((l) => /^\d/.test(l)).slice(0, n).map((l) => l.replace(/\s+/g, ' ').replace(/\[JIT\] tid \d+/, 'JIT (V8 code)')).join('; ');
        const syms = execFileSync('perf', ['report', '-i', file, '--sort', 'sym', '--stdio', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
        resolve(`${top(out, 6)}\n    top symbols: ${top(syms, 14)}`);
      } catch (e) {
        resolve(`perf report failed: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        const keep = a['perf-keep'];
        if (keep) {
          execFileSync('mkdir', ['-p', keep]);
          execFileSync('cp', [file, path.join(keep, `perf-${pid}.data`)]);
          try {
            execFileSync('cp', ['-f', path.join('/tmp', `perf-${pid}.map`), keep], { stdio: 'ignore' });
          } catch {
            /* no symbol map (the python peer) */
          }
          process.stderr.write(`perf data kept: ${keep}/perf-${pid}.data (perf report -i it with ${keep}/perf-${pid}.map copied to /tmp)\n`);
        }
        rmSync(dir, { recursive: true, force: true });
        // --perf-basic-prof's symbol map of the client (V8 writes it to /tmp)
        rmSync(path.join('/tmp', `perf-${pid}.map`), { force: true });
      }
    });
  });
}

const perSyscalls = (m: Map<string, number>, chunks: number) => {
  const g = (k: string) => m.get(k) ?? 0;
  const x = (v: number) => (v / chunks).toFixed(2);
  return `system calls per chunk ${x(g('raw_syscalls:sys_enter'))}: reads ${x(g('syscalls:sys_enter_read') + g('syscalls:sys_enter_recvfrom'))}, epoll waits ${x(g('syscalls:sys_enter_epoll_wait') + g('syscalls:sys_enter_epoll_pwait'))}, epoll_ctl ${x(g('syscalls:sys_enter_epoll_ctl'))}, writes ${x(g('syscalls:sys_enter_write') + g('syscalls:sys_enter_writev') + g('syscalls:sys_enter_sendto'))}; context switches ${x(g('context-switches'))}`;
};

/**
 * Runs a command pinned to the client core; `onMeasure` gets its pid once it says MEASURE (its measured run begins);
 * `ctl` is switched on at its LOAD line and off at LOADEND (the benchops client's load alone).
 */
function runClient(cmd: string, args: string[], onMeasure?: (pid: number) => void, ctl?: () => PerfControl | undefined): Promise<string> {
  let at = 0;
  return runPinned(a['client-core']!, cmd, args, {
    onStderr: (err, pid) => {
      if (onMeasure && err.includes('MEASURE\n')) {
        onMeasure(pid);
        onMeasure = undefined;
      }
      const c = ctl?.();
      if (c && at === 0 && err.includes('LOAD\n')) {
        at = 1;
        c.send('enable');
      }
      if (c && at === 1 && err.includes('LOADEND\n')) {
        at = 2;
        c.send('disable');
      }
    },
  });
}

const records = async () => (await (await fetch(`${emu.url}/benchops/records`)).json()) as RequestRecord[];
try {
  for (let rep = 0; rep < Number(a.reps); rep++) {
    await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
    let done = false;
    let states: Promise<string[]> = Promise.resolve([]);
    let perf: Promise<Map<string, number>> | null = null;
    let rec: Promise<string> | null = null;
    // the benchops client's counters and samples cover its load alone (not the in-run warm-up)
    const ctl = a.perf || a['perf-record'] ? new PerfControl() : undefined;
    const out = await runClient(process.execPath, [...(a.gc === 'single' ? ['--single-threaded-gc'] : []), ...(a['perf-record'] ? ['--perf-basic-prof'] : []), '--import', 'tsx', path.join(HERE, 'loadgen-burst.ts'), '--as-client', JSON.stringify({ url: emu.url, n: N, c: C, len: LEN, mode: a.mode, perf: a.perf || a['perf-record'] })], (pid) => {
      if (a.perf) perf = perfStat(pid, ctl);
      else if (a['perf-record']) rec = perfRecord(pid, ctl);
      else states = sampleStates(() => done);
    }, () => ctl);
    done = true;
    const c = JSON.parse(out.trim().split('\n').at(-1)!) as ClientOut;
    // the measured requests only (an in-run warm-up's end before the time zero)
    const recs = (await records()).filter((r) => r.arrival_ms >= c.origin_unix_s * 1000 - 1);
    const truth = recs.filter((r) => r.chunk_ms.length).map((r) => (r.chunk_ms[0] - r.arrival_ms) / 1000);
    const arrivals = recs.map((r) => r.arrival_ms / 1000 - c.origin_unix_s).sort((x, y) => x - y);
    const ok = c.reqs.filter((x) => x.ok);
    const first = ok.filter((x) => x.start < 0.02);
    const rest = ok.filter((x) => x.start >= 0.02);
    const disp = (xs: typeof ok) => xs.map((x) => x.sent - x.start);
    console.log(`\nrep ${rep}: benchops (${a.mode}: ${c.at_start} connections open at time zero), ${C} streams, ${N} requests (${ok.length} ok), ${c.chunks} chunks, load CPU ${c.load_cpu_s.toFixed(2)} s (${((c.load_cpu_s / c.chunks) * 1e6).toFixed(2)} µs/chunk, kernel ${((c.load_sys_s / c.chunks) * 1e6).toFixed(2)}, GC ${a.gc}); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    console.log(`  nstat deltas over the measured run: ${Object.entries(c.deltas).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    console.log(`  dispatch (clock start → body on a connected socket) ms: first wave (${first.length}) p50 ${ms(percentileLinear(disp(first), 50))} p99 ${ms(percentileLinear(disp(first), 99))} max ${ms(Math.max(...disp(first)))}; later (${rest.length}) p50 ${ms(percentileLinear(disp(rest), 50))} p99 ${ms(percentileLinear(disp(rest), 99))} max ${ms(Math.max(...disp(rest)))}`);
    console.log(`  server arrivals (s after time zero) of the first ${C}: p50 ${ms(arrivals[C >> 1])} p99 ${ms(arrivals[Math.floor(C * 0.99)])} last ${ms(arrivals[C - 1])}; over 900 ms: ${arrivals.slice(0, C).filter((x) => x > 0.9).length}`);
    const ti = recs.flatMap((x) => x.chunk_ms.slice(1).map((t, i) => (t - x.chunk_ms[i]) / 1000));
    console.log(`  ITL error vs the emulator's records ms: mean ${ms(mean(c.itls) - mean(ti))}, p99 ${ms(percentileLinear(c.itls, 99) - percentileLinear(ti, 99))}`);
    const tt = ok.map((x) => x.ttft);
    console.log(`  TTFT error vs the emulator's records ms: mean ${ms(mean(tt) - mean(truth))}, p99 ${ms(percentileLinear(tt, 99) - percentileLinear(truth, 99))}; TTFT p50/p99/max ${ms(percentileLinear(tt, 50))} / ${ms(percentileLinear(tt, 99))} / ${ms(Math.max(...tt))}, truth ${ms(percentileLinear(truth, 50))} / ${ms(percentileLinear(truth, 99))} / ${ms(Math.max(...truth))}; over 900 ms: ${tt.filter((x) => x > 0.9).length}`);
    if (perf) console.log(`  ${perSyscalls(await perf, c.chunks)}; segments on the loopback per chunk ${((c.deltas.TcpOutSegs ?? 0) / c.chunks).toFixed(2)} (nstat: the run's, in-run warm-up included); perf counted the load alone`);
    if (rec) console.log(`  CPU samples by binary: ${await rec}`);
    const s = await states;
    for (const l of s.slice(0, 12)) console.log(`  ${l}`);
    if (a.peer) {
      await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
      const c0 = counters();
      let pperf: Promise<Map<string, number>> | null = null;
      let prec: Promise<string> | null = null;
      const po = JSON.parse((await runClient('/usr/bin/python3', [path.join(HERE, 'peers/vllm_client.py'), `${emu.url}/v1/completions`, 'm', String(N), String(C), String(LEN), '--warmup', ...(a.mode === 'cold' ? [] : ['--num-warmups', String(C)]), ...(a.perf || a['perf-record'] ? ['--measure-pause'] : [])], (pid) => {
        if (a.perf) pperf = perfStat(pid);
        else if (a['perf-record']) prec = perfRecord(pid);
      })).trim().split('\n').at(-1)!) as { ttfts: number[]; chunks: number; cpu_s: number; sys_s: number };
      const c1 = counters();
      const pt = (await records()).filter((r) => r.chunk_ms.length).map((r) => (r.chunk_ms[0] - r.arrival_ms) / 1000);
      if (prec) console.log(`  vLLM peer: CPU samples by binary: ${await prec}`);
      if (pperf) console.log(`  vLLM peer: ${perSyscalls(await pperf, po.chunks)}; user ${(((po.cpu_s - po.sys_s) / po.chunks) * 1e6).toFixed(2)} / kernel ${((po.sys_s / po.chunks) * 1e6).toFixed(2)} µs per chunk`);
      console.log(`  vLLM peer: TTFT error mean ${ms(mean(po.ttfts) - mean(pt))}, p99 ${ms(percentileLinear(po.ttfts, 99) - percentileLinear(pt, 99))}; over 900 ms: ${po.ttfts.filter((x) => x > 0.9).length}; ${((po.cpu_s / po.chunks) * 1e6).toFixed(2)} µs/chunk; nstat (warm-up included) ${COUNTERS.map((k) => [k, (c1.get(k) ?? 0) - (c0.get(k) ?? 0)] as const).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  }
} finally {
  await emu.stop();
}
