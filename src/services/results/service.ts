/**
 * Results logic: idempotent saves with 409 on conflicting data, standardized documents derived from known tools'
 * raw outputs under the same pk, lists, compare and per-model history. Implements ResultsApi in-process.
 */
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, Tx } from '../../core/db/client.ts';
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
import { PARSER_VERSION, ParseError, parserFor, selectParser, type ParseContext, type ResultParser, type SelectedBy } from './parsers/index.ts';
import { ListCache, listDocs, listKey, listVersion, type CachedPage } from './lists.ts';
import * as repo from './repository.ts';
import { rawInputs, standardizedOutputs } from './schema.ts';
import {
  canonicalJson,
  flattenMetrics,
  higherIsBetter,
  indexableRows,
  normalizeStandardized,
  sha256,
  type MetricGroup,
  type MetricRow,
  type StandardizedData,
} from './standard.ts';
import { TooDeepError } from './redact.ts';
import { parseEnvelope, withRun, type Envelope } from './validation.ts';
import { mergeRunnerParts, PART_SOURCE, partProblem, partRunId, type PartDocument } from '../../runner/parts.ts';
import { RUNNER_SOURCE } from '../../runner/report.ts';

type Selected = { parser: ResultParser; selectedBy: SelectedBy };
type Derived = { parser: string; data: StandardizedData };

const hashOf = (env: Envelope, data: unknown) =>
  sha256(canonicalJson({ data, model_id: env.model_id, tokenizer_id: env.tokenizer_id, source: env.source }));

const GROUP_ORDER: Record<string, number> = { score: 0, latency: 1, throughput: 2, summary: 3 };

export interface PostRawOptions {
  /** False: store the raw input only, even for a known source. */
  standardize?: boolean;
}

export interface ResultsServiceOptions {
  /**
   * This process is the only writer of the database (PGlite): cached list pages are dropped around its own writes,
   * with no version lookup per request.
   */
  singleWriter?: boolean;
}

