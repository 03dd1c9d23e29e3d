/**
 * One run: its status (polled until it completes or fails), its logs (refreshed while it runs), and once it is done
 * the results it posted (links to the result pages). The full runs pages (terminal, queue) come with the UI's part 2.
 */
import { Anchor, Badge, Card, Code, Group, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { deployer, results, unwrapAs, unwrapPage } from '../../api/client';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { isFinal, statusColor, type JobStatusView } from './status';

export function RunPage() {
  const { name = '' } = useParams();
  const [search] = useSearchParams();
  const namespace = search.get('ns') ?? undefined;
  const runId = search.get('id') ?? undefined;
  const status = useQuery({
    queryKey: ['runs', name, 'status', namespace],
    queryFn: () => unwrapAs<JobStatusView>(deployer.GET('/jobs/{job_name}/status', { params: { path: { job_name: name }, query: { namespace } } })),
    refetchInterval: (q) => (isFinal(q.state.data?.status) ? false : 1_500),
  });
  const done = isFinal(status.data?.status);
  const logs = useQuery({
    queryKey: ['runs', name, 'logs', namespace],
    // the GET form: a viewer may read logs (the POST form needs the operator role)
    queryFn: () =>
      unwrapAs<{ logs: string[] }>(deployer.GET('/jobs/{job_name}/logs', { params: { path: { job_name: name }, query: { namespace, tail_lines: 500 } } })),
    refetchInterval: done ? false : 2_000,
    enabled: !!status.data,
  });
  // once the run is over, fetch the logs a last time (the tail may have grown since the last poll)
  const refetchLogs = logs.refetch;
  useEffect(() => {
    if (done) void refetchLogs();
  }, [done, refetchLogs]);
  const posted = useQuery({
    queryKey: ['results', 'run', runId],
    queryFn: () => unwrapPage(results.GET('/standardized_output', { params: { query: { run_id: runId!, limit: 50 } } })),
    enabled: !!runId && status.data?.status === 'completed',
    // results are posted just before the job ends: look again shortly if none arrived yet
    refetchInterval: (q) => (q.state.data && q.state.data.total > 0 ? false : 2_000),
  });
  const logBox = useRef<HTMLPreElement>(null);
  useEffect(() => {
    logBox.current?.scrollTo({ top: logBox.current.scrollHeight });
  }, [logs.data]);

  if (status.isLoading) return <PageLoader label="Asking for the run's status…" />;
  const s = status.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{name}</Title>
        {s && (
          <Group gap="xs">
            {!done && <Loader size="xs" />}
            <Badge size="lg" color={statusColor(s.status)} data-testid="run-status">
              {s.status}
            </Badge>
          </Group>
        )}
      </Group>
      <ErrorAlert error={status.error} onRetry={() => void status.refetch()} />
      {s && (
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <Card withBorder padding="sm">
            <Text size="xs" c="dimmed">Started</Text>
            <Text>{relativeTime(s.start_time)}</Text>
          </Card>
          <Card withBorder padding="sm">
            <Text size="xs" c="dimmed">Finished</Text>
            <Text>{relativeTime(s.completion_time)}</Text>
          </Card>
          <Card withBorder padding="sm">
            <Text size="xs" c="dimmed">Pods active / succeeded / failed</Text>
            <Text data-testid="run-pods">
              {s.active_pods} / {s.succeeded_pods} / {s.failed_pods}
            </Text>
          </Card>
          <Card withBorder padding="sm">
            <Text size="xs" c="dimmed">Namespace</Text>
            <Text>{s.namespace}</Text>
          </Card>
        </SimpleGrid>
      )}
      {s?.message && (
        <Text c={s.status === 'failed' ? 'red' : undefined} data-testid="run-message">
          {s.message}
        </Text>
      )}
      {status.data?.status === 'completed' && runId && (
        <Card withBorder data-testid="run-results">
          <Text fw={600} mb={4}>
            Results of this run
          </Text>
          {posted.data?.items.length ? (
            <Stack gap={2}>
              {posted.data.items.map((r) => (
                <Anchor key={r.pk} component={Link} to={`/results/${encodeURIComponent(r.pk)}`} data-testid="run-result-link">
                  {r.benchmark_name} · {r.model_id}
                </Anchor>
              ))}
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">
              {posted.error ? 'Could not list the results.' : 'Waiting for the results it posted…'}
            </Text>
          )}
          <ErrorAlert error={posted.error} />
        </Card>
      )}
      <Title order={4}>Logs</Title>
      <ErrorAlert error={logs.error} />
      <Code block ref={logBox} style={{ maxHeight: '55vh', overflow: 'auto' }} data-testid="run-logs">
        {logs.data ? logs.data.logs.join('\n') || '(no output yet)' : 'Waiting for logs…'}
      </Code>
    </Stack>
  );
}
