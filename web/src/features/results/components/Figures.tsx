/** The headline figures of a step (cards) and its latency statistics (a table in ms), both with units. */
import { Card, SimpleGrid, Table, Text } from '@mantine/core';
import { latencyNames, percentilesOf, type Step } from '../model/document';
import { fmt, fmtUnit, shortLatency } from '../model/format';

const FIGURES: { key: string; from: 'throughput' | 'summary'; label: string; unit: string }[] = [
  { key: 'output_throughput', from: 'throughput', label: 'Output throughput', unit: 'tok/s' },
  { key: 'total_token_throughput', from: 'throughput', label: 'Total token throughput', unit: 'tok/s' },
  { key: 'request_throughput', from: 'throughput', label: 'Request throughput', unit: 'req/s' },
  { key: 'request_goodput', from: 'throughput', label: 'Goodput', unit: 'req/s' },
  { key: 'completed', from: 'summary', label: 'Completed requests', unit: '' },
  { key: 'failed', from: 'summary', label: 'Failed requests', unit: '' },
  { key: 'success_rate', from: 'summary', label: 'Success rate', unit: '%' },
  { key: 'duration_s', from: 'summary', label: 'Duration', unit: 's' },
];

export function FigureCards({ step }: { step: Step }) {
  const shown = FIGURES.filter((f) => step[f.from][f.key] !== undefined);
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} data-testid="figures">
      {shown.map((f) => (
        <Card key={f.key} withBorder padding="sm" data-testid={`figure-${f.key}`}>
          <Text size="xs" c="dimmed">
            {f.label}
          </Text>
          <Text fz="lg" fw={700} data-testid="figure-value">
            {fmtUnit(step[f.from][f.key], f.unit)}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}

/** Every latency metric of a step as a row: mean, median, percentiles in order, min/max, std (all in ms). */
export function LatencyTable({ step }: { step: Step }) {
  const names = latencyNames(step.latency);
  const ps = [...new Set(names.flatMap((n) => percentilesOf(step.latency[n]).filter((p) => p.key !== 'median').map((p) => p.key)))].sort(
    (a, b) => Number(a.slice(1)) - Number(b.slice(1)),
  );
  const cols = ['mean', 'median', ...ps, 'min', 'max', 'std'].filter((c) => names.some((n) => step.latency[n][c] !== undefined));
  if (!names.length) return null;
  return (
    <Table withTableBorder striped data-testid="latency-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Latency (ms)</Table.Th>
          {cols.map((c) => (
            <Table.Th key={c} ta="right">
              {c}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {names.map((n) => (
          <Table.Tr key={n} data-metric={n} data-testid="latency-row">
            <Table.Td fw={600}>{shortLatency(n)}</Table.Td>
            {cols.map((c) => (
              <Table.Td key={c} ta="right" data-stat={c}>
                {fmt(step.latency[n][c])}
              </Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
