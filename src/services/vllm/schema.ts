/** Tables of the vLLM service: deployments, the deploy-then-benchmark queue, scheduler settings, clusters, the Git follower. */
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const vllmDeployments = pgTable(
  'vllm_deployments',
  {
    id: text('id').primaryKey(),
    /** Kubernetes-valid name of the objects (Deployment and Service) or of the local process. */
    name: text('name').notNull(),
    clusterId: text('cluster_id').notNull(),
    backend: text('backend').notNull(), // local | kubernetes
    namespace: text('namespace').notNull(),
    status: text('status').notNull(), // deploying | running | failed | stopped | cleaned_up
    config: jsonb('config').notNull(),
    fingerprint: text('fingerprint').notNull(),
    /** Requested extended resources per resource name, e.g. {"nvidia.com/gpu": 2}. */
    resources: jsonb('resources').notNull(),
    priorityRank: integer('priority_rank').notNull().default(2),
    nodeName: text('node_name'),
    serviceName: text('service_name'),
    endpoint: text('endpoint'),
    /** Local backend: the emulated server's process id. */
    pid: integer('pid'),
    /** Queue item that created it (cleanup touches only what a request created). */
    ownerRequestId: text('owner_request_id'),
    keep: boolean('keep').notNull().default(false),
    placement: jsonb('placement'),
    errorMessage: text('error_message'),
    /** Sealed secrets (custom values text, secret env values): SecretBox ciphertext, see sealed.ts. */
    secretsEnc: text('secrets_enc'),
    /**
     * Set when the Git follower (follower.ts) created it: the vLLM project, the values file's path and the content hash
     * it was deployed from. Only deployments marked so are ever pruned or replaced by the follower.
     */
    sourceProjectId: text('source_project_id'),
    sourcePath: text('source_path'),
    sourceHash: text('source_hash'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('vllm_deployments_status_idx').on(t.status),
    index('vllm_deployments_source_idx').on(t.sourceProjectId, t.sourcePath),
    index('vllm_deployments_fp_idx').on(t.fingerprint),
    // the list's order (newest first) and the per-cluster active lookups of placement
    index('vllm_deployments_created_idx').on(t.createdAt, t.id),
    index('vllm_deployments_cluster_status_idx').on(t.clusterId, t.status),
    index('vllm_deployments_owner_idx').on(t.ownerRequestId),
  ],
);

export const vllmQueue = pgTable(
  'vllm_queue',
  {
    id: text('id').primaryKey(),
    priority: text('priority').notNull(),
    priorityRank: integer('priority_rank').notNull(),
    status: text('status').notNull(), // pending | processing | completed | failed | cancelled
    vllmConfig: jsonb('vllm_config'),
    benchmarkConfigs: jsonb('benchmark_configs').notNull(),
    schedulingConfig: jsonb('scheduling_config').notNull(),
    skipVllmCreation: boolean('skip_vllm_creation').notNull().default(false),
    helmDeployment: boolean('helm_deployment').notNull().default(false),
    helmConfig: jsonb('helm_config'),
    clusterId: text('cluster_id').notNull().default('local'),
    allowEviction: boolean('allow_eviction').notNull().default(false),
    keepDeployment: boolean('keep_deployment').notNull().default(false),
    /** Existing deployment to benchmark when skip_vllm_creation is set (else the first running one). */
    targetDeploymentId: text('target_deployment_id'),
    placement: jsonb('placement'),
    currentStep: text('current_step').notNull().default('pending'),
    totalSteps: integer('total_steps').notNull().default(0),
    completedSteps: integer('completed_steps').notNull().default(0),
    deploymentId: text('deployment_id'),
    /** True when this request created the deployment (and so may tear it down). */
    createdDeployment: boolean('created_deployment').notNull().default(false),
    jobs: jsonb('jobs').notNull().default([]),
    resultPks: jsonb('result_pks').notNull().default([]),
    errorMessage: text('error_message'),
    notBefore: ts('not_before'),
    deadline: ts('deadline'),
    claimedBy: text('claimed_by'),
    leaseUntil: ts('lease_until'),
    attempts: integer('attempts').notNull().default(0),
    cleanupPending: boolean('cleanup_pending').notNull().default(false),
    /** Sealed secrets (custom values text, secret env values, the job YAML texts sent along): see sealed.ts. */
    secretsEnc: text('secrets_enc'),
    createdAt: ts('created_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('vllm_queue_claim_idx').on(t.status, t.priorityRank, t.createdAt),
    index('vllm_queue_lease_idx').on(t.status, t.leaseUntil),
    index('vllm_queue_created_idx').on(t.createdAt),
    // "who uses this deployment" (teardown, placement pins, DELETE)
    index('vllm_queue_deployment_idx').on(t.deploymentId, t.status),
  ],
);

/** One row (id = 'default'): scheduler state shared by every replica. */
export const vllmScheduler = pgTable('vllm_scheduler', {
  id: text('id').primaryKey(),
  running: boolean('running').notNull(),
  pollInterval: integer('poll_interval'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const vllmClusters = pgTable('vllm_clusters', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind').notNull(), // kubeconfig
  kubeconfigEnc: text('kubeconfig_enc').notNull(),
  context: text('context'),
  namespace: text('namespace').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * One row per list table (`vllm_deployments`, `vllm_queue`) whose version a statement trigger bumps on every write
 * (migration 0003), in the writing transaction: list responses are cached per (query, version), so a repeated list
 * costs one primary-key read while nothing changed, on every replica.
 */
export const vllmListVersions = pgTable('vllm_list_versions', {
  name: text('name').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

/** vLLM projects the Git follower keeps deployed (follower.ts); shared by every replica. */
export const vllmFollows = pgTable('vllm_follows', {
  projectId: text('project_id').primaryKey(),
  clusterId: text('cluster_id').notNull().default('local'),
  priority: text('priority').notNull().default('medium'),
  /** Stop deployments whose values file was removed (Argo CD's prune). */
  prune: boolean('prune').notNull().default(true),
  /** Restore deployments that were stopped, lost or drifted (Argo CD's self-heal). */
  selfHeal: boolean('self_heal').notNull().default(true),
  lastTickAt: ts('last_tick_at'),
  /** Why the last pass could not read the project (manager unreachable, not a vLLM project…); null when it could. */
  lastError: text('last_error'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** One row per values file of a followed project: what the follower did with it (the per-file status and error). */
export const vllmFollowFiles = pgTable(
  'vllm_follow_files',
  {
    projectId: text('project_id').notNull(),
    path: text('path').notNull(),
    /** sha256 of the content the current state is about. */
    contentHash: text('content_hash').notNull(),
    fileId: text('file_id'),
    /** deploying | deployed | waiting | error | invalid */
    status: text('status').notNull(),
    queueItemId: text('queue_item_id'),
    deploymentId: text('deployment_id'),
    error: text('error'),
    warnings: jsonb('warnings').notNull().default([]),
    /** Failed deploys are retried with backoff: attempts so far and when the next may start. */
    attempts: integer('attempts').notNull().default(0),
    retryAt: ts('retry_at'),
    /** How often it was restored after being stopped, lost or drifted. */
    heals: integer('heals').notNull().default(0),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.path] })],
);
