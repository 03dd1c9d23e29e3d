/**
 * Maps a benchmark config file in the shape of the earlier system's `vllm_benchmark.json` (`defaults` + `scenarios[]`,
 * keys named like vLLM bench serve flags) to load-generator options.
 */
import type { BenchmarkOptions } from './runner.ts';

/** One scenario merged over the defaults (unknown keys are ignored; vLLM spellings are accepted). */
export function optionsFromScenario(
  base_url: string,
  defaults: Record<string, unknown>,
  scenario: Record<string, unknown>,
): BenchmarkOptions {
  const m = { ...defaults, ...scenario } as Record<string, any>;
  const num = (k: string) => (m[k] === undefined || m[k] === null ? undefined : Number(m[k]));
  const backend = m.backend === 'openai-chat' || m.backend === 'chat' ? 'chat' : m.backend ? 'completions' : undefined;
  const rate = m.request_rate === 'inf' || m.request_rate === undefined ? undefined : Number(m.request_rate);
  return {
    base_url,
    backend,
    endpoint: m.endpoint ?? m.endpoint_path,
    model: m.model ?? m.served_model_name,
    dataset_name: m.dataset_name ?? m.dataset_type,
    dataset_path: m.dataset_path,
    num_prompts: num('num_prompts'),
    max_concurrency: num('max_concurrency'),
    request_rate: rate,
    burstiness: num('burstiness'),
    random_input_len: num('random_input_len') ?? num('max_input_tokens'),
    random_output_len: num('random_output_len') ?? num('max_output_tokens'),
    random_range_ratio: num('random_range_ratio'),
    random_prefix_len: num('random_prefix_len'),
    percentile_metrics: m.percentile_metrics,
    metric_percentiles: m.metric_percentiles,
    goodput: m.goodput,
    seed: num('seed'),
    num_warmups: num('num_warmups'),
    duration: num('duration'),
    ignore_eos: m.ignore_eos,
    label: m.label ?? m.name,
  };
}
