/**
 * The demo model of embedded mode: on a first start (no vLLM deployment yet) a small model is deployed on the local
 * node's emulated GPU through the vLLM service's own `POST /deploy`, so `/v1/models` lists it and the demo project's
 * jobs run from the UI with nothing typed. It is low priority (anything that may evict takes its GPU) and it is a
 * deployment like any other: stopping it is final, a restart does not bring it back.
 */
import type { Config } from '../../core/config.ts';
import { serviceToken } from '../../core/auth.ts';
import { jsonClient, RemoteServiceError } from '../../core/http-client.ts';
import type { Logger } from 'pino';

/** What the demo deploys: a catalogue model small enough that the emulated server answers at once. */
export const DEMO_MODEL = 'Qwen/Qwen3-0.6B';
export const DEMO_DEPLOYMENT_NAME = 'benchops-demo';
/** The local node's devices when the demo is on and BENCHOPS_LOCAL_DEVICES is unset: one emulated L4. */
export const DEMO_LOCAL_DEVICES = 'L4:1';

/** The configuration embedded mode starts with: with the demo on, the local node gets an emulated GPU unless devices are set. */
export function withDemoDevices(config: Config): Config {
  return config.demo && !config.localDevices ? { ...config, localDevices: DEMO_LOCAL_DEVICES } : config;
}

export interface DemoModelOutcome {
  action: 'created' | 'exists' | 'skipped';
  deployment_id?: string;
  reason?: string;
}

/**
 * Deploys the demo model when the vLLM service at `vllmUrl` has no deployment at all; returns at once (readiness is
 * the service's business: the deployment shows `deploying`, then `running`).
 */
export async function ensureDemoModel(vllmUrl: string, config: Config, log?: Logger): Promise<DemoModelOutcome> {
  const http = jsonClient({ base: vllmUrl, token: serviceToken(config, ['operator', 'admin', 'viewer']), timeoutMs: 60_000, service: 'vLLM service' });
  const list = await http.get<Record<string, { deployment_id: string }>>('/deployments', { query: { limit: 1 }, timeoutMs: 30_000 });
  const existing = Object.values(list.body ?? {});
  if (existing.length) return { action: 'exists', deployment_id: existing[0].deployment_id, reason: 'a deployment already exists (not a first start)' };
  let created: { deployment_id: string };
  try {
    created = (
      await http.post<{ deployment_id: string }>('/deploy', {
        deployment_name: DEMO_DEPLOYMENT_NAME,
        priority: 'low',
        config: { model_name: DEMO_MODEL, gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, max_model_len: 4096 },
      })
    ).body;
  } catch (e) {
    // the service said no (no capacity, a refused config): the demo is skipped, said why; no answer is an error
    if (!(e instanceof RemoteServiceError)) throw e;
    log?.warn({ status: e.remoteStatus, reason: e.detail }, 'demo model not deployed');
    return { action: 'skipped', reason: e.detail };
  }
  log?.info({ deployment_id: created.deployment_id, model: DEMO_MODEL }, 'demo model deploying on the emulated GPU');
  return { action: 'created', deployment_id: created.deployment_id };
}
