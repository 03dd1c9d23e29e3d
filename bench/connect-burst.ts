/**
 * A burst of simultaneous TCP connects (a benchmark opening --max-concurrency connections at once) against the
 * emulated vLLM server and the platform's gateway: how long each connect took. A listen backlog smaller than the
 * burst drops SYNs, and those clients connect only after the kernel's first retransmit (1 s), which a benchmark
 * then reports as TTFT. Prints p50/p99/max and how many took over 900 ms.
 *
 *   npx tsx bench/connect-burst.ts [--connections 1500]
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { startEmulatedServer } from '../src/simulator/server.ts';
import { arg, percentile, startServe } from './common.ts';

const N = Number(arg('connections', '1500'));

async function burst(url: string): Promise<string> {
  const u = new URL(url);
  const socks: net.Socket[] = [];
  const times = await Promise.all(
    Array.from(
      { length: N },
      () =>
        new Promise<number>((resolve) => {
          const t = performance.now();
          const c = net.connect(Number(u.port), u.hostname, () => resolve(performance.now() - t));
          socks.push(c);
          c.on('error', () => resolve(Number.POSITIVE_INFINITY));
        }),
    ),
  );
  for (const s of socks) s.destroy();
  times.sort((a, b) => a - b);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'failed');
  return `p50 ${f(percentile(times, 50))} ms, p99 ${f(percentile(times, 99))} ms, max ${f(times[N - 1])} ms, over 900 ms: ${times.filter((x) => x > 900).length} of ${N}`;
}

const emu = await startEmulatedServer({ profile: { ttft_ms: 50, itl_ms: 10 }, served_model_name: 'm' });
console.log(`emulated vLLM server: ${await burst(emu.url)}`);
await emu.close();
const { urls, child } = await startServe({ services: ['results'] });
console.log(`platform listener (results): ${await burst(urls.results)}`);
child.kill('SIGTERM');
const somaxconn = readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim();
console.log(`node ${process.version}, ${os.cpus().length} CPUs, somaxconn ${somaxconn}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
