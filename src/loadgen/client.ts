/**
 * OpenAI-compatible streaming client over node:http with a keep-alive agent. It timestamps every SSE read with
 * performance.now() and applies vLLM's chunk rules: a chunk is token-bearing when it carries non-empty text (completions)
 * or delta content/reasoning (chat); role-only and empty chunks are not tokens; the usage chunk gives output tokens.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

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
}

/** Raw timing of one request: seconds relative to `perfOrigin` (performance.now() / 1000 at the run start). */
export interface RawResult {
  success: boolean;
  error: string;
  status: number;
  /** When the client began the request (dispatch). */
  dispatch: number;
  /** When the request was fully handed to the socket: TTFT and E2EL are measured from here. */
  start: number;
  /** Read times of token-bearing chunks. */
  tokenChunks: number[];
  /** Tokens in each token-bearing chunk when the server says (usage deltas are not standard), else 1. */
  roleChunk?: number;
  end: number;
  text: string;
  usageOutput: number | null;
  usagePrompt: number | null;
}

/** Makes a keep-alive agent sized for the concurrency. */
export function makeAgent(url: URL, maxSockets: number): http.Agent {
  const o = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, keepAliveMsecs: 30_000, scheduling: 'fifo' as const };
  return url.protocol === 'https:' ? new https.Agent(o) : new http.Agent(o);
}

/** Sends one request and measures it. Never throws: failures come back with success false and the error. */
export function sendRequest(
  t: EndpointTarget,
  prompt: string,
  maxTokens: number,
  perfOrigin: number,
  signal?: AbortSignal,
): Promise<RawResult> {
  const body: Record<string, unknown> = { model: t.model, max_tokens: maxTokens, stream: t.stream, ...t.extraBody };
  if (t.chat) body.messages = [{ role: 'user', content: prompt }];
  else body.prompt = prompt;
  if (t.stream) body.stream_options = { include_usage: true };
  const payload = JSON.stringify(body);
  const mod = t.url.protocol === 'https:' ? https : http;
  const base = (t as EndpointTarget & { _opts?: http.RequestOptions })._opts ??= {
    protocol: t.url.protocol,
    hostname: t.url.hostname.replace(/^\[|\]$/g, ''),
    port: t.url.port || (t.url.protocol === 'https:' ? 443 : 80),
    path: t.url.pathname + t.url.search,
    method: 'POST',
    agent: t.agent,
  };
  return new Promise<RawResult>((resolve) => {
    const r: RawResult = {
      success: false,
      error: '',
      status: 0,
      dispatch: 0,
      start: 0,
      tokenChunks: [],
      end: 0,
      text: '',
      usageOutput: null,
      usagePrompt: null,
    };
    let settled = false;
    const textParts: string[] = [];
    const done = (err?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      r.text = textParts.join('');
      if (!r.start) r.start = r.dispatch;
      if (err) {
        r.success = false;
        r.error = err;
        r.end = r.end || performance.now() / 1000 - perfOrigin;
      }
      resolve(r);
    };
    const req = mod.request({
      ...base,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), accept: 'text/event-stream', ...t.headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(`timeout after ${t.timeoutMs} ms`);
    }, t.timeoutMs);
    const onAbort = () => {
      req.destroy();
      done('aborted');
    };
    signal?.addEventListener('abort', onAbort);
    req.on('error', (e) => done(e.message || String(e)));
    req.on('response', (res) => {
      if (!r.start) r.start = performance.now() / 1000 - perfOrigin;
      r.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      if (r.status !== 200) {
        let errBody = '';
        res.on('data', (c: string) => {
          if (errBody.length < 4096) errBody += c;
        });
        res.on('end', () => done(`HTTP ${r.status}: ${errBody.slice(0, 500)}`));
        res.on('error', (e) => done(e.message));
        return;
      }
      if (!t.stream) {
        let buf = '';
        res.on('data', (c: string) => (buf += c));
        res.on('end', () => {
          const now = performance.now() / 1000 - perfOrigin;
          try {
            const j = JSON.parse(buf);
            const c = j.choices?.[0];
            const text: string = (t.chat ? c?.message?.content : c?.text) ?? '';
            textParts.push(text);
            r.usageOutput = j.usage?.completion_tokens ?? null;
            r.usagePrompt = j.usage?.prompt_tokens ?? null;
            // non-streaming: the whole answer is the first (and only) token-bearing "chunk"
            r.tokenChunks.push(now);
            r.end = now;
            r.success = true;
            done();
          } catch (e) {
            done(`invalid JSON response: ${(e as Error).message}`);
          }
        });
        res.on('error', (e) => done(e.message));
        return;
      }
      let buf = '';
      let sawDone = false;
      res.on('data', (c: string) => {
        const now = performance.now() / 1000 - perfOrigin;
        buf += c;
        let nl: number;
        while ((nl = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, nl);
          buf = buf.slice(nl + 2);
          for (const line of event.split('\n')) {
            if (!line.startsWith('data:')) continue;
            const data = line.slice(5).trim();
            if (data === '[DONE]') {
              sawDone = true;
              continue;
            }
            let j: any;
            try {
              j = JSON.parse(data);
            } catch {
              continue; // a malformed event is skipped, as vLLM's client does
            }
            if (j.error) {
              r.error = typeof j.error === 'string' ? j.error : (j.error.message ?? JSON.stringify(j.error));
              continue;
            }
            const ch = j.choices?.[0];
            if (ch) {
              const piece: string | undefined = t.chat
                ? (ch.delta?.content || ch.delta?.reasoning_content || ch.delta?.reasoning || undefined)
                : ch.text || undefined;
              if (piece) {
                textParts.push(piece);
                r.tokenChunks.push(now);
                r.end = now;
              } else if (t.chat && ch.delta?.role && r.roleChunk === undefined && r.tokenChunks.length === 0) {
                r.roleChunk = now;
              }
            }
            if (j.usage) {
              if (typeof j.usage.completion_tokens === 'number') r.usageOutput = j.usage.completion_tokens;
              if (typeof j.usage.prompt_tokens === 'number') r.usagePrompt = j.usage.prompt_tokens;
            }
          }
        }
      });
      res.on('end', () => {
        if (r.error) return done(r.error);
        if (!sawDone && r.tokenChunks.length === 0) return done('stream ended without tokens or [DONE]');
        if (r.tokenChunks.length === 0) return done('no token-bearing chunk received');
        r.success = true;
        done();
      });
      res.on('error', (e) => done(e.message));
      res.on('aborted', () => done('response aborted'));
    });
    r.dispatch = performance.now() / 1000 - perfOrigin;
    // The body is written only once a connected socket is assigned, and the clock starts right before that write
    // (which reaches the kernel synchronously): client-side dispatch delay (a pooled socket, connecting, a busy
    // event loop) is not charged to the server's TTFT; it is reported apart.
    req.once('socket', (sock) => {
      const go = () => {
        if (settled) return;
        r.start = performance.now() / 1000 - perfOrigin;
        req.end(payload);
      };
      if ((sock as import('node:net').Socket).connecting) sock.once('connect', go);
      else go();
    });
  });
}
