/**
 * Stores a run's outputs: posts the raw document to the Results service, which derives the standardized one under the
 * same pk (its answer says so); only when it did not (an older service, or a standardize failure) is the standardized
 * document posted too, with the same run_id and timestamp, so both share one pk. Transient failures are retried; with
 * no results URL, or when posting finally fails, JSON files are written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultPost, ResultsApi, ResultSummary, SaveResult } from '../services/results/api.ts';
import { RUNNER_SOURCE, standardize, type RunnerOutput } from './report.ts';

export interface PublishTarget {
  /** Results service client (undefined: write files). */
  api?: ResultsApi;
  /** For messages only. */
  resultsUrl?: string;
  outputDir: string;
  attempts?: number;
  /** Base backoff in ms (doubled per attempt). */
  backoffMs?: number;
  log: (line: string) => void;
  /** The source posted (default benchops-runner; a pod's part: benchops-runner-part). */
  source?: string;
  /** Post the raw document only (a part: the service stores the merged run, never a part's own standardized one). */
  rawOnly?: boolean;
}

export interface Envelope {
  run_id: string;
  benchmark_name: string;
  model_id: string;
  tokenizer_id: string;
  timestamp: string;
}

export interface PublishOutcome {
  posted: boolean;
  pk?: string;
  /** How the standardized document was stored: derived by the service from the raw one, or posted by the runner. */
  standardized?: 'derived' | 'posted';
  files: string[];
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Network errors, timeouts, 429 and 5xx are worth retrying; 4xx (bad data, conflict, auth) are not. */
export function isTransient(e: unknown): boolean {
  const status = (e as { status?: unknown; statusCode?: unknown })?.status ?? (e as { statusCode?: unknown })?.statusCode;
  if (typeof status !== 'number') return true;
  return status === 408 || status === 429 || status >= 500;
}

async function withRetry<T>(what: string, fn: () => Promise<T>, t: PublishTarget): Promise<T> {
  const attempts = t.attempts ?? 5;
  const base = t.backoffMs ?? 500;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isTransient(e)) throw e;
      const wait = base * 2 ** (i - 1);
      t.log(`posting ${what} failed (${(e as Error).message}); retry ${i}/${attempts - 1} in ${(wait / 1000).toFixed(1)}s`);
      await sleep(wait);
    }
  }
}

function writeFiles(raw: RunnerOutput, env: Envelope, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stem = `${env.benchmark_name}-${env.run_id}`.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const files: string[] = [];
  for (const [suffix, data] of [
    ['raw', raw],
    ['standardized', standardize(raw)],
  ] as const) {
    const file = path.join(dir, `${stem}.${suffix}.json`);
    writeFileSync(file, JSON.stringify({ ...env, source: RUNNER_SOURCE, data }, null, 2));
    files.push(file);
  }
  return files;
}

/** Posts (or writes) the run's documents and says where they went. */
export async function publish(raw: RunnerOutput, env: Envelope, t: PublishTarget): Promise<PublishOutcome> {
  if (!t.api) {
    const files = writeFiles(raw, env, t.outputDir);
    t.log(`no results URL (BENCHOPS_RESULTS_URL): results written to ${files.join(' and ')}`);
    return { posted: false, files };
  }
  const base: Omit<ResultPost, 'data'> = { ...env, source: t.source ?? RUNNER_SOURCE };
  try {
    const rawSummary: ResultSummary & Partial<SaveResult> = await withRetry(
      'raw_input',
      () => t.api!.postRaw({ ...base, data: raw as unknown as Record<string, unknown> }),
      t,
    );
    // The service derived it (or keeps an explicit one): posting it again would only replace it with the same numbers.
    const derived = rawSummary.standardized?.stored === true || rawSummary.standardized?.reason === 'explicit';
    if (!derived && !t.rawOnly) {
      if (rawSummary.standardized?.error) t.log(`the Results service did not standardize the raw input (${rawSummary.standardized.error}); posting it`);
      await withRetry('standardized_output', () => t.api!.postStandardized({ ...base, data: standardize(raw) }), t);
    }
    t.log(`results posted to ${t.resultsUrl ?? 'the Results service'} as ${rawSummary.pk}`);
    return { posted: true, pk: rawSummary.pk, standardized: derived ? 'derived' : t.rawOnly ? undefined : 'posted', files: [] };
  } catch (e) {
    const files = writeFiles(raw, env, t.outputDir);
    const error = `could not post results to ${t.resultsUrl ?? 'the Results service'}: ${(e as Error).message}`;
    t.log(`${error}; results kept in ${files.join(' and ')}`);
    return { posted: false, files, error };
  }
}
