/** The evaluation service's calls (/api/eval), typed from its OpenAPI document (api/schema/eval.ts). */
import { evaluations as evalClient, unwrapAs, unwrapPageAs } from '../../api/client';
import type { EvaluationStatus, EvaluationView, ScheduleView, TemplateRef } from './model';

const byId = (id: string) => ({ params: { path: { id } } });

export interface EvaluateInput {
  model_name: string;
  inference_engine_url: string;
  template?: TemplateRef;
  delay_seconds?: number;
}

export interface ScheduleInput {
  name: string;
  cron: string;
  timezone: string;
  model_name: string;
  inference_engine_url?: string;
  template?: TemplateRef;
  paused?: boolean;
}

export const evalApi = {
  list: (q: { limit: number; offset: number; status?: EvaluationStatus; schedule_id?: string; model_name?: string }) =>
    unwrapPageAs<EvaluationView>(evalClient.GET('/evaluations', { params: { query: q } })),
  get: (id: string) => unwrapAs<EvaluationView>(evalClient.GET('/evaluations/{id}', byId(id))),
  evaluate: (b: EvaluateInput) => unwrapAs<{ id: string; status: string; warnings: string[]; evaluation: EvaluationView }>(evalClient.POST('/evaluate', { body: b as never })),
  cancel: (id: string) => unwrapAs<EvaluationView>(evalClient.POST('/evaluations/{id}/cancel', byId(id))),
  schedules: (q: { limit: number; offset: number }) => unwrapPageAs<ScheduleView>(evalClient.GET('/schedules', { params: { query: q } })),
  schedule: (id: string) => unwrapAs<ScheduleView>(evalClient.GET('/schedules/{id}', byId(id))),
  createSchedule: (b: ScheduleInput) => unwrapAs<ScheduleView>(evalClient.POST('/schedules', { body: b as never })),
  pause: (id: string) => unwrapAs<ScheduleView>(evalClient.POST('/schedules/{id}/pause', byId(id))),
  resume: (id: string) => unwrapAs<ScheduleView>(evalClient.POST('/schedules/{id}/resume', byId(id))),
  removeSchedule: (id: string) => unwrapAs<{ message: string }>(evalClient.DELETE('/schedules/{id}', byId(id))),
};
