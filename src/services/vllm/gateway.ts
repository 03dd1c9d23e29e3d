/**
 * The OpenAI-compatible model gateway (mounted on the 8080 gateway by the platform): `GET /v1/models` aggregated over
 * running deployments (earlier vllm-api-gateway shape: `{object:"list", data:[{id, owned_by, created, max_model_len}]}`)
 * and `/v1/*` requests proxied to the deployment serving the body's `model` (streaming passes through).
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { unprocessable } from '../../core/errors.ts';
import type { App } from '../../core/http.ts';
import type { ServiceModule } from '../../core/service.ts';
import type { ServedModel, VllmApi } from './api.ts';

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'authorization', 'proxy-authorization', 'te', 'trailer']);

async function listed(m: ServedModel): Promise<any[] | null> {
  if (!m.reachable) return null;
  try {
    const r = await fetch(`${m.endpoint}/v1/models`, { signal: AbortSignal.timeout(3000) });
    if (!r.ok) return null;
    const body: any = await r.json();
    return Array.isArray(body?.data) ? body.data : null;
  } catch {
    return null;
  }
}

/** Registers `/v1/models` and the OpenAI proxy on an app (the 8080 gateway); `vllm` is the vLLM service module. */
export function registerModelGateway(app: App, vllm: ServiceModule | VllmApi): void {
  const api = ((vllm as ServiceModule).api ?? vllm) as VllmApi;

  app.get(
    '/v1/models',
    { schema: { summary: 'Models served by running vLLM deployments (OpenAI list)', tags: ['models'] } },
    async () => {
      const models = await api.servedModels();
      const data: any[] = [];
      const seen = new Set<string>();
      const live = await Promise.all(models.map(listed));
      models.forEach((m, i) => {
        const entries = live[i] ?? [{ id: m.id, object: 'model', owned_by: 'vllm', created: m.created, max_model_len: m.max_model_len }];
        for (const e of entries) {
          if (!e?.id || seen.has(e.id)) continue;
          seen.add(e.id);
          data.push({
            id: e.id,
            object: 'model',
            owned_by: e.owned_by ?? 'vllm',
            created: typeof e.created === 'number' ? e.created : m.created,
            max_model_len: e.max_model_len ?? m.max_model_len,
            root: e.root ?? e.id,
            deployment_id: m.deployment_id,
          });
        }
      });
      return { object: 'list', data };
    },
  );

  const proxy = async (req: any, reply: any) => {
    const body = req.body as Record<string, unknown> | undefined;
    const model = typeof body?.model === 'string' ? body.model : undefined;
    if (!model) {
      return reply.code(400).send({ error: { message: 'the request body must name a model', type: 'invalid_request_error', param: 'model' } });
    }
    // serialised once, before anything else: a body JSON.stringify cannot handle (nested thousands deep) is the
    // caller's error (422), never an "upstream unreachable"
    let payload: string;
    try {
      payload = JSON.stringify(body);
    } catch {
      throw unprocessable(['body'], 'the request body cannot be forwarded: it is nested too deeply to serialise');
    }
    const target = (await api.servedModels()).find((m) => m.id === model && m.reachable);
    if (!target) {
      return reply.code(404).send({ error: { message: `The model \`${model}\` does not exist (no running deployment serves it)`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && typeof v === 'string' && k !== 'content-type') headers[k] = v;
    const ctrl = new AbortController();
    req.raw.on('close', () => {
      if (!reply.raw.writableEnded) ctrl.abort();
    });
    let upstream: Response;
    try {
      upstream = await fetch(`${target.endpoint}${req.url.replace(/^.*?(\/v1\/)/, '/v1/')}`, {
        method: req.method,
        headers,
        body: payload,
        signal: ctrl.signal,
      });
    } catch (e: any) {
      return reply.code(502).send({ error: { message: `upstream ${model} unreachable: ${e.message}`, type: 'upstream_error' } });
    }
    reply.code(upstream.status);
    upstream.headers.forEach((v, k) => {
      if (!HOP.has(k) && k !== 'content-encoding') reply.header(k, v);
    });
    if (!upstream.body) return reply.send();
    return reply.send(Readable.fromWeb(upstream.body as any));
  };

  const anyBody = z.record(z.string(), z.unknown());
  for (const p of ['/v1/completions', '/v1/chat/completions', '/v1/embeddings', '/v1/tokenize', '/v1/detokenize']) {
    // Inference needs operator, not viewer: it spends the GPUs that benchmarks run on, and a request sent to a model
    // while a benchmark measures it changes that benchmark's latencies and throughput. Viewers read everything
    // (GET /v1/models included); sending load is what operators do. (README, "Authentication and secrets".)
    app.post(p, { config: { role: 'operator' }, schema: { summary: `OpenAI ${p} proxied to the deployment serving \`model\` (operator)`, tags: ['models'], body: anyBody } }, proxy);
  }
}
