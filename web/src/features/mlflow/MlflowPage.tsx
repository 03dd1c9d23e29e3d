/**
 * The MLflow integration: whether MLflow and the Git target answer (and where they are, credentials redacted), the
 * selection and engines, the last poll, "poll now"; and the processed model versions: per (model, version, engine)
 * what was written to Git (files, branch, the commit), the evaluation it triggered, errors with retry.
 */
import { Alert, Anchor, Badge, Button, Card, Group, Pagination, SegmentedControl, SimpleGrid, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime, short } from '../../shell/format';
import { mlflowApi, type MlflowEvent, type Reachability } from './api';

const PAGE = 25;
const STATUSES = ['all', 'pending', 'processing', 'completed', 'failed', 'abandoned'] as const;

function Reach({ label, r, where }: { label: string; r: Reachability; where: string | null }) {
  const state = !r.configured ? 'not configured' : r.ok === null ? 'not checked yet' : r.ok ? 'connected' : 'unreachable';
  const color = !r.configured ? 'gray' : r.ok === null ? 'yellow' : r.ok ? 'teal' : 'red';
  return (
    <Card withBorder padding="sm" data-testid={`conn-${label.toLowerCase()}`} data-state={state}>
      <Group justify="space-between">
        <Text fw={600}>{label}</Text>
        <Badge color={color} variant="light" data-testid="conn-state">
          {state}
        </Badge>
      </Group>
      <Text size="sm" style={{ wordBreak: 'break-all' }}>
        {where ?? '—'}
      </Text>
      {r.error && (
        <Text size="xs" c="red">
          {r.error}
        </Text>
      )}
      <Text size="xs" c="dimmed">
        checked {relativeTime(r.checked_at)}
      </Text>
    </Card>
  );
}

function statusColor(s: string): string {
  return s === 'completed' ? 'teal' : s === 'failed' ? 'orange' : s === 'abandoned' ? 'red' : s === 'processing' ? 'blue' : 'yellow';
}

