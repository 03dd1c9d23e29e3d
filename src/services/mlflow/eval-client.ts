/**
 * How the integration asks the evaluation service to evaluate a new engine: the eval module's in-process `api` in
 * embedded mode, `POST {BENCHOPS_EVAL_URL}/evaluate` in cluster mode. The interface is the part of the eval service's
 * `EvalApi` (src/services/eval/api.ts) this service uses, declared here so that neither service reaches into the other.
 */
import { serviceToken } from '../../core/auth.ts';
import { jsonClient, RemoteServiceError, type JsonClient } from '../../core/http-client.ts';
import type { PlatformContext } from '../../core/service.ts';

export interface EvaluateCall {
  model_name: string;
  inference_engine_url: string;
  template?: string;
  overrides?: Record<string, unknown>;
  source?: Record<string, unknown>;
  /** The eval service's optional wait before its first readiness probe. */
  delay_seconds?: number;
}

export interface EvalPort {
  evaluate(req: EvaluateCall): Promise<{ id: string; status: string }>;
}

export class EvalCallError extends Error {
  constructor(
    message: string,
    /** A 4xx answer will not change on retry. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** EvalPort over HTTP. */
export class EvalHttpPort implements EvalPort {
  private readonly http: JsonClient;

  constructor(baseUrl: string, token?: string, timeoutMs = 30_000) {
    this.http = jsonClient({ base: baseUrl, token, timeoutMs, service: 'Evaluation service' });
  }

  async evaluate(req: EvaluateCall): Promise<{ id: string; status: string }> {
    let body: any;
    try {
      body = (await this.http.post('/evaluate', req)).body;
    } catch (e) {
      if (e instanceof RemoteServiceError) {
        const s = e.remoteStatus;
        throw new EvalCallError(`evaluation service answered ${s}: ${e.detail.slice(0, 300)}`, s >= 400 && s < 500 && s !== 429 && s !== 408);
      }
      // no answer: worth another try
      throw new EvalCallError(e instanceof Error ? e.message : String(e), false);
    }
    if (typeof body?.id !== 'string') throw new EvalCallError('evaluation service answered without an evaluation id', false);
    return { id: body.id, status: String(body.status ?? 'waiting') };
  }
}

/** The EvalPort for this process, or null when no evaluation service is in reach (then evaluation is skipped, said so). */
export function evalPort(ctx: Pick<PlatformContext, 'local' | 'config'>): EvalPort | null {
  const local = ctx.local.get('eval')?.api as EvalPort | undefined;
  if (local && typeof local.evaluate === 'function') return local;
  if (ctx.config.evalUrl) return new EvalHttpPort(ctx.config.evalUrl, serviceToken(ctx.config, ['operator', 'admin']));
  return null;
}
