/**
 * The results service's interface (the runner posts through its HTTP client; the vLLM queue reads result pks).
 * Shapes follow SPEC 3.3 and reference-behaviour.md §3. In-process: `ctx.local.get('results').api`; across
 * processes: `ResultsClient` (client.ts); `resultsApi(ctx)` picks one.
 */
export interface ResultPost {
  /**
   * Missing, null or '': generated (a UUID), or the run id of an earlier post this one joins (the identical document
   * re-posted, or the raw/standardized other half of the run). Any printable text; the pk spells `/?#%\,` and spaces `_`.
   */
  run_id?: string | null;
  /** Any printable text (e.g. "Standard Evalchemy"), kept as given; the pk spells it safely (`Standard_Evalchemy`). */
  benchmark_name: string;
  /** Any JSON for raw inputs; `{meta, results, performance}` for standardized outputs (missing sections become {}). */
  data: Record<string, unknown>;
  /** ISO-8601, a real date and time; stored (and part of the pk) as UTC `YYYY-MM-DDTHH:MM:SS[.fff]Z`; defaults to now. */
  timestamp?: string | null;
  model_id: string;
  /** Defaults to model_id. */
  tokenizer_id?: string | null;
  /**
   * The producing tool; known tools (lm-eval, evalchemy, vllm-bench, guidellm, benchops-runner) get parsed, and so does
   * data of a known tool's shape under any other label (the evalchemy image says `curator`).
   */
  source: string;
}

export interface ResultSummary {
  pk: string;
  run_id: string;
  benchmark_name: string;
  model_id: string;
  tokenizer_id: string;
  source: string;
  timestamp: string;
}

/** What a POST answers: the earlier `{status, run_id, saved_as}` plus the summary. */
export interface SaveResult extends ResultSummary {
  status: 'success';
  /** The pk (the earlier service's name for it). */
  saved_as: string;
  /** False when the identical document was already stored (idempotent re-post). */
  created: boolean;
  /**
   * Where the run id came from: the post (`given`), new (`generated`), or an earlier post without a run id that this
   * one joins: the identical document (`identical_post`) or the other half of the same run (`linked_post`).
   */
  run_id_origin: 'given' | 'generated' | 'identical_post' | 'linked_post';
  /**
   * Raw inputs only: what happened to the standardized document under the same pk. `parser` null: neither the source
   * nor the data's shape is a known tool's. `selected_by`: whether the source or the shape chose the parser. `stored`
   * false with `error`: the data did not have the tool's shape (the raw input is kept); with `reason: "explicit"`: a
   * standardized document was posted explicitly for this pk and is kept.
   */
  standardized?: { stored: boolean; parser: string | null; selected_by?: 'source' | 'shape'; error?: string; reason?: string };
  /** What was not taken as sent, e.g. a `data` string that is not valid JSON (stored as text). */
  warnings?: string[];
  /**
   * A pod's part of a run split over an Indexed Job (source benchops-runner-part): parts received so far, and the pk
   * of the merged run once the last one is in.
   */
  part?: { run_id: string; index: number; count: number; received: number; merged_pk: string | null };
}

/** `GET /raw_input/{pk}`, `GET /standardized_output/{pk}`. */
export interface ResultDocument {
  result_name: string;
  data: unknown;
}

export interface ResultFilter {
  model_id?: string;
  benchmark_name?: string;
  source?: string;
  run_id?: string;
  /** ISO-8601 bounds on the result timestamp (inclusive). */
  since?: string;
  until?: string;
  /**
   * Standardized results only: `performance` (latency or throughput figures) or `quality` (declared scores); a result
   * holding both matches either.
   */
  kind?: 'performance' | 'quality';
  limit?: number;
  offset?: number;
  /** Direction; newest first by default. */
  order?: 'asc' | 'desc';
  /** The column pages are ordered by (then by timestamp and pk, in the same direction); timestamp by default. */
  sort?: 'timestamp' | 'benchmark_name' | 'model_id' | 'source';
}

export interface ResultPage {
  items: ResultSummary[];
  total: number;
}

export interface MetricDelta {
  /** value − baseline. */
  absolute: number | null;
  /** (value − baseline) / |baseline|; null when the baseline is 0 or either side is missing. */
  relative: number | null;
  /** Whether the change goes the good way (lower latency, higher score/throughput); null when unchanged or unknown. */
  improved: boolean | null;
}

export interface ComparedMetric {
  /** Path inside the standardized data, e.g. `results.gsm8k.exact_match`, `performance.latency.ttft_ms.p99`. */
  path: string;
  group: 'score' | 'latency' | 'throughput' | 'summary';
  task: string;
  metric: string;
  /** A score's lm-eval filter (`none` when unfiltered); '' for performance figures. */
  filter: string;
  /** Latency stat; for scores '' (the score), `stderr`, `std` or `detail` (a count or time: no better direction). */
  stat: string;
  higher_is_better: boolean;
  /** pk → value (null: absent from that result). */
  values: Record<string, number | null>;
  /** pk → delta against the baseline (every pk but the baseline). */
  deltas: Record<string, MetricDelta>;
}

export interface CompareResult {
  /** The first pk given. */
  baseline: string;
  results: ResultSummary[];
  metrics: ComparedMetric[];
}

export interface HistoryQuery {
  /** A path (`results.gsm8k.exact_match`, `performance.latency.ttft_ms.p99`) or a metric name (`exact_match`, `ttft_ms`). */
  metric: string;
  task?: string;
  /** A score's filter (`none`, `strict-match`…). */
  filter?: string;
  /** Latency stat when `metric` is a name (`p99`, `mean`…); for scores `stderr`, `std`, `detail` (omitted: the scores). */
  stat?: string;
  benchmark_name?: string;
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
}

export interface HistoryPoint {
  pk: string;
  run_id: string;
  benchmark_name: string;
  timestamp: string;
  path: string;
  task: string;
  filter: string;
  stat: string;
  value: number;
}

/** Posting (what the runner needs; its own client implements just this). Both answer a SaveResult (a superset). */
export interface ResultsApi {
  /** Idempotent for identical data; AppError 409 when the pk exists with different data. */
  postRaw(body: ResultPost): Promise<ResultSummary>;
  postStandardized(body: ResultPost): Promise<ResultSummary>;
}

/** Reading, comparing and history (the in-process service and ResultsClient implement it with ResultsApi). */
export interface ResultsQueryApi {
  /** AppError 404 when absent. */
  getRaw(pk: string): Promise<ResultDocument>;
  getStandardized(pk: string): Promise<ResultDocument>;
  listRaw(filter?: ResultFilter): Promise<ResultPage>;
  listStandardized(filter?: ResultFilter): Promise<ResultPage>;
  /** Metric deltas of each pk against the first; AppError 404 naming a missing pk. */
  compare(pks: string[]): Promise<CompareResult>;
  /** One model's values of a metric over time, oldest first. */
  history(modelId: string, query: HistoryQuery): Promise<{ items: HistoryPoint[]; total: number }>;
}

/** Everything the results service offers (what `resultsApi(ctx)` returns). */
export interface FullResultsApi extends ResultsApi, ResultsQueryApi {
  postRaw(body: ResultPost): Promise<SaveResult>;
  postStandardized(body: ResultPost): Promise<SaveResult>;
}
