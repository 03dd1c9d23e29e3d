/**
 * Results tables: the two collections of the earlier service (raw and standardized documents sharing one pk), the
 * numbers flattened out of standardized documents (compare, history), and the latest value per Prometheus series
 * (so a scrape reads one small table, and every replica exports the same values).
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, doublePrecision, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Columns shared by both collections. */
const documentColumns = () => ({
  /** `{timestamp}-{benchmark_name}-{run_id}`: the normalised timestamp, names in their pk spelling (validation.ts). */
  pk: text('pk').primaryKey(),
  runId: text('run_id').notNull(),
  benchmarkName: text('benchmark_name').notNull(),
  modelId: text('model_id').notNull(),
  tokenizerId: text('tokenizer_id').notNull(),
  source: text('source').notNull(),
  /** The timestamp in ISO-8601 UTC (part of the pk; earlier rows: as posted) and its instant (filters and ordering). */
  timestamp: text('timestamp').notNull(),
  ts: ts('ts').notNull(),
  data: jsonb('data').notNull(),
  /** sha256 of the canonical JSON of {data, model_id, tokenizer_id, source}: idempotent re-post vs 409. */
  hash: text('hash').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  /** The post gave no run id (or no timestamp): a later post of the same run may join this pk (service.ts). */
  runIdGenerated: boolean('run_id_generated').notNull().default(false),
  timestampGenerated: boolean('timestamp_generated').notNull().default(false),
});

// Lists are ordered by (ts, pk), newest first by default: each filter's index ends with both, so a page is read in
// order, never sorted. Ascending indexes serve both directions (read backwards, they give `ts DESC, pk DESC` with
// PostgreSQL's default NULLS FIRST; a `DESC NULLS LAST` index matches neither direction of the lists' ORDER BY).
export const rawInputs = pgTable('results_raw', documentColumns(), (t) => [
  index('results_raw_ts_pk_idx').on(t.ts, t.pk),
  index('results_raw_model_ts_pk_asc_idx').on(t.modelId, t.ts, t.pk),
  index('results_raw_bench_ts_pk_asc_idx').on(t.benchmarkName, t.ts, t.pk),
  index('results_raw_source_ts_pk_asc_idx').on(t.source, t.ts, t.pk),
  index('results_raw_run_idx').on(t.runId),
  index('results_raw_hash_idx').on(t.hash),
]);

export const standardizedOutputs = pgTable(
  'results_standardized',
  {
    ...documentColumns(),
    /** Produced by a parser from the raw input (an explicit POST /standardized_output replaces it). */
    derived: boolean('derived').notNull().default(false),
    /** Parser that produced a derived document (lm-eval, vllm-bench, guidellm, benchops-runner). */
    parser: text('parser'),
  },
  (t) => [
    index('results_std_ts_pk_idx').on(t.ts, t.pk),
    index('results_std_model_ts_pk_asc_idx').on(t.modelId, t.ts, t.pk),
    index('results_std_bench_ts_pk_asc_idx').on(t.benchmarkName, t.ts, t.pk),
    index('results_std_source_ts_pk_asc_idx').on(t.source, t.ts, t.pk),
    index('results_std_run_idx').on(t.runId),
    index('results_std_hash_idx').on(t.hash),
  ],
);

/**
 * One row per number in a standardized document: `results.<task>.<metric>` (group score),
 * `performance.latency.<metric>.<stat>`, `performance.throughput.<metric>`, `performance.summary.<metric>`.
 */
export const metricValues = pgTable(
  'results_metric_values',
  {
    pk: text('pk')
      .notNull()
      .references(() => standardizedOutputs.pk, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    group: text('group').notNull(),
    task: text('task').notNull(),
    metric: text('metric').notNull(),
    /** lm-eval's filter of a score (`none` when unfiltered); '' for performance figures. */
    filter: text('filter').notNull().default(''),
    /** Latency stat; for scores '' (the score), `stderr`, `std` or `detail`. */
    stat: text('stat').notNull(),
    value: doublePrecision('value').notNull(),
    modelId: text('model_id').notNull(),
    benchmarkName: text('benchmark_name').notNull(),
    ts: ts('ts').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.pk, t.path] }),
    index('results_mv_history_idx').on(t.modelId, t.path, t.ts),
    index('results_mv_metric_idx').on(t.modelId, t.metric, t.ts),
  ],
);

/** Latest value per exported series; upserted on ingest only when newer (ts, then pk), so replicas agree. */
export const latestSeries = pgTable(
  'results_latest_series',
  {
    /** Prometheus metric name, e.g. vllm_eval_exact_match or benchops_perf_ttft_ms. */
    family: text('family').notNull(),
    group: text('group').notNull(),
    modelId: text('model_id').notNull(),
    /** The task (scores) or the benchmark name (performance). */
    task: text('task').notNull(),
    /** A score's filter (`none` when unfiltered); '' for performance series. */
    filter: text('filter').notNull().default(''),
    stat: text('stat').notNull(),
    value: doublePrecision('value').notNull(),
    ts: ts('ts').notNull(),
    pk: text('pk').notNull(),
    updatedAt: ts('updated_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.family, t.modelId, t.task, t.filter, t.stat] }), index('results_latest_pk_idx').on(t.pk)],
);

/**
 * A version per collection (`raw`, `standardized`) that statement triggers on the collection's table bump with every
 * change (migration 0003): a cached list page is served while its version is current, on any replica.
 */
export const listVersions = pgTable('results_list_versions', {
  name: text('name').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});
