import { describe, expect, it } from 'vitest';
import { cronPreview, everyWords, runWords, timeline } from './model';

describe('evaluation timeline', () => {
  const h = (status: any, at: string, detail?: string) => ({ status, at, ...(detail ? { detail } : {}) });
  it('places each stage at the first time it was reached, with its last detail', () => {
    const t = timeline({
      status: 'running',
      history: [h('waiting', '2026-01-01T00:00:00Z', 'probe 1: refused'), h('waiting', '2026-01-01T00:00:05Z', 'probe 2: 503'), h('submitted', '2026-01-01T00:00:09Z'), h('running', '2026-01-01T00:00:12Z')],
    });
    expect(t.stages.map((s) => [s.status, s.at])).toEqual([
      ['waiting', '2026-01-01T00:00:00Z'],
      ['submitted', '2026-01-01T00:00:09Z'],
      ['running', '2026-01-01T00:00:12Z'],
      ['completed', null],
    ]);
    expect(t.stages[0].detail).toBe('probe 2: 503');
    expect(t.active).toBe(2);
  });
  it('ends in the failure instead of done', () => {
    const t = timeline({ status: 'failed', history: [h('waiting', '2026-01-01T00:00:00Z'), h('failed', '2026-01-01T00:30:00Z', 'engine never listed the model')] });
    expect(t.stages.map((s) => s.status)).toEqual(['waiting', 'submitted', 'running', 'failed']);
    expect(t.stages[1].at).toBeNull();
    expect(t.active).toBe(3);
    expect(t.stages[3].detail).toBe('engine never listed the model');
  });
});

describe('cron preview', () => {
  const from = new Date('2026-12-01T11:59:30Z');
  it('lists the next runs in the time zone and the shortest gap', () => {
    const p = cronPreview('0 */6 * * *', 'UTC', 3, from);
    expect(p.runs.map((d) => d.toISOString())).toEqual(['2026-12-01T12:00:00.000Z', '2026-12-01T18:00:00.000Z', '2026-12-02T00:00:00.000Z']);
    expect(p.minGapSeconds).toBe(6 * 3600);
    expect(everyWords(p.minGapSeconds!)).toBe('every 6 h');
    // 09:00 in Paris is 08:00 UTC in December
    expect(cronPreview('0 9 * * *', 'Europe/Paris', 1, from).runs[0].toISOString()).toBe('2026-12-02T08:00:00.000Z');
    expect(cronPreview('*/10 * * * * *', 'UTC', 3, from).minGapSeconds).toBe(10);
    expect(runWords(new Date('2026-12-02T08:00:00Z'), 'Europe/Paris')).toBe('Wed, 2 Dec 2026, 09:00:00 (Europe/Paris)');
  });
  it('says why an expression is not valid', () => {
    expect(cronPreview('not a cron', 'UTC').ok).toBe(false);
    expect(cronPreview('not a cron', 'UTC').error).toBeTruthy();
    expect(cronPreview('', 'UTC').error).toBe('Enter a cron expression');
    expect(cronPreview('* * * * *', 'Not/AZone').ok).toBe(false);
    expect(everyWords(90)).toBe('every 90 s');
    expect(everyWords(300)).toBe('every 5 min');
  });
});
