/**
 * Capacity on loopback, bounded in time:
 *  1. the highest chunk rate the load generator (one Node process = one JS thread) sustains with its self-check still
 *     green: streams at fixed ITL 10 ms, concurrency stepped up until the self-check turns red;
 *  2. the emulator's tokens/s on one core over 1,000 concurrent streams (fixed profile, ITL 2 ms: more than it can
 *     serve), read from its own vllm:generation_tokens_total counter and /proc CPU time.
 * Run: npx tsx bench/loadgen-capacity.ts [workers]   (workers: load-generator worker threads, default 1)
 */
import { readFileSync } from 'node:fs';
import { runBenchmark } from '../src/loadgen/index.ts';
import { spawnEmulator } from '../src/simulator/index.ts';

const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks
};
const genTokens = async (url: string) => Number(/vllm:generation_tokens_total\{[^}]*\} (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())![1]);

const workers = Number(process.argv[2] ?? 1);
const emu = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '20', '--itl-ms', '10', '--max-num-seqs', '4096', '--no-records']);
try {
  console.log(`1) load generator (${workers} worker thread(s)): chunks/s sustained with the self-check green (ITL 10 ms streams, 100 output tokens)`);
  console.log(' conc | chunks/s | lag mean / p99 ms | CPU % | self-check | mean ITL ms');
  let best = 0;
  for (const conc of [16, 32, 64, 128, 256, 384, 512, 640, 768, 1024]) {
    const r = await runBenchmark({ base_url: emu.url, max_concurrency: conc, num_prompts: conc * 3, random_input_len: 16, random_output_len: 100, request_rate: 4 * conc, arrival_process: 'constant', save_detailed: false, tokenizer: 'bundled', workers: Math.min(workers, conc) });
    const chunks = r.itls.reduce((a, x) => a + x.length + 1, 0) / r.duration;
    const sc = r.benchops.self_check;
    console.log(`${String(conc).padStart(5)} | ${chunks.toFixed(0).padStart(8)} | ${sc.event_loop_lag_ms.mean.toFixed(2).padStart(6)} / ${sc.event_loop_lag_ms.p99.toFixed(1).padStart(6)} | ${(sc.cpu_mean * 100).toFixed(0).padStart(5)} | ${(sc.reliable ? 'green' : 'RED').padEnd(10)} | ${(r.mean_itl_ms as number).toFixed(2)}`);
    if (sc.reliable) best = Math.max(best, chunks);
    else break;
  }
  console.log(`→ highest chunk rate with the self-check green: ${best.toFixed(0)} chunks/s`);
} finally {
  await emu.stop();
}

const emu2 = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '5', '--itl-ms', '2', '--max-num-seqs', '4096', '--no-records']);
try {
  const pid = emu2.child.pid!;
  const g0 = await genTokens(emu2.url);
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const r = await runBenchmark({ base_url: emu2.url, max_concurrency: 1000, num_prompts: 2000, random_input_len: 16, random_output_len: 200, save_detailed: false, tokenizer: 'bundled', request_rate: 5000, arrival_process: 'constant' });
  const wall = (performance.now() - t0) / 1000;
  const tokens = (await genTokens(emu2.url)) - g0;
  const cpu = cpuSeconds(pid) - c0;
  console.log(`\n2) emulator over 1,000 streams (demand 500,000 tok/s): ${(tokens / wall).toFixed(0)} tokens/s written, emulator CPU ${((cpu / wall) * 100).toFixed(0)} % of a core → ${(tokens / cpu).toFixed(0)} tokens per CPU-second; client self-check ${r.benchops.reliable ? 'green' : 'RED'} (CPU ${(r.benchops.self_check.cpu_mean * 100).toFixed(0)} %), ${r.completed} ok / ${r.failed} failed`);
} finally {
  await emu2.stop();
}
