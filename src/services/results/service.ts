/**
 * Results logic: idempotent saves with 409 on conflicting data, standardized documents derived from known tools'
 * raw outputs under the same pk, lists, compare and per-model history. Implements ResultsApi in-process.
 */
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../core/db/client.ts';
import { AppError, conflict, notFound, unprocessable } from '../../core/errors.ts';
import type {
  ComparedMetric,
  CompareResult,
  HistoryQuery,
  ResultDocument,
  ResultFilter,
  ResultPage,
  ResultPost,
  FullResultsApi,
  SaveResult,
} from './api.ts';
import { ParseError, parserFor, type ParseContext } from './parsers/index.ts';
import * as repo from './repository.ts';
import { rawInputs, standardizedOutputs } from './schema.ts';
import {
  canonicalJson,
  flattenMetrics,
  higherIsBetter,
  normalizeStandardized,
  sha256,
  type MetricGroup,
  type StandardizedData,
} from './standard.ts';
import { parseEnvelope, type Envelope } from './validation.ts';

const hashOf = (env: Envelope, data: unknown) =>
  sha256(canonicalJson({ data, model_id: env.model_id, tokenizer_id: env.tokenizer_id, source: env.source }));

const GROUP_ORDER: Record<string, number> = { score: 0, latency: 1, throughput: 2, summary: 3 };

export interface PostRawOptions {
  /** False: store the raw input only, even for a known source. */
  standardize?: boolean;
}

export class ResultsService implements FullResultsApi {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  private saved(env: Envelope, created: boolean): SaveResult {
    return {
      status: 'success',
      saved_as: env.pk,
      created,
      pk: env.pk,
      run_id: env.run_id,
      benchmark_name: env.benchmark_name,
      model_id: env.model_id,
      tokenizer_id: env.tokenizer_id,
      source: env.source,
      timestamp: env.timestamp,
    };
  }

  private context(env: Envelope): ParseContext {
    const { benchmark_name, model_id, tokenizer_id, source, run_id, timestamp } = env;
    return { benchmark_name, model_id, tokenizer_id, source, run_id, timestamp };
  }

  /** Runs the source's parser; null when the source is not a known tool. Throws ParseError on a wrong shape. */
  private derive(env: Envelope, data: unknown): { parser: string; data: StandardizedData } | null {
    const parser = parserFor(env.source);
    if (!parser) return null;
    const parsed = parser.parse(data, this.context(env));
    const { data: normalized, issues } = normalizeStandardized(parsed);
    if (!normalized) throw new ParseError(issues[0].loc, issues[0].msg);
    return { parser: parser.name, data: normalized };
  }

  async postRaw(body: ResultPost, opts: PostRawOptions = {}): Promise<SaveResult> {
    const env = parseEnvelope(body);
    const hash = hashOf(env, env.data);
    // Parse before the transaction: pure CPU, and a wrong shape must not leave anything half-stored.
    let derived: { parser: string; data: StandardizedData } | null = null;
    let parseError: string | undefined;
    const parser = opts.standardize === false ? undefined : parserFor(env.source);
    if (parser) {
      try {
        derived = this.derive(env, env.data);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        parseError = `data.${e.path.join('.')}: ${e.message}`.replace('data.: ', 'data: ');
        this.log.info({ pk: env.pk, parser: parser.name, error: parseError }, 'raw input stored without a standardized document');
      }
    }
    const stdHash = derived ? hashOf(env, derived.data) : '';
    const rows = derived ? flattenMetrics(derived.data, env.benchmark_name) : [];
    return this.db.transaction(async (tx) => {
      let created = await repo.insertDoc(tx, rawInputs, env, env.data, hash);
      if (!created) {
        const existing = await repo.findDoc(tx, rawInputs, env.pk);
        if (existing && existing.hash !== hash) {
          throw conflict(`Result ${env.pk} already exists in raw_input with different data`);
        }
        created = false;
      }
      const out = this.saved(env, created);
      if (!parser) {
        if (opts.standardize !== false) out.standardized = { stored: false, parser: null };
        return out;
      }
      if (!derived) {
        out.standardized = { stored: false, parser: parser.name, error: parseError };
        return out;
      }
      const inserted = await repo.insertDoc(tx, standardizedOutputs, env, derived.data, stdHash, { derived: true, parser: derived.parser });
      if (inserted) {
        await repo.insertMetrics(tx, env, rows);
        out.standardized = { stored: true, parser: derived.parser };
        return out;
      }
      const std = await repo.findDoc(tx, standardizedOutputs, env.pk, true);
      if (std && !std.derived) {
        out.standardized = { stored: false, parser: derived.parser, reason: 'explicit' };
      } else if (std && std.hash !== stdHash) {
        // A newer parser version derives a different document from the same raw input.
        await repo.replaceStandardized(tx, env, derived.data, stdHash, { derived: true, parser: derived.parser });
        await repo.insertMetrics(tx, env, rows);
        out.standardized = { stored: true, parser: derived.parser };
      } else {
        out.standardized = { stored: true, parser: derived.parser };
      }
      return out;
    });
  }

