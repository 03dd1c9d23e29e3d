/**
 * The list endpoints' SQL (`GET /raw_input`, `GET /standardized_output`): summaries only (never `data`), read from an
 * index in (ts, pk) order (schema.ts), with the total in the same query. Each filter combination is one statement
 * text, run on the driver directly: on PostgreSQL as a named prepared statement (parsed and planned once per
 * connection), and without drizzle's per-field row mapping, which a profile under 50 clients showed as an eighth of a
 * list request's CPU. A request is one round trip.
 */
import { getTableName } from 'drizzle-orm';
import { rawInputs } from "./schema.js";
import { toInstant } from "./timestamp.js";
/** The filters a list takes, in the order of their bit in a statement's name. */
const FILTERS = ['model_id', 'benchmark_name', 'source', 'run_id', 'since', 'until'];
const present = (f) => FILTERS.filter((k) => !!f[k]);
/** The SQL of one list request (exported so a test can check its plan: index order, never a sort). */
export function listSql(t, f) {
    const table = `"${getTableName(t)}"`;
    const col = (c) => `"${c.name}"`;
    const conds = [];
    const values = [];
    const add = (c, op, v) => {
        values.push(v);
        conds.push(`${col(c)} ${op} $${values.length}`);
    };
    let mask = 0;
    for (const k of present(f)) {
        mask |= 1 << FILTERS.indexOf(k);
        if (k === 'model_id')
            add(t.modelId, '=', f.model_id);
        if (k === 'benchmark_name')
            add(t.benchmarkName, '=', f.benchmark_name);
        if (k === 'source')
            add(t.source, '=', f.source);
        if (k === 'run_id')
            add(t.runId, '=', f.run_id);
        if (k === 'since')
            add(t.ts, '>=', toInstant(f.since).toISOString());
        if (k === 'until')
            add(t.ts, '<=', toInstant(f.until).toISOString());
    }
    const where = conds.length ? conds.join(' and ') : 'true';
    const dir = f.order === 'asc' ? 'asc' : 'desc';
    const cols = [t.pk, t.runId, t.benchmarkName, t.modelId, t.tokenizerId, t.source, t.timestamp].map(col).join(', ');
    const countValues = [...values];
    values.push(f.limit ?? 100, f.offset ?? 0);
    return {
        name: `results_list_${t === rawInputs ? 'raw' : 'std'}_${mask}_${dir}`,
        text: `select ${cols}, (select count(*) from ${table} where ${where}) as "total" from ${table} where ${where} ` +
            `order by ${col(t.ts)} ${dir}, ${col(t.pk)} ${dir} limit $${values.length - 1} offset $${values.length}`,
        values,
        countText: `select count(*) as "n" from ${table} where ${where}`,
        countValues,
    };
}
async function run(db, name, text, values) {
    const driver = db.$client;
    // node-postgres: a named statement is prepared on each connection once; PGlite runs in-process, nothing to save.
    const r = typeof driver.totalCount === 'number' ? await driver.query({ name, text, values }) : await driver.query(text, values);
    return r.rows;
}
/** One page of summaries and the total matching the filters. */
export async function listDocs(db, t, f) {
    const s = listSql(t, f);
    const rows = await run(db, s.name, s.text, s.values);
    if (rows.length === 0) {
        const total = (f.offset ?? 0) === 0 ? 0 : Number((await run(db, `${s.name}_count`, s.countText, s.countValues))[0].n);
        return { items: [], total };
    }
    const total = Number(rows[0].total);
    const items = rows.map((r) => ({
        pk: r.pk,
        run_id: r.run_id,
        benchmark_name: r.benchmark_name,
        model_id: r.model_id,
        tokenizer_id: r.tokenizer_id,
        source: r.source,
        timestamp: r.timestamp,
    }));
    return { items, total };
}
//# sourceMappingURL=lists.js.map