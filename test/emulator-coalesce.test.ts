/**
 * A late emulated server merges a stream's due tokens into ONE chunk (issue 16), as vLLM V1's API server does when it
 * falls behind its engine (RequestOutputCollector.put aggregates DELTA outputs): the loop is blocked on purpose for a
 * few ITLs, and the next write carries every token that fell due meanwhile as one SSE event. The text, the token count
 * and the usage are those of an unblocked run; the records keep each token's due time and its chunk's write time.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';
import { ChunkedSseDecoder } from './helpers/sse-wire.ts';

const TTFT = 80;
const ITL = 40;
const TOKENS = 12;
let s: EmulatedServer;

beforeAll(async () => {
  s = await startEmulatedServer({ model: 'Qwen/Qwen3-0.6B', hardware: 'L40S', profile: { ttft_ms: TTFT, itl_ms: ITL }, seed: 11 });
});
afterAll(() => s.close());

/** Busy-waits `ms` on this thread: the server shares the test's event loop, so it is blocked as long. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

interface Event {
  /** The parsed `data:` payload ('[DONE]' as is). */
  data: unknown;
}

/**
 * One streaming request on a raw socket. `onEvents(n)` runs after each read with the number of SSE events so far
 * (0 after the headers alone): the place to block the loop. Resolves with every event once the body ends.
 */
