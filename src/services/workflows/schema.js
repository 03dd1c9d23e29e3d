/**
 * Workflows tables (seed 003): performance-benchmark workflows with their merged step state, their runs (simulations
 * and real runs on a cluster), and the registries behind the wizard: datasets, models, cloud credentials (encrypted),
 * and simulator calibration factors per (model, hardware).
 */
import { sql } from 'drizzle-orm';
import { doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
const ts = (name) => timestamp(name, { withTimezone: true, mode: 'date' });
export const workflows = pgTable('workflows_workflows', {
    id: text('id').primaryKey(),
    kind: text('kind').notNull().default('performance'),
    name: text('name').notNull(),
    /** As given at step 1 (`workflow_total_steps`). */
    totalSteps: integer('total_steps').notNull(),
    /** Every step's fields merged (steps.ts `WorkflowState`). */
    state: jsonb('state').notNull(),
    /** Step number → `{status, updated_at, invalidated_by}`. */
    steps: jsonb('steps').notNull(),
    /** draft (a required step incomplete) | ready | running | completed | failed (the last run's outcome). */
    status: text('status').notNull().default('draft'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [index('workflows_created_idx').on(t.createdAt, t.id), index('workflows_status_created_idx').on(t.status, t.createdAt, t.id)]);
export const workflowRuns = pgTable('workflows_runs', {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id')
        .notNull()
        .references(() => workflows.id, { onDelete: 'cascade' }),
    /** simulation | cluster */
    mode: text('mode').notNull(),
    /** running | completed | failed | cancelled */
    status: text('status').notNull(),
    /** Where the run is (plan.ts/run.ts stage names); on failure the stage that failed. */
    stage: text('stage').notNull(),
    /** What the trigger decided: model, hardware, devices, tensor parallel, workload, cluster/node, endpoint. */
    plan: jsonb('plan').notNull(),
    /** The queue item's and job's last observed state. */
    progress: jsonb('progress'),
    queueRequestId: text('queue_request_id'),
    deploymentId: text('deployment_id'),
    endpoint: text('endpoint'),
    /** The deployer record of the benchmark job, and the objects it applied (names only; deleted after the run). */
    jobDeploymentId: text('job_deployment_id'),
    jobObjects: jsonb('job_objects'),
    /** Run id the benchmark posts its results under. */
    resultRunId: text('result_run_id'),
    resultPk: text('result_pk'),
    /** Flat metrics (predicted for a simulation, measured for a real run). */
    metrics: jsonb('metrics'),
    /** Prediction vs measurement per metric (real runs of a workflow that was simulated). */
    comparison: jsonb('comparison'),
    error: jsonb('error'),
    wallMs: doublePrecision('wall_ms'),
    leaseOwner: text('lease_owner'),
    leaseUntil: ts('lease_until'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
}, (t) => [
    index('workflows_runs_workflow_idx').on(t.workflowId, t.createdAt),
    index('workflows_runs_active_idx').on(t.status, t.leaseUntil),
    // one run in progress per workflow, whichever replica or request triggers it
    uniqueIndex('workflows_runs_one_active_uq').on(t.workflowId).where(sql `${t.status} in ('running', 'cancelling')`),
]);
export const datasets = pgTable('workflows_datasets', {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** jsonl | sharegpt */
    format: text('format').notNull(),
    /** The rows as normalised JSONL (`prompt`, `output_len`): what a benchmark job mounts. */
    content: text('content').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    rows: integer('rows').notNull(),
    /** Token lengths per row (`{input: number[], output: (number|null)[]}`): what the simulator reads. */
    lengths: jsonb('lengths').notNull(),
    stats: jsonb('stats').notNull(),
    tokenizer: text('tokenizer').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('workflows_datasets_name_uq').on(t.name), index('workflows_datasets_created_idx').on(t.createdAt, t.id)]);
export const models = pgTable('workflows_models', {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** served (deployed by BenchOps) | cloud (an OpenAI-compatible endpoint) */
    kind: text('kind').notNull(),
    /** Hugging Face name or local path (served); the provider's model name (cloud). */
    modelName: text('model_name').notNull(),
    servedModelName: text('served_model_name'),
    endpointUrl: text('endpoint_url'),
    /** completions | chat */
    api: text('api').notNull().default('completions'),
    credentialId: text('credential_id'),
    maxModelLen: integer('max_model_len'),
    /** How the simulator models it: catalogue/estimated shape summary, or the given spec, and optional hardware. */
    simulator: jsonb('simulator'),
    description: text('description').notNull().default(''),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('workflows_models_name_uq').on(t.name), index('workflows_models_created_idx').on(t.createdAt, t.id)]);
export const credentials = pgTable('workflows_credentials', {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    provider: text('provider').notNull().default('openai-compatible'),
    /** AES-256-GCM ciphertext (ctx.secrets) of the API key; never returned, never logged. */
    secretEnc: text('secret_enc').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('workflows_credentials_name_uq').on(t.name)]);
export const calibrations = pgTable('workflows_calibrations', {
    /** Simulator model name (catalogue name, or the estimated spec's name). */
    model: text('model').notNull(),
    /** Catalogue hardware name. */
    hardware: text('hardware').notNull(),
    factors: jsonb('factors').notNull(),
    /** Relative errors before and after the fit, and the iterations. */
    fit: jsonb('fit').notNull(),
    /** The real run the factors were fitted to. */
    runId: text('run_id').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.model, t.hardware] })]);
//# sourceMappingURL=schema.js.map