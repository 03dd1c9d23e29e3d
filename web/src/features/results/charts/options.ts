/**
 * ECharts options for the results pages, built from already-shaped data (model/*): pure functions, so what a chart
 * shows is tested without a browser. Every axis names its unit; every series is named for its legend. Each builder
 * also gives a one-line text summary, used as the chart's accessible label (and read by the browser tests).
 */
import { fmt, fmtPct } from '../model/format';
import type { Percentile } from '../model/document';
import type { Bin } from '../model/requests';
import type { Series as HistorySeries } from '../model/regression';
import { axisLabel, type Sweep } from '../model/sweep';

export type Option = Record<string, unknown>;
export interface Built {
  option: Option;
  summary: string;
}

const GRID = { left: 64, right: 24, top: 36, bottom: 48, containLabel: false };
const valueAxis = (name: string, extra: Option = {}) => ({ type: 'value', name, nameLocation: 'middle', nameGap: 44, scale: true, ...extra });
/** A legend when there is more than one series to tell apart. */
const legend = (names: string[]) => ({ show: names.length > 1, top: 0, type: 'scroll', data: names });
const axisTooltip = { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? fmt(v) : String(v)) };

/** Percentiles of one latency metric for one or more runs (p50 … p99 on the x axis, one line per run). */
export function percentileChart(metric: string, runs: { name: string; points: Percentile[] }[], unit = 'ms'): Built {
  const ps = [...new Set(runs.flatMap((r) => r.points.map((p) => p.p)))].sort((a, b) => a - b);
  const cats = ps.map((p) => `p${p}`);
  const series = runs.map((r) => ({
    name: r.name,
    type: 'line',
    symbolSize: 7,
    data: ps.map((p) => r.points.find((x) => x.p === p)?.value ?? null),
    connectNulls: true,
  }));
  const first = runs[0]?.points ?? [];
  return {
    option: {
      grid: GRID,
      legend: legend(runs.map((r) => r.name)),
      tooltip: axisTooltip,
      xAxis: { type: 'category', data: cats, name: 'percentile', nameLocation: 'middle', nameGap: 28, axisLabel: { interval: 0, fontSize: cats.length > 8 ? 9 : 11 } },
      yAxis: valueAxis(`${metric} (${unit})`),
      series,
    },
    summary: `${metric} percentiles (${unit}): ${first.map((p) => `p${p.p} ${fmt(p.value)}`).join(', ')}`,
  };
}

