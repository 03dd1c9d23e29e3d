/**
 * The one configuration module: read once from the environment (and an optional JSON file named by
 * BENCHOPS_CONFIG_FILE), validated, documented in README.md ("Configuration").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const SERVICE_NAMES = ['results', 'manager', 'deployer', 'mlflow', 'eval', 'vllm', 'workflows'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Seed ports: results 8000, manager 8001, deployer 8002, mlflow 8003, eval 8004, vllm 8005, workflows 8006; gateway 8080. */
export const DEFAULT_PORTS: Record<ServiceName | 'gateway', number> = {
  results: 8000,
  manager: 8001,
  deployer: 8002,
  mlflow: 8003,
  eval: 8004,
  vllm: 8005,
  workflows: 8006,
  gateway: 8080,
};

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('.benchops'),
  databaseUrl: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ports: z.object(Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, port.default(v)]))),
  tokens: z.string().optional(),
  tokensFile: z.string().optional(),
  secretKey: z.string().optional(),
  bodyLimitBytes: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  demo: bool.default(true),
  executor: z.enum(['local', 'kubernetes']).optional(),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63).default('benchmark'),
  pollTickSeconds: z.coerce.number().positive().default(5),
  /** How long the vLLM queue waits for one benchmark job before deleting it and failing the item. */
  jobTimeoutSeconds: z.coerce.number().int().positive().default(24 * 3600),
  /** How long a vLLM deployment may take to serve (image pull, weights download, load) before it is failed. */
  vllmReadyTimeoutSeconds: z.coerce.number().int().positive().default(1800),
  githubApiUrl: z.string().url().default('https://api.github.com'),
  githubToken: z.string().optional(),
  managerUrl: z.string().url().optional(),
  resultsUrl: z.string().url().optional(),
  /** Kubernetes Secret (in the jobs' namespace) whose key `token` runner jobs get as BENCHOPS_TOKEN; `name` or `name:key`. */
  runnerTokenSecret: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[-._a-zA-Z0-9]+)?$/, 'must be a Secret name, optionally :key').optional(),
  deployerUrl: z.string().url().optional(),
  vllmUrl: z.string().url().optional(),
  mlflowUrl: z.string().url().optional(),
  /** MLflow integration (src/services/mlflow): the tracking server whose Model Registry is polled, and its token. */
  mlflowTrackingUri: z.string().url().optional(),
  mlflowToken: z.string().optional(),
  mlflowPollSeconds: z.coerce.number().positive().default(60),
  /** Which version of each registered model counts: latest (creation time) | alias:<name> | stage:<name>. */
  mlflowSelect: z.string().regex(/^(latest|alias:[A-Za-z0-9_.-]+|stage:[A-Za-z]+)$/, 'must be latest, alias:<name> or stage:<name>').default('latest'),
  mlflowEngines: z.enum(['vllm', 'tensorrt-llm', 'all']).default('vllm'),
  mlflowWebhookSecret: z.string().min(16).optional(),
  /** Where values files are written: a GitHub repository URL (contents API) or any git URL (commit and push). */
  mlflowGitUrl: z.string().optional(),
  mlflowGitBranch: z.string().regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/, 'must be a branch name').default('main'),
  mlflowGitToken: z.string().optional(),
  mlflowBranchPerVersion: bool.default(false),
  mlflowArgocd: bool.default(false),
  mlflowTemplate: z.string().optional(),
  mlflowEngineUrl: z.string().optional(),
  mlflowEvaluate: bool.default(true),
  evalUrl: z.string().url().optional(),
  /** The evaluation job template when a request names none: `<project id>:<job file>[:<config file>]`. */
  evalTemplate: z.string().regex(/^[^:\s]+:[^:]+(:[^:]+)?$/, 'must be <project id>:<job file>[:<config file>]').optional(),
  /** How long an evaluation waits for its engine to list the model before it fails (the job is then never submitted). */
  evalReadyTimeoutSeconds: z.coerce.number().int().positive().default(1800),
  /** At most this many evaluations wait for their engines at once (POST /evaluate answers 429 beyond). */
  evalMaxWaiting: z.coerce.number().int().positive().default(500),
  /** Evaluations one replica steps at once (readiness probes and deployer calls in flight). */
  evalConcurrency: z.coerce.number().int().positive().max(256).default(16),
  /** Shortest time between two ticks of an evaluation schedule. */
  evalMinIntervalSeconds: z.coerce.number().int().positive().default(60),
  workflowsUrl: z.string().url().optional(),
  /** How long a local job process or emulated vLLM server outlives a platform that stopped touching its heartbeat. */
  orphanGraceSeconds: z.coerce.number().positive().optional(),
  /** Devices of the built-in `local` cluster's node (vLLM service), e.g. `H100-80G:2`; default one CPU. */
  localDevices: z.string().optional(),
  /** vLLM projects the Git follower follows from the start: `<project_id>[@<cluster_id>]`, comma-separated. */
  vllmFollow: z.string().optional(),
});

