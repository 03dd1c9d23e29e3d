/**
 * The seed 003 wizard's shapes (mirroring src/services/workflows: the workflow view, its steps and runs, the dataset,
 * model and credential registries, the vLLM service's nodes; those routes declare no response schema yet) and the
 * logic the wizard shows: the stepper's steps, the step bodies in the seed's shape, the node choice, the run's stage.
 */

export type EvalWith = 'configuration' | 'dataset';

export interface StepView {
  step_number: number;
  name: string;
  status: 'complete' | 'incomplete' | 'not_required';
  required: boolean;
  updated_at: string | null;
  invalidated_by: number | null;
}

export interface WorkflowState {
  name: string;
  tags: unknown[];
  description: string;
  concurrent_requests: number;
  eval_with: EvalWith;
  num_prompts: number | null;
  goodput: Record<string, number> | null;
  max_input_tokens?: number | null;
  max_output_tokens?: number | null;
  dataset_ids?: string[] | null;
  cluster_id?: string | null;
  nodes?: NodeView[] | null;
  model_id?: string | null;
  credential_id?: string | null;
  user_confirmation?: boolean | null;
  run_as_simulation?: boolean | null;
}

export interface MetricComparison {
  metric: string;
  predicted: number | null;
  measured: number | null;
  error: number | null;
}

export interface Comparison {
  predicted_run_id: string;
  predicted_pk: string | null;
  measured_pk: string | null;
  metrics: MetricComparison[];
  mean_abs_error: number | null;
}

export interface QueueProgress {
  queue_request_id: string;
  status: string;
  current_step: string;
  completed_steps: number;
  total_steps: number;
  placement: { action: string; reason: string } | null;
  error_message: string | null;
}

export interface RunView {
  run_id: string;
  workflow_id: string;
  mode: 'simulation' | 'cluster';
  status: 'running' | 'cancelling' | 'completed' | 'failed' | 'cancelled' | string;
  stage: string;
  plan: {
    action: string;
    device: { hostname: string; name: string; type: string; count: number } | null;
    simulator: { model: string; hardware: string; tensor_parallel: number; device_count: number } | null;
    simulator_error: string | null;
    deployment: { cluster_id: string; node: string } | null;
    workload: { eval_with: EvalWith; concurrent_requests: number; num_prompts: number; input_len: number | null; output_len: number | null; benchmark_name: string };
    warnings: string[];
  };
  progress: { queue?: QueueProgress; node?: string | null; job?: { status: string; message?: string | null }; compute_ms?: number } | null;
  queue_request_id: string | null;
  result_pk: string | null;
  result_run_id: string | null;
  metrics: Record<string, number> | null;
  comparison: Comparison | null;
  error: { stage: string; message: string } | null;
  wall_time_s: number | null;
  created_at: string | null;
  finished_at: string | null;
}

export interface WorkflowView {
  workflow_id: string;
  name: string;
  tags: unknown[];
  description: string;
  status: string;
  eval_with: EvalWith;
  model_id: string | null;
  cluster_id: string | null;
  workflow_total_steps: number;
  created_at: string | null;
  updated_at: string | null;
  current_step: number;
  state: WorkflowState;
  steps: StepView[];
  trigger: { ready: boolean; missing: Array<{ step_number: number; name: string; invalidated_by: number | null }>; run_as_simulation: boolean; action: string | null; plan: RunView['plan'] | null; plan_error: string | null };
  latest_simulation: RunView | null;
  latest_run: RunView | null;
  comparison: Comparison | null;
  runs: Array<{ run_id: string; mode: string; status: string; stage: string; result_pk: string | null; created_at: string | null; finished_at: string | null }>;
  warnings?: string[];
  run?: RunView;
}

export type WorkflowSummary = Pick<WorkflowView, 'workflow_id' | 'name' | 'status' | 'eval_with' | 'model_id' | 'cluster_id' | 'created_at' | 'updated_at' | 'tags' | 'description'>;

