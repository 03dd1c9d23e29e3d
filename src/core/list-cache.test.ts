import { describe, expect, it } from 'vitest';
import { VersionedCache } from './list-cache.ts';

const cache = (o: { maxEntries?: number; maxBytes?: number; maxEntryBytes?: number } = {}) => new VersionedCache<string>({ ...o, sizeOf: (s) => s.length });

describe('VersionedCache', () => {
  it('answers a page only under the version it was kept with', async () => {
    const c = cache();
    c.set('k', 1, 'one');
    expect(c.peek('k', 1)).toBe('one');
    expect(c.peek('k', 2)).toBeUndefined();
    let loads = 0;
    expect(await c.get('k', 2, async () => (loads++, 'two'))).toBe('two');
    expect(await c.get('k', 2, async () => (loads++, 'again'))).toBe('two');
    expect(loads).toBe(1);
    // the newer version replaced the older one: its bytes are not counted twice
    expect(c.size).toBe(1);
    expect(c.byteSize).toBe(3);
  });

  it('drops the least recently used page first, by entries and by bytes', () => {
    const c = cache({ maxEntries: 2, maxBytes: 10, maxEntryBytes: 10 });
    c.set('a', 1, 'aaa');
    c.set('b', 1, 'bbb');
    c.peek('a', 1); // a is now the most recently used
    c.set('c', 1, 'ccc');
    expect(c.peek('b', 1)).toBeUndefined();
    expect(c.peek('a', 1)).toBe('aaa');
    c.set('d', 1, 'dddddddd'); // 3 + 3 + 8 > 10: the oldest go until it fits
    expect(c.byteSize).toBeLessThanOrEqual(10);
    expect(c.peek('d', 1)).toBe('dddddddd');
  });

  it('keeps no page over the per-entry bound, and none whose load was overtaken', async () => {
    const c = cache({ maxBytes: 100, maxEntryBytes: 5 });
    c.set('big', 1, 'x'.repeat(6));
    expect(c.peek('big', 1)).toBeUndefined();
    expect(await c.get('k', 1, async () => 'v', () => false)).toBe('v');
    expect(c.peek('k', 1)).toBeUndefined();
    c.set('k', 1, 'v');
    c.clear();
    expect(c.size).toBe(0);
    expect(c.byteSize).toBe(0);
  });
});
