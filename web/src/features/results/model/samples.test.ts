import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scoreTable } from './metrics';
import { outcomeCounts, outcomeOf, samplesOf } from './samples';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../../../test/fixtures/results/${name}`, import.meta.url), 'utf8'));

describe('quality results', () => {
  it('reads runner samples, keeping failed requests apart from wrong answers', () => {
    const s = samplesOf({
      samples: [
        { task: 't', doc_index: 0, prompt: [{ role: 'user', content: 'Q?' }], response: ' 4', filtered: '4', targets: ['4'], scores: { exact_match: 1 }, latency_ms: 12 },
        { task: 't', doc_index: 1, prompt: 'Q2', response: ' 5', filtered: '5', targets: ['4'], scores: { exact_match: 0 }, latency_ms: 9 },
        { task: 't', doc_index: 2, prompt: 'Q3', response: null, filtered: null, targets: ['x'], scores: { exact_match: 0 }, latency_ms: 30000, error: 'HTTP 503' },
        { task: 'u', doc_index: 0, prompt: 'Q4', response: 'ab', filtered: 'ab', targets: ['abc'], scores: { f1: 0.5 } },
      ],
    });
    expect(s.map((x) => x.outcome)).toEqual(['correct', 'wrong', 'error', 'partial']);
    expect(s[0]).toMatchObject({ prompt: 'user: Q?', answer: '4', response: ' 4', targets: ['4'], doc: 0, latency_ms: 12 });
    expect(s[2]).toMatchObject({ answer: null, error: 'HTTP 503' });
    expect(outcomeCounts(s)).toEqual({ t: { correct: 1, partial: 0, wrong: 1, error: 1 }, u: { correct: 0, partial: 1, wrong: 0, error: 0 } });
  });

  it('reads the short sample form of the fixture', () => {
    const s = samplesOf(fixture('benchops-runner-task.json'));
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ task: 'custom_task_1', doc: 0, answer: '도쿄', targets: ['도쿄'], scores: { exact_match: 1 }, outcome: 'correct' });
    expect(samplesOf({})).toEqual([]);
    expect(outcomeOf({}, '')).toBe('wrong');
  });

  it('pairs each score with its stderr and its task’s counts', () => {
    const raw = fixture('benchops-runner-task.json');
    const t = scoreTable(raw.results, raw.meta, 'custom-benchmark');
    expect(t.map((r) => [r.task, r.metric, r.value, r.stderr])).toEqual([
      ['custom_task_1', 'exact_match', 0.6, 0.2449],
      ['custom_task_2', 'exact_match', 0.4, 0.2449],
    ]);
    expect(t[0].details).toEqual({ samples: 5 });
    const lm = scoreTable({ gsm8k: { exact_match: { 'strict-match': 0.72 }, exact_match_stderr: { 'strict-match': 0.01 } } }, { filters: { gsm8k: ['strict-match'] } }, 'b');
    expect(lm).toMatchObject([{ task: 'gsm8k', filter: 'strict-match', value: 0.72, stderr: 0.01 }]);
  });
});
