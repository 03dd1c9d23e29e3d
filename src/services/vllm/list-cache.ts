/**
 * Serialised list responses cached per (query, table version). A statement trigger bumps the table's version in
 * `vllm_list_versions` with every write (migration 0003), so a list that nothing changed since costs one
 * primary-key read and a string write — no rows decoded, no views built, no JSON serialised — and is never stale,
 * whichever replica wrote. Bounded by entries and bytes (least recently used goes first). ETags let clients ask
 * with If-None-Match and get a 304.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../core/db/client.ts';
import { setTotal } from '../../core/http.ts';
import { VersionedCache } from '../../core/list-cache.ts';
import { vllmListVersions } from './schema.ts';

interface Entry {
  version: number;
  body: string;
  total: number;
  etag: string;
}

/** The vLLM lists' pages, in the one versioned cache every service uses (core/list-cache.ts). */
export class ListCache {
  private readonly cache: VersionedCache<Entry>;

  constructor(maxEntries = 64, maxBytes = 32 * 1024 * 1024) {
    this.cache = new VersionedCache<Entry>({ maxEntries, maxBytes, sizeOf: (e) => e.body.length });
  }

  get(key: string, version: number): Entry | undefined {
    return this.cache.peek(key, version);
  }

  set(key: string, e: Entry): void {
    this.cache.set(key, e.version, e);
  }

  get size(): number {
    return this.cache.size;
  }
}

/** The table's write version; null when the counter row is missing (then nothing is cached). */
export async function listVersion(db: Db, table: 'vllm_deployments' | 'vllm_queue'): Promise<number | null> {
  const [row] = await db.select({ v: vllmListVersions.version }).from(vllmListVersions).where(eq(vllmListVersions.name, table));
  return row ? Number(row.v) : null;
}

/**
 * Answers a list from the cache when its table did not change, else computes, serialises and caches it. The version
 * is read before the rows, so a cached body is never older than the version it is filed under.
 */
export async function cachedList(
  o: { db: Db; cache: ListCache; table: 'vllm_deployments' | 'vllm_queue'; key: string; req: FastifyRequest; reply: FastifyReply },
  compute: () => Promise<{ body: unknown; total: number }>,
): Promise<FastifyReply> {
  const version = await listVersion(o.db, o.table);
  let e = version === null ? undefined : o.cache.get(o.key, version);
  if (!e) {
    const { body, total } = await compute();
    const text = JSON.stringify(body);
    const etag = `"${o.table}-${version ?? 'x'}-${createHash('sha1').update(o.key).digest('hex').slice(0, 12)}"`;
    e = { version: version ?? -1, body: text, total, etag };
    if (version !== null) o.cache.set(o.key, e);
  }
  setTotal(o.reply, e.total);
  o.reply.header('etag', e.etag);
  o.reply.header('cache-control', 'no-cache');
  if (o.req.headers['if-none-match'] === e.etag) return o.reply.code(304).send();
  return o.reply.type('application/json; charset=utf-8').send(e.body);
}
