/**
 * The deploy form as a vLLM config (the fields of POST /deploy's `config`), and the extra command-line flags typed as
 * text (`--enable-prefix-caching --swap-space 8` or `--k=v`) as `additional_args`.
 */

export interface DeployFormValues {
  model_name: string;
  served_model_name: string;
  gpu_resource_type: string;
  gpu_resource_count: number;
  tensor_parallel_size: number;
  max_model_len: number | '';
  max_num_seqs: number | '';
  extra_args: string;
}

export const EMPTY_FORM: DeployFormValues = {
  model_name: 'Qwen/Qwen3-0.6B',
  served_model_name: '',
  gpu_resource_type: 'nvidia.com/gpu',
  gpu_resource_count: 1,
  tensor_parallel_size: 1,
  max_model_len: 4096,
  max_num_seqs: 256,
  extra_args: '',
};

export type ArgValue = string | number | boolean;

/** Flags from text: `--flag value`, `--flag=value`, or a bare `--flag` (true); numbers stay numbers. Throws naming the token. */
export function parseExtraArgs(text: string): Record<string, ArgValue> {
  const tokens = text.trim() ? text.trim().split(/\s+/) : [];
  const out: Record<string, ArgValue> = {};
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t.startsWith('--')) throw new Error(`"${t}" is not a flag: extra arguments look like --flag value or --flag`);
    const eq = t.indexOf('=');
    const name = (eq > 0 ? t.slice(2, eq) : t.slice(2)).trim();
    if (!/^[a-z0-9][-a-z0-9_]*$/i.test(name)) throw new Error(`"${t}" is not a vLLM flag name`);
    let value: string | boolean = true;
    if (eq > 0) value = t.slice(eq + 1);
    else if (i + 1 < tokens.length && !tokens[i + 1].startsWith('--')) value = tokens[++i];
    out[name] = typeof value === 'string' && value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return out;
}

/** The form as POST /deploy's config (empty optional fields left out, so the service's defaults apply). */
export function toConfig(f: DeployFormValues): Record<string, unknown> {
  const cpu = f.gpu_resource_type === 'cpu';
  return {
    model_name: f.model_name.trim(),
    ...(f.served_model_name.trim() ? { served_model_name: f.served_model_name.trim() } : {}),
    gpu_resource_type: f.gpu_resource_type,
    gpu_resource_count: cpu ? 0 : f.gpu_resource_count,
    tensor_parallel_size: f.tensor_parallel_size,
    ...(f.max_model_len !== '' ? { max_model_len: f.max_model_len } : {}),
    ...(f.max_num_seqs !== '' ? { max_num_seqs: f.max_num_seqs } : {}),
    additional_args: parseExtraArgs(f.extra_args),
  };
}

/** A placement decision in one line for tables: what it does and where. */
export function decisionSummary(d: { action: string; node?: string | null; deployment_id?: string } | null | undefined): string {
  if (!d) return '—';
  if (d.action === 'place') return `place on ${d.node}`;
  if (d.action === 'reuse') return `reuse ${String(d.deployment_id ?? '').slice(0, 8)}${d.node ? ` on ${d.node}` : ''}`;
  if (d.action === 'evict') return `evict on ${d.node}`;
  return d.action;
}
