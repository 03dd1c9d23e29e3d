/**
 * Sends the fuzzer's requests byte for byte (node:http: the path keeps its raw percent-encoding, the body its invalid
 * UTF-8) and judges each answer: never a 5xx, a 4xx in the documented error shape, refused inputs refused, error
 * bodies bounded. Tallies status classes per service and groups the failures for the report.
 */
import http from 'node:http';
import type { FuzzCase } from './audit-cases.ts';

export interface Outcome {
  /** HTTP status, or `timeout` / `error` when no answer came. */
  status: number | 'timeout' | 'error';
  bytes: number;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One request to `base` (no redirects, no retries); answers within `timeoutMs` or counts as a timeout. */
export function send(base: string, c: FuzzCase, timeoutMs = 30_000): Promise<Outcome> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: c.method,
        path: c.url,
        agent,
        headers: { ...c.headers, ...(c.body ? { 'content-length': String(c.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (d: Buffer) => {
          bytes += d.length;
          if (bytes <= 1 << 20) chunks.push(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => resolve({ status: 'error', bytes, text: '' }));
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ status: 'timeout', bytes: 0, text: '' });
    });
    // a server that answers 413 early may close while the body is still being written; its answer still counts
    req.on('error', (e: any) => resolve({ status: 'error', bytes: 0, text: String(e?.code ?? e?.message ?? e) }));
    if (c.body?.length) req.end(c.body);
    else req.end();
  });
}

/** Largest error body the audit accepts: the errors of a request are capped (issue 10, item 8). */
export const MAX_ERROR_BYTES = 256 * 1024;

/** Why an answer breaks the contract, or undefined. `/v1/*` may also answer in OpenAI's `{error: {message}}` shape. */
export function problemOf(c: FuzzCase, o: Outcome): string | undefined {
  if (typeof o.status !== 'number') return o.status;
  if (o.status >= 500) return '5xx';
  if (o.status < 400) return c.refuse ? 'accepted (must be refused)' : undefined;
  if (o.bytes > MAX_ERROR_BYTES) return `error body of ${o.bytes} bytes`;
  let j: any;
  try {
    j = JSON.parse(o.text);
  } catch {
    return 'error body is not JSON';
  }
  if (typeof j?.detail === 'string') return undefined;
  if (c.url.startsWith('/v1/') && typeof j?.error?.message === 'string') return undefined;
  const issue = (i: any) => Array.isArray(i?.loc) && typeof i.msg === 'string' && typeof i.type === 'string';
  if (o.status === 422 && Array.isArray(j?.detail) && j.detail.length && j.detail.every(issue)) return undefined;
  return 'error body not in the documented shape';
}

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'error';

export function statusClass(s: Outcome['status']): StatusClass {
  return typeof s === 'number' ? (`${Math.floor(s / 100)}xx` as StatusClass) : s;
}

/** Counts by service and status class, and the failures grouped by route, kind, status and problem. */
export class Tally {
  readonly counts: Record<string, Partial<Record<StatusClass, number>>> = {};
  private readonly failures = new Map<string, { n: number; example: string }>();

  add(service: string, route: string, c: FuzzCase, o: Outcome, problem: string | undefined): void {
    const byClass = (this.counts[service] ??= {});
    const cls = statusClass(o.status);
    byClass[cls] = (byClass[cls] ?? 0) + 1;
    if (!problem) return;
    const key = `${service} ${route} [${c.kind}] → ${o.status}: ${problem}`;
    const f = this.failures.get(key) ?? { n: 0, example: `${c.note}; ${o.text.slice(0, 160).replace(/\s+/g, ' ')}` };
    f.n++;
    this.failures.set(key, f);
  }

  /** Failures of one service (all when omitted), one line per group with its count and an example. */
  failuresOf(service?: string): string[] {
    return [...this.failures]
      .filter(([k]) => !service || k.startsWith(`${service} `))
      .map(([k, f]) => `${k} ×${f.n} (e.g. ${f.example})`);
  }

  /** A printable table of status classes per service. */
  table(): string {
    const cols: StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'error'];
    const rows = Object.entries(this.counts).map(([s, c]) => `${s.padEnd(9)}${cols.map((k) => String(c[k] ?? 0).padStart(8)).join('')}`);
    const total = Object.values(this.counts).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + (b ?? 0), 0), 0);
    return `${'service'.padEnd(9)}${cols.map((k) => k.padStart(8)).join('')}\n${rows.join('\n')}\n${total} requests`;
  }
}
