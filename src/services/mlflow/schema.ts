/**
 * MLflow integration tables: one event per (model, version, engine) — the database claim that makes each version
 * processed exactly once across replicas and manual polls — and the integration's stored settings (secrets sealed by
 * ctx.secrets, never returned).
 */
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const mlflowEvents = pgTable(
  'mlflow_events',
  {
    id: text('id').primaryKey(),
    modelName: text('model_name').notNull(),
    version: text('version').notNull(),
    /** vllm | tensorrt-llm */
    engine: text('engine').notNull(),
    /** model_version_created (no values file yet) | model_version_updated (the file existed with other content) */
    eventType: text('event_type'),
    /** pending | processing | completed | failed (retried at next_attempt_at) | abandoned (attempts used up) */
    status: text('status').notNull().default('pending'),
    /** poll | webhook | manual */
    trigger: text('trigger').notNull(),
    /** How the version was chosen: latest | alias:<name> | stage:<name> | webhook. */
    selection: text('selection').notNull(),
    /** What MLflow said about the version (run id, source, creation time, stage, experiment id, tags). */
    mlflow: jsonb('mlflow').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    leaseOwner: text('lease_owner'),
    leaseUntil: ts('lease_until'),
    /** Done steps survive a retry: `{git: {...}, argocd: {...}, evaluation: {...}}`. */
    outcome: jsonb('outcome').notNull().default({}),
    warnings: jsonb('warnings').notNull().default([]),
    error: text('error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    // the claim: a second poll, replica or webhook inserting the same key gets nothing back
    uniqueIndex('mlflow_events_key_uq').on(t.modelName, t.version, t.engine),
    index('mlflow_events_due_idx').on(t.status, t.nextAttemptAt),
    index('mlflow_events_created_idx').on(t.createdAt, t.id),
  ],
);

export const mlflowSettings = pgTable('mlflow_settings', {
  id: text('id').primaryKey(),
  /** Non-secret overrides of the environment's settings (settings.ts). */
  settings: jsonb('settings').notNull().default({}),
  /** Secret name → AES-256-GCM ciphertext (ctx.secrets). */
  secrets: jsonb('secrets').notNull().default({}),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
