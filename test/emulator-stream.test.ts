/**
 * The emulated server's stream as bytes on the wire (issue 16, defect 4 and the lean write path): the chat role-only
 * chunk leaves with the first token, as vLLM's server sends it; no chunk leaves before its modelled time; every
 * stream of a crowd gets all its chunks in order from the one tick clock.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';
import { EARLY_MS, SLICE, TickClock } from '../src/simulator/tick-clock.ts';
import { ChunkedSseDecoder } from './helpers/sse-wire.ts';

const TTFT = 300;
const ITL = 40;
let s: EmulatedServer;

beforeAll(async () => {
  s = await startEmulatedServer({ model: 'Qwen/Qwen3-0.6B', hardware: 'L40S', profile: { ttft_ms: TTFT, itl_ms: ITL } });
});
afterAll(() => s.close());

interface Read {
  at: number;
  bytes: Buffer;
}

/** Sends one HTTP/1.1 request on a raw socket and collects every read with its arrival time (performance.now()). */
function rawRequest(url: string, path: string, body: unknown): Promise<{ sentAt: number; reads: Read[] }> {
  const u = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const reads: Read[] = [];
    const sock = net.connect(Number(u.port), u.hostname, () => {
      sock.setNoDelay(true);
      const sentAt = performance.now();
      sock.write(`POST ${path} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`);
      sock.on('data', (b: Buffer) => {
        reads.push({ at: performance.now(), bytes: b });
        // the server keeps the connection open (keep-alive, like uvicorn): the last chunk of the body ends the read
        if (b.toString('latin1').endsWith('\r\n0\r\n\r\n')) {
          sock.destroy();
          resolve({ sentAt, reads });
        }
      });
    });
    sock.on('error', reject);
  });
}

/** The SSE events of a chunked HTTP response (framing decoded incrementally), each with the time its last byte arrived. */
function events(reads: Read[]): Array<{ at: number; data: string }> {
  const dec = new ChunkedSseDecoder();
  return reads.flatMap((r) => dec.push(r.bytes).map((data) => ({ at: r.at, data })));
}

/** The read that holds the response's status line. */
const statusRead = (reads: Read[]) => reads.find((r) => r.bytes.toString('latin1').includes('HTTP/1.1 200'));

describe('chat role-only chunk (defect 4)', () => {
  it('headers leave at once, the role-only chunk only with the first token, in the same write', async () => {
    const { sentAt, reads } = await rawRequest(s.url, '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      ignore_eos: true,
      stream: true,
    });
    const headerRead = statusRead(reads)!;
    expect(headerRead).toBeDefined();
    // the status line is not held back until the first token (a client sees the stream open as with vLLM)
    expect(headerRead.at - sentAt).toBeLessThan(TTFT);
    const ev = events(reads);
    expect(ev.map((e) => e.data).at(-1)).toBe('[DONE]');
    const chunks = ev.filter((e) => e.data !== '[DONE]').map((e) => ({ at: e.at, j: JSON.parse(e.data) }));
    expect(chunks).toHaveLength(4); // role + 3 tokens
    expect(chunks[0].j.choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(typeof chunks[1].j.choices[0].delta.content).toBe('string');
    // the role chunk arrived no earlier than the first token could (TTFT after the request was sent) ...
    expect(chunks[0].at - sentAt).toBeGreaterThanOrEqual(TTFT - 1);
    // ... and in the same socket read as the first token: one write carries both
    expect(chunks[1].at).toBe(chunks[0].at);
    const rec = s.records().at(-1)!;
    expect(rec.role_chunk_ms).toBe(rec.chunk_ms[0]);
    expect(rec.role_chunk_ms! - rec.arrival_ms).toBeGreaterThanOrEqual(TTFT - EARLY_MS);
  });

  it('completions have no role chunk; the last token, usage and [DONE] leave together', async () => {
    const { reads } = await rawRequest(s.url, '/v1/completions', { prompt: 'a b c', max_tokens: 2, ignore_eos: true, stream: true, stream_options: { include_usage: true } });
    const ev = events(reads);
    expect(ev).toHaveLength(4);
    const j = ev.slice(0, 3).map((e) => JSON.parse(e.data));
    expect(j[0].choices[0].text).toBeTypeOf('string');
    expect(j[1].choices[0].finish_reason).toBe('length');
    expect(j[2]).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
    expect(ev[1].at).toBe(ev[3].at);
  });
});

