import { describe, expect, it } from 'vitest';
import { render, renderTargets, templateFields } from './template.ts';

describe('templates', () => {
  const doc = { question: ' 일본의 수도는? ', answer: '도쿄', meta: { n: 3 }, choices: ['A', 'B'], aliases: ['Tokyo', '도쿄'] };

  it('renders fields, paths, filters and methods', () => {
    expect(render('질문: {{question}}\n답변:', doc)).toBe('질문:  일본의 수도는? \n답변:');
    expect(render('{{ question | trim }}|{{question.strip()}}|{{meta.n}}|{{choices[1]}}', doc)).toBe('일본의 수도는?|일본의 수도는?|3|B');
    expect(render('{{ answer | upper }}{{missing}}', { answer: 'x' })).toBe('X');
    expect(render('answer', doc)).toBe('도쿄');
    expect(() => render('{{ answer | reverse }}', doc)).toThrow(/unsupported template filter "reverse"/);
  });

  it('returns every accepted answer when the target is a list field', () => {
    expect(renderTargets('{{aliases}}', doc)).toEqual(['Tokyo', '도쿄']);
    expect(renderTargets('aliases', doc)).toEqual(['Tokyo', '도쿄']);
    expect(renderTargets('{{answer}}', doc)).toEqual(['도쿄']);
  });

  it('lists the fields a template reads', () => {
    expect(templateFields('Q: {{question.strip()}} ({{ meta.n }}) {{ answer | lower }}')).toEqual(['question', 'meta', 'answer']);
  });
});
