/**
 * How the integration asks the evaluation service to evaluate a new engine: the eval module's in-process `api` in
 * embedded mode, `POST {BENCHOPS_EVAL_URL}/evaluate` in cluster mode. The interface is the part of the eval service's
 * `EvalApi` (src/services/eval/api.ts) this service uses, declared here so that neither service reaches into the other.
 */
import { serviceToken } from '../../core/auth.ts';
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
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async evaluate(req: EvaluateCall): Promise<{ id: string; status: string }> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}/evaluate`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify(req),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e: any) {
      throw new EvalCallError(`evaluation service unreachable at ${this.baseUrl}: ${e?.cause?.code ?? e?.name ?? 'connection failed'}`, false);
    }
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const detail = typeof body?.detail === 'string' ? body.detail : Array.isArray(body?.detail) ? body.detail.map((d: any) => `${(d.loc ?? []).join('.')}: ${d.msg}`).join('; ') : `HTTP ${res.status}`;
      throw new EvalCallError(`evaluation service answered ${res.status}: ${String(detail).slice(0, 300)}`, res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408);
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
