/** What every parser shares: its context (the post's envelope), its error type and small numeric helpers. */
import { isPlainObject } from "../standard.js";
/** A raw document that does not have the tool's shape; `path` is relative to `data`. */
export class ParseError extends Error {
    path;
    constructor(path, message) {
        super(message);
        this.path = path;
        this.name = 'ParseError';
    }
}
export const finite = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Copies the defined, finite numbers of `src` (renamed by `map` when given). */
export function pickNumbers(src, keys) {
    const out = {};
    const entries = Array.isArray(keys) ? keys.map((k) => [k, k]) : Object.entries(keys);
    for (const [from, to] of entries) {
        const n = finite(src[from]);
        if (n !== undefined)
            out[to] = n;
    }
    return out;
}
export function requireObject(v, path, what) {
    if (!isPlainObject(v))
        throw new ParseError(path, `${what} must be an object`);
    return v;
}
/** Common `meta` block: envelope fields plus the tool's own. */
export function baseMeta(ctx, tool, extra) {
    const meta = {
        benchmark_name: ctx.benchmark_name,
        source: ctx.source,
        tool,
        run_id: ctx.run_id,
        timestamp: ctx.timestamp,
        model: { id: ctx.model_id, tokenizer_id: ctx.tokenizer_id },
    };
    for (const [k, v] of Object.entries(extra))
        if (v !== undefined && v !== null)
            meta[k] = v;
    return meta;
}
/** Drops undefined/null values (the UI drops nulls anyway; the stored document stays small). */
export function compact(o) {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}
//# sourceMappingURL=common.js.map