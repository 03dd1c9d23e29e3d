/**
 * Kubernetes-valid names for any MLflow model name (`org/model`, spaces, dots, unicode). The earlier service pasted the
 * raw name into Git paths and hostnames (reference-behaviour §9.1.11, §9.2.9); here one function decides the name that
 * the values file, the release (`fullnameOverride`), the Argo CD Application and the engine URL all use.
 */
import { createHash } from 'node:crypto';

/** Longest base so that `tensorrt-llm-<base>-sa` still fits a 63-character DNS label. */
export const MAX_BASE = 47;
export const ENGINES = ['vllm', 'tensorrt-llm'] as const;
export type Engine = (typeof ENGINES)[number];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for an RFC 1123 label (what Services, releases and Applications need). */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

/**
 * The model's Kubernetes name: lower case, runs of other characters become `-`. When characters other than letters,
 * digits and `-` were replaced (or the name was cut), a short hash of the raw name is appended, so `org/model` and
 * `org-model` never share a release.
 */
export function k8sName(modelName: string): string {
  let base = modelName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const lossy = /[^A-Za-z0-9-]/.test(modelName) || base.length > MAX_BASE || base === '' || /^-|-$|--/.test(modelName);
  if (!lossy) return base;
  const hash = createHash('sha256').update(modelName).digest('hex').slice(0, 6);
  base = base.slice(0, MAX_BASE - 7).replace(/-+$/, '');
  return base ? `${base}-${hash}` : `m-${hash}`;
}

/** Release / Deployment / Application name of one engine for one model. */
export function releaseName(engine: Engine, modelName: string): string {
  return `${engine}-${k8sName(modelName)}`;
}

/** Branch name for the PR-style flow (one branch per version). */
export function versionBranch(modelName: string, version: string): string {
  return `mlflow/${k8sName(modelName)}-v${String(version).replace(/[^A-Za-z0-9.-]/g, '-')}`;
}

/** Engines the configuration names (`all` = both). */
export function enginesOf(setting: string): Engine[] {
  return setting === 'all' ? [...ENGINES] : ENGINES.includes(setting as Engine) ? [setting as Engine] : ['vllm'];
}
