/**
 * Recurring evaluations: a cron expression (croner, 5 or 6 fields, a time zone) and a model or an endpoint. Any
 * replica's tick may fire a due schedule; the database decides which one does (fireTick moves `next_run_at` only if
 * it still holds the due tick), so each tick fires once. After downtime the next tick is computed from now: the
 * missed ones collapse into one catch-up evaluation, never a burst.
 */
import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import { z } from 'zod';
import { conflict, notFound, unprocessable } from '../../core/errors.ts';
import { iso } from '../../core/http.ts';
import type { TemplateRef } from './api.ts';
import type { EvalPorts } from './ports.ts';
import type { EvalRepository } from './repository.ts';
import type { ScheduleRow } from './schema.ts';
import { httpUrl, overridesSchema, templateSchema, type EvalService } from './service.ts';
import { checkOverrides, resolveTemplate, templateRefOf } from './template.ts';

export const scheduleBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    cron: z.string().trim().min(1).max(200),
    timezone: z.string().trim().min(1).max(64).default('UTC'),
    model_name: z.string().trim().min(1).max(256),
    /** The engine; without it each tick evaluates the vLLM deployment that serves `model_name`. */
    inference_engine_url: httpUrl.optional(),
    template: templateSchema.optional(),
    overrides: overridesSchema.optional(),
    paused: z.boolean().default(false),
  })
  .strict();
export type ScheduleBody = z.infer<typeof scheduleBodySchema>;

export interface ScheduleView {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  model_name: string;
  inference_engine_url: string | null;
  template: TemplateRef | null;
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

export function scheduleView(s: ScheduleRow): ScheduleView {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    model_name: s.modelName,
    inference_engine_url: s.engineUrl,
    template: (s.template ?? null) as TemplateRef | null,
    overrides: (s.overrides ?? {}) as Record<string, unknown>,
    paused: s.paused,
    next_run_at: iso(s.nextRunAt),
    last_run_at: iso(s.lastRunAt),
    last_evaluation_id: s.lastEvaluationId,
    last_error: s.lastError,
    fired: s.fired,
    created_at: iso(s.createdAt)!,
    updated_at: iso(s.updatedAt)!,
  };
}

export interface ScheduleDeps {
  repo: EvalRepository;
  ports: EvalPorts;
  service: EvalService;
  log: Logger;
  defaultTemplate?: string;
  /** Shortest allowed time between two ticks (seconds); a busier cron is a 422. */
  minIntervalSeconds: number;
}

/** The next tick strictly after `after`, or null when the expression has none left. */
export function nextTick(cron: string, timezone: string, after: Date): Date | null {
  return new Cron(cron, { timezone, paused: true }).nextRun(after) ?? null;
}

export class ScheduleService {
  constructor(private readonly d: ScheduleDeps) {}

  /** Parses and checks a cron expression and time zone; 422 on `body.cron` / `body.timezone`. */
  checkCron(cron: string, timezone: string): void {
    try {
      // croner only trips over an unknown zone when it computes a run: check it on its own
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw unprocessable(['body', 'timezone'], 'not a known IANA time zone (e.g. UTC, Europe/Berlin)');
    }
    let runs: Date[];
    try {
      runs = new Cron(cron, { timezone, paused: true }).nextRuns(3);
    } catch (e: any) {
      throw unprocessable(['body', 'cron'], `not a cron expression: ${String(e?.message ?? e).slice(0, 200)}`);
    }
    if (!runs.length) throw unprocessable(['body', 'cron'], 'never fires');
    for (let i = 1; i < runs.length; i++) {
      if (runs[i].getTime() - runs[i - 1].getTime() < this.d.minIntervalSeconds * 1000) {
        throw unprocessable(['body', 'cron'], `fires more often than every ${this.d.minIntervalSeconds} s`);
      }
    }
  }

