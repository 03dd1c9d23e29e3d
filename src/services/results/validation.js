/**
 * The post envelope's schema (HTTP and in-process calls share it) and the pk.
 *
 * Names are whatever the tools send (evaluation images post `benchmark_name: "Standard Evalchemy"` and `run_id: null`):
 * any printable text is accepted and kept as given; the pk, a URL path segment, gets a safe spelling of it. Timestamps
 * are checked as real dates and normalised to UTC (timestamp.ts). `data` may nest MAX_DATA_DEPTH levels.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from "../../core/errors.js";
import { parseJsonSafe } from "../../core/parse.js";
import { redactSecrets, TooDeepError } from "./redact.js";
import { MAX_DATA_DEPTH, tooDeepAt } from "./standard.js";
import { isTimestamp, parseTimestamp, toInstant } from "./timestamp.js";
export { isTimestamp, toInstant };
/** Control characters, line/paragraph separators and unpaired surrogates: not printable, never part of a name. */
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;
const PRINTABLE_MSG = 'must be printable text (no control characters, NUL or unpaired surrogates)';
/** Printable, not blank (or, with `empty`, exactly '' meaning "not given"), at most `max` characters. */
const printable = (max, opts = {}) => z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
    if (UNPRINTABLE.test(s))
        ctx.addIssue({ code: 'custom', message: PRINTABLE_MSG });
    else if (s.trim().length === 0 && !(opts.empty && s === ''))
        ctx.addIssue({ code: 'custom', message: 'must not be empty or blank' });
});
/**
 * Characters a pk segment may not hold: the pk is used verbatim as one URL path segment, and `GET /compare?pks=a,b`
 * separates pks with commas.
 */
const PK_UNSAFE = /[/?#%\\,\s]+/g;
/** A name's spelling inside the pk: runs of `/ ? # % \ ,` and whitespace become `_` (`Standard Evalchemy` → `Standard_Evalchemy`). */
export const pkSegment = (name) => name.replace(PK_UNSAFE, '_');
const timestampText = (opts = {}) => z
    .string()
    .max(64)
    .superRefine((s, ctx) => {
    if (opts.empty && s === '')
        return;
    const p = parseTimestamp(s);
    if ('error' in p)
        ctx.addIssue({ code: 'custom', message: p.error });
});
/** An ISO-8601 timestamp that is a real date and time (query bounds, posts). */
export const timestampSchema = timestampText();
export const resultPostSchema = z.object({
    /** Empty or null: generated (a UUID), unless the same document was posted before (it is then reused). */
    run_id: printable(200, { empty: true }).nullish(),
    benchmark_name: printable(200),
    data: z.unknown().refine((v) => v !== undefined && v !== null, 'Field required'),
    /** Empty or null: the time of the post. */
    timestamp: timestampText({ empty: true }).nullish(),
    model_id: printable(500),
    tokenizer_id: printable(500, { empty: true }).nullish(),
    source: printable(100),
});
/** `{timestamp}-{benchmark_name}-{run_id}` (SPEC 3.3), names in their pk spelling. */
export const makePk = (timestamp, benchmarkName, runId) => `${timestamp}-${pkSegment(benchmarkName)}-${pkSegment(runId)}`;
const invalid = (issues) => new AppError(422, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '), 'validation', issues);
/** Validates a post (throws a 422 naming each bad field) and fills the defaults: run id, timestamp, tokenizer. */
export function parseEnvelope(body) {
    const r = resultPostSchema.safeParse(body);
    if (!r.success) {
        throw invalid(r.error.issues.map((i) => {
            const missing = (i.code === 'invalid_type' && /received undefined/.test(i.message)) || i.message === 'Field required';
            return { loc: ['body', ...i.path], msg: missing ? 'Field required' : i.message, type: missing ? 'missing' : i.code };
        }));
    }
    const b = r.data;
    let data = b.data;
    const warnings = [];
    // The earlier service stored a JSON string's parsed value (clients posted json.dumps(...)); other text is kept.
    if (typeof data === 'string' && /^\s*[[{]/.test(data)) {
        try {
            data = parseJsonSafe(data);
        }
        catch (e) {
            warnings.push(`data is a string that looks like JSON but is not (${e.message}); stored as text`);
        }
    }
    const deep = tooDeepAt(data, MAX_DATA_DEPTH);
    if (deep) {
        const at = deep.slice(0, 8).join('.') + (deep.length > 8 ? '.…' : '');
        throw invalid([{ loc: ['body', 'data'], msg: `data is nested deeper than ${MAX_DATA_DEPTH} levels (at data.${at})`, type: 'too_deep' }]);
    }
    try {
        data = redactSecrets(data);
    }
    catch (e) {
        if (e instanceof TooDeepError)
            throw invalid([{ loc: ['body', 'data'], msg: `data is ${e.message}`, type: 'too_deep' }]);
        throw e;
    }
    const runIdGenerated = !b.run_id;
    const runId = b.run_id || randomUUID();
    const timestampGenerated = !b.timestamp;
    const parsed = parseTimestamp(b.timestamp || new Date().toISOString());
    if ('error' in parsed)
        throw invalid([{ loc: ['body', 'timestamp'], msg: parsed.error, type: 'custom' }]);
    return {
        pk: makePk(parsed.normal, b.benchmark_name, runId),
        run_id: runId,
        benchmark_name: b.benchmark_name,
        timestamp: parsed.normal,
        ts: parsed.instant,
        model_id: b.model_id,
        tokenizer_id: b.tokenizer_id || b.model_id,
        source: b.source,
        data,
        run_id_generated: runIdGenerated,
        timestamp_generated: timestampGenerated,
        warnings,
    };
}
/** The envelope under another run id and timestamp (an earlier post's, which this post joins). */
export function withRun(env, runId, timestamp, ts) {
    return { ...env, run_id: runId, timestamp, ts, pk: makePk(timestamp, env.benchmark_name, runId) };
}
//# sourceMappingURL=validation.js.map