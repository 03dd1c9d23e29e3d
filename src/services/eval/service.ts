/**
 * The evaluation service's logic behind the routes and the in-process api: validate and store an evaluation (it
 * returns at once; driver.ts does the waiting), list, show, cancel. Templates are resolved against the manager when
 * asked for, so a bad reference is a 422 now, not a failure later.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError, conflict, notFound, unprocessable } from '../../core/errors.ts';
import { iso } from '../../core/http.ts';
import type { EvalApi, EvaluateRequest, EvaluationStatus, EvaluationView, HistoryEntry, TemplateRef } from './api.ts';
import type { EvalPorts } from './ports.ts';
import { ACTIVE, type EvalRepository, type EvaluationFilter } from './repository.ts';
import type { EvaluationRow, NewEvaluationRow } from './schema.ts';
import { checkOverrides, resolveTemplate, templateRefOf, templateWarnings } from './template.ts';

export const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
  // the URL is stored, listed and logged: a password in it would be shown to every viewer
  .refine((u) => {
    try {
      const x = new URL(u);
      return !x.username && !x.password;
    } catch {
      return true;
    }
  }, 'credentials in the URL are not accepted (it is stored and shown)');

const fileRef = z.string().trim().min(1).max(1000);
export const templateRefSchema = z
  .object({
    project_id: z.string().trim().min(1).max(200),
    job_file: fileRef,
    config_file: fileRef.optional(),
    benchmark_type: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export const templateSchema = z.union([z.string().trim().min(1).max(2000), templateRefSchema]);
export const overridesSchema = z.record(z.string(), z.unknown());
const sourceSchema = z.record(z.string(), z.unknown()).refine((s) => JSON.stringify(s).length <= 4096, 'at most 4 KiB of JSON');

/** `POST /evaluate` (seed 002 fields, the seed README's `vllm-url` alias, and the additions). */
export const evaluateBodySchema = z
  .object({
    model_name: z.string().trim().min(1).max(256),
    inference_engine_url: httpUrl.optional(),
    'vllm-url': httpUrl.optional(),
    template: templateSchema.optional(),
    overrides: overridesSchema.optional(),
    source: sourceSchema.optional(),
    /** Wait this long before the first readiness probe (the earlier service's fixed delay, here optional). */
    delay_seconds: z.number().int().min(0).max(86_400).optional(),
    /** Give up waiting for the engine after this long (default BENCHOPS_EVAL_READY_TIMEOUT_SECONDS). */
    readiness_timeout_seconds: z.number().int().min(1).max(7 * 86_400).optional(),
    /** Run a failed job again this many times (after the engine lists the model again). */
    retries: z.number().int().min(0).max(5).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const a = b.inference_engine_url;
    const v = b['vllm-url'];
    if (!a && !v) ctx.addIssue({ code: 'custom', path: ['inference_engine_url'], message: 'Field required (or its alias vllm-url)' });
    if (a && v && a !== v) ctx.addIssue({ code: 'custom', path: ['vllm-url'], message: 'differs from inference_engine_url (give one of them)' });
  });
export type EvaluateBody = z.infer<typeof evaluateBodySchema>;

export interface EvalServiceDeps {
  repo: EvalRepository;
  ports: EvalPorts;
  log: Logger;
  /** BENCHOPS_EVAL_TEMPLATE. */
  defaultTemplate?: string;
  readyTimeoutSeconds: number;
  /** At most this many evaluations wait for their engine at once (429 beyond). */
  maxWaiting: number;
  /** Called when an evaluation is stored, so the driver looks at it now. */
  onNew?: () => void;
}

export interface Origin {
  scheduleId?: string;
  scheduledFor?: Date;
}

/** Parses a body the way the route does (in-process callers get the same 422s). */
export function parseEvaluateBody(input: unknown): EvaluateBody {
  const r = evaluateBodySchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw unprocessable(['body', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))], i.message);
  }
  return r.data;
}

export function entry(status: EvaluationStatus, detail?: string): HistoryEntry {
  return { status, at: new Date().toISOString(), ...(detail ? { detail } : {}) };
}

/** The API shape of a row. */
export function evaluationView(r: EvaluationRow): EvaluationView {
  return {
    id: r.id,
    model_name: r.modelName,
    inference_engine_url: r.engineUrl,
    status: r.status as EvaluationStatus,
    template: r.template as TemplateRef,
    overrides: (r.overrides ?? {}) as Record<string, unknown>,
    source: (r.source ?? null) as Record<string, unknown> | null,
    schedule_id: r.scheduleId,
    scheduled_for: iso(r.scheduledFor),
    history: r.history as HistoryEntry[],
    readiness: { attempts: r.probeAttempts, last_probe: r.lastProbe, deadline: iso(r.readyDeadline)!, next_check_at: r.status === 'waiting' ? iso(r.nextCheckAt) : null },
    deployment: r.deploymentId ? { deployment_id: r.deploymentId, resource_name: r.jobName, namespace: r.jobNamespace } : null,
    retries: { allowed: r.maxRetries, used: Math.max(0, (r.history as HistoryEntry[]).filter((h) => h.status === 'submitted').length - 1) },
    result_pks: r.resultPks as string[],
    warnings: r.warnings as string[],
    error: r.error,
    created_at: iso(r.createdAt)!,
    updated_at: iso(r.updatedAt)!,
    finished_at: iso(r.finishedAt),
  };
}

