/**
 * Side by side (issue 16): `benchops bench` (the library, one worker) vs a client timed like vLLM's benchmark request
 * function (bench/peers/vllm_client.py on Debian's python3-aiohttp) vs `wrk`, against the same emulated server
 * (fixed profile TTFT 50 ms / ITL 10 ms, `--itl` to change it), server and client pinned to different cores, clients interleaved per
 * repetition. Errors are a client's figure minus the same figure of the emulator's own per-chunk records of that run
 * (server TTFT = first chunk − arrival), so the emulator's own lateness is not charged to the client.
 *
 * Prints the issue's table: mean/p99 TTFT error at each concurrency; each client's read lag (every request matched to
 * the server record that served it by its chunk times, bench/common.ts matchRequests: server's write → client's read of
 * the first chunk and of every chunk, the client's own share of the error, which the TTFT rows mix with the server's
 * reading of the client's burst late); self-check verdicts, client CPU per 1,000 streamed
 * chunks and the ratio vLLM/benchops (process CPU, user + kernel, median over repetitions) — over the load alone, as the
 * peer measures its request function's gather (benchops: from the load's first request to its last response), and for
 * benchops' whole run beside it — and non-streaming client CPU per request vs wrk.
 * Each client first runs unmeasured requests (at least 1,024, 256 or more at once: JIT, lazy imports, first sockets; `--no-warm` measures cold starts), its
 * records cleared from the server, then idles 0.5 s (the warm-up's queued background compilation ends before the
 * measurement begins). The measured run then warms up as `vllm bench serve --num-warmups <conc>` does: one wave on
 * the measured session's own connections, which the measured requests reuse (benchops num_warmups, the peer's
 * --num-warmups); `--cold-connect` skips that, so the first wave connects inside the measurement (vLLM without
 * --num-warmups). Errors are against the emulator's records of the measured requests only.
 * `--gc single|parallel|both`: the benchops client process with V8's --single-threaded-gc (as bin/benchops.js runs
 * `bench`), without it, or both interleaved (rows "benchops" and "benchops-pgc").
 * Run: npx tsx bench/loadgen-vs-vllm.ts [--conc 1,64,256,512] [--reps 1] [--output-len 64] [--waves 3]
 *      [--server-core 0] [--client-core 1] [--nice -5] [--server-workers 1] [--no-warm] [--cold-connect] [--gc single]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBenchmark } from '../src/loadgen/index.ts';
import { spawnEmulator } from '../src/simulator/index.ts';
import type { RequestRecord } from '../src/simulator/server.ts';
import { clientTimingOf, matchRequests, mean, percentileLinear, runPinned, type ClientTiming } from './common.ts';

const { values: a } = parseArgs({
  options: {
    conc: { type: 'string', default: '1,64,256,512' },
    reps: { type: 'string', default: '1' },
    'output-len': { type: 'string', default: '64' },
    waves: { type: 'string', default: '3' },
    'server-core': { type: 'string', default: '0' },
    'client-core': { type: 'string', default: '1' },
    'server-workers': { type: 'string', default: '1' },
    // the emulator's fixed ITL: one core writes ~90k one-token chunks/s, so 1,024 streams at 10 ms overload it (it then
    // merges a late stream's due tokens into one chunk, as vLLM V1 does); 20 ms keeps it below its core at 1,024
    itl: { type: 'string', default: '10' },
    nice: { type: 'string' },
    /** measure from a cold start (by default each client first runs one unmeasured wave: JIT, imports, first sockets) */
    'no-warm': { type: 'boolean', default: false },
    /** the measured run's first wave connects inside the measurement (no in-run warm-up on its own connections) */
    'cold-connect': { type: 'boolean', default: false },
    gc: { type: 'string', default: 'single' },
    /** only the non-streaming comparison with wrk */
    'non-streaming-only': { type: 'boolean', default: false },
    /** internal: run the benchops client in this (pinned) process and print its figures */
    'as-client': { type: 'string' },
  },
});