/** Empirical CDFs (`[value, fraction]` steps) of one or more runs on one axis. */
export function cdfChart(metric: string, runs: { name: string; points: [number, number][] }[], unit = 'ms'): Built {
  return {
    option: {
      grid: GRID,
      legend: legend(runs.map((r) => r.name)),
      tooltip: { trigger: 'axis', axisPointer: { type: 'cross' } },
      xAxis: valueAxis(`${metric} (${unit})`),
      yAxis: { type: 'value', min: 0, max: 1, name: 'fraction of requests ≤ x', nameLocation: 'middle', nameGap: 44, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)} %` } },
      series: runs.map((r) => ({ name: r.name, type: 'line', step: 'end', showSymbol: false, data: r.points })),
    },
    summary: `${metric} CDF: ${runs.map((r) => `${r.name} ${r.points.length} steps`).join('; ')}`,
  };
}

/** A histogram of one run's values. */
export function histogramChart(metric: string, bins: Bin[], unit = 'ms'): Built {
  const total = bins.reduce((a, b) => a + b.count, 0);
  return {
    option: {
      grid: GRID,
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: bins.map((b) => fmt(b.from)), name: `${metric} (${unit}), bin start`, nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', name: 'requests', nameLocation: 'middle', nameGap: 44, minInterval: 1 },
      series: [{ name: 'requests', type: 'bar', barCategoryGap: '4%', data: bins.map((b) => b.count) }],
    },
    summary: `${metric} histogram: ${bins.length} bins, ${total} values`,
  };
}

/** Latency of each request against the time it started (TTFT and E2EL), one series pair per scenario. */
export function latencyOverTimeChart(points: { scenario: string; start_s: number; ttft_ms: number | null; e2el_ms: number | null }[]): Built {
  const scenarios = [...new Set(points.map((p) => p.scenario))];
  const multi = scenarios.length > 1;
  const series = scenarios.flatMap((s) => {
    const mine = points.filter((p) => p.scenario === s);
    const name = (m: string) => (multi ? `${m} · ${s}` : m);
    return [
      { name: name('E2EL'), type: 'scatter', symbolSize: 5, data: mine.filter((p) => p.e2el_ms !== null).map((p) => [p.start_s, p.e2el_ms]) },
      { name: name('TTFT'), type: 'scatter', symbolSize: 5, data: mine.filter((p) => p.ttft_ms !== null).map((p) => [p.start_s, p.ttft_ms]) },
    ];
  });
  return {
    option: {
      grid: GRID,
      legend: legend(series.map((s) => s.name)),
      tooltip: { trigger: 'item', formatter: (p: any) => `${p.seriesName}: ${fmt(p.value[1])} ms at ${fmt(p.value[0])} s` },
      xAxis: valueAxis('request start (s since the run began)'),
      yAxis: valueAxis('latency (ms)'),
      series,
    },
    summary: `latency over the run: ${points.length} requests`,
  };
}

/** Output tokens per second over the run. */
export function tokensOverTimeChart(bins: { t: number; tokensPerS: number }[]): Built {
  const peak = bins.reduce((m, b) => Math.max(m, b.tokensPerS), 0);
  return {
    option: {
      grid: GRID,
      tooltip: axisTooltip,
      xAxis: valueAxis('time (s since the run began)'),
      yAxis: valueAxis('output tokens/s', { min: 0, scale: false }),
      series: [{ name: 'output tokens/s', type: 'line', areaStyle: { opacity: 0.15 }, showSymbol: false, data: bins.map((b) => [b.t, b.tokensPerS]) }],
    },
    summary: `output tokens/s over the run: peak ${fmt(peak)} tok/s`,
  };
}

/**
 * The throughput–latency curve of one or more sweeps: one point per step (labelled with its load), the knee marked.
 * x = output tokens/s, y = the chosen latency in ms.
 */
export function sweepChart(latencyLabel: string, sweeps: { name: string; sweep: Sweep }[]): Built {
  const series = sweeps.map(({ name, sweep }) => {
    const knee = sweep.knee === null ? null : sweep.points[sweep.knee];
    return {
      name,
      type: 'line',
      symbolSize: 9,
      label: { show: true, position: 'top', formatter: (p: any) => String(p.data.load) },
      data: sweep.points.filter((p) => p.throughput !== null && p.latency !== null).map((p) => ({ value: [p.throughput, p.latency], load: p.load, step: p.step })),
      ...(knee && knee.throughput !== null && knee.latency !== null
        ? { markPoint: { symbol: 'pin', symbolSize: 44, label: { formatter: 'knee' }, data: [{ name: `knee (${knee.step})`, coord: [knee.throughput, knee.latency] }] } }
        : {}),
    };
  });
  const knees = sweeps.map(({ name, sweep }) => `${name}: ${sweep.knee === null ? 'no knee' : `knee at ${sweep.points[sweep.knee].step} (load ${sweep.points[sweep.knee].load})`}`);
  return {
    option: {
      grid: GRID,
      legend: legend(sweeps.map((s) => s.name)),
      tooltip: { trigger: 'item', formatter: (p: any) => (p.data?.value ? `${p.seriesName} · ${p.data.step} (load ${p.data.load}): ${fmt(p.data.value[0])} tok/s, ${fmt(p.data.value[1])} ms` : p.name) },
      xAxis: valueAxis('output throughput (tok/s)'),
      yAxis: valueAxis(`${latencyLabel} (ms)`),
      series,
    },
    summary: `throughput–latency, ${sweeps.reduce((a, s) => a + s.sweep.points.length, 0)} steps; ${knees.join('; ')}`,
  };
}

/** Goodput (requests/s meeting the SLOs) against load; request throughput stands in when no SLO was given. */
export function goodputChart(sweeps: { name: string; sweep: Sweep }[]): Built {
  const hasGoodput = sweeps.some((s) => s.sweep.points.some((p) => p.goodput !== null));
  const axis = sweeps[0]?.sweep.axis ?? 'max_concurrency';
  return {
    option: {
      grid: GRID,
      legend: legend(sweeps.map((s) => s.name)),
      tooltip: axisTooltip,
      xAxis: valueAxis(axisLabel(axis)),
      yAxis: valueAxis(hasGoodput ? 'goodput (req/s meeting the SLOs)' : 'request throughput (req/s)', { min: 0, scale: false }),
      series: sweeps.map(({ name, sweep }) => ({
        name,
        type: 'line',
        symbolSize: 8,
        data: sweep.points.map((p) => [p.load, hasGoodput ? p.goodput : p.requestThroughput]),
      })),
    },
    summary: hasGoodput ? 'goodput against load' : 'request throughput against load (no goodput: the run set no SLOs)',
  };
}

/** One metric's history: a line over time, the points where the regression rule fires in red; points carry their pk. */
export function historyChart(s: HistorySeries, unit: string): Built {
  const flagged = s.points.filter((p) => p.regression);
  const point = (p: HistorySeries['points'][number]) => ({ value: [p.t, p.value], pk: p.pk, change: p.change, baseline: p.baseline });
  return {
    option: {
      grid: GRID,
      legend: legend([s.label, 'regression (>10 % vs the day before)']),
      tooltip: {
        trigger: 'item',
        formatter: (p: any) =>
          `${new Date(p.data.value[0]).toLocaleString()}<br/>${s.label}: ${fmt(p.data.value[1])}${unit ? ` ${unit}` : ''}` +
          (p.data.baseline !== null ? `<br/>day before: ${fmt(p.data.baseline)} (${fmtPct(p.data.change)})` : '') +
          '<br/>click to open the run',
      },
      xAxis: { type: 'time', name: 'time', nameLocation: 'middle', nameGap: 28 },
      yAxis: valueAxis(unit ? `${s.label} (${unit})` : s.label),
      series: [
        { name: s.label, type: 'line', symbolSize: 8, data: s.points.map(point), cursor: 'pointer' },
        { name: 'regression (>10 % vs the day before)', type: 'scatter', symbol: 'diamond', symbolSize: 16, itemStyle: { color: '#e03131' }, data: flagged.map(point), cursor: 'pointer', z: 5 },
      ],
    },
    summary: `${s.label}: ${s.points.length} runs, ${flagged.length} regression${flagged.length === 1 ? '' : 's'}`,
  };
}

/** Scores per task as horizontal bars (0–1 scores share one axis), the standard error in the label. */
export function scoresChart(rows: { label: string; value: number; stderr: number | null }[]): Built {
  return {
    option: {
      grid: { left: 200, right: 80, top: 12, bottom: 36 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', name: 'score', nameLocation: 'middle', nameGap: 24, min: 0, max: rows.every((r) => r.value <= 1 && r.value >= 0) ? 1 : undefined },
      yAxis: { type: 'category', data: rows.map((r) => r.label), inverse: true, axisLabel: { width: 190, overflow: 'truncate' } },
      series: [
        {
          name: 'score',
          type: 'bar',
          data: rows.map((r) => r.value),
          label: { show: true, position: 'right', formatter: (p: any) => `${fmt(p.value)}${rows[p.dataIndex].stderr !== null ? ` ± ${fmt(rows[p.dataIndex].stderr)}` : ''}` },
        },
      ],
    },
    summary: `scores: ${rows.map((r) => `${r.label} ${fmt(r.value)}`).join(', ')}`,
  };
}
