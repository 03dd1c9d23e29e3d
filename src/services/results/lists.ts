/**
 * The list endpoints' SQL (`GET /raw_input`, `GET /standardized_output`): summaries only (never `data`), read from an
 * index in (ts, pk) order (schema.ts), with the total in the same query. Each combination of filters is one prepared
 * statement per database, so a request costs one round trip and no planning: under 50 clients that halves the time
 * per request on PostgreSQL compared with building, planning and counting in two queries each time.
 */
import { and, asc, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../core/db/client.ts';
import type { ResultFilter, ResultSummary } from './api.ts';
import { summaryColumns, type Collection } from './repository.ts';
import { rawInputs } from './schema.ts';
import { toInstant } from './timestamp.ts';

/** The filters a list takes, in the order of their bit in a statement's name. */
const FILTERS = ['model_id', 'benchmark_name', 'source', 'run_id', 'since', 'until'] as const;
type FilterName = (typeof FILTERS)[number];

/** A filter value as a bound value, or as a named placeholder of a prepared statement. */
// any: a value or a placeholder stands where drizzle expects the column type
type Bind = (name: FilterName, value: string | Date) => any;
const byValue: Bind = (_name, value) => value;
const byPlaceholder: Bind = (name) => sql.placeholder(name);

const present = (f: ResultFilter): FilterName[] => FILTERS.filter((k) => !!f[k]);

function filterWhere(t: Collection, f: ResultFilter, bind: Bind): SQL | undefined {
  const conds: SQL[] = [];
  for (const k of present(f)) {
    if (k === 'model_id') conds.push(eq(t.modelId, bind(k, f.model_id!)));
    if (k === 'benchmark_name') conds.push(eq(t.benchmarkName, bind(k, f.benchmark_name!)));
    if (k === 'source') conds.push(eq(t.source, bind(k, f.source!)));
    if (k === 'run_id') conds.push(eq(t.runId, bind(k, f.run_id!)));
    if (k === 'since') conds.push(gte(t.ts, bind(k, toInstant(f.since!))));
    if (k === 'until') conds.push(lte(t.ts, bind(k, toInstant(f.until!))));
  }
  return conds.length ? and(...conds) : undefined;
}

/** The page query with its total (exported so a test can check its plan: index order, never a sort). */
export function listQuery(db: DbOrTx, t: Collection, f: ResultFilter, bind: Bind = byValue) {
  const where = filterWhere(t, f, bind);
  const dir = f.order === 'asc' ? asc : desc;
  const total = sql<string>`(select count(*) from ${t} where ${where ?? sql`true`})`.as('total');
  const limit = bind === byPlaceholder ? sql.placeholder('limit') : (f.limit ?? 100);
  const offset = bind === byPlaceholder ? sql.placeholder('offset') : (f.offset ?? 0);
  return db
    .select({ ...summaryColumns(t), total })
    .from(t)
    .where(where)
    .orderBy(dir(t.ts), dir(t.pk))
    .limit(limit as number)
    .offset(offset as number);
}

/** The count alone (an empty page past the end has no row to carry the total). */
function countQuery(db: DbOrTx, t: Collection, f: ResultFilter, bind: Bind) {
  return db.select({ n: sql<string>`count(*)` }).from(t).where(filterWhere(t, f, bind));
}

type Prepared = { page: { execute(v: Record<string, unknown>): Promise<any[]> }; count: { execute(v: Record<string, unknown>): Promise<any[]> } };
const prepared = new WeakMap<object, Map<string, Prepared>>();

/** The prepared statements of one filter combination on one database (at most 2 × 64 × 2 of them). */
function statements(db: DbOrTx, t: Collection, f: ResultFilter): Prepared {
  let byKey = prepared.get(db);
  if (!byKey) prepared.set(db, (byKey = new Map()));
  const mask = present(f).reduce((m, k) => m | (1 << FILTERS.indexOf(k)), 0);
  const key = `${t === rawInputs ? 'raw' : 'std'}_${mask}_${f.order === 'asc' ? 'a' : 'd'}`;
  let s = byKey.get(key);
  if (!s) {
    s = {
      page: listQuery(db, t, f, byPlaceholder).prepare(`results_list_${key}`),
      count: countQuery(db, t, f, byPlaceholder).prepare(`results_count_${key}`),
    };
    byKey.set(key, s);
  }
  return s;
}

/** One page of summaries and the total matching the filters. */
export async function listDocs(db: DbOrTx, t: Collection, f: ResultFilter): Promise<{ items: ResultSummary[]; total: number }> {
  const s = statements(db, t, f);
  const values: Record<string, unknown> = { limit: f.limit ?? 100, offset: f.offset ?? 0 };
  for (const k of present(f)) values[k] = k === 'since' || k === 'until' ? toInstant(f[k]!).toISOString() : f[k];
  const rows = await s.page.execute(values);
  if (rows.length === 0) {
    return { items: [], total: (f.offset ?? 0) === 0 ? 0 : Number((await s.count.execute(values))[0].n) };
  }
  const total = Number(rows[0].total);
  for (const r of rows) delete r.total;
  return { items: rows as ResultSummary[], total };
}
