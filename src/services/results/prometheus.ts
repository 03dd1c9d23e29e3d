/**
 * Scores and performance figures as Prometheus gauges, read from the database at scrape time so every replica
 * exports the same values: `vllm_eval_<metric>{task, filter, model_tag}` (seed 004's alert rules and dashboards query
 * e.g. `vllm_eval_exact_match{task='custom_task_1'}`; `filter` is lm-eval's filter, `none` when unfiltered, so each
 * filter of a score is its own series and stderr, counts and breakdowns are never gauges: scores.ts), `benchops_perf_<latency>{model_tag, benchmark, stat}`
 * (e.g. `benchops_perf_ttft_ms{stat="p99"}`), `benchops_perf_<throughput>{model_tag, benchmark}` and
 * `benchops_perf_summary_<count>{model_tag, benchmark}`.
 *
 * Families appear as results arrive, so their names are not known when the registry is built: prom-client
 * snapshots the registered metrics before collecting, so the exporter wraps the registry's `metrics()` to first
 * read the latest values and (re)register the families, then render.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../core/db/client.ts';
import { latestAll } from './repository.ts';

/** A cap on exported series, so a flood of distinct metric names cannot make a scrape unbounded. */
const MAX_SERIES = 50_000;

const LABELS: Record<string, string[]> = {
  score: ['task', 'filter', 'model_tag'],
  latency: ['model_tag', 'benchmark', 'stat'],
  throughput: ['model_tag', 'benchmark'],
  summary: ['model_tag', 'benchmark'],
};

const HELP: Record<string, string> = {
  score: 'Latest score of a task for a model (results.<task>.<metric> of the newest standardized result)',
  latency: 'Latest latency in milliseconds by statistic (performance.latency of the newest standardized result)',
  throughput: 'Latest throughput (performance.throughput of the newest standardized result; req/s or tok/s)',
  summary: 'Latest run summary value (performance.summary of the newest standardized result)',
};

type Row = Awaited<ReturnType<typeof latestAll>>[number];

function labelsOf(r: Row): Record<string, string> {
  switch (r.group) {
    case 'score':
      return { task: r.task, filter: r.filter || 'none', model_tag: r.modelId };
    case 'latency':
      return { model_tag: r.modelId, benchmark: r.task, stat: r.stat };
    default:
      return { model_tag: r.modelId, benchmark: r.task };
  }
}

/** Makes `registry` export the results gauges; safe to call for several registries (service app and gateway). */
export function installResultsExporter(registry: Registry, db: Db, log: Logger): void {
  const families = new Map<string, { gauge: Gauge<string>; group: string }>();
  const up = new Gauge({
    name: 'benchops_results_export_up',
    help: '1 when the last scrape read the latest results from the database, 0 when that read failed',
    registers: [registry],
  });

  async function refresh(): Promise<void> {
    let rows: Row[];
    try {
      rows = await latestAll(db, MAX_SERIES);
      if (rows.length === MAX_SERIES) log.warn({ max: MAX_SERIES }, 'results metrics: series cap reached; the rest is not exported');
    } catch (e) {
      // Keep serving the previous values rather than failing the whole scrape.
      log.warn({ err: e }, 'results metrics: reading the latest values failed');
      up.set(0);
      return;
    }
    up.set(1);
    const byFamily = new Map<string, Row[]>();
    for (const r of rows) {
      const list = byFamily.get(r.family) ?? [];
      list.push(r);
      byFamily.set(r.family, list);
    }
    for (const name of families.keys()) {
      if (!byFamily.has(name)) {
        registry.removeSingleMetric(name);
        families.delete(name);
      }
    }
    for (const [name, list] of byFamily) {
      const group = list[0].group;
      let f = families.get(name);
      if (f && f.group !== group) {
        registry.removeSingleMetric(name);
        families.delete(name);
        f = undefined;
      }
      if (!f) {
        if (registry.getSingleMetric(name)) continue; // a name some other collector owns
        f = { gauge: new Gauge({ name, help: HELP[group] ?? 'BenchOps result', labelNames: LABELS[group] ?? [], registers: [registry] }), group };
        families.set(name, f);
      }
      f.gauge.reset();
      for (const r of list) if (r.group === group) f.gauge.set(labelsOf(r), r.value);
    }
  }

  const render = registry.metrics.bind(registry);
  registry.metrics = async () => {
    await refresh();
    return render();
  };
  const renderJson = registry.getMetricsAsJSON.bind(registry);
  registry.getMetricsAsJSON = async () => {
    await refresh();
    return renderJson();
  };
}
