/**
 * The MLflow integration's calls (/api/mlflow), typed from its OpenAPI document (api/schema/mlflow.ts), and its
 * shapes (mirroring src/services/mlflow routes: its responses declare no schema yet).
 */
import { mlflow as mlflowClient, unwrapAs, unwrapPageAs } from '../../api/client';

export interface Reachability {
  configured: boolean;
  ok: boolean | null;
  error: string | null;
  checked_at: string | null;
}

export interface PollSummary {
  timestamp: string;
  status: 'success' | 'warning';
  message: string;
  errors?: string[];
}

export interface Connections {
  status: 'healthy' | 'degraded';
  mlflow_connected: boolean;
  git_connected: boolean | null;
  mlflow_uri: string | null;
  github_repo: string | null;
  git_branch: string;
  selection: string;
  /** vllm | tensorrt-llm | all. */
  engines: string;
  mlflow: Reachability;
  git: Reachability;
  last_check: string | null;
  last_poll: PollSummary | null;
  polling: boolean;
}

export interface PollResult extends PollSummary {
  trigger: string;
  processed_models: number;
  new_models: number;
  new_events: number;
  registered_models: number;
  selected_versions: number;
  mlflow_requests: number;
  duration_ms: number;
}

export interface GitOutcome {
  kind: string;
  repo: string;
  branch: string;
  commit: string | null;
  written: string[];
  created: string[];
  unchanged: string[];
  values_path: string;
  argocd_paths: string[];
}

export interface MlflowEvent {
  id: string;
  model_name: string;
  version: string;
  engine: string;
  event_type: string;
  status: 'pending' | 'processing' | 'completed' | 'failed' | 'abandoned';
  trigger: string;
  attempts: number;
  next_attempt_at: string | null;
  outcome: { git?: GitOutcome; evaluation?: { id?: string; status?: string; inference_engine_url?: string; skipped?: boolean; reason?: string } };
  warnings: string[];
  error: string | null;
  created_at: string | null;
  finished_at: string | null;
}

export const mlflowApi = {
  connections: () => unwrapAs<Connections>(mlflowClient.GET('/connections')),
  poll: () => unwrapAs<PollResult>(mlflowClient.POST('/poll', { body: {} })),
  events: (q: { limit: number; offset: number; status?: MlflowEvent['status']; model_name?: string }) => unwrapPageAs<MlflowEvent>(mlflowClient.GET('/events', { params: { query: q } })),
  retry: (id: string) => unwrapAs<MlflowEvent>(mlflowClient.POST('/events/{id}/retry', { params: { path: { id } }, body: {} })),
};
