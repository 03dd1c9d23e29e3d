/**
 * One queue item: its step progress, the placement decision with its reason, the deployment, each benchmark job with
 * its run and results, scheduling, the vLLM config, and what can be done with it. Polls until it is final.
 */
import { Anchor, Badge, Card, Code, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { statusColor } from '../runs/status';
import { queueApi } from './api';
import { isFinalStatus, priorityColor, queueStatusColor, type QueueJob } from './model';
import { PrioritySelect, QueueActions } from './QueueActions';
import { PlacementBadge } from './QueuePage';
import { StepProgressBar } from './StepProgressBar';

/** The run page of a job, as the runs pages address it. */
export function runLink(j: Pick<QueueJob, 'resource_name' | 'namespace' | 'deployer_deployment_id'>): string | null {
  if (!j.resource_name) return null;
  const q = new URLSearchParams({ ...(j.namespace ? { ns: j.namespace } : {}), ...(j.deployer_deployment_id ? { id: j.deployer_deployment_id } : {}) });
  return `/runs/${encodeURIComponent(j.resource_name)}?${q}`;
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <div>{children}</div>
    </Stack>
  );
}

export function QueueItemPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const q = useQuery({ queryKey: ['queue', 'item', id], queryFn: () => queueApi.get(id), refetchInterval: (x) => (isFinalStatus(x.state.data?.status) ? false : 1_500) });
  if (q.isLoading) return <PageLoader label="Loading the queue item…" />;
  const item = q.data;
  if (!item) return <ErrorAlert error={q.error ?? new Error('not found')} onRetry={() => void q.refetch()} />;
  const cfg = item.vllm_config ?? {};
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Anchor component={Link} to="/queue" size="sm">
            ← Queue
          </Anchor>
          <Title order={2} data-testid="queue-item-title">
            {(cfg.served_model_name ?? cfg.model_name ?? 'Queue request') as string}
          </Title>
          <Text size="sm" c="dimmed" ff="monospace">
            {item.queue_request_id}
          </Text>
        </Stack>
        <QueueActions item={item} onRemoved={() => navigate('/queue')} />
      </Group>
      <ErrorAlert error={q.error} />
      <Card withBorder>
        <Stack gap="sm">
          <Group gap="xs">
            <Badge color={queueStatusColor(item.status)} variant="light" size="lg" data-testid="queue-status">
              {item.status}
            </Badge>
            {item.status === 'pending' ? <PrioritySelect item={item} /> : <Badge color={priorityColor(item.priority)} variant="outline">{item.priority}</Badge>}
            {item.attempts > 1 && <Badge color="gray" variant="outline">attempt {item.attempts}</Badge>}
          </Group>
          <StepProgressBar item={item} size="lg" />
          {item.error_message && (
            <Text size="sm" c={item.status === 'failed' ? 'red' : 'dimmed'} data-testid="queue-error">
              {item.error_message}
            </Text>
          )}
        </Stack>
      </Card>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Field label="Placement">
          <PlacementBadge p={item.placement} />
          {item.placement?.reason && (
            <Text size="xs" data-testid="placement-reason">
              {item.placement.reason}
            </Text>
          )}
        </Field>
        <Field label="Deployment">
          <Text size="sm" ff="monospace">{item.deployment_id ?? '—'}</Text>
          <Text size="xs" c="dimmed">{item.keep_deployment ? 'kept after the jobs' : 'stopped after the jobs (if this request created it)'}</Text>
        </Field>
        <Field label="Cluster">
          <Text size="sm">{item.cluster_id}</Text>
          {item.allow_eviction && <Text size="xs" c="orange">may evict lower-priority deployments</Text>}
        </Field>
        <Field label="Timing">
          <Text size="sm">created {relativeTime(item.created_at)}</Text>
          <Text size="xs" c="dimmed">
            {item.scheduled_for ? `scheduled for ${new Date(item.scheduled_for).toLocaleString()} · ` : ''}
            {item.started_at ? `started ${relativeTime(item.started_at)}` : `waits up to ${item.scheduling_config?.max_wait_time ?? 0} s`}
            {item.completed_at ? ` · finished ${relativeTime(item.completed_at)}` : ''}
          </Text>
        </Field>
      </SimpleGrid>
      <Title order={4}>Benchmark jobs</Title>
      <Table withTableBorder data-testid="queue-jobs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>Job</Table.Th>
            <Table.Th miw={130}>Status</Table.Th>
            <Table.Th>Run</Table.Th>
            <Table.Th>Results</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {item.benchmark_configs.map((b, i) => {
            const j = item.jobs[i];
            const link = j ? runLink(j) : null;
            return (
              <Table.Tr key={i} data-testid="queue-job">
                <Table.Td>{i + 1}</Table.Td>
                <Table.Td>
                  <Text size="sm">{b.name ?? j?.name ?? `job ${i + 1}`}</Text>
                  <Text size="xs" c="dimmed">{b.benchmark_type ?? ''}</Text>
                </Table.Td>
                <Table.Td>
                  <Badge color={statusColor(j?.status ?? 'pending')} variant="light" style={{ overflow: 'visible' }} data-testid="job-status">
                    {j?.status ?? 'not started'}
                  </Badge>
                  {j?.error && <Text size="xs" c="red">{j.error}</Text>}
                </Table.Td>
                <Table.Td>
                  {link ? (
                    <Anchor component={Link} to={link} size="sm" data-testid="job-run-link">
                      {j!.resource_name}
                    </Anchor>
                  ) : (
                    '—'
                  )}
                </Table.Td>
                <Table.Td>
                  {(j?.result_pks ?? []).map((pk) => (
                    <Anchor key={pk} component={Link} to={`/results/${encodeURIComponent(pk)}`} size="sm" display="block" data-testid="queue-result-link">
                      {pk}
                    </Anchor>
                  ))}
                  {!j?.result_pks?.length && '—'}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {!item.benchmark_configs.length && <Text size="sm" c="dimmed">No benchmark job: this request only deploys.</Text>}
      <Title order={4}>vLLM config</Title>
      <Code block>{JSON.stringify(cfg, null, 2)}</Code>
    </Stack>
  );
}
