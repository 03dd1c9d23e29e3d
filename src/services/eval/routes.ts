/**
 * HTTP routes of the evaluation service (:8004): seed 002's `POST /evaluate` (with its earlier response fields), the
 * stored evaluations (list, one, cancel) and the recurring schedules. Thin: validate, call the service, shape.
 */
import { z } from 'zod';
import { pageQuery, setTotal, type App } from '../../core/http.ts';
import type { ScheduleService } from './schedules.ts';
import { scheduleBodySchema } from './schedules.ts';
import { evaluateBodySchema, type EvalService } from './service.ts';
import { evaluateResponseSchema, evaluationViewSchema, messageSchema, scheduleViewSchema } from './view-schemas.ts';

const idParam = z.object({ id: z.string().min(1).max(100) });
const STATUSES = ['waiting', 'submitted', 'running', 'completed', 'failed', 'cancelled'] as const;

export async function registerEvalRoutes(app: App, d: { service: EvalService; schedules: ScheduleService }): Promise<void> {
  const etags = ['evaluations'];
  const stags = ['schedules'];

  app.post(
    '/evaluate',
    {
      schema: {
        summary:
          'Schedules an evaluation and returns at once: wait until {url}/v1/models lists the model, render the job template from the Git project, run it through the deployer. ' +
          '`vllm-url` is an alias of inference_engine_url; template is "<project id>:<job file>[:<config file>]", a job file of BENCHOPS_EVAL_TEMPLATE\'s project, or an object; ' +
          'overrides fill {name} placeholders. 429 when BENCHOPS_EVAL_MAX_WAITING evaluations already wait.',
        tags: etags,
        body: evaluateBodySchema,
        response: { 200: evaluateResponseSchema },
      },
    },
    async (req) => {
      const ev = await d.service.evaluate(req.body);
      return {
        // the earlier service's fields (clients read them)
        message: 'Evaluation deployment scheduled successfully',
        model_name: ev.model_name,
        inference_engine_url: ev.inference_engine_url,
        deployment_response: { status: 'scheduled' },
        id: ev.id,
        status: ev.status,
        warnings: ev.warnings,
        evaluation: ev,
      };
    },
  );

  app.get(
    '/evaluations',
    {
      schema: {
        summary: 'Evaluations, newest first (filters: status, model_name, inference_engine_url, schedule_id; total in X-Total-Count)',
        tags: etags,
        querystring: pageQuery.extend({
          status: z.enum(STATUSES).optional(),
          model_name: z.string().min(1).max(256).optional(),
          inference_engine_url: z.string().min(1).max(2048).optional(),
          schedule_id: z.string().min(1).max(100).optional(),
        }),
        response: { 200: z.array(evaluationViewSchema) },
      },
    },
    async (req, reply) => {
      const { limit, offset, ...f } = req.query;
      const { items, total } = await d.service.list(f, limit, offset);
      setTotal(reply, total);
      return items;
    },
  );

  app.get(
    '/evaluations/:id',
    { schema: { summary: 'One evaluation: status history (waiting → submitted → running → completed/failed), readiness probes, the deployer run, result pks', tags: etags, params: idParam, response: { 200: evaluationViewSchema } } },
    async (req) => d.service.getEvaluation(req.params.id),
  );

  app.post(
    '/evaluations/:id/cancel',
    { schema: { summary: 'Cancels a waiting or running evaluation (a submitted job is deleted); 409 once it has finished', tags: etags, params: idParam, response: { 200: evaluationViewSchema } } },
    async (req) => d.service.cancel(req.params.id),
  );

  app.post(
    '/schedules',
    {
      schema: {
        summary: 'A recurring evaluation: cron (5 or 6 fields) in a time zone, a model and optionally its endpoint (else the vLLM deployment serving it at each tick). Missed ticks fire once.',
        tags: stags,
        body: scheduleBodySchema,
        response: { 201: scheduleViewSchema },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return d.schedules.create(req.body);
    },
  );

  app.get(
    '/schedules',
    {
      schema: {
        summary: 'Schedules, newest first (filters: paused, model_name; total in X-Total-Count)',
        tags: stags,
        querystring: pageQuery.extend({ paused: z.enum(['true', 'false']).optional(), model_name: z.string().min(1).max(256).optional() }),
        response: { 200: z.array(scheduleViewSchema) },
      },
    },
    async (req, reply) => {
      const { limit, offset, paused, model_name } = req.query;
      const { items, total } = await d.schedules.list({ paused: paused === undefined ? undefined : paused === 'true', model_name }, limit, offset);
      setTotal(reply, total);
      return items;
    },
  );

  app.get('/schedules/:id', { schema: { summary: 'One schedule (its evaluations: GET /evaluations?schedule_id=)', tags: stags, params: idParam, response: { 200: scheduleViewSchema } } }, async (req) =>
    d.schedules.get(req.params.id),
  );

  app.post('/schedules/:id/pause', { schema: { summary: 'Pauses a schedule (no ticks until resumed)', tags: stags, params: idParam, response: { 200: scheduleViewSchema } } }, async (req) =>
    d.schedules.setPaused(req.params.id, true),
  );

  app.post('/schedules/:id/resume', { schema: { summary: 'Resumes a schedule from now (ticks missed while paused are not fired)', tags: stags, params: idParam, response: { 200: scheduleViewSchema } } }, async (req) =>
    d.schedules.setPaused(req.params.id, false),
  );

  app.delete('/schedules/:id', { schema: { summary: 'Deletes a schedule (its evaluations stay)', tags: stags, params: idParam, response: { 200: messageSchema } } }, async (req) => {
    await d.schedules.remove(req.params.id);
    return { message: `Schedule ${req.params.id} deleted` };
  });
}
