/**
 * Kubernetes client configuration, shared by the deployer and the vLLM service: an explicit kubeconfig (YAML/JSON
 * text or a file path), else `BENCHOPS_KUBECONFIG` (text or path), else `KUBECONFIG` (path), else the in-cluster
 * service account, else `~/.kube/config`.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigSource {
  /** Kubeconfig content (YAML or JSON) or a path to a kubeconfig file. */
  kubeconfig?: string;
  /** Kubernetes context to use instead of the file's current context. */
  context?: string;
  env?: NodeJS.ProcessEnv;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** True when the text is a kubeconfig document rather than a file path. */
function looksLikeContent(s: string): boolean {
  return /\n/.test(s) || /^\s*[{]/.test(s) || /apiVersion\s*:|clusters\s*:/.test(s);
}

/** Where the configuration came from (for /health and logs; never the content). */
export type KubeConfigOrigin = 'content' | 'file' | 'in-cluster' | 'default';

/** Loads a KubeConfig; throws an Error saying what was tried when nothing is usable. */
export function loadKubeConfig(src: KubeConfigSource = {}): { kc: KubeConfig; origin: KubeConfigOrigin; file?: string } {
  const env = src.env ?? process.env;
  const kc = new KubeConfig();
  const explicit = src.kubeconfig ?? env.BENCHOPS_KUBECONFIG;
  let origin: KubeConfigOrigin;
  let file: string | undefined;
  if (explicit && looksLikeContent(explicit)) {
    kc.loadFromString(explicit);
    origin = 'content';
  } else if (explicit) {
    if (!existsSync(explicit)) throw new Error(`kubeconfig file not found: ${explicit}`);
    kc.loadFromFile(explicit);
    origin = 'file';
    file = explicit;
  } else if (env.KUBECONFIG) {
    file = env.KUBECONFIG.split(path.delimiter).find((f) => f && existsSync(f));
    if (!file) throw new Error(`KUBECONFIG names no existing file: ${env.KUBECONFIG}`);
    kc.loadFromFile(file);
    origin = 'file';
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
    kc.loadFromCluster();
    origin = 'in-cluster';
  } else {
    const def = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
    if (!existsSync(def)) {
      throw new Error(
        'No Kubernetes configuration: set BENCHOPS_KUBECONFIG (content or path) or KUBECONFIG, run in a cluster, ' +
          `or create ${def}`,
      );
    }
    kc.loadFromFile(def);
    origin = 'default';
    file = def;
  }
  if (src.context) kc.setCurrentContext(src.context);
  if (!kc.getCurrentCluster()) throw new Error('The kubeconfig has no current cluster (set current-context)');
  return { kc, origin, file };
}

/** A kubeconfig YAML for a plain server URL with a bearer token (test doubles, port-forwards). */
export function kubeconfigFor(server: string, token = 'benchops'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: c\n  cluster:\n    server: ${JSON.stringify(server)}\n    insecure-skip-tls-verify: true`,
    'users:',
    `- name: u\n  user:\n    token: ${JSON.stringify(token)}`,
    'contexts:',
    '- name: c\n  context:\n    cluster: c\n    user: u',
    'current-context: c',
    '',
  ].join('\n');
}
