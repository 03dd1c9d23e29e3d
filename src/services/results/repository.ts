/** SQL for the results tables; every function takes the Db or the transaction handle it runs in. */
import { and, asc, count, desc, eq, gt, gte, inArray, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../core/db/client.ts';
import type { ResultSummary } from './api.ts';
import { latestSeries, metricValues, rawInputs, standardizedOutputs } from './schema.ts';
import { familyOf, type MetricRow } from './standard.ts';
import { toInstant } from './timestamp.ts';
import type { Envelope } from './validation.ts';

export type Collection = typeof rawInputs | typeof standardizedOutputs;

export interface StoredDoc {
  pk: string;
  hash: string;
  benchmarkName: string;
  derived?: boolean;
}

/** An earlier document whose run a post without a run id joins. */
export interface RunRef {
  pk: string;
  runId: string;
  timestamp: string;
  ts: Date;
}

export const summaryColumns = (t: Collection) => ({
  pk: t.pk,
  run_id: t.runId,
  benchmark_name: t.benchmarkName,
  model_id: t.modelId,
  tokenizer_id: t.tokenizerId,
  source: t.source,
  timestamp: t.timestamp,
});

/** Inserts unless the pk exists; returns true when this call inserted it. */
export async function insertDoc(
  db: DbOrTx,
  t: Collection,
  env: Envelope,
  data: unknown,
  hash: string,
  extra: { derived?: boolean; parser?: string | null } = {},
): Promise<boolean> {
  const row: any = {
    pk: env.pk,
    runId: env.run_id,
    benchmarkName: env.benchmark_name,
    modelId: env.model_id,
    tokenizerId: env.tokenizer_id,
    source: env.source,
    timestamp: env.timestamp,
    ts: env.ts,
    data,
    hash,
    runIdGenerated: env.run_id_generated,
    timestampGenerated: env.timestamp_generated,
  };
  if (t === standardizedOutputs) Object.assign(row, { derived: extra.derived ?? false, parser: extra.parser ?? null });
  const r = await db.insert(t).values(row).onConflictDoNothing().returning({ pk: t.pk });
  return r.length === 1;
}

export async function findDoc(db: DbOrTx, t: Collection, pk: string, forUpdate = false): Promise<StoredDoc | undefined> {
  const cols: any = { pk: t.pk, hash: t.hash, benchmarkName: t.benchmarkName };
  if (t === standardizedOutputs) cols.derived = standardizedOutputs.derived;
  const q = db.select(cols).from(t).where(eq(t.pk, pk));
  const rows = (forUpdate ? await q.for('update') : await q) as StoredDoc[];
  return rows[0];
}

/** Serialises posts without a run id of one benchmark and model (their lookups and inserts), across replicas. */
export async function lockRun(db: DbOrTx, env: Envelope): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`benchops:results:${env.benchmark_name}\u0001${env.model_id}`}, 0))`);
}

/** A transaction-scoped lock on any key of the results service (e.g. the parts of one run). */
export async function lockKey(db: DbOrTx, key: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`benchops:results:${key}`}, 0))`);
}

/** The data of the documents stored under these run ids with this source. */
export async function dataOfRuns(db: DbOrTx, t: Collection, runIds: string[], source: string): Promise<unknown[]> {
  if (!runIds.length) return [];
  const rows = await db.select({ data: t.data }).from(t).where(and(inArray(t.runId, runIds), eq(t.source, source)));
  return rows.map((r) => r.data);
}

const runRef = (t: Collection) => ({ pk: t.pk, runId: t.runId, timestamp: t.timestamp, ts: t.ts });

/** The same timestamp when the post gave one; else an earlier post that gave none either, at most `windowS` ago. */
const sameTime = (t: Collection, env: Envelope, windowS: number): SQL =>
  env.timestamp_generated
    ? and(eq(t.timestampGenerated, true), gt(t.createdAt, sql`now() - make_interval(secs => ${windowS})`))!
    : and(eq(t.timestamp, env.timestamp), eq(t.timestampGenerated, false))!;

