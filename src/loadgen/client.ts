/**
 * OpenAI-compatible streaming client over node:http with a keep-alive agent, timed as current vLLM's request function
 * (vllm/benchmarks/lib/endpoint_request_func.py): the clock starts before the request is handed to the HTTP stack
 * (connection acquisition and connect included); every SSE message with non-empty `choices` is a chunk (see sse.ts);
 * the usage message gives output and prompt tokens. When the body reached a connected socket is kept too, for our
 * dispatch-excluded view. Hot path: one performance.now() per socket read, the messages scanned without JSON.parse,
 * no timer per request (one sweep per target enforces timeouts).
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { FastPool } from './fasthttp.ts';
import { classifyMessage, newByteMessage, newMessage, scanMessage } from './sse.ts';

/** How to reach the endpoint. */
export interface EndpointTarget {
  /** Full URL of the completions or chat completions route. */
  url: URL;
  chat: boolean;
  model: string;
  headers: Record<string, string>;
  agent: http.Agent;
  stream: boolean;
  timeoutMs: number;
  /** Extra body fields (temperature, ignore_eos…). */
  extraBody: Record<string, unknown>;
  /** Connections at most (the lean transport's pool; the agent has its own). Default 1024. */
  maxSockets?: number;
  /** Use node:http even for plain http (the lean transport is the default there). */
  nodeHttp?: boolean;
}

/** Raw timing of one request: seconds relative to `perfOrigin` (performance.now() / 1000 at the run start). */
export interface RawResult {
  success: boolean;
  error: string;
  status: number;
  /** vLLM's clock start: right before the request was handed to node:http. */
  start: number;
  /** When the body was written to a connected socket (our dispatch-excluded view starts here). */
  sent: number;
  /** Read times of the chunks (messages with non-empty `choices`). */
  chunks: number[];
  /** Chat: read time of the role-only chunk, when the server sent one. */
  roleChunk?: number;
  end: number;
  text: string;
  usageOutput: number | null;
  usagePrompt: number | null;
}

interface Inflight {
  deadline: number;
  kill: () => void;
}

/** One timeout sweep per target (every 250 ms, unref'd) instead of a timer per request. */
const sweeps = new WeakMap<EndpointTarget, { set: Set<Inflight>; timer: NodeJS.Timeout | null }>();

function watch(t: EndpointTarget, f: Inflight): () => void {
  let w = sweeps.get(t);
  if (!w) sweeps.set(t, (w = { set: new Set(), timer: null }));
  const ww = w;
  ww.set.add(f);
  if (!ww.timer) {
    ww.timer = setInterval(() => {
      const now = performance.now();
      for (const x of ww.set) if (x.deadline <= now) x.kill();
      if (ww.set.size === 0) {
        clearInterval(ww.timer!);
        ww.timer = null;
      }
    }, 250);
    ww.timer.unref();
  }
  return () => ww.set.delete(f);
}

/** Makes a keep-alive agent sized for the concurrency. */
export function makeAgent(url: URL, maxSockets: number): http.Agent {
  const o = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, keepAliveMsecs: 30_000, scheduling: 'fifo' as const };
  return url.protocol === 'https:' ? new https.Agent(o) : new http.Agent(o);
}

/** A growable byte store: a request's body, or its chunks' text as the server escaped it (decoded once, at the end). */
class Bytes {
  b: Buffer | null = null;
  n = 0;

  add(src: Uint8Array, s: number, e: number): void {
    const len = e - s;
    if (len <= 0) return;
    if (!this.b) this.b = Buffer.allocUnsafe(Math.max(256, len));
    else if (this.n + len > this.b.length) {
      const nb = Buffer.allocUnsafe(Math.max(this.b.length * 2, this.n + len));
      this.b.copy(nb, 0, 0, this.n);
      this.b = nb;
    }
    const d = this.b;
    if (len < 64) {
      // a token's few bytes: a loop is cheaper than a native copy's call
      let k = this.n;
      for (let i = s; i < e; i++) d[k++] = src[i];
    } else d.set(src.subarray(s, e), this.n);
    this.n += len;
  }

  toString(): string {
    return this.b ? this.b.toString('utf8', 0, this.n) : '';
  }
}

/** Response handling shared by both transports: status, body bytes per read, end; the text once it is complete. */
interface Reader {
  head(status: number): void;
  body(buf: Buffer, s: number, e: number, nowMs: number): void;
  end(): void;
  /** The generated text (chunks' texts joined, or the non-streaming answer's). */
  text(): string;
}

