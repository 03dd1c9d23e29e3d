/**
 * Is the engine serving the model yet? One bounded probe of `{url}/v1/models` (its own timeout, at most 1 MiB read),
 * and the backoff between probes. A refused connection, a 5xx or a list without the model is "not yet", never a
 * failure by itself: only the evaluation's deadline fails it (driver.ts).
 */

export interface ProbeResult {
  ready: boolean;
  /** What was seen, for the evaluation's readiness view and its failure reason. */
  detail: string;
}

const MAX_BODY = 1024 * 1024;

/** The engine's base URL: a given `/v1`, `/v1/models` or `/v1/completions` suffix is dropped. */
export function engineBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1(?:\/(?:models|completions|chat\/completions))?$/, '');
}

/** The served model names a `/v1/models` answer lists (`id`, and `root` for the model a served name stands for). */
export function listedModels(body: unknown): string[] {
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) return [];
  const out: string[] = [];
  for (const m of data) {
    if (m && typeof m === 'object') {
      for (const k of ['id', 'root'] as const) {
        const v = (m as Record<string, unknown>)[k];
        if (typeof v === 'string' && !out.includes(v)) out.push(v);
      }
    }
  }
  return out;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel().catch(() => {});
      throw new Error('answer larger than 1 MiB');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One probe of `{url}/v1/models` for `model`, bounded by `timeoutMs`. */
export async function probeEngine(url: string, model: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<ProbeResult> {
  const target = `${engineBase(url)}/v1/models`;
  let res: Response;
  try {
    res = await fetch(target, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (e: any) {
    const code = e?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e?.cause?.code ?? e?.message ?? String(e));
    return { ready: false, detail: `not reachable yet (${code})` };
  }
  let text: string;
  try {
    text = await readCapped(res);
  } catch (e: any) {
    return { ready: false, detail: `unreadable answer (${e?.message ?? e})` };
  }
  if (!res.ok) return { ready: false, detail: `HTTP ${res.status}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ready: false, detail: 'the answer is not JSON' };
  }
  const models = listedModels(body);
  if (models.includes(model)) return { ready: true, detail: `lists ${model}` };
  const shown = models.slice(0, 5).join(', ') || 'no model';
  return { ready: false, detail: `answers but lists ${shown}${models.length > 5 ? ', …' : ''}, not ${model}` };
}

/** Delay before probe number `attempt` (1-based): doubling from `firstMs`, capped at `maxMs`. */
export function backoffMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(20, Math.max(0, attempt - 1)));
}
