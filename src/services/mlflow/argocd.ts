/**
 * Argo CD manifests for a model's engine, built as objects (the earlier service filled YAML templates with
 * `str.format`, which broke on braces and let names inject YAML, §9.1.9): an `AppProject` that only allows the values
 * repository and the engine namespace, with no cluster-scoped resources, and an `Application` per (engine, model)
 * that renders the chart with the values file written beside it, synced automatically with prune and self-heal.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import { releaseName, type Engine } from './names.ts';

export interface ArgoSettings {
  /** Repository URL Argo CD reads (the values repository, without credentials). */
  repoUrl: string;
  /** Branch the Application tracks. */
  targetRevision: string;
  project: string;
  /** Namespace Argo CD runs in (Applications live there). */
  argoNamespace: string;
  /** Namespace the engines are deployed into. */
  engineNamespace: string;
  /** Chart folder in the repository (`{engine}` is replaced). */
  chartPath: string;
  /** Folder for the manifests: `<dir>/projects/<project>.yaml`, `<dir>/applications/<app>.yaml`. */
  dir: string;
}

export interface ArgoFile {
  path: string;
  content: string;
  manifest: Record<string, any>;
}

const DEST_SERVER = 'https://kubernetes.default.svc';

/** The AppProject manifest (one per project name). */
export function appProject(s: ArgoSettings): ArgoFile {
  const manifest = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: s.project, namespace: s.argoNamespace },
    spec: {
      description: 'Model engines written by the BenchOps MLflow integration',
      sourceRepos: [s.repoUrl],
      destinations: [{ server: DEST_SERVER, namespace: s.engineNamespace }],
      // least privilege: engines need namespaced objects only
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
  return { path: `${s.dir}/projects/${s.project}.yaml`, content: stringify(manifest, { lineWidth: 0 }), manifest };
}

/** The Application manifest for one engine of one model; `valuesPath` is the values file's path in the repository. */
export function application(s: ArgoSettings, engine: Engine, modelName: string, version: string, valuesPath: string): ArgoFile {
  const name = releaseName(engine, modelName);
  const chartPath = s.chartPath.replaceAll('{engine}', engine);
  const manifest = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: s.argoNamespace,
      labels: { 'app.kubernetes.io/managed-by': 'benchops-mlflow', 'benchops.io/engine': engine },
      // annotations carry the raw MLflow name (labels cannot hold `/` or spaces)
      annotations: { 'benchops.io/mlflow-model': modelName, 'benchops.io/mlflow-version': String(version) },
    },
    spec: {
      project: s.project,
      source: {
        repoURL: s.repoUrl,
        targetRevision: s.targetRevision,
        path: chartPath,
        helm: { releaseName: name, valueFiles: [path.posix.relative(chartPath, valuesPath)] },
      },
      destination: { server: DEST_SERVER, namespace: s.engineNamespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  };
  return { path: `${s.dir}/applications/${name}.yaml`, content: stringify(manifest, { lineWidth: 0 }), manifest };
}
