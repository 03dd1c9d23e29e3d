/** HTTP routes of the results service (SPEC 3.3, reference-behaviour.md §3); thin: validate, call the service. */
import { z } from 'zod';
import { pageQuery, setTotal, type App } from '../../core/http.ts';
import { unprocessable } from '../../core/errors.ts';
import { KNOWN_SOURCES } from './parsers/index.ts';
import type { ResultsService } from './service.ts';
import { resultPostSchema, timestampSchema } from './validation.ts';

const tags = ['results'];

const summary = z.object({
  pk: z.string(),
  run_id: z.string(),
  benchmark_name: z.string(),
  model_id: z.string(),
  tokenizer_id: z.string(),
  source: z.string(),
  timestamp: z.string(),
});

const saveResponse = summary.extend({
  status: z.literal('success'),
  saved_as: z.string(),
  created: z.boolean(),
  run_id_origin: z.enum(['given', 'generated', 'identical_post', 'linked_post']),
  standardized: z
    .object({
      stored: z.boolean(),
      parser: z.string().nullable(),
      selected_by: z.enum(['source', 'shape']).optional(),
      error: z.string().optional(),
      reason: z.string().optional(),
    })
    .optional(),
  warnings: z.array(z.string()).optional(),
  part: z
    .object({ run_id: z.string(), index: z.number().int(), count: z.number().int(), received: z.number().int(), merged_pk: z.string().nullable() })
    .optional()
    .describe('a part of a run (source benchops-runner-part): parts received, and the merged run once the last one is in'),
});

const documentResponse = z.object({ result_name: z.string(), data: z.unknown() });

const listQuery = pageQuery.extend({
  model_id: z.string().optional(),
  benchmark_name: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  since: timestampSchema.optional(),
  until: timestampSchema.optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  sort: z.enum(['timestamp', 'benchmark_name', 'model_id', 'source']).default('timestamp').describe('the column pages are ordered by (then timestamp and pk)'),
  kind: z.enum(['performance', 'quality']).optional().describe('standardized outputs only: what the result holds (latency/throughput figures or declared scores)'),
});

const pkParams = z.object({ pk: z.string().min(1) });

const rawQuery = z.object({
  standardize: z.enum(['true', 'false', '1', '0']).optional(),
});

