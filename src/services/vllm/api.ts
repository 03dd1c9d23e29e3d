/**
 * The vLLM service's interface for other parts: the deployer's `/vllm/helm/deploy` and `/vllm/queue/*` forward to
 * the queue through it (in-process: `ctx.local.get('vllm').api`), and the gateway reads the running models.
 */
import type { Role } from '../../core/auth.ts';
import type { QueueRequestInput } from './models.ts';
import type { queueView } from './queue.ts';

export type QueueItemView = ReturnType<typeof queueView>;

export interface QueueCounts {
  total_requests: number;
  pending_requests: number;
  processing_requests: number;
  completed_requests: number;
  failed_requests: number;
  cancelled_requests: number;
}

export interface SchedulerState {
  running: boolean;
  poll_interval: number;
  active_requests: number;
  pending_requests: number;
}

/** A running deployment as the OpenAI gateway sees it. */
export interface ServedModel {
  deployment_id: string;
  /** The served model name (the OpenAI `model`). */
  id: string;
  endpoint: string;
  max_model_len: number | null;
  /** Unix seconds. */
  created: number;
  reachable: boolean;
}

export interface VllmApi {
  /**
   * Same validation and behaviour as `POST /queue/deployment` (AppError 422 naming the field). `warnings` name the
   * fields of the earlier API that were accepted but have no effect here. `role`: the caller's (hostPath volumes need
   * admin); without it the caller counts as an operator. Over HTTP the client's token decides.
   */
  enqueue(body: QueueRequestInput, o?: { role?: Role; id?: string }): Promise<QueueItemView & { warnings: string[] }>;
  getQueueItem(id: string): Promise<QueueItemView>;
  listQueue(opts?: { status?: string; limit?: number; offset?: number }): Promise<QueueItemView[]>;
  queueStatus(): Promise<QueueCounts>;
  /** Cancels a pending or processing item (its running step stops; only its own objects are cleaned). */
  cancel(id: string): Promise<void>;
  setPriority(id: string, priority: string): Promise<void>;
  /** Wakes the scheduler for a pass now; returns at once (items run in the background). */
  triggerScheduler(): Promise<void>;
  /** Whether the scheduler claims new items, and what is in flight. */
  schedulerState(): Promise<SchedulerState>;
  /** Running deployments that serve a model, for `/v1/models` and OpenAI proxying. */
  servedModels(): Promise<ServedModel[]>;
}
