/**
 * Engine processors: a parsed values template in, the model's values out (reference-behaviour §6.4 field mapping).
 * Two template shapes are read: the earlier umbrella chart (`vllm.vllm.*`, `vllm.fullnameOverride`,
 * `tensorrt-llm.tensorrtLLM.*`) and the chart the vLLM service reads directly (`vllm.*` at the top, `fullnameOverride`
 * at the root). Values are set inside the parsed document, never by string replacement, and the output is the same
 * bytes for the same version (the timestamp is the version's creation time), so an unchanged file is not rewritten.
 */
import { stringify } from 'yaml';
import { releaseName, k8sName, type Engine } from './names.ts';

export interface VersionFacts {
  modelName: string;
  version: string;
  runId: string;
  experimentId: string;
  /** MLflow `source` without a leading `models:/` (the earlier `global.modelid`). */
  modelId: string;
  /** Version creation time, ms since the epoch. */
  createdAt: number;
  /** Where the chart's eval hook may call (the earlier `vllm.vllm.evalEndpoint`). */
  evalEndpoint?: string;
}

export interface Rendered {
  values: Record<string, unknown>;
  text: string;
  warnings: string[];
}

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** `YYYYmmdd-HHMMSS` in UTC (the earlier format, without its local-time ambiguity). */
export function stamp(ms: number): string {
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Path the earlier charts mount model weights from. */
export const modelPath = (modelName: string) => `/data/local_models/${k8sName(modelName)}`;

function setGlobal(values: Obj, f: VersionFacts): void {
  if (!isObj(values.global)) values.global = {};
  Object.assign(values.global, {
    experimentId: f.experimentId,
    runid: f.runId,
    modelid: f.modelId,
    timestamp: stamp(f.createdAt),
    modelName: f.modelName,
    modelVersion: String(f.version),
  });
}

function processVllm(values: Obj, f: VersionFacts, warnings: string[]): void {
  const name = releaseName('vllm', f.modelName);
  const section = values.vllm;
  if (!isObj(section)) {
    warnings.push('template has no `vllm` mapping: only `global` was written');
    return;
  }
  if (isObj(section.vllm)) {
    // the earlier umbrella chart: the vLLM chart's values sit under `vllm:`
    if (f.evalEndpoint) section.vllm.evalEndpoint = f.evalEndpoint;
    section.vllm.model = modelPath(f.modelName);
    section.vllm.served_model_name = f.modelName;
    section.fullnameOverride = name;
    if (isObj(section.serviceAccount)) section.serviceAccount.name = `${name}-sa`;
    return;
  }
  // the chart read directly: `vllm.*` engine settings, release settings at the root
  section.model = modelPath(f.modelName);
  section.served_model_name = f.modelName;
  values.fullnameOverride = name;
  if (isObj(values.serviceAccount)) values.serviceAccount.name = `${name}-sa`;
}

function processTensorrt(values: Obj, f: VersionFacts, warnings: string[]): void {
  const name = releaseName('tensorrt-llm', f.modelName);
  const section = values['tensorrt-llm'];
  if (!isObj(section)) {
    warnings.push('template has no `tensorrt-llm` mapping: only `global` was written');
    return;
  }
  if (isObj(section.tensorrtLLM)) section.tensorrtLLM.modelPath = modelPath(f.modelName);
  section.fullnameOverride = name;
  if (isObj(section.serviceAccount)) section.serviceAccount.name = `${name}-sa`;
}

/** Applies the engine's processor to a copy of `template` and serialises it. */
export function renderValues(engine: Engine, template: unknown, f: VersionFacts): Rendered {
  const warnings: string[] = [];
  const values: Obj = isObj(template) ? structuredClone(template) : {};
  if (!isObj(template)) warnings.push('template is not a mapping: started from an empty document');
  setGlobal(values, f);
  if (engine === 'vllm') processVllm(values, f, warnings);
  else processTensorrt(values, f, warnings);
  const text = stringify(values, { lineWidth: 0, aliasDuplicateObjects: false });
  return { values, text, warnings };
}
