/**
 * The results service calls the results pages make (typed from its OpenAPI document) and their TanStack Query keys.
 * Every call is bounded: lists are paged, compare takes at most 50 results, history at most 1000 points per metric.
 */
import { useQuery } from '@tanstack/react-query';
import { results, unwrap, unwrapPage } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { paths } from '../../api/schema/results';
import { asDoc, type StandardDoc } from './model/document';
import type { ComparedMetric } from './model/compare';
import { flattenMetrics, higherIsBetter } from './model/metrics';
import type { HistoryPoint } from './model/regression';

export type Summary = paths['/standardized_output']['get']['responses'][200]['content']['application/json'][number];
export type ListQuery = NonNullable<paths['/standardized_output']['get']['parameters']['query']>;
export type CompareAnswer = paths['/compare']['get']['responses'][200]['content']['application/json'];

/** The most results one comparison may hold (the service refuses more). */
export const MAX_COMPARE = 50;
/** History points fetched per metric (the service's default page). */
export const HISTORY_LIMIT = 1000;

/** The timestamp a pk starts with (`{timestamp}-{benchmark}-{run_id}`, ISO-8601), or null for older pks. */
export function timestampOfPk(pk: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))-/.exec(pk);
  return m && Number.isFinite(Date.parse(m[1])) ? m[1] : null;
}

export const resultsApi = {
  list: (q: ListQuery) => unwrapPage(results.GET('/standardized_output', { params: { query: q } })),
  /** One standardized document, every section in place. */
  async document(pk: string): Promise<{ name: string; doc: StandardDoc }> {
    const r = await unwrap(results.GET('/standardized_output/{pk}', { params: { path: { pk } } }));
    return { name: r.result_name, doc: asDoc(r.data) };
  },
  /**
   * A result's summary (model, source, time): the list at the pk's own instant holds it. Null when the pk does not
   * start with an ISO timestamp (results stored before pks were normalised); the page then reads the document's meta.
   */
  async summary(pk: string): Promise<Summary | null> {
    const ts = timestampOfPk(pk);
    if (!ts) return null;
    const page = await resultsApi.list({ since: ts, until: ts, limit: 100 });
    return page.items.find((r) => r.pk === pk) ?? null;
  },
  /** The result of the same model and benchmark just before this one, if any. */
  async previous(s: Summary): Promise<Summary | null> {
    const page = await resultsApi.list({ model_id: s.model_id, benchmark_name: s.benchmark_name, until: s.timestamp, limit: 10, order: 'desc' });
    const at = Date.parse(s.timestamp);
    // the list's order: time, then pk
    return page.items.find((r) => Date.parse(r.timestamp) < at || (Date.parse(r.timestamp) === at && r.pk < s.pk)) ?? null;
  },
  /**
   * The raw input stored under the same pk (per-request records, samples), or null when only a standardized document
   * was posted. Asked through the list at the pk's instant first, so a missing raw input is not a failed request.
   */
  async raw(pk: string): Promise<unknown | null> {
    const ts = timestampOfPk(pk);
    if (ts) {
      const page = await unwrapPage(results.GET('/raw_input', { params: { query: { since: ts, until: ts, limit: 100 } } }));
      if (!page.items.some((r) => r.pk === pk)) return null;
    }
    try {
      return (await unwrap(results.GET('/raw_input/{pk}', { params: { path: { pk } } }))).data;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  },
  /** Every metric's value per result; `pks` are sent as repeated parameters (a pk may hold a comma). */
  async compare(pks: string[]): Promise<{ results: Summary[]; metrics: ComparedMetric[] }> {
    const r = await unwrap(results.GET('/compare', { params: { query: { pks } } }));
    return { results: r.results, metrics: r.metrics as ComparedMetric[] };
  },
  async history(q: { model_id: string; metric: string; benchmark_name?: string; stat?: string; since?: string; until?: string }): Promise<{ items: HistoryPoint[]; total: number }> {
    return unwrapPage(results.GET('/history', { params: { query: { ...q, limit: HISTORY_LIMIT } } }));
  },
};

/**
 * The metric values of a page of results, for the list's kind and headline columns: one `GET /compare` for two or
 * more, the document itself for one.
 */
export async function pageMetrics(rows: readonly Summary[]): Promise<ComparedMetric[]> {
  if (rows.length === 0) return [];
  if (rows.length === 1) {
    const { pk, benchmark_name } = rows[0];
    const { doc } = await resultsApi.document(pk);
    return flattenMetrics(doc, benchmark_name).map((r) => ({ ...r, higher_is_better: higherIsBetter(r.group, r.metric, r.stat), values: { [pk]: r.value } }));
  }
  return (await resultsApi.compare(rows.slice(0, MAX_COMPARE).map((r) => r.pk))).metrics;
}

/** A result's standardized document. */
export function useDocument(pk: string | undefined) {
  return useQuery({ queryKey: ['results', 'doc', pk], queryFn: () => resultsApi.document(pk!), enabled: !!pk, staleTime: 60_000 });
}

/** A result's raw input (only fetched when the page needs per-request records or samples). */
export function useRaw(pk: string | undefined, enabled = true) {
  return useQuery({ queryKey: ['results', 'raw', pk], queryFn: () => resultsApi.raw(pk!), enabled: !!pk && enabled, staleTime: 60_000 });
}
