/**
 * The dataset registry: uploads of JSONL (`prompt`/`question`/`input`… with `output_len`/`max_tokens`/`output_tokens`
 * or a reference answer) or ShareGPT JSON, validated (the bad line or entry named, never quoted), normalised to JSONL
 * rows `{prompt, output_len}`, with token-length statistics from the bundled tokenizer. The simulator reads the stored
 * lengths; a benchmark job mounts the normalised rows for the load generator.
 */
import { randomUUID } from 'node:crypto';
import { asc, count, eq, inArray, sql } from 'drizzle-orm';
import { conflict, notFound, unprocessable } from "../../core/errors.js";
import { iso } from "../../core/http.js";
import { parseJsonSafe, SafeParseError } from "../../core/parse.js";
import { percentileSorted } from "../../loadgen/metrics.js";
import { BUNDLED_TOKENIZER_ID, bundledTokenizer } from "../../loadgen/tokenizer.js";
import { datasets } from "./schema.js";
/** Largest upload (characters of `content`); the HTTP body limit applies on top. */
export const DATASET_MAX_BYTES = 8 * 1024 * 1024;
/** Most rows one dataset may hold (token counting is linear in the text: the work per upload stays bounded). */
export const DATASET_MAX_ROWS = 100_000;
/** Output length the load generator requests for a row that states none (its dataset default). */
export const DEFAULT_DATASET_OUTPUT_LEN = 256;
const LOC = ['body', 'content'];
const PROMPT_KEYS = ['prompt', 'question', 'input', 'instruction', 'text'];
const OUTPUT_LEN_KEYS = ['output_len', 'output_tokens', 'max_tokens'];
const REFERENCE_KEYS = ['answer', 'output', 'completion', 'response'];
const isObj = (v) => !!v && typeof v === 'object' && !Array.isArray(v);
function bad(msg, type = 'dataset_invalid') {
    throw unprocessable(LOC, msg, type);
}
/** One JSONL line's row; `where` names it in errors ("line 17"). */
function jsonlRow(obj, where) {
    if (!isObj(obj))
        bad(`${where}: must be a JSON object`, 'dataset_line');
    const prompt = PROMPT_KEYS.map((k) => obj[k]).find((v) => typeof v === 'string');
    if (prompt === undefined)
        bad(`${where}: no string field ${PROMPT_KEYS.join('/')}`, 'dataset_line');
    if (!prompt.trim())
        bad(`${where}: the prompt is empty`, 'dataset_line');
    const key = OUTPUT_LEN_KEYS.find((k) => obj[k] !== undefined && obj[k] !== null);
    let outputLen = null;
    if (key) {
        const v = obj[key];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1_000_000)
            bad(`${where}: ${key} must be a positive integer`, 'dataset_line');
        outputLen = v;
    }
    const reference = REFERENCE_KEYS.map((k) => obj[k]).find((v) => typeof v === 'string');
    return { prompt, output_len: outputLen, reference };
}
/**
 * Parses and validates an upload. JSONL rows without an output length take the token count of their reference answer
 * when they have one; ShareGPT rows take their first answer's. Throws a 422 naming the line (JSONL) or entry
 * (ShareGPT) and what is wrong with it, never its text.
 */
