/**
 * A performance result: the self-check verdict with its reasons, thresholds, the headline figures and latency
 * percentiles of the chosen step (scenario or sweep step), a sweep's curve, and the per-request views.
 */
import { Loader, SegmentedControl, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Chart } from './charts/Chart';
import { percentileChart } from './charts/options';
import { FigureCards, LatencyTable } from './components/Figures';
import { ReliabilityVerdict, ThresholdsTable } from './components/Verdicts';
import { latencyNames, percentilesOf, reliabilityOf, stepsOf, thresholdsOf, toolOf, type StandardDoc, type Step } from './model/document';
import { LATENCY_LABELS, shortLatency } from './model/format';
import type { RequestData } from './model/requests';
import { RequestsPanel } from './RequestsPanel';
import { SweepPanel } from './SweepPanel';

/** The percentile charts of one step: one small chart per latency metric that has percentiles. */
export function PercentileCharts({ runs }: { runs: { name: string; step: Step }[] }) {
  const charts = useMemo(() => {
    const all = Object.assign({}, ...runs.map((r) => r.step.latency));
    const names = latencyNames(all).filter((n) => runs.some((r) => percentilesOf(r.step.latency[n]).length > 0));
    return names.map((n) => ({ n, chart: percentileChart(shortLatency(n), runs.map((r) => ({ name: r.name, points: percentilesOf(r.step.latency[n]) }))) }));
  }, [runs]);
  if (!charts.length) return null;
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} data-testid="percentile-charts">
      {charts.map(({ n, chart }) => (
        <Stack key={n} gap={2}>
          <Text size="sm" fw={600}>
            {LATENCY_LABELS[n] ?? n}
          </Text>
          <Chart chart={chart} height={240} testid={`chart-percentiles-${n}`} />
        </Stack>
      ))}
    </SimpleGrid>
  );
}

export function PerformanceSection({ doc, requests }: { doc: StandardDoc; requests: { data: RequestData | null | undefined; loading: boolean; error: unknown } }) {
  const steps = useMemo(() => stepsOf(doc), [doc]);
  const [stepName, setStepName] = useState(steps[0]?.name ?? '');
  const step = steps.find((s) => s.name === stepName) ?? steps[0];
  const tool = toolOf(doc);
  const runVerdict = reliabilityOf(doc.meta, tool);
  // a scenario's own verdict when it has one (the run's is the worst of them)
  const stepVerdict = step.reliability.state !== 'unknown' ? step.reliability : null;
  const thresholds = thresholdsOf(doc);
  const runs = useMemo(() => [{ name: step.name, step }], [step]);
  const sweepRuns = useMemo(() => [{ name: 'this run', steps }], [steps]);

  return (
    <Stack gap="md" data-testid="performance">
      <ReliabilityVerdict r={runVerdict.state === 'unknown' && stepVerdict ? stepVerdict : runVerdict} />
      {stepVerdict && runVerdict.state !== 'unknown' && steps.length > 1 && stepVerdict.state !== runVerdict.state && <ReliabilityVerdict r={stepVerdict} scope={step.name} />}
      {thresholds && <ThresholdsTable t={thresholds} />}
      <SweepPanel runs={sweepRuns} />
      {steps.length > 1 && (
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Step
          </Text>
          {steps.length <= 6 ? (
            <SegmentedControl data={steps.map((s) => s.name)} value={step.name} onChange={setStepName} data-testid="step-picker" />
          ) : (
            <Select data={steps.map((s) => s.name)} value={step.name} onChange={(v) => v && setStepName(v)} allowDeselect={false} w={260} data-testid="step-picker" />
          )}
        </Stack>
      )}
      <FigureCards step={step} />
      <Title order={4}>Latency percentiles{steps.length > 1 ? ` · ${step.name}` : ''}</Title>
      <PercentileCharts runs={runs} />
      <LatencyTable step={step} />
      <Title order={4}>Requests{steps.length > 1 ? ` · ${step.name}` : ''}</Title>
      <ErrorAlert error={requests.error} title="The per-request records could not be read" />
      {requests.loading ? (
        <Loader size="sm" />
      ) : requests.data ? (
        <RequestsPanel data={requests.data} scenario={steps.length > 1 ? step.name : null} />
      ) : (
        <Text size="sm" c="dimmed" data-testid="no-requests">
          This result has no per-request records ({tool ?? 'its tool'} stored only statistics), so there are no distributions or views over the run.
        </Text>
      )}
    </Stack>
  );
}
