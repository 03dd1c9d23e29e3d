import { Gauge } from 'prom-client';
import { latestAll } from "./repository.js";
/** A cap on exported series, so a flood of distinct metric names cannot make a scrape unbounded. */
const MAX_SERIES = 50_000;
const LABELS = {
    score: ['task', 'filter', 'model_tag'],
    latency: ['model_tag', 'benchmark', 'stat'],
    throughput: ['model_tag', 'benchmark'],
    summary: ['model_tag', 'benchmark'],
};
const HELP = {
    score: 'Latest score of a task for a model (results.<task>.<metric> of the newest standardized result)',
    latency: 'Latest latency in milliseconds by statistic (performance.latency of the newest standardized result)',
    throughput: 'Latest throughput (performance.throughput of the newest standardized result; req/s or tok/s)',
    summary: 'Latest run summary value (performance.summary of the newest standardized result)',
};
function labelsOf(r) {
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
export function installResultsExporter(registry, db, log) {
    const families = new Map();
    const up = new Gauge({
        name: 'benchops_results_export_up',
        help: '1 when the last scrape read the latest results from the database, 0 when that read failed',
        registers: [registry],
    });
    async function refresh() {
        let rows;
        try {
            rows = await latestAll(db, MAX_SERIES);
            if (rows.length === MAX_SERIES)
                log.warn({ max: MAX_SERIES }, 'results metrics: series cap reached; the rest is not exported');
        }
        catch (e) {
            // Keep serving the previous values rather than failing the whole scrape.
            log.warn({ err: e }, 'results metrics: reading the latest values failed');
            up.set(0);
            return;
        }
        up.set(1);
        const byFamily = new Map();
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
                if (registry.getSingleMetric(name))
                    continue; // a name some other collector owns
                f = { gauge: new Gauge({ name, help: HELP[group] ?? 'BenchOps result', labelNames: LABELS[group] ?? [], registers: [registry] }), group };
                families.set(name, f);
            }
            f.gauge.reset();
            for (const r of list)
                if (r.group === group)
                    f.gauge.set(labelsOf(r), r.value);
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
//# sourceMappingURL=prometheus.js.map