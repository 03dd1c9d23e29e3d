/**
 * A model's history on a benchmark: each chosen metric over time (one chart per series), the points where the
 * regression rule of deploy/monitoring/alert-rules.yaml would fire marked, every point linking to its run (click the
 * point, or the run in its table), and the whole history as CSV or JSON.
 */
import { Accordion, Anchor, Autocomplete, Badge, Card, Group, MultiSelect, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { HISTORY_LIMIT, resultsApi } from './api';
import { Chart } from './charts/Chart';
import { historyChart } from './charts/options';
import { CSV, ExportButtons, fileName, JSON_MIME } from './components/Export';
import { historyCsv } from './model/csv';
import { fmt, fmtPct, fmtTime, unitOf } from './model/format';
import { sinceFor } from './model/listing';
import { flattenMetrics } from './model/metrics';
import { seriesOf, type Series } from './model/regression';

const DEFAULT_METRICS = ['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms', 'output_throughput', 'request_throughput'];
const STATS = ['p99', 'p95', 'p90', 'p50', 'mean', 'median'];
const RANGES = [
  { value: '', label: 'All time' },
  { value: '720', label: 'Last 30 days' },
  { value: '2160', label: 'Last 90 days' },
];

/** The metric names a result offers for a history: latency metrics, throughput and summary figures, scores. */
function metricChoices(rows: ReturnType<typeof flattenMetrics>): { group: string; items: string[] }[] {
  const pick = (g: string, f: (r: (typeof rows)[number]) => boolean) => ({ group: g, items: [...new Set(rows.filter(f).map((r) => r.metric))] });
  return [
    pick('Scores', (r) => r.group === 'score' && r.stat === ''),
    pick('Latency', (r) => r.group === 'latency'),
    pick('Throughput', (r) => r.group === 'throughput'),
    pick('Summary', (r) => r.group === 'summary'),
  ].filter((g) => g.items.length);
}

function SeriesCard({ s, modelId }: { s: Series; modelId: string }) {
  const navigate = useNavigate();
  const unit = unitOf(s.group, s.metric);
  const chart = useMemo(() => historyChart(s, unit), [s, unit]);
  const flagged = s.points.filter((p) => p.regression).length;
  return (
    <Card withBorder padding="sm" data-testid="history-series" data-path={s.path}>
      <Group justify="space-between" mb={4}>
        <Text fw={600}>
          {s.label}
          {unit ? ` (${unit})` : ''}
        </Text>
        <Group gap={4}>
          <Badge variant="light" color="gray" size="sm">
            {s.higherIsBetter ? 'higher is better' : 'lower is better'}
          </Badge>
          {flagged > 0 && (
            <Badge color="red" size="sm" data-testid="series-regressions">
              {flagged} regression{flagged === 1 ? '' : 's'}
            </Badge>
          )}
        </Group>
      </Group>
      <Chart chart={chart} height={220} testid="chart-history" onPointClick={(p) => p.data?.pk && navigate(`/results/${encodeURIComponent(p.data.pk)}`)} />
      <Accordion variant="contained" chevronPosition="left">
        <Accordion.Item value="points">
          <Accordion.Control data-testid="points-toggle">
            {s.points.length} run{s.points.length === 1 ? '' : 's'} of {modelId}
          </Accordion.Control>
          <Accordion.Panel>
            <Table striped data-testid="points-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Run</Table.Th>
                  <Table.Th ta="right">Value</Table.Th>
                  <Table.Th ta="right">Day before</Table.Th>
                  <Table.Th ta="right">Change</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {[...s.points].reverse().map((p) => (
                  <Table.Tr key={p.pk} data-pk={p.pk} data-testid="point-row" data-regression={p.regression ? 'true' : undefined}>
                    <Table.Td>
                      <Anchor component={Link} to={`/results/${encodeURIComponent(p.pk)}`} size="sm" data-testid="point-link">
                        {fmtTime(p.timestamp)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td ta="right" data-testid="point-value">
                      {fmt(p.value)}
                    </Table.Td>
                    <Table.Td ta="right">{fmt(p.baseline)}</Table.Td>
                    <Table.Td ta="right">{fmtPct(p.change)}</Table.Td>
                    <Table.Td>{p.regression && <Badge color="red" size="xs">regression</Badge>}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Accordion.Panel>
        </Accordion.Item>
      </Accordion>
    </Card>
  );
}

const runsOf = (series: Series[]) => new Set(series.flatMap((s) => s.points.map((p) => p.pk))).size;

/** useQueries' combine: every query's data, the first error, whether any is loading. */
const combine = <T,>(rs: { data?: T; error: unknown; isLoading: boolean }[]) => ({ data: rs.map((r) => r.data), error: rs.find((r) => r.error)?.error, loading: rs.some((r) => r.isLoading) });

export function HistoryPage() {
  const [params, setParams] = useSearchParams();
  const model = params.get('model') ?? '';
  const benchmark = params.get('benchmark') ?? '';
  const stat = params.get('stat') ?? 'p99';
  const range = params.get('range') ?? '';
  const set = (patch: Record<string, string>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p, { replace: true });
  };

  const recent = useQuery({ queryKey: ['results', 'recent-names'], queryFn: () => resultsApi.list({ limit: 200 }), staleTime: 60_000 });
  const models = [...new Set((recent.data?.items ?? []).map((r) => r.model_id))].sort();
  const benchmarks = [...new Set((recent.data?.items ?? []).filter((r) => !model || r.model_id === model).map((r) => r.benchmark_name))].sort();

  // the newest result of the pair says which metrics there are
  const latest = useQuery({
    queryKey: ['results', 'latest', model, benchmark],
    queryFn: async () => {
      const page = await resultsApi.list({ model_id: model, benchmark_name: benchmark, limit: 1 });
      if (!page.items.length) return { rows: [], total: 0 };
      const { doc } = await resultsApi.document(page.items[0].pk);
      return { rows: flattenMetrics(doc, benchmark), total: page.total };
    },
    enabled: !!model && !!benchmark,
  });
  const choices = useMemo(() => metricChoices(latest.data?.rows ?? []), [latest.data]);
  const fromUrl = params.get('metrics');
  const metrics = useMemo(
    () => (fromUrl !== null ? fromUrl.split(',').filter(Boolean) : [...(choices.find((c) => c.group === 'Scores')?.items ?? []), ...DEFAULT_METRICS.filter((m) => choices.some((c) => c.items.includes(m)))]),
    [fromUrl, choices],
  );
  const isLatency = (m: string) => (latest.data?.rows ?? []).some((r) => r.group === 'latency' && r.metric === m);
  const since = range ? sinceFor(Number(range)) : undefined;

  const histories = useQueries({
    queries: metrics.map((metric) => ({
      queryKey: ['results', 'history', model, benchmark, metric, isLatency(metric) ? stat : '', range],
      queryFn: () =>
        resultsApi.history({ model_id: model, benchmark_name: benchmark, metric, ...(since ? { since } : {}), ...(isLatency(metric) ? { stat } : {}) }),
      enabled: !!model && !!benchmark && !!latest.data,
    })),
    combine,
  });
  // in the order the metrics were chosen, each metric's series by path
  const series = useMemo(() => {
    const rank = (m: string) => metrics.indexOf(m) + 1 || 999;
    return seriesOf(histories.data.flatMap((h) => h?.items ?? [])).sort((a, b) => rank(a.metric) - rank(b.metric));
  }, [histories.data, metrics]);
  const truncated = histories.data.some((h) => h && h.total > h.items.length);
  const flagged = series.flatMap((s) => s.points.filter((p) => p.regression).map((p) => ({ s, p })));

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Model history</Title>
        {series.length > 0 && (
          <ExportButtons
            items={[
              { label: 'CSV', filename: `${fileName('history', model, benchmark)}.csv`, mime: CSV, content: () => historyCsv(model, series) },
              { label: 'JSON', filename: `${fileName('history', model, benchmark)}.json`, mime: JSON_MIME, content: () => JSON.stringify({ model_id: model, benchmark_name: benchmark, series }, null, 2) },
            ]}
          />
        )}
      </Group>
      <Group align="flex-end" gap="sm">
        <Autocomplete label="Model" data={models} value={model} onChange={(v) => set({ model: v, metrics: '' })} w={260} data-testid="history-model" />
        <Autocomplete label="Benchmark" data={benchmarks} value={benchmark} onChange={(v) => set({ benchmark: v, metrics: '' })} w={260} data-testid="history-benchmark" />
        <Select label="Time" data={RANGES} value={range} onChange={(v) => set({ range: v ?? '' })} allowDeselect={false} w={150} />
        <Select label="Latency statistic" data={STATS} value={stat} onChange={(v) => set({ stat: v ?? 'p99' })} allowDeselect={false} w={150} />
      </Group>
      {model && benchmark && (
        <MultiSelect
          label="Metrics"
          data={choices}
          value={metrics}
          onChange={(v) => setParams((p) => (p.set('metrics', v.join(',')), p), { replace: true })}
          searchable
          data-testid="history-metrics"
        />
      )}
      <ErrorAlert error={recent.error ?? latest.error ?? histories.error} />
      {!model || !benchmark ? (
        <Text c="dimmed" data-testid="history-empty">
          Pick a model and a benchmark (or open a result and press “Model history”).
        </Text>
      ) : latest.data && latest.data.total === 0 ? (
        <Text c="dimmed" data-testid="history-none">
          No results of {model} on {benchmark}.
        </Text>
      ) : (
        <>
          <Text size="sm" c="dimmed" data-testid="history-summary">
            {runsOf(series)} run{runsOf(series) === 1 ? '' : 's'} · {series.length} series · {flagged.length} point{flagged.length === 1 ? '' : 's'} where the
            regression rule (more than 10 % worse than the day before’s average) would fire
            {histories.loading ? ' · loading…' : ''}
          </Text>
          {truncated && (
            <Text size="sm" c="orange.8">
              Some series have more than {HISTORY_LIMIT} points: the oldest {HISTORY_LIMIT} are shown; narrow the time range.
            </Text>
          )}
          {flagged.length > 0 && (
            <Table withTableBorder data-testid="regressions-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Regression</Table.Th>
                  <Table.Th>Run</Table.Th>
                  <Table.Th ta="right">Value</Table.Th>
                  <Table.Th ta="right">Day before</Table.Th>
                  <Table.Th ta="right">Change</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {flagged.map(({ s, p }) => (
                  <Table.Tr key={`${s.path}-${p.pk}`} data-testid="regression-row" data-pk={p.pk}>
                    <Table.Td>{s.label}</Table.Td>
                    <Table.Td>
                      <Anchor component={Link} to={`/results/${encodeURIComponent(p.pk)}`} size="sm">
                        {fmtTime(p.timestamp)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td ta="right">{fmt(p.value)}</Table.Td>
                    <Table.Td ta="right">{fmt(p.baseline)}</Table.Td>
                    <Table.Td ta="right">
                      <Text span c="red.7" fw={600} size="sm">
                        {fmtPct(p.change)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            {series.map((s) => (
              <SeriesCard key={s.path} s={s} modelId={model} />
            ))}
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}
