/**
 * A chart, with ECharts loaded on first use: pages without charts (the results list) never download it, and a page
 * with charts shows their frames at once while the library arrives.
 */
import { Skeleton } from '@mantine/core';
import { lazy, Suspense } from 'react';
import type { ChartClick } from './EChart';
import type { Built } from './options';

const EChart = lazy(() => import('./EChart'));

export type { ChartClick };

export function Chart(props: { chart: Built; height?: number; onPointClick?: (p: ChartClick) => void; testid?: string }) {
  return (
    <Suspense fallback={<Skeleton height={props.height ?? 280} data-testid={props.testid ? `${props.testid}-loading` : undefined} />}>
      <EChart {...props} />
    </Suspense>
  );
}
