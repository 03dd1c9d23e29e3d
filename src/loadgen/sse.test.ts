/**
 * The byte scanner (scanMessage) against the string classifier (classifyMessage, current vLLM's chunk rule): the same
 * chunk, text, role-only flag and usage for every message shape, or a hand-over to the string path. And the streaming
 * client end to end over the lean transport: messages split anywhere (inside a message, a UTF-8 character, an escape),
 * escaped and non-ASCII text, comments, a role-only chunk, the usage message — counted and decoded as vLLM does.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { makeAgent, sendRequest, type EndpointTarget } from './client.ts';
import { classifyMessage, newByteMessage, newMessage, scanMessage } from './sse.ts';

const shapes: Array<[string, boolean]> = [
  ['{"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" ba","logprobs":null,"finish_reason":null}]}', false],
  ['{"id":"c","choices":[{"index":0,"text":"","finish_reason":"length"}],"usage":null}', false],
  ['{"id":"c","choices":[],"usage":{"prompt_tokens":12,"total_tokens":76,"completion_tokens":64}}', false],
  ['{"id":"c","usage":{"prompt_tokens":3,"completion_tokens":5},"choices":[{"text":"x"}]}', false],
  ['{"id":"c","choices":[{"index":0,"text":"a \\"quoted\\" \\\\ back\\nline \\u00e9"}]}', false],
  ['{"id":"c","choices":[{"index":0,"text":"héllo – 日本"}]}', false],
  ['{"id":"c", "choices" : [ ] }', false],
  ['{"id":"c","choices": [ {"text": "spaced"} ]}', false],
  ['{"id":"c","choices":null,"usage":{"completion_tokens":7}}', false],
  ['{"error":{"message":"boom","type":"x"}}', false],
  ['{"object":"error","message":"bad"}', false],
  ['not json', false],
  ['{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null}]}', true],
  ['{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" ba"}}]}', true],
  ['{"id":"x","choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}', true],
  ['{"id":"x","choices":[{"index":0,"delta":{"content":null,"reasoning":"r2"}}]}', true],
  ['{"id":"x","choices":[{"index":0,"delta":{}}]}', true],
  ['{"id":"x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}}', true],
];

describe('scanMessage', () => {
  it.each(shapes)('agrees with classifyMessage on %s', (msg, chat) => {
    const buf = Buffer.from(`xx${msg}yy`);
    const a = 2;
    const b = buf.length - 2;
    const m = scanMessage(buf, a, b, chat, newByteMessage());
    const s = classifyMessage(msg, chat, newMessage());
    if (m.slow) {
      // handed to the string path: only messages without a choices array, which the string path then decides
      expect(msg.includes('"choices": [') || msg.includes('"choices":[')).toBe(false);
      return;
    }
    expect(m.chunk).toBe(s.chunk);
    expect(m.roleOnly).toBe(s.roleOnly);
    expect(m.completionTokens).toBe(s.completionTokens);
    expect(m.promptTokens).toBe(s.promptTokens);
    const raw = buf.toString('utf8', m.textStart, m.textEnd);
    const text = m.chunk ? (m.escaped ? JSON.parse(`"${raw}"`) : raw) : '';
    expect(text).toBe(s.text);
    expect(s.error).toBeNull();
  });
});

/**
 * A raw HTTP server writing one chunked SSE response in the given pieces (each its own write, a pause between);
 * `writtenAt` gets each piece's write time (performance.now() ms).
 */
