/**
 * A concurrency or rate sweep: the throughput–latency curve (one point per step, the knee marked), goodput against
 * load, and the steps as a table. For one run (the result page) or several overlaid (the compare page).
 */
import { Badge, Group, Select, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { Chart } from './charts/Chart';
import { goodputChart, sweepChart } from './charts/options';
import type { Step } from './model/document';
import { fmt, shortLatency } from './model/format';
import { axisLabel, sweepOf, type Sweep } from './model/sweep';

const METRICS = ['e2el_ms', 'ttft_ms', 'itl_ms', 'tpot_ms'];
const STATS = ['p99', 'p95', 'p90', 'p50', 'mean'];

/** The latency pickers shared by the sweep views. */
function useLatencyChoice(steps: Step[][]) {
  const metrics = METRICS.filter((m) => steps.some((ss) => ss.some((s) => s.latency[m])));
  const [metric, setMetric] = useState(metrics[0] ?? 'e2el_ms');
  const stats = STATS.filter((st) => steps.some((ss) => ss.some((s) => s.latency[metric]?.[st] !== undefined)));
  const [stat, setStat] = useState('p99');
  const chosenStat = stats.includes(stat) ? stat : (stats[0] ?? 'p99');
  const picker = (
    <Group gap="xs">
      <Select size="xs" w={110} data={metrics.map((m) => ({ value: m, label: shortLatency(m) }))} value={metric} onChange={(v) => v && setMetric(v)} allowDeselect={false} aria-label="latency metric" />
      <Select size="xs" w={90} data={stats} value={chosenStat} onChange={(v) => v && setStat(v)} allowDeselect={false} aria-label="statistic" />
    </Group>
  );
  return { metric, stat: chosenStat, picker };
}

/** The sweeps among `runs` (null for runs whose steps are not a sweep). */
export function sweepsOf(runs: { name: string; steps: Step[] }[], metric: string, stat: string): { name: string; sweep: Sweep }[] {
  return runs.flatMap((r) => {
    const sweep = sweepOf(r.steps, metric, stat);
    return sweep ? [{ name: r.name, sweep }] : [];
  });
}

export function SweepPanel({ runs }: { runs: { name: string; steps: Step[] }[] }) {
  const { metric, stat, picker } = useLatencyChoice(runs.map((r) => r.steps));
  const sweeps = useMemo(() => sweepsOf(runs, metric, stat), [runs, metric, stat]);
  const latencyLabel = `${stat} ${shortLatency(metric)}`;
  const curve = useMemo(() => sweepChart(latencyLabel, sweeps), [latencyLabel, sweeps]);
  const goodput = useMemo(() => goodputChart(sweeps), [sweeps]);
  if (!sweeps.length) return null;
  const single = sweeps.length === 1 ? sweeps[0].sweep : null;
  return (
    <Stack gap="xs" data-testid="sweep">
      <Group justify="space-between">
        <Group gap="xs">
          <Text fw={600}>Sweep over {axisLabel(sweeps[0].sweep.axis)}</Text>
          {single && (
            <Badge variant="light" tt="none" color={single.knee === null ? 'gray' : 'violet'} data-testid="sweep-knee">
              {single.knee === null ? (single.points.length < 3 ? 'knee needs 3 or more steps' : 'no knee: not saturated') : `knee at ${single.points[single.knee].step}`}
            </Badge>
          )}
        </Group>
        {picker}
      </Group>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Stack gap={2}>
          <Text size="sm" fw={600}>
            Throughput against latency (one point per step, labelled with its load)
          </Text>
          <Chart chart={curve} testid="chart-sweep" />
        </Stack>
        <Stack gap={2}>
          <Text size="sm" fw={600}>
            {goodput.summary.startsWith('goodput') ? 'Goodput against load' : 'Request throughput against load (no SLOs set, so no goodput)'}
          </Text>
          <Chart chart={goodput} testid="chart-goodput" />
        </Stack>
      </SimpleGrid>
      {single && (
        <Table withTableBorder striped data-testid="sweep-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Step</Table.Th>
              <Table.Th ta="right">Load</Table.Th>
              <Table.Th ta="right">Output (tok/s)</Table.Th>
              <Table.Th ta="right">Requests (req/s)</Table.Th>
              <Table.Th ta="right">Goodput (req/s)</Table.Th>
              <Table.Th ta="right">{latencyLabel} (ms)</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {single.points.map((p, i) => (
              <Table.Tr key={p.step} data-testid="sweep-row" data-knee={i === single.knee ? 'true' : undefined}>
                <Table.Td>
                  {p.step} {i === single.knee && <Badge size="xs">knee</Badge>}
                </Table.Td>
                <Table.Td ta="right">{fmt(p.load)}</Table.Td>
                <Table.Td ta="right">{fmt(p.throughput)}</Table.Td>
                <Table.Td ta="right">{fmt(p.requestThroughput)}</Table.Td>
                <Table.Td ta="right">{fmt(p.goodput)}</Table.Td>
                <Table.Td ta="right">{fmt(p.latency)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