/** An identical document posted earlier without a run id (same data, names and time): re-posting it is a no-op. */
export async function findIdentical(db: DbOrTx, t: Collection, env: Envelope, hash: string): Promise<RunRef | undefined> {
  const time = env.timestamp_generated ? eq(t.timestampGenerated, true) : and(eq(t.timestamp, env.timestamp), eq(t.timestampGenerated, false));
  const rows = await db
    .select(runRef(t))
    .from(t)
    .where(and(eq(t.hash, hash), eq(t.benchmarkName, env.benchmark_name), eq(t.runIdGenerated, true), time))
    .orderBy(desc(t.createdAt))
    .limit(1);
  return rows[0];
}

/**
 * The other half of a post pair: images post the raw and the standardized document of one run separately, both
 * without a run id. The newest document of the other collection with the same benchmark, model and timestamp (or,
 * with no timestamp, posted in the last `windowS` seconds) whose pk has no counterpart yet (for a raw one: none, or
 * only a derived one) gives the run id, so both share one pk.
 */
export async function findCounterpart(db: DbOrTx, into: 'raw' | 'standardized', env: Envelope, windowS = 600): Promise<RunRef | undefined> {
  const t: Collection = into === 'raw' ? standardizedOutputs : rawInputs;
  const taken =
    into === 'raw'
      ? sql`not exists (select 1 from ${rawInputs} r where r.pk = ${t.pk})`
      : sql`not exists (select 1 from ${standardizedOutputs} s where s.pk = ${t.pk} and s.derived = false)`;
  const rows = await db
    .select(runRef(t))
    .from(t)
    .where(
      and(
        eq(t.benchmarkName, env.benchmark_name),
        eq(t.modelId, env.model_id),
        eq(t.runIdGenerated, true),
        sameTime(t, env, windowS),
        into === 'raw' ? eq(standardizedOutputs.derived, false) : undefined,
        taken,
      ),
    )
    .orderBy(desc(t.createdAt))
    .limit(1);
  return rows[0];
}

/** Replaces a derived standardized document (by an explicit one, or a re-parse) in place. */
export async function replaceStandardized(
  db: DbOrTx,
  env: Envelope,
  data: unknown,
  hash: string,
  extra: { derived: boolean; parser: string | null },
): Promise<void> {
  await db
    .update(standardizedOutputs)
    .set({
      modelId: env.model_id,
      tokenizerId: env.tokenizer_id,
      source: env.source,
      data,
      hash,
      derived: extra.derived,
      parser: extra.parser,
    })
    .where(eq(standardizedOutputs.pk, env.pk));
  await db.delete(metricValues).where(eq(metricValues.pk, env.pk));
  await db.delete(latestSeries).where(eq(latestSeries.pk, env.pk));
}

export async function markExplicit(db: DbOrTx, pk: string): Promise<void> {
  await db.update(standardizedOutputs).set({ derived: false }).where(eq(standardizedOutputs.pk, pk));
}

const CHUNK = 500;

/** Stores a standardized document's numbers and moves each exported series' latest value forward. */
export async function insertMetrics(db: DbOrTx, env: Envelope, rows: MetricRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db.insert(metricValues).values(
      rows.slice(i, i + CHUNK).map((r) => ({
        pk: env.pk,
        path: r.path,
        group: r.group,
        task: r.task,
        metric: r.metric,
        filter: r.filter,
        stat: r.stat,
        value: r.value,
        modelId: env.model_id,
        benchmarkName: env.benchmark_name,
        ts: env.ts,
      })),
    );
  }
  // One row per series (names that sanitize alike collapse); sorted so concurrent upserts lock in one order.
  const series = new Map<string, typeof latestSeries.$inferInsert>();
  for (const r of rows) {
    const family = familyOf(r);
    if (!family) continue;
    const key = `${family}\u0000${r.task}\u0000${r.filter}\u0000${r.stat}`;
    series.set(key, { family, group: r.group, modelId: env.model_id, task: r.task, filter: r.filter, stat: r.stat, value: r.value, ts: env.ts, pk: env.pk });
  }
  const values = [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  for (let i = 0; i < values.length; i += CHUNK) {
    await db
      .insert(latestSeries)
      .values(values.slice(i, i + CHUNK))
      .onConflictDoUpdate({
        target: [latestSeries.family, latestSeries.modelId, latestSeries.task, latestSeries.filter, latestSeries.stat],
        set: {
          value: sql`excluded.value`,
          ts: sql`excluded.ts`,
          pk: sql`excluded.pk`,
          group: sql`excluded."group"`,
          updatedAt: sql`now()`,
        },
        setWhere: sql`excluded.ts > ${latestSeries.ts} OR (excluded.ts = ${latestSeries.ts} AND excluded.pk >= ${latestSeries.pk})`,
      });
  }
}

