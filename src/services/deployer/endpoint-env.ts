/**
 * Points a job at the model it evaluates: every variable of a known endpoint, model or results family that a container
 * already declares is rewritten in the form it uses (a base URL, a `/v1` URL, a `/v1/completions` URL…), so an image
 * that reads `API_BASE` or `VLLM_ENDPOINT` instead of `VLLM_MODEL_ENDPOINT` does not silently evaluate the model its
 * manifest was written for. Per-job annotations opt out or name extra variables; every rewrite is reported.
 */
import { badRequest } from '../../core/errors.ts';

/** Variables that hold the model server's URL (earlier images, OpenAI SDKs, lm-eval and friends). */
export const ENDPOINT_VARS = [
  'VLLM_MODEL_ENDPOINT', 'VLLM_ENDPOINT', 'VLLM_URL', 'VLLM_BASE_URL', 'VLLM_API_BASE', 'VLLM_API_URL',
  'MODEL_ENDPOINT', 'MODEL_URL', 'MODEL_API_BASE', 'API_BASE', 'API_BASE_URL', 'BASE_URL',
  'OPENAI_API_BASE', 'OPENAI_BASE_URL', 'OPENAI_API_URL', 'OPENAI_ENDPOINT',
  'INFERENCE_ENDPOINT', 'INFERENCE_ENGINE_URL', 'LLM_ENDPOINT', 'LLM_API_BASE', 'LLM_BASE_URL',
];
/** Variables that name the model a request sends (`model`): the served name. */
export const SERVED_MODEL_VARS = ['SERVED_MODEL_NAME', 'SERVED_MODEL', 'OPENAI_MODEL', 'OPENAI_MODEL_NAME', 'VLLM_MODEL', 'MODEL'];
/** Variables that name the model itself (Hugging Face id or path; tokenizer): the full name. */
export const FULL_MODEL_VARS = ['MODEL_NAME', 'MODEL_ID', 'VLLM_MODEL_NAME', 'HF_MODEL', 'HF_MODEL_ID', 'TOKENIZER', 'TOKENIZER_NAME'];
/** Variables that held the earlier results service's URL (`http://model-benchmark-backend-svc:8000`). */
export const RESULTS_VARS = ['BACKEND_API', 'BACKEND_URL', 'BACKEND_API_URL', 'RESULTS_URL', 'RESULTS_API', 'RESULTS_API_URL'];

export const ANNOTATION_ENDPOINT_ENV = 'benchops.io/endpoint-env';
export const ANNOTATION_MODEL_ENV = 'benchops.io/model-env';
export const ANNOTATION_RESULTS_ENV = 'benchops.io/results-env';

/** VLLM_MODEL_ENDPOINT is seed 000's own variable: set in every container even when not declared. */
export const SEED_ENDPOINT_VAR = 'VLLM_MODEL_ENDPOINT';

export type Family = 'endpoint' | 'model' | 'results';

/** One rewritten variable, as the run reports it (URLs without credentials). */
export interface EnvRewrite {
  container: string;
  name: string;
  family: Family;
  /** The value the job file declared ('' when it was empty or came from a valueFrom reference). */
  from: string;
  to: string;
}

export interface ModelNames {
  /** What the server answers to (`model` in requests). */
  served_model_name?: string;
  /** The model's own name (Hugging Face id or path), e.g. for tokenizers. */
  model_name?: string;
}

export interface RewriteInput {
  endpoint?: string;
  model?: ModelNames;
  resultsUrl?: string;
  /** Annotations of the Job and its pod template (the template's win). */
  annotations: Record<string, string>;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The names a family rewrites after its annotation: `off`, or `NAME` to add and `-NAME` to skip, comma-separated. */
export function familyNames(base: string[], annotations: Record<string, string>, key: string): { names: Set<string>; off: boolean } {
  const raw = annotations[key];
  const names = new Set(base);
  if (raw === undefined) return { names, off: false };
  const text = String(raw).trim();
  if (/^(off|none|false|no)$/i.test(text)) return { names: new Set(), off: true };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const skip = part.startsWith('-');
    const name = skip ? part.slice(1) : part.replace(/^\+/, '');
    if (!VAR_NAME.test(name)) {
      throw badRequest(`Annotation ${key}: "${name.slice(0, 64)}" is not an environment variable name (use off, NAME or -NAME, comma-separated)`);
    }
    if (skip) names.delete(name);
    else names.add(name);
  }
  return { names, off: false };
}

/**
 * Splits an http(s) URL into its base (scheme, credentials, host, port, any path prefix before `/v1`) and the suffix
 * naming the API form: `/v1/completions`, `/v1/chat/completions`, `/v1`, or '' for a bare base URL.
 */