export class EvalService implements EvalApi {
  constructor(private readonly d: EvalServiceDeps) {}

  /** Builds a new evaluation row from a checked body (template resolved against the manager: 422 when it is wrong). */
  async prepare(body: EvaluateBody, origin: Origin = {}, field: (string | number)[] = ['body']): Promise<{ row: NewEvaluationRow; warnings: string[] }> {
    const overrides = checkOverrides(body.overrides, [...field, 'overrides']);
    const ref = templateRefOf(body.template, this.d.defaultTemplate, [...field, 'template']);
    const resolved = await resolveTemplate(this.d.ports.manager(), ref, [...field, 'template'], (n) => this.d.ports.projectsNamed(n));
    const warnings = templateWarnings(resolved.placeholders, overrides);
    const now = new Date();
    const delayMs = (body.delay_seconds ?? 0) * 1000;
    const timeoutMs = (body.readiness_timeout_seconds ?? this.d.readyTimeoutSeconds) * 1000;
    const row: NewEvaluationRow = {
      id: randomUUID(),
      modelName: body.model_name,
      engineUrl: (body.inference_engine_url ?? body['vllm-url'])!,
      template: { ...resolved.ref, benchmark_type: resolved.benchmarkType },
      overrides,
      source: body.source ?? null,
      scheduleId: origin.scheduleId ?? null,
      scheduledFor: origin.scheduledFor ?? null,
      status: 'waiting',
      stage: 'readiness',
      history: [entry('waiting', delayMs ? `first readiness probe in ${body.delay_seconds} s` : 'waiting for the engine to list the model')],
      readyDeadline: new Date(now.getTime() + delayMs + timeoutMs),
      maxRetries: body.retries ?? 0,
      nextCheckAt: new Date(now.getTime() + delayMs),
      warnings,
      createdAt: now,
      updatedAt: now,
    };
    return { row, warnings };
  }

  /** Stores an evaluation and returns at once (EvalApi). */
  async evaluate(req: EvaluateRequest | EvaluateBody): Promise<EvaluationView & { warnings: string[] }> {
    const body = parseEvaluateBody(req);
    if ((await this.d.repo.countWaiting()) >= this.d.maxWaiting) {
      throw new AppError(429, `${this.d.maxWaiting} evaluations are already waiting for their engines (BENCHOPS_EVAL_MAX_WAITING); try again later`, 'too_many');
    }
    const { row } = await this.prepare(body);
    const stored = await this.d.repo.insert(row);
    this.d.log.info({ evaluation: stored.id, model: stored.modelName, template: stored.template }, 'evaluation stored');
    this.d.onNew?.();
    return evaluationView(stored);
  }

  async getEvaluation(id: string): Promise<EvaluationView> {
    const r = await this.d.repo.get(id);
    if (!r) throw notFound(`Evaluation ${id} not found`);
    return evaluationView(r);
  }

  async list(f: EvaluationFilter, limit: number, offset: number): Promise<{ items: EvaluationView[]; total: number }> {
    const { items, total } = await this.d.repo.list(f, limit, offset);
    return { items: items.map(evaluationView), total };
  }

  /** Cancels a waiting or running evaluation; a submitted job is deleted through the deployer. 409 once finished. */
  async cancel(id: string): Promise<EvaluationView> {
    const r = await this.d.repo.get(id);
    if (!r) throw notFound(`Evaluation ${id} not found`);
    if (!ACTIVE.includes(r.status as EvaluationStatus)) throw conflict(`Evaluation ${id} is already ${r.status}`);
    const now = new Date();
    const done = await this.d.repo.transition(
      id,
      ACTIVE,
      { status: 'cancelled', nextCheckAt: null, finishedAt: now, leaseOwner: null, leaseUntil: null },
      entry('cancelled', 'cancelled by request'),
    );
    if (!done) throw conflict(`Evaluation ${id} finished meanwhile`);
    if (done.jobName) {
      try {
        await this.d.ports.deployer().deleteJob(done.jobName, done.jobNamespace ?? undefined);
      } catch (e: any) {
        const w = `the job ${done.jobName} could not be deleted: ${e?.message ?? e}`;
        this.d.log.warn({ evaluation: id, err: e?.message }, 'cancel: job delete failed');
        return evaluationView((await this.d.repo.transition(id, ['cancelled'], { warnings: [...(done.warnings as string[]), w] })) ?? done);
      }
    }
    return evaluationView(done);
  }
}
