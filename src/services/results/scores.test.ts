import { describe, expect, it } from 'vitest';
import { scoreKey, scoreRows } from './scores.ts';

describe('scoreKey', () => {
  it.each([
    ['acc', { metric: 'acc', filter: 'none', stat: '' }],
    ['acc,none', { metric: 'acc', filter: 'none', stat: '' }],
    ['exact_match,strict-match', { metric: 'exact_match', filter: 'strict-match', stat: '' }],
    ['acc_stderr,none', { metric: 'acc', filter: 'none', stat: 'stderr' }],
    ['accuracy_std_err', { metric: 'accuracy', filter: 'none', stat: 'stderr' }],
    ['accuracy_std', { metric: 'accuracy', filter: 'none', stat: 'std' }],
    ['accuracy_avg', { metric: 'accuracy_avg', filter: 'none', stat: '' }],
    ['pass@1', { metric: 'pass@1', filter: 'none', stat: '' }],
    ['Turn 1', { metric: 'Turn 1', filter: 'none', stat: '' }],
    ['num_total', { metric: 'num_total', filter: 'none', stat: 'detail' }],
    ['solved_avg', { metric: 'solved_avg', filter: 'none', stat: 'detail' }],
    ['timeouts', { metric: 'timeouts', filter: 'none', stat: 'detail' }],
    ['samples', { metric: 'samples', filter: 'none', stat: 'detail' }],
    ['avg_output_tokens', { metric: 'avg_output_tokens', filter: 'none', stat: 'detail' }],
    ['augmented', { metric: 'augmented', filter: 'none', stat: '' }],
    ['decoding', { metric: 'decoding', filter: 'none', stat: '' }],
  ])('%s', (key, want) => expect(scoreKey(key)).toEqual(want));

  it.each(['2024-08', '202408', '2024-08-01', '2024', 'aug_2024', 'August', '2024_q3'])('%s is a breakdown, not a metric', (key) => {
    expect(scoreKey(key)).toBeNull();
  });

  it('a declared metric list (lm-eval higher_is_better) makes every other name a detail', () => {
    expect(scoreKey('acc', new Set(['exact_match']))).toMatchObject({ stat: 'detail' });
    expect(scoreKey('exact_match,strict-match', new Set(['exact_match']))).toMatchObject({ stat: '' });
    expect(scoreKey('exact_match_stderr,strict-match', new Set(['exact_match']))).toMatchObject({ stat: 'stderr' });
  });
});

describe('scoreRows', () => {
  it('reads filters only where meta declares them, and no deeper breakdowns', () => {
    const results = {
      gsm8k: { exact_match: { 'strict-match': 0.7, 'flexible-extract': 0.8 } },
      lcb: { 'pass@1': 0.5, by_month: { '2024-08': 0.6 }, by_difficulty: { easy: 0.9 } },
      '2024-09': { acc: 0.1 },
      accuracy: 0.61,
    };
    const rows = scoreRows(results, { filters: { gsm8k: ['strict-match', 'flexible-extract'] } }, 'bench');
    expect(rows.map((r) => [r.task, r.metric, r.filter, r.stat, r.path])).toEqual([
      ['gsm8k', 'exact_match', 'strict-match', '', 'results.gsm8k.exact_match.strict-match'],
      ['gsm8k', 'exact_match', 'flexible-extract', '', 'results.gsm8k.exact_match.flexible-extract'],
      ['lcb', 'pass@1', 'none', '', 'results.lcb.pass@1'],
      ['bench', 'accuracy', 'none', '', 'results.accuracy'],
    ]);
  });
});