export async function getDoc(db: DbOrTx, t: Collection, pk: string): Promise<{ pk: string; data: unknown } | undefined> {
  const rows = await db.select({ pk: t.pk, data: t.data }).from(t).where(eq(t.pk, pk));
  return rows[0];
}

export async function summariesOf(db: DbOrTx, pks: string[]): Promise<ResultSummary[]> {
  return db.select(summaryColumns(standardizedOutputs)).from(standardizedOutputs).where(inArray(standardizedOutputs.pk, pks));
}

export async function metricsOf(db: DbOrTx, pks: string[]) {
  return db
    .select({
      pk: metricValues.pk,
      path: metricValues.path,
      group: metricValues.group,
      task: metricValues.task,
      metric: metricValues.metric,
      filter: metricValues.filter,
      stat: metricValues.stat,
      value: metricValues.value,
    })
    .from(metricValues)
    .where(inArray(metricValues.pk, pks))
    .orderBy(asc(metricValues.pk), asc(metricValues.path));
}

export interface HistoryFilter {
  modelId: string;
  metric: string;
  task?: string;
  filter?: string;
  stat?: string;
  benchmarkName?: string;
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

export async function history(db: DbOrTx, f: HistoryFilter) {
  const conds: SQL[] = [eq(metricValues.modelId, f.modelId), or(eq(metricValues.path, f.metric), eq(metricValues.metric, f.metric))!];
  if (f.task) conds.push(eq(metricValues.task, f.task));
  if (f.filter !== undefined) conds.push(eq(metricValues.filter, f.filter));
  // A score's stderr, std and details only when asked for: a history of `acc` is the scores.
  if (f.stat !== undefined) conds.push(eq(metricValues.stat, f.stat));
  else conds.push(notInArray(metricValues.stat, ['stderr', 'std', 'detail']));
  if (f.benchmarkName) conds.push(eq(metricValues.benchmarkName, f.benchmarkName));
  if (f.since) conds.push(gte(metricValues.ts, toInstant(f.since)));
  if (f.until) conds.push(lte(metricValues.ts, toInstant(f.until)));
  const where = and(...conds);
  const items = await db
    .select({
      pk: metricValues.pk,
      run_id: standardizedOutputs.runId,
      benchmark_name: metricValues.benchmarkName,
      timestamp: standardizedOutputs.timestamp,
      path: metricValues.path,
      task: metricValues.task,
      filter: metricValues.filter,
      stat: metricValues.stat,
      value: metricValues.value,
    })
    .from(metricValues)
    .innerJoin(standardizedOutputs, eq(standardizedOutputs.pk, metricValues.pk))
    .where(where)
    .orderBy(asc(metricValues.ts), asc(metricValues.pk), asc(metricValues.path))
    .limit(f.limit)
    .offset(f.offset);
  const [{ n }] = await db.select({ n: count() }).from(metricValues).where(where);
  return { items, total: Number(n) };
}

/** Every exported series' latest value (read at scrape time), at most `limit` of them. */
export async function latestAll(db: DbOrTx, limit = 50_000) {
  return db
    .select({
      family: latestSeries.family,
      group: latestSeries.group,
      modelId: latestSeries.modelId,
      task: latestSeries.task,
      filter: latestSeries.filter,
      stat: latestSeries.stat,
      value: latestSeries.value,
    })
    .from(latestSeries)
    .orderBy(asc(latestSeries.family), asc(latestSeries.modelId), asc(latestSeries.task), asc(latestSeries.filter), asc(latestSeries.stat))
    .limit(limit);
}

export async function counts(db: DbOrTx): Promise<{ raw: number; standardized: number; derived: number }> {
  const [{ n: raw }] = await db.select({ n: count() }).from(rawInputs);
  const [{ n: std }] = await db.select({ n: count() }).from(standardizedOutputs);
  const [{ n: derived }] = await db.select({ n: count() }).from(standardizedOutputs).where(eq(standardizedOutputs.derived, true));
  return { raw: Number(raw), standardized: Number(std), derived: Number(derived) };
}
