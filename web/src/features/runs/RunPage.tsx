/**
 * One run: its status timeline (polled until it ends), figures, the results it posted, and tabs for the live logs,
 * the generated manifest (read-only YAML) and a terminal in its pod.
 */
import { Anchor, Badge, Button, Card, Group, Loader, SimpleGrid, Stack, Tabs, Text, Timeline, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { deployer, results, unwrapAs, unwrapPage, unwrapPageAs } from '../../api/client';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { LiveLogs } from './LiveLogs';
import { isFinal, statusColor, timeline, type DeploymentRecord, type JobStatusView } from './status';

// CodeMirror and xterm.js load with their tabs: the status and the logs come first
const CodeEditor = lazy(() => import('../projects/editor/CodeEditor').then((m) => ({ default: m.CodeEditor })));
const RunTerminal = lazy(() => import('./Terminal').then((m) => ({ default: m.RunTerminal })));

export function RunPage() {
  const { name = '' } = useParams();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const namespace = search.get('ns') ?? undefined;
  const runId = search.get('id') ?? undefined;
  const status = useQuery({
    queryKey: ['runs', name, 'status', namespace],
    queryFn: () => unwrapAs<JobStatusView>(deployer.GET('/jobs/{job_name}/status', { params: { path: { job_name: name }, query: { namespace } } })),
    refetchInterval: (q) => (isFinal(q.state.data?.status) ? false : 1_500),
  });
  const done = isFinal(status.data?.status);
  // the stored record: its manifest, executor and origin (by id when the link has it, else the newest of that name)
  const record = useQuery({
    queryKey: ['runs', name, 'record', runId, namespace],
    queryFn: async () =>
      runId
        ? unwrapAs<DeploymentRecord>(deployer.GET('/deployments/{deployment_id}', { params: { path: { deployment_id: runId } } }))
        : (await unwrapPageAs<DeploymentRecord>(deployer.GET('/deployments', { params: { query: { resource_name: name, namespace, include_deleted: true, limit: 1 } } }))).items[0] ?? null,
    refetchInterval: done ? false : 5_000,
  });
  const posted = useQuery({
    queryKey: ['results', 'run', runId],
    queryFn: () => unwrapPage(results.GET('/standardized_output', { params: { query: { run_id: runId!, limit: 50 } } })),
    enabled: !!runId && status.data?.status === 'completed',
    // results are posted just before the job ends: look again shortly if none arrived yet
    refetchInterval: (q) => (q.state.data && q.state.data.total > 0 ? false : 2_000),
  });
  const remove = useMutation({
    mutationFn: () => unwrapAs(deployer.DELETE('/jobs/{job_name}/delete', { params: { path: { job_name: name }, query: { namespace } } })),
    onSuccess: () => navigate('/runs'),
  });

  if (status.isLoading) return <PageLoader label="Asking for the run's status…" />;
  const s = status.data;
  const rec = record.data ?? undefined;
  const steps = timeline(rec, s);
  const active = steps.findIndex((x) => x.state === 'current' || x.state === 'failed');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{name}</Title>
        <Group gap="xs">
          {s && !done && <Loader size="xs" />}
          {s && (
            <Badge size="lg" color={statusColor(s.status)} data-testid="run-status">
              {s.status}
            </Badge>
          )}
          {s && s.status !== 'deleted' && (
            <Guarded role="operator">
              <Button size="xs" color="red" variant="light" loading={remove.isPending} onClick={() => remove.mutate()} data-testid="run-delete">
                Delete
              </Button>
            </Guarded>
          )}
        </Group>
      </Group>
      <ErrorAlert error={status.error ?? remove.error} onRetry={() => void status.refetch()} />
      {s && (
        <Group align="flex-start" grow>
          <Timeline active={active < 0 ? steps.length - 1 : active} bulletSize={18} lineWidth={2} data-testid="run-timeline" maw={320}>
            {steps.map((x) => (
              <Timeline.Item key={x.label} title={x.label} color={x.state === 'failed' ? 'red' : x.state === 'waiting' ? 'gray' : 'teal'} data-state={x.state} data-testid="timeline-step">
                <Text size="xs" c="dimmed">
                  {x.at ? `${new Date(x.at).toLocaleTimeString()} · ${relativeTime(x.at)}` : x.state === 'current' ? 'now…' : '—'}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
          <SimpleGrid cols={{ base: 2, sm: 3 }}>
            <Fact label="Pods active / succeeded / failed" testid="run-pods" value={`${s.active_pods} / ${s.succeeded_pods} / ${s.failed_pods}`} />
            <Fact label="Namespace" value={s.namespace} />
            <Fact label="Executor" value={rec?.executor ?? '—'} testid="run-executor" />
            <Fact label="Benchmark type" value={rec?.benchmark_type ?? (rec?.origin === 'deploy' ? 'applied YAML' : '—')} />
            <Fact label="Started" value={relativeTime(s.start_time)} />
            <Fact label="Finished" value={relativeTime(s.completion_time)} />
          </SimpleGrid>
        </Group>
      )}
      {s?.message && (
        <Text c={s.status === 'failed' ? 'red' : undefined} data-testid="run-message">
          {s.message}
        </Text>
      )}
      {rec?.warnings?.map((w) => (
        <Text key={w} size="sm" c="orange">
          {w}
        </Text>
      ))}
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
      <Tabs defaultValue="logs" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="logs">Logs</Tabs.Tab>
          <Tabs.Tab value="manifest" data-testid="tab-manifest">
            Manifest
          </Tabs.Tab>
          <Tabs.Tab value="terminal" data-testid="tab-terminal" disabled={done}>
            Terminal
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="logs" pt="sm">
          {s && <LiveLogs job={name} namespace={namespace} running={!done} />}
        </Tabs.Panel>
        <Tabs.Panel value="manifest" pt="sm">
          {rec?.yaml_content ? (
            <Suspense fallback={<Loader size="sm" />}>
              <CodeEditor filePath={`${name}.yaml`} value={rec.yaml_content} readOnly />
            </Suspense>
          ) : (
            <Text c="dimmed">{record.isLoading ? 'Loading…' : 'No stored manifest.'}</Text>
          )}
          <ErrorAlert error={record.error} />
        </Tabs.Panel>
        <Tabs.Panel value="terminal" pt="sm">
          <Suspense fallback={<Loader size="sm" />}>
            <RunTerminal job={name} namespace={namespace} lineMode={false} />
          </Suspense>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Fact({ label, value, testid }: { label: string; value: string; testid?: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text data-testid={testid}>{value}</Text>
    </Card>
  );
}
