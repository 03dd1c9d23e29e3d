/**
 * The evaluation job template: a job file of a BenchOps project (synced from Git by the manager), resolved and
 * checked when an evaluation is asked for, so a bad reference is a 422 at once and not a failure an hour later. The
 * placeholders are filled by the deployer's `/run` inside the parsed YAML (never on the text); this module builds the
 * values and says back which placeholders stay unfilled and which overrides the template never uses.
 */
import { isAppError, unprocessable } from '../../core/errors.ts';
import { parseYamlAll, SafeParseError } from '../../core/parse.ts';
import type { ManagerApi, ProjectFile } from '../manager/api.ts';
import type { TemplateRef } from './api.ts';

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_.-]{0,63})\}/g;
const OVERRIDE_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const MAX_OVERRIDES = 50;
export const MAX_OVERRIDE_CHARS = 4096;

/** Placeholders every template may use (the earlier service's three, the seed's `{vllm-url}`, and two more). */
export const BUILTIN_PLACEHOLDERS = ['model_name', 'model_name_lower', 'served_model_name', 'inference_engine_url', 'vllm-url', 'evaluation_id'];

/** The demo project's task evaluation: the default template in embedded mode with the demo on. */
export const DEMO_TEMPLATE = 'demo:job/custom-task/benchops-task-eval-job.yaml:config/custom-task/custom_task.json';

/** Parses the string form `<project>:<job file>[:<config file>]` (project id or name), or `<job file>` of the default project. */
export function parseTemplateString(s: string, fallbackProject: string | undefined, field: (string | number)[]): TemplateRef {
  const parts = s.split(':').map((x) => x.trim());
  if (parts.some((p) => !p) || parts.length > 3) {
    throw unprocessable(field, 'must be "<project id>:<job file>[:<config file>]" or a job file of the default project');
  }
  if (parts.length === 1) {
    if (!fallbackProject) throw unprocessable(field, 'names no project, and BENCHOPS_EVAL_TEMPLATE (the default project) is not set');
    return { project_id: fallbackProject, job_file: parts[0] };
  }
  return { project_id: parts[0], job_file: parts[1], ...(parts[2] ? { config_file: parts[2] } : {}) };
}

/** The template a request names (string or object), else the configured default; 422 on `field` when there is none. */
export function templateRefOf(given: string | TemplateRef | undefined, defaultTemplate: string | undefined, field: (string | number)[]): TemplateRef {
  const fallback = defaultTemplate ? parseTemplateString(defaultTemplate, undefined, ['config', 'BENCHOPS_EVAL_TEMPLATE']) : undefined;
  if (given === undefined) {
    if (!fallback) throw unprocessable(field, 'no template given and BENCHOPS_EVAL_TEMPLATE is not set');
    return fallback;
  }
  if (typeof given === 'string') return parseTemplateString(given, fallback?.project_id, field);
  return given;
}

/** Finds a project file by id, else by path (the Git original first: the template is what Git holds). */
async function findFile(manager: ManagerApi, projectId: string, ref: string, type: 'job' | 'config', field: (string | number)[]): Promise<ProjectFile> {
  const files = await manager.listFiles(projectId, { file_type: type });
  const byId = files.find((f) => f.file_id === ref);
  const byPath = files.filter((f) => f.file_path === ref || f.file_path === ref.replace(/^\/+/, ''));
  const f = byId ?? byPath.find((x) => x.source === 'original') ?? byPath[0];
  if (!f) throw unprocessable(field, `no ${type} file "${ref}" in project ${projectId} (${files.length} ${type} files)`);
  return f;
}

export interface ResolvedTemplate {
  ref: TemplateRef;
  jobFileId: string;
  configFileId?: string;
  benchmarkType: string;
  /** Placeholders the job file uses. */
  placeholders: string[];
}

/**
 * Resolves a template against the manager and checks it: the project exists, the job file parses (multi-document
 * allowed) and holds exactly one Job. 422 naming `field` otherwise; a manager that cannot be reached stays a 503.
 */
