/**
 * The deployer's interface for other services (the vLLM queue runs benchmark jobs through it; the eval service hands
 * jobs to it). Embedded: in-process; cluster: HTTP client of the same shape.
 */

/** Seed 000 request body of `POST /run` (additionalProperties: false). */
export interface RunRequest {
  project_id: string;
  benchmark_type: string;
  name: string;
  job_file_id: string;
  config_file_id?: string;
  vllm_model_endpoint?: string;
}

/** One job variable the deployer rewrote to point at the run's endpoint, model or results service. */
export interface EnvRewriteReport {
  container: string;
  name: string;
  family: 'endpoint' | 'model' | 'results';
  from: string;
  to: string;
}

/** What a run does differently from its job file, or cannot do (kept on the record, returned by `/run`). */
export interface RunNotes {
  env_rewrites?: EnvRewriteReport[];
  /** Where the chosen config file is mounted. */
  config_mounts?: string[];
  warnings?: string[];
}

/** Seed 000 200 response (plus the run's notes: additions clients may ignore). */
export interface RunResponse extends RunNotes {
  deployment_id: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'deleted';
  resource_type: 'job' | 'deployment' | 'service' | 'configmap' | 'secret' | 'unknown';
  resource_name: string;
  namespace: string;
  yaml_content: string;
  message: string;
  created_at: string;
}

/** Extra inputs internal callers may give (not part of the public POST /run body). */
export interface RunOptions {
  /** Placeholder values substituted inside the parsed job YAML (never by string replacement), e.g. VLLM_SERVICE_NAME. */
  substitutions?: Record<string, string>;
  /** Extra env set in every container (replacing same-named entries). */
  env?: Record<string, string>;
  /** Labels added to every object (e.g. the queue item id). */
  labels?: Record<string, string>;
  /**
   * The model the endpoint serves: the job's declared model variables (SERVED_MODEL_NAME, MODEL_NAME, OPENAI_MODEL…)
   * get it, in place of the names its file was written with.
   */
  model?: { served_model_name?: string; model_name?: string };
}

export interface DeploymentRecord {
  deployment_id: string;
  status: RunResponse['status'];
  resource_type: RunResponse['resource_type'];
  resource_name: string;
  namespace: string;
  created_at: string;
  updated_at: string;
  message?: string;
  warnings?: string[];
}

export interface DeployerApi {
  run(req: RunRequest, opts?: RunOptions): Promise<RunResponse>;
  getDeployment(deploymentId: string): Promise<DeploymentRecord>;
  /** Deletes the job and everything it owns (used by cancel). */
  deleteJob(name: string, namespace?: string): Promise<void>;
}
