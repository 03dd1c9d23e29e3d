/**
 * One evaluation: its status history as a timeline (waiting for the engine → submitted → running → done, or where it
 * failed), the readiness probes, the template, the deployer run it started and the results it posted; cancel while
 * it is in flight. Polls until it is final.
 */
import { Anchor, Badge, Button, Card, Code, Group, SimpleGrid, Stack, Text, Timeline, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { runLink } from '../queue/QueueItemPage';
import { evalApi } from './api';
import { evalStatusColor, FINAL, timeline } from './model';

export function EvaluationPage() {
  const { id = '' } = useParams();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['evaluation', id], queryFn: () => evalApi.get(id), refetchInterval: (x) => (x.state.data && FINAL.includes(x.state.data.status) ? false : 1_500) });
  const cancel = useMutation({ mutationFn: () => evalApi.cancel(id), onSettled: () => qc.invalidateQueries({ queryKey: ['evaluation', id] }) });
  if (q.isLoading) return <PageLoader label="Loading the evaluation…" />;
  const e = q.data;
  if (!e) return <ErrorAlert error={q.error ?? new Error('not found')} onRetry={() => void q.refetch()} />;
  const t = timeline(e);
  const failed = e.status === 'failed' || e.status === 'cancelled';
  const run = e.deployment ? runLink({ resource_name: e.deployment.resource_name, namespace: e.deployment.namespace, deployer_deployment_id: e.deployment.deployment_id }) : null;
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Anchor component={Link} to="/evaluations" size="sm">
            ← Evaluations
          </Anchor>
          <Group gap="xs">
            <Title order={2}>{e.model_name}</Title>
            <Badge color={evalStatusColor(e.status)} variant="light" size="lg" data-testid="eval-status">
              {e.status}
            </Badge>
          </Group>
          <Text size="sm" c="dimmed" ff="monospace">
            {e.id}
          </Text>
        </Stack>
        {!FINAL.includes(e.status) && (
          <Guarded role="operator">
            <Button variant="light" color="orange" loading={cancel.isPending} onClick={() => cancel.mutate()} data-testid="eval-cancel">
              Cancel
            </Button>
          </Guarded>
        )}
      </Group>
      <ErrorAlert error={q.error ?? cancel.error} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Timeline active={t.active} bulletSize={20} lineWidth={2} color={failed ? 'red' : 'blue'} data-testid="eval-timeline">
            {t.stages.map((s) => (
              <Timeline.Item key={s.status} title={s.label} bullet={s.at ? (s.status === 'failed' || s.status === 'cancelled' ? '✕' : '✓') : undefined} data-testid="eval-stage" data-status={s.status} data-reached={s.at !== null || (failed && s.status === e.status)} data-at={s.at ?? ''}>
                <Text size="xs" c="dimmed">
                  {s.at ? `${new Date(s.at).toLocaleString()} · ${relativeTime(s.at)}` : 'not yet'}
                </Text>
                {s.detail && <Text size="xs">{s.detail}</Text>}
              </Timeline.Item>
            ))}
          </Timeline>
        </Card>
        <Stack gap="sm">
          <Card withBorder padding="sm">
            <Text size="xs" c="dimmed">
              Engine
            </Text>
            <Text size="sm" style={{ wordBreak: 'break-all' }}>
              {e.inference_engine_url}
            </Text>
            <Text size="xs" c="dimmed">
              {e.readiness.attempts} readiness probe{e.readiness.attempts === 1 ? '' : 's'}
              {e.readiness.last_probe ? ` · last: ${e.readiness.last_probe}` : ''}
              {e.status === 'waiting' ? ` · gives up ${relativeTime(e.readiness.deadline)}` : ''}
            </Text>
          </Card>
          <Card withBorder padding="sm">
            <Text size="xs" c="dimmed">
              Run
            </Text>
            {run ? (
              <Anchor component={Link} to={run} data-testid="eval-run-link">
                {e.deployment!.resource_name}
              </Anchor>
            ) : (
              <Text size="sm">not submitted yet</Text>
            )}
            <Text size="xs" c="dimmed" mt={6}>
              Results
            </Text>
            {e.result_pks.length ? (
              e.result_pks.map((pk) => (
                <Anchor key={pk} component={Link} to={`/results/${encodeURIComponent(pk)}`} size="sm" display="block" data-testid="eval-result-link">
                  {pk}
                </Anchor>
              ))
            ) : (
              <Text size="sm">—</Text>
            )}
          </Card>
          {e.schedule_id && (
            <Text size="sm">
              Started by a{' '}
              <Anchor component={Link} to={`/evaluations?schedule=${e.schedule_id}`}>
                schedule
              </Anchor>
              {e.scheduled_for ? ` for ${new Date(e.scheduled_for).toLocaleString()}` : ''}
            </Text>
          )}
          {e.source && <Text size="sm">Asked by: <Code>{JSON.stringify(e.source)}</Code></Text>}
        </Stack>
      </SimpleGrid>
      {e.error && (
        <Text c="red" data-testid="eval-error">
          {e.error}
        </Text>
      )}
      {e.warnings.map((w) => (
        <Text key={w} size="sm" c="orange">
          {w}
        </Text>
      ))}
      <Title order={4}>Template</Title>
      <Code block>{JSON.stringify({ template: e.template, overrides: e.overrides }, null, 2)}</Code>
    </Stack>
  );
}
