/** Scoring a model answer against the target(s): exact_match, contains, regex; plus lm-eval style output filters. */

export type MetricName = 'exact_match' | 'contains' | 'regex';
export const METRIC_NAMES: readonly MetricName[] = ['exact_match', 'contains', 'regex'];

export interface MetricSpec {
  /** The key the score is reported under (the metric name unless a `name` was given). */
  key: string;
  metric: MetricName;
  ignoreCase: boolean;
  ignorePunctuation: boolean;
  ignoreWhitespace: boolean;
  regexesToIgnore: string[];
  /** regex: the pattern the answer must match; without it the target itself is the pattern. */
  pattern?: string;
}

export type FilterStep =
  | { fn: 'regex'; pattern: RegExp; group: number; fallback: string }
  | { fn: 'take_first' | 'lowercase' | 'uppercase' | 'strip' | 'remove_whitespace' };

// Unicode punctuation and symbols, so Korean and CJK punctuation is removed too.
const PUNCT = /[\p{P}\p{S}]/gu;

/** Normalises text for comparison per the metric's options (always trimmed: completions usually start with a space). */
export function normalise(text: string, m: MetricSpec): string {
  let s = text;
  for (const r of m.regexesToIgnore) s = s.replace(new RegExp(r, 'gu'), '');
  if (m.ignoreCase) s = s.toLowerCase();
  if (m.ignorePunctuation) s = s.replace(PUNCT, '');
  s = m.ignoreWhitespace ? s.replace(/\s+/g, '') : s.replace(/\s+/g, ' ');
  return s.trim();
}

/** 1 when the prediction satisfies the metric for any of the targets, else 0. */
export function score(prediction: string, targets: string[], m: MetricSpec): number {
  const pred = normalise(prediction, m);
  switch (m.metric) {
    case 'exact_match':
      return targets.some((t) => normalise(t, m) === pred) ? 1 : 0;
    case 'contains':
      return targets.some((t) => {
        const n = normalise(t, m);
        return n !== '' && pred.includes(n);
      })
        ? 1
        : 0;
    case 'regex': {
      const flags = m.ignoreCase ? 'iu' : 'u';
      const patterns = m.pattern !== undefined ? [m.pattern] : targets;
      return patterns.some((p) => new RegExp(p, flags).test(prediction.trim())) ? 1 : 0;
    }
  }
}

/** Applies output filters in order (lm-eval's regex filter returns the first capture group, or the fallback when nothing matches). */
export function applyFilters(text: string, steps: FilterStep[]): string {
  let s = text;
  for (const f of steps) {
    switch (f.fn) {
      case 'regex': {
        const m = f.pattern.exec(s);
        s = m ? (m[f.group] ?? m[0]) : f.fallback;
        break;
      }
      case 'lowercase':
        s = s.toLowerCase();
        break;
      case 'uppercase':
        s = s.toUpperCase();
        break;
      case 'strip':
        s = s.trim();
        break;
      case 'remove_whitespace':
        s = s.replace(/^\s+/, '');
        break;
      case 'take_first':
        break;
    }
  }
  return s;
}

/** Cuts a generation at the first stop sequence (servers may ignore `stop`; lm-eval truncates client-side too). */
export function truncateAtStop(text: string, until: string[]): string {
  let end = text.length;
  for (const u of until) {
    if (!u) continue;
    // A leading stop sequence would empty every answer that starts with a newline: skip past leading whitespace first.
    const lead = text.length - text.trimStart().length;
    const i = text.indexOf(u, u.trim() === '' ? lead : 0);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

/** Mean and standard error of the mean (lm-eval's `<metric>_stderr`). */
export function meanStderr(values: number[]): { mean: number; stderr: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, stderr: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, stderr: 0 };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, stderr: Math.sqrt(variance / n) };
}
