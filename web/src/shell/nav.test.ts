import { describe, expect, it } from 'vitest';
import { isActive, NAV } from './nav';
import { relativeTime, short } from './format';

const item = (to: string) => NAV.flatMap((s) => s.items).find((i) => i.to === to)!;

describe('navigation', () => {
  it('highlights a section for its sub-pages, and home only at /', () => {
    expect(isActive(item('/results'), '/results/2025-01-01-bench-x')).toBe(true);
    expect(isActive(item('/projects'), '/projects/abc/files/def')).toBe(true);
    expect(isActive(item('/runs'), '/runs/job-1')).toBe(true);
    expect(isActive(item('/queue'), '/queue/7c0d1e2f')).toBe(true);
    expect(isActive(item('/evaluations'), '/evaluations/4b1c')).toBe(true);
    expect(isActive(item('/workflows'), '/workflows/new')).toBe(true);
    expect(isActive(item('/'), '/projects')).toBe(false);
    expect(isActive(item('/'), '/')).toBe(true);
    expect(isActive(item('/compare'), '/results')).toBe(false);
  });
  it('has every page the router mounts', () => {
    expect(NAV.flatMap((s) => s.items).map((i) => i.to)).toEqual(['/', '/projects', '/runs', '/deploy', '/queue', '/workflows', '/evaluations', '/results', '/compare', '/history', '/models', '/follower', '/occupancy', '/clusters', '/mlflow']);
  });
});

describe('format', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('says how long ago, or in how long', () => {
    expect(relativeTime('2025-06-01T11:57:00Z', now)).toBe('3 min ago');
    expect(relativeTime('2025-06-01T12:00:02Z', now)).toBe('just now');
    expect(relativeTime('2025-06-01T14:00:00Z', now)).toBe('in 2 h');
    expect(relativeTime('2025-05-29T12:00:00Z', now)).toBe('3 d ago');
    expect(relativeTime(null, now)).toBe('—');
    expect(relativeTime('not a date', now)).toBe('—');
  });
  it('shortens ids', () => {
    expect(short('9d55448abcdef', 7)).toBe('9d55448');
    expect(short(null)).toBe('—');
  });
});
