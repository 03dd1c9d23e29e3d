/** Run states as the deployer reports them, and what the UI does with them. */
export interface DeploymentRecord {
  deployment_id: string;
  resource_type: string;
  resource_name: string;
  namespace: string;
  status: string;
  created_at: string | null;
}

export interface JobStatusView {
  job_name: string;
  namespace: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'deleted' | string;
  phase: string | null;
  start_time: string | null;
  completion_time: string | null;
  active_pods: number;
  succeeded_pods: number;
  failed_pods: number;
  message: string | null;
}

/** A run in one of these states will not change again: stop polling. */
export function isFinal(status: string | undefined): boolean {
  return status === 'completed' || status === 'failed' || status === 'deleted';
}

/** Badge colour of a status. */
export function statusColor(status: string | undefined): string {
  if (status === 'completed' || status === 'succeeded') return 'teal';
  if (status === 'failed') return 'red';
  if (status === 'running') return 'blue';
  if (status === 'deleted') return 'gray';
  return 'yellow';
}
