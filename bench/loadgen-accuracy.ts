/**
 * Accuracy table (issue 16: with vLLM's clock, mean TTFT within 1 % and p99 within 3 % of truth up to 512 streams on
 * one core): load generator measured − emulator ground truth for TTFT and ITL (mean and p99) at concurrency 1, 16, 64,
 * 256 and 512, against `benchops sim serve --profile fixed --ttft-ms 50 --itl-ms 10 --jitter 0.1` in a child process
 * pinned to `--server-core`, this process (the client, one worker unless told) pinned to `--client-core`. TTFT is
 * vLLM's (clock started before connection acquisition); the truth is the server's arrival (request headers parsed) →
 * first chunk written, so a server that reads a burst of requests late shows that delay as client error here. Each run
 * first warms up one wave on its own connections (vLLM's --num-warmups <conc>, the connections kept); only requests
 * that arrived from the run's time zero on are compared. The mean TTFT error is split (exactly, as a difference of
 * means over the same requests) into "sent→arrival" — from the body leaving the client to the server's arrival stamp:
 * the server reading late, part of real TTFT but not of the server's truth — and "write→read", from the server's write
 * of the first chunk to the client's read of it: the client's own error.
 * Run: flock /tmp/bench.lock npx tsx bench/loadgen-accuracy.ts [--workers 1] [--conc 1,16,64,256,512] [--rate 4000]
 *      [--server-core 0] [--client-core 1]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { percentileSorted, runBenchmark } from '../src/loadgen/index.ts';
import { spawnEmulator, type RequestRecord } from '../src/simulator/index.ts';

const { values: a } = parseArgs({
  options: {
    workers: { type: 'string', default: '1' },
    conc: { type: 'string', default: '1,16,64,256,512' },
    rate: { type: 'string', default: '4000' },
    'server-core': { type: 'string', default: '0' },
    'client-core': { type: 'string', default: '1' },
  },
});
const emu = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '50', '--itl-ms', '10', '--jitter', '0.1', '--max-num-seqs', '1024']);
execFileSync('taskset', ['-a', '-p', '-c', a['server-core']!, String(emu.child.pid)], { stdio: 'ignore' });
execFileSync('taskset', ['-a', '-p', '-c', a['client-core']!, String(process.pid)], { stdio: 'ignore' });
const mean = (x: number[]) => x.reduce((s, y) => s + y, 0) / x.length;
const p99 = (x: number[]) => percentileSorted([...x].sort((s, y) => s - y), 99);
const f = (x: number) => x.toFixed(2).padStart(7);
const pc = (x: number) => `${(x >= 0 ? '+' : '') + x.toFixed(2)} %`.padStart(9);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
try {
  console.log(`fixed profile TTFT 50 ms, ITL 10 ms, jitter 10 %; 32 input / 40 output tokens; ${a.rate} req/s constant; client ${a.workers} worker(s) on core ${a['client-core']}, server on core ${a['server-core']}; ms`);
  console.log('conc | reqs | TTFT mean truth  meas   Δ      Δ%      | TTFT p99 truth  meas   Δ      Δ%      | ITL mean truth  meas   Δ   | ITL p99 truth  meas   Δ   | sent→arrival, write→read (means) | srv lag p99 | goal (1 % / 3 %) | client self-check | load average');
  const only = a.conc!.split(',').map(Number);
  const rows = [
    [1, 20],
    [16, 160],
    [64, 512],
    [256, 1024],
    [512, 2048],
    [1024, 3072],
  ].filter(([c]) => only.includes(c));
  for (const [conc, n] of rows) {
    await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
    const r = await runBenchmark({
      base_url: emu.url,
      num_prompts: n,
      max_concurrency: conc,
      random_input_len: 32,
      random_output_len: 40,
      num_warmups: conc,
      request_rate: Number(a.rate),
      arrival_process: 'constant',
      save_detailed: true,
      workers: Number(a.workers),
    } as Parameters<typeof runBenchmark>[0]);
    const from = (r.benchops.origin_unix_s ?? 0) * 1000 - 1;
    const recs = ((await (await fetch(`${emu.url}/benchops/records`)).json()) as RequestRecord[]).filter((x) => x.arrival_ms >= from && x.chunk_ms.length);
    const lag = (await (await fetch(`${emu.url}/benchops/lag`)).json()) as { p99_ms: number };
    const tt = recs.map((x) => x.chunk_ms[0] - x.arrival_ms);
    const ti = recs.flatMap((x) => x.chunk_ms.slice(1).map((t, i) => t - x.chunk_ms[i]));
    const mt = r.ttfts.map((x) => x * 1000);
    const mi = r.itls.flat().map((x) => x * 1000);
    const sc = r.benchops.self_check;
    // where the TTFT error sits (means over the same requests, so exact for the mean): from the body leaving the client to
    // the server's arrival stamp (the server reading late: not in its truth), and from the first chunk's write to its read
    const origin = (r.benchops.origin_unix_s ?? 0) * 1000;
    const reqs = (r.requests ?? []).filter((x) => x.success);
    const toServer = mean(recs.map((x) => x.arrival_ms)) - mean(reqs.map((x) => origin + (x.sent_time ?? x.start_time) * 1000));
    const toClient = mean(reqs.map((x) => origin + (x.start_time + x.ttft) * 1000)) - mean(recs.map((x) => x.chunk_ms[0]));
    const dm = ((mean(mt) - mean(tt)) / mean(tt)) * 100;
    const dp = ((p99(mt) - p99(tt)) / p99(tt)) * 100;
    console.log(
      `${String(conc).padStart(4)} | ${String(r.completed).padStart(4)} | ${f(mean(tt))} ${f(mean(mt))} ${f(mean(mt) - mean(tt))} ${pc(dm)} | ${f(p99(tt))} ${f(p99(mt))} ${f(p99(mt) - p99(tt))} ${pc(dp)} | ${f(mean(ti))} ${f(mean(mi))} ${f(mean(mi) - mean(ti))} | ${f(p99(ti))} ${f(p99(mi))} ${f(p99(mi) - p99(ti))} | ${f(toServer)} ${f(toClient)} | ${f(lag.p99_ms)} | ${Math.abs(dm) <= 1 && Math.abs(dp) <= 3 ? 'met' : 'MISSED'} | ${sc.reliable ? 'green' : 'RED'} (lag mean ${sc.event_loop_lag_ms.mean.toFixed(2)}, p99 ${sc.event_loop_lag_ms.p99.toFixed(1)} ms, CPU ${(sc.cpu_mean * 100).toFixed(0)} %, dispatch p99 ${r.benchops.client_dispatch_ms.percentiles.find(([p]) => p === 99)?.[1]?.toFixed(2) ?? '—'} ms) | ${load()}`,
    );
  }
} finally {
  await emu.stop();
}
