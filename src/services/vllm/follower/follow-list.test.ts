import { describe, expect, it } from 'vitest';
import { parseFollowList } from '../follower.ts';

describe('parseFollowList', () => {
  it('reads project ids with an optional cluster, skips blanks and repeats', () => {
    expect(parseFollowList(' p1, p2@lab ,,p1@other')).toEqual([
      { projectId: 'p1', clusterId: 'local' },
      { projectId: 'p2', clusterId: 'lab' },
    ]);
    expect(parseFollowList('')).toEqual([]);
  });

  it('names a bad entry (a cluster that is not a Kubernetes name, stray characters)', () => {
    expect(() => parseFollowList('p1,p2@Lab_1')).toThrow(/"p2@Lab_1"/);
    expect(() => parseFollowList('p 1')).toThrow(/"p 1"/);
    expect(() => parseFollowList('p1@')).toThrow(/p1@/);
  });
});
