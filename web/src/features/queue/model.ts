/**
 * The queue's shapes (mirroring src/services/vllm/queue.ts queueView and the scheduler routes, which declare no
 * response schema yet) and the logic the queue pages show: a step progress bar from current_step / completed_steps /
 * total_steps, status colours, and the enqueue body built from the form.
 */

export const PRIORITIES = ['urgent', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export type QueueStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface QueueJob {
  index: number;
  name: string;
  namespace: string | null;
  run_id: string;
  deployer_deployment_id: string | null;
  resource_name: string | null;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'deleted';
  result_pks: string[];
  error?: string | null;
}

export interface PlacementDecision {
  action: string;
  reason: string;
  node?: string | null;
  blocking?: unknown[];
  [k: string]: unknown;
}

export interface QueueItem {
  queue_request_id: string;
  priority: Priority;
  status: QueueStatus;
  vllm_config: Record<string, unknown> | null;
  benchmark_configs: Array<{ project_id?: string | null; job_file_id?: string | null; config_file_id?: string | null; benchmark_type?: string | null; name?: string | null; namespace?: string }>;
  scheduling_config: { immediate: boolean; scheduled_time: string | null; max_wait_time: number } | null;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  deployment_id: string | null;
  jobs: QueueJob[];
  result_pks: string[] | null;
  current_step: string;
  total_steps: number;
  completed_steps: number;
  skip_vllm_creation: boolean;
  cluster_id: string;
  allow_eviction: boolean;
  keep_deployment: boolean;
  placement: PlacementDecision | null;
  error_message: string | null;
  attempts: number;
  scheduled_for: string | null;
  warnings?: string[];
}

export interface QueueCounts {
  total_requests: number;
  pending_requests: number;
  processing_requests: number;
  completed_requests: number;
  failed_requests: number;
  cancelled_requests: number;
}

export interface SchedulerStatus {
  running: boolean;
  paused: boolean;
  poll_interval: number;
  active_requests: number;
  pending_requests: number;
  instance_id: string;
  instance_active_requests: string[];
  last_poll_time: string | null;
  last_error: string | null;
  total_processed: number;
}

export function isFinalStatus(s: string | undefined): boolean {
  return s === 'completed' || s === 'failed' || s === 'cancelled';
}

export function queueStatusColor(s: string | undefined): string {
  if (s === 'completed') return 'teal';
  if (s === 'failed') return 'red';
  if (s === 'processing') return 'blue';
  if (s === 'cancelled') return 'gray';
  return 'yellow';
}

export function priorityColor(p: string): string {
  return p === 'urgent' ? 'red' : p === 'high' ? 'orange' : p === 'medium' ? 'blue' : 'gray';
}

export interface StepProgress {
  /** 0–100. */
  percent: number;
  /** "2 / 3 steps". */
  label: string;
  /** What the item is doing now, in words. */
  step: string;
  color: string;
  /** Animated while a step runs. */
  active: boolean;
}

const STEP_WORDS: Record<string, string> = {
  pending: 'waiting to be claimed',
  scheduled: 'scheduled for later',
  waiting_for_resources: 'waiting for GPUs',
  vllm_deployment: 'deploying vLLM',
  benchmark_jobs: 'starting the benchmark jobs',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** A step's name in words: `benchmark_job_2` → "benchmark job 2 of 3". */
export function stepWords(step: string, item: Pick<QueueItem, 'benchmark_configs'>): string {
  const m = /^benchmark_job_(\d+)$/.exec(step);
  if (m) return `benchmark job ${m[1]} of ${item.benchmark_configs.length}`;
  return STEP_WORDS[step] ?? step.replace(/_/g, ' ');
}

/** The step progress bar of an item: completed_steps of total_steps (a completed item is full even with 0 steps). */
export function stepProgress(item: Pick<QueueItem, 'status' | 'current_step' | 'completed_steps' | 'total_steps' | 'benchmark_configs'>): StepProgress {
  const total = Math.max(0, item.total_steps);
  const done = Math.min(Math.max(0, item.completed_steps), total);
  const percent = item.status === 'completed' ? 100 : total === 0 ? 0 : Math.round((done / total) * 100);
  return {
    percent,
    label: `${item.status === 'completed' ? total : done} / ${total} steps`,
    step: stepWords(item.current_step, item),
    color: queueStatusColor(item.status),
    active: item.status === 'processing',
  };
}

export interface JobChoice {
  project_id: string;
  job_file_id: string;
  config_file_id: string | null;
  benchmark_type: string;
  name: string;
}

export interface EnqueueForm {
  model_name: string;
  served_model_name: string;
  gpu_resource_type: string;
  gpu_resource_count: number;
  tensor_parallel_size: number;
  max_model_len: number | null;
  max_num_seqs: number | null;
  cluster_id: string;
  priority: Priority;
  /** Local datetime (YYYY-MM-DDTHH:mm) or '' for immediately. */
  scheduled_time: string;
  max_wait_time: number;
  keep_deployment: boolean;
  allow_eviction: boolean;
  jobs: JobChoice[];
}

/** The POST /queue/deployment body for the form (a scheduled time is sent as UTC, since the server reads zone-less times as UTC). */
export function enqueueBody(f: EnqueueForm): Record<string, unknown> {
  const at = f.scheduled_time.trim() ? new Date(f.scheduled_time) : null;
  return {
    vllm_config: {
      model_name: f.model_name.trim(),
      ...(f.served_model_name.trim() ? { served_model_name: f.served_model_name.trim() } : {}),
      gpu_resource_type: f.gpu_resource_type,
      gpu_resource_count: f.gpu_resource_type === 'cpu' ? 0 : f.gpu_resource_count,
      tensor_parallel_size: f.tensor_parallel_size,
      ...(f.max_model_len ? { max_model_len: f.max_model_len } : {}),
      ...(f.max_num_seqs ? { max_num_seqs: f.max_num_seqs } : {}),
    },
    benchmark_configs: f.jobs.map((j) => ({
      project_id: j.project_id,
      job_file_id: j.job_file_id,
      ...(j.config_file_id ? { config_file_id: j.config_file_id } : {}),
      benchmark_type: j.benchmark_type,
      name: j.name,
    })),
    cluster_id: f.cluster_id,
    priority: f.priority,
    scheduling_config: {
      immediate: !at,
      scheduled_time: at && Number.isFinite(at.getTime()) ? at.toISOString() : null,
      max_wait_time: f.max_wait_time,
    },
    keep_deployment: f.keep_deployment,
    allow_eviction: f.allow_eviction,
  };
}
