/**
 * The HTTP app factory every service and the gateway use: Fastify with zod schemas, OpenAPI at /openapi.json and
 * docs at /docs, one error handler (FastAPI-shaped 422s, `{detail}` otherwise), request ids, bearer auth,
 * /health, /status and /metrics.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import { z } from 'zod';
import { AppError, unprocessable } from './errors.ts';
import { defaultRole, type Authenticator, type Role } from './auth.ts';
import { findBadInput, MAX_JSON_DEPTH, MAX_OBJECT_KEYS, problemMessage, scanJson } from './input-limits.ts';
import { parseJsonSafe, SafeParseError } from './parse.ts';
import { nameWords, REDACT_PATHS } from './secrets.ts';
import { capIssues, cappedValidatorCompiler } from './zod-errors.ts';

export type App = FastifyInstance<any, any, any, any, ZodTypeProvider>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Role the route needs; default viewer for reads, operator for writes. */
    role?: Role;
    /** No authentication (health, docs, metrics). */
    public?: boolean;
  }
  interface FastifyRequest {
    role?: Role;
  }
}

export interface HealthCheck {
  /** Dependency name → 'ok' or the reason it is down. */
  (): Promise<Record<string, string>>;
}

export interface AppOptions {
  title: string;
  description?: string;
  version?: string;
  auth: Authenticator;
  logLevel?: string;
  /** Where log lines go (tests capture them); stdout by default. */
  logStream?: Writable;
  bodyLimitBytes?: number;
  health?: HealthCheck;
  status?: () => Promise<Record<string, unknown>>;
  /** Adds the service's own collectors to this app's registry. */
  metrics?: (registry: Registry) => void;
}

/** Maps any thrown error to a status and body; the only place errors become responses. */
export function errorToResponse(err: any): { status: number; body: unknown } {
  if (err instanceof AppError) {
    if (err.status === 422 && err.issues) return { status: 422, body: { detail: capIssues(err.issues) } };
    return { status: err.status, body: { detail: err.detail } };
  }
  const code: string = err?.code ?? '';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { detail: 'Request body is too large' } };
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, body: { detail: 'Unsupported content type' } };
  if (code.startsWith('FST_ERR_CTP') || (err?.statusCode === 400 && err?.name === 'SyntaxError')) {
    // never err.message: V8's JSON.parse messages quote the text around the error (a token, say)
    return { status: 422, body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] } };
  }
  if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: { detail: err.message } };
  }
  return { status: 500, body: { detail: 'Internal server error' } };
}

/**
 * Query parameters logged as `[redacted]`: by the words of their name (`hf_token`, `apiKey`, `kubeconfig`), never by a
 * substring, so `tokenizer_id` or `max_tokens` stay readable. Wider than what results redact (a bare `key`, documents):
 * a log line has no use for them.
 */
const SECRET_QUERY_WORDS = new Set(['token', 'secret', 'secrets', 'password', 'passwd', 'pwd', 'passphrase', 'key', 'keys', 'apikey', 'auth', 'authorization', 'credential', 'credentials', 'kubeconfig', 'config', 'content', 'values', 'signature', 'sig', 'cookie', 'session', 'jwt', 'bearer']);
const secretQueryKey = (k: string) => nameWords(k).some((w) => SECRET_QUERY_WORDS.has(w));

/** The subprotocol a WebSocket client offers beside `benchops.bearer.<base64url token>` (the web UI's terminal). */
export const WS_PROTOCOL = 'benchops';
const WS_BEARER_PREFIX = 'benchops.bearer.';

/** The bearer token a WebSocket upgrade offers as a subprotocol, as an Authorization value; undefined otherwise. */
export function wsBearer(req: FastifyRequest): string | undefined {
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return undefined;
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const item = offered.find((p) => p.startsWith(WS_BEARER_PREFIX));
  if (!item) return undefined;
  const token = Buffer.from(item.slice(WS_BEARER_PREFIX.length), 'base64url').toString('utf8');
  return token ? `Bearer ${token}` : undefined;
}

