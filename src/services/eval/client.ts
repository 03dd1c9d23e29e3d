/**
 * EvalApi over HTTP (cluster mode: the MLflow integration reaches the evaluation service at BENCHOPS_EVAL_URL) and
 * the resolver other services use: the in-process module when eval runs here, else HTTP. Importing this file pulls
 * in no database code.
 */
import { serviceToken } from '../../core/auth.ts';
import { AppError, readJsonBody, remoteValidationError } from '../../core/errors.ts';
import type { PlatformContext } from '../../core/service.ts';
import type { EvalApi, EvaluateRequest, EvaluationView } from './api.ts';

export class EvalHttpClient implements EvalApi {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token?: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e: any) {
      throw new AppError(503, `Evaluation service unreachable at ${this.base}: ${e?.cause?.code ?? e?.message ?? e}`, 'unavailable');
    }
    const { text, json } = await readJsonBody(res);
    if (!res.ok) {
      // a 422 keeps its field locations, so the caller can say which of its fields was wrong
      const invalid = remoteValidationError(res.status, json);
      if (invalid) throw invalid;
      const detail = typeof json?.detail === 'string' ? json.detail : text.slice(0, 300);
      throw new AppError(res.status >= 500 ? 502 : res.status, detail);
    }
    return json as T;
  }

  async evaluate(req: EvaluateRequest): Promise<{ id: string; status: string; warnings?: string[] }> {
    const r = await this.call<{ id: string; status: string; warnings?: string[] }>('POST', '/evaluate', req);
    return { id: r.id, status: r.status, warnings: r.warnings };
  }

  getEvaluation(id: string): Promise<EvaluationView> {
    return this.call('GET', `/evaluations/${encodeURIComponent(id)}`);
  }
}

/** The EvalApi for this process: in-process when eval runs here, else HTTP to BENCHOPS_EVAL_URL (operator token). */
export function evalApi(ctx: Pick<PlatformContext, 'local' | 'config'>): EvalApi {
  const local = ctx.local.get('eval')?.api as EvalApi | undefined;
  if (local) return local;
  if (ctx.config.evalUrl) return new EvalHttpClient(ctx.config.evalUrl, serviceToken(ctx.config, ['operator', 'admin']));
  throw new AppError(503, 'The evaluation service is not running in this process and BENCHOPS_EVAL_URL is not set', 'unavailable');
}
