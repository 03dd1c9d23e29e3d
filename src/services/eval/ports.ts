/**
 * What the evaluation service needs from the others, through their public interfaces only: the manager (template
 * files), the deployer (`/run`, run records, job deletion), the results service (pks stored under a run id) and the
 * vLLM service (which endpoint serves a model, for schedules that name a model only). In-process modules in embedded
 * mode, HTTP clients in cluster mode (BENCHOPS_MANAGER_URL, BENCHOPS_DEPLOYER_URL, BENCHOPS_RESULTS_URL, BENCHOPS_VLLM_URL).
 */
import { serviceToken } from '../../core/auth.ts';
import { AppError } from '../../core/errors.ts';
import { jsonClient, RemoteServiceError } from '../../core/http-client.ts';
import { collaboratorHealth, type PlatformContext } from '../../core/service.ts';
import type { DeployerApi } from '../deployer/api.ts';
import type { ManagerApi } from '../manager/api.ts';
import { managerApi } from '../manager/client.ts';
import type { ServedModel } from '../vllm/api.ts';
import { resultsApi } from '../results/client.ts';
import { deployerApi } from '../deployer/client.ts';
import { vllmApi } from '../vllm/clients.ts';

export interface EvalPorts {
  manager(): ManagerApi;
  deployer(): DeployerApi;
  /** Result pks stored under a run id (standardized first); [] when none. */
  resultPks(runId: string): Promise<string[]>;
  servedModels(): Promise<ServedModel[]>;
  /** Ids of the manager projects with this exact name (templates may name a project instead of its id). */
  projectsNamed(name: string): Promise<string[]>;
  /** Whether each collaborator is reachable: 'ok' or why not. */
  health(): Promise<Record<string, string>>;
}

/** The ports of a platform process. */
export function platformPorts(ctx: PlatformContext): EvalPorts {
  return {
    manager: () => managerApi(ctx),
    deployer: () => deployerApi(ctx),
    async resultPks(runId) {
      // the runner posts under the deployer run's id (BENCHOPS_RUN_ID); standardized first, then raw-only pks
      const api = resultsApi(ctx, { token: serviceToken(ctx.config, ['viewer', 'operator', 'admin']) });
      const pks = new Set<string>();
      for (const r of (await api.listStandardized({ run_id: runId, limit: 1000 })).items) pks.add(r.pk);
      for (const r of (await api.listRaw({ run_id: runId, limit: 1000 })).items) pks.add(r.pk);
      return [...pks];
    },
    servedModels: () => vllmApi(ctx).servedModels(),
    async projectsNamed(name) {
      // ManagerApi has no lookup by name: the manager's public GET /projects?name= (this process's listener in
      // embedded mode, BENCHOPS_MANAGER_URL in a cluster)
      const base = ctx.urls?.manager ?? ctx.config.managerUrl;
      if (!base) throw new AppError(503, 'The manager is not reachable (not in this process and BENCHOPS_MANAGER_URL is not set)', 'unavailable');
      const http = jsonClient({ base, token: serviceToken(ctx.config, ['viewer', 'operator', 'admin']), timeoutMs: 15_000, service: 'Benchmark manager' });
      let list: Array<{ project_id?: string; id?: string; name?: string }>;
      try {
        list = (await http.get<typeof list>('/projects', { query: { name, limit: 10 } })).body;
      } catch (e) {
        // any answer but a list is the manager's fault here (not the caller's: the name came from a template)
        if (e instanceof RemoteServiceError) throw new AppError(502, `The manager answered ${e.remoteStatus} to a project lookup`);
        throw e;
      }
      if (!Array.isArray(list)) throw new AppError(502, 'The manager answered a project lookup without a list');
      return list.filter((x) => x.name === name).map((x) => String(x.project_id ?? x.id));
    },
    health: () => collaboratorHealth(ctx, ['manager', 'deployer', 'results']),
  };
}
