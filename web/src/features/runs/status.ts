/** Run states as the deployer reports them, and what the UI does with them (colours, the status timeline). */
export interface DeploymentRecord {
  deployment_id: string;
  resource_type: string;
  resource_name: string;
  namespace: string;
  status: string;
  message?: string;
  yaml_content?: string;
  executor?: string;
  origin?: string;
  project_id?: string | null;
  benchmark_type?: string | null;
  run_name?: string | null;
  warnings?: string[];
  start_time?: string | null;
  completion_time?: string | null;
  created_at: string | null;
  updated_at?: string | null;
  deleted_at?: string | null;
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

export interface TimelineStep {
  label: string;
  /** When it happened, if known. */
  at: string | null;
  state: 'done' | 'current' | 'waiting' | 'failed';
}

/**
 * The run's life as steps: created → started → completed or failed (deleted when removed). The record gives the
 * creation time, the live status the start and end; a step not reached yet is `waiting`.
 */
export function timeline(record: Pick<DeploymentRecord, 'created_at' | 'deleted_at'> | undefined, s: Pick<JobStatusView, 'status' | 'start_time' | 'completion_time'> | undefined): TimelineStep[] {
  const status = s?.status ?? 'pending';
  const started = status !== 'pending' || !!s?.start_time;
  const ended = isFinal(status);
  const steps: TimelineStep[] = [
    { label: 'Created', at: record?.created_at ?? null, state: 'done' },
    { label: 'Started', at: s?.start_time ?? null, state: started ? 'done' : 'current' },
  ];
  if (status === 'failed') steps.push({ label: 'Failed', at: s?.completion_time ?? null, state: 'failed' });
  else if (status === 'deleted') steps.push({ label: 'Deleted', at: record?.deleted_at ?? null, state: 'done' });
  else steps.push({ label: 'Completed', at: s?.completion_time ?? null, state: ended ? 'done' : started ? 'current' : 'waiting' });
  return steps;
}