async function rawServer(pieces: Buffer[], seen: string[] = [], writtenAt: number[] = []): Promise<{ url: string; close(): Promise<void> }> {
  const server = net.createServer((sock) => {
    sock.once('data', async (d) => {
      seen.push(d.toString());
      for (const p of pieces) {
        writtenAt.push(performance.now());
        sock.write(p);
        await new Promise((r) => setTimeout(r, 3));
      }
      sock.end();
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/v1/completions`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function target(url: string, chat: boolean, extraBody: Record<string, unknown> = {}): EndpointTarget {
  const u = new URL(url);
  return { url: u, chat, model: 'm', headers: {}, agent: makeAgent(u, 4), stream: true, timeoutMs: 10_000, extraBody };
}

describe('streaming client over the lean transport', () => {
  it('counts and decodes messages split at arbitrary bytes (inside messages, characters and escapes)', async () => {
    const texts = ['héllo', ' "quoted"', ' \\ back', '', ' 日本', ' \u2013 end'];
    let sse = ': a comment\n\n';
    for (const t of texts) sse += `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, text: t }] })}\n\n`;
    sse += `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 4, completion_tokens: 6 } })}\n\ndata: [DONE]\n\n`;
    const body = Buffer.from(sse);
    // chunked framing with HTTP chunks of 7 bytes, each TCP write 5 bytes: every kind of split occurs
    let framed = '';
    for (let i = 0; i < body.length; i += 7) {
      const part = body.subarray(i, i + 7);
      framed += part.length.toString(16) + '\r\n' + part.toString('latin1') + '\r\n';
    }
    const whole = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n'), Buffer.from(framed + '0\r\n\r\n', 'latin1')]);
    const pieces: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 5) pieces.push(whole.subarray(i, i + 5));
    const srv = await rawServer(pieces);
    try {
      const r = await sendRequest(target(srv.url, false), 'p', 6, 0);
      expect(r.error).toBe('');
      expect(r.success).toBe(true);
      // vLLM: every message with non-empty choices is a chunk, the empty text included
      expect(r.chunks.length).toBe(texts.length);
      expect(r.text).toBe(texts.join(''));
      expect(r.usageOutput).toBe(6);
      expect(r.usagePrompt).toBe(4);
      // read times never go backwards
      for (let i = 1; i < r.chunks.length; i++) expect(r.chunks[i]).toBeGreaterThanOrEqual(r.chunks[i - 1]);
    } finally {
      await srv.close();
    }
  });

  it('ends a message at a blank line inside the read only: a read ending in one LF, the byte after it in the shared read buffer an LF of an earlier read', async () => {
    const msg = `data: ${JSON.stringify({ id: 'cmpl-' + '0'.repeat(80), choices: [{ index: 0, text: 'a' }] })}\n\n`;
    // read 2 is the chunk-size line and the message up to its first LF; read 1 (the head) is padded so that its byte
    // at read 2's length is an LF: every read lands at the start of the one read buffer
    const second = `${Buffer.byteLength(msg).toString(16)}\r\n${msg.slice(0, -1)}`;
    const prefix = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nx-pad: ';
    const head = prefix + 'p'.repeat(second.length - prefix.length - 1) + '\r\n\r\n';
    expect(head[second.length]).toBe('\n');
    const done = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } })}\n\ndata: [DONE]\n\n`;
    const tail = `\n\r\n${Buffer.byteLength(done).toString(16)}\r\n${done}\r\n0\r\n\r\n`;
    const writtenAt: number[] = [];
    const srv = await rawServer([Buffer.from(head), Buffer.from(second), Buffer.from(tail)], [], writtenAt);
    try {
      const r = await sendRequest(target(srv.url, false), 'p', 1, 0);
      expect(r.error).toBe('');
      expect(r.chunks.length).toBe(1);
      // the message is complete with the third piece's LF: it is read then, not at the second piece
      expect(r.chunks[0] * 1000).toBeGreaterThanOrEqual(writtenAt[2]);
      expect(r.text).toBe('a');
      expect(r.usageOutput).toBe(1);
    } finally {
      await srv.close();
    }
  });

  it('chat: the role-only chunk is a chunk (TTFT) and its time is kept; an error message fails the request', async () => {
    const msgs = [
      { id: 'x', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
      { id: 'x', choices: [{ index: 0, delta: { content: 'a' } }] },
      { id: 'x', choices: [{ index: 0, delta: { content: 'b\n' } }] },
    ];
    const sse = msgs.map((m) => `data: ${JSON.stringify(m)}\n\n`).join('') + 'data: [DONE]\n\n';
    const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
    const one = (s: string) => Buffer.from(`${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`);
    const srv = await rawServer([Buffer.from(head), one(sse), Buffer.from('0\r\n\r\n')]);
    try {
      const r = await sendRequest(target(srv.url.replace('/v1/completions', '/v1/chat/completions'), true), 'p', 2, 0);
      expect(r.success).toBe(true);
      expect(r.chunks.length).toBe(3);
      expect(r.roleChunk).toBe(r.chunks[0]);
      expect(r.text).toBe('ab\n');
      expect(r.usageOutput).toBeNull();
    } finally {
      await srv.close();
    }
    const bad = `data: ${JSON.stringify({ error: { message: 'overloaded' } })}\n\n`;
    const srv2 = await rawServer([Buffer.from(head), one(bad), Buffer.from('0\r\n\r\n')]);
    try {
      const r = await sendRequest(target(srv2.url, false), 'p', 2, 0);
      expect(r.success).toBe(false);
      expect(r.error).toBe('overloaded');
    } finally {
      await srv2.close();
    }
  });
});

