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
import type { HistoryPoint } from './model/regression';

export type Summary = paths['/standardized_output']['get']['responses'][200]['content']['application/json'][number];
export type ListQuery = NonNullable<paths['/standardized_output']['get']['parameters']['query']>;
export type CompareAnswer = paths['/compare']['get']['responses'][200]['content']['application/json'];

/** The most results one comparison may hold (the service refuses more). */
export const MAX_COMPARE = 50;
/** History points fetched per metric (the service's default page). */
export const HISTORY_LIMIT = 1000;

export const resultsApi = {
  list: (q: ListQuery) => unwrapPage(results.GET('/standardized_output', { params: { query: q } })),
  /** One standardized document, every section in place. */
  async document(pk: string): Promise<{ name: string; doc: StandardDoc }> {
    const r = await unwrap(results.GET('/standardized_output/{pk}', { params: { path: { pk } } }));
    return { name: r.result_name, doc: asDoc(r.data) };
  },
  /** The raw input stored under the same pk (per-request records, samples), or null when only a standardized post exists. */
  async raw(pk: string): Promise<unknown | null> {
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
  async history(q: { model_id: string; metric: string; benchmark_name?: string; since?: string; until?: string }): Promise<{ items: HistoryPoint[]; total: number }> {
    return unwrapPage(results.GET('/history', { params: { query: { ...q, limit: HISTORY_LIMIT } } }));
  },
};

/** A result's standardized document. */
export function useDocument(pk: string | undefined) {
  return useQuery({ queryKey: ['results', 'doc', pk], queryFn: () => resultsApi.document(pk!), enabled: !!pk, staleTime: 60_000 });
}

/** A result's raw input (only fetched when the page needs per-request records or samples). */
export function useRaw(pk: string | undefined, enabled = true) {
  return useQuery({ queryKey: ['results', 'raw', pk], queryFn: () => resultsApi.raw(pk!), enabled: !!pk && enabled, staleTime: 60_000 });
}
