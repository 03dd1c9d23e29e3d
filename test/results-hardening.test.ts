/**
 * Issue 10 for the results service, on PGlite and PostgreSQL: `data` nested past the documented limit is a 422 (over
 * HTTP and in-process, never a stack overflow), timestamps are real dates stored in UTC, and the list endpoints read a
 * page in index order (no sort, no `data`) and count only when the page cannot tell the total.
 */
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/client.ts';
import { ListCache, listSql } from '../src/services/results/lists.ts';
import { rawInputs, standardizedOutputs } from '../src/services/results/schema.ts';
import { ResultsService } from '../src/services/results/service.ts';
import { MAX_DATA_DEPTH } from '../src/services/results/standard.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

/** `{"a": {"a": … 1}}` with `levels` objects. */
const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const post = { benchmark_name: 'deep', model_id: 'm', source: 'script' };

describe.each(DB_KINDS)('results input limits over HTTP (%s)', (kind) => {
  let p: TestPlatform;
  const req = (method: string, url: string, body?: unknown) => call(p.urls.results!, method, url, body);
  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['results'] });
  });
  afterAll(async () => {
    await p?.close();
  });

  it(`data nested ${MAX_DATA_DEPTH} levels is stored; one more is a 422 on body.data`, async () => {
    expect(MAX_DATA_DEPTH).toBe(64);
    const ok = await req('POST', '/raw_input', { ...post, run_id: 'ok', data: nested(64) });
    expect(ok.status).toBe(200);
    expect((await req('GET', `/raw_input/${encodeURIComponent(ok.body.pk)}`)).body.data).toEqual(nested(64));
    for (const path of ['/raw_input', '/standardized_output', '/parse']) {
      const deep = await req('POST', path, { ...post, run_id: 'deep', data: nested(65) });
      expect(deep.status, path).toBe(422);
      expect(deep.body.detail[0]).toMatchObject({ loc: ['body', 'data'], type: 'too_deep' });
      expect(deep.body.detail[0].msg).toMatch(/deeper than 64 levels \(at data\.a\.a\.a\.a\.a\.a\.a\.a\.…\)/);
    }
    // a JSON string (the earlier clients posted json.dumps(...)) is held to the same limit once parsed
    const text = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const str = await req('POST', '/raw_input', { ...post, run_id: 'str', data: text });
    expect(str.status).toBe(422);
    expect(str.body.detail[0].loc).toEqual(['body', 'data']);
    expect((await req('GET', '/raw_input?benchmark_name=deep')).body.map((x: any) => x.run_id)).toEqual(['ok']);
    expect((await req('GET', '/health')).status).toBe(200);
  });

  it('timestamps are real dates: year 0000, Feb 30, month 13, 24:00 are 422s; offsets are stored as UTC with Z', async () => {
    for (const timestamp of ['0000-01-01T00:00:00Z', '2025-02-30T10:00:00Z', '2025-02-30', '2025-13-01', '2025-01-01T24:00:00Z', '2025-01-01T10:00:00+15:00']) {
      const r = await req('POST', '/raw_input', { ...post, benchmark_name: 'dates', data: {}, timestamp });
      expect(r.status, timestamp).toBe(422);
      expect(r.body.detail[0].loc, timestamp).toEqual(['body', 'timestamp']);
    }
    const leap = await req('POST', '/raw_input', { ...post, benchmark_name: 'dates', run_id: 'leap', data: {}, timestamp: '2024-02-29T00:30:00+01:00' });
    expect(leap.body).toMatchObject({ timestamp: '2024-02-28T23:30:00Z', pk: '2024-02-28T23:30:00Z-dates-leap' });
    const spaced = await req('POST', '/raw_input', { ...post, benchmark_name: 'dates', run_id: 'sp', data: {}, timestamp: '2024-03-01 08:00' });
    expect(spaced.body.timestamp).toBe('2024-03-01T08:00:00Z');
    const empty = await req('POST', '/raw_input', { ...post, benchmark_name: 'dates', run_id: 'now', data: {}, timestamp: '' });
    expect(Math.abs(Date.parse(empty.body.timestamp) - Date.now())).toBeLessThan(60_000);
    expect(empty.body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const order = await req('GET', '/raw_input?benchmark_name=dates&order=asc&until=2024-12-31');
    expect(order.body.map((x: any) => x.run_id)).toEqual(['leap', 'sp']);
    for (const q of ['since=2025-02-30', 'until=0000-01-01']) {
      const bad = await req('GET', `/raw_input?${q}`);
      expect(bad.status, q).toBe(422);
      expect(bad.body.detail[0].loc[0]).toBe('query');
    }
  });
});

