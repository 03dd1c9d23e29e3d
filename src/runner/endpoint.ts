/** The model endpoint: accepts `.../v1/completions`, `.../v1/chat/completions`, `.../v1` or a bare base URL; finds the served model. */
import { ConfigError, RunError } from './errors.ts';

export type ApiKind = 'completions' | 'chat';

export interface Endpoint {
  /** Scheme, host, port and any path prefix before `/v1`, without a trailing slash. */
  baseUrl: string;
  /** The API the URL itself named (`/v1/completions` or `/v1/chat/completions`), if it named one. */
  api?: ApiKind;
}

/** Parses an endpoint in any of the accepted forms; `field` names the source in errors. */
export function parseEndpoint(raw: string, field: string): Endpoint {
  let text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(field, `not a valid URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(field, `must be http(s), got "${raw}"`);
  let p = url.pathname.replace(/\/+$/, '');
  let api: ApiKind | undefined;
  const m = /^(.*?)(\/v1)?\/(chat\/completions|completions)$/.exec(p);
  if (m) {
    api = m[3] === 'completions' ? 'completions' : 'chat';
    p = m[1];
  } else if (p.endsWith('/v1')) {
    p = p.slice(0, -3);
  }
  return { baseUrl: `${url.protocol}//${url.host}${p}`, api };
}

/** Maps vLLM `bench serve` backend names and our own to an API kind. */
export function apiFromBackend(backend: string | undefined, endpointPath?: string): ApiKind | undefined {
  if (endpointPath) {
    if (/chat\/completions\/?$/.test(endpointPath)) return 'chat';
    if (/completions\/?$/.test(endpointPath)) return 'completions';
  }
  if (!backend) return undefined;
  const b = backend.toLowerCase();
  if (b.includes('chat')) return 'chat';
  if (['openai', 'vllm', 'completions', 'completion', 'tgi', 'sglang', 'lmdeploy'].includes(b)) return 'completions';
  return undefined;
}

/** Lists the served model ids from `GET /v1/models`; throws RunError when the endpoint cannot be reached. */
export async function listModels(baseUrl: string, timeoutMs = 10_000, attempts = 3): Promise<string[]> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(`${baseUrl}/v1/models`, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
      if (!res.ok) return [];
      const body = (await res.json()) as { data?: { id?: unknown }[] };
      return (body.data ?? []).map((d) => d.id).filter((id): id is string => typeof id === 'string');
    } catch (e) {
      last = e;
      if (i < attempts - 1) await new Promise((r) => setTimeout(r, 300 * 2 ** i));
    }
  }
  throw new RunError(`cannot reach the model endpoint ${baseUrl}/v1/models: ${(last as Error)?.message ?? last}`);
}

/**
 * Picks the model to request: the given name when the server serves it (or the server does not list models),
 * else the first served model. Returns a warning when the given name was replaced.
 */
export function chooseModel(given: string | undefined, served: string[]): { model?: string; warning?: string } {
  if (given && (served.length === 0 || served.includes(given))) return { model: given };
  if (served.length === 0) return {};
  if (given) {
    return {
      model: served[0],
      warning: `model "${given}" is not served by the endpoint (it serves ${served.join(', ')}); using "${served[0]}"`,
    };
  }
  return { model: served[0] };
}