export type Config = Omit<z.infer<typeof schema>, 'ports'> & {
  ports: Record<ServiceName | 'gateway', number>;
  /** Absolute data folder. */
  dataDir: string;
};

/** Environment variable → config key; the README's configuration table lists the same names. */
export const ENV_KEYS: Record<string, string> = {
  BENCHOPS_HOST: 'host',
  BENCHOPS_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  BENCHOPS_LOG_LEVEL: 'logLevel',
  BENCHOPS_TOKENS: 'tokens',
  BENCHOPS_TOKENS_FILE: 'tokensFile',
  BENCHOPS_SECRET_KEY: 'secretKey',
  BENCHOPS_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  BENCHOPS_DEMO: 'demo',
  BENCHOPS_EXECUTOR: 'executor',
  BENCHOPS_NAMESPACE: 'namespace',
  BENCHOPS_POLL_TICK_SECONDS: 'pollTickSeconds',
  BENCHOPS_JOB_TIMEOUT_SECONDS: 'jobTimeoutSeconds',
  BENCHOPS_VLLM_READY_TIMEOUT_SECONDS: 'vllmReadyTimeoutSeconds',
  BENCHOPS_GITHUB_API_URL: 'githubApiUrl',
  GITHUB_TOKEN: 'githubToken',
  BENCHOPS_MANAGER_URL: 'managerUrl',
  BENCHOPS_RESULTS_URL: 'resultsUrl',
  BENCHOPS_RUNNER_TOKEN_SECRET: 'runnerTokenSecret',
  BENCHOPS_DEPLOYER_URL: 'deployerUrl',
  BENCHOPS_VLLM_URL: 'vllmUrl',
  BENCHOPS_MLFLOW_URL: 'mlflowUrl',
  BENCHOPS_MLFLOW_TRACKING_URI: 'mlflowTrackingUri',
  BENCHOPS_MLFLOW_TOKEN: 'mlflowToken',
  BENCHOPS_MLFLOW_POLL_SECONDS: 'mlflowPollSeconds',
  BENCHOPS_MLFLOW_SELECT: 'mlflowSelect',
  BENCHOPS_MLFLOW_ENGINES: 'mlflowEngines',
  BENCHOPS_MLFLOW_WEBHOOK_SECRET: 'mlflowWebhookSecret',
  BENCHOPS_MLFLOW_GIT_URL: 'mlflowGitUrl',
  BENCHOPS_MLFLOW_GIT_BRANCH: 'mlflowGitBranch',
  BENCHOPS_MLFLOW_GIT_TOKEN: 'mlflowGitToken',
  BENCHOPS_MLFLOW_BRANCH_PER_VERSION: 'mlflowBranchPerVersion',
  BENCHOPS_MLFLOW_ARGOCD: 'mlflowArgocd',
  BENCHOPS_MLFLOW_TEMPLATE: 'mlflowTemplate',
  BENCHOPS_MLFLOW_ENGINE_URL: 'mlflowEngineUrl',
  BENCHOPS_MLFLOW_EVALUATE: 'mlflowEvaluate',
  BENCHOPS_EVAL_URL: 'evalUrl',
  BENCHOPS_EVAL_TEMPLATE: 'evalTemplate',
  BENCHOPS_EVAL_READY_TIMEOUT_SECONDS: 'evalReadyTimeoutSeconds',
  BENCHOPS_EVAL_MAX_WAITING: 'evalMaxWaiting',
  BENCHOPS_EVAL_CONCURRENCY: 'evalConcurrency',
  BENCHOPS_EVAL_MIN_INTERVAL_SECONDS: 'evalMinIntervalSeconds',
  BENCHOPS_WORKFLOWS_URL: 'workflowsUrl',
  BENCHOPS_ORPHAN_GRACE_SECONDS: 'orphanGraceSeconds',
  BENCHOPS_LOCAL_DEVICES: 'localDevices',
  BENCHOPS_VLLM_FOLLOW: 'vllmFollow',
};

/** Reads and validates the configuration; throws an Error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, any> = {};
  if (env.BENCHOPS_CONFIG_FILE) {
    Object.assign(raw, JSON.parse(readFileSync(env.BENCHOPS_CONFIG_FILE, 'utf8')));
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const ports: Record<string, string | number> = { ...(raw.ports ?? {}) };
  for (const svc of Object.keys(DEFAULT_PORTS)) {
    const v = env[`BENCHOPS_${svc.toUpperCase()}_PORT`];
    if (v !== undefined && v !== '') ports[svc] = v;
  }
  raw.ports = ports;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data as Config;
  cfg.dataDir = path.resolve(cfg.dataDir);
  return cfg;
}

/** True when `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