describe('cancellation', () => {
  it('an aborted signal ends every request in flight under it, and only those; requests under another signal go on', async () => {
    // a server that sends the head and one chunk, then holds the stream until the test ends it
    const socks: net.Socket[] = [];
    /** the socket of each request, in arrival order (a kept-alive connection serves several) */
    const reqs: net.Socket[] = [];
    const msg = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, text: 'a' }] })}\n\n`;
    const server = net.createServer((sock) => {
      socks.push(sock);
      sock.on('error', () => {});
      sock.on('data', () => reqs.push(sock) && sock.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n${Buffer.byteLength(msg).toString(16)}\r\n${msg}\r\n`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/completions`;
    const t = target(url, false);
    const a = new AbortController();
    const b = new AbortController();
    try {
      const underA = [0, 1, 2].map(() => sendRequest(t, 'p', 4, 0, a.signal));
      const underB = sendRequest(t, 'p', 4, 0, b.signal);
      while (reqs.length < 4) await new Promise((r) => setTimeout(r, 5));
      a.abort();
      for (const r of await Promise.all(underA)) {
        expect(r.success).toBe(false);
        expect(r.error).toBe('aborted');
      }
      // B's request is still open: the server ends its stream, and it completes
      const end = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } })}\n\ndata: [DONE]\n\n`;
      for (const s of reqs) if (!s.destroyed) s.write(`${Buffer.byteLength(end).toString(16)}\r\n${end}\r\n0\r\n\r\n`);
      const rb = await underB;
      expect(rb.error).toBe('');
      expect(rb.success).toBe(true);
      expect(rb.chunks.length).toBe(1);
      // a signal that aborted before a request started does not cancel it (as an abort listener added late never fires)
      const late = sendRequest(t, 'p', 4, 0, a.signal);
      while (reqs.length < 5) await new Promise((r) => setTimeout(r, 5));
      reqs[4].write(`${Buffer.byteLength(end).toString(16)}\r\n${end}\r\n0\r\n\r\n`);
      expect((await late).success).toBe(true);
    } finally {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('request body', () => {
  it('is the JSON vLLM\'s request function sends: model, max_tokens, stream, the extra fields, prompt or messages, include_usage', async () => {
    const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 0\r\n\r\n';
    for (const chat of [false, true]) {
      const seen: string[] = [];
      const srv = await rawServer([Buffer.from(head)], seen);
      try {
        const prompt = 'say "hi" \\ ünï';
        await sendRequest(target(srv.url, chat, { temperature: 0, ignore_eos: true }), prompt, 17, 0);
        const req = seen.join('');
        const body = req.slice(req.indexOf('\r\n\r\n') + 4);
        expect(Number(/content-length: (\d+)/.exec(req)![1])).toBe(Buffer.byteLength(body));
        expect(JSON.parse(body)).toEqual({
          model: 'm',
          max_tokens: 17,
          stream: true,
          temperature: 0,
          ignore_eos: true,
          ...(chat ? { messages: [{ role: 'user', content: prompt }] } : { prompt }),
          stream_options: { include_usage: true },
        });
      } finally {
        await srv.close();
      }
    }
  });
});
