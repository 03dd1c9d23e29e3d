/** The seam between the sync and where files come from (GitHub REST or the git CLI): list, select, fetch changed blobs. */
import type { FileType } from '../api.ts';
import type { LayoutSettings } from '../layout.ts';

export interface FetchedFile {
  path: string;
  sha: string;
  fileType: FileType;
  benchmarkType: string;
  content: string;
}

export interface FetchRequest {
  layout: LayoutSettings;
  /** Null: the remote's default branch. */
  branch: string | null;
  token: string | null;
  /** What the database holds now, by path: blobs whose sha did not change are not downloaded again. */
  known: Map<string, { sha: string; content: string }>;
  /** Stored ETag of the last successful listing (GitHub). */
  etag: string | null;
}

export type FetchResult =
  | { unchanged: true }
  | { unchanged: false; files: FetchedFile[]; commit: string | null; etag: string | null; branch: string; skipped?: string[] };

/** Files larger than this are not synced (they are listed in the sync message instead). */
export const MAX_SYNC_FILE_BYTES = 5 * 1024 * 1024;

export interface RepoFetcher {
  fetch(req: FetchRequest): Promise<FetchResult>;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects on the first failure. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A sync failure with a message safe to show and store (no secrets). */
export class SyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncError';
  }
}