  async create(body: ScheduleBody): Promise<ScheduleView> {
    this.checkCron(body.cron, body.timezone);
    checkOverrides(body.overrides, ['body', 'overrides']);
    const ref = templateRefOf(body.template, this.d.defaultTemplate, ['body', 'template']);
    const resolved = await resolveTemplate(this.d.ports.manager(), ref, ['body', 'template'], (n) => this.d.ports.projectsNamed(n));
    if (await this.d.repo.scheduleByName(body.name)) throw conflict(`A schedule named ${body.name} exists`);
    const now = new Date();
    const row = await this.d.repo
      .insertSchedule({
        id: randomUUID(),
        name: body.name,
        cron: body.cron,
        timezone: body.timezone,
        modelName: body.model_name,
        engineUrl: body.inference_engine_url ?? null,
        template: { ...resolved.ref, benchmark_type: resolved.benchmarkType },
        overrides: body.overrides ?? {},
        paused: body.paused,
        nextRunAt: body.paused ? null : nextTick(body.cron, body.timezone, now),
        createdAt: now,
        updatedAt: now,
      })
      .catch((e) => {
        if (/unique|duplicate/i.test(String(e?.message ?? e?.cause?.message))) throw conflict(`A schedule named ${body.name} exists`);
        throw e;
      });
    return scheduleView(row);
  }

  async get(id: string): Promise<ScheduleView> {
    const s = await this.d.repo.getSchedule(id);
    if (!s) throw notFound(`Schedule ${id} not found`);
    return scheduleView(s);
  }

  async list(f: { paused?: boolean; model_name?: string }, limit: number, offset: number) {
    const { items, total } = await this.d.repo.listSchedules(f, limit, offset);
    return { items: items.map(scheduleView), total };
  }

  /** Pausing clears the next tick; resuming computes it from now (ticks missed while paused are not fired). */
  async setPaused(id: string, paused: boolean): Promise<ScheduleView> {
    const s = await this.d.repo.getSchedule(id);
    if (!s) throw notFound(`Schedule ${id} not found`);
    if (s.paused === paused) return scheduleView(s);
    const r = await this.d.repo.updateSchedule(id, { paused, nextRunAt: paused ? null : nextTick(s.cron, s.timezone, new Date()) });
    return scheduleView(r!);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.d.repo.deleteSchedule(id))) throw notFound(`Schedule ${id} not found`);
  }

  /** Fires every due schedule once (called from the driver's tick on every replica). */
  async tick(now = new Date()): Promise<number> {
    let fired = 0;
    for (const s of await this.d.repo.dueSchedules(now, 20)) {
      const tick = s.nextRunAt!;
      // from now, not from the due tick: however many ticks were missed, the next one is in the future
      const next = nextTick(s.cron, s.timezone, now);
      let url = s.engineUrl;
      let error: string | null = null;
      if (!url) {
        // resolved before the transaction (no network inside one)
        try {
          url = (await this.d.ports.servedModels()).find((m) => m.id === s.modelName && m.reachable)?.endpoint ?? null;
          if (!url) error = `no running vLLM deployment serves ${s.modelName}`;
        } catch (e: any) {
          error = `the vLLM service could not be asked which endpoint serves ${s.modelName}: ${e?.message ?? e}`;
        }
      }
      let evaluation = null;
      if (url) {
        try {
          const body = { model_name: s.modelName, inference_engine_url: url, template: s.template as any, overrides: s.overrides as Record<string, unknown> };
          evaluation = (await this.d.service.prepare(body as any, { scheduleId: s.id, scheduledFor: tick }, ['schedule'])).row;
          evaluation.source = { kind: 'schedule', schedule_id: s.id, schedule: s.name, tick: tick.toISOString() };
        } catch (e: any) {
          error = `the template could not be used: ${e?.message ?? e}`;
        }
      }
      if (await this.d.repo.fireTick(s, tick, next, evaluation, error)) {
        if (evaluation) fired++;
        this.d.log.info({ schedule: s.id, tick: tick.toISOString(), evaluation: evaluation?.id, error }, 'eval schedule fired');
      }
    }
    return fired;
  }
}
