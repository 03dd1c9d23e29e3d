/**
 * The integration's effective settings: the environment (src/core/config.ts, README "MLflow integration") overridden by
 * what an admin stored with `PUT /settings`. Stored secrets (MLflow token, Git token, webhook secret) are sealed with
 * ctx.secrets and only ever said back as set / not set.
 */
import { z } from 'zod';
import type { Config } from '../../core/config.ts';
import { unprocessable } from '../../core/errors.ts';
import type { SecretBox } from '../../core/secrets.ts';
import type { MlflowRepository } from './repository.ts';

export const SECRET_FIELDS = ['mlflow_token', 'git_token', 'webhook_secret'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

const k8sLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes name (lower case, digits, -)').max(63);
const relPath = z
  .string()
  .min(1)
  .max(300)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path without ..');
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');
const gitUrl = z
  .string()
  .min(1)
  .max(2000)
  .refine((u) => /^(https?|git|ssh|file):\/\//i.test(u) || /^[\w.-]+@[\w.-]+:/.test(u), 'must be an http(s), git, ssh or file URL');

/** What `PUT /settings` accepts (every field optional; a secret set to null is removed). */
export const settingsInput = z
  .object({
    tracking_uri: httpUrl.nullable(),
    select: z.string().regex(/^(latest|alias:[A-Za-z0-9_.-]+|stage:[A-Za-z]+)$/, 'must be latest, alias:<name> or stage:<name>'),
    engines: z.enum(['vllm', 'tensorrt-llm', 'all']),
    poll_seconds: z.number().min(1).max(86_400),
    git_url: gitUrl.nullable(),
    git_branch: z.string().regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/, 'must be a branch name').max(200),
    branch_per_version: z.boolean(),
    values_path: relPath,
    template: z.string().max(500).nullable(),
    argocd: z.boolean(),
    argocd_project: k8sLabel,
    argocd_namespace: k8sLabel,
    argocd_chart_path: relPath,
    argocd_dir: relPath,
    engine_namespace: k8sLabel,
    engine_url: z.string().max(500).nullable(),
    evaluate: z.boolean(),
    eval_template: z.string().max(500).nullable(),
    eval_delay_seconds: z.number().int().min(0).max(86_400),
    mlflow_token: z.string().min(1).max(10_000).nullable(),
    git_token: z.string().min(1).max(10_000).nullable(),
    webhook_secret: z.string().min(16).max(10_000).nullable(),
  })
  .partial()
  .strict();
export type SettingsInput = z.infer<typeof settingsInput>;

export interface Settings {
  tracking_uri?: string;
  select: string;
  engines: 'vllm' | 'tensorrt-llm' | 'all';
  poll_seconds: number;
  git_url?: string;
  git_branch: string;
  branch_per_version: boolean;
  /** Folder of the values files (`{engine}` is replaced): `<values_path>/<k8s name>.yaml`. */
  values_path: string;
  template?: string;
  argocd: boolean;
  argocd_project: string;
  argocd_namespace: string;
  argocd_chart_path: string;
  argocd_dir: string;
  engine_namespace: string;
  /** Engine URL pattern with `{release}`, `{namespace}`; default: the gateway in embedded mode, the Service otherwise. */
  engine_url?: string;
  evaluate: boolean;
  eval_template?: string;
  /**
   * Wait before the evaluation's first readiness probe: behind one name (the gateway's model list, or the release's
   * Service) the previous version's engine answers until the rollout replaced it.
   */
  eval_delay_seconds: number;
  mlflow_token?: string;
  git_token?: string;
  webhook_secret?: string;
}

/** Settings from the environment alone. */
export function envSettings(c: Config): Settings {
  return {
    tracking_uri: c.mlflowTrackingUri,
    select: c.mlflowSelect,
    engines: c.mlflowEngines,
    poll_seconds: c.mlflowPollSeconds,
    git_url: c.mlflowGitUrl,
    git_branch: c.mlflowGitBranch,
    branch_per_version: c.mlflowBranchPerVersion,
    values_path: '{engine}',
    template: c.mlflowTemplate,
    argocd: c.mlflowArgocd,
    argocd_project: 'benchops-models',
    argocd_namespace: 'argocd',
    argocd_chart_path: 'charts/{engine}',
    argocd_dir: 'argocd',
    engine_namespace: c.namespace,
    engine_url: c.mlflowEngineUrl,
    evaluate: c.mlflowEvaluate,
    eval_delay_seconds: 0,
    mlflow_token: c.mlflowToken,
    git_token: c.mlflowGitToken ?? c.githubToken,
    webhook_secret: c.mlflowWebhookSecret,
  };
}

/** Reads and writes the stored overrides; `effective()` is what a poll uses (read from the database each time). */
export class SettingsStore {
  constructor(
    private readonly config: Config,
    private readonly repo: MlflowRepository,
    private readonly box: SecretBox,
  ) {}

  async effective(): Promise<Settings> {
    const base = envSettings(this.config);
    const stored = await this.repo.loadSettings();
    if (!stored) return base;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(stored.settings)) out[k] = v === null ? undefined : v;
    for (const [k, sealed] of Object.entries(stored.secrets)) {
      try {
        out[k] = this.box.decrypt(sealed);
      } catch {
        out[k] = undefined; // a rotated key: the secret reads as unset rather than failing every poll
      }
    }
    return out as unknown as Settings;
  }

  /** Applies a validated change; secrets are sealed before they are stored. */
  async update(input: SettingsInput): Promise<Settings> {
    const stored = (await this.repo.loadSettings()) ?? { settings: {}, secrets: {} };
    const settings = { ...stored.settings };
    const secrets = { ...stored.secrets };
    for (const [k, v] of Object.entries(input)) {
      if ((SECRET_FIELDS as readonly string[]).includes(k)) {
        if (v === null) delete secrets[k];
        else secrets[k] = this.box.encrypt(String(v));
      } else settings[k] = v;
    }
    const next = { ...envSettings(this.config), ...settings } as Record<string, unknown>;
    if (next.template && typeof next.template === 'string' && !/^[^:\s]+(:.+)?$/.test(next.template)) {
      throw unprocessable(['body', 'template'], 'must be <project_id> or <project_id>:<path>');
    }
    await this.repo.saveSettings(settings, secrets);
    return this.effective();
  }
}

/** The settings as a response: secrets only as set / not set, the Git URL without credentials. */
export function publicSettings(s: Settings): Record<string, unknown> {
  const { mlflow_token, git_token, webhook_secret, ...rest } = s;
  return {
    ...rest,
    git_url: rest.git_url ? rest.git_url.replace(/\/\/[^/@\s]*@/g, '//') : null,
    tracking_uri: rest.tracking_uri ? rest.tracking_uri.replace(/\/\/[^/@\s]*@/g, '//') : null,
    secrets: { mlflow_token: !!mlflow_token, git_token: !!git_token, webhook_secret: !!webhook_secret },
  };
}
