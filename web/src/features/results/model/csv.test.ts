import { describe, expect, it } from 'vitest';
import { compareRows } from './compare';
import { compareCsv, csvCell, historyCsv, requestsCsv, resultCsv, toCsv } from './csv';
import { seriesOf } from './regression';

/** A minimal RFC 4180 reader, to check that what we write reads back as the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('CSV exports', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas, keeping numbers as numbers', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-0.5')).toBe('-0.5');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    const text = toCsv(['a', 'b'], [['x\ny', 1], ['', true]]);
    expect(parseCsv(text)).toEqual([['a', 'b'], ['x\ny', '1'], ['', 'true']]);
  });

  it('writes a result, its requests, a comparison and a history with one line per number', () => {
    const r = parseCsv(resultCsv('pk1', [{ path: 'performance.latency.ttft_ms.p99', group: 'latency', task: 'b', metric: 'ttft_ms', filter: '', stat: 'p99', value: 67.8 }], () => 'ms'));
    expect(r).toEqual([['pk', 'group', 'task', 'metric', 'filter', 'stat', 'value', 'unit', 'path'], ['pk1', 'latency', 'b', 'ttft_ms', '', 'p99', '67.8', 'ms', 'performance.latency.ttft_ms.p99']]);
    const q = parseCsv(requestsCsv('pk1', [{ scenario: 's', start_s: 0.5, ttft_ms: 10, e2el_ms: 90, itl_ms: 8, output_tokens: 11, ok: true, error: '' }]));
    expect(q[1]).toEqual(['pk1', 's', '0.5', 'true', '10', '90', '8', '11', '']);
    const rows = compareRows([{ path: 'p', group: 'latency', task: 'b', metric: 'ttft_ms', stat: 'p99', higher_is_better: false, values: { a: 50, b: 40 } }], ['a', 'b'], 'a');
    const c = parseCsv(compareCsv(rows, 'a', ['b']));
    expect(c[0]).toEqual(['metric', 'group', 'unit', 'higher_is_better', 'base a', 'b', 'b change', 'b change %', 'b verdict']);
    expect(c[1]).toEqual(['ttft_ms p99', 'latency', 'ms', 'false', '50', '40', '-10', '-20', 'better']);
    const h = parseCsv(historyCsv('m', seriesOf([{ pk: 'x', run_id: 'r', benchmark_name: 'b', timestamp: '2026-01-01T00:00:00.000Z', path: 'performance.throughput.output_throughput', task: 'b', stat: '', value: 3 }])));
    expect(h[1]).toEqual(['m', 'output_throughput', 'performance.throughput.output_throughput', '2026-01-01T00:00:00.000Z', 'x', 'r', '3', '', '', 'false']);
  });
});
