/**
 * Secrets of a vLLM request kept out of the clear records: the raw custom values text (it may carry `hfToken`, env
 * tokens), secret-looking environment values, and the job YAML texts the earlier UI sends with queue items. They are
 * sealed with the platform's SecretBox into one `secrets_enc` column beside the record; the stored config keeps only
 * the names (`kubernetes.sealed_env`), and a Kubernetes backend renders the values as a Secret the Deployment
 * references (never as a clear env value in a manifest).
 */
import type { SecretBox } from '../../core/secrets.ts';
import type { VllmConfig } from './models.ts';

export interface SealedSecrets {
  /** The custom values text the config was read from. */
  values?: string;
  /** Environment values rendered into the deployment's own Secret. */
  env?: Record<string, string>;
  /** Queue items: each benchmark config's `yaml_content`, by index. */
  job_yaml?: Record<string, string>;
}

/** Names whose values are credentials (HF_TOKEN, VLLM_API_KEY, AWS_SECRET_ACCESS_KEY…), not words like TOKENIZER. */
const SECRET_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASS|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)($|_)/i;

/** Whether an environment variable's value should be treated as a secret. */
export function isSecretEnvName(name: string): boolean {
  // words split the same way whatever the spelling: hfToken, hf-token, hf.token and HF_TOKEN are all HF + TOKEN
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-.\s]+/g, '_');
  return SECRET_NAME.test(words);
}

/**
 * Splits a resolved config into what may be stored in clear and what must be sealed: the custom values text and any
 * secret-looking `kubernetes.env` value. The returned config is a copy.
 */
export function splitSecrets(cfg: VllmConfig): { config: VllmConfig; secrets: SealedSecrets } {
  const config: VllmConfig = structuredClone(cfg);
  const secrets: SealedSecrets = {};
  if (config.custom_values_content) {
    secrets.values = config.custom_values_content;
    config.has_custom_values = true;
  }
  delete config.custom_values_content;
  const k = config.kubernetes;
  if (k?.env?.length) {
    const keep: typeof k.env = [];
    for (const e of k.env) {
      if (isSecretEnvName(e.name) && e.value) {
        (secrets.env ??= {})[e.name] = e.value;
        if (!k.sealed_env.includes(e.name)) k.sealed_env.push(e.name);
      } else keep.push(e);
    }
    k.env = keep;
  }
  return { config, secrets };
}

/** Merges sealed parts (later wins). */
export function mergeSecrets(...parts: Array<SealedSecrets | null | undefined>): SealedSecrets {
  const out: SealedSecrets = {};
  for (const p of parts) {
    if (!p) continue;
    if (p.values !== undefined) out.values = p.values;
    if (p.env) out.env = { ...(out.env ?? {}), ...p.env };
    if (p.job_yaml) out.job_yaml = { ...(out.job_yaml ?? {}), ...p.job_yaml };
  }
  return out;
}

const isEmpty = (s: SealedSecrets) => s.values === undefined && !Object.keys(s.env ?? {}).length && !Object.keys(s.job_yaml ?? {}).length;

/** The ciphertext to store, or null when there is nothing secret. */
export function seal(box: SecretBox, s: SealedSecrets | null | undefined): string | null {
  if (!s || isEmpty(s)) return null;
  return box.encrypt(JSON.stringify(s));
}

/** Opens a stored ciphertext ({} for null). Throws when the key changed (the caller says which record). */
export function unseal(box: SecretBox, enc: string | null | undefined): SealedSecrets {
  if (!enc) return {};
  return JSON.parse(box.decrypt(enc)) as SealedSecrets;
}
