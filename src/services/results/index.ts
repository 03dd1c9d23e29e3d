/** The Benchmark Results module (:8000): raw and standardized collections, parsers, compare, history, gauges. */
import type { Registry } from 'prom-client';
import type { PlatformContext, ServiceModule } from '../../core/service.ts';
import type { FullResultsApi } from './api.ts';
import { installResultsExporter } from './prometheus.ts';
import { registerResultsRoutes } from './routes.ts';
import { ResultsService } from './service.ts';

export interface ResultsModule extends ServiceModule {
  api: FullResultsApi;
  service: ResultsService;
}

export function createResultsService(ctx: PlatformContext): ResultsModule {
  const log = ctx.log.child({ svc: 'results' });
  // PGlite's folder is locked to this process: nothing else writes the results tables, so list pages can be cached.
  const service = new ResultsService(ctx.db, log, { singleWriter: ctx.database.kind === 'pglite' });
  return {
    name: 'results',
    title: 'BenchOps Benchmark Results',
    description:
      'Raw and standardized benchmark results under one pk, parsers for lm-evaluation-harness, evalchemy, vLLM bench serve, GuideLLM and the BenchOps runner, comparison, history, Prometheus gauges.',
    api: service,
    service,
    routes: async (app) => registerResultsRoutes(app, service),
    status: async () => ({ documents: await service.counts() }),
    metrics: (registry: Registry) => installResultsExporter(registry, ctx.db, log),
  };
}
