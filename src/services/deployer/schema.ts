/**
 * Deployer tables: one row per deployment (a `/run` benchmark job or a `/deploy` apply) with its status tracked to
 * completion by a lease-holding watcher, and terminal sessions (so any replica can serve a session's WebSocket).
 */
import { bigint, boolean, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { RunNotes } from './api.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const deployments = pgTable(
  'deployer_deployments',
  {
    deploymentId: text('deployment_id').primaryKey(),
    /** job | deployment | service | configmap | secret | unknown */
    resourceType: text('resource_type').notNull(),
    resourceName: text('resource_name').notNull(),
    namespace: text('namespace').notNull(),
    /** pending | running | completed | failed | deleted */
    status: text('status').notNull(),
    message: text('message').notNull().default(''),
    /** The applied manifests (Secret values redacted). */
    yamlContent: text('yaml_content').notNull(),
    /** Every object created: [{kind, name, namespace}], deleted with the deployment. */
    resources: jsonb('resources').$type<{ kind: string; name: string; namespace: string }[]>().notNull(),
    executor: text('executor').notNull(),
    /** `run` (POST /run) or `deploy` (POST /deploy). */
    origin: text('origin').notNull(),
    projectId: text('project_id'),
    benchmarkType: text('benchmark_type'),
    runName: text('run_name'),
    configmapName: text('configmap_name'),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    /** What a `/run` rewrote in the job (endpoint, model, results variables), where the config went, and warnings. */
    notes: jsonb('notes').$type<RunNotes>().notNull().default({}),
    startTime: ts('start_time'),
    completionTime: ts('completion_time'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    deletedAt: ts('deleted_at'),
    /** Status-watch lease: the replica that follows this job until it finishes. */
    watchOwner: text('watch_owner'),
    watchUntil: ts('watch_until'),
  },
  (t) => [
    index('deployer_deployments_created_idx').on(t.createdAt.desc()),
    index('deployer_deployments_name_idx').on(t.resourceName, t.namespace),
    index('deployer_deployments_status_idx').on(t.status),
    index('deployer_deployments_project_idx').on(t.projectId),
  ],
);

export const terminalSessions = pgTable(
  'deployer_terminal_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    jobName: text('job_name').notNull(),
    namespace: text('namespace').notNull(),
    podName: text('pod_name').notNull(),
    containerName: text('container_name').notNull(),
    shell: text('shell').notNull(),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastActivity: ts('last_activity').notNull().defaultNow(),
  },
  (t) => [index('deployer_terminal_sessions_job_idx').on(t.jobName)],
);

/**
 * Write versions of the deployer's lists: triggers bump `deployer_deployments`' row with every statement that changed
 * a record (migration 0003; lease-only updates excepted), so a cached `GET /deployments` page is never stale,
 * whichever replica wrote.
 */
export const listVersions = pgTable('deployer_list_versions', {
  name: text('name').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

export type DeploymentRow = typeof deployments.$inferSelect;
export type TerminalSessionRow = typeof terminalSessions.$inferSelect;