describe.each(DB_KINDS)('results service on its own (%s)', (kind) => {
  let database: Database;
  let service: ResultsService;
  beforeAll(async () => {
    database = await freshDatabase(kind);
    service = new ResultsService(database.db, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await database?.close().catch(() => {});
  });

  it('in-process posts 10,000 levels deep are 422s, not stack overflows (the HTTP edge is not there)', async () => {
    for (const call of [() => service.postRaw({ ...post, data: nested(10_000) as any }), () => service.postStandardized({ ...post, data: { results: nested(10_000) } as any })]) {
      await expect(call()).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', 'data'], type: 'too_deep' }] });
    }
    expect((await service.listRaw({ benchmark_name: 'deep' })).total).toBe(0);
  });

  describe('list endpoints', () => {
    beforeAll(async () => {
      for (let i = 0; i < 120; i++) {
        await service.postStandardized({
          benchmark_name: `b${i % 3}`, model_id: `m${i % 4}`, source: i % 2 ? 's1' : 's2', run_id: `r${i}`,
          timestamp: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), data: { results: { t: { acc: i / 120 } } },
        });
        await service.postRaw({ benchmark_name: `b${i % 3}`, model_id: `m${i % 4}`, source: 's1', run_id: `r${i}`, timestamp: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), data: { i } });
      }
      await database.db.execute(sql`analyze`);
    });

    it.each([
      ['no filter', {}],
      ['model_id', { model_id: 'm1' }],
      ['benchmark_name', { benchmark_name: 'b2' }],
      ['source', { source: 's1' }],
      ['model and time range', { model_id: 'm2', since: '2026-01-01T00:30:00Z', until: '2026-01-01T01:30:00Z' }],
      ['ascending', { benchmark_name: 'b0', order: 'asc' as const }],
    ])('%s: the page is read from an index in order (no sort) and without data', async (_name, f) => {
      for (const t of [rawInputs, standardizedOutputs]) {
        const q = listSql(t, f);
        expect(q.text).not.toMatch(/"data"/);
        // the statement with its values written in, for EXPLAIN
        const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
        const inlined = q.text.replace(/\$(\d+)/g, (_m, i) => literal(q.values[Number(i) - 1]));
        const plan = await database.db.transaction(async (tx) => {
          // The tables are small, so a scan and a sort would be cheaper here: with those priced out, a plan that still
          // sorts means no index gives the lists' order.
          await tx.execute(sql`set local enable_seqscan = off`);
          await tx.execute(sql`set local enable_bitmapscan = off`);
          await tx.execute(sql`set local enable_sort = off`);
          const r: any = await tx.execute(sql.raw(`explain ${inlined}`));
          return (r.rows ?? r).map((row: any) => row['QUERY PLAN']).join('\n');
        });
        expect(plan).toMatch(/Index Scan/);
        expect(plan).not.toMatch(/Sort|Seq Scan/);
      }
    });

    it('the total is exact whether or not it needed a count', async () => {
      expect(await service.listStandardized({ model_id: 'm1', limit: 100 })).toMatchObject({ total: 30 });
      const full = await service.listStandardized({ limit: 100 });
      expect(full.items).toHaveLength(100);
      expect(full.total).toBe(120);
      expect((await service.listStandardized({ limit: 10, offset: 115 })).total).toBe(120);
      expect(await service.listRaw({ offset: 500 })).toEqual({ items: [], total: 120 });
      expect((await service.listRaw({ benchmark_name: 'none' })).total).toBe(0);
    });
  });

  it('names that would not fit an index entry are 422s naming the field; long metric names and metric floods are said back', async () => {
    // incompressible text: PostgreSQL compresses index entries, so repeated characters would not reach its limit
    const rnd = (n: number, from: number, span: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(from + ((i * 7919) % span))).join('');
    await expect(service.postRaw({ ...post, model_id: rnd(500, 0x4e00, 20000), data: {} })).rejects.toMatchObject({
      status: 422,
      issues: [{ loc: ['body', 'model_id'], msg: 'must be at most 512 bytes of UTF-8' }],
    });
    const longTask = rnd(3000, 97, 26);
    const r = await service.postStandardized({ ...post, run_id: 'long', data: { results: { [longTask]: { acc: 1 }, short: { acc: 0.5 } } } });
    expect(r.warnings).toEqual([expect.stringMatching(/^1 metric\(s\) have names longer than an index holds/)]);
    expect(((await service.getStandardized(r.pk)).data as any).results[longTask]).toEqual({ acc: 1 });
    const many = Object.fromEntries(Array.from({ length: 10_500 }, (_, i) => [`m${i}`, i / 10_500]));
    const f = await service.postStandardized({ ...post, run_id: 'flood', data: { results: { t: many } } });
    expect(f.warnings).toEqual(['10500 metrics in one document: the first 10000 are indexed, the rest are kept in the document only']);
    const rows: any = await database.db.execute(sql`select count(*)::int as n from results_metric_values where pk = ${f.pk}`);
    expect((rows.rows ?? rows)[0].n).toBe(10_000);
  });
});