export async function resolveTemplate(
  manager: ManagerApi,
  ref: TemplateRef,
  field: (string | number)[],
  projectsNamed?: (name: string) => Promise<string[]>,
): Promise<ResolvedTemplate> {
  const found = await manager.getProject(ref.project_id).then(
    () => true,
    (e) => {
      if (isAppError(e) && e.status === 404) return false;
      throw e;
    },
  );
  if (!found) {
    // not an id: a project name (the demo project is "demo"), when exactly one project has it
    const ids = projectsNamed ? await projectsNamed(ref.project_id) : [];
    if (ids.length > 1) throw unprocessable([...field, 'project_id'], `${ids.length} projects are named ${ref.project_id}: give the project id`);
    if (!ids.length) throw unprocessable([...field, 'project_id'], `project ${ref.project_id} not found (neither an id nor a name)`);
    ref = { ...ref, project_id: ids[0] };
  }
  const job = await findFile(manager, ref.project_id, ref.job_file, 'job', [...field, 'job_file']);
  const config = ref.config_file ? await findFile(manager, ref.project_id, ref.config_file, 'config', [...field, 'config_file']) : undefined;
  let docs: unknown[];
  try {
    docs = parseYamlAll(job.content);
  } catch (e) {
    if (e instanceof SafeParseError) throw unprocessable([...field, 'job_file'], `${job.file_path} is not valid YAML: ${e.message}`);
    throw e;
  }
  const jobs = docs.filter((d) => d && typeof d === 'object' && (d as { kind?: unknown }).kind === 'Job');
  if (jobs.length !== 1) throw unprocessable([...field, 'job_file'], `${job.file_path} must hold exactly one Job (found ${jobs.length})`);
  return {
    ref: { ...ref, job_file: job.file_path, ...(config ? { config_file: config.file_path } : {}) },
    jobFileId: job.file_id,
    configFileId: config?.file_id,
    benchmarkType: ref.benchmark_type ?? job.benchmark_type ?? 'evaluation',
    placeholders: placeholdersIn(docs),
  };
}

/** The `{name}` placeholders inside a parsed document's string values (keys are not templated). */
export function placeholdersIn(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') for (const m of v.matchAll(PLACEHOLDER)) found.add(m[1]);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return [...found].sort();
}

/** Checks overrides (flat scalars under placeholder-like keys) and returns them as strings; 422 on `field.<key>`. */
export function checkOverrides(o: Record<string, unknown> | undefined, field: (string | number)[]): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(o ?? {});
  if (entries.length > MAX_OVERRIDES) throw unprocessable(field, `at most ${MAX_OVERRIDES} overrides`);
  for (const [k, v] of entries) {
    if (!OVERRIDE_KEY.test(k)) throw unprocessable([...field, k], 'override names are letters, digits, _ . - (a placeholder {name})');
    if (BUILTIN_PLACEHOLDERS.includes(k)) throw unprocessable([...field, k], `{${k}} is filled by the service from the request`);
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw unprocessable([...field, k], 'must be a string, number or boolean');
    const s = String(v);
    if (s.length > MAX_OVERRIDE_CHARS) throw unprocessable([...field, k], `at most ${MAX_OVERRIDE_CHARS} characters`);
    out[k] = s;
  }
  return out;
}

/** A model name as a Kubernetes-friendly word (the earlier service's `{model_name}`): `_` and `.` become `-`. */
export function k8sModelWord(model: string): string {
  return model.replace(/[_.]/g, '-');
}

/** The placeholder values of one evaluation (deployer `/run` substitutions: `{key}` → value). */
export function substitutions(evaluationId: string, model: string, url: string, overrides: Record<string, string>): Record<string, string> {
  const m = k8sModelWord(model);
  const values: Record<string, string> = {
    model_name: m,
    model_name_lower: m.toLowerCase(),
    served_model_name: model,
    inference_engine_url: url,
    'vllm-url': url,
    evaluation_id: evaluationId,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`{${k}}`, v]));
}

/** What is said back: placeholders nothing fills (left as written) and overrides the template never uses. */
export function templateWarnings(placeholders: string[], overrides: Record<string, string>): string[] {
  const warnings: string[] = [];
  const known = new Set([...BUILTIN_PLACEHOLDERS, ...Object.keys(overrides)]);
  const unfilled = placeholders.filter((p) => !known.has(p));
  if (unfilled.length) warnings.push(`the template's placeholders ${unfilled.map((p) => `{${p}}`).join(', ')} have no value and stay as written`);
  const unused = Object.keys(overrides).filter((k) => !placeholders.includes(k));
  if (unused.length) warnings.push(`overrides ${unused.join(', ')} are not used by the template (it has no such placeholder)`);
  return warnings;
}