/** A request URL for the logs: query values whose names suggest secrets or documents become `[redacted]`. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const out: string[] = [];
  for (const [k, v] of params) out.push(`${encodeURIComponent(k)}=${secretQueryKey(k) ? '[redacted]' : encodeURIComponent(v)}`);
  return clipForLog(`${url.slice(0, q)}?${out.join('&')}`);
}

/** Longest URL or message written to a log line (a rejected request's log stays small whatever it carried). */
const MAX_LOGGED_TEXT = 2048;
const clipForLog = (s: string) => (s.length > MAX_LOGGED_TEXT ? `${s.slice(0, MAX_LOGGED_TEXT)}…(${s.length} chars)` : s);

/** What the log keeps of a rejection: the status and the first issues' locations and types, never the body or values. */
function rejectionLog(status: number, detail: unknown): Record<string, unknown> {
  if (!Array.isArray(detail)) return { status, detail: clipForLog(String(detail)) };
  return {
    status,
    problems: detail.length,
    detail: detail.slice(0, 5).map((d: any) => ({ loc: clipForLog((d?.loc ?? []).join('.')), type: d?.type, msg: clipForLog(String(d?.msg ?? '')) })),
  };
}

/** Set on a request whose JSON body was scanned and cannot hold text the edge refuses (the walk is skipped). */
const kCleanBody = Symbol('benchops.cleanBody');

/**
 * JSON bodies: nesting past MAX_JSON_DEPTH and objects past MAX_OBJECT_KEYS are refused before parsing (one linear
 * scan, no recursion), and a syntax error says line and column only (V8's own message quotes the surrounding text,
 * which may be a secret).
 */
function parseJsonBody(req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (body === '') return done(unprocessable(['body'], 'Body cannot be empty when content-type is application/json', 'json_invalid'));
  const scan = scanJson(body, MAX_JSON_DEPTH, MAX_OBJECT_KEYS);
  if (scan.exceeded) {
    const { limit, line, column } = scan.exceeded;
    const what = limit === 'depth' ? `JSON nested deeper than ${MAX_JSON_DEPTH} levels` : `a JSON object with more than ${MAX_OBJECT_KEYS} keys`;
    return done(unprocessable(['body'], `${what} (at line ${line}, column ${column})`, limit === 'depth' ? 'too_deep' : 'too_many_keys'));
  }
  let value: unknown;
  try {
    value = parseJsonSafe(body);
  } catch (e) {
    return done(unprocessable(['body'], `JSON decode error: ${e instanceof SafeParseError ? e.message : 'invalid JSON'}`, 'json_invalid'));
  }
  if (!scan.suspicious) (req as any)[kCleanBody] = true;
  done(null, value);
}

/**
 * 422 for a query value that is not valid percent-encoded UTF-8 (e.g. a lone surrogate's bytes `%ED%A0%80`): the
 * query parser keeps such a value as its literal text, which would be stored or matched as something the client did
 * not send.
 */
function checkQueryEncoding(url: string): void {
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('%', q)) return;
  for (const pair of url.slice(q + 1).split('&')) {
    if (!pair.includes('%')) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    let key = rawKey;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      if (eq >= 0) decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw unprocessable(['query', key.slice(0, 64)], 'The query parameter is not valid percent-encoded UTF-8', 'string_unicode');
    }
  }
}

/** 422 for the first NUL, unpaired surrogate, too-deep value or `__proto__` key in path, query or body. */
function checkRequestText(req: FastifyRequest): void {
  checkQueryEncoding(req.url);
  const parts: [string, unknown][] = [
    ['path', req.params],
    ['query', req.query],
    ['body', (req as any)[kCleanBody] ? undefined : req.body],
  ];
  for (const [where, value] of parts) {
    const bad = findBadInput(value, MAX_JSON_DEPTH);
    if (bad) {
      const type = bad.problem === 'depth' ? 'too_deep' : bad.problem === 'proto' ? 'forbidden_key' : 'string_unicode';
      throw unprocessable([where, ...bad.path], problemMessage(bad.problem), type);
    }
  }
}

