import { describe, expect, it } from 'vitest';
import { figures, sseEvents } from './tryit';

describe('try it', () => {
  it('splits server-sent events and keeps an unfinished one for the next chunk', () => {
    const { events, rest } = sseEvents('data: {"a":1}\n\ndata: [DONE]\n\ndata: {"b"');
    expect(events).toEqual(['{"a":1}', '[DONE]']);
    expect(rest).toBe('data: {"b"');
    expect(sseEvents('event: x\r\ndata: y\r\n\r\n').events).toEqual(['y']);
  });
  it('measures TTFT, tokens and decode speed, preferring the usage count', () => {
    const f = figures({ start: 1000, first: 1250, end: 2250, contentEvents: 9, usageTokens: 11 });
    expect(f).toEqual({ ttftMs: 250, e2eMs: 1250, tokens: 11, tokensFromUsage: true, decodeTokensPerS: 10 });
    expect(figures({ start: 0, first: 100, end: 600, contentEvents: 6, usageTokens: null })).toMatchObject({ tokens: 6, tokensFromUsage: false, decodeTokensPerS: 10 });
    expect(figures({ start: 0, first: null, end: 50, contentEvents: 0, usageTokens: 0 })).toMatchObject({ ttftMs: null, decodeTokensPerS: null });
  });
});
