/**
 * The list endpoints' SQL (`GET /raw_input`, `GET /standardized_output`): summaries only (never `data`), read from an
 * index in (ts, pk) order (schema.ts), with the total in the same query. Each filter combination is one statement
 * text, run on the driver directly: on PostgreSQL as a named prepared statement (parsed and planned once per
 * connection), and without drizzle's per-field row mapping, which a profile under 50 clients showed as an eighth of a
 * list request's CPU. Pages are cached by list version (ListCache): a repeated request costs a version lookup.
 */
import { getTableName } from 'drizzle-orm';
import type { Db } from '../../core/db/client.ts';
import { VersionedCache } from '../../core/list-cache.ts';
import type { ResultFilter, ResultPage, ResultSummary } from './api.ts';
import type { Collection } from './repository.ts';
import { rawInputs } from './schema.ts';
import { toInstant } from './timestamp.ts';

/** The filters a list takes, in the order of their bit in a statement's name. */
const FILTERS = ['model_id', 'benchmark_name', 'source', 'run_id', 'since', 'until', 'kind'] as const;

const present = (f: ResultFilter) => FILTERS.filter((k) => !!f[k]);

export interface ListStatement {
  /** Unique per text (a prepared statement's name). */
  name: string;
  text: string;
  values: unknown[];
  /** The count alone with the same filters (an empty page past the end has no row to carry the total). */
  countText: string;
  countValues: unknown[];
}

/** The SQL of one list request (exported so a test can check its plan: index order, never a sort). */
export function listSql(t: Collection, f: ResultFilter): ListStatement {
  const table = `"${getTableName(t)}"`;
  const col = (c: { name: string }) => `"${c.name}"`;
  const conds: string[] = [];
  const values: unknown[] = [];
  const add = (c: { name: string }, op: string, v: unknown) => {
    values.push(v);
    conds.push(`${col(c)} ${op} $${values.length}`);
  };
  let mask = 0;
  for (const k of present(f)) {
    mask |= 1 << FILTERS.indexOf(k);
    if (k === 'model_id') add(t.modelId, '=', f.model_id);
    if (k === 'benchmark_name') add(t.benchmarkName, '=', f.benchmark_name);
    if (k === 'source') add(t.source, '=', f.source);
    if (k === 'run_id') add(t.runId, '=', f.run_id);
    if (k === 'since') add(t.ts, '>=', toInstant(f.since!).toISOString());
    if (k === 'until') add(t.ts, '<=', toInstant(f.until!).toISOString());
    // what a result holds is in its metric rows (primary key (pk, path): one index probe per candidate row)
    if (k === 'kind' && t !== rawInputs) {
      const what = f.kind === 'quality' ? `m."group" = 'score' and m."stat" = ''` : `m."group" in ('latency', 'throughput')`;
      conds.push(`exists (select 1 from "results_metric_values" m where m."pk" = ${table}."pk" and ${what})`);
    }
  }
  const where = conds.length ? conds.join(' and ') : 'true';
  const dir = f.order === 'asc' ? 'asc' : 'desc';
  // another column first: its (column, ts, pk) index serves it when that column is not also filtered to one value
  const by = f.sort === 'benchmark_name' ? t.benchmarkName : f.sort === 'model_id' ? t.modelId : f.sort === 'source' ? t.source : undefined;
  const cols = [t.pk, t.runId, t.benchmarkName, t.modelId, t.tokenizerId, t.source, t.timestamp].map(col).join(', ');
  const countValues = [...values];
  values.push(f.limit ?? 100, f.offset ?? 0);
  return {
    name: `results_list_${t === rawInputs ? 'raw' : 'std'}_${mask}_${dir}${f.kind ? `_${f.kind}` : ''}${by ? `_by_${f.sort}` : ''}`,
    text:
      `select ${cols}, (select count(*) from ${table} where ${where}) as "total" from ${table} where ${where} ` +
      `order by ${by ? `${col(by)} ${dir}, ` : ''}${col(t.ts)} ${dir}, ${col(t.pk)} ${dir} limit $${values.length - 1} offset $${values.length}`,
    values,
    countText: `select count(*) as "n" from ${table} where ${where}`,
    countValues,
  };
}

