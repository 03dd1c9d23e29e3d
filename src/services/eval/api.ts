/**
 * The evaluation service's interface for other services (the MLflow integration asks it to evaluate a new engine).
 * Embedded: the in-process module (`ctx.local.get('eval').api`); cluster: `EvalHttpClient` (client.ts), same shape.
 */

/** Where the job template lives: a job file of a BenchOps project (synced from Git), optionally with its config file. */
export interface TemplateRef {
  /** Project id (manager). */
  project_id: string;
  /** The job file's path in the project (e.g. `job/custom-task/eval-job.yaml`) or its file id. */
  job_file: string;
  /** A config file's path or id, mounted as the run's config (deployer `/run` semantics). */
  config_file?: string;
  /** Benchmark type of the run; default the job file's folder. */
  benchmark_type?: string;
}

export interface EvaluateRequest {
  model_name: string;
  inference_engine_url: string;
  /**
   * The template: `<project id>:<job file>[:<config file>]`, a job file of the default project
   * (BENCHOPS_EVAL_TEMPLATE), or a `TemplateRef`; default BENCHOPS_EVAL_TEMPLATE.
   */
  template?: string | TemplateRef;
  /** Extra placeholder values: key `k` fills `{k}` inside the template's string values (strings, numbers, booleans). */
  overrides?: Record<string, unknown>;
  /** Who asked (e.g. `{kind: "mlflow", model, version}`), kept on the evaluation as given (at most 4 KiB of JSON). */
  source?: Record<string, unknown>;
}

export type EvaluationStatus = 'waiting' | 'submitted' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface HistoryEntry {
  status: EvaluationStatus;
  at: string;
  detail?: string;
}

export interface EvaluationView {
  id: string;
  model_name: string;
  inference_engine_url: string;
  status: EvaluationStatus;
  template: TemplateRef;
  overrides: Record<string, unknown>;
  source: Record<string, unknown> | null;
  schedule_id: string | null;
  scheduled_for: string | null;
  history: HistoryEntry[];
  readiness: { attempts: number; last_probe: string | null; deadline: string; next_check_at: string | null };
  /** Failed jobs run again: how many times allowed (`retries` of the request) and used. */
  retries: { allowed: number; used: number };
  /** The deployer run (`/run` record) once submitted (the last one when a failed job was run again). */
  deployment: { deployment_id: string; resource_name: string | null; namespace: string | null } | null;
  result_pks: string[];
  warnings: string[];
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface EvalApi {
  /** Stores an evaluation (status `waiting`) and returns at once; the readiness wait and the job run in the background. */
  evaluate(req: EvaluateRequest): Promise<{ id: string; status: string; warnings?: string[] }>;
  /** Throws AppError 404 when unknown. */
  getEvaluation(id: string): Promise<EvaluationView>;
}
