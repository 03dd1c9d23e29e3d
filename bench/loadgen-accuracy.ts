/**
 * Accuracy table: load generator measured − emulator ground truth for TTFT and ITL (mean and p99) at concurrency
 * 1, 16, 64, 256 and 512, against `benchops sim serve --profile fixed --ttft-ms 50 --itl-ms 10 --jitter 0.1` in a child
 * process. TTFT is vLLM's (clock started before connection acquisition); the truth is the server's arrival → first
 * chunk written. Run: npx tsx bench/loadgen-accuracy.ts [workers] [concurrencies, e.g. 1,16]
 */
import { percentileSorted, runBenchmark } from '../src/loadgen/index.ts';
import { spawnEmulator, type RequestRecord } from '../src/simulator/index.ts';

const emu = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '50', '--itl-ms', '10', '--jitter', '0.1', '--max-num-seqs', '1024']);
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const p99 = (a: number[]) => percentileSorted([...a].sort((x, y) => x - y), 99);
const f = (x: number) => x.toFixed(2).padStart(7);
try {
  console.log('fixed profile TTFT 50 ms, ITL 10 ms, jitter 10 %; 32 input / 40 output tokens; ms');
  console.log('conc | reqs | TTFT mean truth  meas   Δ    | TTFT p99 truth  meas   Δ    | ITL mean truth  meas   Δ   | ITL p99 truth  meas   Δ   | srv lag p99 | client self-check');
  const workers = Number(process.argv[2] ?? 1);
  const only = process.argv[3]?.split(',').map(Number);
  const rows = [
    [1, 20],
    [16, 160],
    [64, 512],
    [256, 1024],
    [512, 2048],
  ].filter(([c]) => !only || only.includes(c));
  for (const [conc, n] of rows) {
    await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
    const r = await runBenchmark({
      base_url: emu.url,
      num_prompts: n,
      max_concurrency: conc,
      random_input_len: 32,
      random_output_len: 40,
      num_warmups: 2,
      request_rate: 4000,
      arrival_process: 'constant',
      save_detailed: false,
      workers,
    } as Parameters<typeof runBenchmark>[0]);
    const recs = ((await (await fetch(`${emu.url}/benchops/records`)).json()) as RequestRecord[]).slice(2);
    const lag = (await (await fetch(`${emu.url}/benchops/lag`)).json()) as { p99_ms: number };
    const tt = recs.map((x) => x.chunk_ms[0] - x.arrival_ms);
    const ti = recs.flatMap((x) => x.chunk_ms.slice(1).map((t, i) => t - x.chunk_ms[i]));
    const mt = r.ttfts.map((x) => x * 1000);
    const mi = r.itls.flat().map((x) => x * 1000);
    const sc = r.benchops.self_check;
    console.log(
      `${String(conc).padStart(4)} | ${String(r.completed).padStart(4)} | ${f(mean(tt))} ${f(mean(mt))} ${f(mean(mt) - mean(tt))} | ${f(p99(tt))} ${f(p99(mt))} ${f(p99(mt) - p99(tt))} | ${f(mean(ti))} ${f(mean(mi))} ${f(mean(mi) - mean(ti))} | ${f(p99(ti))} ${f(p99(mi))} ${f(p99(mi) - p99(ti))} | ${f(lag.p99_ms)} | ${sc.reliable ? 'green' : 'RED'} (lag mean ${sc.event_loop_lag_ms.mean.toFixed(2)}, p99 ${sc.event_loop_lag_ms.p99.toFixed(1)} ms, CPU ${(sc.cpu_mean * 100).toFixed(0)} %)`,
    );
  }
} finally {
  await emu.stop();
}
