/**
 * A workflow's results drawn with the results pages' own components (figure cards, percentile charts, latency
 * table): the prediction as a measured result gets it, and after a real run prediction and measurement side by side
 * (every compared metric with both values and the error, and the percentile charts overlaid).
 */
import { Anchor, Badge, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useMemo } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { useDocument } from '../results/api';
import { FigureCards, LatencyTable } from '../results/components/Figures';
import { stepsOf } from '../results/model/document';
import { fmt, fmtPct } from '../results/model/format';
import { PercentileCharts } from '../results/PerformanceSection';
import { metricLabel, type Comparison, type RunView } from './model';

const resultLink = (pk: string) => `/results/${encodeURIComponent(pk)}`;

/** The simulated run's predicted metrics, as charts and figures from its stored result. */
export function PredictionView({ run }: { run: RunView }) {
  const doc = useDocument(run.result_pk ?? undefined);
  const step = useMemo(() => (doc.data ? stepsOf(doc.data.doc)[0] : null), [doc.data]);
  const runs = useMemo(() => (step ? [{ name: 'predicted', step }] : []), [step]);
  if (run.status === 'failed') return <ErrorAlert error={new Error(`${run.error?.stage ?? 'simulation'}: ${run.error?.message ?? 'failed'}`)} title="The simulation failed" />;
  return (
    <Stack gap="sm" data-testid="prediction">
      <Group gap="xs">
        <Badge color="grape" variant="light">
          predicted
        </Badge>
        <Text size="sm" c="dimmed" data-testid="prediction-meta">
          {run.plan.simulator ? `${run.plan.simulator.model} on ${run.plan.simulator.device_count} × ${run.plan.simulator.hardware}` : ''} · {run.plan.workload.num_prompts} requests at {run.plan.workload.concurrent_requests} concurrent · answered in{' '}
          {run.wall_time_s ?? '—'} s
        </Text>
        {run.result_pk && (
          <Anchor component={Link} to={resultLink(run.result_pk)} size="sm" data-testid="prediction-result-link">
            open as a result
          </Anchor>
        )}
      </Group>
      <ErrorAlert error={doc.error} title="The prediction's result could not be read" />
      {doc.isLoading && <Loader size="sm" />}
      {step && (
        <>
          <FigureCards step={step} />
          <PercentileCharts runs={runs} />
          <LatencyTable step={step} />
        </>
      )}
    </Stack>
  );
}

/** Prediction and measurement side by side: the comparison table and the overlaid percentile charts. */
export function SideBySide({ comparison }: { comparison: Comparison }) {
  const predicted = useDocument(comparison.predicted_pk ?? undefined);
  const measured = useDocument(comparison.measured_pk ?? undefined);
  const runs = useMemo(() => {
    const out = [];
    if (predicted.data) out.push({ name: 'predicted', step: stepsOf(predicted.data.doc)[0] });
    if (measured.data) out.push({ name: 'measured', step: stepsOf(measured.data.doc)[0] });
    return out;
  }, [predicted.data, measured.data]);
  return (
    <Stack gap="sm" data-testid="side-by-side">
      <Group justify="space-between">
        <Title order={4}>Predicted vs measured</Title>
        {comparison.mean_abs_error !== null && (
          <Text size="sm" data-testid="mean-abs-error">
            mean |error| {(comparison.mean_abs_error * 100).toFixed(1)} %
          </Text>
        )}
      </Group>
      <Table withTableBorder striped data-testid="comparison-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Metric</Table.Th>
            <Table.Th ta="right">Predicted</Table.Th>
            <Table.Th ta="right">Measured</Table.Th>
            <Table.Th ta="right">Error</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {comparison.metrics.map((m) => (
            <Table.Tr key={m.metric} data-metric={m.metric} data-testid="comparison-row">
              <Table.Td>{metricLabel(m.metric)}</Table.Td>
              <Table.Td ta="right" data-col="predicted">
                {fmt(m.predicted)}
              </Table.Td>
              <Table.Td ta="right" data-col="measured">
                {fmt(m.measured)}
              </Table.Td>
              <Table.Td ta="right" data-col="error" c={m.error === null ? undefined : Math.abs(m.error) <= 0.1 ? 'teal' : Math.abs(m.error) <= 0.3 ? 'orange' : 'red'}>
                {fmtPct(m.error)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group gap="md">
        {comparison.predicted_pk && (
          <Anchor component={Link} to={resultLink(comparison.predicted_pk)} size="sm">
            the prediction
          </Anchor>
        )}
        {comparison.measured_pk && (
          <Anchor component={Link} to={resultLink(comparison.measured_pk)} size="sm">
            the measurement
          </Anchor>
        )}
      </Group>
      {runs.length === 2 && <PercentileCharts runs={runs} />}
    </Stack>
  );
}
