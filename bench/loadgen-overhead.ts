/**
 * Client overhead, measured as CPU time (not wall time: CI machines are shared), loopback, emulator in a child process:
 *  1. streaming: client CPU per 1,000 chunks and chunks per client CPU-second at concurrency 16, 64, 256 and 1,024
 *     (fixed profile TTFT 20 ms / ITL 10 ms, 100 output tokens; one worker: this process's CPU is the client's);
 *  2. non-streaming: requests/s and client CPU per request of the load generator vs `wrk` (Debian package `wrk`,
 *     its CPU from getrusage of the child), both one thread and 64 connections, 5 s each (TTFT 0 / ITL 0, max_tokens 1).
 * Run: npx tsx bench/loadgen-overhead.ts [--streaming-only | --non-streaming-only]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBenchmark } from '../src/loadgen/index.ts';
import { spawnEmulator } from '../src/simulator/index.ts';

const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const only = process.argv[2];

if (only !== '--non-streaming-only') {
  const emu = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '20', '--itl-ms', '10', '--max-num-seqs', '4096', '--no-records', '--served-model-name', 'm']);
  try {
    console.log('1) streaming client CPU (ITL 10 ms, 100 output tokens)');
    console.log(' conc | chunks | chunks/s | client CPU ms per 1,000 chunks | chunks per client CPU-second');
    for (const conc of [16, 64, 256, 1024]) {
      const opts = { base_url: emu.url, model: 'm', max_concurrency: conc, num_prompts: Math.max(conc * 3, 192), random_input_len: 16, random_output_len: 100, request_rate: 4 * conc, arrival_process: 'constant' as const, save_detailed: false, tokenizer: 'bundled' as const, workers: 1 };
      await runBenchmark({ ...opts, num_prompts: conc }); // warm (JIT, sockets)
      const c0 = cpuS();
      const r = await runBenchmark(opts);
      const cpu = cpuS() - c0;
      const chunks = r.itls.reduce((a, x) => a + x.length + 1, 0);
      console.log(`${String(conc).padStart(5)} | ${String(chunks).padStart(6)} | ${(chunks / r.duration).toFixed(0).padStart(8)} | ${((cpu / chunks) * 1e6).toFixed(1).padStart(30)} | ${(chunks / cpu).toFixed(0).padStart(10)}`);
    }
  } finally {
    await emu.stop();
  }
}

if (only !== '--streaming-only') {
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
    let wrkCpuPerReq = NaN;
    try {
      // wrk's own CPU: getrusage(RUSAGE_CHILDREN) of a tiny Python parent
      const py = `import subprocess,resource,sys\nout=subprocess.run(sys.argv[1:],capture_output=True,text=True).stdout\nr=resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(out)\nprint("CPU_S",r.ru_utime+r.ru_stime)`;
      const out = execFileSync('python3', ['-c', py, 'wrk', '-t1', `-c${CONC}`, `-d${SECONDS}s`, '-s', lua, `${emu.url}/v1/completions`], { encoding: 'utf8' });
      wrkRps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
      const reqs = Number(/(\d+) requests in/.exec(out)![1]);
      wrkCpuPerReq = Number(/CPU_S ([\d.]+)/.exec(out)![1]) / reqs;
      console.log(out.trim());
    } catch (e) {
      console.log(`wrk not available (apt-get install -y wrk): ${(e as Error).message.split('\n')[0]}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const c0 = cpuS();
    const r = await runBenchmark({ base_url: emu.url, model: 'm', stream: false, max_concurrency: CONC, duration: SECONDS, num_prompts: 100, samples: [{ prompt, prompt_len: 10, expected_output_len: 1 }], save_detailed: false, workers: 1 });
    const cpuPerReq = (cpuS() - c0) / (r.completed + r.failed);
    const ours = r.completed / r.duration;
    console.log(`\n2) benchops bench (non-streaming, c=${CONC}, ${SECONDS} s): ${ours.toFixed(0)} req/s, ${r.failed} failed, client CPU ${(cpuPerReq * 1e6).toFixed(1)} µs per request, self-check ${r.benchops.reliable ? 'green' : 'RED'}`);
    console.log(`wrk: ${wrkRps.toFixed(0)} req/s, ${(wrkCpuPerReq * 1e6).toFixed(1)} µs CPU per request  →  benchops/wrk: req/s ${(ours / wrkRps).toFixed(2)}, CPU per request ${(cpuPerReq / wrkCpuPerReq).toFixed(2)}×`);
  } finally {
    await emu.stop();
  }
}