function readerFor(t: EndpointTarget, r: RawResult, perfOrigin: number, done: (err?: string) => void): Reader {
  let sawDone = false;
  /** non-200 answers and non-streaming bodies */
  const raw = new Bytes();
  /** streams: the chunks' texts, still JSON-escaped (`escaped`: a backslash occurs) */
  const txt = new Bytes();
  let escaped = false;
  let answer = '';
  /** an SSE message split over reads (rare: servers write whole messages) */
  let carry: Bytes | null = null;
  const m = newByteMessage();
  const sm = newMessage();
  const addDecoded = (s: string) => {
    // a text the string path decoded joins the escaped bytes in escaped form
    const j = JSON.stringify(s);
    if (j.includes('\\')) escaped = true;
    const b = Buffer.from(j.slice(1, -1));
    txt.add(b, 0, b.length);
  };
  /** Handles the complete messages in buf[s, e); returns where the unfinished rest begins. */
  const messages = (buf: Buffer, s: number, e: number, now: number): number => {
    let from = s;
    for (;;) {
      let nl = -1;
      for (let j = from; j + 1 < e; j++) {
        if (buf[j] === 10 && buf[j + 1] === 10) {
          nl = j;
          break;
        }
      }
      if (nl < 0) return from;
      // one SSE message: vLLM strips it, skips comments (":…") and removes the "data: " prefix
      let a = from;
      let b = nl;
      from = nl + 2;
      while (a < b && buf[a] <= 32) a++;
      while (b > a && buf[b - 1] <= 32) b--;
      if (a === b || buf[a] === 58 /* : */) continue;
      if (b - a >= 5 && buf[a] === 100 && buf[a + 1] === 97 && buf[a + 2] === 116 && buf[a + 3] === 97 && buf[a + 4] === 58 /* data: */) a += buf[a + 5] === 32 ? 6 : 5;
      if (b - a === 6 && buf[a] === 91 && buf[a + 1] === 68 && buf[a + 2] === 79 && buf[a + 3] === 78 && buf[a + 4] === 69 && buf[a + 5] === 93 /* [DONE] */) {
        sawDone = true;
        continue;
      }
      scanMessage(buf, a, b, t.chat, m);
      let chunk = m.chunk;
      let roleOnly = m.roleOnly;
      let completion = m.completionTokens;
      let prompt = m.promptTokens;
      if (m.slow) {
        classifyMessage(buf.toString('utf8', a, b), t.chat, sm);
        if (sm.error !== null) {
          r.error = sm.error;
          continue;
        }
        chunk = sm.chunk;
        roleOnly = sm.roleOnly;
        completion = sm.completionTokens;
        prompt = sm.promptTokens;
        if (chunk && sm.text) addDecoded(sm.text);
      } else if (chunk && m.textEnd > m.textStart) {
        txt.add(buf, m.textStart, m.textEnd);
        if (m.escaped) escaped = true;
      }
      if (chunk) {
        if (roleOnly && r.roleChunk === undefined) r.roleChunk = now;
        r.chunks.push(now);
        r.end = now;
      }
      if (completion !== null) r.usageOutput = completion;
      if (prompt !== null) r.usagePrompt = prompt;
    }
  };
  const stream = (buf: Buffer, s: number, e: number, nowMs: number) => {
    const now = nowMs / 1000 - perfOrigin;
    if (carry === null) {
      const rest = messages(buf, s, e, now);
      if (rest < e) (carry = new Bytes()).add(buf, rest, e);
      return;
    }
    carry.add(buf, s, e);
    const c = carry;
    const rest = messages(c.b!, 0, c.n, now);
    if (rest >= c.n) carry = null;
    else if (rest > 0) {
      const left = new Bytes();
      left.add(c.b!, rest, c.n);
      carry = left;
    }
  };
  return {
    head(status) {
      r.status = status;
    },
    body(buf, s, e, nowMs) {
      if (r.status !== 200) {
        if (raw.n < 4096) raw.add(buf, s, Math.min(e, s + 4096 - raw.n));
      } else if (!t.stream) raw.add(buf, s, e);
      else stream(buf, s, e, nowMs);
    },
    end() {
      if (r.status !== 200) return done(`HTTP ${r.status}: ${raw.toString().slice(0, 500)}`);
      if (!t.stream) {
        const now = performance.now() / 1000 - perfOrigin;
        try {
          const j = JSON.parse(raw.toString());
          const c = j.choices?.[0];
          answer = (t.chat ? c?.message?.content : c?.text) ?? '';
          r.usageOutput = j.usage?.completion_tokens ?? null;
          r.usagePrompt = j.usage?.prompt_tokens ?? null;
          // non-streaming: the whole answer is the first (and only) chunk
          r.chunks.push(now);
          r.end = now;
          r.success = true;
          return done();
        } catch (e) {
          return done(`invalid JSON response: ${(e as Error).message}`);
        }
      }
      if (r.error) return done(r.error);
      // vLLM: "Never received a valid chunk to calculate TTFT"
      if (r.chunks.length === 0) return done(sawDone ? 'no chunk with choices received' : 'stream ended without chunks or [DONE]');
      r.success = true;
      done();
    },
    text() {
      if (!t.stream) return answer;
      const s = txt.toString();
      if (!escaped) return s;
      try {
        return JSON.parse('"' + s + '"') as string;
      } catch {
        return s;
      }
    },
  };
}

