import { installResultsExporter } from "./prometheus.js";
import { registerResultsRoutes } from "./routes.js";
import { ResultsService } from "./service.js";
export function createResultsService(ctx) {
    const log = ctx.log.child({ svc: 'results' });
    const service = new ResultsService(ctx.db, log);
    return {
        name: 'results',
        title: 'BenchOps Benchmark Results',
        description: 'Raw and standardized benchmark results under one pk, parsers for lm-evaluation-harness, evalchemy, vLLM bench serve, GuideLLM and the BenchOps runner, comparison, history, Prometheus gauges.',
        api: service,
        service,
        routes: async (app) => registerResultsRoutes(app, service),
        status: async () => ({ documents: await service.counts() }),
        metrics: (registry) => installResultsExporter(registry, ctx.db, log),
    };
}
//# sourceMappingURL=index.js.map