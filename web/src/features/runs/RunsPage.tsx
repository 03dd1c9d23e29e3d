/**
 * Runs started through the deployer (jobs), newest first: name, benchmark type, project, status, executor,
 * namespace, started/finished; filters the service applies (status, benchmark type, project, namespace, name) kept
 * in the URL; delete. Pages of 50 with the service's total.
 */
import { ActionIcon, Anchor, Badge, Button, Group, Pagination, Select, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { deployer, manager, unwrapAs, unwrapPageAs } from '../../api/client';
import type { ProjectView } from '../../api/views';
import { useDenied } from '../../auth/session';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { statusColor, type DeploymentRecord } from './status';

const PAGE = 50;
const STATUSES = ['pending', 'running', 'completed', 'failed', 'deleted'] as const;

/** Link to a run's page (its namespace and record id ride along). */
export const runLink = (d: Pick<DeploymentRecord, 'resource_name' | 'namespace' | 'deployment_id'>) =>
  `/runs/${encodeURIComponent(d.resource_name)}?ns=${encodeURIComponent(d.namespace)}&id=${encodeURIComponent(d.deployment_id)}`;

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const qc = useQueryClient();
  const denied = useDenied('operator');
  const f = {
    status: params.get('status') ?? undefined,
    benchmark_type: params.get('benchmark_type') ?? undefined,
    project_id: params.get('project') ?? undefined,
    namespace: params.get('namespace') ?? undefined,
    resource_name: params.get('name') ?? undefined,
  };
  const page = Math.max(1, Number(params.get('page') ?? 1) || 1);
  const set = (k: string, v: string | null | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    next.delete('page');
    setParams(next, { replace: true });
  };
  const q = useQuery({
    queryKey: ['runs', 'list', f, page],
    queryFn: () =>
      unwrapPageAs<DeploymentRecord>(
        deployer.GET('/deployments', {
          params: { query: { resource_type: 'job', ...(f as Record<string, string>), status: f.status as (typeof STATUSES)[number] | undefined, include_deleted: f.status === 'deleted', limit: PAGE, offset: (page - 1) * PAGE } },
        }),
      ),
    refetchInterval: 5_000,
    placeholderData: keepPreviousData,
  });
  const projects = useQuery({ queryKey: ['projects', 'names'], queryFn: () => unwrapAs<ProjectView[]>(manager.GET('/projects', { params: { query: { limit: 200 } } })), staleTime: 60_000 });
  const projectName = (id: string | null | undefined) => (id ? (projects.data?.find((p) => p.project_id === id)?.name ?? id.slice(0, 8)) : '—');
  const remove = useMutation({
    mutationFn: (d: DeploymentRecord) => unwrapAs(deployer.DELETE('/jobs/{job_name}/delete', { params: { path: { job_name: d.resource_name }, query: { namespace: d.namespace } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['runs', 'list'] }),
  });

  if (q.isLoading) return <PageLoader />;
  const jobs = q.data?.items ?? [];
  const total = q.data?.total ?? 0;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Runs</Title>
        <Button component={Link} to="/deploy" variant="light" size="xs">
          Apply YAML…
        </Button>
      </Group>
      <Group gap="xs" align="flex-end">
        <Select label="Status" data={[...STATUSES]} value={f.status ?? null} onChange={(v) => set('status', v)} clearable w={140} data-testid="filter-status" />
        <TextInput label="Benchmark type" defaultValue={f.benchmark_type} onBlur={(e) => set('benchmark_type', e.currentTarget.value.trim())} w={170} />
        <Select
          label="Project"
          data={(projects.data ?? []).map((p) => ({ value: p.project_id, label: p.name }))}
          value={f.project_id ?? null}
          onChange={(v) => set('project', v)}
          clearable
          w={170}
        />
        <TextInput label="Namespace" defaultValue={f.namespace} onBlur={(e) => set('namespace', e.currentTarget.value.trim())} w={140} />
        <TextInput label="Name" defaultValue={f.resource_name} onBlur={(e) => set('name', e.currentTarget.value.trim())} w={200} data-testid="filter-name" />
        <Text size="sm" c="dimmed" data-testid="runs-total">
          {total} run{total === 1 ? '' : 's'}
        </Text>
      </Group>
      <ErrorAlert error={q.error ?? remove.error} onRetry={() => void q.refetch()} />
      {jobs.length === 0 && <Text>{Object.values(f).some(Boolean) ? 'No run matches these filters.' : 'No run yet: open a job file of a project and press Run, or apply YAML.'}</Text>}
      {jobs.length > 0 && (
        <Table striped highlightOnHover data-testid="runs-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Run</Table.Th>
              <Table.Th>Benchmark type</Table.Th>
              <Table.Th>Project</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Executor</Table.Th>
              <Table.Th>Namespace</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Finished</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {jobs.map((d) => (
              <Table.Tr key={d.deployment_id} data-testid="run-row" data-name={d.resource_name} data-status={d.status}>
                <Table.Td>
                  <Anchor component={Link} to={runLink(d)} data-testid="run-link">
                    {d.resource_name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{d.benchmark_type ?? (d.origin === 'deploy' ? <Text span size="sm" c="dimmed">applied YAML</Text> : '—')}</Table.Td>
                <Table.Td>{projectName(d.project_id)}</Table.Td>
                <Table.Td>
                  <Badge color={statusColor(d.status)} variant="light" data-testid="run-row-status">
                    {d.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{d.executor ?? '—'}</Table.Td>
                <Table.Td>{d.namespace}</Table.Td>
                <Table.Td title={d.start_time ?? d.created_at ?? ''}>{relativeTime(d.start_time ?? d.created_at)}</Table.Td>
                <Table.Td title={d.completion_time ?? ''}>{relativeTime(d.completion_time)}</Table.Td>
                <Table.Td>
                  {d.status !== 'deleted' && (
                    <Tooltip label={denied ?? 'Delete the job with its pods'}>
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        disabled={!!denied}
                        loading={remove.isPending && remove.variables?.deployment_id === d.deployment_id}
                        onClick={() => remove.mutate(d)}
                        aria-label={`Delete ${d.resource_name}`}
                        data-testid="run-row-delete"
                      >
                        ✕
                      </ActionIcon>
                    </Tooltip>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {total > PAGE && <Pagination total={Math.ceil(total / PAGE)} value={page} onChange={(p) => setParams((prev) => (prev.set('page', String(p)), prev))} />}
    </Stack>
  );
}
