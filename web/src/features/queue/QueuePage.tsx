/**
 * The deploy-then-benchmark queue: counts per status, the scheduler, and the items newest first with priority,
 * status, their step progress bar, placement decision and links to their jobs and results; enqueue from a form.
 * Polls while anything is pending or processing.
 */
import { Anchor, Badge, Button, Group, Pagination, SegmentedControl, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime, short } from '../../shell/format';
import { queueApi } from './api';
import { EnqueueForm } from './EnqueueForm';
import { isFinalStatus, priorityColor, queueStatusColor, type QueueItem, type QueueStatus } from './model';
import { PrioritySelect, QueueActions } from './QueueActions';
import { SchedulerPanel } from './SchedulerPanel';
import { StepProgressBar } from './StepProgressBar';

const PAGE = 25;
const STATUSES = ['all', 'pending', 'processing', 'completed', 'failed', 'cancelled'] as const;

/** The placement decision in a badge, its reason in the tooltip. */
export function PlacementBadge({ p }: { p: QueueItem['placement'] }) {
  if (!p) return <Text size="xs" c="dimmed">—</Text>;
  const color = p.action === 'wait' || p.action === 'unschedulable' ? 'orange' : p.action === 'evict' ? 'red' : 'teal';
  return (
    <Tooltip label={p.reason} multiline w={360}>
      <Badge variant="light" color={color} data-testid="placement-action">
        {p.action}
        {p.node ? ` · ${p.node}` : ''}
      </Badge>
    </Tooltip>
  );
}

function ItemRow({ item }: { item: QueueItem }) {
  const model = (item.vllm_config?.served_model_name ?? item.vllm_config?.model_name ?? (item.skip_vllm_creation ? 'existing deployment' : '—')) as string;
  const results = item.result_pks ?? [];
  return (
    <Table.Tr data-testid="queue-row" data-id={item.queue_request_id} data-status={item.status}>
      <Table.Td>
        <Anchor component={Link} to={`/queue/${item.queue_request_id}`} ff="monospace" size="sm" data-testid="queue-link">
          {short(item.queue_request_id)}
        </Anchor>
        <Text size="xs" c="dimmed">
          {relativeTime(item.created_at)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" fw={500}>
          {model}
        </Text>
        <Text size="xs" c="dimmed">
          {item.cluster_id} · {item.benchmark_configs.length} job{item.benchmark_configs.length === 1 ? '' : 's'}
        </Text>
      </Table.Td>
      <Table.Td>{item.status === 'pending' ? <PrioritySelect item={item} /> : <Badge color={priorityColor(item.priority)} variant="outline">{item.priority}</Badge>}</Table.Td>
      <Table.Td>
        <Badge color={queueStatusColor(item.status)} variant="light" data-testid="queue-status">
          {item.status}
        </Badge>
      </Table.Td>
      <Table.Td w={240}>
        <StepProgressBar item={item} size="sm" />
        {item.error_message && (
          <Text size="xs" c={item.status === 'failed' ? 'red' : 'dimmed'} lineClamp={2} title={item.error_message}>
            {item.error_message}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <PlacementBadge p={item.placement} />
      </Table.Td>
      <Table.Td>
        <Stack gap={0}>
          {results.slice(0, 3).map((pk) => (
            <Anchor key={pk} component={Link} to={`/results/${encodeURIComponent(pk)}`} size="xs" data-testid="queue-result-link">
              result {pk.slice(0, 19)}
            </Anchor>
          ))}
          {results.length > 3 && <Text size="xs">+{results.length - 3} more</Text>}
          {!results.length && <Text size="xs" c="dimmed">—</Text>}
        </Stack>
      </Table.Td>
      <Table.Td>
        <QueueActions item={item} />
      </Table.Td>
    </Table.Tr>
  );
}

export function QueuePage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const status = (STATUSES as readonly string[]).includes(params.get('status') ?? '') ? (params.get('status') as (typeof STATUSES)[number]) : 'all';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [enqueuing, setEnqueuing] = useState(false);
  const list = useQuery({
    queryKey: ['queue', 'list', status, page],
    queryFn: () => queueApi.list({ ...(status !== 'all' ? { status: status as QueueStatus } : {}), limit: PAGE, offset: (page - 1) * PAGE }),
    // fast while anything moves, slow otherwise
    refetchInterval: (q) => (q.state.data?.items.some((i) => !isFinalStatus(i.status)) ? 1_500 : 10_000),
  });
  const counts = useQuery({ queryKey: ['queue', 'counts'], queryFn: queueApi.counts, refetchInterval: 3_000 });
  const setQuery = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v === null) next.delete(k);
    else next.set(k, v);
    if (k !== 'page') next.delete('page');
    setParams(next, { replace: true });
  };
  if (list.isLoading) return <PageLoader label="Loading the queue…" />;
  const c = counts.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Queue</Title>
        <Guarded role="operator">
          <Button onClick={() => setEnqueuing(true)} data-testid="enqueue-open">
            Enqueue
          </Button>
        </Guarded>
      </Group>
      {c && (
        <Group gap="xs" data-testid="queue-counts">
          <Badge variant="default">{c.total_requests} total</Badge>
          <Badge color="yellow" variant="light">{c.pending_requests} pending</Badge>
          <Badge color="blue" variant="light">{c.processing_requests} processing</Badge>
          <Badge color="teal" variant="light">{c.completed_requests} completed</Badge>
          <Badge color="red" variant="light">{c.failed_requests} failed</Badge>
          <Badge color="gray" variant="light">{c.cancelled_requests} cancelled</Badge>
        </Group>
      )}
      <SchedulerPanel />
      <SegmentedControl data={[...STATUSES]} value={status} onChange={(v) => setQuery('status', v === 'all' ? null : v)} w="fit-content" data-testid="queue-filter" />
      <ErrorAlert error={list.error ?? counts.error} onRetry={() => void list.refetch()} />
      {list.data && list.data.items.length === 0 && (
        <Text c="dimmed" data-testid="queue-empty">
          {status === 'all' ? 'The queue is empty: enqueue a model deployment with benchmark jobs to run after it.' : `No ${status} item.`}
        </Text>
      )}
      {list.data && list.data.items.length > 0 && (
        <Table striped highlightOnHover data-testid="queue-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Request</Table.Th>
              <Table.Th>Model</Table.Th>
              <Table.Th>Priority</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Progress</Table.Th>
              <Table.Th>Placement</Table.Th>
              <Table.Th>Results</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.items.map((i) => (
              <ItemRow key={i.queue_request_id} item={i} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      {list.data && list.data.total > PAGE && <Pagination total={Math.ceil(list.data.total / PAGE)} value={page} onChange={(p) => setQuery('page', String(p))} />}
      {enqueuing && <EnqueueForm onClose={() => setEnqueuing(false)} onQueued={(item) => navigate(`/queue/${item.queue_request_id}`)} />}
    </Stack>
  );
}
