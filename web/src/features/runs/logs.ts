/**
 * Live logs: the deployer's `follow=true` stream read chunk by chunk (fetch + a streaming decoder, so a line shows as
 * soon as the job prints it), cut into lines with a bounded buffer, and searched.
 */
import { getToken } from '../../auth/token';
import { apiErrorFrom } from '../../api/errors';

/** Lines kept in the page: older ones are dropped (said in the view) so a chatty job cannot exhaust the tab. */
export const MAX_LINES = 5_000;

/** Complete lines plus the unfinished last one; `dropped` counts lines pushed out by MAX_LINES. */
export class LineBuffer {
  lines: string[] = [];
  partial = '';
  dropped = 0;

  constructor(private readonly max = MAX_LINES) {}

  /** Adds streamed text; returns whether anything visible changed. */
  push(text: string): boolean {
    if (!text) return false;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.lines.push(p.endsWith('\r') ? p.slice(0, -1) : p);
    if (this.lines.length > this.max) {
      const extra = this.lines.length - this.max;
      this.lines.splice(0, extra);
      this.dropped += extra;
    }
    return true;
  }

  /** Every line, the unfinished one included. */
  all(): string[] {
    return this.partial ? [...this.lines, this.partial] : this.lines;
  }
}

/** Indexes of the lines containing `term` (case-insensitive); all lines for an empty term. */
export function matchingLines(lines: string[], term: string): number[] {
  const t = term.trim().toLowerCase();
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) if (!t || lines[i].toLowerCase().includes(t)) out.push(i);
  return out;
}

/** A line split around the occurrences of `term`, for highlighting. */
export function splitByTerm(line: string, term: string): { text: string; hit: boolean }[] {
  const t = term.trim().toLowerCase();
  if (!t) return [{ text: line, hit: false }];
  const out: { text: string; hit: boolean }[] = [];
  const low = line.toLowerCase();
  let at = 0;
  for (let i = low.indexOf(t); i >= 0; i = low.indexOf(t, at)) {
    if (i > at) out.push({ text: line.slice(at, i), hit: false });
    out.push({ text: line.slice(i, i + t.length), hit: true });
    at = i + t.length;
  }
  if (at < line.length) out.push({ text: line.slice(at), hit: false });
  return out;
}

/** Whether a scrolled box is (near enough) at its bottom: auto-scroll follows only then. */
export function atBottom(el: { scrollTop: number; scrollHeight: number; clientHeight: number }, slack = 24): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= slack;
}

/**
 * Streams a job's logs (`GET /api/deployer/jobs/{job}/logs?follow=true`) into `onText` until the job ends, the server
 * closes, or `signal` aborts. Throws an ApiError for an error answer.
 */
export async function followLogs(o: { job: string; namespace?: string; tailLines: number; onText: (t: string) => void; signal: AbortSignal }): Promise<void> {
  const q = new URLSearchParams({ follow: 'true', tail_lines: String(o.tailLines) });
  if (o.namespace) q.set('namespace', o.namespace);
  const token = getToken();
  const res = await fetch(`/api/deployer/jobs/${encodeURIComponent(o.job)}/logs?${q}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: o.signal,
  });
  if (!res.ok) throw apiErrorFrom(res.status, await res.json().catch(() => null));
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    o.onText(decoder.decode(value, { stream: true }));
  }
  o.onText(decoder.decode());
}
