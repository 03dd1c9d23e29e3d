/**
 * The results list: filters (benchmark, model, source, time range, kind), paging and sort, kept in the URL; each row
 * with its kind and headline numbers; select two or more to compare.
 */
import { Anchor, Badge, Button, Checkbox, Group, Pagination, SegmentedControl, Select, Stack, Table, Text, TextInput, Title, Tooltip, UnstyledButton } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { MAX_COMPARE, pageMetrics, resultsApi, type Summary } from './api';
import { fmt, fmtTime } from './model/format';
import { compareLink, headlines, listQuery, PAGE_SIZE, RANGES, readListState, sinceFor, writeListState, type ListState, type SortKey } from './model/listing';

const SOURCES = ['benchops-runner', 'vllm-bench', 'guidellm', 'lm-eval', 'evalchemy'];

/** ISO → the value of a datetime-local input (local time), '' when empty. */
function toLocalInput(iso: string): string {
  const t = Date.parse(iso);
  if (!iso || !Number.isFinite(t)) return '';
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
const fromLocalInput = (v: string): string => (v ? new Date(v).toISOString() : '');

function SortHeader({ label, k, state, set }: { label: string; k: SortKey; state: ListState; set: (s: Partial<ListState>) => void }) {
  const active = state.sort === k;
  return (
    <Table.Th>
      <UnstyledButton
        onClick={() => set({ sort: k, dir: active && state.dir === 'desc' ? 'asc' : 'desc', page: state.page })}
        data-testid={`sort-${k}`}
        fw={active ? 700 : 500}
      >
        {label} {active ? (state.dir === 'desc' ? '↓' : '↑') : ''}
      </UnstyledButton>
    </Table.Th>
  );
}

export function ResultsListPage() {
  const [params, setParams] = useSearchParams();
  const state = readListState(params);
  const navigate = useNavigate();
  const set = (patch: Partial<ListState>) => setParams(writeListState({ ...state, page: 1, ...patch }));
  const [selected, setSelected] = useState<Map<string, Summary>>(new Map());

  const list = useQuery({ queryKey: ['results', 'list', listQuery(state)], queryFn: () => resultsApi.list(listQuery(state)), placeholderData: keepPreviousData });
  const rows = useMemo(() => list.data?.items ?? [], [list.data]);
  const metrics = useQuery({ queryKey: ['results', 'page-metrics', rows.map((r) => r.pk)], queryFn: () => pageMetrics(rows), enabled: rows.length > 0 });
  const heads = useMemo(() => headlines(metrics.data ?? [], rows.map((r) => r.pk)), [metrics.data, rows]);
  // names to suggest in the filters: the latest 200 results are enough to find what one is looking for
  const recent = useQuery({ queryKey: ['results', 'recent-names'], queryFn: () => resultsApi.list({ limit: 200 }), staleTime: 60_000 });
  const names = (k: 'benchmark_name' | 'model_id') => [...new Set((recent.data?.items ?? []).map((r) => r[k]))].sort();

  const shown = rows;
  const total = list.data?.total ?? 0;
  const toggle = (r: Summary) =>
    setSelected((m) => {
      const n = new Map(m);
      if (n.has(r.pk)) n.delete(r.pk);
      else if (n.size < MAX_COMPARE) n.set(r.pk, r);
      return n;
    });
  const pickedRows = [...selected.values()];

  if (list.isLoading) return <PageLoader label="Loading results…" />;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Results</Title>
        <Group gap="xs">
          {selected.size > 0 && (
            <Button variant="subtle" size="xs" onClick={() => setSelected(new Map())}>
              Clear selection
            </Button>
          )}
          <Tooltip label="Select two or more results" disabled={selected.size >= 2}>
            <Button disabled={selected.size < 2} onClick={() => navigate(compareLink(pickedRows))} data-testid="compare-selected">
              Compare {selected.size > 0 ? `(${selected.size})` : ''}
            </Button>
          </Tooltip>
        </Group>
      </Group>

      <Group align="flex-end" gap="sm" wrap="wrap">
        <Select
          label="Benchmark"
          searchable
          clearable
          data={names('benchmark_name')}
          value={state.benchmark || null}
          onChange={(v) => set({ benchmark: v ?? '' })}
          w={220}
          data-testid="filter-benchmark"
        />
        <Select label="Model" searchable clearable data={names('model_id')} value={state.model || null} onChange={(v) => set({ model: v ?? '' })} w={220} data-testid="filter-model" />
        <Select
          label="Source"
          clearable
          data={[...new Set([...SOURCES, ...(recent.data?.items ?? []).map((r) => r.source)])]}
          value={state.source || null}
          onChange={(v) => set({ source: v ?? '' })}
          w={170}
          data-testid="filter-source"
        />
        <Select
          label="Time"
          data={[{ value: '', label: 'Any time' }, ...RANGES.map((r) => ({ value: String(r.hours), label: r.label }))]}
          // a preset sets since (shown below); the picker itself then reads "Range" again
          value={state.since || state.until ? null : ''}
          placeholder="Range"
          onChange={(v) => set({ since: v ? sinceFor(Number(v)) : '', until: '' })}
          w={140}
          allowDeselect={false}
          data-testid="filter-range"
        />
        <TextInput
          label="Since"
          type="datetime-local"
          value={toLocalInput(state.since)}
          onChange={(e) => set({ since: fromLocalInput(e.currentTarget.value) })}
          error={fieldError(list.error, 'since')}
          data-testid="filter-since"
        />
        <TextInput
          label="Until"
          type="datetime-local"
          value={toLocalInput(state.until)}
          onChange={(e) => set({ until: fromLocalInput(e.currentTarget.value) })}
          error={fieldError(list.error, 'until')}
          data-testid="filter-until"
        />
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Kind
          </Text>
          <SegmentedControl
            data={[
              { value: '', label: 'All' },
              { value: 'performance', label: 'Performance' },
              { value: 'quality', label: 'Quality' },
            ]}
            value={state.kind}
            onChange={(v) => set({ kind: v as ListState['kind'] })}
            data-testid="filter-kind"
          />
        </Stack>
      </Group>
      <ErrorAlert error={list.error} fields={['since', 'until']} onRetry={() => void list.refetch()} />
      <ErrorAlert error={metrics.error} title="The kind and headline numbers could not be read" />

      <Table striped highlightOnHover data-testid="results-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={36} />
            <SortHeader label="Time" k="timestamp" state={state} set={set} />
            <SortHeader label="Benchmark" k="benchmark_name" state={state} set={set} />
            <SortHeader label="Model" k="model_id" state={state} set={set} />
            <SortHeader label="Source" k="source" state={state} set={set} />
            <Table.Th>Kind</Table.Th>
            <Table.Th ta="right">p99 TTFT</Table.Th>
            <Table.Th ta="right">Output</Table.Th>
            <Table.Th>Score</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((r) => {
            const h = heads[r.pk];
            return (
              <Table.Tr key={r.pk} data-pk={r.pk} data-testid="result-row">
                <Table.Td>
                  <Checkbox checked={selected.has(r.pk)} onChange={() => toggle(r)} aria-label={`select ${r.benchmark_name} ${r.timestamp}`} data-testid="select-result" />
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Anchor component={Link} to={`/results/${encodeURIComponent(r.pk)}`} data-testid="result-link">
                    {fmtTime(r.timestamp)}
                  </Anchor>
                </Table.Td>
                <Table.Td data-testid="cell-benchmark">{r.benchmark_name}</Table.Td>
                <Table.Td data-testid="cell-model">{r.model_id}</Table.Td>
                <Table.Td>{r.source}</Table.Td>
                <Table.Td data-testid="cell-kind" style={{ whiteSpace: 'nowrap', minWidth: 124 }}>
                  {h?.kinds.map((k) => (
                    <Badge key={k} size="sm" variant="light" color={k === 'performance' ? 'blue' : 'grape'} mr={4} tt="none" styles={{ root: { flexShrink: 0, maxWidth: 'none', overflow: 'visible' }, label: { overflow: 'visible', textOverflow: 'clip' } }}>
                      {k}
                    </Badge>
                  ))}
                </Table.Td>
                <Table.Td ta="right" data-testid="cell-ttft" style={{ whiteSpace: 'nowrap' }}>
                  {h?.ttftP99 !== undefined ? `${fmt(h.ttftP99)} ms` : ''}
                </Table.Td>
                <Table.Td ta="right" data-testid="cell-throughput" style={{ whiteSpace: 'nowrap' }}>
                  {h?.outputThroughput !== undefined ? `${fmt(h.outputThroughput)} tok/s` : ''}
                </Table.Td>
                <Table.Td data-testid="cell-score">
                  {h?.score ? `${h.score.label} ${fmt(h.score.value)}${h.scores > 1 ? ` (+${h.scores - 1})` : ''}` : ''}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {!shown.length && (
        <Text c="dimmed" data-testid="results-empty">
          {total === 0 ? 'No results match these filters.' : 'No results on this page.'}
        </Text>
      )}
      <Group justify="space-between">
        <Text size="sm" c="dimmed" data-testid="results-total">
          {total} result{total === 1 ? '' : 's'}
        </Text>
        {total > PAGE_SIZE && <Pagination total={Math.ceil(total / PAGE_SIZE)} value={state.page} onChange={(page) => set({ page })} data-testid="results-pages" />}
      </Group>
    </Stack>
  );
}
