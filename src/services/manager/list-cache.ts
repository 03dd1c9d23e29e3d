/**
 * List pages kept in memory, keyed by a version the database bumps with triggers on every change (a project's
 * files_version, migration 0001; the projects list's version, migration 0002): a list request costs one primary-key
 * lookup instead of building the page again.
 * Correct with several replicas, since the version comes from the database on every request; bounded in bytes
 * (least recently used entries go first) and per entry (pages with content are not kept).
 */

import { VersionedCache } from '../../core/list-cache.ts';

/** Total bytes of JSON text kept. */
export const LIST_CACHE_BYTES = 64 * 1024 * 1024;
/** Largest single page kept. */
const MAX_ENTRY_BYTES = 2 * 1024 * 1024;

export interface CachedPage {
  json: string;
  count: number;
  total: number;
}

/** File-list pages; the files_version is part of each key, so every page is kept under one version (0). */
export class ListCache {
  private readonly cache: VersionedCache<CachedPage>;

  constructor(maxBytes = LIST_CACHE_BYTES) {
    this.cache = new VersionedCache<CachedPage>({ maxEntries: 4096, maxBytes, maxEntryBytes: MAX_ENTRY_BYTES, sizeOf: (p) => p.json.length * 2 });
  }

  /** The page for `key`, computing and keeping it when absent (two callers computing at once both get their own). */
  get(key: string, compute: () => Promise<CachedPage>): Promise<CachedPage> {
    return this.cache.get(key, 0, compute);
  }

  get size(): number {
    return this.cache.size;
  }
}