/** The driver under drizzle: a node-postgres Pool or a PGlite instance (both answer `{rows}` of objects by column). */
type Driver = { query(q: unknown, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>; totalCount?: number };

async function run(db: Db, name: string, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
  const driver = (db as unknown as { $client: Driver }).$client;
  // node-postgres: a named statement is prepared on each connection once; PGlite runs in-process, nothing to save.
  const r = typeof driver.totalCount === 'number' ? await driver.query({ name, text, values }) : await driver.query(text, values);
  return r.rows;
}

/** A cached page: the summaries, their JSON text (made once, what the HTTP route sends) and the total. */
export interface CachedPage {
  items: ResultSummary[];
  total: number;
  json: string;
}

/**
 * Pages already read, each kept with the version it was read under. On PostgreSQL the version is the collection's
 * row in results_list_versions (triggers bump it with every change, migration 0003), read on every request: correct
 * with several replicas, and a request costs one primary-key lookup instead of the page, its count and its JSON. On a
 * database this process alone writes (PGlite: its folder is locked to one process), the service bumps a local
 * generation around its own writes instead, and a request costs nothing of the connection every service shares.
 * Bounded by entries (least recently used go first); a page read while a write ran is answered but not kept.
 */
export class ListCache {
  private generation = 0;
  private readonly cache: VersionedCache<CachedPage>;

  constructor(maxEntries = 512) {
    this.cache = new VersionedCache<CachedPage>({ maxEntries, maxBytes: 64 * 1024 * 1024, sizeOf: (p) => p.json.length * 2 });
  }

  /** Forgets every page (single-writer mode: called before and after each write). */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  /** The page for `key` under `version` (default: the local generation), loading and keeping it when absent or stale. */
  get(key: string, load: () => Promise<ResultPage>, version: number = this.generation): Promise<CachedPage> {
    const before = this.generation;
    return this.cache.get(
      key,
      version,
      async () => {
        const { items, total } = await load();
        for (const item of items) Object.freeze(item);
        return Object.freeze({ items: Object.freeze(items) as ResultSummary[], total, json: JSON.stringify(items) });
      },
      // A page read under a version and kept under it is safe even if newer rows slipped in: the next request reads the
      // newer version and misses. Under the local generation, a write during the read means the page may be old: not kept.
      () => this.generation === before,
    );
  }
}

/** The current list version of a collection (bumped by the triggers of migration 0003 on every change). */
export async function listVersion(db: Db, t: Collection): Promise<number> {
  const name = t === rawInputs ? 'raw' : 'standardized';
  const [row] = await run(db, 'results_list_version', 'select "version" from "results_list_versions" where "name" = $1', [name]);
  return Number(row?.version ?? -1);
}

/** The cache key of a list request (every field that changes its answer). */
export const listKey = (t: Collection, f: ResultFilter): string =>
  JSON.stringify([t === rawInputs ? 'raw' : 'std', ...FILTERS.map((k) => f[k] ?? null), f.order ?? 'desc', f.sort ?? 'timestamp', f.limit ?? 100, f.offset ?? 0]);

/** One page of summaries and the total matching the filters. */
export async function listDocs(db: Db, t: Collection, f: ResultFilter): Promise<{ items: ResultSummary[]; total: number }> {
  const s = listSql(t, f);
  const rows = await run(db, s.name, s.text, s.values);
  if (rows.length === 0) {
    const total = (f.offset ?? 0) === 0 ? 0 : Number((await run(db, `${s.name}_count`, s.countText, s.countValues))[0].n);
    return { items: [], total };
  }
  const total = Number(rows[0].total);
  const items = rows.map(
    (r): ResultSummary => ({
      pk: r.pk as string,
      run_id: r.run_id as string,
      benchmark_name: r.benchmark_name as string,
      model_id: r.model_id as string,
      tokenizer_id: r.tokenizer_id as string,
      source: r.source as string,
      timestamp: r.timestamp as string,
    }),
  );
  return { items, total };
}
