/**
 * DeployerApi over HTTP (cluster mode: the vLLM queue, the evaluation and the workflows services reach the deployer
 * at BENCHOPS_DEPLOYER_URL) and the resolver other services use: the in-process module when the deployer runs here,
 * else HTTP. Importing this file pulls in no database code.
 */
import { serviceToken } from '../../core/auth.ts';
import { AppError } from '../../core/errors.ts';
import { jsonClient, type JsonClient } from '../../core/http-client.ts';
import type { PlatformContext } from '../../core/service.ts';
import type { DeployerApi, DeploymentRecord, RunOptions, RunRequest, RunResponse } from './api.ts';

/** Internal callers' RunOptions travel in this header (JSON), outside seed 000's strict `/run` body. */
export const RUN_OPTIONS_HEADER = 'x-benchops-run-options';

/** What `POST /deploy` answers (the first object applied names the record). */
export interface AppliedObjects {
  deployment_id: string;
  resource_name: string;
  namespace: string;
}

/** DeployerApi over HTTP, plus the YAML apply/delete and job logs routes that DeployerApi has no methods for. */
export class DeployerHttpClient implements DeployerApi {
  private readonly http: JsonClient;

  constructor(base: string, token?: string, timeoutMs = 60_000) {
    this.http = jsonClient({ base, token, timeoutMs, service: 'Deployer' });
  }

  async run(req: RunRequest, opts?: RunOptions): Promise<RunResponse> {
    const headers: Record<string, string> = opts ? { [RUN_OPTIONS_HEADER]: JSON.stringify(opts) } : {};
    return (await this.http.post<RunResponse>('/run', req, { headers })).body;
  }

  async getDeployment(id: string): Promise<DeploymentRecord> {
    return (await this.http.get<DeploymentRecord>(`/deployments/${encodeURIComponent(id)}`)).body;
  }

  async deleteJob(name: string, namespace?: string): Promise<void> {
    try {
      await this.http.delete(`/jobs/${encodeURIComponent(name)}/delete`, { query: { namespace: namespace || undefined } });
    } catch (e: any) {
      if (e?.status !== 404) throw e;
    }
  }

  /** Applies multi-document YAML through `POST /deploy` (all or nothing). */
  async apply(yaml: string, namespace?: string): Promise<AppliedObjects> {
    return (await this.http.post<AppliedObjects>('/deploy', { yaml_content: yaml, ...(namespace ? { namespace } : {}) })).body;
  }

  /** Deletes what the YAML names through `POST /delete` (absent objects count as deleted). */
  async deleteYaml(yaml: string, namespace?: string): Promise<void> {
    await this.http.post('/delete', { yaml_content: yaml, ...(namespace ? { namespace } : {}) });
  }

  /** The last `lines` lines of a job's log. */
  async jobLogs(name: string, namespace: string, lines: number, timeoutMs = 15_000): Promise<string[]> {
    const r = await this.http.get<{ logs?: string[] }>(`/jobs/${encodeURIComponent(name)}/logs`, {
      query: { namespace, tail_lines: lines },
      timeoutMs,
    });
    return Array.isArray(r.body?.logs) ? r.body.logs : [];
  }
}

/** The token this process calls the deployer with: the first configured of operator, admin, viewer. */
export function deployerToken(ctx: Pick<PlatformContext, 'config'>): string | undefined {
  return serviceToken(ctx.config, ['operator', 'admin', 'viewer']);
}

/** The DeployerApi for this process: in-process when the deployer runs here, else HTTP to BENCHOPS_DEPLOYER_URL. */
export function deployerApi(ctx: Pick<PlatformContext, 'local' | 'config'>): DeployerApi {
  const local = ctx.local.get('deployer')?.api as DeployerApi | undefined;
  if (local) return local;
  if (ctx.config.deployerUrl) return new DeployerHttpClient(ctx.config.deployerUrl, deployerToken(ctx));
  throw new AppError(503, 'The deployer is not running in this process and BENCHOPS_DEPLOYER_URL is not set', 'unavailable');
}