interface ClientFigures {
  completed: number;
  failed: number;
  ttfts: number[];
  chunks: number;
  cpu_s: number;
  /** of cpu_s, in the kernel (system time) */
  sys_s?: number;
  /** the load alone (benchops: from the load's start to its last response; the peer measures only that) */
  load_cpu_s?: number;
  load_sys_s?: number;
  wall_s: number;
  /** the measured run's time zero (Unix s): the emulator's records from it on are the measured requests' */
  origin_unix_s?: number;
  client_gc?: string;
  /** per request on the epoch clock (ms), matched to the emulator's per-chunk records for the read lag */
  reqs?: ClientTiming[];
  reliable?: boolean;
  reasons?: string[];
}

/** Idle time between a client's warm-up and its measured run (both clients; the peer sleeps as long). */
const SETTLE_MS = 500;

if (a['as-client']) {
  // the benchops client in its own pinned process: CPU is measured around the run only (not tsx's start-up)
  const o = JSON.parse(a['as-client']) as { url: string; n: number; c: number; len: number; stream: boolean; duration?: number; warm?: boolean; inRunWarmups?: number };
  const opts = {
    base_url: o.url,
    model: 'm',
    tokenizer: 'bundled' as const,
    workers: 1,
    num_prompts: o.n,
    duration: o.duration,
    max_concurrency: o.c,
    random_input_len: 8,
    random_output_len: o.len,
    stream: o.stream,
    save_detailed: true,
  };
  if (o.warm) {
    // one wave first, not measured (JIT, lazy imports, first sockets); its records are cleared from the server, and
    // the measured run connects anew, like the peer's measured run
    // (at least 1,024 requests at 256 streams or more: the per-chunk code and the per-request code are optimised
    // before a small concurrency's short measured run, whose CPU would otherwise be the JIT's)
    const w = Math.max(256, o.c);
    await runBenchmark({ ...opts, num_prompts: Math.max(1024, w), max_concurrency: w, duration: undefined });
    await fetch(`${o.url}/benchops/records`, { method: 'DELETE' }).catch(() => undefined);
    // let the compiler threads finish what the warm-up queued (its report and metrics code, the fetch above): measured
    // at 16 streams, ~100 ms of background TurboFan work otherwise lands in a ~0.2 s measurement of the load
    await new Promise((r) => setTimeout(r, SETTLE_MS));
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  // the load alone (from the first 'running' to 'done'), as the peer measures its request function's gather only;
  // cpu_s is the whole run (dataset, metrics and report included)
  let l0: NodeJS.CpuUsage | null = null;
  let l1: NodeJS.CpuUsage | null = null;
  // the in-run warm-up (vLLM's --num-warmups) is not part of the whole run's figure either
  let w0: NodeJS.CpuUsage | null = null;
  let w1: NodeJS.CpuUsage | null = null;
  const r = await runBenchmark({ ...opts, num_warmups: o.inRunWarmups ?? 0 }, {
    onProgress: (p) => {
      if (p.phase === 'warmup' && !w0) w0 = process.cpuUsage();
      if (p.phase !== 'warmup' && w0 && !w1) w1 = process.cpuUsage(w0);
      if (p.phase === 'running' && !l0) l0 = process.cpuUsage();
      if (p.phase === 'done' && l0 && !l1) l1 = process.cpuUsage(l0);
    },
  });
  const all = process.cpuUsage(c0);
  const wu = (w1 ?? { user: 0, system: 0 }) as NodeJS.CpuUsage;
  const cu = { user: all.user - wu.user, system: all.system - wu.system };
  const lu = (l1 ?? cu) as NodeJS.CpuUsage;
  const reqs = r.requests ?? [];
  const ok = reqs.filter((x) => x.success);
  const figures: ClientFigures = {
    completed: r.completed,
    failed: r.failed,
    ttfts: ok.map((x) => x.ttft),
    chunks: ok.reduce((n, x) => n + (x.chunk_times?.length ?? x.output_tokens), 0),
    cpu_s: (cu.user + cu.system) / 1e6,
    sys_s: cu.system / 1e6,
    load_cpu_s: (lu.user + lu.system) / 1e6,
    load_sys_s: lu.system / 1e6,
    wall_s: (performance.now() - t0) / 1000,
    reliable: r.benchops?.reliable,
    reasons: r.benchops?.self_check?.reasons,
    origin_unix_s: r.benchops?.origin_unix_s,
    client_gc: r.benchops?.client_gc,
    reqs: o.stream ? ok.map((q) => clientTimingOf(q, (r.benchops?.origin_unix_s ?? 0) * 1000)) : undefined,
  };
  // a pipe's writes are asynchronous: exit once the (large) line is out
  process.stdout.write(JSON.stringify(figures) + '\n', () => process.exit(0));
  await new Promise(() => {});
}

const CONCS = a.conc!.split(',').map(Number);
const REPS = Number(a.reps);
const LEN = Number(a['output-len']);
const WAVES = Number(a.waves);
const clientCore = a['client-core']!;
const HERE = path.dirname(new URL(import.meta.url).pathname);
const PY = '/usr/bin/python3';

const emuArgs = ['--port', '0', '--profile', 'fixed', '--ttft-ms', '50', '--itl-ms', a.itl!, '--served-model-name', 'm'];
if (Number(a['server-workers']) > 1) emuArgs.push('--workers', a['server-workers']!);
/** Starts an emulator pinned to the server core (with its worker processes, if any). */
async function pinnedEmulator(args: string[]) {
  const e = await spawnEmulator(args, { timeoutMs: 60_000 });
  const own = [e.child.pid!];
  try {
    own.push(...execFileSync('pgrep', ['-P', String(e.child.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number));
  } catch {
    /* no children */
  }
  for (const p of own) {
    execFileSync('taskset', ['-a', '-p', '-c', a['server-core']!, String(p)], { stdio: 'ignore' });
    if (a.nice !== undefined) execFileSync('renice', ['-n', a.nice, '-p', String(p)], { stdio: 'ignore' });
  }
  return e;
}
let emu = await pinnedEmulator(emuArgs);

/** Runs a command pinned to the client core (--nice applies to the clients too) and returns its stdout. */
const pinned = (cmd: string, args: string[]) => runPinned(clientCore, cmd, args, { nice: a.nice });

/** The emulator's records of the requests that arrived from `sinceUnixS` on (all without) that wrote a chunk. */
async function serverRecords(sinceUnixS?: number): Promise<RequestRecord[]> {
  const recs = (await (await fetch(`${emu.url}/benchops/records`)).json()) as RequestRecord[];
  const from = sinceUnixS === undefined ? -Infinity : sinceUnixS * 1000 - 1;
  return recs.filter((r) => r.chunk_ms.length && r.arrival_ms >= from);
}
const clearServer = () => fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });

const GC = a.gc!;
if (!['single', 'parallel', 'both'].includes(GC)) throw new Error('--gc is single, parallel or both');
async function benchops(o: { n: number; c: number; stream: boolean; duration?: number; len?: number; inRunWarmups?: number }, gc: 'single' | 'parallel' = GC === 'parallel' ? 'parallel' : 'single'): Promise<ClientFigures> {
  // as bin/benchops.js runs `bench` (single: with V8's memory reducer off too)
  const flags = gc === 'single' ? ['--single-threaded-gc', '--no-memory-reducer'] : [];
  const out = await pinned(process.execPath, [...flags, '--import', 'tsx', path.join(HERE, 'loadgen-vs-vllm.ts'), '--as-client', JSON.stringify({ url: emu.url, len: LEN, warm: !a['no-warm'], ...o })]);
  // (o.len overrides LEN: the non-streaming comparison sends one token, like wrk's body)
  return JSON.parse(out.trim().split('\n').at(-1)!);
}
async function vllmPeer(o: { n: number; c: number }): Promise<ClientFigures> {
  const out = await pinned(PY, [path.join(HERE, 'peers/vllm_client.py'), `${emu.url}/v1/completions`, 'm', String(o.n), String(o.c), String(LEN), ...(a['no-warm'] ? [] : ['--warmup']), ...(a['cold-connect'] ? [] : ['--num-warmups', String(o.c)])]);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

type Row = { client: string; c: number; meanErr: number; p99Err: number; readLagMean: number; readLagP99: number; chunkLagMean: number; chunkLagP99: number; matched: number; cpuPerK: number; sysPerK: number; loadPerK: number; loadSysPerK: number; reliable?: boolean; reasons?: string[] };
const rows: Row[] = [];
for (let rep = 0; rep < (a['non-streaming-only'] ? 0 : REPS); rep++) {
  for (const c of CONCS) {
    const n = Math.max(50, c * WAVES);
    // interleaved: the two clients alternate at each concurrency, the order flips every repetition
    const clients = GC === 'both' ? ['benchops', 'vllm', 'benchops-pgc'] : ['benchops', 'vllm'];
    const order = rep % 2 === 0 ? clients : [...clients].reverse();
    for (const who of order) {
      await clearServer();
      const inRunWarmups = a['cold-connect'] ? 0 : c;
      const f = who === 'vllm' ? await vllmPeer({ n, c }) : await benchops({ n, c, stream: true, inRunWarmups }, who === 'benchops-pgc' ? 'parallel' : GC === 'parallel' ? 'parallel' : 'single');
      // the peer clears its in-run warm-up's records itself; benchops' measured requests arrive from its time zero on
      const recs = await serverRecords(who === 'vllm' || a['cold-connect'] ? undefined : f.origin_unix_s);
      const truth = recs.map((r) => (r.chunk_ms[0] - r.arrival_ms) / 1000);
      // each request matched to the server's chunk writes: how late the client read what was written (the part of its
      // error that is the client's alone, whatever the server's reading of the client's burst added)
      // (a saturated client reads its first chunk up to hundreds of ms late: a wide window)
      const m = matchRequests(f.reqs ?? [], recs, 1000);
      const chunkLag = m.flatMap((x) => x.chunkLag);
      rows.push({
        readLagMean: mean(m.map((x) => x.readLag)),
        readLagP99: percentileLinear(m.map((x) => x.readLag), 99),
        chunkLagMean: mean(chunkLag),
        chunkLagP99: percentileLinear(chunkLag, 99),
        matched: m.length / Math.max(1, f.completed),
        client: who,
        c,
        meanErr: (mean(f.ttfts) - mean(truth)) * 1000,
        p99Err: (percentileLinear(f.ttfts, 99) - percentileLinear(truth, 99)) * 1000,
        cpuPerK: (f.cpu_s / Math.max(1, f.chunks)) * 1e6,
        sysPerK: ((f.sys_s ?? NaN) / Math.max(1, f.chunks)) * 1e6,
        loadPerK: ((f.load_cpu_s ?? f.cpu_s) / Math.max(1, f.chunks)) * 1e6,
        loadSysPerK: ((f.load_sys_s ?? f.sys_s ?? NaN) / Math.max(1, f.chunks)) * 1e6,
        reliable: f.reliable,
        reasons: f.reasons,
      });
      console.error(`rep ${rep} c=${c} ${who}: ${f.completed} ok / ${f.failed} failed, ${f.chunks} chunks, CPU ${f.cpu_s.toFixed(2)} s (kernel ${(f.sys_s ?? NaN).toFixed(2)} s), of which the load ${(f.load_cpu_s ?? f.cpu_s).toFixed(2)} s (kernel ${(f.load_sys_s ?? f.sys_s ?? NaN).toFixed(2)} s), over ${f.wall_s.toFixed(1)} s`);
    }
  }
}

// non-streaming: CPU per request, benchops vs wrk, 64 connections, 5 s each, one token per request from a server with
// no modelled latency (the clients, not the profile, set the pace)
await emu.stop();
emu = await pinnedEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '0', '--itl-ms', '0', '--no-records', '--served-model-name', 'm']);
const body = JSON.stringify({ model: 'm', prompt: ' ba be bi', max_tokens: 1, ignore_eos: true, stream: false });
const dir = mkdtempSync(path.join(tmpdir(), 'wrk-'));
const lua = path.join(dir, 'post.lua');
writeFileSync(lua, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);
let wrkPerReq = NaN;
let wrkRps = NaN;
try {
  // bash's `times` prints the children's CPU (wrk's) after it exits
  const out = await pinned('bash', ['-c', `wrk -t1 -c64 -d5s -s ${lua} ${emu.url}/v1/completions; times`]);
  const reqs = Number(/(\d+) requests in/.exec(out)![1]);
  wrkRps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  const t = out.trim().split('\n').at(-1)!.match(/(\d+)m([\d.]+)s/g)!.map((x) => {
    const m = /(\d+)m([\d.]+)s/.exec(x)!;
    return Number(m[1]) * 60 + Number(m[2]);
  });
  wrkPerReq = ((t[0] + t[1]) / reqs) * 1e6;
} catch (e) {
  console.error(`wrk not run: ${(e as Error).message.split('\n')[0]}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// with a duration the prompts are cycled: a few thousand are enough
const ns = await benchops({ n: 2000, c: 64, stream: false, duration: 5, len: 1 });
const oursPerReq = (ns.cpu_s / Math.max(1, ns.completed)) * 1e6;
const nsP = GC === 'both' ? await benchops({ n: 2000, c: 64, stream: false, duration: 5, len: 1 }, 'parallel') : null;
await emu.stop();

const f = (x: number) => (Number.isFinite(x) ? (x >= 0 ? '+' : '') + x.toFixed(1) : '—');
const avg = (client: string, c: number, k: 'meanErr' | 'p99Err' | 'readLagMean' | 'readLagP99' | 'chunkLagMean' | 'chunkLagP99' | 'matched' | 'cpuPerK' | 'sysPerK' | 'loadPerK' | 'loadSysPerK') => mean(rows.filter((r) => r.client === client && r.c === c).map((r) => r[k]));
console.log(`\nloadgen vs vLLM's request function vs wrk — emulator fixed TTFT 50 ms / ITL ${a.itl} ms, output ${LEN} tokens, ${WAVES} waves per concurrency, ${REPS} repetition(s)`);
console.log(`server on core ${a['server-core']} (${a['server-workers']} worker process(es)), clients on core ${clientCore}; ${a['cold-connect'] ? 'first wave connects inside the measurement' : 'measured runs warmed up on their own connections (--num-warmups <conc>)'}; benchops GC ${GC === 'both' ? 'single-threaded (benchops) and parallel (benchops-pgc)' : GC === 'single' ? 'single-threaded' : 'parallel'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log(`\n| | ${CONCS.map((c) => `c=${c}`).join(' | ')} |`);
console.log(`|---|${CONCS.map(() => '---').join('|')}|`);
console.log(`| mean TTFT error ms, benchops / vLLM client | ${CONCS.map((c) => `${f(avg('benchops', c, 'meanErr'))} / ${f(avg('vllm', c, 'meanErr'))}`).join(' | ')} |`);
console.log(`| p99 TTFT error ms, benchops / vLLM client | ${CONCS.map((c) => `${f(avg('benchops', c, 'p99Err'))} / ${f(avg('vllm', c, 'p99Err'))}`).join(' | ')} |`);
console.log(`| first chunk written → read (client read lag) mean / p99 ms, benchops · vLLM client | ${CONCS.map((c) => `${avg('benchops', c, 'readLagMean').toFixed(2)} / ${avg('benchops', c, 'readLagP99').toFixed(2)} · ${avg('vllm', c, 'readLagMean').toFixed(2)} / ${avg('vllm', c, 'readLagP99').toFixed(2)}`).join(' | ')} |`);
console.log(`| every chunk written → read mean / p99 ms, benchops · vLLM client | ${CONCS.map((c) => `${avg('benchops', c, 'chunkLagMean').toFixed(2)} / ${avg('benchops', c, 'chunkLagP99').toFixed(2)} · ${avg('vllm', c, 'chunkLagMean').toFixed(2)} / ${avg('vllm', c, 'chunkLagP99').toFixed(2)}`).join(' | ')} |`);
console.log(`| requests matched to a server record, benchops / vLLM client | ${CONCS.map((c) => `${(avg('benchops', c, 'matched') * 100).toFixed(0)} % / ${(avg('vllm', c, 'matched') * 100).toFixed(0)} %`).join(' | ')} |`);
console.log(`| benchops self-check | ${CONCS.map((c) => rows.filter((r) => r.client === 'benchops' && r.c === c).map((r) => (r.reliable ? 'green' : 'red')).join(', ')).join(' | ')} |`);
// CPU figures: the median over repetitions (a shared machine's neighbours inflate single runs)
const med = (client: string, c: number, k: 'cpuPerK' | 'sysPerK' | 'loadPerK' | 'loadSysPerK') => percentileLinear(rows.filter((r) => r.client === client && r.c === c).map((r) => r[k]), 50);
console.log(`| client CPU ms per 1,000 chunks over the load (the request function), benchops / vLLM client | ${CONCS.map((c) => `${med('benchops', c, 'loadPerK').toFixed(1)} / ${med('vllm', c, 'loadPerK').toFixed(1)}`).join(' | ')} |`);
console.log(`| of which kernel (system time), benchops / vLLM client | ${CONCS.map((c) => `${med('benchops', c, 'loadSysPerK').toFixed(1)} / ${med('vllm', c, 'loadSysPerK').toFixed(1)}`).join(' | ')} |`);
console.log(`| **chunks per client CPU-second over the load, benchops ÷ vLLM client** | ${CONCS.map((c) => (med('vllm', c, 'loadPerK') / med('benchops', c, 'loadPerK')).toFixed(2) + '×').join(' | ')} |`);
console.log(`| benchops' whole run (dataset, metrics, report too) ms per 1,000 chunks, and vLLM's load ÷ it | ${CONCS.map((c) => `${med('benchops', c, 'cpuPerK').toFixed(1)}, ${(med('vllm', c, 'loadPerK') / med('benchops', c, 'cpuPerK')).toFixed(2)}×`).join(' | ')} |`);
if (GC === 'both') {
  console.log(`| benchops with V8's parallel GC: ms per 1,000 chunks over the load (kernel), and single-threaded ÷ parallel | ${CONCS.map((c) => `${med('benchops-pgc', c, 'loadPerK').toFixed(1)} (${med('benchops-pgc', c, 'loadSysPerK').toFixed(1)}), ${(med('benchops', c, 'loadPerK') / med('benchops-pgc', c, 'loadPerK')).toFixed(2)}×`).join(' | ')} |`);
  console.log(`| p99 TTFT error ms, benchops parallel GC | ${CONCS.map((c) => f(avg('benchops-pgc', c, 'p99Err'))).join(' | ')} |`);
}
for (const r of rows.filter((x) => x.client === 'benchops' && !x.reliable)) console.log(`self-check c=${r.c}: ${(r.reasons ?? []).join('; ')}`);
console.log(`\nnon-streaming, 64 connections, 5 s: benchops ${(ns.completed / ns.wall_s).toFixed(0)} req/s at ${oursPerReq.toFixed(1)} µs CPU/request; wrk ${wrkRps.toFixed(0)} req/s at ${wrkPerReq.toFixed(1)} µs CPU/request → benchops/wrk CPU per request ${(oursPerReq / wrkPerReq).toFixed(2)}×`);
if (nsP) console.log(`non-streaming with V8's parallel GC: ${((nsP.cpu_s / Math.max(1, nsP.completed)) * 1e6).toFixed(1)} µs CPU/request (single-threaded ÷ parallel ${(oursPerReq / ((nsP.cpu_s / Math.max(1, nsP.completed)) * 1e6)).toFixed(2)}×)`);