const historyQuery = pageQuery.extend({
  metric: z.string().min(1),
  task: z.string().optional(),
  filter: z.string().optional(),
  stat: z.string().optional(),
  benchmark_name: z.string().optional(),
  since: timestampSchema.optional(),
  until: timestampSchema.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

const historyPoint = z.object({
  pk: z.string(),
  run_id: z.string(),
  benchmark_name: z.string(),
  timestamp: z.string(),
  path: z.string(),
  task: z.string(),
  filter: z.string(),
  stat: z.string(),
  value: z.number(),
});

const delta = z.object({ absolute: z.number().nullable(), relative: z.number().nullable(), improved: z.boolean().nullable() });
const compareResponse = z.object({
  baseline: z.string(),
  results: z.array(summary),
  metrics: z.array(
    z.object({
      path: z.string(),
      group: z.enum(['score', 'latency', 'throughput', 'summary']),
      task: z.string(),
      metric: z.string(),
      filter: z.string(),
      stat: z.string(),
      higher_is_better: z.boolean(),
      values: z.record(z.string(), z.number().nullable()),
      deltas: z.record(z.string(), delta),
    }),
  ),
});

const sourcesNote =
  `Known sources (parsed into a standardized document under the same pk): ${KNOWN_SOURCES.join(', ')}. ` +
  'Under any other source, data of a known shape (lm-eval results with versions/configs/n-shot, vLLM bench serve, GuideLLM, the BenchOps runner) is parsed too; meta.parser of the standardized document says which parser ran and why.';

export async function registerResultsRoutes(app: App, service: ResultsService): Promise<void> {
  app.post(
    '/raw_input',
    {
      schema: {
        summary: 'Store a raw benchmark output; a known source also stores its standardized document under the same pk',
        description: `Idempotent: the same pk with the same data answers 200 again (created=false); different data → 409. Without a run_id, re-posting the identical document answers the earlier pk, and a standardized post of the same benchmark, model and timestamp joins this pk (run_id_origin says so). ${sourcesNote} ?standardize=false stores the raw input only.`,
        tags,
        body: resultPostSchema,
        querystring: rawQuery,
        response: { 200: saveResponse },
      },
    },
    async (req) => {
      const s = req.query.standardize;
      return service.postRaw(req.body as any, { standardize: !(s === 'false' || s === '0') });
    },
  );

  app.post(
    '/standardized_output',
    {
      schema: {
        summary: 'Store a standardized result {meta, results, performance:{summary, throughput, latency}}',
        description:
          'Missing sections are stored as {}. Idempotent for identical data; 409 for different data, except that an explicit document replaces one derived from the raw input.',
        tags,
        body: resultPostSchema,
        response: { 200: saveResponse },
      },
    },
    async (req) => service.postStandardized(req.body as any),
  );

  for (const [path, collection, what] of [
    ['/raw_input', 'raw', 'raw inputs'],
    ['/standardized_output', 'standardized', 'standardized outputs'],
  ] as const) {
    app.get(
      path,
      {
        schema: {
          summary: `List ${what} (no data), newest first; filters: model_id, benchmark_name, source, run_id, since, until${collection === 'standardized' ? ', kind' : ''}`,
          tags,
          querystring: listQuery,
          response: { 200: z.array(summary) },
        },
      },
      async (req, reply) => {
        if (req.query.since && req.query.until && Date.parse(req.query.since) > Date.parse(req.query.until)) {
          throw unprocessable(['query', 'until'], 'until must not be before since');
        }
        if (req.query.kind && collection === 'raw') {
          throw unprocessable(['query', 'kind'], 'kind filters standardized outputs (a raw input has no parsed figures)');
        }
        const page = await service.listPage(collection, req.query);
        setTotal(reply, page.total);
        // the page's JSON was made once when it was cached (it is what the response schema documents): sent as it is
        return reply.type('application/json; charset=utf-8').send(page.json as never);
      },
    );
  }

  app.get(
    '/raw_input/:pk',
    { schema: { summary: 'One raw input: {result_name, data}', tags, params: pkParams, response: { 200: documentResponse } } },
    async (req) => service.getRaw(req.params.pk),
  );

  app.get(
    '/standardized_output/:pk',
    { schema: { summary: 'One standardized output: {result_name, data}', tags, params: pkParams, response: { 200: documentResponse } } },
    async (req) => service.getStandardized(req.params.pk),
  );

  app.post(
    '/raw_input/:pk/standardize',
    {
      schema: {
        summary: 'Derive (again) the standardized document of a stored raw input, optionally with another source’s parser',
        description: `${sourcesNote} 422 names the field of the raw data that does not have the tool's shape.`,
        tags,
        params: pkParams,
        querystring: z.object({ source: z.string().min(1).optional() }),
        response: { 200: saveResponse },
      },
    },
    async (req) => service.standardize(req.params.pk, req.query.source),
  );

  app.post(
    '/parse',
    {
      schema: {
        summary: 'Dry run: the standardized document a raw input would give (nothing stored)',
        description: sourcesNote,
        tags,
        body: resultPostSchema,
        response: { 200: z.object({ parser: z.string(), selected_by: z.enum(['source', 'shape']), data: z.unknown() }) },
      },
    },
    async (req) => service.preview(req.body as any),
  );

  app.get(
    '/compare',
    {
      schema: {
        summary: 'Metric deltas of standardized results against the first pk (absolute, relative, improved)',
        description: 'pks: comma-separated, at least two (a pk holding a comma can be given by repeating pks=).',
        tags,
        querystring: z.object({ pks: z.union([z.string(), z.array(z.string())]) }),
        response: { 200: compareResponse },
      },
    },
    async (req) => {
      const raw = req.query.pks;
      const pks = (Array.isArray(raw) ? raw : raw.split(',')).map((s) => s.trim()).filter(Boolean);
      return service.compare(pks);
    },
  );

  const history = async (modelId: string, q: z.infer<typeof historyQuery>, reply: any) => {
    if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until)) throw unprocessable(['query', 'until'], 'until must not be before since');
    const r = await service.history(modelId, q);
    setTotal(reply, r.total);
    return r.items;
  };

  app.get(
    '/models/:model_id/history',
    {
      schema: {
        summary: 'One model’s values of a metric over time, oldest first (metric: a path like results.gsm8k.exact_match, or a name)',
        description: 'A model id holding "/" must be percent-encoded (%2F), or use GET /history?model_id=…',
        tags,
        params: z.object({ model_id: z.string().min(1) }),
        querystring: historyQuery,
        response: { 200: z.array(historyPoint) },
      },
    },
    async (req, reply) => history(req.params.model_id, req.query, reply),
  );

  app.get(
    '/history',
    {
      schema: {
        summary: 'Same as /models/{model_id}/history with the model id in the query',
        tags,
        querystring: historyQuery.extend({ model_id: z.string().min(1) }),
        response: { 200: z.array(historyPoint) },
      },
    },
    async (req, reply) => history(req.query.model_id, req.query, reply),
  );
}
