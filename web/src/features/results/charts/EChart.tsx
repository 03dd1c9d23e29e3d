/**
 * One ECharts chart. Only the chart types and components the results pages use are registered (echarts/core), so
 * the results chunk carries a fraction of ECharts. SVG rendering: crisp in screenshots, text stays selectable, and
 * the charts here have at most a few thousand points.
 */
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { Built } from './options';

echarts.use([LineChart, BarChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, MarkPointComponent, MarkLineComponent, SVGRenderer]);

/** The data of a clicked point (what a series put in `data`), for charts whose points link somewhere. */
export type ChartClick = { seriesName?: string; data?: any };

export default function EChart({ chart, height = 280, onPointClick, testid }: { chart: Built; height?: number; onPointClick?: (p: ChartClick) => void; testid?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const inst = useRef<echarts.ECharts | null>(null);
  const click = useRef(onPointClick);
  useEffect(() => {
    click.current = onPointClick;
  }, [onPointClick]);

  useEffect(() => {
    const c = echarts.init(el.current!, undefined, { renderer: 'svg' });
    inst.current = c;
    c.on('click', (p: any) => click.current?.({ seriesName: p.seriesName, data: p.data }));
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current!);
    return () => {
      ro.disconnect();
      c.dispose();
      inst.current = null;
    };
  }, []);

  useEffect(() => {
    inst.current?.setOption(chart.option, { notMerge: true });
  }, [chart]);

  return <div ref={el} role="img" aria-label={chart.summary} data-testid={testid} data-chart-summary={chart.summary} style={{ width: '100%', height }} />;
}
