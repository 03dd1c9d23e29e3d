/**
 * The one cache behind every service's list endpoints: pages kept under the version of what they were read from (a
 * counter the database bumps with triggers on every write, or a generation the only writer bumps), so a page is never
 * answered stale, whichever replica wrote. Bounded in entries, in total bytes and per entry (one huge page would push
 * everything else out); least recently used goes first.
 */

export interface VersionedCacheOptions<P> {
  /** Most pages kept. */
  maxEntries?: number;
  /** Most bytes kept in all (as `sizeOf` counts them). */
  maxBytes?: number;
  /** Largest single page kept (default a quarter of `maxBytes`). */
  maxEntryBytes?: number;
  /** The size of a page in bytes (e.g. its JSON text's length × 2). */
  sizeOf: (page: P) => number;
}

interface Entry<P> {
  version: number;
  page: P;
  size: number;
}

/** A bounded LRU of pages, each valid for one version of its source. */
export class VersionedCache<P> {
  private readonly entries = new Map<string, Entry<P>>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private readonly sizeOf: (page: P) => number;

  constructor(o: VersionedCacheOptions<P>) {
    this.maxEntries = o.maxEntries ?? 512;
    this.maxBytes = o.maxBytes ?? 32 * 1024 * 1024;
    this.maxEntryBytes = o.maxEntryBytes ?? this.maxBytes / 4;
    this.sizeOf = o.sizeOf;
  }

  /** The page kept for `key` under `version`, or undefined (a page under another version is not answered). */
  peek(key: string, version: number): P | undefined {
    const e = this.entries.get(key);
    if (!e || e.version !== version) return undefined;
    // most recently used last
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.page;
  }

  /** Keeps `page` for `key` under `version`, replacing what was there; pages over the per-entry bound are not kept. */
  set(key: string, version: number, page: P): void {
    this.drop(key);
    const size = this.sizeOf(page);
    if (size > this.maxEntryBytes) return;
    this.entries.set(key, { version, page, size });
    this.bytes += size;
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.drop(k);
    }
  }

  /**
   * The page for `key` under `version`, loading and keeping it when absent or stale. `keep` is asked after the load:
   * false (e.g. a write ran meanwhile under a local generation) answers the page without keeping it.
   */
  async get(key: string, version: number, load: () => Promise<P>, keep: () => boolean = () => true): Promise<P> {
    const hit = this.peek(key, version);
    if (hit !== undefined) return hit;
    const page = await load();
    if (keep()) this.set(key, version, page);
    return page;
  }

  /** Forgets every page. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.bytes -= old.size;
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes kept, as `sizeOf` counts them. */
  get byteSize(): number {
    return this.bytes;
  }
}