/** Creates a Fastify app with BenchOps' conventions; register service routes on it afterwards. */
export async function createApp(opts: AppOptions): Promise<App> {
  const logger = pino(
    {
      level: opts.logLevel ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { svc: opts.title },
      serializers: {
        req: (r: any) => ({ method: r.method, url: loggableUrl(String(r.url ?? '')), host: r.host, remoteAddress: r.ip, remotePort: r.socket?.remotePort }),
      },
    },
    opts.logStream ?? process.stdout,
  );
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: opts.bodyLimitBytes ?? 10 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { coerceTypes: false } },
    // A URL that is not valid percent-encoded UTF-8 (a lone surrogate like %ED%A0%80) never reaches a route.
    frameworkErrors: (err, req, reply) => {
      const bad = err.code === 'FST_ERR_BAD_URL';
      const { status, body } = bad
        ? { status: 422, body: { detail: [{ loc: ['path'], msg: 'The URL path is not valid percent-encoded UTF-8', type: 'string_unicode' }] } }
        : errorToResponse(err);
      req.log.info(rejectionLog(status, (body as any).detail), 'request rejected');
      void (reply as FastifyReply).code(status).send(body);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(cappedValidatorCompiler as any);
  app.setSerializerCompiler(serializerCompiler);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = errorToResponse(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info(rejectionLog(status, (body as any).detail), 'request rejected');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `Not Found: ${req.method} ${req.url.split('?')[0]}` }));

  // Once per server, at the root, before auth: any service scope may declare `{ websocket: true }` routes; auth runs on
  // the upgrade request, and a refused upgrade's socket is closed (the plugin's hooks must see it first).
  // A browser cannot set Authorization on a WebSocket: it offers the token as a subprotocol (wsBearer), and the server
  // answers with `benchops` alone, so the token is never echoed.
  await app.register(fastifyWebsocket, { options: { handleProtocols: (offered: Set<string>) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false) } });

  app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
    const cfg = req.routeOptions.config ?? {};
    const url = req.url;
    if (cfg.public || url.startsWith('/docs') || url === '/openapi.json') return;
    if (!req.routeOptions.url) return; // 404s answer without auth details
    req.role = opts.auth.check(req.headers.authorization ?? wsBearer(req), cfg.role ?? defaultRole(req.method));
  });

  // One place for every service: text that PostgreSQL cannot store, or that would not round-trip, is refused here.
  app.addHook('preValidation', async (req) => checkRequestText(req));

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: opts.title, description: opts.description ?? '', version: opts.version ?? '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'benchops_' });
  const duration = new Histogram({
    name: 'benchops_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    duration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  opts.metrics?.(registry);
  app.decorate('metricsRegistry', registry);

  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        summary: 'Health: checks the service dependencies and says which is down (503) or degraded (200, status degraded)',
        tags: ['system'],
        response: {
          200: z.object({ status: z.enum(['healthy', 'degraded']), checks: z.record(z.string(), z.string()), timestamp: z.string() }),
          503: z.object({ status: z.literal('unhealthy'), checks: z.record(z.string(), z.string()), timestamp: z.string() }),
        },
      },
    },
    async (_req, reply) => {
      let checks: Record<string, string>;
      try {
        checks = opts.health ? await opts.health() : {};
      } catch (e: any) {
        checks = { service: String(e?.message ?? e) };
      }
      // `degraded: …` is an outside system this service works around (MLflow, Git, a scheduler error it retries): it still
      // serves, so readiness stays 200 and says so; anything else is down (503)
      const values = Object.values(checks);
      const down = values.some((v) => v !== 'ok' && !v.startsWith('degraded'));
      const degraded = values.some((v) => v.startsWith('degraded'));
      const body = { status: down ? 'unhealthy' : degraded ? 'degraded' : 'healthy', checks, timestamp: new Date().toISOString() } as const;
      return reply.code(down ? 503 : 200).send(body as any);
    },
  );

  app.get('/status', { schema: { summary: 'Counts and background-work state', tags: ['system'] } }, async () => ({
    service: opts.title,
    timestamp: new Date().toISOString(),
    ...(opts.status ? await opts.status() : {}),
  }));

  return app;
}

/** Shared pagination query: `limit` (1..1000, default 100) and `offset`. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** Lists stay plain arrays (the earlier clients read arrays); the total goes into `X-Total-Count`. */
export function setTotal(reply: FastifyReply, total: number): void {
  reply.header('x-total-count', String(total));
}

/** ISO-8601 UTC with `Z`. */
export function iso(d: Date | string | null | undefined): string | null {
  if (d == null) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}