function EventRow({ e }: { e: MlflowEvent }) {
  const qc = useQueryClient();
  const retry = useMutation({ mutationFn: () => mlflowApi.retry(e.id), onSettled: () => qc.invalidateQueries({ queryKey: ['mlflow', 'events'] }) });
  const git = e.outcome.git;
  const ev = e.outcome.evaluation;
  return (
    <Table.Tr data-testid="mlflow-event" data-id={e.id} data-status={e.status}>
      <Table.Td>
        <Text size="sm" fw={600}>
          {e.model_name}
        </Text>
        <Text size="xs" c="dimmed">
          version {e.version} · {e.engine} · {e.trigger} · {relativeTime(e.created_at)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge color={statusColor(e.status)} variant="light">
          {e.status}
        </Badge>
        <Text size="xs" c="dimmed">
          {e.event_type.replace(/_/g, ' ')}
          {e.attempts > 1 ? ` · ${e.attempts} attempts` : ''}
        </Text>
      </Table.Td>
      <Table.Td>
        {git ? (
          <Stack gap={0}>
            <Text size="xs" data-testid="git-written">
              {git.written.length ? `${git.created.length ? 'created' : 'updated'} ${git.written.join(', ')}` : `unchanged: ${git.unchanged.join(', ') || git.values_path}`}
            </Text>
            <Text size="xs" c="dimmed">
              {git.kind} {git.repo} · {git.branch}
              {git.commit ? ' · ' : ''}
              {git.commit && (
                <Tooltip label={git.commit}>
                  <code data-testid="git-commit">{short(git.commit, 10)}</code>
                </Tooltip>
              )}
            </Text>
            {git.argocd_paths.length > 0 && <Text size="xs" c="dimmed">Argo CD: {git.argocd_paths.join(', ')}</Text>}
          </Stack>
        ) : (
          <Text size="xs" c="dimmed">
            nothing written yet
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {ev?.id ? (
          <Anchor component={Link} to={`/evaluations/${ev.id}`} size="sm" data-testid="mlflow-evaluation-link">
            evaluation {short(ev.id)}
          </Anchor>
        ) : ev?.skipped ? (
          <Text size="xs" c="dimmed">
            skipped: {ev.reason}
          </Text>
        ) : (
          '—'
        )}
      </Table.Td>
      <Table.Td>
        {e.error && (
          <Text size="xs" c="red" lineClamp={3} title={e.error}>
            {e.error}
          </Text>
        )}
        {e.next_attempt_at && <Text size="xs" c="dimmed">retries {relativeTime(e.next_attempt_at)}</Text>}
        {(e.status === 'failed' || e.status === 'abandoned') && (
          <Guarded role="operator">
            <Button size="compact-xs" variant="light" loading={retry.isPending} onClick={() => retry.mutate()}>
              Retry now
            </Button>
          </Guarded>
        )}
        {e.warnings.map((w) => (
          <Text key={w} size="xs" c="orange">
            {w}
          </Text>
        ))}
        <ErrorAlert error={retry.error} />
      </Table.Td>
    </Table.Tr>
  );
}

export function MlflowPage() {
  const qc = useQueryClient();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('all');
  const [page, setPage] = useState(1);
  const conn = useQuery({ queryKey: ['mlflow', 'connections'], queryFn: mlflowApi.connections, refetchInterval: 15_000 });
  const events = useQuery({
    queryKey: ['mlflow', 'events', status, page],
    queryFn: () => mlflowApi.events({ limit: PAGE, offset: (page - 1) * PAGE, ...(status !== 'all' ? { status } : {}) }),
    refetchInterval: (q) => (q.state.data?.items.some((e) => e.status === 'pending' || e.status === 'processing') ? 2_000 : 15_000),
  });
  const poll = useMutation({
    mutationFn: mlflowApi.poll,
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: ['mlflow'] });
    },
  });
  if (conn.isLoading) return <PageLoader />;
  const c = conn.data;
  const last = poll.data ?? c?.last_poll ?? null;
  return (
    <Stack>
      <Group justify="space-between">
        <Group gap="xs">
          <Title order={2}>MLflow</Title>
          {c && (
            <Badge color={c.status === 'healthy' ? 'teal' : 'orange'} variant="light" data-testid="mlflow-status">
              {c.status}
            </Badge>
          )}
        </Group>
        <Guarded role="operator">
          <Button onClick={() => poll.mutate()} loading={poll.isPending || c?.polling} data-testid="mlflow-poll">
            Poll now
          </Button>
        </Guarded>
      </Group>
      <ErrorAlert error={conn.error ?? poll.error} onRetry={() => void conn.refetch()} />
      {c && (
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <Reach label="MLflow" r={c.mlflow} where={c.mlflow_uri} />
          <Reach label="Git" r={c.git} where={c.github_repo ? `${c.github_repo} · ${c.git_branch}` : null} />
          <Card withBorder padding="sm">
            <Text fw={600}>Selection</Text>
            <Text size="sm">
              {c.selection} · engines: {c.engines}
            </Text>
            {last && (
              <Stack gap={0} mt={4} data-testid="last-poll">
                <Text size="xs" component="div">
                  last poll {relativeTime(last.timestamp)}: <Badge size="xs" color={last.status === 'success' ? 'teal' : 'orange'}>{last.status}</Badge>
                </Text>
                {!poll.data && (
                  <Text size="xs" c="dimmed">
                    {last.message}
                  </Text>
                )}
                {poll.data && (
                  <Text size="xs" c="dimmed" data-testid="poll-counts">
                    {poll.data.registered_models} registered models · {poll.data.selected_versions} selected versions · {poll.data.new_events} new · {poll.data.processed_models} processed · {poll.data.new_models} written to Git · {poll.data.duration_ms} ms
                  </Text>
                )}
                {(last.errors ?? []).map((x) => (
                  <Text key={x} size="xs" c="red">
                    {x}
                  </Text>
                ))}
              </Stack>
            )}
          </Card>
        </SimpleGrid>
      )}
      {c && !c.mlflow.configured && (
        <Alert color="gray" title="MLflow is not configured">
          Set BENCHOPS_MLFLOW_TRACKING_URI (or the settings' tracking_uri) and a Git target: new model versions are then written to Git and evaluated.
        </Alert>
      )}
      <Group justify="space-between">
        <Title order={4}>Processed model versions</Title>
        <SegmentedControl
          size="xs"
          data={[...STATUSES]}
          value={status}
          onChange={(v) => {
            setStatus(v as (typeof STATUSES)[number]);
            setPage(1);
          }}
        />
      </Group>
      <ErrorAlert error={events.error} onRetry={() => void events.refetch()} />
      {events.data?.items.length === 0 && <Text c="dimmed">No model version processed yet.</Text>}
      {!!events.data?.items.length && (
        <Table striped data-testid="mlflow-events">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Model version</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Written to Git</Table.Th>
              <Table.Th>Evaluation</Table.Th>
              <Table.Th>Notes</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.data.items.map((e) => (
              <EventRow key={e.id} e={e} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      {events.data && events.data.total > PAGE && <Pagination total={Math.ceil(events.data.total / PAGE)} value={page} onChange={setPage} />}
    </Stack>
  );
}
