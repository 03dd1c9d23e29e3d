/**
 * Where the load's connections come from (issue 16, the 1,024-stream start): a run without warm-up connects inside the
 * measurement; with `num_warmups` the measured requests reuse the warm-up's connections (vLLM's one aiohttp session);
 * with `preconnect` every slot's connection is opened and proven before the time zero (one worker, and each worker
 * thread its own). The emulator sits behind a counting TCP proxy, so connections are counted where the server sees
 * them. vLLM's clock still starts before a connection is acquired: start_time ≤ sent_time for every request.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBenchmark, type BenchmarkOptions } from '../src/loadgen/index.ts';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';

let emu: EmulatedServer;
let proxy: net.Server;
let url = '';
let accepted = 0;
const socks = new Set<net.Socket>();

beforeAll(async () => {
  emu = await startEmulatedServer({ profile: { ttft_ms: 5, itl_ms: 2 }, served_model_name: 'm' });
  proxy = net.createServer((c) => {
    accepted++;
    const up = net.connect(emu.port, '127.0.0.1');
    for (const s of [c, up]) {
      socks.add(s);
      s.on('close', () => socks.delete(s));
      s.on('error', () => {});
    }
    c.pipe(up);
    up.pipe(c);
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of socks) s.destroy();
  await new Promise<void>((r) => proxy.close(() => r()));
  await emu.close();
});
beforeEach(() => {
  accepted = 0;
});

const base = (o: Partial<BenchmarkOptions>): BenchmarkOptions => ({
  base_url: url,
  model: 'm',
  tokenizer: 'bundled',
  num_prompts: 12,
  max_concurrency: 4,
  random_input_len: 8,
  random_output_len: 3,
  ...o,
});

describe('the load connections', () => {
  it('without warm-up the first wave connects inside the measurement (vLLM clock: start before the socket)', async () => {
    const r = await runBenchmark(base({}));
    expect(r.completed).toBe(12);
    expect(r.benchops.connections_at_start).toBe(0);
    expect(accepted).toBe(4);
    for (const q of r.requests!) expect(q.start_time).toBeLessThanOrEqual(q.sent_time!);
  });

  it("keeps the warm-up's connections for the measured requests, as vLLM's one session does", async () => {
    const r = await runBenchmark(base({ num_warmups: 4 }));
    expect(r.completed).toBe(12);
    expect(r.benchops.warmup_requests).toBe(4);
    expect(r.benchops.connections_at_start).toBe(4);
    // 4 warm-up requests at concurrency 4 and 12 measured ones over the same 4 connections
    expect(accepted).toBe(4);
  });

  it('preconnect opens one connection per slot before the time zero, and the run reuses them', async () => {
    const r = await runBenchmark(base({ max_concurrency: 6, preconnect: true }));
    expect(r.completed).toBe(12);
    expect(r.benchops.connections_at_start).toBe(6);
    expect(accepted).toBe(6);
    for (const q of r.requests!) expect(q.start_time).toBeLessThanOrEqual(q.sent_time!);
  });

  it('with worker threads each opens its share before it says it is ready', async () => {
    const r = await runBenchmark(base({ workers: 2, preconnect: true }));
    expect(r.completed).toBe(12);
    expect(r.benchops.connections_at_start).toBe(4);
    expect(accepted).toBe(4);
  });

  it('a library run in this process says which garbage collector timed it', async () => {
    const r = await runBenchmark(base({ num_prompts: 2 }));
    expect(r.benchops.client_gc).toBe(process.execArgv.includes('--single-threaded-gc') ? 'single-threaded' : 'parallel');
  });
});
