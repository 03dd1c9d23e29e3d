/**
 * Request validation with zod, reported in FastAPI's 422 shape and capped. fastify-type-provider-zod's compiler turns
 * every zod issue into an Ajv-style error and zod's message for a strict object's unknown keys lists all of them: a
 * 10 MB body with 850,000 unknown keys became a 77 MB answer, seconds of blocked event loop and a 9 MB log line. Here
 * each issue is mapped once, at most MAX_REPORTED_ISSUES are listed, and a last entry counts the rest.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { safeParse, type $ZodErrorMap, type $ZodIssue, type $ZodType } from 'zod/v4/core';
import { AppError, type ValidationIssue } from './errors.ts';

/** Validation problems listed in one 422; the rest are counted in a final entry. */
export const MAX_REPORTED_ISSUES = 20;
/** Longest key name or message kept in a reported issue (a key can be megabytes long). */
const MAX_TEXT = 200;

const LOCATION: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

const clip = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);
const clipLoc = (loc: (string | number)[]) => loc.map((s) => (typeof s === 'string' ? clip(s) : s));

// zod's own message for unknown keys joins every key name; the key names go into `loc` instead, one issue each.
const shortMessages: $ZodErrorMap = (iss) => (iss.code === 'unrecognized_keys' ? 'Unrecognized keys' : undefined);

/** The first `max` issues as given plus, when there are more, one entry saying how many were left out. */
export function capIssues(issues: ValidationIssue[], total = issues.length, max = MAX_REPORTED_ISSUES): ValidationIssue[] {
  // already capped (a validation error passing through the one error handler): unchanged
  if (total === issues.length && issues.length <= max + 1 && issues.at(-1)?.type === 'too_many_errors') return issues;
  const out = issues.slice(0, max).map((i) => ({ loc: clipLoc(i.loc), msg: clip(String(i.msg)), type: i.type }));
  const more = total - out.length;
  if (more > 0) {
    out.push({
      loc: out[0]?.loc.slice(0, 1) ?? [],
      msg: `${more} more validation ${more === 1 ? 'error' : 'errors'} not listed (only the first ${max} are)`,
      type: 'too_many_errors',
    });
  }
  return out;
}

/** zod issues (at most `max` of them expanded) in FastAPI's shape, with the total count of problems. */
export function zodIssuesToFastApi(ctx: string, issues: readonly $ZodIssue[], max = MAX_REPORTED_ISSUES): { issues: ValidationIssue[]; total: number } {
  const out: ValidationIssue[] = [];
  let total = 0;
  for (const iss of issues) {
    const loc = [ctx, ...iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (iss.code === 'unrecognized_keys') {
      total += iss.keys.length;
      for (const k of iss.keys) {
        if (out.length >= max) break;
        out.push({ loc: [...loc, k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
      }
      continue;
    }
    total++;
    if (out.length >= max) continue;
    if (iss.code === 'invalid_type' && /received undefined/.test(iss.message)) out.push({ loc, msg: 'Field required', type: 'missing' });
    else out.push({ loc, msg: iss.message, type: iss.code });
  }
  return { issues: out, total };
}

/** The 422 for a failed validation: capped issues and a short summary message. */
export function validationError(ctx: string, issues: readonly $ZodIssue[]): AppError {
  const r = zodIssuesToFastApi(ctx, issues);
  const capped = capIssues(r.issues, r.total);
  const summary = capped
    .slice(0, 3)
    .map((i) => `${i.loc.join('.')}: ${i.msg}`)
    .join('; ');
  return new AppError(422, r.total > 3 ? `${summary}; … (${r.total} problems)` : summary, 'validation', capped);
}

/** Fastify validator compiler for zod schemas: the parsed value on success, a capped 422 AppError otherwise. */
export const cappedValidatorCompiler: FastifySchemaCompiler<$ZodType> = ({ schema, httpPart }) => {
  const ctx = LOCATION[httpPart ?? 'body'] ?? 'body';
  return (data: unknown) => {
    const r = safeParse(schema, data, { error: shortMessages });
    if (r.success) return { value: r.data };
    return { error: validationError(ctx, r.error.issues) };
  };
};
