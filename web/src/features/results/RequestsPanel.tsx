/**
 * What the per-request records of a run show: the distribution of E2EL, ITL and TTFT (CDF or histogram), latency
 * against time over the run, output tokens/s over time, and the failed requests by error.
 */
import { Group, SegmentedControl, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { Chart } from './charts/Chart';
import { cdfChart, histogramChart, latencyOverTimeChart, tokensOverTimeChart } from './charts/options';
import { cdf, errorGroups, histogram, timed, tokensOverTime, valuesOf, type RequestData } from './model/requests';

type Dist = 'e2el_ms' | 'itl_ms' | 'ttft_ms';

/** The values of a distribution: ITL from every token gap when the tool kept them, else per-request means. */
export function distributionValues(data: RequestData, records: RequestData['records'], metric: Dist): number[] {
  if (metric === 'itl_ms' && data.itlSource === 'tokens' && records.length === data.records.length) return [...data.itls_ms].sort((a, b) => a - b);
  return valuesOf(records, metric);
}

export function RequestsPanel({ data, scenario }: { data: RequestData; scenario: string | null }) {
  const records = useMemo(() => (scenario && data.records.some((r) => r.scenario === scenario) ? data.records.filter((r) => r.scenario === scenario) : data.records), [data, scenario]);
  // the first distribution the records have (vLLM bench serve's trimmed records have ITLs but no E2EL)
  const [metric, setMetric] = useState<Dist>(() => (['e2el_ms', 'itl_ms', 'ttft_ms'] as const).find((m) => distributionValues(data, data.records, m).length) ?? 'e2el_ms');
  const [view, setView] = useState<'cdf' | 'histogram'>('cdf');
  const values = useMemo(() => distributionValues(data, records, metric), [data, records, metric]);
  const label = metric === 'itl_ms' ? (data.itlSource === 'tokens' ? 'ITL (every token)' : 'ITL (mean per request)') : metric === 'ttft_ms' ? 'TTFT' : 'E2EL';
  const dist = useMemo(() => (view === 'cdf' ? cdfChart(label, [{ name: label, points: cdf(values) }]) : histogramChart(label, histogram(values))), [view, label, values]);
  const withTime = useMemo(() => timed(records), [records]);
  const overTime = useMemo(
    () => latencyOverTimeChart(withTime.filter((r) => r.ok).map((r) => ({ scenario: r.scenario, start_s: r.start_s!, ttft_ms: r.ttft_ms, e2el_ms: r.e2el_ms }))),
    [withTime],
  );
  const tokens = useMemo(() => tokensOverTimeChart(tokensOverTime(records)), [records]);
  const errors = useMemo(() => errorGroups(records), [records]);
  const ok = records.filter((r) => r.ok).length;

  return (
    <Stack gap="sm" data-testid="requests">
      <Text size="sm" c="dimmed" data-testid="requests-count">
        {records.length} requests ({ok} succeeded, {records.length - ok} failed)
        {data.total && data.total > data.records.length ? `; the result kept ${data.records.length} of ${data.total} records` : ''}
      </Text>
      <Group justify="space-between">
        <Text fw={600}>Distribution</Text>
        <Group gap="xs">
          <SegmentedControl
            size="xs"
            data={[
              { value: 'e2el_ms', label: 'E2EL' },
              { value: 'itl_ms', label: 'ITL' },
              { value: 'ttft_ms', label: 'TTFT' },
            ]}
            value={metric}
            onChange={(v) => setMetric(v as Dist)}
            data-testid="dist-metric"
          />
          <SegmentedControl
            size="xs"
            data={[
              { value: 'cdf', label: 'CDF' },
              { value: 'histogram', label: 'Histogram' },
            ]}
            value={view}
            onChange={(v) => setView(v as 'cdf' | 'histogram')}
            data-testid="dist-view"
          />
        </Group>
      </Group>
      {values.length ? <Chart chart={dist} testid="chart-distribution" /> : <Text c="dimmed">No successful request has a {label}.</Text>}
      {withTime.length ? (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <Stack gap={4}>
            <Text fw={600}>Latency over the run</Text>
            <Chart chart={overTime} testid="chart-latency-time" />
          </Stack>
          <Stack gap={4}>
            <Text fw={600}>Output tokens/s over the run</Text>
            <Chart chart={tokens} testid="chart-tokens-time" />
          </Stack>
        </SimpleGrid>
      ) : (
        <Text size="sm" c="dimmed" data-testid="no-timeline">
          The records carry no start times (this tool does not keep them), so there is no view over the run.
        </Text>
      )}
      {errors.length > 0 && (
        <Table withTableBorder data-testid="request-errors">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Error</Table.Th>
              <Table.Th ta="right">Requests</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {errors.map((e) => (
              <Table.Tr key={e.error}>
                <Table.Td style={{ wordBreak: 'break-word' }}>{e.error}</Table.Td>
                <Table.Td ta="right">{e.count}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
