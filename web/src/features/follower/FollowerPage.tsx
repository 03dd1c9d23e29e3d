/**
 * The Git follower (Git as the source of truth for deployments): the followed vLLM projects (cluster, prune and
 * self-heal, last pass and its error) and per values file its state, its deployment (linked on /models), the error
 * and retry time, the content hash; follow a vLLM project of the manager, run a pass now, unfollow.
 */
import { Alert, Anchor, Badge, Button, Card, Checkbox, Group, Select, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime, short } from '../../shell/format';
import { followerApi, type Follow, type FollowFile, type PassResult } from './api';

const KEY = ['follower'];

function stateColor(s: FollowFile['status']): string {
  return s === 'deployed' ? 'teal' : s === 'deploying' ? 'blue' : s === 'waiting' ? 'yellow' : s === 'invalid' ? 'red' : 'orange';
}

function FileRow({ f }: { f: FollowFile }) {
  return (
    <Table.Tr data-testid="follow-file" data-path={f.path} data-status={f.status}>
      <Table.Td>
        <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
          {f.path}
        </Text>
        <Text size="xs" c="dimmed">
          updated {relativeTime(f.updated_at)}
          {f.heals ? ` · restored ${f.heals}×` : ''}
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge color={stateColor(f.status)} variant="light" data-testid="file-status" style={{ flexShrink: 0, overflow: 'visible' }} styles={{ label: { overflow: 'visible' } }}>
          {f.status}
        </Badge>
        {f.attempts > 0 && (
          <Text size="xs" c="dimmed">
            {f.attempts} failed {f.attempts === 1 ? 'attempt' : 'attempts'}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {f.deployment_id ? (
          <Stack gap={0}>
            <Anchor component={Link} to={`/models#deployment-${f.deployment_id}`} size="sm" data-testid="file-deployment" data-id={f.deployment_id}>
              {short(f.deployment_id)}
            </Anchor>
            <Text size="xs" c="dimmed" data-testid="file-deployment-status">
              {f.deployment_status ?? 'gone'}
              {f.endpoint ? ` · ${f.endpoint}` : ''}
            </Text>
          </Stack>
        ) : f.queue_item_id ? (
          <Anchor component={Link} to={`/queue/${f.queue_item_id}`} size="sm" data-testid="file-queue-item">
            queue item {short(f.queue_item_id)}
          </Anchor>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Tooltip label={`sha256 ${f.content_hash}`}>
          <code data-testid="file-hash">{short(f.content_hash, 10)}</code>
        </Tooltip>
      </Table.Td>
      <Table.Td maw={420}>
        {f.error && (
          <Text size="xs" c={f.status === 'deployed' || f.status === 'deploying' ? 'dimmed' : 'red'} lineClamp={4} title={f.error} data-testid="file-error">
            {f.error}
          </Text>
        )}
        {f.retry_at && f.status === 'error' && (
          <Text size="xs" c="dimmed" data-testid="file-retry">
            retried {relativeTime(f.retry_at)}
          </Text>
        )}
        {f.warnings.map((w) => (
          <Text key={w} size="xs" c="orange">
            {w}
          </Text>
        ))}
      </Table.Td>
    </Table.Tr>
  );
}

function FollowCard({ f, name }: { f: Follow; name: string | null }) {
  const qc = useQueryClient();
  const [prune, setPrune] = useState(true);
  const [last, setLast] = useState<PassResult | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: KEY });
  const pass = useMutation({ mutationFn: () => followerApi.passNow(f.project_id), onSuccess: (r) => setLast(r.result), onSettled: refresh });
  const unfollow = useMutation({ mutationFn: () => followerApi.unfollow(f.project_id, prune), onSettled: refresh });
  return (
    <Card withBorder padding="sm" data-testid="follow" data-project={f.project_id}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Group gap="xs">
            <Anchor component={Link} to={`/projects/${f.project_id}`} fw={600} data-testid="follow-project">
              {name ?? f.project_id}
            </Anchor>
            <Badge variant="light" color="gray" data-testid="follow-cluster">
              cluster {f.cluster_id}
            </Badge>
            <Badge variant="light" color={f.prune ? 'teal' : 'gray'} data-testid="follow-prune">
              prune {f.prune ? 'on' : 'off'}
            </Badge>
            <Badge variant="light" color={f.self_heal ? 'teal' : 'gray'} data-testid="follow-self-heal">
              self-heal {f.self_heal ? 'on' : 'off'}
            </Badge>
            <Badge variant="light" color="gray">
              priority {f.priority}
            </Badge>
          </Group>
          <Text size="xs" c="dimmed" data-testid="follow-tick">
            {f.last_tick_at ? `last pass ${relativeTime(f.last_tick_at)}` : 'no pass yet'} · followed {relativeTime(f.created_at)}
          </Text>
          {f.last_error && (
            <Text size="xs" c="red" data-testid="follow-error">
              {f.last_error}
            </Text>
          )}
          {last && (
            <Text size="xs" c="dimmed" data-testid="pass-result">
              pass: {last.deployed} deployed · {last.healed} restored · {last.stopped} stopped · {last.invalid} invalid · {last.deferred} deferred
              {last.error ? ` · ${last.error}` : ''}
            </Text>
          )}
        </Stack>
        <Group gap="xs">
          <Guarded role="operator">
            <Button size="xs" variant="light" loading={pass.isPending} onClick={() => pass.mutate()} data-testid="follow-pass">
              Pass now
            </Button>
          </Guarded>
          <Guarded role="operator">
            <Checkbox size="xs" label="stop its deployments" checked={prune} onChange={(e) => setPrune(e.currentTarget.checked)} data-testid="unfollow-prune" />
          </Guarded>
          <Guarded role="operator">
            <Button size="xs" color="red" variant="light" loading={unfollow.isPending} onClick={() => unfollow.mutate()} data-testid="follow-unfollow">
              Unfollow
            </Button>
          </Guarded>
        </Group>
      </Group>
      <ErrorAlert error={pass.error ?? unfollow.error} />
      {f.files.length === 0 ? (
        <Text size="sm" c="dimmed" mt="xs">
          No values file seen yet (custom-values*.yaml under the project's vllm_values_path, after a pass).
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table striped mt="xs" verticalSpacing="xs" data-testid="follow-files">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Values file</Table.Th>
                <Table.Th miw={120}>State</Table.Th>
                <Table.Th>Deployment</Table.Th>
                <Table.Th>Content</Table.Th>
                <Table.Th>Error / notes</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {f.files.map((x) => (
                <FileRow key={x.path} f={x} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

function FollowForm({ followed }: { followed: Set<string> }) {
  const qc = useQueryClient();
  const projects = useQuery({ queryKey: ['projects', 'vllm'], queryFn: followerApi.vllmProjects });
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: followerApi.clusters });
  const [projectId, setProjectId] = useState<string | null>(null);
  const [clusterId, setClusterId] = useState<string | null>('local');
  const [prune, setPrune] = useState(true);
  const [selfHeal, setSelfHeal] = useState(true);
  const follow = useMutation({
    mutationFn: () => followerApi.follow(projectId!, { cluster_id: clusterId ?? 'local', prune, self_heal: selfHeal }),
    onSuccess: () => setProjectId(null),
    onSettled: () => qc.invalidateQueries({ queryKey: KEY }),
  });
  const options = (projects.data ?? []).filter((p) => !followed.has(p.project_id)).map((p) => ({ value: p.project_id, label: `${p.name} (${p.vllm_values_path ?? 'vllm'})` }));
  return (
    <Card withBorder padding="sm" data-testid="follow-form">
      <Group align="flex-end">
        <Select
          label="vLLM project"
          placeholder={projects.isLoading ? 'Loading…' : options.length ? 'Pick a project' : 'No vLLM project to follow'}
          data={options}
          value={projectId}
          onChange={setProjectId}
          w={320}
          searchable
          data-testid="follow-project-select"
        />
        <Select label="Cluster" data={(clusters.data ?? [{ id: 'local', name: 'local', kind: 'local' }]).map((c) => ({ value: c.id, label: `${c.name} (${c.kind})` }))} value={clusterId} onChange={setClusterId} w={220} data-testid="follow-cluster-select" />
        <Checkbox label="prune" checked={prune} onChange={(e) => setPrune(e.currentTarget.checked)} mb={8} />
        <Checkbox label="self-heal" checked={selfHeal} onChange={(e) => setSelfHeal(e.currentTarget.checked)} mb={8} />
        <Guarded role="operator">
          <Button disabled={!projectId} loading={follow.isPending} onClick={() => follow.mutate()} data-testid="follow-submit">
            Follow
          </Button>
        </Guarded>
      </Group>
      <ErrorAlert error={follow.error ?? projects.error} />
    </Card>
  );
}

export function FollowerPage() {
  const follows = useQuery({
    queryKey: KEY,
    queryFn: followerApi.list,
    refetchInterval: (q) => (q.state.data?.some((f) => f.files.some((x) => x.status === 'deploying')) ? 2_000 : 10_000),
  });
  const projects = useQuery({ queryKey: ['projects', 'vllm'], queryFn: followerApi.vllmProjects });
  if (follows.isLoading) return <PageLoader />;
  const names = new Map((projects.data ?? []).map((p) => [p.project_id, p.name]));
  const list = follows.data ?? [];
  return (
    <Stack>
      <Title order={2}>Git follower</Title>
      <Text size="sm" c="dimmed">
        Every custom-values*.yaml of a followed vLLM project is a desired deployment: new or changed files are deployed through the queue, removed ones pruned,
        stopped or drifted ones restored. Leave a project unfollowed on a cluster where Argo CD applies the same files.
      </Text>
      <FollowForm followed={new Set(list.map((f) => f.project_id))} />
      <ErrorAlert error={follows.error} onRetry={() => void follows.refetch()} />
      {list.length === 0 && !follows.error && (
        <Alert color="gray" data-testid="follow-empty">
          No project is followed.
        </Alert>
      )}
      {list.map((f) => (
        <FollowCard key={f.project_id} f={f} name={names.get(f.project_id) ?? null} />
      ))}
    </Stack>
  );
}
