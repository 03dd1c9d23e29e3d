/** Performance workflows (seed 003): each with its status, method, model and cluster; start a new one, continue one, delete. */
import { Anchor, Badge, Button, Group, Pagination, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { wizardApi } from './api';

const PAGE = 25;

export function workflowStatusColor(s: string): string {
  return s === 'completed' ? 'teal' : s === 'simulated' ? 'grape' : s === 'running' ? 'blue' : s === 'failed' ? 'red' : s === 'ready' ? 'cyan' : 'gray';
}

export function WorkflowsPage() {
  const qc = useQueryClient();
  const [page, setPage] = useState(1);
  const [name, setName] = useState('');
  const list = useQuery({
    queryKey: ['workflows', page, name],
    queryFn: () => wizardApi.list({ limit: PAGE, offset: (page - 1) * PAGE, ...(name.trim() ? { name: name.trim() } : {}) }),
    refetchInterval: (q) => (q.state.data?.items.some((w) => w.status === 'running') ? 3_000 : 30_000),
  });
  const remove = useMutation({ mutationFn: (id: string) => wizardApi.remove(id), onSettled: () => qc.invalidateQueries({ queryKey: ['workflows'] }) });
  if (list.isLoading) return <PageLoader />;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Performance workflows</Title>
        <Guarded role="operator">
          <Button component={Link} to="/workflows/new" data-testid="wf-new">
            New benchmark
          </Button>
        </Guarded>
      </Group>
      <Text size="sm" c="dimmed">
        Eight steps from a name to a prediction or a measurement: workload, cluster, nodes, model, confirmation, then Simulate or Run on cluster.
      </Text>
      <TextInput placeholder="Name contains" w={260} value={name} onChange={(e) => { setName(e.currentTarget.value); setPage(1); }} aria-label="filter by name" />
      <ErrorAlert error={list.error ?? remove.error} onRetry={() => void list.refetch()} />
      {list.data && list.data.items.length === 0 && <Text c="dimmed">No workflow yet.</Text>}
      {list.data && list.data.items.length > 0 && (
        <Table striped highlightOnHover data-testid="wf-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Method</Table.Th>
              <Table.Th>Cluster</Table.Th>
              <Table.Th>Updated</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.items.map((w) => (
              <Table.Tr key={w.workflow_id} data-testid="wf-row" data-id={w.workflow_id}>
                <Table.Td>
                  <Anchor component={Link} to={`/workflows/${w.workflow_id}`} fw={600}>
                    {w.name}
                  </Anchor>
                  {w.description && <Text size="xs" c="dimmed" lineClamp={1}>{w.description}</Text>}
                </Table.Td>
                <Table.Td>
                  <Badge color={workflowStatusColor(w.status)} variant="light">
                    {w.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{w.eval_with}</Table.Td>
                <Table.Td>{w.cluster_id ?? '—'}</Table.Td>
                <Table.Td>{relativeTime(w.updated_at)}</Table.Td>
                <Table.Td>
                  <Group justify="flex-end">
                    <Guarded role="operator">
                      <Button size="compact-xs" variant="subtle" color="red" loading={remove.isPending && remove.variables === w.workflow_id} onClick={() => remove.mutate(w.workflow_id)}>
                        Delete
                      </Button>
                    </Guarded>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {list.data && list.data.total > PAGE && <Pagination total={Math.ceil(list.data.total / PAGE)} value={page} onChange={setPage} />}
    </Stack>
  );
}
