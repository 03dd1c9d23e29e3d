/**
 * Which repository files a project syncs: `config_folder/<benchmark_type>/*.json|yaml|yml` (config),
 * `job_folder/<benchmark_type>/*.yaml|yml` (job), and `custom-values*.yaml` directly under `vllm_values_path` (vllm projects).
 * When the config and job folders are the same, YAML files are jobs and JSON files configs (the earlier behaviour).
 */
import type { FileType } from './api.ts';

export interface LayoutSettings {
  projectType: string;
  configFolder: string;
  jobFolder: string;
  vllmValuesPath: string;
}

export interface Selected {
  path: string;
  fileType: FileType;
  benchmarkType: string;
}

/** Folder name directly containing `path` ("" at the root). */
export function parentFolder(path: string): string {
  const segs = path.split('/');
  return segs.length > 1 ? segs[segs.length - 2] : '';
}

export function baseName(path: string): string {
  const segs = path.split('/');
  return segs[segs.length - 1];
}

/** `<folder>/<bt>/<name>` → [bt, name] when `path` sits exactly one level below `folder`. */
function underTypeFolder(path: string, folder: string): [string, string] | null {
  const prefix = folder ? `${folder}/` : '';
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length).split('/');
  if (rest.length !== 2 || !rest[0] || !rest[1]) return null;
  return [rest[0], rest[1]];
}

/** Classifies one repository path, or null when the project does not sync it. */
export function classify(path: string, s: LayoutSettings): Selected | null {
  if (s.projectType === 'vllm') {
    const prefix = s.vllmValuesPath ? `${s.vllmValuesPath}/` : '';
    if (!path.startsWith(prefix)) return null;
    const name = path.slice(prefix.length);
    if (name.includes('/') || !name.startsWith('custom-values') || !name.endsWith('.yaml')) return null;
    return { path, fileType: 'vllm', benchmarkType: parentFolder(path) };
  }
  const job = underTypeFolder(path, s.jobFolder);
  if (job && /\.ya?ml$/i.test(job[1])) return { path, fileType: 'job', benchmarkType: job[0] };
  const cfg = underTypeFolder(path, s.configFolder);
  if (cfg && /\.(json|ya?ml)$/i.test(cfg[1])) return { path, fileType: 'config', benchmarkType: cfg[0] };
  return null;
}

/** Folders a listing must cover (used to prune recursive listings). */
export function rootsOf(s: LayoutSettings): string[] {
  if (s.projectType === 'vllm') return [s.vllmValuesPath];
  return s.configFolder === s.jobFolder ? [s.configFolder] : [s.configFolder, s.jobFolder];
}
