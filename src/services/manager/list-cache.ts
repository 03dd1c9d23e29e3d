/**
 * List pages kept in memory, keyed by a version the database bumps with triggers on every change (a project's
 * files_version, migration 0001; the projects list's version, migration 0002): a list request costs one primary-key
 * lookup instead of building the page again.
 * Correct with several replicas, since the version comes from the database on every request; bounded in bytes
 * (least recently used entries go first) and per entry (pages with content are not kept).
 */

/** Total bytes of JSON text kept. */
export const LIST_CACHE_BYTES = 64 * 1024 * 1024;
/** Largest single page kept. */
const MAX_ENTRY_BYTES = 2 * 1024 * 1024;

export interface CachedPage {
  json: string;
  count: number;
  total: number;
}

export class ListCache {
  private readonly pages = new Map<string, CachedPage>();
  private bytes = 0;

  constructor(private readonly maxBytes = LIST_CACHE_BYTES) {}

  /** The page for `key`, computing and keeping it when absent (two callers computing at once both get their own). */
  async get(key: string, compute: () => Promise<CachedPage>): Promise<CachedPage> {
    const hit = this.pages.get(key);
    if (hit) {
      // move to the young end
      this.pages.delete(key);
      this.pages.set(key, hit);
      return hit;
    }
    const page = await compute();
    this.put(key, page);
    return page;
  }

  private put(key: string, page: CachedPage): void {
    const size = page.json.length * 2;
    if (size > MAX_ENTRY_BYTES || this.pages.has(key)) return;
    this.pages.set(key, page);
    this.bytes += size;
    for (const [k, v] of this.pages) {
      if (this.bytes <= this.maxBytes) break;
      this.pages.delete(k);
      this.bytes -= v.json.length * 2;
    }
  }

  get size(): number {
    return this.pages.size;
  }
}
