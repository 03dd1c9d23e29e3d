/**
 * EvalApi over HTTP (cluster mode: the MLflow integration reaches the evaluation service at BENCHOPS_EVAL_URL) and
 * the resolver other services use: the in-process module when eval runs here, else HTTP. Importing this file pulls
 * in no database code.
 */
import { serviceToken } from '../../core/auth.ts';
import { AppError } from '../../core/errors.ts';
import { jsonClient, type JsonClient } from '../../core/http-client.ts';
import type { PlatformContext } from '../../core/service.ts';
import type { EvalApi, EvaluateRequest, EvaluationView } from './api.ts';

export class EvalHttpClient implements EvalApi {
  private readonly http: JsonClient;

  constructor(baseUrl: string, token?: string, timeoutMs = 30_000) {
    this.http = jsonClient({ base: baseUrl, token, timeoutMs, service: 'Evaluation service' });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return (await this.http.request<T>(method, path, body)).body;
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
