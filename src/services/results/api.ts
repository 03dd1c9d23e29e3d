/**
 * The results service's interface (the runner posts through its HTTP client; the vLLM queue reads result pks).
 * Shapes follow SPEC 3.3 and reference-behaviour.md §3.
 */
export interface ResultPost {
  run_id?: string;
  benchmark_name: string;
  data: Record<string, unknown>;
  /** ISO-8601; defaults to now. */
  timestamp?: string;
  model_id: string;
  tokenizer_id?: string;
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

export interface ResultsApi {
  /** Idempotent for identical data; AppError 409 when the pk exists with different data. */
  postRaw(body: ResultPost): Promise<ResultSummary>;
  postStandardized(body: ResultPost): Promise<ResultSummary>;
}