export function splitEndpoint(raw: string): { base: string; suffix: string } | undefined {
  const text = raw.trim();
  if (!/^https?:\/\/\S+$/i.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const path = url.pathname;
  const m = /^(.*?)(\/v1(?:\/chat\/completions|\/completions|\/embeddings)?\/?|\/(?:chat\/)?completions\/?)$/.exec(path);
  const prefix = (m ? m[1] : path).replace(/\/+$/, '');
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return { base: `${url.protocol}//${auth}${url.host}${prefix}`, suffix: m ? m[2] : '' };
}

/**
 * The target endpoint in the shape of the URL a container declared. A declared value that is not an http(s) URL
 * (empty, a placeholder) gives no shape: the OpenAI-style names get a `/v1` URL (their SDKs expect one), the earlier
 * vllm-benchmark names a base URL, the others the endpoint as given.
 */
export function inShapeOf(declared: string, target: string, name: string): string {
  const t = splitEndpoint(target);
  if (!t) return target;
  const d = splitEndpoint(declared);
  if (d) return `${t.base}${d.suffix}`;
  if (/OPENAI|API_BASE/.test(name)) return `${t.base}/v1`;
  if (name === 'VLLM_ENDPOINT' || name === 'VLLM_URL' || name === 'VLLM_BASE_URL') return t.base;
  return target;
}

/** A URL without user info, for reports and logs. */
export function withoutCredentials(v: string): string {
  return v.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

const isHttpUrl = (v: string) => /^https?:\/\//i.test(v.trim());
const refersToVars = (v: string) => /\$\([A-Za-z_][A-Za-z0-9_]*\)/.test(v);

/**
 * Rewrites the declared endpoint, model and results variables of every container (and init container) in place and
 * returns what changed plus warnings. Seed 000's VLLM_MODEL_ENDPOINT is set in every container: in the shape it was
 * declared in, or as given when it was not declared (or the job opted out).
 */
export function rewriteJobEnv(pod: any, input: RewriteInput): { rewrites: EnvRewrite[]; warnings: string[] } {
  const rewrites: EnvRewrite[] = [];
  const warnings: string[] = [];
  const endpoints = familyNames(ENDPOINT_VARS, input.annotations, ANNOTATION_ENDPOINT_ENV);
  const models = familyNames([...SERVED_MODEL_VARS, ...FULL_MODEL_VARS], input.annotations, ANNOTATION_MODEL_ENV);
  const results = familyNames(RESULTS_VARS, input.annotations, ANNOTATION_RESULTS_ENV);
  const isFull = (n: string) => FULL_MODEL_VARS.includes(n);
  const servedName = input.model?.served_model_name ?? input.model?.model_name;
  const fullName = input.model?.model_name ?? input.model?.served_model_name;

  const containers = [...(pod.containers ?? []), ...(Array.isArray(pod.initContainers) ? pod.initContainers : [])];
  for (const c of containers) {
    if (!Array.isArray(c.env)) c.env = [];
    const env: any[] = c.env;
    const cname = String(c.name);
    const record = (e: any, family: Family, to: string) => {
      const from = typeof e.value === 'string' ? e.value : '';
      if (from === to && !e.valueFrom) return;
      rewrites.push({ container: cname, name: e.name, family, from: withoutCredentials(from), to: withoutCredentials(to) });
      delete e.valueFrom;
      e.value = to;
    };
    const declaresServed = env.some((e) => models.names.has(e?.name) && !isFull(e.name));
    let seedSeen = false;
    for (const e of env) {
      if (!e || typeof e.name !== 'string') continue;
      const value = typeof e.value === 'string' ? e.value : '';
      if (e.name === SEED_ENDPOINT_VAR && input.endpoint) {
        // seed 000: the given endpoint replaces the declared one (in its declared shape unless the job opted out)
        if (seedSeen) continue;
        seedSeen = true;
        record(e, 'endpoint', endpoints.off || refersToVars(value) ? input.endpoint : inShapeOf(value, input.endpoint, e.name));
        continue;
      }
      // a value built from other variables ($(VLLM_MODEL_ENDPOINT)/v1) follows them; rewriting it would break that link
      if (refersToVars(value)) continue;
      if (input.endpoint && endpoints.names.has(e.name)) {
        record(e, 'endpoint', inShapeOf(value, input.endpoint, e.name));
      } else if (models.names.has(e.name) && servedName) {
        // MODEL_NAME is the tokenizer name next to a served-name variable, else it is what the image sends as `model`
        record(e, 'model', isFull(e.name) && declaresServed ? fullName! : servedName);
      } else if (results.names.has(e.name) && isHttpUrl(value)) {
        if (input.resultsUrl) record(e, 'results', input.resultsUrl.replace(/\/+$/, ''));
        else {
          warnings.push(
            `container "${cname}": ${e.name} points at ${withoutCredentials(value)} and BenchOps does not know its own results URL ` +
              '(set BENCHOPS_RESULTS_URL), so results posted there are not stored by BenchOps',
          );
        }
      }
    }
    // the seed's variable appears once per container: later duplicates would override the replaced entry
    if (seedSeen) c.env = env.filter((e, i) => e?.name !== SEED_ENDPOINT_VAR || i === env.findIndex((x) => x?.name === SEED_ENDPOINT_VAR));
    else if (input.endpoint) {
      c.env.push({ name: SEED_ENDPOINT_VAR, value: input.endpoint });
      rewrites.push({ container: cname, name: SEED_ENDPOINT_VAR, family: 'endpoint', from: '', to: withoutCredentials(input.endpoint) });
    }
    if (Array.isArray(c.envFrom) && c.envFrom.length && !endpoints.off) {
      warnings.push(`container "${cname}" takes variables from envFrom; endpoint or model variables defined there are not rewritten (declare them under env)`);
    }
    const modelVars = env.filter((e) => models.names.has(e?.name)).map((e) => e.name as string);
    if (input.endpoint && !servedName && modelVars.length) {
      warnings.push(
        `container "${cname}" names its model in ${modelVars.join(', ')}; the run gives an endpoint but no model name, so ` +
          `${modelVars.length > 1 ? 'they keep' : 'it keeps'} the job file's value (the BenchOps runner checks it against /v1/models; ` +
          'other images may ask for a model the endpoint does not serve)',
      );
    }
  }
  return { rewrites, warnings };
}
