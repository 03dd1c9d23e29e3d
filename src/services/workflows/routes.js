/**
 * HTTP routes of the workflows service: seed 003's step API under /workflows/performance, and the registries behind
 * it (/datasets, /models, /credentials). Thin: validate, call the service, shape the response. Reads need viewer,
 * writes operator (the platform's default per method).
 */
import { z } from 'zod';
import { notFound } from "../../core/errors.js";
import { pageQuery, setTotal } from "../../core/http.js";
import { DATASET_MAX_BYTES } from "./datasets.js";
import { runView } from "./service.js";
import { stepBodySchema } from "./steps.js";
const idParam = z.object({ id: z.string().min(1).max(100) });
const message = z.object({ message: z.string() });
const name = z.string().trim().min(1).max(200);
const httpUrl = z
    .string()
    .max(2000)
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');
export async function registerWorkflowRoutes(app, d) {
    const wtags = ['workflows'];
    app.post('/workflows/performance', {
        schema: {
            summary: 'One step of the performance-benchmark workflow (seed 003 bodies): step 1 creates (workflow_total_steps), later steps carry workflow_id; ' +
                're-sending a step changes it and marks dependent steps incomplete; step 8 with trigger_workflow runs a simulation (answered here) or a real run',
            tags: wtags,
            body: stepBodySchema,
        },
    }, async (req, reply) => {
        const out = await d.service.postStep(req.body);
        reply.code(out.created ? 201 : 200);
        return { ...out.workflow, warnings: out.warnings, ...(out.run ? { run: out.run } : {}) };
    });
    app.get('/workflows/performance', {
        schema: {
            summary: 'Workflows, newest first (filters: status, name contains, eval_with, model_id, cluster_id; total in X-Total-Count)',
            tags: wtags,
            querystring: pageQuery.extend({
                status: z.enum(['draft', 'ready', 'running', 'simulated', 'completed', 'failed']).optional(),
                name: z.string().max(200).optional(),
                eval_with: z.enum(['configuration', 'dataset']).optional(),
                model_id: z.string().max(100).optional(),
                cluster_id: z.string().max(100).optional(),
            }),
        },
    }, async (req, reply) => {
        const { items, total } = await d.service.list(req.query);
        setTotal(reply, total);
        return items;
    });
    app.get('/workflows/performance/:id', { schema: { summary: 'A workflow: merged state, each step complete or incomplete, what the trigger will do, its runs', tags: wtags, params: idParam } }, async (req) => d.service.get(req.params.id));
    app.delete('/workflows/performance/:id', { schema: { summary: 'Delete a workflow and its run records (refused while a run on a cluster is in progress)', tags: wtags, params: idParam, response: { 200: message } } }, async (req) => {
        await d.service.remove(req.params.id);
        return { message: `Workflow ${req.params.id} deleted` };
    });
    app.post('/workflows/performance/:id/cancel', { schema: { summary: 'Cancel the run on a cluster in progress (its job, queue item and deployment are removed)', tags: wtags, params: idParam } }, async (req) => d.service.cancel(req.params.id));
    app.get('/workflows/performance/:id/runs/:run_id', { schema: { summary: 'One run of a workflow (progress, plan, metrics, comparison, error with its stage)', tags: wtags, params: idParam.extend({ run_id: z.string().min(1).max(100) }) } }, async (req) => {
        const run = await d.repo.getRun(req.params.run_id);
        if (!run || run.workflowId !== req.params.id)
            throw notFound(`Run ${req.params.run_id} of workflow ${req.params.id} not found`);
        return runView(run);
    });
    app.post('/workflows/performance/:id/calibrate', {
        schema: {
            summary: 'Fit the simulator\'s efficiency factors (sim calibrate) to a completed real run; kept per (model, hardware) for the next prediction',
            tags: wtags,
            params: idParam,
            body: z.object({ run_id: z.string().min(1).max(100).optional() }).strict().optional(),
        },
    }, async (req) => d.service.calibrate(req.params.id, req.body?.run_id));
    app.get('/calibrations', { schema: { summary: 'Simulator calibration factors per (model, hardware)', tags: wtags } }, async () => d.calibrations.list());
    // ---------------------------------------------------------------- datasets
    const dtags = ['datasets'];
    app.post('/datasets', {
        schema: {
            summary: `Upload a dataset: JSONL (prompt/question/input/instruction/text, output_len/max_tokens/output_tokens) or ShareGPT JSON, up to ${DATASET_MAX_BYTES} bytes; a bad line is named`,
            tags: dtags,
            body: z
                .object({
                name,
                description: z.string().max(5000).optional(),
                format: z.enum(['jsonl', 'sharegpt']).optional(),
                content: z.string().min(1).max(DATASET_MAX_BYTES),
            })
                .strict(),
        },
    }, async (req, reply) => {
        reply.code(201);
        return d.datasets.create(req.body);
    });
    app.get('/datasets', { schema: { summary: 'Datasets with statistics (total in X-Total-Count)', tags: dtags, querystring: pageQuery.extend({ name: z.string().max(200).optional() }) } }, async (req, reply) => {
        const { items, total } = await d.datasets.list(req.query);
        setTotal(reply, total);
        return items;
    });
    app.get('/datasets/:id', { schema: { summary: 'One dataset: rows and token-length percentiles with the tokenizer used', tags: dtags, params: idParam } }, async (req) => d.datasets.get(req.params.id));
    app.delete('/datasets/:id', { schema: { summary: 'Delete a dataset (refused while a run uses it)', tags: dtags, params: idParam, response: { 200: message } } }, async (req) => {
        await d.datasets.remove(req.params.id, (id) => d.repo.referencingDataset(id));
        return { message: `Dataset ${req.params.id} deleted` };
    });
    // ---------------------------------------------------------------- models
    const mtags = ['models'];
    app.post('/models', {
        schema: {
            summary: 'Register a model: served by BenchOps (Hugging Face name or local path) or a cloud OpenAI-compatible endpoint with a credential',
            tags: mtags,
            body: z
                .object({
                name,
                kind: z.enum(['served', 'cloud']),
                model_name: z.string().trim().min(1).max(500),
                served_model_name: z.string().trim().min(1).max(300).nullish(),
                endpoint_url: httpUrl.nullish(),
                api: z.enum(['completions', 'chat']).optional(),
                credential_id: z.string().min(1).max(100).nullish(),
                max_model_len: z.number().int().min(16).max(10_000_000).nullish(),
                description: z.string().max(5000).optional(),
                simulator: z
                    .object({ model: z.string().min(1).max(500).nullish(), hardware: z.string().min(1).max(100).nullish(), tensor_parallel: z.number().int().min(1).max(64).nullish() })
                    .strict()
                    .nullish(),
            })
                .strict(),
        },
    }, async (req, reply) => {
        reply.code(201);
        return d.models.create(req.body);
    });
    app.get('/models', { schema: { summary: 'Registered models (total in X-Total-Count)', tags: mtags, querystring: pageQuery.extend({ kind: z.enum(['served', 'cloud']).optional() }) } }, async (req, reply) => {
        const { items, total } = await d.models.list(req.query);
        setTotal(reply, total);
        return items;
    });
    app.get('/models/:id', { schema: { summary: 'One model with how the simulator models it', tags: mtags, params: idParam } }, async (req) => d.models.get(req.params.id));
    app.delete('/models/:id', { schema: { summary: 'Delete a model (refused while a run uses it)', tags: mtags, params: idParam, response: { 200: message } } }, async (req) => {
        await d.models.remove(req.params.id, (id) => d.repo.referencing('model_id', id));
        return { message: `Model ${req.params.id} deleted` };
    });
    // ---------------------------------------------------------------- credentials
    const ctags = ['credentials'];
    const apiKey = z.string().min(1).max(4096);
    app.post('/credentials', {
        schema: {
            summary: 'Store an API key for cloud endpoints (encrypted; write-only: responses say has_api_key, never the key)',
            tags: ctags,
            body: z.object({ name, provider: z.string().trim().min(1).max(100).optional(), api_key: apiKey }).strict(),
        },
    }, async (req, reply) => {
        reply.code(201);
        return d.credentials.create(req.body);
    });
    app.get('/credentials', { schema: { summary: 'Credentials (never their keys; total in X-Total-Count)', tags: ctags, querystring: pageQuery } }, async (req, reply) => {
        const { items, total } = await d.credentials.list(req.query);
        setTotal(reply, total);
        return items;
    });
    app.get('/credentials/:id', { schema: { summary: 'One credential (never its key)', tags: ctags, params: idParam } }, async (req) => d.credentials.get(req.params.id));
    app.put('/credentials/:id', {
        schema: {
            summary: 'Rename or replace the key of a credential',
            tags: ctags,
            params: idParam,
            body: z.object({ name: name.optional(), provider: z.string().trim().min(1).max(100).optional(), api_key: apiKey.optional() }).strict(),
        },
    }, async (req) => d.credentials.update(req.params.id, req.body));
    app.delete('/credentials/:id', { schema: { summary: 'Delete a credential (refused while a model or a run uses it)', tags: ctags, params: idParam, response: { 200: message } } }, async (req) => {
        await d.credentials.remove(req.params.id, async (id) => (await d.models.usingCredential(id)) ?? (await d.repo.referencing('credential_id', id)));
        return { message: `Credential ${req.params.id} deleted` };
    });
}
//# sourceMappingURL=routes.js.map