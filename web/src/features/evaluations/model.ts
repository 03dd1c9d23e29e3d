/**
 * The evaluation service's shapes (mirroring src/services/eval: EvaluationView, ScheduleView; its routes declare no
 * response schema yet), the status history as the detail page draws it, and the cron preview of a schedule (croner,
 * the library the service itself uses, so the preview fires when the service will).
 */
import { Cron } from 'croner';

export type EvaluationStatus = 'waiting' | 'submitted' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface TemplateRef {
  project_id: string;
  job_file: string;
  config_file?: string;
  benchmark_type?: string;
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
  history: Array<{ status: EvaluationStatus; at: string; detail?: string }>;
  readiness: { attempts: number; last_probe: string | null; deadline: string; next_check_at: string | null };
  deployment: { deployment_id: string; resource_name: string | null; namespace: string | null } | null;
  result_pks: string[];
  warnings: string[];
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface ScheduleView {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  model_name: string;
  inference_engine_url: string | null;
  template: unknown;
  overrides: Record<string, unknown>;
  paused: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  last_evaluation_id: string | null;
  last_error: string | null;
  fired: number;
  created_at: string;
  updated_at: string;
}

export const FINAL: EvaluationStatus[] = ['completed', 'failed', 'cancelled'];

export function evalStatusColor(s: string): string {
  return s === 'completed' ? 'teal' : s === 'failed' ? 'red' : s === 'running' ? 'blue' : s === 'submitted' ? 'cyan' : s === 'cancelled' ? 'gray' : 'yellow';
}

/** The path every evaluation takes, with what each stage means. */
export const FLOW: Array<{ status: EvaluationStatus; label: string }> = [
  { status: 'waiting', label: 'waiting for the engine' },
  { status: 'submitted', label: 'submitted' },
  { status: 'running', label: 'running' },
  { status: 'completed', label: 'done' },
];

export interface TimelineStage {
  status: EvaluationStatus;
  label: string;
  /** When it was reached (the first history entry with this status), null when not (yet). */
  at: string | null;
  detail: string | null;
}

/**
 * The timeline the detail page draws: waiting → submitted → running → done, each with when it was reached, and the
 * stage it ended in instead of done (failed, cancelled). `active` is the index of the last stage reached.
 */
export function timeline(e: Pick<EvaluationView, 'history' | 'status'>): { stages: TimelineStage[]; active: number } {
  const first = (s: EvaluationStatus) => e.history.find((h) => h.status === s);
  const end = e.status === 'failed' || e.status === 'cancelled' ? e.status : null;
  const flow = end ? [...FLOW.slice(0, 3), { status: end, label: end }] : FLOW;
  const stages = flow.map((f) => {
    const h = first(f.status);
    // the last detail of a stage says most (readiness probes repeat while waiting)
    const last = [...e.history].reverse().find((x) => x.status === f.status);
    return { ...f, at: h?.at ?? null, detail: last?.detail ?? null };
  });
  let active = stages.findLastIndex((s) => s.at !== null);
  if (end) active = stages.length - 1;
  return { stages, active: Math.max(0, active) };
}

export interface CronPreview {
  ok: boolean;
  error: string | null;
  /** The next runs, as instants. */
  runs: Date[];
  /** The shortest gap between two of them, in seconds (null with fewer than two). */
  minGapSeconds: number | null;
}

/** The next `n` runs of a cron expression (5 or 6 fields) in `timezone`, or why it is not valid. */
export function cronPreview(cron: string, timezone: string, n = 5, from = new Date()): CronPreview {
  if (!cron.trim()) return { ok: false, error: 'Enter a cron expression', runs: [], minGapSeconds: null };
  try {
    const c = new Cron(cron.trim(), { timezone: timezone || 'UTC', paused: true });
    const runs = c.nextRuns(n, from);
    if (!runs.length) return { ok: false, error: 'It never fires', runs: [], minGapSeconds: null };
    const gaps = runs.slice(1).map((r, i) => (r.getTime() - runs[i].getTime()) / 1000);
    return { ok: true, error: null, runs, minGapSeconds: gaps.length ? Math.min(...gaps) : null };
  } catch (e) {
    return { ok: false, error: (e as Error).message, runs: [], minGapSeconds: null };
  }
}

/** "every 10 s", "every 5 min", "every 2 h", "every 1 d" — the gap in its largest whole unit. */
export function everyWords(seconds: number): string {
  for (const [unit, s] of [['d', 86_400], ['h', 3600], ['min', 60]] as const) {
    if (seconds >= s && seconds % s === 0) return `every ${seconds / s} ${unit}`;
  }
  return `every ${seconds} s`;
}

/** A run time as a person reads it in the schedule's zone: "Tue, 1 Dec 2026, 14:05:00 (Europe/Paris)". */
export function runWords(d: Date, timezone: string): string {
  const tz = timezone || 'UTC';
  try {
    return `${new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d)} (${tz})`;
  } catch {
    return d.toISOString();
  }
}