describe('the list cache of a single-writer database (PGlite)', () => {
  it('serves a page until the next write, and never keeps a page read while a write ran', async () => {
    const database = await freshDatabase('pglite');
    try {
      const service = new ResultsService(database.db, pino({ level: 'silent' }), { singleWriter: true });
      const put = (i: number) => service.postStandardized({ ...post, benchmark_name: 'cached', run_id: `c${i}`, data: { results: { t: { acc: i } } } });
      await put(1);
      const first = await service.listStandardized({ benchmark_name: 'cached' });
      expect(first.total).toBe(1);
      expect((await service.listStandardized({ benchmark_name: 'cached' })).items).toBe(first.items); // served from the cache
      expect(Object.isFrozen(first.items[0])).toBe(true);
      await put(2);
      const second = await service.listStandardized({ benchmark_name: 'cached' });
      expect(second.total).toBe(2);
      expect(second.items.map((x) => x.run_id).sort()).toEqual(['c1', 'c2']);
      // a read that overlaps a write is answered but not kept
      const cache = new ListCache();
      const page = { items: [], total: 0 };
      await cache.get('k', async () => (cache.invalidate(), page));
      let loads = 0;
      await cache.get('k', async () => (loads++, page));
      expect(loads).toBe(1);
    } finally {
      await database.close();
    }
  });
});

describe.each(DB_KINDS)('list pages cached by list version, as two replicas of one database see them (%s)', (kind) => {
  it('a replica serves its cached page while nothing changed, and the new page once another replica wrote', async () => {
    const database = await freshDatabase(kind);
    try {
      const a = new ResultsService(database.db, pino({ level: 'silent' }));
      const b = new ResultsService(database.db, pino({ level: 'silent' }));
      const version = async () => {
        const r: any = await database.db.execute(sql`select name, version from results_list_versions order by name`);
        return Object.fromEntries((r.rows ?? r).map((x: any) => [x.name, Number(x.version)]));
      };
      const body = (i: number) => ({ ...post, benchmark_name: 'replicas', run_id: `v${i}`, timestamp: `2026-02-0${i}T00:00:00Z`, data: { results: { t: { acc: i } } } });
      await b.postStandardized(body(1));
      const v1 = await version();
      const first = await a.listPage('standardized', { benchmark_name: 'replicas' });
      expect(first.total).toBe(1);
      expect(await a.listPage('standardized', { benchmark_name: 'replicas' })).toBe(first);
      // an idempotent re-post changes no row: no new version, the page stays cached
      await b.postStandardized(body(1));
      expect(await version()).toEqual(v1);
      expect(await a.listPage('standardized', { benchmark_name: 'replicas' })).toBe(first);
      await b.postStandardized(body(2));
      expect((await version()).standardized).toBe(v1.standardized + 1);
      const second = await a.listPage('standardized', { benchmark_name: 'replicas' });
      expect(second.items.map((x) => x.run_id)).toEqual(['v2', 'v1']);
      expect(JSON.parse(second.json)).toEqual(second.items);
      // a raw post bumps the raw collection only (its derived standardized document bumps standardized)
      await b.postRaw({ ...body(3), source: 'script' });
      expect(await version()).toEqual({ raw: v1.raw + 1, standardized: v1.standardized + 1 });
    } finally {
      await database.close();
    }
  });
});
