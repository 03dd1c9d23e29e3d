/**
 * The lean HTTP/1.1 transport against a raw TCP server that writes responses byte by byte where it matters: chunked
 * bodies split at every boundary, Content-Length bodies, bodies ended by the connection, keep-alive reuse, a server that
 * closes an idle keep-alive socket (the next request is retried once on a fresh one), and failures reported as errors.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { closeTarget, sendRequest } from '../src/loadgen/client.ts';
import { FastPool, type FastHandlers } from '../src/loadgen/fasthttp.ts';
import { targetOf } from '../src/loadgen/load.ts';

/** What the server does with the n-th request it reads on a connection: bytes to write, in pieces, then maybe close. */
let respond: (reqNo: number) => { pieces: Buffer[]; close?: boolean };
let server: net.Server;
let port = 0;
let connections = 0;
/** Request lines the server read, in order. */
const requestLines: string[] = [];
const open = new Set<net.Socket>();

beforeAll(async () => {
  server = net.createServer((sock) => {
    connections++;
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    let buf = '';
    let n = 0;
    sock.on('data', async (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, h))?.[1] ?? 0);
        requestLines.push(buf.slice(0, buf.indexOf('\r\n')));
        if (buf.length < h + 4 + len) return;
        buf = buf.slice(h + 4 + len);
        const { pieces, close } = respond(n++);
        for (const p of pieces) {
          sock.write(p);
          await new Promise((r) => setTimeout(r, 2)); // separate reads on the client
        }
        if (close) sock.end();
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  for (const s of open) s.destroy();
  return new Promise<void>((r) => server.close(() => r()));
});

function exchange(pool: FastPool): Promise<{ status: number; text: string; reads: number; error?: string; sent: boolean }> {
  return new Promise((resolve) => {
    let status = 0;
    let text = '';
    let reads = 0;
    let sent = false;
    const dec = new StringDecoder('utf8');
    const h: FastHandlers = {
      onSent: () => (sent = true),
      onHead: (s) => (status = s),
      onBody: (buf, start, end) => {
        // the transport hands on bytes of its read buffer; a character may be split across reads
        text += dec.write(buf.subarray(start, end));
        reads++;
      },
      onEnd: () => resolve({ status, text, reads, sent }),
      onError: (error) => resolve({ status, text, reads, error, sent }),
    };
    pool.request('POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 2\r\n\r\nhi', h);
  });
}

const chunked = (parts: string[]) => {
  const body = parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('') + '0\r\n\r\n';
  return Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/event-stream\r\n\r\n' + body);
};
/** Every byte of `b` as its own piece (the hardest split). */
const bytes = (b: Buffer) => Array.from(b, (x) => Buffer.from([x]));

describe('FastPool', () => {
  it('parses chunked bodies split at every byte, multi-byte UTF-8 included, and reuses the connection', async () => {
    const pool = new FastPool('127.0.0.1', port, 1);
    connections = 0;
    const wire = chunked(['data: {"a":1}\n\n', 'data: ünï €\n\n', 'data: [DONE]\n\n']);
    respond = () => ({ pieces: bytes(wire) });
    const a = await exchange(pool);
    expect(a).toMatchObject({ status: 200, text: 'data: {"a":1}\n\ndata: ünï €\n\ndata: [DONE]\n\n', sent: true });
    expect(a.error).toBeUndefined();
    // two chunks in one read, the head and the first chunk together
    respond = () => ({ pieces: [wire.subarray(0, 90), wire.subarray(90)] });
    const b = await exchange(pool);
    expect(b.text).toBe(a.text);
    expect(connections).toBe(1);
    pool.destroy();
  });

  it('connections reading into the one shared read buffer keep their streams apart (interleaved reads, split heads and chunks)', async () => {
    const pool = new FastPool('127.0.0.1', port, 4);
    const wires = [0, 1, 2, 3].map((k) => chunked([`data: {"k":${k}}\n\n`, `data: ${'é'.repeat(k + 1)}\n\n`, 'data: [DONE]\n\n']));
    let next = 0;
    // each connection's answer byte by byte, 2 ms apart: the four connections' reads interleave
    respond = () => ({ pieces: bytes(wires[next++ % 4]) });
    const got = await Promise.all([0, 1, 2, 3].map(() => exchange(pool)));
    const want = [0, 1, 2, 3].map((k) => `data: {"k":${k}}\n\ndata: ${'é'.repeat(k + 1)}\n\ndata: [DONE]\n\n`);
    expect(got.map((g) => g.text).sort()).toEqual(want.sort());
    expect(got.every((g) => g.status === 200 && g.error === undefined && g.reads > 20)).toBe(true);
    pool.destroy();
  });

  it('Content-Length bodies, error statuses and bodies that end with the connection', async () => {
    const pool = new FastPool('127.0.0.1', port, 2);
    respond = () => ({ pieces: [Buffer.from('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\n\r\nbo'), Buffer.from('om')] });
    expect(await exchange(pool)).toMatchObject({ status: 500, text: 'boom' });
    respond = () => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{"x":'), Buffer.from('1}')], close: true });
    expect(await exchange(pool)).toMatchObject({ status: 200, text: '{"x":1}' });
    respond = () => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')] });
    expect(await exchange(pool)).toMatchObject({ status: 200, text: '' });
    pool.destroy();
  });

  it('a head split at every byte or whole in one read gives the same answer; the piece completing a Content-Length body says so', async () => {
    const pool = new FastPool('127.0.0.1', port, 1);
    const wire = Buffer.from('HTTP/1.1 200 OK\r\ndate: x\r\ncontent-type: application/json\r\ncontent-length: 13 \r\n\r\n{"text":"é"}');
    const run = () =>
      new Promise<{ status: number; text: string; lasts: boolean[] }>((resolve, reject) => {
        let status = 0;
        const parts: Buffer[] = [];
        const lasts: boolean[] = [];
        pool.request('POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 2\r\n\r\nhi', {
          onSent: () => {},
          onHead: (st) => (status = st),
          onBody: (buf, start, end, _now, last) => {
            parts.push(Buffer.from(buf.subarray(start, end)));
            lasts.push(last);
          },
          onEnd: () => resolve({ status, text: Buffer.concat(parts).toString('utf8'), lasts }),
          onError: (e) => reject(new Error(e)),
        });
      });
    for (const pieces of [[wire], bytes(wire), [wire.subarray(0, 40), wire.subarray(40, 80), wire.subarray(80)]]) {
      respond = () => ({ pieces });
      const r = await run();
      expect(r).toMatchObject({ status: 200, text: '{"text":"é"}' });
      // only the last piece of the body is marked last
      expect(r.lasts.at(-1)).toBe(true);
      expect(r.lasts.slice(0, -1).every((x) => !x)).toBe(true);
    }
    // a chunked body's pieces are never marked last (its end is the zero-size chunk)
    respond = () => ({ pieces: [chunked(['ab', 'cd'])] });
    const c = await new Promise<boolean[]>((resolve) => {
      const lasts: boolean[] = [];
      pool.request('POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 2\r\n\r\nhi', { onSent: () => {}, onHead: () => {}, onBody: (_b, _s, _e, _n, last) => lasts.push(last), onEnd: () => resolve(lasts), onError: () => resolve(lasts) });
    });
    expect(c).toEqual([false, false]);
    pool.destroy();
  });

  it('reads the framing headers whatever their case and spacing, and ignores look-alike names', async () => {
    const pool = new FastPool('127.0.0.1', port, 1);
    const head = 'HTTP/1.1 201 Created\r\nX-Content-Length: 99\r\nContent-Lengthy: 98\r\nCONTENT-LENGTH :  5\r\nConnection: Keep-Alive\r\n\r\n';
    respond = () => ({ pieces: [Buffer.from(head + 'hello')] });
    expect(await exchange(pool)).toMatchObject({ status: 201, text: 'hello' });
    respond = () => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')] });
    expect(await exchange(pool)).toMatchObject({ status: 200, text: 'abc' });
    respond = () => ({ pieces: [Buffer.from('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok')] });
    expect(await exchange(pool)).toMatchObject({ status: 200, text: 'ok' });
    respond = () => ({ pieces: [Buffer.from('HTTX/1.1 200 OK\r\n\r\n')] });
    expect((await exchange(pool)).error).toMatch(/malformed HTTP status line/);
    pool.destroy();
  });

  it('retries once on a fresh socket when the server closed an idle keep-alive one; reports a cut body as an error', async () => {
    const pool = new FastPool('127.0.0.1', port, 1);
    connections = 0;
    // the first answer keeps the connection "alive" but the server closes it right after: the next request must not fail
    respond = (n) => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')], close: n === 0 });
    expect(await exchange(pool)).toMatchObject({ status: 200, text: 'ok' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await exchange(pool)).toMatchObject({ status: 200, text: 'ok' });
    expect(connections).toBe(2);
    // a chunked body cut off by the server is a failure, not a short success
    respond = () => ({ pieces: [chunked(['data: 1\n\n', 'data: 2\n\n']).subarray(0, 80)], close: true });
    const cut = await exchange(pool);
    expect(cut.error).toMatch(/closed before the response was complete/);
    pool.destroy();
  });

  it('nothing listening is an error, never a throw', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const dead = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const pool = new FastPool('127.0.0.1', dead, 1);
    const r = await exchange(pool);
    expect(r.error).toMatch(/ECONNREFUSED|connect/);
    pool.destroy();
  });

  it('puts at most its connect limit of SYNs on the wire at once; the requests beyond wait and all complete', async () => {
    const pool = new FastPool('127.0.0.1', port, 40, 4);
    connections = 0;
    respond = () => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')] });
    const rs = await Promise.all(Array.from({ length: 40 }, () => exchange(pool)));
    expect(rs.every((r) => r.status === 200 && r.text === 'ok')).toBe(true);
    expect(pool.peakConnecting).toBe(4);
    // no more connections than requests or than the pool's limit; a waiter may take a released one instead
    expect(pool.size).toBeLessThanOrEqual(40);
    expect(connections).toBe(pool.size);
    pool.destroy();
  });

  it('pre-opens connections, each proven by one exchange of the probe, and the requests that follow reuse them', async () => {
    const pool = new FastPool('127.0.0.1', port, 8, 3);
    connections = 0;
    requestLines.length = 0;
    respond = () => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')] });
    expect(await pool.preopen(6, 'GET /v1/models HTTP/1.1\r\nhost: t\r\n\r\n')).toBe(6);
    expect(connections).toBe(6);
    expect(requestLines).toEqual(Array(6).fill('GET /v1/models HTTP/1.1'));
    expect(pool.idleCount).toBe(6);
    expect(pool.peakConnecting).toBeLessThanOrEqual(3);
    // topping up to 8 opens the 2 missing ones only
    expect(await pool.preopen(8, 'GET /v1/models HTTP/1.1\r\nhost: t\r\n\r\n')).toBe(8);
    expect(connections).toBe(8);
    const rs = await Promise.all(Array.from({ length: 8 }, () => exchange(pool)));
    expect(rs.every((r) => r.status === 200 && r.sent)).toBe(true);
    expect(connections).toBe(8);
    expect(requestLines.slice(8)).toEqual(Array(8).fill('POST /x HTTP/1.1'));
    pool.destroy();
  });
});

describe('the client over the lean transport', () => {
  it('sends each prompt with its own max_tokens (built requests are reused only for the same prompt and length), and reads one-read and split JSON answers alike', async () => {
    const bodies: any[] = [];
    let split = false;
    const srv = http.createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        const j = JSON.parse(b);
        bodies.push(j);
        const out = Buffer.from(JSON.stringify({ choices: [{ text: `«${j.prompt}» ${j.max_tokens}` }], usage: { prompt_tokens: 3, completion_tokens: j.max_tokens } }));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length });
        if (!split) return res.end(out);
        // the answer in two writes, apart in time: two reads on the client
        res.write(out.subarray(0, 7));
        setTimeout(() => res.end(out.subarray(7)), 5);
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const t = targetOf({ url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1/completions`, chat: false, model: 'm', headers: {}, stream: false, timeoutMs: 5000, extraBody: {}, maxSockets: 2 });
    try {
      const sends: Array<[string, number]> = [['ä b', 3], ['ä b', 3], ['ä b', 5], ['c', 3], ['ä b', 3]];
      const got = [];
      for (const [p, m] of sends) got.push(await sendRequest(t, p, m, 0));
      split = true;
      got.push(await sendRequest(t, 'ä b', 4, 0));
      expect(bodies.map((b) => [b.prompt, b.max_tokens])).toEqual([...sends, ['ä b', 4]]);
      expect(got.map((r) => [r.success, r.text, r.usageOutput, r.usagePrompt, r.chunks.length])).toEqual([
        [true, '«ä b» 3', 3, 3, 1],
        [true, '«ä b» 3', 3, 3, 1],
        [true, '«ä b» 5', 5, 3, 1],
        [true, '«c» 3', 3, 3, 1],
        [true, '«ä b» 3', 3, 3, 1],
        [true, '«ä b» 4', 4, 3, 1],
      ]);
    } finally {
      closeTarget(t);
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
