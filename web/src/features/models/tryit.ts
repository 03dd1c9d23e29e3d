/**
 * "Try it": one streamed chat completion through the gateway's `/v1/chat/completions`, read event by event, with the
 * time to the first token, the tokens (the server's usage when it reports it, else one per content event, as vLLM
 * streams one token per event) and tokens/s over the decode.
 */
import { getToken } from '../../auth/token';
import { apiErrorFrom } from '../../api/errors';

/** Splits SSE text into `data:` payloads; returns them and the unfinished rest. */
export function sseEvents(text: string): { events: string[]; rest: string } {
  const blocks = text.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  const events: string[] = [];
  for (const b of blocks) {
    const data = b
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) events.push(data);
  }
  return { events, rest };
}

export interface TryItFigures {
  ttftMs: number | null;
  e2eMs: number;
  tokens: number;
  /** From the server's usage (true) or counted from content events (false). */
  tokensFromUsage: boolean;
  /** Tokens after the first over the time after the first; null with fewer than two tokens. */
  decodeTokensPerS: number | null;
}

/** Figures from the request's start, the first content's and the end's times (ms) and the token counts. */
export function figures(o: { start: number; first: number | null; end: number; contentEvents: number; usageTokens: number | null }): TryItFigures {
  const tokens = o.usageTokens ?? o.contentEvents;
  const decodeMs = o.first !== null ? o.end - o.first : 0;
  return {
    ttftMs: o.first !== null ? o.first - o.start : null,
    e2eMs: o.end - o.start,
    tokens,
    tokensFromUsage: o.usageTokens !== null,
    decodeTokensPerS: tokens > 1 && decodeMs > 0 ? ((tokens - 1) * 1000) / decodeMs : null,
  };
}

/** Sends one streamed chat request for `model`; `onText` gets the answer as it arrives. */
export async function tryChat(o: { model: string; prompt: string; maxTokens: number; onText: (t: string) => void; signal: AbortSignal }): Promise<TryItFigures> {
  const token = getToken();
  const start = performance.now();
  const res = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ model: o.model, messages: [{ role: 'user', content: o.prompt }], max_tokens: o.maxTokens, stream: true, stream_options: { include_usage: true } }),
    signal: o.signal,
  });
  if (!res.ok) throw apiErrorFrom(res.status, await res.json().catch(() => null));
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let first: number | null = null;
  let contentEvents = 0;
  let usageTokens: number | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const { events, rest } = sseEvents(buffer + decoder.decode(value, { stream: true }));
    buffer = rest;
    for (const e of events) {
      if (e === '[DONE]') continue;
      let chunk: any;
      try {
        chunk = JSON.parse(e);
      } catch {
        continue;
      }
      const text = chunk?.choices?.[0]?.delta?.content ?? chunk?.choices?.[0]?.text;
      if (typeof text === 'string' && text) {
        first ??= performance.now();
        contentEvents++;
        o.onText(text);
      }
      if (typeof chunk?.usage?.completion_tokens === 'number') usageTokens = chunk.usage.completion_tokens;
    }
  }
  return figures({ start, first, end: performance.now(), contentEvents, usageTokens });
}
