/**
 * What the HTTP edge refuses for every service, over a real port: NUL and unpaired surrogates in path, query and body
 * (keys too), JSON nested past the documented depth, objects past the key limit, `__proto__`; validation errors capped
 * (first N + a count); syntax errors and rejected bodies never quoted in the answer or the logs.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Authenticator, loadTokens } from '../src/core/auth.ts';
import { createApp, type App } from '../src/core/http.ts';
import { MAX_JSON_DEPTH, MAX_OBJECT_KEYS } from '../src/core/input-limits.ts';
import { MAX_REPORTED_ISSUES } from '../src/core/zod-errors.ts';

let app: App;
let base = '';
let logs = '';
const seen: unknown[] = [];

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (d) => (logs += d));
  app = await createApp({ title: 'edge', auth: new Authenticator(loadTokens({})), logStream: stream, bodyLimitBytes: 12 * 1024 * 1024 });
  app.post(
    '/items/:id',
    {
      schema: {
        params: z.object({ id: z.string() }),
        querystring: z.object({ q: z.union([z.string(), z.array(z.string())]).optional() }),
        body: z.object({ name: z.string(), data: z.any().optional() }).strict(),
      },
    },
    async (req) => {
      seen.push(req.body);
      return { id: req.params.id, q: req.query.q ?? null, name: req.body.name };
    },
  );
  app.post('/numbers', { schema: { body: z.object({ xs: z.array(z.number()) }) } }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as any).port}`;
});
afterAll(async () => app.close());

async function post(path: string, body: string) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await r.text();
  return { status: r.status, text, body: JSON.parse(text) };
}

describe('NUL and unpaired surrogates are refused at the edge, naming where', () => {
  const ok = JSON.stringify({ name: 'n' });
  it.each([
    ['a path parameter', '/items/a%00b', ok, ['path', 'id'], /NUL/],
    ['a query parameter', '/items/ab?q=x%00', ok, ['query', 'q'], /NUL/],
    ['a repeated query parameter', '/items/ab?q=a&q=%00', ok, ['query', 'q', 1], /NUL/],
    ['a body value', '/items/ab', '{"name":"a\\u0000"}', ['body', 'name'], /NUL/],
    ['a nested body value', '/items/ab', '{"name":"n","data":{"list":[1,"\\u0000"]}}', ['body', 'data', 'list', 1], /NUL/],
    ['a body key', '/items/ab', '{"name":"n","data":{"k\\u0000":1}}', ['body', 'data', 'k\u0000'], /NUL/],
    ['a lone high surrogate', '/items/ab', '{"name":"a\\ud800"}', ['body', 'name'], /surrogate/],
    ['a lone low surrogate', '/items/ab', '{"name":"\\udc00a"}', ['body', 'name'], /surrogate/],
    ['a surrogate in the path', '/items/a%ED%A0%80', ok, ['path'], /UTF-8/],
    ['a surrogate in a query value', '/items/ab?q=audit%ED%A0%80', ok, ['query', 'q'], /UTF-8/],
    ['a broken escape in a query value', '/items/ab?x=1&q=%E0%A4', ok, ['query', 'q'], /UTF-8/],
    ['__proto__', '/items/ab', '{"name":"n","data":{"__proto__":{"admin":true}}}', ['body', 'data', '__proto__'], /__proto__/],
  ])('%s → 422', async (_what, path, body, loc, msg) => {
    const before = seen.length;
    const r = await post(path, body);
    expect(r.status).toBe(422);
    expect(r.body.detail[0].loc).toEqual(loc);
    expect(r.body.detail[0].msg).toMatch(msg);
    expect(seen.length).toBe(before); // the route never ran
  });

  it('accepts real text, surrogate pairs included, and returns it unchanged', async () => {
    const name = 'Ünïcødé 😀 \ud83d\ude00 tab\t';
    const r = await post(`/items/${encodeURIComponent('id-😀')}?q=${encodeURIComponent('ö')}`, JSON.stringify({ name }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: 'id-😀', q: 'ö', name });
    // escaped pairs as Python's json.dumps writes them are fine too
    const esc = await post('/items/ab', '{"name":"\\ud83d\\ude00 \\u00e9"}');
    expect(esc.body.name).toBe('😀 é');
  });
});

describe('depth and size limits', () => {
  const nested = (n: number) => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more, before parsing`, async () => {
    const okBody = `{"name":"n","data":${nested(MAX_JSON_DEPTH - 1)}}`;
    expect((await post('/items/ab', okBody)).status).toBe(200);
    const deep = await post('/items/ab', `{"name":"n","data":${nested(MAX_JSON_DEPTH)}}`);
    expect(deep.status).toBe(422);
    expect(deep.body.detail).toEqual([
      { loc: ['body'], msg: expect.stringMatching(new RegExp(`deeper than ${MAX_JSON_DEPTH} levels \\(at line 1, column \\d+\\)`)), type: 'too_deep' },
    ]);
  });

  it('answers a 5,000,000-level body with the same small 422 (no stack is used)', async () => {
    const n = 5_000_000;
    const r = await post('/items/ab', '['.repeat(n) + ']'.repeat(n));
    expect(r.status).toBe(422);
    expect(r.body.detail[0].type).toBe('too_deep');
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('refuses a 10 MB body with 850,000 unknown keys with a small 422, and logs little of it', async () => {
    const keys = Array.from({ length: 850_000 }, (_, i) => `"k${i}":1`).join(',');
    const body = `{"name":"n",${keys}}`;
    expect(body.length).toBeGreaterThan(10_000_000);
    const logBefore = logs.length;
    const r = await post('/items/ab', body);
    expect(r.status).toBe(422);
    expect(r.text.length).toBeLessThan(1000);
    expect(r.body.detail).toEqual([
      { loc: ['body'], msg: expect.stringContaining(`more than ${MAX_OBJECT_KEYS} keys`), type: 'too_many_keys' },
    ]);
    const logged = logs.slice(logBefore);
    expect(logged.length).toBeLessThan(4000);
    expect(logged).not.toContain('k5000');
  });

  it(`lists the first ${MAX_REPORTED_ISSUES} unknown keys and counts the rest`, async () => {
    const n = 9000;
    const keys = Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',');
    const logBefore = logs.length;
    const r = await post('/items/ab', `{"name":"n",${keys}}`);
    expect(r.status).toBe(422);
    const d = r.body.detail;
    expect(d).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(d.slice(0, MAX_REPORTED_ISSUES).map((x: any) => x.loc)).toEqual(Array.from({ length: MAX_REPORTED_ISSUES }, (_, i) => ['body', `k${i}`]));
    expect(d.slice(0, MAX_REPORTED_ISSUES).every((x: any) => x.type === 'extra_forbidden')).toBe(true);
    expect(d[MAX_REPORTED_ISSUES]).toMatchObject({ type: 'too_many_errors', msg: expect.stringContaining(`${n - MAX_REPORTED_ISSUES} more`) });
    expect(r.text.length).toBeLessThan(3000);
    const logged = logs.slice(logBefore);
    expect(logged.length).toBeLessThan(4000);
    expect(logged).toContain('"problems":21');
  });

  it('caps type errors the same way (an array of 100,000 wrong items)', async () => {
    const r = await post('/numbers', JSON.stringify({ xs: Array.from({ length: 100_000 }, () => 'x') }));
    expect(r.status).toBe(422);
    expect(r.body.detail).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(r.body.detail[0].loc).toEqual(['body', 'xs', 0]);
    expect(r.body.detail[MAX_REPORTED_ISSUES].msg).toContain(`${100_000 - MAX_REPORTED_ISSUES} more`);
  });

  it('clips a megabyte-long unknown key in the answer', async () => {
    const r = await post('/items/ab', JSON.stringify({ name: 'n', ['K'.repeat(1_000_000)]: 1 }));
    expect(r.status).toBe(422);
    expect(r.text.length).toBeLessThan(1000);
    expect(r.body.detail[0].loc[1]).toMatch(/^K{200}…$/);
  });
});

describe('nothing of a rejected body is echoed or logged', () => {
  it('a JSON syntax error gives line and column, never the text around it', async () => {
    const logBefore = logs.length;
    const r = await post('/items/ab', '{"name": "n",\n "token": "hf_s3cr3tvalue" oops}');
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({ loc: ['body'], type: 'json_invalid', msg: expect.stringMatching(/line 2, column \d+/) });
    expect(r.text).not.toContain('s3cr3t');
    expect(logs.slice(logBefore)).not.toContain('s3cr3t');
  });

  it('a body refused by validation is not logged, whatever it carried', async () => {
    const logBefore = logs.length;
    const r = await post('/items/ab', JSON.stringify({ name: 1, data: { hf_token: 'hf_v4lidat1on' }, extra: 'sk-extra-s3cret' }));
    expect(r.status).toBe(422);
    const logged = logs.slice(logBefore);
    expect(logged).toContain('request rejected');
    expect(logged).not.toContain('v4lidat1on');
    expect(logged).not.toContain('extra-s3cret');
  });
});
