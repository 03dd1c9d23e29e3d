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
import { FastPool, type FastExchange, type FastHandlers } from './fasthttp.ts';
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
  readonly signal: AbortSignal | undefined;
  kill(): void;
  abort(): void;
}

interface Sweep {
  set: Set<Inflight>;
  timer: NodeJS.Timeout | null;
  /** abort signals this target's requests ran under, each with the one listener that cancels them */
  signals: WeakSet<AbortSignal>;
}

/**
 * One timeout sweep per target (every 250 ms, unref'd) instead of a timer per request, and one abort listener per
 * target and signal instead of one per request: an EventTarget's addEventListener and removeEventListener walk its
 * listeners, 6 us a request with 1,024 in flight (the CLI runs every request under one signal).
 */
const sweeps = new WeakMap<EndpointTarget, Sweep>();

function sweepOf(t: EndpointTarget): Sweep {
  let w = sweeps.get(t);
  if (!w) sweeps.set(t, (w = { set: new Set(), timer: null, signals: new WeakSet() }));
  const ww = w;
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
  return ww;
}

/** Cancels, once `signal` aborts, every request of `w` in flight under it (in the order they started). */
function watchSignal(w: Sweep, signal: AbortSignal): void {
  if (w.signals.has(signal)) return;
  w.signals.add(signal);
  signal.addEventListener(
    'abort',
    () => {
      for (const x of [...w.set]) if (x.signal === signal) x.abort();
    },
    { once: true },
  );
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

  /** `size`: the bytes expected (room for them is made at the first add) */
  constructor(private readonly size = 256) {}

  add(src: Uint8Array, s: number, e: number): void {
    const len = e - s;
    if (len <= 0) return;
    if (!this.b) this.b = Buffer.allocUnsafe(Math.max(this.size, len));
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

/** The lean transport's pool of a plain-http target (created on first use), or null when node:http must serve it. */
function poolOf(t: EndpointTarget): FastPool | null {
  const x = t as EndpointTarget & { _pool?: FastPool | null; _head?: string; _extra?: string };
  if (x._pool !== undefined) return x._pool;
  const ok = t.url.protocol === 'http:' && !t.nodeHttp && Object.entries(t.headers).every(([k, v]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && !/[\r\n\0]/.test(String(v)));
  x._pool = ok ? new FastPool(t.url.hostname.replace(/^\[|\]$/g, ''), Number(t.url.port || 80), t.maxSockets ?? 1024) : null;
  if (ok) {
    const extra = Object.entries(t.headers)
      .filter(([k]) => !['host', 'content-length', 'content-type', 'accept', 'connection', 'transfer-encoding'].includes(k.toLowerCase()))
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    x._extra = extra;
    x._head = `POST ${t.url.pathname}${t.url.search} HTTP/1.1\r\nhost: ${t.url.host}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\n${extra}content-length: `;
  }
  return x._pool;
}

/**
 * Opens the target's connections before a measurement (the lean transport: up to `n`, at most its connect limit in
 * flight), each proven by a GET of `probePath` (the models route) with the target's headers, so the first wave finds
 * sockets the server has accepted. Resolves with the open connections (0 for node:http targets, which connect on use).
 */
export async function preopenTarget(t: EndpointTarget, n: number, probePath: string): Promise<number> {
  const pool = poolOf(t);
  if (!pool) return 0;
  const extra = (t as EndpointTarget & { _extra?: string })._extra ?? '';
  return pool.preopen(n, `GET ${probePath} HTTP/1.1\r\nhost: ${t.url.host}\r\naccept: application/json\r\n${extra}\r\n`);
}

/** The lean transport's pool of a target, if it has one (tests and the report read its counts). */
export function poolOfTarget(t: EndpointTarget): FastPool | null {
  return poolOf(t);
}

/** Closes a target's connections (both transports). */
export function closeTarget(t: EndpointTarget): void {
  t.agent.destroy();
  (t as EndpointTarget & { _pool?: FastPool | null })._pool?.destroy();
}

/** Reused per thread: the scanners' answers are read before the next message is scanned. */
const BM = newByteMessage();
const SM = newMessage();

/**
 * One request in flight: its timing record, the response reader (status, body bytes per read, end) and its text.
 * A class rather than closures: a request allocates this object and its record, not a dozen functions (each of which
 * tsx's keepNames would also name with a defineProperty), and nothing per chunk.
 */
class Exchange implements FastHandlers, Inflight {
  readonly r: RawResult;
  deadline: number;
  settled = false;
  private sawDone = false;
  /** non-200 answers and non-streaming bodies (made when needed: a body that came in one read is read in place) */
  private raw: Bytes | null = null;
  /** streams: the chunks' texts, still JSON-escaped (`escaped`: a backslash occurs) */
  private txt: Bytes | null = null;
  private escaped = false;
  private answer = '';
  /** non-streaming: the body was read (in place) when its last bytes came; the error, if it was not valid */
  private parsed = false;
  private parseError = '';
  /** the latest read's time (ms) */
  private lastRead = 0;
  /** an SSE message split over reads (rare: servers write whole messages) */
  private carry: Bytes | null = null;
  fast: FastExchange | null = null;
  req: http.ClientRequest | null = null;

  constructor(
    private readonly t: EndpointTarget,
    t0: number,
    /** room for the streamed text made at its first chunk: ~8 bytes a token (a growth copies it, per request) */
    private readonly textBytes: number,
    private readonly perfOrigin: number,
    readonly signal: AbortSignal | undefined,
    private readonly cb: (r: RawResult) => void,
  ) {
    this.r = { success: false, error: '', status: 0, start: t0 / 1000 - perfOrigin, sent: 0, chunks: [], end: 0, text: '', usageOutput: null, usagePrompt: null };
    this.deadline = t0 + t.timeoutMs;
  }

  /** The timeout sweep's call. */
  kill(): void {
    this.cancel();
    this.done(`timeout after ${this.t.timeoutMs} ms`);
  }

  /** Its signal aborted. */
  abort(): void {
    this.cancel();
    this.done('aborted');
  }

  private cancel(): void {
    this.fast?.cancel();
    this.req?.destroy();
  }

  done(err?: string): void {
    if (this.settled) return;
    this.settled = true;
    sweeps.get(this.t)?.set.delete(this);
    const r = this.r;
    r.text = this.text();
    if (!r.sent) r.sent = r.start;
    if (err) {
      r.success = false;
      r.error = err;
      r.end = r.end || performance.now() / 1000 - this.perfOrigin;
    }
    this.cb(r);
  }

  onSent(ms: number): void {
    if (!this.r.sent) this.r.sent = ms / 1000 - this.perfOrigin;
  }

  onHead(status: number): void {
    this.r.status = status;
  }

  onBody(buf: Buffer, s: number, e: number, nowMs: number, last = false): void {
    this.lastRead = nowMs;
    if (this.r.status !== 200) {
      const raw = (this.raw ??= new Bytes());
      if (raw.n < 4096) raw.add(buf, s, Math.min(e, s + 4096 - raw.n));
    } else if (!this.t.stream) {
      // the whole body in this read: read it where it lies (no copy); else gather it
      if (last && this.raw === null) this.parse(buf, s, e);
      else (this.raw ??= new Bytes()).add(buf, s, e);
    } else this.stream(buf, s, e, nowMs / 1000 - this.perfOrigin);
  }

  onError(msg: string): void {
    this.done(msg);
  }

  onEnd(): void {
    const r = this.r;
    if (r.status !== 200) return this.done(`HTTP ${r.status}: ${this.raw?.toString().slice(0, 500) ?? ''}`);
    if (!this.t.stream) return this.whole();
    if (r.error) return this.done(r.error);
    // vLLM: "Never received a valid chunk to calculate TTFT"
    if (r.chunks.length === 0) return this.done(this.sawDone ? 'no chunk with choices received' : 'stream ended without chunks or [DONE]');
    r.success = true;
    this.done();
  }

  /** A non-streaming answer: the whole answer is the first (and only) chunk, timed at the read that completed it. */
  private whole(): void {
    const r = this.r;
    if (!this.parsed) {
      const raw = this.raw;
      this.parse(raw?.b ?? Buffer.alloc(0), 0, raw?.n ?? 0);
    }
    if (this.parseError) return this.done(this.parseError);
    const now = (this.lastRead || performance.now()) / 1000 - this.perfOrigin;
    r.chunks.push(now);
    r.end = now;
    r.success = true;
    this.done();
  }

  /**
   * Reads a non-streaming body buf[s, e): a complete JSON object with the byte scanner (text, usage) as a stream
   * message is; anything else with JSON.parse.
   */
  private parse(b: Buffer, s: number, e: number): void {
    const r = this.r;
    this.parsed = true;
    let lo = s;
    let hi = e;
    while (lo < hi && b[lo] <= 32) lo++;
    while (hi > lo && b[hi - 1] <= 32) hi--;
    const m = hi - lo > 1 && b[lo] === 123 && b[hi - 1] === 125 ? scanMessage(b, lo, hi, this.t.chat, BM) : null;
    if (m && !m.slow) {
      const tx = m.chunk && m.textEnd > m.textStart ? b.toString('utf8', m.textStart, m.textEnd) : '';
      this.answer = m.escaped ? (JSON.parse('"' + tx + '"') as string) : tx;
      r.usageOutput = m.completionTokens;
      r.usagePrompt = m.promptTokens;
      return;
    }
    try {
      const j = JSON.parse(b.toString('utf8', s, e));
      const c = j.choices?.[0];
      this.answer = (this.t.chat ? c?.message?.content : c?.text) ?? '';
      r.usageOutput = j.usage?.completion_tokens ?? null;
      r.usagePrompt = j.usage?.prompt_tokens ?? null;
    } catch (err) {
      this.parseError = `invalid JSON response: ${(err as Error).message}`;
    }
  }

  private stream(buf: Buffer, s: number, e: number, now: number): void {
    if (this.carry === null) {
      const rest = this.messages(buf, s, e, now);
      if (rest < e) (this.carry = new Bytes()).add(buf, rest, e);
      return;
    }
    const c = this.carry;
    c.add(buf, s, e);
    const rest = this.messages(c.b!, 0, c.n, now);
    if (rest >= c.n) this.carry = null;
    else if (rest > 0) {
      const left = new Bytes();
      left.add(c.b!, rest, c.n);
      this.carry = left;
    }
  }

  /** Handles the complete messages in buf[s, e); returns where the unfinished rest begins. */
  private messages(buf: Buffer, s: number, e: number, now: number): number {
    const r = this.r;
    let from = s;
    for (;;) {
      // the blank line that ends the message: the next LF found natively (memchr) rather than a JS loop over every
      // byte — a JSON payload holds no raw LF, so the first one is mostly the message's end. The search may run past
      // `e` into bytes of the buffer that are not this range's (one buffer serves every read): those hits are refused
      let nl = -1;
      for (let j = from; ; j++) {
        j = buf.indexOf(10, j);
        if (j < 0 || j + 1 >= e) break;
        if (buf[j + 1] === 10) {
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
        this.sawDone = true;
        continue;
      }
      const m = scanMessage(buf, a, b, this.t.chat, BM);
      let chunk = m.chunk;
      let roleOnly = m.roleOnly;
      let completion = m.completionTokens;
      let prompt = m.promptTokens;
      if (m.slow) {
        const sm = classifyMessage(buf.toString('utf8', a, b), this.t.chat, SM);
        if (sm.error !== null) {
          r.error = sm.error;
          continue;
        }
        chunk = sm.chunk;
        roleOnly = sm.roleOnly;
        completion = sm.completionTokens;
        prompt = sm.promptTokens;
        if (chunk && sm.text) this.addDecoded(sm.text);
      } else if (chunk && m.textEnd > m.textStart) {
        (this.txt ??= new Bytes(this.textBytes)).add(buf, m.textStart, m.textEnd);
        if (m.escaped) this.escaped = true;
      }
      if (chunk) {
        if (roleOnly && r.roleChunk === undefined) r.roleChunk = now;
        r.chunks.push(now);
        r.end = now;
      }
      if (completion !== null) r.usageOutput = completion;
      if (prompt !== null) r.usagePrompt = prompt;
    }
  }

  /** A text the string path decoded joins the escaped bytes in escaped form. */
  private addDecoded(s: string): void {
    const j = JSON.stringify(s);
    if (j.includes('\\')) this.escaped = true;
    const b = Buffer.from(j.slice(1, -1));
    (this.txt ??= new Bytes(this.textBytes)).add(b, 0, b.length);
  }

  /** The generated text (chunks' texts joined, or the non-streaming answer's). */
  private text(): string {
    if (!this.t.stream) return this.answer;
    const s = this.txt?.toString() ?? '';
    if (!this.escaped) return s;
    try {
      return JSON.parse('"' + s + '"') as string;
    } catch {
      return s;
    }
  }
}

/** The request body's JSON: the fixed fields built once per target (split around max_tokens), then the prompt. */
function payloadOf(t: EndpointTarget, prompt: string, maxTokens: number): string {
  const x = t as EndpointTarget & { _body?: [string, string] | [string] };
  if (!x._body) {
    // key order as before: model, max_tokens, stream, extra fields (which may override), prompt/messages, stream_options
    const MARK = -7.25e-300;
    const j = JSON.stringify({ model: t.model, max_tokens: MARK, stream: t.stream, ...t.extraBody }).slice(0, -1);
    const k = j.indexOf(`"max_tokens":${MARK}`);
    x._body = k < 0 ? [j] : [j.slice(0, k + 13), j.slice(k + 13 + String(MARK).length)];
  }
  const b = x._body;
  const fixed = b.length === 2 ? b[0] + JSON.stringify(maxTokens) + b[1] : b[0];
  const p = t.chat ? `"messages":[{"role":"user","content":${JSON.stringify(prompt)}}]` : `"prompt":${JSON.stringify(prompt)}`;
  return `${fixed},${p}${t.stream ? ',"stream_options":{"include_usage":true}' : ''}}`;
}

/** Bytes of built requests a target keeps (a run with a duration cycles its prompts). */
const REQUEST_CACHE_BYTES = 64 << 20;

/**
 * The lean transport's whole request (head and body) for a prompt. Built once per target and prompt and kept as bytes
 * while the target's cache has room: a run with a duration sends its prompts again and again, and bytes are written
 * without building, measuring and encoding the JSON each time.
 */
function requestOf(t: EndpointTarget, prompt: string, maxTokens: number): Buffer | string {
  const x = t as EndpointTarget & { _head: string; _reqs?: Map<string, { maxTokens: number; bytes: Buffer }>; _reqBytes?: number };
  const reqs = (x._reqs ??= new Map());
  const hit = reqs.get(prompt);
  if (hit !== undefined && hit.maxTokens === maxTokens) return hit.bytes;
  const payload = payloadOf(t, prompt, maxTokens);
  const raw = x._head + Buffer.byteLength(payload) + '\r\n\r\n' + payload;
  if ((x._reqBytes ?? 0) >= REQUEST_CACHE_BYTES) return raw;
  const bytes = Buffer.from(raw);
  reqs.set(prompt, { maxTokens, bytes });
  x._reqBytes = (x._reqBytes ?? 0) + bytes.length;
  return bytes;
}

/**
 * Sends one request and calls `cb` with its measurement once (never throws: failures come back with success false and
 * the error). The callback form of `sendRequest`, without a promise per request.
 */
export function startRequest(t: EndpointTarget, prompt: string, maxTokens: number, perfOrigin: number, signal: AbortSignal | undefined, cb: (r: RawResult) => void): void {
  // vLLM starts its clock before building the request too (st = time.perf_counter() precedes session.post)
  const t0 = performance.now();
  const x = new Exchange(t, t0, maxTokens > 32 ? Math.min(65536, (maxTokens * 8) | 0) : 256, perfOrigin, signal, cb);
  const w = sweepOf(t);
  w.set.add(x);
  if (signal) watchSignal(w, signal);
  const pool = poolOf(t);
  if (pool) {
    const raw = requestOf(t, prompt, maxTokens);
    try {
      x.fast = pool.request(raw, x);
    } catch (e) {
      x.done((e as Error).message);
    }
    return;
  }
  const payload = payloadOf(t, prompt, maxTokens);
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
  x.req = req;
  req.on('error', (e) => x.done(e.message || String(e)));
  req.on('response', (res) => {
    x.onHead(res.statusCode ?? 0);
    res.on('data', (c: Buffer) => x.onBody(c, 0, c.length, performance.now()));
    res.on('end', () => x.onEnd());
    res.on('error', (e) => x.done(e.message));
    res.on('aborted', () => x.done('response aborted'));
  });
  // The body is written once a connected socket is assigned; that instant is kept for the dispatch-excluded view
  // (vLLM's clock, above, includes the wait for the socket and the connect).
  req.once('socket', (sock) => {
    const go = () => {
      if (x.settled) return;
      x.onSent(performance.now());
      req.end(payload);
    };
    if ((sock as import('node:net').Socket).connecting) sock.once('connect', go);
    else go();
  });
}

/** Sends one request and measures it. Never throws: failures come back with success false and the error. */
export function sendRequest(t: EndpointTarget, prompt: string, maxTokens: number, perfOrigin: number, signal?: AbortSignal): Promise<RawResult> {
  return new Promise<RawResult>((resolve) => startRequest(t, prompt, maxTokens, perfOrigin, signal, resolve));
}
