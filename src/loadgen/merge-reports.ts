/**
 * Several runs' reports (the pods of an Indexed Job, each running its share) merged into one report with exact
 * metrics: the per-request records of every report are aligned on one time axis by each report's
 * `benchops.origin_unix_s` and the metrics computed once over the union (mergeParts); each part's self-check is kept in
 * `benchops.self_checks`, and the merged verdict is reliable only when every part's is. The reports need their
 * per-request records (`save_detailed`, the default).
 */
import { mergeParts, type RunPart } from './merge.ts';
import type { RequestOutput } from './metrics.ts';
import { addMetricFields, runFields, type BenchmarkReport, type RequestRecordOut } from './report.ts';
import { combineChecks, type SelfCheckReport } from './selfcheck.ts';

/** One report as a merge part (its records as metric inputs). Throws a RangeError when it has no per-request records. */
export function partOf(r: BenchmarkReport, label: string): RunPart {
  const recs = r.requests;
  if (!recs || recs.length !== r.num_prompts) throw new RangeError(`${label}: the report has no per-request records (run with save_detailed)`);
  const outputs: RequestOutput[] = recs.map((q, i) => ({
    success: q.success,
    error: q.error,
    prompt_len: q.prompt_len,
    output_tokens: q.output_token_source === 'usage' ? q.output_tokens : null,
    ...(q.output_token_source === 'tokenizer' ? { counted_output_tokens: q.output_tokens } : {}),
    generated_text: r.generated_texts[i] ?? '',
    start_time: q.start_time,
    sent_time: q.sent_time,
    scheduled_time: q.scheduled_time,
    ttft: q.ttft,
    itl: r.itls[i] ?? q.chunk_times.slice(1).map((t, k) => t - q.chunk_times[k]),
    latency: q.latency,
    role_chunk: q.role_chunk_time,
  }));
  return { outputs, duration_s: r.duration, origin_s: r.benchops.origin_unix_s, self_check: r.benchops.self_check as never, label };
}

/** Merges reports exactly (see the module comment); `labels` name the parts (default `part <i>`). */
export function mergeReports(reports: readonly BenchmarkReport[], labels?: readonly string[]): BenchmarkReport {
  if (!reports.length) throw new RangeError('mergeReports: no reports');
  const names = reports.map((_, i) => labels?.[i] ?? `part ${i}`);
  const first = reports[0];
  const b = first.benchops;
  const m = mergeParts(
    reports.map((r, i) => partOf(r, names[i])),
    { percentiles: b.percentiles, slos: b.goodput_slos ?? undefined },
  );
  // the parts' indexes restart at 0: the merged run numbers its requests by their place on the common time axis
  m.outputs.forEach((o, i) => (o.index = i));
  const sum = (f: (r: BenchmarkReport) => number | null) => (reports.every((r) => typeof f(r) === 'number') ? reports.reduce((a, r) => a + (f(r) as number), 0) : null);
  const rate = sum((r) => (r.request_rate === 'inf' ? null : r.request_rate));
  const checks = reports.map((r) => r.benchops.self_check);
  const selfCheck: SelfCheckReport = combineChecks(checks, m.reasons);
  const report: BenchmarkReport = {
    ...first,
    ...runFields(m.metrics, m.outputs, { request_rate: rate ?? Infinity, burstiness: first.burstiness, max_concurrency: sum((r) => r.max_concurrency), duration: m.duration_s, slos: !!b.goodput_slos, texts: true }),
    benchops: {
      ...b,
      client_queue_ms: m.metrics.client_queue,
      client_dispatch_ms: m.metrics.client_dispatch,
      ttft_excl_dispatch_ms: m.metrics.ttft_excl_dispatch,
      e2el_excl_dispatch_ms: m.metrics.e2el_excl_dispatch,
      self_check: selfCheck,
      self_checks: reports.map((r, i) => ({ worker: i, label: names[i], ...r.benchops.self_check })),
      reliable: m.reliable,
      workers: reports.reduce((a, r) => a + (r.benchops.workers ?? 1), 0),
      chunks: reports.reduce((a, r) => a + (r.benchops.chunks ?? 0), 0),
      origin_unix_s: Math.min(...reports.map((r) => r.benchops.origin_unix_s ?? 0)),
      parts: reports.length,
      started_at: reports.map((r) => r.benchops.started_at).sort()[0],
      finished_at: reports.map((r) => r.benchops.finished_at).sort().at(-1)!,
    },
  };
  addMetricFields(report, m.metrics, b.percentile_metrics);
  for (const [name, d] of [['ttft', m.metrics.ttft_excl_dispatch], ['e2el', m.metrics.e2el_excl_dispatch]] as const) {
    report[`mean_${name}_excl_dispatch_ms`] = d.mean;
    report[`median_${name}_excl_dispatch_ms`] = d.median;
    for (const [p, v] of d.percentiles) report[`p${p}_${name}_excl_dispatch_ms`] = v;
  }
  report.requests = m.outputs.map((o, i): RequestRecordOut => {
    const sent = o.sent_time ?? o.start_time;
    const chunk_times = o.itl.reduce((t, g) => (t.push(t[t.length - 1] + g), t), o.success || o.itl.length ? [o.ttft] : []);
    return {
      index: i,
      scheduled_time: o.scheduled_time,
      start_time: o.start_time,
      sent_time: sent,
      client_queue_time: Math.max(0, o.start_time - o.scheduled_time),
      client_dispatch_time: Math.max(0, sent - o.start_time),
      success: o.success,
      error: o.error,
      prompt_len: o.prompt_len,
      output_tokens: o.output_tokens || (o.success ? (o.counted_output_tokens ?? 0) : 0),
      output_token_source: !o.success ? 'none' : o.output_tokens ? 'usage' : 'tokenizer',
      ttft: o.ttft,
      latency: o.latency,
      chunk_times,
      role_chunk_time: o.role_chunk,
    };
  });
  return report;
}
