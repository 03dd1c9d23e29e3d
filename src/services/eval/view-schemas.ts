/**
 * Response schemas of the evaluation service (OpenAPI, and the UI's generated types): the shapes of
 * `evaluationView` (service.ts) and `scheduleView` (schedules.ts).
 */
import { z } from 'zod';

const STATUSES = ['waiting', 'submitted', 'running', 'completed', 'failed', 'cancelled'] as const;
const json = z.record(z.string(), z.unknown());

export const templateRefView = z.object({
  project_id: z.string(),
  job_file: z.string(),
  config_file: z.string().optional(),
  benchmark_type: z.string().optional(),
});

export const evaluationViewSchema = z.object({
  id: z.string(),
  model_name: z.string(),
  inference_engine_url: z.string(),
  status: z.enum(STATUSES),
  template: templateRefView,
  overrides: json,
  source: json.nullable(),
  schedule_id: z.string().nullable(),
  scheduled_for: z.string().nullable(),
  history: z.array(z.object({ status: z.enum(STATUSES), at: z.string(), detail: z.string().optional() })),
  readiness: z.object({ attempts: z.number(), last_probe: z.string().nullable(), deadline: z.string(), next_check_at: z.string().nullable() }),
  retries: z.object({ allowed: z.number(), used: z.number() }),
  deployment: z.object({ deployment_id: z.string(), resource_name: z.string().nullable(), namespace: z.string().nullable() }).nullable(),
  result_pks: z.array(z.string()),
  warnings: z.array(z.string()),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});

export const evaluateResponseSchema = z.object({
  message: z.string(),
  model_name: z.string(),
  inference_engine_url: z.string(),
  deployment_response: z.object({ status: z.string() }),
  id: z.string(),
  status: z.enum(STATUSES),
  warnings: z.array(z.string()),
  evaluation: evaluationViewSchema,
});

export const scheduleViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  model_name: z.string(),
  inference_engine_url: z.string().nullable(),
  template: templateRefView.nullable(),
  overrides: json,
  paused: z.boolean(),
  next_run_at: z.string().nullable(),
  last_run_at: z.string().nullable(),
  last_evaluation_id: z.string().nullable(),
  last_error: z.string().nullable(),
  fired: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const messageSchema = z.object({ message: z.string() });