export interface LengthStats {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface DatasetView {
  id: string;
  name: string;
  description: string | null;
  format: string;
  size_bytes: number;
  rows: number;
  stats: { rows: number; input_tokens: LengthStats; output_tokens: LengthStats | null; rows_with_output_len: number; dropped: number; tokenizer: { id: string; source: string } };
  created_at: string | null;
  warnings?: string[];
}

export interface ModelView {
  id: string;
  name: string;
  kind: 'served' | 'cloud';
  model_name: string;
  served_model_name: string | null;
  endpoint_url: string | null;
  api: string;
  credential_id: string | null;
  max_model_len: number | null;
  context_length: number | null;
  simulator: { known: boolean; model: string | null; reason?: string };
  warnings?: string[];
}

export interface CredentialView {
  id: string;
  name: string;
  provider: string | null;
  has_api_key: boolean;
}

export interface DeviceView {
  name: string;
  type: string;
  device_info?: Record<string, unknown>;
  device_config?: { peak_fp16_TFLOPS?: number; memory_bandwidth_GBps?: number; memory_gb?: number; [k: string]: unknown };
  available_count: number;
  total_count?: number;
  resource_name?: string | null;
  [k: string]: unknown;
}

export interface NodeView {
  hostname: string;
  status: string;
  devices: DeviceView[];
  [k: string]: unknown;
}

/** The stepper's eight steps (the API's step numbers 1–8), with what each is called in the wizard. */
export const WIZARD_STEPS: Array<{ n: number; label: string; description: string }> = [
  { n: 1, label: 'Basic info', description: 'name, load, method' },
  { n: 2, label: 'Workload', description: 'token limits or datasets' },
  { n: 3, label: 'Cluster', description: 'where it runs' },
  { n: 4, label: 'Nodes', description: 'devices to use' },
  { n: 5, label: 'Model', description: 'what is benchmarked' },
  { n: 6, label: 'Credential', description: 'cloud models only' },
  { n: 7, label: 'Confirm', description: 'check the details' },
  { n: 8, label: 'Execute', description: 'simulate or run' },
];

/** The step fields every seed body repeats (step 1's). */
export function commonFields(st: Pick<WorkflowState, 'name' | 'tags' | 'description' | 'concurrent_requests' | 'eval_with'>) {
  return { name: st.name, tags: st.tags, description: st.description, concurrent_requests: st.concurrent_requests, eval_with: st.eval_with };
}

/** A step's body in the seed's shape: the common fields, the envelope, and the step's own fields. */
export function stepBody(w: Pick<WorkflowView, 'workflow_id' | 'state'>, step: number, fields: Record<string, unknown>): Record<string, unknown> {
  return { ...commonFields(w.state), workflow_id: w.workflow_id, step_number: step, ...(step <= 4 ? { trigger_workflow: false } : {}), ...fields };
}

/** The wizard's first step to show: the first required step not complete (8 when all are). */
export function firstOpenStep(w: Pick<WorkflowView, 'steps'>): number {
  return w.steps.find((s) => s.required && s.status !== 'complete')?.step_number ?? 8;
}

/**
 * A node as step 4 sends it: its devices that have any available, each claiming `claim[name]` of them (default all
 * available). Devices with none available are left out (the API refuses a claim of 0).
 */
export function nodeChoice(n: NodeView, claim: Record<string, number> = {}): NodeView {
  const devices = n.devices
    .filter((d) => d.available_count > 0)
    .map((d) => ({ ...d, available_count: Math.min(d.available_count, Math.max(1, claim[d.name] ?? d.available_count)) }));
  return { ...n, devices };
}

/** Whether a node can be chosen at all (Ready, with a device available). */
export function selectable(n: NodeView): { ok: boolean; why: string | null } {
  if (n.status !== 'Ready') return { ok: false, why: `${n.status}, not Ready` };
  if (!n.devices.some((d) => d.available_count > 0)) return { ok: false, why: 'no device available' };
  return { ok: true, why: null };
}

/** The stages of a run on a cluster, in order, and where `stage` is among them (for a progress bar). */
export const RUN_STAGES = ['queued', 'deploying', 'benchmarking', 'collecting', 'tearing_down', 'completed'] as const;

export function stageProgress(stage: string, status: string): { index: number; percent: number; label: string } {
  const i = RUN_STAGES.indexOf(stage as (typeof RUN_STAGES)[number]);
  const index = i < 0 ? 0 : i;
  const percent = status === 'completed' ? 100 : Math.round((index / (RUN_STAGES.length - 1)) * 100);
  return { index, percent, label: stage.replace(/_/g, ' ') };
}

/** A metric's name in words: `p99_ttft_ms` → "TTFT p99 (ms)", `output_throughput` → "output throughput (tok/s)". */
export function metricLabel(metric: string): string {
  const m = /^(mean|median|p\d+)_(ttft|tpot|itl|e2el)_ms$/.exec(metric);
  if (m) return `${m[2].toUpperCase()} ${m[1]} (ms)`;
  const unit = metric.startsWith('request_') ? 'req/s' : metric.endsWith('throughput') ? 'tok/s' : '';
  return `${metric.replace(/_/g, ' ')}${unit ? ` (${unit})` : ''}`;
}
