/**
 * The emulated vLLM server: OpenAI-compatible HTTP (node:http, not Fastify: it is a stand-in for a third-party server
 * and must control every chunk write with minimal overhead). Timing comes from the continuous-batching engine
 * (performance model) or from a fixed profile; every token-bearing chunk's send time is recorded as ground truth.
 */
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { Rng } from '../loadgen/rng.ts';
import { bundledTokenizer } from '../loadgen/tokenizer.ts';
import { modelSummary } from './describe.ts';
import { embeddingResponse, embeddingVector, modelSeed, parseEmbeddingRequest } from './embeddings.ts';
import { buildEngine, RealtimeEngine, type EngineOptions, type EngineSetup } from './engine.ts';
import { HttpError } from './http-error.ts';
import { ServerMetrics } from './metrics.ts';
import { EARLY_MS, TickClock } from './tick-clock.ts';
import { newPoolingRequest, newRequest, type SimRequest, type StepResult } from './scheduler.ts';

/** Constant latencies (ms) with optional relative jitter (standard deviation as a fraction, e.g. 0.1). */
export interface FixedProfile {
  ttft_ms: number;
  itl_ms: number;
  jitter?: number;
}

/** Options of `startEmulatedServer`. */
export interface EmulatedServerOptions extends Omit<EngineOptions, 'model'> {
  /** Catalogue model name or a full spec (default meta-llama/Llama-3.1-8B-Instruct). */
  model?: EngineOptions['model'];
  /** Name clients must use in `model` (default: the model's name). */
  served_model_name?: string;
  /** Fixed latencies instead of the performance model (no batching limits apply). */
  profile?: FixedProfile;
  /** Seed for generated text, natural output lengths and jitter. */
  seed?: number;
  host?: string;
  /** 0 = a free port. */
  port?: number;
  /** Deterministic answers: return the text to generate for a prompt (chat: the last user message), or undefined. */
  responder?: (prompt: string) => string | undefined;
  /** Keep per-request records (default true). */
  record?: boolean;
  /** Oldest records are dropped past this many (default 200000). */
  max_records?: number;
  /** Appended to request ids (a cluster worker's number: ids stay unique across the workers of one port). */
  id_tag?: string;
  /**
   * A worker of an emulator cluster: the engine is the primary's one, reached through this link (cluster.ts). `roundEnd`:
   * the step ended a multi-step round (always true with one step per round), when held tokens reach clients.
   */
  engineLink?: (onStep: (r: StepResult, roundEnd: boolean) => void) => EngineLink;
  /** A worker of an emulator cluster: /benchops/records answers (and clears) every worker's records. */
  gather?: { records(): Promise<RequestRecord[]>; clear(): Promise<void> };
}

/** What the server needs of an engine: the local RealtimeEngine, or a link to the cluster primary's one engine. */
export interface EngineLink {
  submit(req: SimRequest): void;
  abort(req: SimRequest): void;
  close(): void;
  /** The scheduler's state for /metrics (absent behind a link: the primary holds it). */
  readonly scheduler?: RealtimeEngine['scheduler'];
}

/** Ground truth of one request as the server saw it. Times are epoch milliseconds (fractional). */
export interface RequestRecord {
  id: string;
  endpoint: 'completions' | 'chat' | 'embeddings';
  stream: boolean;
  arrival_ms: number;
  /** Chat only: when the role-only first chunk was written. */
  role_chunk_ms?: number;
  /**
   * One entry per output token: the send time of the chunk that carried it (tokens merged into one chunk share it);
   * empty for embeddings.
   */
  chunk_ms: number[];
  /**
   * Fixed profile: each token's modelled send time (epoch ms; the schedule arrival + TTFT + ITLs, jitter included), so
   * that chunk_ms[i] − due_ms[i] is the emulator's own lateness for token i even when a late stream merged it.
   */
  due_ms?: number[];
  prompt_tokens: number;
  output_tokens: number;
  /** When the engine first scheduled it (queue time = first_scheduled_ms − arrival_ms). */
  first_scheduled_ms?: number;
  finished_ms?: number;
  finish_reason?: 'stop' | 'length' | 'abort';
  preemptions: number;
}

/** A running emulated server. */
export interface EmulatedServer {
  /** `http://host:port` (no trailing slash). */
  url: string;
  port: number;
  /** Served model name. */
  model: string;
  /** Stops accepting, ends open streams, closes the port. */
  close(): Promise<void>;
  /** Per-request ground truth, oldest first. */
  records(): RequestRecord[];
  /** Forgets all records. */
  clearRecords(): void;
  /** The resolved engine (undefined with a fixed profile). */
  engine?: EngineSetup;
}

