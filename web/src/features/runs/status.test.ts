import { describe, expect, it } from 'vitest';
import { timeline } from './status';

const rec = { created_at: '2026-01-01T10:00:00.000Z', deleted_at: null };

describe('run timeline', () => {
  it('waits for the start, then runs, then completes', () => {
    expect(timeline(rec, { status: 'pending', start_time: null, completion_time: null }).map((s) => s.state)).toEqual(['done', 'current', 'waiting']);
    expect(timeline(rec, { status: 'running', start_time: '2026-01-01T10:00:05.000Z', completion_time: null }).map((s) => `${s.label}:${s.state}`)).toEqual([
      'Created:done',
      'Started:done',
      'Completed:current',
    ]);
    const done = timeline(rec, { status: 'completed', start_time: '2026-01-01T10:00:05.000Z', completion_time: '2026-01-01T10:01:00.000Z' });
    expect(done.map((s) => s.state)).toEqual(['done', 'done', 'done']);
    expect(done[2].at).toBe('2026-01-01T10:01:00.000Z');
  });
  it('ends in a failed or deleted step', () => {
    expect(timeline(rec, { status: 'failed', start_time: 'x', completion_time: 'y' }).at(-1)).toEqual({ label: 'Failed', at: 'y', state: 'failed' });
    expect(timeline({ ...rec, deleted_at: 'z' }, { status: 'deleted', start_time: null, completion_time: null }).at(-1)).toEqual({ label: 'Deleted', at: 'z', state: 'done' });
  });
});
