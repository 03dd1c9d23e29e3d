/**
 * The one JSON-over-HTTP client the services use to call each other: the bearer token, a timeout, and the mapping of
 * what can go wrong to an AppError — no answer (refused, reset, timed out) is a 503 naming the service and its URL;
 * an answer outside 2xx keeps the service's status (5xx as 502 by default: the fault is upstream) and its `detail`;
 * a FastAPI-shaped 422 keeps its field locations, so a forwarding service answers the same 422 as the one it calls.
 * The token never appears in an error: URLs are named without user info or query, and a detail that echoes the token
 * has it masked.
 */
import { AppError, readJsonBody, remoteValidationError } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface JsonClientOptions {
  /** The service's base URL (trailing slashes ignored). */
  base: string;
  /** Bearer token sent with every request. */
  token?: string;
  /** Per request, in ms (default 30 s). */
  timeoutMs?: number;
  /** How errors name the service, e.g. "Results service". */
  service: string;
  /** A 5xx answer: `'bad-gateway'` (default) throws 502, `'pass'` throws the service's own status. */
  serverErrors?: 'bad-gateway' | 'pass';
  /** Extra tries of a request that got no answer or a 502/503/504 (only for `retryMethods`; default 0). */
  retries?: number;
  /** The methods safe to retry (default POST and PUT: callers opt in with `retries` only where writes are idempotent). */
  retryMethods?: readonly HttpMethod[];
  /** Wait before try n+1, in ms (default 200 × n). */
  retryDelayMs?: (attempt: number) => number;
}

export interface RequestOptions {
  /** Added to the path's own query (undefined and null values left out). */
  query?: Record<string, string | number | boolean | undefined | null>;
  headers?: Record<string, string>;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
}

export interface JsonResponse<T> {
  status: number;
  /** The parsed JSON body; undefined when empty or not JSON. */
  body: T;
  headers: Headers;
  text: string;
}

/** An AppError from another service's answer (not from a missing one): `remoteStatus` is what the service said. */
export class RemoteServiceError extends AppError {
  constructor(
    status: number,
    detail: string,
    code: string,
    issues: AppError['issues'],
    /** The status the called service answered. */
    readonly remoteStatus: number,
    /** The URL called, without user info or query. */
    readonly url: string,
  ) {
    super(status, detail, code, issues);
  }
}

export interface JsonClient {
  /** The base URL, as errors name it (no user info). */
  readonly base: string;
  request<T = unknown>(method: HttpMethod, path: string, body?: unknown, opts?: RequestOptions): Promise<JsonResponse<T>>;
  get<T = unknown>(path: string, opts?: RequestOptions): Promise<JsonResponse<T>>;
  post<T = unknown>(path: string, body?: unknown, opts?: RequestOptions): Promise<JsonResponse<T>>;
  put<T = unknown>(path: string, body?: unknown, opts?: RequestOptions): Promise<JsonResponse<T>>;
  delete<T = unknown>(path: string, opts?: RequestOptions): Promise<JsonResponse<T>>;
}

/** A URL as errors may name it: no user info, no query, no fragment. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
  }
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.set(k, String(v));
  if (!q.size) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${q}`;
}

/** Why a request got no answer, naming URLs (fetch's own messages may) without user info or query. */
function reasonOf(e: any, timeoutMs: number, target: string): string {
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const why = String(e?.cause?.code ?? e?.cause?.message ?? e?.message ?? e);
  return why.split(target).join(safeUrl(target)).replace(/\/\/[^/@\s]*@/g, '//');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client for one service at `base`; see the file comment for how failures become AppErrors. */
export function jsonClient(o: JsonClientOptions): JsonClient {
  const base = o.base.replace(/\/+$/, '');
  const named = safeUrl(base);
  const timeoutMs = o.timeoutMs ?? 30_000;
  const retryMethods = o.retryMethods ?? ['POST', 'PUT'];
  const delay = o.retryDelayMs ?? ((n: number) => 200 * n);
  const mask = (s: string) => (o.token && o.token.length >= 4 ? s.split(o.token).join('***') : s);

  function failure(res: Response, text: string, json: any, url: string): RemoteServiceError {
    const invalid = remoteValidationError(res.status, json);
    if (invalid) {
      const issues = invalid.issues?.map((i) => ({ ...i, msg: mask(i.msg) }));
      return new RemoteServiceError(422, mask(invalid.detail), invalid.code, issues, res.status, url);
    }
    const d = json?.detail;
    const detail =
      typeof d === 'string' ? d : d !== undefined && d !== null ? JSON.stringify(d).slice(0, 300) : text ? text.slice(0, 300) : `${o.service} answered ${res.status}`;
    const status = res.status >= 500 && o.serverErrors !== 'pass' ? 502 : res.status;
    return new RemoteServiceError(status, mask(detail), 'error', undefined, res.status, url);
  }

  async function request<T>(method: HttpMethod, path: string, body?: unknown, opts: RequestOptions = {}): Promise<JsonResponse<T>> {
    const target = base + withQuery(path, opts.query);
    const ms = opts.timeoutMs ?? timeoutMs;
    const attempts = retryMethods.includes(method) ? (o.retries ?? 0) + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(target, {
          method,
          headers: {
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
            ...opts.headers,
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(ms),
        });
      } catch (e) {
        if (attempt < attempts) {
          await sleep(delay(attempt));
          continue;
        }
        throw new AppError(503, mask(`${o.service} unreachable at ${named}: ${reasonOf(e, ms, target)}`), 'unavailable');
      }
      if ((res.status === 502 || res.status === 503 || res.status === 504) && attempt < attempts) {
        await res.body?.cancel().catch(() => {});
        await sleep(delay(attempt));
        continue;
      }
      let read: { text: string; json: any };
      try {
        read = await readJsonBody(res);
      } catch (e) {
        // the answer started but its body did not arrive (reset, or the timeout ran out while reading)
        throw new AppError(503, mask(`${o.service} unreachable at ${named}: ${reasonOf(e, ms, target)}`), 'unavailable');
      }
      if (!res.ok) throw failure(res, read.text, read.json, safeUrl(target));
      return { status: res.status, body: read.json as T, headers: res.headers, text: read.text };
    }
  }

  return {
    base: named,
    request,
    get: (path, opts) => request('GET', path, undefined, opts),
    post: (path, body, opts) => request('POST', path, body, opts),
    put: (path, body, opts) => request('PUT', path, body, opts),
    delete: (path, opts) => request('DELETE', path, undefined, opts),
  };
}