interface Job {
  rec: RequestRecord;
  res: http.ServerResponse;
  stream: boolean;
  chat: boolean;
  includeUsage: boolean;
  id: string;
  created: number;
  tokens: number[];
  maxTokens: number;
  sim?: SimRequest;
  timer?: NodeJS.Timeout;
  done: boolean;
  text: string[];
  /** The chunk's bytes up to the token's JSON string (made once per request: no per-token JSON building; ASCII). */
  prefix: string;
  /** What follows a token's JSON string in a chunk that does not finish the request. */
  end: string;
  /**
   * Fixed profile: the framed HTTP chunks (size line, one token's SSE event, CRLF) of tokens `framesFrom` ..
   * `framesFrom + framesAt.length − 2`, built in one go for a block of tokens; a one-token write is then a view of it.
   */
  frames?: Buffer;
  framesFrom: number;
  /** Offsets of each framed chunk in `frames` (one more than the chunks: the last is the end). */
  framesAt: number[];
  /** The last write's SSE events (the last token's among them), written with the usage chunk and [DONE] by finish. */
  tail?: string;
  /** The next token to write (tokens before it were written or, without streaming, collected). */
  next: number;
  /** Tokens whose send time is recorded (behind `next` only while the tail waits for finish's write). */
  stamped: number;
  /** The last recorded send time (epoch ms), for the ITL histogram. */
  lastMs: number;
  /** Fixed profile: the next token's due time (performance.now() ms, anchored to the schedule). */
  due: number;
}

/** An embeddings request: one engine request per input; the answer goes out when the last one is computed. */
interface EmbedJob {
  rec: RequestRecord;
  res: http.ServerResponse;
  id: string;
  created: number;
  inputs: number[][];
  dimensions: number;
  encoding: 'float' | 'base64';
  parts: SimRequest[];
  pending: number;
  timer?: NodeJS.Timeout;
  done: boolean;
}

const origin = performance.timeOrigin;
const epochNow = () => origin + performance.now();
const MAX_BODY = 16 * 1024 * 1024;
// FastAPI's answers for a path vLLM did not register (e.g. /v1/completions of an embedding model) or a wrong method
const NOT_FOUND = { detail: 'Not Found' };
const KNOWN_PATHS = new Set(['/health', '/version', '/v1/models', '/metrics', '/v1/completions', '/v1/chat/completions', '/v1/embeddings', '/tokenize', '/detokenize']);

// what follows a token's JSON string in a chunk that does not finish the request
const CHUNK_END = ',"logprobs":null,"finish_reason":null}]}\n\n';
const CHUNK_END_COMPLETION = ',"logprobs":null,"finish_reason":null,"stop_reason":null}]}\n\n';
// tokens whose framed chunks a fixed-profile stream builds at once (~150 bytes each)
const FRAME_BLOCK = 32;

/** One HTTP/1.1 chunk of an ASCII body piece (its length is its size). */
const httpChunk = (ascii: string): string => `${ascii.length.toString(16)}\r\n${ascii}\r\n`;

