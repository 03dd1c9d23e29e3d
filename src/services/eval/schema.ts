/**
 * Evaluation tables (seed 002): evaluations with their status history, readiness probe state, deployer run and result
 * pks; recurring schedules (cron). Leases (`lease_owner`/`lease_until`) let several replicas drive evaluations, and a
 * process that stopped mid-way leaves rows another one (or itself after a restart) picks up.
 */
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const evaluations = pgTable(
  'eval_evaluations',
  {
    id: text('id').primaryKey(),
    modelName: text('model_name').notNull(),
    engineUrl: text('engine_url').notNull(),
    /** The resolved TemplateRef (api.ts). */
    template: jsonb('template').notNull(),
    overrides: jsonb('overrides').notNull().default({}),
    source: jsonb('source'),
    scheduleId: text('schedule_id'),
    /** The schedule tick this evaluation was fired for (one per tick: unique with schedule_id). */
    scheduledFor: ts('scheduled_for'),
    /** waiting | submitted | running | completed | failed | cancelled */
    status: text('status').notNull(),
    /** Within `waiting`: readiness (probing the engine) or submitting (the deployer call is under way). */
    stage: text('stage').notNull().default('readiness'),
    /** `[{status, at, detail?}]`, oldest first. */
    history: jsonb('history').notNull(),
    readyDeadline: ts('ready_deadline').notNull(),
    /** When the driver next looks at it (next probe, next job status check); null once finished. */
    nextCheckAt: ts('next_check_at'),
    probeAttempts: integer('probe_attempts').notNull().default(0),
    /** Hand-overs to the deployer that failed for a passing reason (deployer unreachable), retried with backoff. */
    submitAttempts: integer('submit_attempts').notNull().default(0),
    /** How many times a failed job is run again (each run is a `submitted` entry of the history). */
    maxRetries: integer('max_retries').notNull().default(0),
    lastProbe: text('last_probe'),
    deploymentId: text('deployment_id'),
    jobName: text('job_name'),
    jobNamespace: text('job_namespace'),
    resultPks: jsonb('result_pks').notNull().default([]),
    warnings: jsonb('warnings').notNull().default([]),
    error: text('error'),
    leaseOwner: text('lease_owner'),
    leaseUntil: ts('lease_until'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('eval_evaluations_created_idx').on(t.createdAt, t.id),
    index('eval_evaluations_due_idx').on(t.status, t.nextCheckAt),
    index('eval_evaluations_model_idx').on(t.modelName, t.createdAt),
    uniqueIndex('eval_evaluations_tick_uq').on(t.scheduleId, t.scheduledFor).where(sql`${t.scheduleId} is not null`),
  ],
);

export const schedules = pgTable(
  'eval_schedules',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    modelName: text('model_name').notNull(),
    /** Null: the endpoint of the vLLM deployment serving `model_name`, looked up at each tick. */
    engineUrl: text('engine_url'),
    template: jsonb('template'),
    overrides: jsonb('overrides').notNull().default({}),
    paused: boolean('paused').notNull().default(false),
    /** The next tick to fire; null while paused. */
    nextRunAt: ts('next_run_at'),
    lastRunAt: ts('last_run_at'),
    lastEvaluationId: text('last_evaluation_id'),
    /** Why the last tick fired no evaluation (e.g. no deployment serves the model). */
    lastError: text('last_error'),
    fired: integer('fired').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('eval_schedules_name_uq').on(t.name), index('eval_schedules_due_idx').on(t.paused, t.nextRunAt)],
);

export type EvaluationRow = typeof evaluations.$inferSelect;
export type NewEvaluationRow = typeof evaluations.$inferInsert;
export type ScheduleRow = typeof schedules.$inferSelect;
