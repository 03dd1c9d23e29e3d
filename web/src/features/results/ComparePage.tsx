/**
 * Compare results: base → new table of every metric with the change in %, coloured by whether the metric is better
 * higher or lower (flagged past 10 %), "differences only", and overlaid charts for the selected runs: latency
 * percentiles, request CDFs and sweep curves. The base is any of the results (the first by default).
 */
import { Anchor, Badge, Card, Group, Radio, SegmentedControl, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { MAX_COMPARE, resultsApi } from './api';
import { Chart } from './charts/Chart';
import { cdfChart } from './charts/options';
import { CSV, ExportButtons, JSON_MIME } from './components/Export';
import { compareRows, pksFromParams, runLabels, significance, tally, visibleRows, type Change, type CompareRow } from './model/compare';
import { compareCsv } from './model/csv';
import { stepsOf } from './model/document';
import { fmt, fmtPct, fmtTime } from './model/format';
import { cdf, requestsOf } from './model/requests';
import { PercentileCharts } from './PerformanceSection';
import { distributionValues } from './RequestsPanel';
import { SweepPanel } from './SweepPanel';

/** Runs drawn in the overlaid charts (a chart with more lines is unreadable; the table has them all). */
const OVERLAY_MAX = 6;
const GROUPS = ['all', 'score', 'latency', 'throughput', 'summary'] as const;

function ChangeCell({ c }: { c: Change | undefined }) {
  if (!c) return <Table.Td />;
  const sig = significance(c);
  const color = c.verdict === 'better' ? 'teal' : c.verdict === 'worse' ? 'red' : 'gray';
  return (
    <Table.Td ta="right" data-verdict={c.verdict} data-testid="change-cell">
      <Text span size="sm">
        {fmt(c.value)}
      </Text>{' '}
      {c.verdict !== 'none' || c.relative !== null ? (
        sig === 'strong' ? (
          <Badge size="sm" color={color} variant="filled" data-testid="change-pct">
            {fmtPct(c.relative)}
          </Badge>
        ) : (
          <Text span size="xs" c={c.verdict === 'same' || c.verdict === 'none' ? 'dimmed' : `${color}.7`} fw={600} data-testid="change-pct">
            {fmtPct(c.relative)}
          </Text>
        )
      ) : null}
    </Table.Td>
  );
}

/** useQueries' combine: the data of each query and whether any is loading (stable while nothing changes). */
const combineData = <T,>(rs: { data?: T; isLoading: boolean }[]) => ({ data: rs.map((r) => r.data), loading: rs.some((r) => r.isLoading) });

function DistributionOverlay({ pks, labels }: { pks: string[]; labels: Record<string, string> }) {
  const raws = useQueries({ queries: pks.map((pk) => ({ queryKey: ['results', 'raw', pk], queryFn: () => resultsApi.raw(pk), staleTime: 60_000 })), combine: combineData });
  const [metric, setMetric] = useState<'e2el_ms' | 'ttft_ms' | 'itl_ms'>('e2el_ms');
  const runs = useMemo(
    () =>
      pks.flatMap((pk, i) => {
        const d = raws.data[i] ? requestsOf(raws.data[i]) : null;
        return d ? [{ name: labels[pk], points: cdf(distributionValues(d, d.records, metric)) }] : [];
      }),
    [pks, labels, metric, raws.data],
  );
  const chart = useMemo(() => cdfChart(metric.replace('_ms', '').toUpperCase(), runs), [metric, runs]);
  if (raws.loading) return <Text size="sm" c="dimmed">Loading per-request records…</Text>;
  if (!runs.length) return <Text size="sm" c="dimmed">None of these results has per-request records, so there are no CDFs to overlay.</Text>;
  return (
    <Stack gap={4} data-testid="compare-cdf">
      <Group justify="space-between">
        <Text fw={600}>Request latency CDFs ({runs.length} of {pks.length} runs have records)</Text>
        <SegmentedControl
          size="xs"
          data={[
            { value: 'e2el_ms', label: 'E2EL' },
            { value: 'ttft_ms', label: 'TTFT' },
            { value: 'itl_ms', label: 'ITL' },
          ]}
          value={metric}
          onChange={(v) => setMetric(v as typeof metric)}
        />
      </Group>
      <Chart chart={chart} testid="chart-compare-cdf" />
    </Stack>
  );
}

export function ComparePage() {
  const [params, setParams] = useSearchParams();
  const pks = useMemo(() => pksFromParams(params).slice(0, MAX_COMPARE), [params]);
  const base = pks.includes(params.get('base') ?? '') ? params.get('base')! : pks[0];
  const [diffOnly, setDiffOnly] = useState(params.get('diff') === '1');
  const [group, setGroup] = useState<(typeof GROUPS)[number]>('all');
  const [q, setQ] = useState('');
  const cmp = useQuery({ queryKey: ['results', 'compare', pks], queryFn: () => resultsApi.compare(pks), enabled: pks.length >= 2 });
  const overlay = useMemo(() => pks.slice(0, OVERLAY_MAX), [pks]);
  const docs = useQueries({ queries: overlay.map((pk) => ({ queryKey: ['results', 'doc', pk], queryFn: () => resultsApi.document(pk), staleTime: 60_000 })), combine: combineData });
  const labels = useMemo(() => runLabels(cmp.data?.results ?? [], fmtTime), [cmp.data]);
  const rows = useMemo(() => (cmp.data ? compareRows(cmp.data.metrics, pks, base) : []), [cmp.data, pks, base]);
  const others = pks.filter((p) => p !== base);
  const shown = visibleRows(rows, diffOnly).filter((r) => (group === 'all' || r.group === group) && (!q || r.label.toLowerCase().includes(q.toLowerCase())));
  const perfRuns = useMemo(
    () => overlay.flatMap((pk, i) => (docs.data[i] ? [{ name: labels[pk] ?? pk, step: stepsOf(docs.data[i]!.doc)[0] }] : [])).filter((r) => Object.keys(r.step.latency).length),
    [overlay, docs.data, labels],
  );
  const sweepRuns = useMemo(() => overlay.flatMap((pk, i) => (docs.data[i] ? [{ name: labels[pk] ?? pk, steps: stepsOf(docs.data[i]!.doc) }] : [])), [overlay, docs.data, labels]);

  if (pks.length < 2) {
    return (
      <Stack>
        <Title order={2}>Compare</Title>
        <Text data-testid="compare-empty">
          Select two or more results on the <Anchor component={Link} to="/results">results page</Anchor> and press Compare.
        </Text>
      </Stack>
    );
  }
  if (cmp.isLoading) return <PageLoader label="Comparing…" />;
  const setBase = (pk: string) => {
    const p = new URLSearchParams(params);
    p.set('base', pk);
    setParams(p, { replace: true });
  };

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Compare {pks.length} results</Title>
        {cmp.data && (
          <ExportButtons
            items={[
              { label: 'CSV', filename: 'comparison.csv', mime: CSV, content: () => compareCsv(visibleRows(rows, diffOnly), base, others) },
              { label: 'JSON', filename: 'comparison.json', mime: JSON_MIME, content: () => JSON.stringify({ base, results: cmp.data!.results, rows: visibleRows(rows, diffOnly) }, null, 2) },
            ]}
          />
        )}
      </Group>
      <ErrorAlert error={cmp.error} onRetry={() => void cmp.refetch()} />
      {cmp.data && (
        <>
          <Radio.Group value={base} onChange={setBase} label="Base (the others are compared with it)">
            <SimpleGrid cols={{ base: 1, md: Math.min(3, pks.length) }} mt="xs">
              {cmp.data.results.map((r) => {
                const t = r.pk === base ? null : tally(rows, r.pk);
                return (
                  <Card key={r.pk} withBorder padding="sm" data-testid="compare-result">
                    <Group justify="space-between" wrap="nowrap">
                      <Radio value={r.pk} label={labels[r.pk]} />
                      {t ? (
                        <Text size="xs">
                          <Text span c="teal.7" fw={600}>
                            {t.better} better
                          </Text>{' '}
                          ·{' '}
                          <Text span c="red.7" fw={600}>
                            {t.worse} worse
                          </Text>
                        </Text>
                      ) : (
                        <Badge size="sm">base</Badge>
                      )}
                    </Group>
                    <Text size="xs" c="dimmed">
                      <Anchor component={Link} to={`/results/${encodeURIComponent(r.pk)}`} size="xs">
                        {r.benchmark_name}
                      </Anchor>{' '}
                      · {r.model_id} · {r.source}
                    </Text>
                  </Card>
                );
              })}
            </SimpleGrid>
          </Radio.Group>

          <Group gap="md">
            <Switch label="Differences only" checked={diffOnly} onChange={(e) => setDiffOnly(e.currentTarget.checked)} data-testid="diff-only" />
            <SegmentedControl size="xs" data={[...GROUPS]} value={group} onChange={(v) => setGroup(v as typeof group)} />
            <TextInput size="xs" placeholder="Filter metrics" value={q} onChange={(e) => setQ(e.currentTarget.value)} aria-label="filter metrics" />
            <Text size="xs" c="dimmed" data-testid="compare-count">
              {shown.length} of {rows.length} metrics
            </Text>
          </Group>
          <Table withTableBorder striped stickyHeader data-testid="compare-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Metric</Table.Th>
                <Table.Th>Better</Table.Th>
                <Table.Th ta="right">{labels[base]} (base)</Table.Th>
                {others.map((pk) => (
                  <Table.Th key={pk} ta="right">
                    {labels[pk]}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((r: CompareRow) => (
                <Table.Tr key={r.path} data-path={r.path} data-testid="compare-row">
                  <Table.Td>
                    {r.label}
                    {r.unit && <Text span size="xs" c="dimmed">{` (${r.unit})`}</Text>}
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {!r.directed ? '—' : r.higherIsBetter ? 'higher' : 'lower'}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" data-testid="base-cell">
                    {fmt(r.base)}
                  </Table.Td>
                  {others.map((pk) => (
                    <ChangeCell key={pk} c={r.changes[pk]} />
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>

          <Title order={3}>Overlaid</Title>
          {pks.length > OVERLAY_MAX && (
            <Text size="sm" c="dimmed">
              The charts show the first {OVERLAY_MAX} results; the table has all {pks.length}.
            </Text>
          )}
          <PercentileCharts runs={perfRuns} />
          <DistributionOverlay pks={overlay} labels={labels} />
          <SweepPanel runs={sweepRuns} />
        </>
      )}
    </Stack>
  );
}
