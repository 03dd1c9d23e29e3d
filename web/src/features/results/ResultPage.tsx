/**
 * One result: who and when (model, benchmark, source, time, run), links to its model's history and a comparison
 * with the run before, exports (JSON, CSV of every number, CSV of the per-request records), and tabs for its
 * performance figures, its scores, every number, and the document itself.
 */
import { Button, Code, Group, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { resultsApi, useDocument, useRaw } from './api';
import { CSV, ExportButtons, fileName, JSON_MIME } from './components/Export';
import { requestsCsv, resultCsv } from './model/csv';
import { kindOf, toolOf } from './model/document';
import { fmt, fmtTime, unitOf } from './model/format';
import { compareLink } from './model/listing';
import { flattenMetrics, rowLabel } from './model/metrics';
import { requestsOf } from './model/requests';
import { PerformanceSection } from './PerformanceSection';
import { QualitySection } from './QualitySection';

function AllMetrics({ rows }: { rows: ReturnType<typeof flattenMetrics> }) {
  const [q, setQ] = useState('');
  const shown = rows.filter((r) => !q || r.path.toLowerCase().includes(q.toLowerCase()));
  return (
    <Stack gap="xs">
      <TextInput placeholder="Filter by path" value={q} onChange={(e) => setQ(e.currentTarget.value)} w={320} aria-label="filter metrics" />
      <Table withTableBorder striped data-testid="metrics-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Group</Table.Th>
            <Table.Th>Metric</Table.Th>
            <Table.Th ta="right">Value</Table.Th>
            <Table.Th>Unit</Table.Th>
            <Table.Th>Path</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((r) => (
            <Table.Tr key={r.path} data-path={r.path}>
              <Table.Td>{r.group}</Table.Td>
              <Table.Td>{rowLabel(r)}</Table.Td>
              <Table.Td ta="right">{fmt(r.value)}</Table.Td>
              <Table.Td>{unitOf(r.group, r.metric)}</Table.Td>
              <Table.Td>
                <Code>{r.path}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

export function ResultPage() {
  const { pk = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const doc = useDocument(pk);
  const summary = useQuery({ queryKey: ['results', 'summary', pk], queryFn: () => resultsApi.summary(pk), staleTime: 60_000 });
  const previous = useQuery({ queryKey: ['results', 'previous', pk], queryFn: () => resultsApi.previous(summary.data!), enabled: !!summary.data });
  const d = doc.data?.doc;
  const meta = d?.meta ?? {};
  const model = summary.data?.model_id ?? ((meta.model as any)?.id as string | undefined) ?? '';
  const benchmark = summary.data?.benchmark_name ?? (typeof meta.benchmark_name === 'string' ? meta.benchmark_name : '');
  const rows = useMemo(() => (d ? flattenMetrics(d, benchmark) : []), [d, benchmark]);
  const kind = d ? kindOf(d, rows.some((r) => r.group === 'score' && r.stat === '')) : { performance: false, quality: false };
  // the raw input holds the per-request records and samples: fetched only for the tabs that show them
  const raw = useRaw(pk, kind.performance || kind.quality);
  const requests = useMemo(() => (raw.data ? requestsOf(raw.data) : null), [raw.data]);

  if (doc.isLoading) return <PageLoader label="Loading the result…" />;
  if (!d) return <ErrorAlert error={doc.error ?? new Error('no document')} onRetry={() => void doc.refetch()} />;

  const tabs = [...(kind.performance ? ['performance'] : []), ...(kind.quality ? ['quality'] : []), 'metrics', 'document'];
  const tab = tabs.includes(params.get('tab') ?? '') ? params.get('tab')! : tabs[0];
  const base = fileName(benchmark || 'result', model, pk.slice(0, 24));

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Title order={2} data-testid="result-title">
            {benchmark || pk}
          </Title>
          <Text size="sm" c="dimmed" data-testid="result-meta">
            {model && <b>{model}</b>} · {summary.data?.source ?? toolOf(d) ?? '—'} · {summary.data ? fmtTime(summary.data.timestamp) : '—'}
            {summary.data && ` · run ${summary.data.run_id}`}
          </Text>
        </Stack>
        <Group gap="xs">
          {model && benchmark && (
            <Button component={Link} variant="light" size="xs" to={`/history?${new URLSearchParams({ model, benchmark }).toString()}`} data-testid="history-link">
              Model history
            </Button>
          )}
          {previous.data && summary.data && (
            <Button component={Link} variant="light" size="xs" to={compareLink([previous.data, summary.data])} data-testid="compare-previous">
              Compare with the previous run
            </Button>
          )}
          <ExportButtons
            items={[
              { label: 'JSON', filename: `${base}.json`, mime: JSON_MIME, content: () => JSON.stringify({ pk, ...(summary.data ?? {}), data: d }, null, 2) },
              { label: 'CSV', filename: `${base}.csv`, mime: CSV, content: () => resultCsv(pk, rows, (r) => unitOf(r.group, r.metric)) },
              ...(requests ? [{ label: 'Requests CSV', filename: `${base}-requests.csv`, mime: CSV, content: () => requestsCsv(pk, requests.records) }] : []),
            ]}
          />
        </Group>
      </Group>
      <ErrorAlert error={summary.error} title="The result's summary could not be read" />
      <Tabs value={tab} onChange={(v) => v && setParams({ tab: v }, { replace: true })} keepMounted={false}>
        <Tabs.List>
          {kind.performance && <Tabs.Tab value="performance">Performance</Tabs.Tab>}
          {kind.quality && <Tabs.Tab value="quality">Quality</Tabs.Tab>}
          <Tabs.Tab value="metrics">All numbers ({rows.length})</Tabs.Tab>
          <Tabs.Tab value="document">Document</Tabs.Tab>
        </Tabs.List>
        {kind.performance && (
          <Tabs.Panel value="performance" pt="md">
            <PerformanceSection doc={d} requests={{ data: requests, loading: raw.isLoading, error: raw.error }} />
          </Tabs.Panel>
        )}
        {kind.quality && (
          <Tabs.Panel value="quality" pt="md">
            <QualitySection doc={d} benchmark={benchmark} raw={{ data: raw.data, loading: raw.isLoading, error: raw.error }} />
          </Tabs.Panel>
        )}
        <Tabs.Panel value="metrics" pt="md">
          <AllMetrics rows={rows} />
        </Tabs.Panel>
        <Tabs.Panel value="document" pt="md">
          <Code block data-testid="result-json">
            {JSON.stringify(d, null, 2).slice(0, 200_000)}
          </Code>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