function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** JSON of a string with every non-ASCII character escaped (the same value for any JSON reader; a chunk's length is then its size). */
function asciiJson(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Renders chat messages the way the emulated model's template does (role markers + content). */
export function renderChat(messages: Array<{ role: string; content: unknown }>): string {
  let s = '';
  for (const m of messages) s += `<|${m.role}|>\n${contentText(m.content)}\n`;
  return s + '<|assistant|>\n';
}

function contentText(c: unknown): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return c == null ? '' : String(c);
}

/** Starts an emulated vLLM server; resolves once it listens. */
export async function startEmulatedServer(opts: EmulatedServerOptions = {}): Promise<EmulatedServer> {
  const tok = bundledTokenizer();
  const engineSetup = buildEngine({ ...opts, model: opts.model ?? 'meta-llama/Llama-3.1-8B-Instruct' });
  const modelName = engineSetup.perf.spec.model.name;
  const embeddingSpec = engineSetup.perf.spec.model.embedding;
  const vectorSeed = modelSeed(modelName);
  const served = opts.served_model_name ?? modelName;
  const maxModelLen = engineSetup.scheduler.max_model_len;
  const seed = opts.seed ?? 0;
  const profile = opts.profile;
  if (profile && (!(profile.ttft_ms >= 0) || !(profile.itl_ms >= 0) || !((profile.jitter ?? 0) >= 0))) {
    throw new RangeError('profile ttft_ms, itl_ms and jitter must be non-negative numbers');
  }
  const recordOn = opts.record ?? true;
  const idTag = opts.id_tag ? `-${opts.id_tag}` : '';
  const maxRecords = opts.max_records ?? 200_000;
  const metrics = new ServerMetrics();
  let records: RequestRecord[] = [];
  const jobs = new Set<Job | EmbedJob>();
  // the server's own event-loop lag bounds how late it timestamps arrivals (ground-truth uncertainty)
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  let counter = 0;
  const jitterRng = new Rng(seed ^ 0x5bd1e995);
  const modelJson = asciiJson(served);
  // a token's text as an (ASCII) JSON string, made once per token id (the per-token write is then two concatenations)
  const tokenJson = new Map<number, string>();
  const jsonOf = (id: number): string => {
    let j = tokenJson.get(id);
    if (j === undefined) tokenJson.set(id, (j = asciiJson(tok.tokenText(id))));
    return j;
  };
  // the fixed profile's one clock: every due chunk of every stream in one batch per wake-up, no per-token timers
  const clock = new TickClock<Job>((due, nowMs) => {
    for (const job of due) fireFixed(job, nowMs);
  });

  const local = !profile && !opts.engineLink ? new RealtimeEngine(engineSetup, (r: StepResult) => onEngineStep(r, local!.scheduler.roundEnd)) : undefined;
  const engine: EngineLink | undefined = profile ? undefined : opts.engineLink ? opts.engineLink((r, roundEnd) => onEngineStep(r, roundEnd)) : local;
  // streams whose sampled tokens wait for the end of their multi-step round (vLLM 0.6–0.7 sends a round's tokens when
  // the round's last step is over; with one step per round every step ends one)
  const held = new Set<Job>();

  function onEngineStep(r: StepResult, roundEnd: boolean): void {
    for (const sim of r.emitted) {
      if (sim.pooling) {
        embedPartDone(sim.owner as EmbedJob);
        continue;
      }
      const job = sim.owner as Job;
      if (sim.output === 1 && sim.first_scheduled !== undefined) {
        job.rec.first_scheduled_ms = performance.timeOrigin + sim.first_scheduled;
        job.rec.preemptions = sim.preemptions;
      }
      held.add(job);
    }
    // as the model's prediction has it (predict.ts): a round's tokens leave at its end, a finished request's at its finish
    if (roundEnd) {
      for (const job of held) sendTokens(job, job.sim!.output);
      held.clear();
    } else {
      for (const sim of r.finished) {
        const job = sim.owner as Job;
        if (sim.pooling || !held.delete(job)) continue;
        sendTokens(job, sim.output);
      }
    }
    for (const sim of r.finished) if (!sim.pooling) finish(sim.owner as Job, finishReason(sim.owner as Job));
  }

  function embedPartDone(job: EmbedJob): void {
    if (--job.pending > 0) return;
    const starts = job.parts.map((p) => p.first_scheduled).filter((t): t is number => t !== undefined);
    if (starts.length) job.rec.first_scheduled_ms = performance.timeOrigin + Math.min(...starts);
    job.rec.preemptions = job.parts.reduce((n, p) => n + p.preemptions, 0);
    finishEmbedding(job, 'stop');
  }

  function finishEmbedding(job: EmbedJob, reason: 'stop' | 'abort'): void {
    if (job.done) return;
    job.done = true;
    jobs.delete(job);
    if (job.timer) clearTimeout(job.timer);
    const rec = job.rec;
    rec.finished_ms = epochNow();
    rec.finish_reason = reason;
    metrics.success[reason]++;
    if (reason === 'abort') return;
    metrics.e2e.observe((rec.finished_ms - rec.arrival_ms) / 1000);
    if (rec.first_scheduled_ms !== undefined) metrics.queue.observe((rec.first_scheduled_ms - rec.arrival_ms) / 1000);
    const vectors = job.inputs.map((ids) => embeddingVector(ids, embeddingSpec!.dimensions, job.dimensions, vectorSeed));
    sendJson(job.res, 200, embeddingResponse({ id: job.id, created: job.created, model: served, vectors, encoding: job.encoding, promptTokens: rec.prompt_tokens }));
  }

  /** `/v1/embeddings`: validated like vLLM, timed as prefill-only engine requests (one per input), answered at the end. */
  function startEmbedding(arrival: number, res: http.ServerResponse, body: Record<string, unknown>): void {
    checkModel(body);
    const req = parseEmbeddingRequest(body, { served, maxModelLen, spec: embeddingSpec!, encode: (t) => tok.encode(t), renderChat });
    const id = `embd-${(++counter).toString(16).padStart(8, '0')}${(seed >>> 0).toString(16)}${idTag}`;
    const promptTokens = req.inputs.reduce((n, ids) => n + ids.length, 0);
    const rec: RequestRecord = { id, endpoint: 'embeddings', stream: false, arrival_ms: arrival, chunk_ms: [], prompt_tokens: promptTokens, output_tokens: 0, preemptions: 0 };
    if (recordOn) {
      records.push(rec);
      if (records.length > maxRecords) records = records.slice(records.length - Math.floor(maxRecords / 2));
    }
    metrics.promptTokens += promptTokens;
    for (const ids of req.inputs) metrics.promptHist.observe(ids.length);
    const job: EmbedJob = { rec, res, id, created: Math.floor(arrival / 1000), ...req, parts: [], pending: req.inputs.length, done: false };
    jobs.add(job);
    res.on('close', () => {
      if (job.done) return;
      for (const p of job.parts) engine?.abort(p);
      finishEmbedding(job, 'abort');
    });
    if (!engine) {
      // a fixed profile: an embedding is one prefill, so it takes the time to first token
      const p = profile!;
      const due = arrival + (p.jitter ? Math.max(0, p.ttft_ms * (1 + p.jitter * jitterRng.normal())) : p.ttft_ms);
      const fire = () => {
        const early = due - epochNow();
        // node timers may fire up to a millisecond early: wait out the rest
        if (early > 0.05) job.timer = setTimeout(fire, early);
        else finishEmbedding(job, 'stop');
      };
      job.timer = setTimeout(fire, Math.max(0, due - epochNow()));
      return;
    }
    req.inputs.forEach((ids, i) => {
      // an encoder always sees at least its start token, so an empty input still costs a (tiny) step
      const sim = newPoolingRequest(`${id}-${i}`, Math.max(1, ids.length), arrival - performance.timeOrigin);
      sim.owner = job;
      job.parts.push(sim);
    });
    for (const sim of job.parts) engine.submit(sim);
  }

  function finishReason(job: Job): 'stop' | 'length' {
    return job.tokens.length >= job.maxTokens ? 'length' : 'stop';
  }

  function chunkPrefix(job: Pick<Job, 'id' | 'chat' | 'created'>): string {
    return job.chat
      ? `data: {"id":"${job.id}","object":"chat.completion.chunk","created":${job.created},"model":${modelJson},"choices":[{"index":0,"delta":{"content":`
      : `data: {"id":"${job.id}","object":"text_completion","created":${job.created},"model":${modelJson},"choices":[{"index":0,"text":`;
  }

  function chunkEnd(job: Job, finish: string): string {
    return job.chat ? `},"logprobs":null,"finish_reason":"${finish}"}]}\n\n` : `,"logprobs":null,"finish_reason":"${finish}","stop_reason":null}]}\n\n`;
  }

  /**
   * vLLM's chat server sends the role-only chunk when the engine's first output arrives, right before the first
   * token's chunk (serving_chat.py, chat_completion_stream_generator: the `first_iteration` branch inside the loop over
   * the engine's outputs), not at arrival: a client that counts chunks with `choices` then sees both at first-token time.
   */
  function roleChunk(job: Job): string {
    return `data: {"id":"${job.id}","object":"chat.completion.chunk","created":${job.created},"model":${modelJson},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  /**
   * Writes the stream's tokens `job.next` .. `upto − 1` (those due, or a multi-step round's) in ONE write straight to
   * the socket as one HTTP/1.1 chunk (the headers went out with flushHeaders, so the response has nothing buffered
   * before it, and res.end's last chunk follows in order on the same socket): no cork, no per-write stream bookkeeping
   * of the response, no byteLength (the chunk is ASCII: its length is its size). A fixed-profile stream's one-token
   * writes are views of bytes framed once per block of tokens (buildFrames); other writes are latin1 strings. The
   * syscall is most of a token's cost. Send times are recorded after the write returned, when the bytes are the
   * kernel's: what a client could see at the earliest. The last token's events wait for finish, which writes them with
   * the usage chunk and [DONE] in one write.
   *
   * With a fixed profile, several due tokens (the server fell behind, or the ITL is below the clock's resolution) go
   * out as ONE SSE event whose text is theirs concatenated: vLLM V1's API server does the same when it falls behind its
   * engine (vllm/v1/engine/output_processor.py: RequestOutputCollector.put merges the DELTA outputs a request
   * accumulated before its generator took them into one, which the serving loop sends as one chunk). The records keep
   * each token's due time (due_ms) and the write time of the chunk that carried it (chunk_ms), so the timing error
   * stays honest. The performance model's multi-step rounds keep one event per token (vLLM 0.6–0.7's V0 output path
   * queues each step's output).
   */
  function sendTokens(job: Job, upto: number): void {
    if (job.done) return;
    const from = job.next;
    if (upto <= from) return;
    const count = job.tokens.length;
    if (!job.stream) {
      for (let i = from; i < upto; i++) job.text.push(tok.tokenText(job.tokens[i]));
      job.next = upto;
      return stamp(job, upto, epochNow());
    }
    const sock = job.res.socket;
    if (profile && upto === from + 1 && upto < count && (from > 0 || !job.chat)) {
      // the fixed profile's common case, one token that does not end the stream: a view of the job's framed chunks
      let k = from - job.framesFrom;
      if (!job.frames || k + 1 >= job.framesAt.length) {
        buildFrames(job, from);
        k = 0;
      }
      job.next = upto;
      if (sock && !sock.destroyed) sock.write(job.frames!.subarray(job.framesAt[k], job.framesAt[k + 1]));
      return stamp(job, upto, epochNow());
    }
    let out = from === 0 && job.chat ? roleChunk(job) : '';
    if (profile && upto > from + 1) {
      // a late fixed-profile stream: its due tokens in ONE delta (text concatenated), as vLLM V1's output collector
      // merges the outputs a request accumulated while the API server was busy (JSON escapes concatenate)
      let text = '';
      for (let i = from; i < upto; i++) {
        const j = jsonOf(job.tokens[i]);
        text += j.slice(1, j.length - 1);
      }
      out += job.prefix + '"' + text + '"' + (upto === count ? chunkEnd(job, finishReason(job)) : job.end);
    } else {
      for (let i = from; i < upto; i++) out += job.prefix + jsonOf(job.tokens[i]) + (i === count - 1 ? chunkEnd(job, finishReason(job)) : job.end);
    }
    job.next = upto;
    if (upto === count) {
      job.tail = out;
      return;
    }
    if (sock && !sock.destroyed) sock.write(httpChunk(out), 'latin1');
    stamp(job, upto, epochNow());
  }

  /**
   * The framed chunks of the next FRAME_BLOCK tokens from `from` (not the last token: its event goes with finish's
   * write) as one latin1 Buffer: one string build, flatten and copy per block instead of per write, and a write then
   * hands the socket bytes (no per-write string encoding).
   */
  function buildFrames(job: Job, from: number): void {
    const upto = Math.min(job.tokens.length - 1, from + FRAME_BLOCK);
    const at = [0];
    let s = '';
    for (let i = from; i < upto; i++) {
      const ev = job.prefix + jsonOf(job.tokens[i]) + job.end;
      s += httpChunk(ev);
      at.push(s.length);
    }
    job.frames = Buffer.from(s, 'latin1');
    job.framesAt = at;
    job.framesFrom = from;
  }

  /** Records the send time of tokens `job.stamped` .. `upto − 1` (one write's) and observes the vLLM histograms. */
  function stamp(job: Job, upto: number, now: number): void {
    const rec = job.rec;
    for (let i = job.stamped; i < upto; i++) {
      if (recordOn) rec.chunk_ms.push(now);
      if (i === 0) {
        metrics.ttft.observe((now - rec.arrival_ms) / 1000);
        if (job.chat && job.stream) rec.role_chunk_ms = now;
      } else metrics.itl.observe((now - job.lastMs) / 1000);
      job.lastMs = now;
    }
    metrics.generationTokens += upto - job.stamped;
    rec.output_tokens = upto;
    job.stamped = upto;
  }

  function finish(job: Job, reason: 'stop' | 'length' | 'abort'): void {
    if (job.done) return;
    job.done = true;
    jobs.delete(job);
    held.delete(job);
    if (job.timer) clearTimeout(job.timer);
    job.frames = undefined;
    const rec = job.rec;
    rec.finish_reason = reason;
    metrics.success[reason]++;
    if (reason === 'abort') {
      rec.finished_ms = epochNow();
      return;
    }
    // the tail's tokens are counted (their send time is recorded once the write is made)
    rec.output_tokens = job.next;
    const usage = { prompt_tokens: rec.prompt_tokens, total_tokens: rec.prompt_tokens + rec.output_tokens, completion_tokens: rec.output_tokens, prompt_tokens_details: null };
    if (job.stream) {
      let out = job.tail ?? '';
      job.tail = undefined;
      if (job.includeUsage) {
        const obj = job.chat ? 'chat.completion.chunk' : 'text_completion';
        out += `data: {"id":"${job.id}","object":"${obj}","created":${job.created},"model":${modelJson},"choices":[],"usage":${JSON.stringify(usage)}}\n\n`;
      }
      job.res.end(out + 'data: [DONE]\n\n');
      const now = epochNow();
      stamp(job, job.next, now);
      rec.finished_ms = now;
    } else rec.finished_ms = epochNow();
    metrics.e2e.observe((rec.finished_ms - rec.arrival_ms) / 1000);
    if (rec.first_scheduled_ms !== undefined) metrics.queue.observe((rec.first_scheduled_ms - rec.arrival_ms) / 1000);
    metrics.genHist.observe(rec.output_tokens);
    if (job.stream) return;
    const text = job.text.join('');
    const body = job.chat
      ? {
          id: job.id,
          object: 'chat.completion',
          created: job.created,
          model: served,
          choices: [{ index: 0, message: { role: 'assistant', content: text, tool_calls: [] }, logprobs: null, finish_reason: reason, stop_reason: null }],
          usage,
        }
      : {
          id: job.id,
          object: 'text_completion',
          created: job.created,
          model: served,
          choices: [{ index: 0, text, logprobs: null, finish_reason: reason, stop_reason: null }],
          usage,
        };
    sendJson(job.res, 200, body);
  }

  function jitterOf(v: number): number {
    const j = profile!.jitter;
    return j ? Math.max(0, v * (1 + j * jitterRng.normal())) : v;
  }

  /** Fixed profile: the first token at arrival + TTFT, then one every ITL, anchored to that schedule (no drift). */
  function scheduleFixed(job: Job): void {
    job.due = job.rec.arrival_ms - performance.timeOrigin + jitterOf(profile!.ttft_ms);
    clock.add(job.due, job);
  }

  /**
   * Sends every token of the stream that is due by the tick's time: normally one, several when the server fell behind
   * (or the ITL is below the clock's resolution), merged into one chunk (sendTokens): a late server catches up in
   * fewer, larger writes, as vLLM's API server sends what its engine produced meanwhile as one delta.
   */
  function fireFixed(job: Job, nowMs: number): void {
    if (job.done) return;
    const limit = nowMs + EARLY_MS;
    const count = job.tokens.length;
    const dues = recordOn ? job.rec.due_ms! : undefined;
    let upto = job.next;
    do {
      // job.due is token `upto`'s modelled send time
      dues?.push(origin + job.due);
      upto++;
      if (upto >= count) break;
      job.due += jitterOf(profile!.itl_ms);
    } while (job.due <= limit);
    sendTokens(job, upto);
    if (upto >= count) return finish(job, finishReason(job));
    clock.add(job.due, job);
  }

  function outputTokens(promptText: string, answerKey: string, maxTokens: number, minTokens: number, ignoreEos: boolean): number[] {
    const rng = new Rng(fnv1a(promptText, seed));
    const answer = opts.responder?.(answerKey);
    const words = tok.wordIds;
    const synth = () => words[Math.floor(rng.next() * words.length)];
    let ids: number[];
    if (answer !== undefined) {
      ids = tok.encode(answer).slice(0, maxTokens);
      const want = ignoreEos ? maxTokens : Math.min(maxTokens, Math.max(minTokens, ids.length));
      while (ids.length < want) ids.push(synth());
      if (ids.length === 0) ids.push(synth()); // a request always yields at least one token
    } else {
      // natural length: geometric-like around 200 tokens, clamped to [min_tokens, max_tokens]
      const natural = ignoreEos ? maxTokens : Math.min(maxTokens, Math.max(minTokens, 1 + Math.floor(rng.exponential(200))));
      ids = new Array(Math.max(1, natural));
      for (let i = 0; i < ids.length; i++) ids[i] = synth();
    }
    return ids;
  }

  function intField(body: Record<string, unknown>, name: string, dflt: number, min: number): number {
    const v = body[name];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new HttpError(400, `${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, 'BadRequestError', name);
    }
    return v;
  }

  function checkModel(body: Record<string, unknown>): void {
    if (body.model !== undefined && body.model !== served && body.model !== modelName) {
      throw new HttpError(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError', 'model');
    }
  }

  function promptOf(body: Record<string, unknown>): { text: string; tokens: number } {
    const p = body.prompt;
    if (typeof p === 'string') return { text: p, tokens: tok.count(p) };
    if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x))) {
      const ids = p as number[];
      let text = '';
      try {
        text = tok.decode(ids);
      } catch {
        text = ids.join(' ');
      }
      return { text, tokens: ids.length };
    }
    if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') return { text: p[0], tokens: tok.count(p[0]) };
    throw new HttpError(400, 'prompt must be a string or a list of token ids (batched prompts are not emulated)', 'BadRequestError', 'prompt');
  }

  function startGeneration(arrival: number, res: http.ServerResponse, body: Record<string, unknown>, chat: boolean): void {
    checkModel(body);
    let promptText: string;
    let promptTokens: number;
    let answerKey: string;
    if (chat) {
      const msgs = body.messages;
      if (!Array.isArray(msgs) || msgs.length === 0 || !msgs.every((m) => m && typeof m === 'object' && typeof m.role === 'string')) {
        throw new HttpError(400, 'messages must be a non-empty list of {role, content}', 'BadRequestError', 'messages');
      }
      promptText = renderChat(msgs);
      promptTokens = tok.count(promptText);
      const lastUser = [...msgs].reverse().find((m) => m.role === 'user');
      answerKey = contentText(lastUser?.content ?? '');
    } else {
      ({ text: promptText, tokens: promptTokens } = promptOf(body));
      answerKey = promptText;
    }
    if ((body.n ?? 1) !== 1) throw new HttpError(400, 'only n=1 is emulated', 'BadRequestError', 'n');
    if (promptTokens > maxModelLen) {
      throw new HttpError(
        400,
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${promptTokens} tokens in the messages. Please reduce the length of the messages.`,
        'BadRequestError',
        chat ? 'messages' : 'prompt',
      );
    }
    const room = maxModelLen - promptTokens;
    const maxField = chat && body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
    const maxTokens = intField(body, maxField, chat ? room : 16, 1);
    const minTokens = intField(body, 'min_tokens', 0, 0);
    if (minTokens > maxTokens) throw new HttpError(400, `min_tokens (${minTokens}) must be ≤ max_tokens (${maxTokens})`, 'BadRequestError', 'min_tokens');
    if (promptTokens + maxTokens > maxModelLen) {
      throw new HttpError(
        400,
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
        'BadRequestError',
        maxField,
      );
    }
    const stream = body.stream === true;
    const so = body.stream_options as { include_usage?: unknown } | undefined;
    const tokens = outputTokens(promptText, answerKey, maxTokens, minTokens, body.ignore_eos === true);
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${(++counter).toString(16).padStart(8, '0')}${(seed >>> 0).toString(16)}${idTag}`;
    const rec: RequestRecord = {
      id,
      endpoint: chat ? 'chat' : 'completions',
      stream,
      arrival_ms: arrival,
      chunk_ms: [],
      prompt_tokens: promptTokens,
      output_tokens: 0,
      preemptions: 0,
    };
    if (profile && recordOn) rec.due_ms = [];
    if (recordOn) {
      records.push(rec);
      if (records.length > maxRecords) records = records.slice(records.length - Math.floor(maxRecords / 2));
    }
    metrics.promptTokens += promptTokens;
    metrics.promptHist.observe(promptTokens);
    const job: Job = {
      rec,
      res,
      stream,
      chat,
      includeUsage: !!so?.include_usage,
      id,
      created: Math.floor(arrival / 1000),
      tokens,
      maxTokens,
      done: false,
      text: [],
      prefix: '',
      end: chat ? '}' + CHUNK_END : CHUNK_END_COMPLETION,
      framesFrom: 0,
      framesAt: [],
      next: 0,
      stamped: 0,
      lastMs: 0,
      due: 0,
    };
    job.prefix = chunkPrefix(job);
    jobs.add(job);
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      // the headers go out now (as uvicorn sends them); the role-only chunk follows with the first token (roleChunk)
      res.flushHeaders();
    }
    res.on('close', () => {
      if (!job.done) {
        if (job.sim && engine) engine.abort(job.sim);
        finish(job, 'abort');
      }
    });
    if (engine) {
      const sim = newRequest(id, promptTokens, tokens.length, arrival - performance.timeOrigin);
      sim.owner = job;
      job.sim = sim;
      engine.submit(sim);
    } else scheduleFixed(job);
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    const s = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
    res.end(s);
  }

  function sendError(res: http.ServerResponse, e: HttpError): void {
    sendJson(res, e.status, { error: { message: e.message, type: e.type, param: e.param, code: e.status } });
  }

  function tokenizeBody(body: Record<string, unknown>): { count: number; max_model_len: number; tokens: number[] } {
    checkModel(body);
    let text: string;
    if (Array.isArray(body.messages)) text = renderChat(body.messages as Array<{ role: string; content: unknown }>);
    else if (typeof body.prompt === 'string') text = body.prompt;
    else throw new HttpError(400, 'prompt (string) or messages is required', 'BadRequestError', 'prompt');
    const tokens = tok.encode(text);
    return { count: tokens.length, max_model_len: maxModelLen, tokens };
  }

  async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
      chunks.push(c as Buffer);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError(400, 'body must be a JSON object');
    return parsed as Record<string, unknown>;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/health') return void res.writeHead(200).end();
    if (method === 'GET' && path === '/version') return sendJson(res, 200, { version: '0.0.0+benchops-emulated' });
    if (method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: served, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'vllm', root: modelName, parent: null, max_model_len: maxModelLen, permission: [] }],
      });
    }
    if (method === 'GET' && path === '/metrics') {
      const s = engine?.scheduler;
      const body = metrics.render({
        model: served,
        running: s ? s.running.length : jobs.size,
        waiting: s ? s.waiting.length : 0,
        kvUsage: s ? s.kvUsage : 0,
        preemptions: s ? s.preemptions : 0,
      });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(body);
    }
    if (method === 'GET' && path === '/benchops/records') return sendJson(res, 200, opts.gather ? await opts.gather.records() : records);
    if (method === 'GET' && path === '/benchops/lag') {
      const ms = (ns: number) => (lag.count ? Math.max(0, ns / 1e6 - 5) : 0);
      return sendJson(res, 200, { mean_ms: ms(lag.mean), p99_ms: ms(lag.percentile(99)), max_ms: ms(lag.max) });
    }
    if (method === 'DELETE' && path === '/benchops/records') {
      records = [];
      lag.reset();
      if (opts.gather) await opts.gather.clear();
      return void res.writeHead(204).end();
    }
    if (method === 'GET' && path === '/benchops/info') {
      const spec = engineSetup.perf.spec;
      return sendJson(res, 200, {
        served_model_name: served,
        model: spec.model,
        model_summary: modelSummary(spec.model),
        hardware: spec.hardware,
        tensor_parallel: spec.tensor_parallel,
        factors: spec.factors,
        scheduler: engineSetup.scheduler,
        profile: profile ?? null,
        seed,
      });
    }
    // vLLM registers the generation routes only for a generating model and /v1/embeddings only for a pooling one
    if (method === 'POST' && (path === '/v1/completions' || path === '/v1/chat/completions') && !embeddingSpec) {
      const arrival = epochNow(); // the request's headers are in: from here the server's clock runs
      const body = await readJson(req);
      return startGeneration(arrival, res, body, path === '/v1/chat/completions');
    }
    if (method === 'POST' && path === '/v1/embeddings' && embeddingSpec) {
      const arrival = epochNow();
      return startEmbedding(arrival, res, await readJson(req));
    }
    if (method === 'POST' && path === '/tokenize') return sendJson(res, 200, tokenizeBody(await readJson(req)));
    if (method === 'POST' && path === '/detokenize') {
      const body = await readJson(req);
      checkModel(body);
      const ids = body.tokens;
      if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) throw new HttpError(400, 'tokens must be a list of integers', 'BadRequestError', 'tokens');
      try {
        return sendJson(res, 200, { prompt: tok.decode(ids as number[]) });
      } catch (e) {
        throw new HttpError(400, (e as Error).message, 'BadRequestError', 'tokens');
      }
    }
    const served404 = path === '/v1/embeddings' ? !embeddingSpec : embeddingSpec && (path === '/v1/completions' || path === '/v1/chat/completions');
    if (KNOWN_PATHS.has(path) && !served404) return sendJson(res, 405, { detail: 'Method Not Allowed' });
    return sendJson(res, 404, NOT_FOUND);
  }

  const server = http.createServer({ keepAliveTimeout: 65_000, noDelay: true }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendError(res, e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error).message}`, 'InternalServerError'));
    });
  });
  server.maxConnections = 100_000;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // vLLM's uvicorn listens with a backlog of 2048; Node's default of 511 dropped SYNs when a benchmark opened ~1,000
    // connections at once, and those clients connected only after the kernel's 1 s retransmit (a TTFT artefact)
    server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    model: served,
    engine: engine ? engineSetup : undefined,
    records: () => records.slice(),
    clearRecords: () => {
      records = [];
    },
    close: async () => {
      engine?.close();
      clock.close();
      lag.disable();
      for (const job of [...jobs]) {
        if (job.timer) clearTimeout(job.timer);
        job.done = true;
        job.res.destroy();
      }
      jobs.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