function stream(path: string, body: unknown, onEvents?: (n: number) => void): Promise<Event[]> {
  const u = new URL(s.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const dec = new ChunkedSseDecoder();
    const events: Event[] = [];
    const sock = net.connect(Number(u.port), u.hostname, () => {
      sock.write(`POST ${path} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    });
    sock.on('data', (b: Buffer) => {
      for (const d of dec.push(b)) events.push({ data: d === '[DONE]' ? '[DONE]' : JSON.parse(d) });
      if (dec.ended) {
        sock.destroy();
        return resolve(events);
      }
      onEvents?.(events.length);
    });
    sock.on('error', reject);
  });
}

type Chunk = { choices: Array<{ text?: string; delta?: { content?: string; role?: string }; finish_reason: string | null }>; usage?: { completion_tokens: number } };
const textOf = (e: Event) => {
  const c = (e.data as Chunk).choices?.[0];
  return c ? (c.text ?? c.delta?.content ?? '') : '';
};
const tokenEvents = (ev: Event[]) => ev.filter((e) => e.data !== '[DONE]' && (e.data as Chunk).choices.length && (e.data as Chunk).choices[0].delta?.role === undefined);

/** The record of the last request, with tokens grouped by the chunk (write time) that carried them. */
function lastRecord() {
  const rec = s.records().at(-1)!;
  const groups: number[] = [];
  rec.chunk_ms.forEach((t, i) => (i > 0 && t === rec.chunk_ms[i - 1] ? groups[groups.length - 1]++ : groups.push(1)));
  return { rec, groups };
}

describe('a late server merges due tokens into one chunk (vLLM V1 output aggregation)', () => {
  const completion = { prompt: 'merge these tokens', max_tokens: TOKENS, ignore_eos: true, stream: true, stream_options: { include_usage: true } };

  it('blocked for 5 ITLs mid-stream: one chunk carries the tokens due meanwhile; text, count and usage unchanged', async () => {
    const free = await stream('/v1/completions', completion);
    const freeText = tokenEvents(free).map(textOf).join('');
    let blocked = false;
    const late = await stream('/v1/completions', completion, (n) => {
      // after the second token's chunk: five more tokens fall due while the loop is held
      if (n >= 2 && !blocked) {
        blocked = true;
        block(5 * ITL + ITL / 2);
      }
    });
    const { rec, groups } = lastRecord();
    const tok = tokenEvents(late);
    expect(tok.map(textOf).join('')).toBe(freeText);
    // fewer chunks than tokens: at least one carries several (5 or 6 due at the next tick; ≥ 3 on a slow machine)
    expect(tok.length).toBeLessThan(TOKENS);
    expect(Math.max(...groups)).toBeGreaterThanOrEqual(3);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(TOKENS);
    expect(tok).toHaveLength(groups.length);
    // the merged chunk's text is the unblocked run's tokens concatenated, in place
    let at = 0;
    const freeTokens = tokenEvents(free).map(textOf);
    if (freeTokens.length === TOKENS) {
      tok.forEach((e, i) => {
        expect(textOf(e)).toBe(freeTokens.slice(at, at + groups[i]).join(''));
        at += groups[i];
      });
    }
    // usage and the records count every token; the last event finishes the request
    const usage = late.find((e) => e.data !== '[DONE]' && (e.data as Chunk).usage)!.data as Chunk;
    expect(usage.usage!.completion_tokens).toBe(TOKENS);
    expect((tok.at(-1)!.data as Chunk).choices[0].finish_reason).toBe('length');
    expect(late.at(-1)!.data).toBe('[DONE]');
    expect(rec.output_tokens).toBe(TOKENS);
    // each token keeps its own due time; a merged token's write time is its chunk's, never before its due time
    expect(rec.chunk_ms).toHaveLength(TOKENS);
    expect(rec.due_ms).toHaveLength(TOKENS);
    for (let i = 0; i < TOKENS; i++) {
      expect(rec.due_ms![i]).toBeCloseTo(rec.arrival_ms + TTFT + i * ITL, 2);
      expect(rec.chunk_ms[i]).toBeGreaterThanOrEqual(rec.due_ms![i]);
    }
    // the block shows as lateness of the merged tokens (the first of them waited the longest)
    const first = groups.findIndex((g) => g >= 3);
    const startTok = groups.slice(0, first).reduce((a, b) => a + b, 0);
    expect(rec.chunk_ms[startTok] - rec.due_ms![startTok]).toBeGreaterThan(2 * ITL);
  });

  it('blocked through the end: the rest, the finish reason, usage and [DONE] leave together', async () => {
    const free = await stream('/v1/completions', completion);
    let blocked = false;
    const late = await stream('/v1/completions', completion, (n) => {
      if (n >= 1 && !blocked) {
        blocked = true;
        block((TOKENS + 1) * ITL);
      }
    });
    const { rec, groups } = lastRecord();
    const tok = tokenEvents(late);
    expect(tok.map(textOf).join('')).toBe(tokenEvents(free).map(textOf).join(''));
    expect(groups.at(-1)).toBeGreaterThanOrEqual(TOKENS - 2);
    expect((tok.at(-1)!.data as Chunk).choices[0].finish_reason).toBe('length');
    expect((late.at(-2)!.data as Chunk).usage!.completion_tokens).toBe(TOKENS);
    expect(rec.output_tokens).toBe(TOKENS);
  });

  it('chat blocked before the first token: the role chunk, then one delta with every token due', async () => {
    const chat = { messages: [{ role: 'user', content: 'merge' }], max_tokens: TOKENS, ignore_eos: true, stream: true };
    const free = await stream('/v1/chat/completions', chat);
    let blocked = false;
    const late = await stream('/v1/chat/completions', chat, (n) => {
      // the headers are in (no event yet): hold the loop past the first token and three ITLs
      if (n === 0 && !blocked) {
        blocked = true;
        block(TTFT + 3 * ITL + ITL / 2);
      }
    });
    const { rec, groups } = lastRecord();
    expect((late[0].data as Chunk).choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(tokenEvents(late).map(textOf).join('')).toBe(tokenEvents(free).map(textOf).join(''));
    expect(groups[0]).toBeGreaterThanOrEqual(3);
    expect(tokenEvents(late)).toHaveLength(groups.length);
    expect(rec.role_chunk_ms).toBe(rec.chunk_ms[0]);
    expect(rec.output_tokens).toBe(TOKENS);
  });
});
