/** Prometheus exposition of the emulated server's state with vLLM's metric names (`vllm:*`). */

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const E2E_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];
const TOKEN_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

/** A cumulative histogram with fixed buckets. */
export class Histogram {
  private readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array(buckets.length).fill(0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
  }
  render(name: string, labels: string): string[] {
    const out = this.buckets.map((b, i) => `${name}_bucket{${labels},le="${b}"} ${this.counts[i]}`);
    out.push(`${name}_bucket{${labels},le="+Inf"} ${this.count}`, `${name}_sum{${labels}} ${this.sum}`, `${name}_count{${labels}} ${this.count}`);
    return out;
  }
}

/** Counters and histograms the server updates as requests run. */
export class ServerMetrics {
  readonly ttft = new Histogram(TTFT_BUCKETS);
  readonly itl = new Histogram(ITL_BUCKETS);
  readonly e2e = new Histogram(E2E_BUCKETS);
  readonly queue = new Histogram(E2E_BUCKETS);
  readonly promptHist = new Histogram(TOKEN_BUCKETS);
  readonly genHist = new Histogram(TOKEN_BUCKETS);
  promptTokens = 0;
  generationTokens = 0;
  success: Record<string, number> = { stop: 0, length: 0, abort: 0 };

  /** The `/metrics` body. */
  render(o: { model: string; running: number; waiting: number; kvUsage: number; preemptions: number }): string {
    const l = `model_name="${o.model.replace(/["\\\n]/g, '_')}"`;
    const lines: string[] = [];
    const gauge = (name: string, help: string, v: number) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}{${l}} ${v}`);
    const counter = (name: string, help: string, v: number) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name}{${l}} ${v}`);
    const hist = (name: string, help: string, h: Histogram) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`, ...h.render(name, l));
    gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', o.running);
    gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', o.waiting);
    gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', o.kvUsage);
    gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage (older name). 1 means 100 percent usage.', o.kvUsage);
    counter('vllm:num_preemptions_total', 'Cumulative number of preemptions from the engine.', o.preemptions);
    counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.', this.promptTokens);
    counter('vllm:generation_tokens_total', 'Number of generation tokens processed.', this.generationTokens);
    lines.push('# HELP vllm:request_success_total Count of successfully processed requests.', '# TYPE vllm:request_success_total counter');
    for (const [reason, v] of Object.entries(this.success)) lines.push(`vllm:request_success_total{${l},finished_reason="${reason}"} ${v}`);
    hist('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', this.ttft);
    hist('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', this.itl);
    hist('vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds (older name).', this.itl);
    hist('vllm:e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', this.e2e);
    hist('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', this.queue);
    hist('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', this.promptHist);
    hist('vllm:request_generation_tokens', 'Number of generation tokens processed.', this.genHist);
    return lines.join('\n') + '\n';
  }
}