export function parseDataset(content, format) {
    if (Buffer.byteLength(content, 'utf8') > DATASET_MAX_BYTES)
        bad(`the dataset is larger than ${DATASET_MAX_BYTES} bytes`, 'too_large');
    const tok = bundledTokenizer();
    const rows = [];
    const input = [];
    const output = [];
    const warnings = [];
    let dropped = 0;
    const push = (r) => {
        if (rows.length >= DATASET_MAX_ROWS)
            bad(`more than ${DATASET_MAX_ROWS} rows`, 'too_many_rows');
        rows.push(r);
        input.push(tok.count(r.prompt));
        output.push(r.output_len);
    };
    if (format === 'jsonl') {
        const lines = content.split('\n');
        lines.forEach((line, i) => {
            if (!line.trim())
                return;
            let obj;
            try {
                obj = parseJsonSafe(line);
            }
            catch (e) {
                const col = e instanceof SafeParseError && e.column ? ` (column ${e.column})` : '';
                bad(`line ${i + 1}: not valid JSON${col}`, 'dataset_line');
            }
            const r = jsonlRow(obj, `line ${i + 1}`);
            push({ prompt: r.prompt, output_len: r.output_len ?? (r.reference !== undefined ? Math.max(1, tok.count(r.reference)) : null) });
        });
    }
    else {
        let data;
        try {
            data = parseJsonSafe(content);
        }
        catch (e) {
            bad(`ShareGPT data is not valid JSON: ${e instanceof SafeParseError ? e.message : 'invalid JSON'}`, 'json_invalid');
        }
        if (!Array.isArray(data))
            bad('ShareGPT data must be a JSON array of {conversations: [...]}', 'dataset_invalid');
        data.forEach((conv, i) => {
            const turns = isObj(conv) ? conv.conversations : undefined;
            if (!Array.isArray(turns))
                bad(`entry [${i}]: needs a conversations list`, 'dataset_entry');
            const [q, a] = turns;
            if (!isObj(q) || typeof q.value !== 'string' || !isObj(a) || typeof a.value !== 'string') {
                bad(`entry [${i}]: the first two turns need string values (a prompt and its answer)`, 'dataset_entry');
            }
            const promptLen = tok.count(q.value);
            const outLen = tok.count(a.value);
            // vLLM's ShareGPT filter, applied here so the simulator and the load generator see the same rows
            if (promptLen < 4 || outLen < 4 || promptLen > 1024 || promptLen + outLen > 2048) {
                dropped++;
                return;
            }
            push({ prompt: q.value, output_len: outLen });
        });
        if (dropped)
            warnings.push(`${dropped} ShareGPT entr${dropped === 1 ? 'y was' : 'ies were'} dropped by vLLM's length filter (prompt or answer under 4 tokens, prompt over 1024, both over 2048)`);
    }
    if (!rows.length)
        bad(dropped ? 'no row is left after the ShareGPT length filter' : 'the dataset has no rows', 'dataset_empty');
    return { rows, input, output, dropped, warnings };
}
/** min/mean/percentiles/max of token lengths. */
export function lengthStats(values) {
    const s = [...values].sort((a, b) => a - b);
    const r = (x) => Math.round(x * 100) / 100;
    return {
        min: s[0],
        mean: r(s.reduce((a, b) => a + b, 0) / s.length),
        p50: r(percentileSorted(s, 50)),
        p90: r(percentileSorted(s, 90)),
        p95: r(percentileSorted(s, 95)),
        p99: r(percentileSorted(s, 99)),
        max: s[s.length - 1],
    };
}
export function datasetStats(p) {
    const outs = p.output.filter((v) => v !== null);
    return {
        rows: p.rows.length,
        input_tokens: lengthStats(p.input),
        output_tokens: outs.length ? lengthStats(outs) : null,
        rows_with_output_len: outs.length,
        dropped: p.dropped,
        tokenizer: { id: BUNDLED_TOKENIZER_ID, source: 'bundled' },
    };
}
/** The API view (no content). */
export function datasetView(d) {
    return {
        id: d.id,
        dataset_id: d.id,
        name: d.name,
        description: d.description,
        format: d.format,
        size_bytes: d.sizeBytes,
        rows: d.rows,
        stats: d.stats,
        tokenizer: d.tokenizer,
        created_at: iso(d.createdAt),
    };
}
const LIST_COLUMNS = {
    id: datasets.id,
    name: datasets.name,
    description: datasets.description,
    format: datasets.format,
    sizeBytes: datasets.sizeBytes,
    rows: datasets.rows,
    stats: datasets.stats,
    tokenizer: datasets.tokenizer,
    createdAt: datasets.createdAt,
};
/** Dataset storage and lookups. */
export class DatasetRegistry {
    db;
    constructor(db) {
        this.db = db;
    }
    async create(body) {
        const format = body.format ?? guessFormat(body.content);
        const parsed = parseDataset(body.content, format);
        const [dup] = await this.db.select({ id: datasets.id }).from(datasets).where(eq(datasets.name, body.name));
        if (dup)
            throw conflict(`A dataset named ${body.name} already exists (${dup.id})`);
        const content = parsed.rows.map((r) => JSON.stringify(r.output_len === null ? { prompt: r.prompt } : r)).join('\n') + '\n';
        const [row] = await this.db
            .insert(datasets)
            .values({
            id: randomUUID(),
            name: body.name,
            description: body.description ?? '',
            format,
            content,
            sizeBytes: Buffer.byteLength(body.content, 'utf8'),
            rows: parsed.rows.length,
            lengths: { input: parsed.input, output: parsed.output },
            stats: datasetStats(parsed),
            tokenizer: BUNDLED_TOKENIZER_ID,
        })
            .returning(LIST_COLUMNS);
        return { ...datasetView(row), warnings: parsed.warnings };
    }
    async list(o) {
        const where = o.name ? sql `${datasets.name} ILIKE ${'%' + o.name.replace(/[%_\\]/g, (c) => `\\${c}`) + '%'}` : undefined;
        const rows = await this.db.select(LIST_COLUMNS).from(datasets).where(where).orderBy(asc(datasets.createdAt), asc(datasets.id)).limit(o.limit).offset(o.offset);
        const [{ n }] = await this.db.select({ n: count() }).from(datasets).where(where);
        return { items: rows.map(datasetView), total: Number(n) };
    }
    async get(id) {
        const [row] = await this.db.select(LIST_COLUMNS).from(datasets).where(eq(datasets.id, id));
        if (!row)
            throw notFound(`Dataset ${id} not found`);
        return datasetView(row);
    }
    /** The ids among `ids` that do not exist. */
    async missing(ids) {
        if (!ids.length)
            return [];
        const found = await this.db.select({ id: datasets.id }).from(datasets).where(inArray(datasets.id, [...ids]));
        const have = new Set(found.map((r) => r.id));
        return ids.filter((id) => !have.has(id));
    }
    /** Rows and lengths of datasets, in the order given (what a run uses). */
    async load(ids) {
        if (!ids.length)
            return [];
        const rows = await this.db
            .select({ id: datasets.id, name: datasets.name, content: datasets.content, lengths: datasets.lengths })
            .from(datasets)
            .where(inArray(datasets.id, [...ids]));
        return ids
            .map((id) => rows.find((r) => r.id === id))
            .filter((r) => !!r)
            .map((r) => ({ id: r.id, name: r.name, content: r.content, ...r.lengths }));
    }
    async remove(id, inUse) {
        await this.get(id);
        const user = await inUse(id);
        if (user)
            throw conflict(`Dataset ${id} is used by ${user}`);
        await this.db.delete(datasets).where(eq(datasets.id, id));
    }
    async count() {
        const [{ n }] = await this.db.select({ n: count() }).from(datasets);
        return Number(n);
    }
}
/** A JSON array is ShareGPT; anything else is read as JSONL. */
export function guessFormat(content) {
    return content.trimStart().startsWith('[') ? 'sharegpt' : 'jsonl';
}
//# sourceMappingURL=datasets.js.map