/** The lean transport's pool of a plain-http target (created on first use), or null when node:http must serve it. */
function poolOf(t: EndpointTarget): FastPool | null {
  const x = t as EndpointTarget & { _pool?: FastPool | null; _head?: string };
  if (x._pool !== undefined) return x._pool;
  const ok = t.url.protocol === 'http:' && !t.nodeHttp && Object.entries(t.headers).every(([k, v]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && !/[\r\n\0]/.test(String(v)));
  x._pool = ok ? new FastPool(t.url.hostname.replace(/^\[|\]$/g, ''), Number(t.url.port || 80), t.maxSockets ?? 1024) : null;
  if (ok) {
    const extra = Object.entries(t.headers)
      .filter(([k]) => !['host', 'content-length', 'content-type', 'accept', 'connection', 'transfer-encoding'].includes(k.toLowerCase()))
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    x._head = `POST ${t.url.pathname}${t.url.search} HTTP/1.1\r\nhost: ${t.url.host}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\n${extra}content-length: `;
  }
  return x._pool;
}

/** Closes a target's connections (both transports). */
export function closeTarget(t: EndpointTarget): void {
  t.agent.destroy();
  (t as EndpointTarget & { _pool?: FastPool | null })._pool?.destroy();
}

/** Sends one request and measures it. Never throws: failures come back with success false and the error. */
export function sendRequest(
  t: EndpointTarget,
  prompt: string,
  maxTokens: number,
  perfOrigin: number,
  signal?: AbortSignal,
): Promise<RawResult> {
  // vLLM starts its clock before building the request too (st = time.perf_counter() precedes session.post)
  const t0 = performance.now();
  const body: Record<string, unknown> = { model: t.model, max_tokens: maxTokens, stream: t.stream, ...t.extraBody };
  if (t.chat) body.messages = [{ role: 'user', content: prompt }];
  else body.prompt = prompt;
  if (t.stream) body.stream_options = { include_usage: true };
  const payload = JSON.stringify(body);
  return new Promise<RawResult>((resolve) => {
    const r: RawResult = {
      success: false,
      error: '',
      status: 0,
      start: t0 / 1000 - perfOrigin,
      sent: 0,
      chunks: [],
      end: 0,
      text: '',
      usageOutput: null,
      usagePrompt: null,
    };
    let settled = false;
    // (the reader reports through `done`, declared below: called only once the exchange runs)
    const rd: Reader = readerFor(t, r, perfOrigin, (err) => done(err));
    let cancel: () => void = () => {};
    const done = (err?: string) => {
      if (settled) return;
      settled = true;
      unwatch();
      signal?.removeEventListener('abort', onAbort);
      r.text = rd.text();
      if (!r.sent) r.sent = r.start;
      if (err) {
        r.success = false;
        r.error = err;
        r.end = r.end || performance.now() / 1000 - perfOrigin;
      }
      resolve(r);
    };
    const unwatch = watch(t, {
      deadline: t0 + t.timeoutMs,
      kill: () => {
        cancel();
        done(`timeout after ${t.timeoutMs} ms`);
      },
    });
    const onAbort = () => {
      cancel();
      done('aborted');
    };
    signal?.addEventListener('abort', onAbort);
    const pool = poolOf(t);
    if (pool) {
      const raw = (t as EndpointTarget & { _head: string })._head + Buffer.byteLength(payload) + '\r\n\r\n' + payload;
      try {
        cancel = pool.request(raw, {
          onSent: (ms) => {
            if (!r.sent) r.sent = ms / 1000 - perfOrigin;
          },
          onHead: (status) => rd.head(status),
          onBody: (buf, s, e, ms) => rd.body(buf, s, e, ms),
          onEnd: () => rd.end(),
          onError: (msg) => done(msg),
        });
      } catch (e) {
        done((e as Error).message);
      }
      return;
    }
    const mod = t.url.protocol === 'https:' ? https : http;
    const base = (t as EndpointTarget & { _opts?: http.RequestOptions })._opts ??= {
      protocol: t.url.protocol,
      hostname: t.url.hostname.replace(/^\[|\]$/g, ''),
      port: t.url.port || (t.url.protocol === 'https:' ? 443 : 80),
      path: t.url.pathname + t.url.search,
      method: 'POST',
      agent: t.agent,
    };
    const req = mod.request({
      ...base,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), accept: 'text/event-stream', ...t.headers },
    });
    cancel = () => req.destroy();
    req.on('error', (e) => done(e.message || String(e)));
    req.on('response', (res) => {
      const x = rd;
      x.head(res.statusCode ?? 0);
      res.on('data', (c: Buffer) => x.body(c, 0, c.length, performance.now()));
      res.on('end', () => x.end());
      res.on('error', (e) => done(e.message));
      res.on('aborted', () => done('response aborted'));
    });
    // The body is written once a connected socket is assigned; that instant is kept for the dispatch-excluded view
    // (vLLM's clock, above, includes the wait for the socket and the connect).
    req.once('socket', (sock) => {
      const go = () => {
        if (settled) return;
        r.sent = performance.now() / 1000 - perfOrigin;
        req.end(payload);
      };
      if ((sock as import('node:net').Socket).connecting) sock.once('connect', go);
      else go();
    });
  });
}
