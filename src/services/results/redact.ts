/**
 * Secrets in result documents. Tools write their invocation into their output (lm-eval's `model_args:
 * "pretrained=…,tokenizer=…,api_key=sk-…"`, headers, CLI args, URLs with credentials); results are readable by every
 * viewer, so secret values are replaced before anything is stored. A name is secret by its *words* (`HF_TOKEN`,
 * `api-key`, `clientSecret`), never by a substring: `tokenizer`, `max_tokens` and `pad_token_id` are kept.
 * Text PostgreSQL cannot store (NUL, unpaired surrogates) becomes U+FFFD on the way.
 */

import { nameWords } from '../../core/secrets.ts';

export { nameWords };

export const REDACTED = '[redacted]';

/** Words that make a name secret whatever its value. */
const ALWAYS = new Set(['password', 'passwd', 'pwd', 'passphrase', 'secret', 'secrets', 'apikey', 'apikeys', 'credential', 'credentials', 'authorization']);
/** `<qualifier> key` pairs (api key, access key…) are secret; a bare `key` is not (dataset rows have `key` fields). */
const KEY_QUALIFIERS = new Set(['api', 'access', 'private', 'secret', 'auth', 'signing', 'encryption', 'ssh', 'client', 'master', 'subscription']);
/** Words secret only when the value looks like a credential (`eos_token: "</s>"` is a tokenizer setting). */
const TOKENISH = new Set(['token', 'bearer', 'auth', 'cookie']);

export type SecretKind = 'always' | 'credential';

/** Whether a name (object key, `name=` argument, `--flag`) holds a secret, and how sure that is. */
export function secretName(name: string): SecretKind | null {
  const w = nameWords(name);
  if (w.length === 0 || w.length > 12) return null;
  if (w.some((x) => ALWAYS.has(x))) return 'always';
  for (let i = 1; i < w.length; i++) if ((w[i] === 'key' || w[i] === 'keys') && KEY_QUALIFIERS.has(w[i - 1])) return 'always';
  if (w.some((x) => TOKENISH.has(x)) && !w.includes('id') && !w.includes('ids')) return 'credential';
  return null;
}

/** A credential is one unbroken run of token characters (`</s>`, `<|im_end|>`, `[PAD]` and words with spaces are not). */
const CREDENTIAL = /^[A-Za-z0-9_\-.~+/=:]+$/;

/** Whether the value under a secret name is replaced. */
function shouldRedact(kind: SecretKind | null, value: string, minLength: number): boolean {
  if (!kind || value === '' || value === REDACTED) return false;
  return kind === 'always' || (CREDENTIAL.test(value) && value.length >= minLength);
}

/** Well-known credential formats, secret wherever they appear (OpenAI, Hugging Face, GitHub, GitLab, Slack). */
const KNOWN_TOKEN = /\b(?:sk-(?:proj-)?[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,})\b/g;
/** `name=value` (and `name: value` in JSON-ish text); the value ends at a separator or its closing quote. */
const NAME_VALUE = /(^|[\s,;&?{("'])(-{0,2}[A-Za-z_][A-Za-z0-9_.-]*)("?\s*[=:]\s*)("([^"]*)"|'([^']*)'|[^\s,;&"')}]+)/g;
/** What every pattern below needs: a separator, a flag, a scheme word or a known token prefix. */
const MAY_HOLD_SECRET = /[=:@]|--|bearer|sk-|hf_|gh[pousr]_|github_pat_|glpat-|xox[abposr]-/i;
/** `--name value` on a command line. */
const FLAG_VALUE = /(^|\s)(--?[A-Za-z][A-Za-z0-9_-]*)(\s+)([^\s-][^\s]*)/g;

// eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** PostgreSQL's jsonb cannot hold NUL or unpaired surrogates (generated texts can): they become U+FFFD. */
export const storable = (s: string): string => s.replace(UNSTORABLE, '\uFFFD');

/** One string with the secret values inside it replaced. */
export function redactText(input: string): string {
  let s = storable(input);
  // Most text (generated answers) has none of what a secret needs around it: skip the passes below.
  if (!MAY_HOLD_SECRET.test(s)) return s;
  s = s.replace(KNOWN_TOKEN, REDACTED);
  s = s.replace(/\b(bearer)\s+[A-Za-z0-9._~+/-]{8,}=*/gi, `$1 ${REDACTED}`);
  // A header line: the scheme word (Basic, Bearer, token…) and the credential after it.
  s = s.replace(/\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?:[A-Za-z]+\s+)?[^\s"',;]+/gi, `$1$2${REDACTED}`);
  s = s.replace(NAME_VALUE, (all, pre: string, name: string, sep: string, value: string, dq?: string, sq?: string) => {
    // `http://` and `C:` are not name/value pairs; `name: value` only counts for secret names.
    const inner = dq ?? sq ?? value;
    if (sep.trim().startsWith(':') && inner.startsWith('//')) return all;
    if (!shouldRedact(secretName(name), inner, 1)) return all;
    const quoted = dq !== undefined ? `"${REDACTED}"` : sq !== undefined ? `'${REDACTED}'` : REDACTED;
    return `${pre}${name}${sep}${quoted}`;
  });
  s = s.replace(FLAG_VALUE, (all, pre: string, flag: string, gap: string, value: string) =>
    shouldRedact(secretName(flag), value, 1) ? `${pre}${flag}${gap}${REDACTED}` : all,
  );
  s = s.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`);
  return s;
}

/** Nesting past which walkers give up (inputs are refused well before: MAX_DATA_DEPTH in standard.ts). */
export const WALK_LIMIT = 100;

export class TooDeepError extends Error {
  constructor(readonly limit: number) {
    super(`nested deeper than ${limit} levels`);
    this.name = 'TooDeepError';
  }
}

/**
 * A copy of `v` with secrets replaced: values under secret keys, the value after a secret `--flag` in an args array,
 * and secrets inside strings. Unchanged parts are shared, not copied. Bounded: throws TooDeepError past WALK_LIMIT.
 */
export function redactSecrets(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactText(v);
  if (typeof v !== 'object' || v === null) return v;
  if (depth >= WALK_LIMIT) throw new TooDeepError(WALK_LIMIT);
  if (Array.isArray(v)) {
    let changed = false;
    let after: SecretKind | null = null;
    const out = v.map((x) => {
      let y: unknown;
      if (typeof x === 'string' && shouldRedact(after, x, 1) && !x.startsWith('-')) y = REDACTED;
      else y = redactSecrets(x, depth + 1);
      after = typeof x === 'string' && /^--?[A-Za-z]/.test(x) && !x.includes('=') ? secretName(x) : null;
      if (y !== x) changed = true;
      return y;
    });
    return changed ? out : v;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const kind = secretName(k);
    let y: unknown;
    if (typeof x === 'string' && shouldRedact(kind, x, kind === 'always' ? 1 : 8)) y = REDACTED;
    else if (kind === 'always' && Array.isArray(x)) y = x.map((e) => (typeof e === 'string' && e !== '' ? REDACTED : redactSecrets(e, depth + 2)));
    else y = redactSecrets(x, depth + 1);
    const key = storable(k);
    if (y !== x || key !== k) changed = true;
    out[key] = y;
  }
  return changed ? out : v;
}