  async postStandardized(body: ResultPost): Promise<SaveResult> {
    const env = parseEnvelope(body);
    const { data, issues } = normalizeStandardized(env.data);
    if (!data) throw new AppError(422, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '), 'validation', issues);
    const hash = hashOf(env, data);
    const rows = flattenMetrics(data, env.benchmark_name);
    return this.db.transaction(async (tx) => {
      if (await repo.insertDoc(tx, standardizedOutputs, env, data, hash)) {
        await repo.insertMetrics(tx, env, rows);
        return this.saved(env, true);
      }
      const existing = await repo.findDoc(tx, standardizedOutputs, env.pk, true);
      if (!existing) throw conflict(`Result ${env.pk} was written concurrently; retry`);
      if (existing.hash === hash) {
        if (existing.derived) await repo.markExplicit(tx, env.pk);
        return this.saved(env, false);
      }
      if (!existing.derived) throw conflict(`Result ${env.pk} already exists in standardized_output with different data`);
      // An explicit document replaces the one derived from the raw input (the earlier images posted both).
      await repo.replaceStandardized(tx, env, data, hash, { derived: false, parser: null });
      await repo.insertMetrics(tx, env, rows);
      return this.saved(env, true);
    });
  }

  /** Re-derives the standardized document of a stored raw input (e.g. with another source's parser). */
  async standardize(pk: string, source?: string): Promise<SaveResult> {
    const raw = await this.db.select().from(rawInputs).where(eq(rawInputs.pk, pk));
    const r = raw[0];
    if (!r) throw notFound(`Raw input ${pk} not found`);
    const env: Envelope = {
      pk: r.pk,
      run_id: r.runId,
      benchmark_name: r.benchmarkName,
      timestamp: r.timestamp,
      ts: r.ts,
      model_id: r.modelId,
      tokenizer_id: r.tokenizerId,
      source: source ?? r.source,
      data: r.data,
    };
    const parser = parserFor(env.source);
    if (!parser) throw unprocessable(source ? ['query', 'source'] : ['body', 'source'], `No parser for source ${JSON.stringify(env.source)}`);
    let derived: { parser: string; data: StandardizedData };
    try {
      derived = this.derive(env, r.data)!;
    } catch (e) {
      if (e instanceof ParseError) throw unprocessable(['body', 'data', ...e.path], e.message);
      throw e;
    }
    const stdEnv = { ...env, source: r.source };
    const hash = hashOf(stdEnv, derived.data);
    const rows = flattenMetrics(derived.data, env.benchmark_name);
    return this.db.transaction(async (tx) => {
      const out = this.saved(stdEnv, false);
      out.standardized = { stored: true, parser: derived.parser };
      if (await repo.insertDoc(tx, standardizedOutputs, stdEnv, derived.data, hash, { derived: true, parser: derived.parser })) {
        await repo.insertMetrics(tx, stdEnv, rows);
        out.created = true;
        return out;
      }
      const existing = await repo.findDoc(tx, standardizedOutputs, pk, true);
      if (existing && !existing.derived && existing.hash !== hash) {
        throw conflict(`Result ${pk} has an explicitly posted standardized document; it is kept`);
      }
      if (existing && existing.hash !== hash) {
        await repo.replaceStandardized(tx, stdEnv, derived.data, hash, { derived: true, parser: derived.parser });
        await repo.insertMetrics(tx, stdEnv, rows);
        out.created = true;
      }
      return out;
    });
  }

  /** Parses without storing (what POST /raw_input would derive). */
  preview(body: ResultPost): { parser: string; data: StandardizedData } {
    const env = parseEnvelope(body);
    try {
      const d = this.derive(env, env.data);
      if (!d) throw unprocessable(['body', 'source'], `No parser for source ${JSON.stringify(env.source)}`);
      return d;
    } catch (e) {
      if (e instanceof ParseError) throw unprocessable(['body', 'data', ...e.path], e.message);
      throw e;
    }
  }

  private async getFrom(t: repo.Collection, what: string, pk: string): Promise<ResultDocument> {
    const doc = await repo.getDoc(this.db, t, pk);
    if (!doc) throw notFound(`${what} ${pk} not found`);
    return { result_name: doc.pk, data: doc.data };
  }

  getRaw(pk: string): Promise<ResultDocument> {
    return this.getFrom(rawInputs, 'Raw input', pk);
  }

  getStandardized(pk: string): Promise<ResultDocument> {
    return this.getFrom(standardizedOutputs, 'Standardized output', pk);
  }

  listRaw(filter: ResultFilter = {}): Promise<ResultPage> {
    return repo.listDocs(this.db, rawInputs, filter);
  }

  listStandardized(filter: ResultFilter = {}): Promise<ResultPage> {
    return repo.listDocs(this.db, standardizedOutputs, filter);
  }

  async compare(pks: string[]): Promise<CompareResult> {
    const unique = [...new Set(pks)];
    if (unique.length < 2) throw unprocessable(['query', 'pks'], 'give at least two distinct pks, comma-separated');
    if (unique.length > 50) throw unprocessable(['query', 'pks'], 'compare at most 50 results at once');
    const summaries = await repo.summariesOf(this.db, unique);
    const missing = unique.filter((pk) => !summaries.some((s) => s.pk === pk));
    if (missing.length) throw notFound(`Standardized output not found: ${missing.join(', ')}`);
    const rows = await repo.metricsOf(this.db, unique);
    const [baseline, ...others] = unique;
    const byPath = new Map<string, ComparedMetric>();
    for (const r of rows) {
      let m = byPath.get(r.path);
      if (!m) {
        const group = r.group as MetricGroup;
        m = {
          path: r.path,
          group,
          task: r.task,
          metric: r.metric,
          stat: r.stat,
          higher_is_better: higherIsBetter({ group, metric: r.metric }),
          values: Object.fromEntries(unique.map((pk) => [pk, null])),
          deltas: {},
        };
        byPath.set(r.path, m);
      }
      m.values[r.pk] = r.value;
    }
    for (const m of byPath.values()) {
      const base = m.values[baseline];
      for (const pk of others) {
        const v = m.values[pk];
        if (base === null || v === null) {
          m.deltas[pk] = { absolute: null, relative: null, improved: null };
          continue;
        }
        const absolute = v - base;
        m.deltas[pk] = {
          absolute,
          relative: base === 0 ? null : absolute / Math.abs(base),
          improved: absolute === 0 ? null : absolute > 0 === m.higher_is_better,
        };
      }
    }
    const metrics = [...byPath.values()].sort(
      (a, b) => GROUP_ORDER[a.group] - GROUP_ORDER[b.group] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
    return { baseline, results: unique.map((pk) => summaries.find((s) => s.pk === pk)!), metrics };
  }

  async history(modelId: string, q: HistoryQuery) {
    if (!q.metric) throw unprocessable(['query', 'metric'], 'Field required', 'missing');
    return repo.history(this.db, {
      modelId,
      metric: q.metric,
      task: q.task,
      stat: q.stat,
      benchmarkName: q.benchmark_name,
      since: q.since,
      until: q.until,
      limit: q.limit ?? 1000,
      offset: q.offset ?? 0,
    });
  }

  async counts() {
    return repo.counts(this.db);
  }
}