export class ResultsService implements FullResultsApi {
  private readonly lists = new ListCache();
  private readonly singleWriter: boolean;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    opts: ResultsServiceOptions = {},
  ) {
    this.singleWriter = opts.singleWriter ?? false;
  }

  /** Runs a write; in single-writer mode the list cache is forgotten before and after it. */
  private async writing<T>(fn: () => Promise<T>): Promise<T> {
    if (this.singleWriter) this.lists.invalidate();
    try {
      return await fn();
    } finally {
      if (this.singleWriter) this.lists.invalidate();
    }
  }

  /** A list page from the cache while its collection's version is current, else from the database. */
  async listPage(collection: 'raw' | 'standardized', filter: ResultFilter = {}): Promise<CachedPage> {
    const t = collection === 'raw' ? rawInputs : standardizedOutputs;
    const load = () => listDocs(this.db, t, filter);
    if (this.singleWriter) return this.lists.get(listKey(t, filter), load);
    return this.lists.get(listKey(t, filter), load, await listVersion(this.db, t));
  }

  private saved(env: Envelope, created: boolean, origin: SaveResult['run_id_origin'] = env.run_id_generated ? 'generated' : 'given'): SaveResult {
    return {
      status: 'success',
      saved_as: env.pk,
      created,
      pk: env.pk,
      run_id: env.run_id,
      run_id_origin: origin,
      benchmark_name: env.benchmark_name,
      model_id: env.model_id,
      tokenizer_id: env.tokenizer_id,
      source: env.source,
      timestamp: env.timestamp,
      ...(env.warnings.length ? { warnings: env.warnings } : {}),
    };
  }

  private context(env: Envelope): ParseContext {
    const { benchmark_name, model_id, tokenizer_id, source, run_id, timestamp } = env;
    return { benchmark_name, model_id, tokenizer_id, source, run_id, timestamp };
  }

  /** Runs the selected parser; the document's `meta.parser` says which one ran and why. Throws ParseError on a wrong shape. */
  private derive(env: Envelope, data: unknown, sel: Selected): Derived {
    let parsed: StandardizedData;
    try {
      parsed = sel.parser.parse(data, this.context(env));
    } catch (e) {
      if (e instanceof TooDeepError) throw new ParseError([], e.message);
      throw e;
    }
    const { data: normalized, issues } = normalizeStandardized(parsed);
    if (!normalized) throw new ParseError(issues[0].loc, issues[0].msg);
    normalized.meta = { ...normalized.meta, parser: { name: sel.parser.name, selected_by: sel.selectedBy, version: PARSER_VERSION } };
    return { parser: sel.parser.name, data: normalized };
  }

  /** The derived document, or the reason the data does not have the tool's shape. */
  private tryDerive(env: Envelope, sel: Selected): { derived?: Derived; error?: string } {
    try {
      return { derived: this.derive(env, env.data, sel) };
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      const error = `data.${e.path.join('.')}: ${e.message}`.replace('data.: ', 'data: ');
      this.log.info({ pk: env.pk, parser: sel.parser.name, error }, 'raw input stored without a standardized document');
      return { error };
    }
  }

  /**
   * A post without a run id joins an earlier one: the identical document (a re-post), else the other half of the run
   * (images post raw and standardized separately, both without a run id). Runs in the transaction, under a lock.
   */
  private async joinEarlier(tx: Tx, env: Envelope, into: 'raw' | 'standardized', hash: string) {
    if (!env.run_id_generated) return undefined;
    await repo.lockRun(tx, env);
    const same = await repo.findIdentical(tx, into === 'raw' ? rawInputs : standardizedOutputs, env, hash);
    if (same) return { env: withRun(env, same.runId, same.timestamp, same.ts), origin: 'identical_post' as const };
    const pair = await repo.findCounterpart(tx, into, env);
    if (pair) return { env: withRun(env, pair.runId, pair.timestamp, pair.ts), origin: 'linked_post' as const };
    return undefined;
  }

  /** The metric rows that can be indexed; what was left out becomes a warning of the answer. */
  private indexed(out: SaveResult, all: MetricRow[]): MetricRow[] {
    const { rows, warnings } = indexableRows(all);
    if (warnings.length) out.warnings = [...(out.warnings ?? []), ...warnings];
    return rows;
  }

  /** The pk is taken by another benchmark whose name has the same pk spelling (`a b` and `a_b`). */
  private checkSameName(existing: repo.StoredDoc | undefined, env: Envelope, what: string): void {
    if (existing && existing.benchmarkName !== env.benchmark_name) {
      throw conflict(`Result ${env.pk} already exists in ${what} for benchmark ${JSON.stringify(existing.benchmarkName)}; give a run_id`);
    }
  }

  async postRaw(body: ResultPost, opts: PostRawOptions = {}): Promise<SaveResult> {
    const first = parseEnvelope(body);
    if (first.source === PART_SOURCE) return this.postPart(first);
    const hash = hashOf(first, first.data);
    const sel = opts.standardize === false ? undefined : selectParser(first.source, first.data);
    // Parse before the transaction: pure CPU, and a wrong shape must not leave anything half-stored.
    const parsed = sel ? this.tryDerive(first, sel) : {};
    return this.writing(() => this.db.transaction((tx) => this.storeRaw(tx, first, hash, sel, parsed, opts)));
  }

  /**
   * One pod's part of a run split over an Indexed Job (src/runner/parts.ts): stored as a raw input only; the post that
   * completes the set merges every part into the run's one raw and standardized result (exact percentiles over the
   * union of the records, each pod's self-check kept), in the same transaction, under a lock on the run: of two last
   * parts arriving together, the second to take the lock sees the first committed and merges.
   */
  private async postPart(env: Envelope): Promise<SaveResult> {
    const problem = partProblem(env.data);
    if (problem) throw unprocessable(['body', ...problem.split(' ')[0].split('.')], problem);
    const part = (env.data as unknown as PartDocument).part;
    if (env.run_id !== partRunId(part.run_id, part.index)) {
      throw unprocessable(['body', 'run_id'], `a part's run_id must be ${JSON.stringify(partRunId(part.run_id, part.index))} (data.part.run_id and index)`);
    }
    const hash = hashOf(env, env.data);
    return this.writing(() => this.db.transaction(async (tx) => {
      const created = await repo.insertDoc(tx, rawInputs, env, env.data, hash);
      if (!created) {
        const existing = await repo.findDoc(tx, rawInputs, env.pk);
        this.checkSameName(existing, env, 'raw_input');
        if (existing && existing.hash !== hash) throw conflict(`Result ${env.pk} already exists in raw_input with different data`);
      }
      const out = this.saved(env, created);
      out.standardized = { stored: false, parser: null, reason: 'a part of a run: the merged run is the result' };
      await repo.lockKey(tx, `parts:${part.run_id}`);
      const ids = Array.from({ length: part.count }, (_, i) => partRunId(part.run_id, i));
      const docs = (await repo.dataOfRuns(tx, rawInputs, ids, PART_SOURCE)) as PartDocument[];
      const byIndex = new Map<number, PartDocument>();
      for (const d of docs) if (d?.part?.count === part.count && !partProblem(d)) byIndex.set(d.part.index, d);
      out.part = { run_id: part.run_id, index: part.index, count: part.count, received: byIndex.size, merged_pk: null };
      if (byIndex.size < part.count) return out;
      const merged = mergeRunnerParts([...byIndex.values()]);
      const mergedEnv = parseEnvelope({
        run_id: part.run_id,
        benchmark_name: env.benchmark_name,
        model_id: env.model_id,
        tokenizer_id: env.tokenizer_id,
        source: RUNNER_SOURCE,
        timestamp: String(merged.meta.started_at ?? env.timestamp),
        data: merged,
      });
      const sel = selectParser(mergedEnv.source, mergedEnv.data);
      const saved = await this.storeRaw(tx, mergedEnv, hashOf(mergedEnv, mergedEnv.data), sel, sel ? this.tryDerive(mergedEnv, sel) : {}, {});
      out.part.merged_pk = saved.pk;
      if (saved.warnings?.length) out.warnings = [...(out.warnings ?? []), ...saved.warnings.map((w) => `merged run: ${w}`)];
      if (saved.standardized && !saved.standardized.stored) out.warnings = [...(out.warnings ?? []), `merged run stored without a standardized document: ${saved.standardized.error ?? saved.standardized.reason ?? 'no parser'}`];
      this.log.info({ run_id: part.run_id, parts: part.count, pk: saved.pk }, 'parts merged into one run');
      return out;
    }));
  }

  /** Stores a raw input (and its derived standardized document) in `tx`: the body of postRaw's transaction. */
  private async storeRaw(tx: Tx, first: Envelope, hash: string, sel: Selected | undefined, firstParsed: { derived?: Derived; error?: string }, opts: PostRawOptions): Promise<SaveResult> {
    let parsed = firstParsed;
    {
      const joined = await this.joinEarlier(tx, first, 'raw', hash);
      const env = joined?.env ?? first;
      // The run id and timestamp are part of the derived document's meta: derive again under the joined ones.
      if (joined && sel) parsed = this.tryDerive(env, sel);
      const { derived, error: parseError } = parsed;
      const created = await repo.insertDoc(tx, rawInputs, env, env.data, hash);
      if (!created) {
        const existing = await repo.findDoc(tx, rawInputs, env.pk);
        this.checkSameName(existing, env, 'raw_input');
        if (existing && existing.hash !== hash) throw conflict(`Result ${env.pk} already exists in raw_input with different data`);
      }
      const out = this.saved(env, created, joined?.origin);
      if (!sel) {
        if (opts.standardize !== false) out.standardized = { stored: false, parser: null };
        return out;
      }
      if (!derived) {
        out.standardized = { stored: false, parser: sel.parser.name, selected_by: sel.selectedBy, error: parseError };
        return out;
      }
      const stdHash = hashOf(env, derived.data);
      const rows = this.indexed(out, flattenMetrics(derived.data, env.benchmark_name));
      const info = { parser: derived.parser, selected_by: sel.selectedBy };
      const inserted = await repo.insertDoc(tx, standardizedOutputs, env, derived.data, stdHash, { derived: true, parser: derived.parser });
      if (inserted) {
        await repo.insertMetrics(tx, env, rows);
        out.standardized = { stored: true, ...info };
        return out;
      }
      const std = await repo.findDoc(tx, standardizedOutputs, env.pk, true);
      if (std && !std.derived) {
        out.standardized = { stored: false, ...info, reason: 'explicit' };
      } else if (std && std.hash !== stdHash) {
        // A newer parser version derives a different document from the same raw input.
        await repo.replaceStandardized(tx, env, derived.data, stdHash, { derived: true, parser: derived.parser });
        await repo.insertMetrics(tx, env, rows);
        out.standardized = { stored: true, ...info };
      } else {
        out.standardized = { stored: true, ...info };
      }
      return out;
    }
  }

  async postStandardized(body: ResultPost): Promise<SaveResult> {
    const first = parseEnvelope(body);
    const { data, issues } = normalizeStandardized(first.data);
    if (!data) throw new AppError(422, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '), 'validation', issues);
    const hash = hashOf(first, data);
    const { rows, warnings } = indexableRows(flattenMetrics(data, first.benchmark_name));
    first.warnings.push(...warnings);
    return this.writing(() => this.db.transaction(async (tx) => {
      const joined = await this.joinEarlier(tx, first, 'standardized', hash);
      const env = joined?.env ?? first;
      if (await repo.insertDoc(tx, standardizedOutputs, env, data, hash)) {
        await repo.insertMetrics(tx, env, rows);
        return this.saved(env, true, joined?.origin);
      }
      const existing = await repo.findDoc(tx, standardizedOutputs, env.pk, true);
      if (!existing) throw conflict(`Result ${env.pk} was written concurrently; retry`);
      this.checkSameName(existing, env, 'standardized_output');
      if (existing.hash === hash) {
        if (existing.derived) await repo.markExplicit(tx, env.pk);
        return this.saved(env, false, joined?.origin);
      }
      if (!existing.derived) throw conflict(`Result ${env.pk} already exists in standardized_output with different data`);
      // An explicit document replaces the one derived from the raw input (the earlier images posted both).
      await repo.replaceStandardized(tx, env, data, hash, { derived: false, parser: null });
      await repo.insertMetrics(tx, env, rows);
      return this.saved(env, true, joined?.origin);
    }));
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
      run_id_generated: r.runIdGenerated,
      timestamp_generated: r.timestampGenerated,
      warnings: [],
    };
    // An explicit `source` must name a parser; the stored one may also be recognised by the data's shape.
    const sel = source ? (parserFor(source) ? { parser: parserFor(source)!, selectedBy: 'source' as const } : undefined) : selectParser(r.source, r.data);
    if (!sel) {
      throw unprocessable(source ? ['query', 'source'] : ['body', 'source'], `No parser for source ${JSON.stringify(env.source)}, and the data has no known tool's shape`);
    }
    let derived: Derived;
    try {
      derived = this.derive(env, r.data, sel);
    } catch (e) {
      if (e instanceof ParseError) throw unprocessable(['body', 'data', ...e.path], e.message);
      throw e;
    }
    const stdEnv = { ...env, source: r.source };
    const hash = hashOf(stdEnv, derived.data);
    const { rows, warnings } = indexableRows(flattenMetrics(derived.data, env.benchmark_name));
    stdEnv.warnings = warnings;
    return this.writing(() => this.db.transaction(async (tx) => {
      const out = this.saved(stdEnv, false);
      out.standardized = { stored: true, parser: derived.parser, selected_by: sel.selectedBy };
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
    }));
  }

  /** Parses without storing (what POST /raw_input would derive). */
  preview(body: ResultPost): { parser: string; selected_by: SelectedBy; data: StandardizedData } {
    const env = parseEnvelope(body);
    const sel = selectParser(env.source, env.data);
    if (!sel) throw unprocessable(['body', 'source'], `No parser for source ${JSON.stringify(env.source)}, and the data has no known tool's shape`);
    try {
      const d = this.derive(env, env.data, sel);
      return { ...d, selected_by: sel.selectedBy };
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

  async listRaw(filter: ResultFilter = {}): Promise<ResultPage> {
    const { items, total } = await this.listPage('raw', filter);
    return { items, total };
  }

  async listStandardized(filter: ResultFilter = {}): Promise<ResultPage> {
    const { items, total } = await this.listPage('standardized', filter);
    return { items, total };
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
    // Paired by what a number is (task, metric, filter, stat), not where it sits: `acc,none` and `acc` are one score.
    const byId = new Map<string, ComparedMetric>();
    const order = new Map(unique.map((pk, i) => [pk, i]));
    rows.sort((a, b) => order.get(a.pk)! - order.get(b.pk)!);
    for (const r of rows) {
      const id = `${r.group}\u0000${r.task}\u0000${r.metric}\u0000${r.filter}\u0000${r.stat}`;
      let m = byId.get(id);
      if (!m) {
        const group = r.group as MetricGroup;
        m = {
          path: r.path,
          group,
          task: r.task,
          metric: r.metric,
          filter: r.filter,
          stat: r.stat,
          higher_is_better: higherIsBetter({ group, metric: r.metric, stat: r.stat }),
          values: Object.fromEntries(unique.map((pk) => [pk, null])),
          deltas: {},
        };
        byId.set(id, m);
      }
      if (m.values[r.pk] === null) m.values[r.pk] = r.value;
    }
    for (const m of byId.values()) {
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
          // a count or a time has no better direction
          improved: absolute === 0 || m.stat === 'detail' ? null : absolute > 0 === m.higher_is_better,
        };
      }
    }
    const metrics = [...byId.values()].sort(
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
      filter: q.filter,
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
