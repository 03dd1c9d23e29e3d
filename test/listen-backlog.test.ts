/**
 * Listening sockets take a burst of connections: the emulated vLLM server and the platform's listeners listen with a
 * backlog of 4096 (uvicorn, vLLM's server, uses 2048; Node's default is 511), so a benchmark opening ~1,000
 * connections at once does not lose SYNs to a full queue and wait a kernel retransmit. Read from the kernel (`ss`
 * reports a listening socket's backlog as its Send-Q), capped by net.core.somaxconn. The connect times themselves
 * are bench/connect-burst.ts's figures.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/server.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
/** The backlog the kernel holds for the socket listening on `port` (ss -ltn: Send-Q of a LISTEN socket). */
function backlog(url: string): number {
  const port = new URL(url).port;
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim().split('\n')[0];
  return Number(out.trim().split(/\s+/)[2]);
}

describe('listen backlog', () => {
  let emu: EmulatedServer | undefined;
  let p: TestPlatform | undefined;
  afterAll(async () => {
    await emu?.close();
    await p?.close();
  });

  it('the emulated vLLM server and the platform listeners queue a burst of 4096 connections', async () => {
    const want = Math.min(4096, somaxconn);
    emu = await startEmulatedServer({ profile: { ttft_ms: 1, itl_ms: 1 }, served_model_name: 'm' });
    expect(backlog(emu.url)).toBe(want);
    p = await startTestPlatform({ kind: 'pglite', services: ['results'] });
    expect(backlog(p.urls.results!)).toBe(want);
  });
});
