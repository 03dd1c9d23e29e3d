/**
 * The workflows module (:8006, seed 003): the performance-benchmark workflow API with a Simulate that works, and the
 * dataset, model and credential registries behind it. Real runs are driven in the background through the vLLM
 * queue and the deployer (run.ts).
 */
import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { CalibrationStore } from "./compare.js";
import { CredentialRegistry } from "./credentials.js";
import { DatasetRegistry } from "./datasets.js";
import { ModelRegistry } from "./models.js";
import { platformPorts } from "./ports.js";
import { WorkflowRepository } from "./repository.js";
import { registerWorkflowRoutes } from "./routes.js";
import { RunDriver } from "./run.js";
import { WorkflowService } from "./service.js";
export function createWorkflowsModule(ctx, o = {}) {
    const log = ctx.log.child({ svc: 'workflows' });
    const repo = new WorkflowRepository(ctx.db);
    const credentials = new CredentialRegistry(ctx.db, ctx.secrets);
    const datasets = new DatasetRegistry(ctx.db);
    const models = new ModelRegistry(ctx.db, (id) => credentials.exists(id));
    const calibrations = new CalibrationStore(ctx.db);
    const ports = o.ports ?? platformPorts(ctx);
    const owner = o.instanceId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
    const refresh = { fn: async (_id) => { } };
    const driver = new RunDriver({
        repo,
        ports,
        datasets,
        credentials,
        log,
        owner,
        pollMs: o.pollMs ?? Math.min(2000, Math.max(100, ctx.config.pollTickSeconds * 1000)),
        leaseMs: o.leaseMs ?? 30_000,
        executor: ctx.config.executor ?? 'local',
        resultsUrl: ctx.config.resultsUrl,
        runnerTokenSecret: ctx.config.runnerTokenSecret,
        jobTimeoutSeconds: ctx.config.jobTimeoutSeconds,
        maxWaitSeconds: 3600,
        onFinished: (id) => refresh.fn(id),
    });
    const service = new WorkflowService({ repo, datasets, models, credentials, calibrations, ports, driver: () => driver, log });
    refresh.fn = (id) => service.refreshStatus(id);
    return {
        name: 'workflows',
        title: 'BenchOps Workflows',
        description: 'Seed 003: the performance-benchmark workflow (one POST per step, Simulate answered in seconds by the simulator, Run on cluster through the vLLM queue), and the dataset, model and credential registries.',
        service,
        driver,
        health: () => ports.health(),
        routes: async (app) => registerWorkflowRoutes(app, { service, repo, datasets, models, credentials, calibrations }),
        status: async () => ({
            workflows: await repo.counts(),
            runs: await repo.runCounts(),
            datasets: await datasets.count(),
            models: await models.count(),
            credentials: await credentials.count(),
        }),
        metrics: (registry) => {
            new Gauge({
                name: 'benchops_workflow_runs',
                help: 'Workflow runs by mode and status',
                labelNames: ['mode', 'status'],
                registers: [registry],
                async collect() {
                    const c = await repo.runCounts().catch(() => null);
                    if (!c)
                        return;
                    this.reset();
                    for (const [k, n] of Object.entries(c)) {
                        const [mode, status] = k.split(':');
                        this.set({ mode, status }, n);
                    }
                },
            });
        },
        start: async () => driver.start(),
        stop: async () => driver.stop(),
    };
}
/** The platform's factory (registered in src/services/index.ts). */
export function createWorkflowsService(ctx) {
    return createWorkflowsModule(ctx);
}
//# sourceMappingURL=index.js.map