describe('the tick clock', () => {
  it('delivers items in due order and never earlier than EARLY_MS before their due time', async () => {
    const got: Array<{ due: number; at: number }> = [];
    let seedV = 7;
    const rnd = () => ((seedV = (seedV * 1103515245 + 12345) % 2147483648) / 2147483648);
    const clock = new TickClock<number>((items, now) => {
      for (const due of items) got.push({ due, at: now });
    });
    const t0 = performance.now();
    const dues = Array.from({ length: 300 }, () => t0 + 2 + rnd() * 60);
    for (const d of dues) clock.add(d, d);
    await new Promise<void>((r) => {
      const poll = () => (got.length === dues.length ? r() : setTimeout(poll, 10));
      poll();
    });
    clock.close();
    expect(got.map((g) => g.due)).toEqual([...dues].sort((a, b) => a - b));
    for (const g of got) expect(g.at).toBeGreaterThanOrEqual(g.due - EARLY_MS);
    expect(clock.ticks).toBeGreaterThan(0);
    expect(clock.delivered).toBe(dues.length);
  });

  it('hands over at most SLICE items per wake-up, and the loop turns (I/O is polled) between slices', async () => {
    const n = 5 * SLICE + 7;
    const batches: number[] = [];
    const order: string[] = [];
    const got: number[] = [];
    const clock = new TickClock<number>((items) => {
      batches.push(items.length);
      order.push('slice');
      got.push(...items);
      // queued by this slice: runs in the loop's next turn, so before the next slice only if the clock yields
      if (batches.length === 1) setImmediate(() => order.push('loop turn'));
    });
    const due = performance.now() + 3;
    for (let i = 0; i < n; i++) clock.add(due + i * 1e-6, i);
    await new Promise<void>((r) => {
      const poll = () => (got.length === n ? r() : setTimeout(poll, 5));
      poll();
    });
    clock.close();
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Math.max(...batches)).toBeLessThanOrEqual(SLICE);
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(n / SLICE));
    expect(order.slice(0, 3)).toEqual(['slice', 'loop turn', 'slice']);
  });

  it('a crowd of streams: every chunk of every stream, in order, none before its modelled time', async () => {
    const n = 200;
    const tokens = 8;
    await fetch(s.url + '/benchops/records', { method: 'DELETE' });
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        fetch(s.url + '/v1/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: `p${i}`, max_tokens: tokens, ignore_eos: true, stream: true }),
        }).then((r) => r.text()),
      ),
    );
    for (const a of answers) {
      // one event per token, or fewer when the server fell behind and merged a stream's due tokens into one chunk
      const ev = a.match(/"text":/g)!.length;
      expect(ev).toBeGreaterThanOrEqual(1);
      expect(ev).toBeLessThanOrEqual(tokens);
      expect(a).toContain('"finish_reason":"length"');
    }
    const recs = s.records();
    expect(recs).toHaveLength(n);
    for (const r of recs) {
      expect(r.chunk_ms).toHaveLength(tokens);
      expect(r.due_ms).toHaveLength(tokens);
      for (let i = 0; i < tokens; i++) {
        // the schedule is anchored at arrival: token i is due at arrival + TTFT + i·ITL
        expect(r.chunk_ms[i]).toBeGreaterThanOrEqual(r.arrival_ms + TTFT + i * ITL - EARLY_MS - 0.01);
        expect(r.due_ms![i]).toBeCloseTo(r.arrival_ms + TTFT + i * ITL, 2);
        // in order; a server that fell behind catches up with several due tokens in one write (one send time)
        if (i) expect(r.chunk_ms[i]).toBeGreaterThanOrEqual(r.chunk_ms[i - 1]);
      }
    }
  });
});
