/**
 * Overhead: non-streaming requests/s of the load generator vs `wrk` (Debian package `wrk`) against the same emulator
 * endpoint (fixed profile TTFT 0 / ITL 0, max_tokens 1), both with one thread and 64 connections, 5 s each, loopback.
 * Run: npx tsx bench/loadgen-overhead.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBenchmark } from '../src/loadgen/index.ts';
import { spawnEmulator } from '../src/simulator/index.ts';

const CONC = 64;
const SECONDS = 5;
const emu = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '0', '--itl-ms', '0', '--no-records', '--served-model-name', 'm']);
try {
  const prompt = ' ba be bi bo bu da de di do du';
  const body = JSON.stringify({ model: 'm', prompt, max_tokens: 1, ignore_eos: true, temperature: 0, stream: false });
  const dir = mkdtempSync(path.join(tmpdir(), 'wrk-'));
  const lua = path.join(dir, 'post.lua');
  writeFileSync(lua, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);
  let wrkRps = NaN;
  try {
    const out = execFileSync('wrk', ['-t1', `-c${CONC}`, `-d${SECONDS}s`, '-s', lua, `${emu.url}/v1/completions`], { encoding: 'utf8' });
    wrkRps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
    console.log(out.trim());
  } catch (e) {
    console.log(`wrk not available (apt-get install -y wrk): ${(e as Error).message.split('\n')[0]}`);
  }
  const r = await runBenchmark({
    base_url: emu.url,
    model: 'm',
    stream: false,
    max_concurrency: CONC,
    duration: SECONDS,
    num_prompts: 100,
    samples: [{ prompt, prompt_len: 10, expected_output_len: 1 }],
    save_detailed: false,
  });
  const ours = r.completed / r.duration;
  console.log(`\nbenchops bench (non-streaming, c=${CONC}, ${SECONDS} s): ${ours.toFixed(0)} req/s, ${r.failed} failed, client CPU ${(r.benchops.self_check.cpu_mean * 100).toFixed(0)} %, self-check ${r.benchops.reliable ? 'green' : 'RED'}`);
  console.log(`wrk: ${wrkRps.toFixed(0)} req/s  →  ratio benchops/wrk = ${(ours / wrkRps).toFixed(2)}`);
} finally {
  await emu.stop();
}
