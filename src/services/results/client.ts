/**
 * ResultsApi over HTTP (the runner, a separate process, posts through it; cluster-mode services read through it)
 * and the resolver other services use: the in-process module when results runs here, else HTTP to
 * BENCHOPS_RESULTS_URL. Importing this file pulls in no database code.
 */
import { serviceToken } from '../../core/auth.ts';
import { AppError } from '../../core/errors.ts';
import { jsonClient, type JsonClient } from '../../core/http-client.ts';
import type { PlatformContext } from '../../core/service.ts';
import type {
  CompareResult,
  HistoryPoint,
  HistoryQuery,
  ResultDocument,
  ResultFilter,
  ResultPage,
  ResultPost,
  FullResultsApi,
  ResultSummary,
  SaveResult,
} from './api.ts';

export interface ResultsClientOptions {
  /** Bearer token (operator role to post, viewer to read). */
  token?: string;
  timeoutMs?: number;
  /** Retries of a POST on network errors and 502/503/504 (posts are idempotent by pk, so retrying is safe). */
  retries?: number;
}

export class ResultsClient implements FullResultsApi {
  private readonly http: JsonClient;

  constructor(baseUrl: string, opts: ResultsClientOptions = {}) {
    // the results service's own 5xx statuses pass through (the runner tells a 503 from a 500)
    this.http = jsonClient({
      base: baseUrl,
      token: opts.token,
      timeoutMs: opts.timeoutMs ?? 30_000,
      service: 'Results service',
      serverErrors: 'pass',
      retries: opts.retries ?? 2,
      retryMethods: ['POST'],
    });
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ body: T; total?: number }> {
    const res = await this.http.request<T>(method, path, body);
    const total = res.headers.get('x-total-count');
    return { body: res.body, total: total === null ? undefined : Number(total) };
  }

  async postRaw(body: ResultPost, opts: { standardize?: boolean } = {}): Promise<SaveResult> {
    const q = opts.standardize === false ? '?standardize=false' : '';
    return (await this.request<SaveResult>('POST', `/raw_input${q}`, body)).body;
  }

  async postStandardized(body: ResultPost): Promise<SaveResult> {
    return (await this.request<SaveResult>('POST', '/standardized_output', body)).body;
  }

  async getRaw(pk: string): Promise<ResultDocument> {
    return (await this.request<ResultDocument>('GET', `/raw_input/${encodeURIComponent(pk)}`)).body;
  }

  async getStandardized(pk: string): Promise<ResultDocument> {
    return (await this.request<ResultDocument>('GET', `/standardized_output/${encodeURIComponent(pk)}`)).body;
  }

  private async list(path: string, f: ResultFilter): Promise<ResultPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== null) q.set(k, String(v));
    const r = await this.request<ResultSummary[]>('GET', `${path}${q.size ? `?${q}` : ''}`);
    return { items: r.body, total: r.total ?? r.body.length };
  }

  listRaw(filter: ResultFilter = {}): Promise<ResultPage> {
    return this.list('/raw_input', filter);
  }

  listStandardized(filter: ResultFilter = {}): Promise<ResultPage> {
    return this.list('/standardized_output', filter);
  }

  async compare(pks: string[]): Promise<CompareResult> {
    const q = new URLSearchParams();
    for (const pk of pks) q.append('pks', pk);
    return (await this.request<CompareResult>('GET', `/compare?${q}`)).body;
  }

  async history(modelId: string, query: HistoryQuery): Promise<{ items: HistoryPoint[]; total: number }> {
    const q = new URLSearchParams({ model_id: modelId });
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.set(k, String(v));
    const r = await this.request<HistoryPoint[]>('GET', `/history?${q}`);
    return { items: r.body, total: r.total ?? r.body.length };
  }
}

/**
 * The ResultsApi for this process: in-process when the results service runs here, else HTTP to `resultsUrl`
 * with `token`, or else the least privileged configured token that may post (operator, then admin).
 */
export function resultsApi(ctx: Pick<PlatformContext, 'local' | 'config'>, opts: { token?: string } = {}): FullResultsApi {
  const local = ctx.local.get('results')?.api as FullResultsApi | undefined;
  if (local) return local;
  if (ctx.config.resultsUrl) {
    let token = opts.token;
    if (!token) {
      token = serviceToken(ctx.config, ['operator', 'admin']);
    }
    return new ResultsClient(ctx.config.resultsUrl, { token });
  }
  throw new AppError(503, 'The results service is not running in this process and BENCHOPS_RESULTS_URL is not set', 'unavailable');
}
