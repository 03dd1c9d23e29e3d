/** The post envelope's schema (HTTP and in-process calls share it) and the pk. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, type ValidationIssue } from '../../core/errors.ts';
import { redactSecrets } from './standard.ts';

/** Characters a pk segment may not hold: the pk is used verbatim as one URL path segment. */
const PK_SEGMENT = /^[^/?#%\s\\]+$/;
const PK_SEGMENT_MSG = 'must not be empty or contain /, ?, #, %, \\ or whitespace (it is part of the pk, a URL path segment)';

/** ISO-8601 date-time (date alone allowed) that Date can parse. */
export function isTimestamp(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(toInstant(s).getTime());
}

/** The instant of an accepted timestamp; one without a zone is UTC (never the server's local time). */
export function toInstant(s: string): Date {
  return new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : /T|\s/.test(s) ? `${s.replace(' ', 'T')}Z` : `${s}T00:00:00Z`);
}

export const timestampSchema = z.string().max(64).refine(isTimestamp, 'must be an ISO-8601 timestamp, e.g. 2025-08-13T10:00:00Z');

export const resultPostSchema = z.object({
  run_id: z.string().max(200).regex(PK_SEGMENT, PK_SEGMENT_MSG).nullish(),
  benchmark_name: z.string().min(1).max(200).regex(PK_SEGMENT, PK_SEGMENT_MSG),
  data: z.unknown().refine((v) => v !== undefined && v !== null, 'Field required'),
  timestamp: timestampSchema.nullish(),
  model_id: z.string().min(1).max(500),
  tokenizer_id: z.string().max(500).nullish(),
  source: z.string().min(1).max(100),
});

export interface Envelope {
  pk: string;
  run_id: string;
  benchmark_name: string;
  timestamp: string;
  ts: Date;
  model_id: string;
  tokenizer_id: string;
  source: string;
  data: unknown;
}

/** `{timestamp}-{benchmark_name}-{run_id}` (SPEC 3.3). */
export const makePk = (timestamp: string, benchmarkName: string, runId: string) => `${timestamp}-${benchmarkName}-${runId}`;

/** Validates a post (throws a 422 naming each bad field) and fills the defaults: run id, timestamp, tokenizer. */
export function parseEnvelope(body: unknown): Envelope {
  const r = resultPostSchema.safeParse(body);
  if (!r.success) {
    const issues: ValidationIssue[] = r.error.issues.map((i) => {
      const missing = (i.code === 'invalid_type' && /received undefined/.test(i.message)) || i.message === 'Field required';
      return { loc: ['body', ...(i.path as (string | number)[])], msg: missing ? 'Field required' : i.message, type: missing ? 'missing' : i.code };
    });
    throw new AppError(422, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '), 'validation', issues);
  }
  const b = r.data;
  const runId = b.run_id || randomUUID();
  const timestamp = b.timestamp || new Date().toISOString();
  let data: unknown = b.data;
  // The earlier service stored a JSON string's parsed value (clients posted json.dumps(...)).
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      /* kept as a string */
    }
  }
  data = redactSecrets(data);
  return {
    pk: makePk(timestamp, b.benchmark_name, runId),
    run_id: runId,
    benchmark_name: b.benchmark_name,
    timestamp,
    ts: toInstant(timestamp),
    model_id: b.model_id,
    tokenizer_id: b.tokenizer_id || b.model_id,
    source: b.source,
    data,
  };
}
