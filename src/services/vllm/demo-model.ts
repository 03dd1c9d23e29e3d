/**
 * The demo model of embedded mode: on a first start (no vLLM deployment yet) a small model is deployed on the local
 * node's emulated GPU through the vLLM service's own `POST /deploy`, so `/v1/models` lists it and the demo project's
 * jobs run from the UI with nothing typed. It is low priority (anything that may evict takes its GPU) and it is a
 * deployment like any other: stopping it is final, a restart does not bring it back.
 */
import type { Config } from '../../core/config.ts';
import { loadTokens } from '../../core/auth.ts';
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
  const token = [...loadTokens(config)].sort((a, b) => rank(a.role) - rank(b.role))[0]?.token;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const list = await fetch(`${vllmUrl}/deployments?limit=1`, { headers, signal: AbortSignal.timeout(30_000) });
  if (!list.ok) throw new Error(`listing deployments failed: HTTP ${list.status}`);
  const existing = Object.values((await list.json()) as Record<string, { deployment_id: string }>);
  if (existing.length) return { action: 'exists', deployment_id: existing[0].deployment_id, reason: 'a deployment already exists (not a first start)' };
  const res = await fetch(`${vllmUrl}/deploy`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      deployment_name: DEMO_DEPLOYMENT_NAME,
      priority: 'low',
      config: { model_name: DEMO_MODEL, gpu_resource_type: 'nvidia.com/gpu', gpu_resource_count: 1, max_model_len: 4096 },
    }),
    signal: AbortSignal.timeout(60_000),
  });
  const body: any = await res.json().catch(() => ({}));
  if (!res.ok) {
    const reason = typeof body?.detail === 'string' ? body.detail : JSON.stringify(body?.detail ?? res.status);
    log?.warn({ status: res.status, reason }, 'demo model not deployed');
    return { action: 'skipped', reason };
  }
  log?.info({ deployment_id: body.deployment_id, model: DEMO_MODEL }, 'demo model deploying on the emulated GPU');
  return { action: 'created', deployment_id: body.deployment_id };
}

function rank(role: string): number {
  return ['operator', 'admin', 'viewer'].indexOf(role);
}
