/** Projects: each repository with its sync state (last sync, status, commit, error), create, edit, delete, sync now. */
import { Anchor, Badge, Button, Group, Modal, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import type { ProjectView } from '../../api/views';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime, short } from '../../shell/format';
import { projectsApi } from './api';
import { ProjectForm } from './ProjectForm';
import { SyncButton } from './SyncButton';

export function SyncStatus({ p }: { p: ProjectView }) {
  if (!p.last_sync_status) return <Badge color="gray" variant="light">never synced</Badge>;
  const ok = p.last_sync_status === 'success';
  const badge = (
    <Badge color={ok ? 'teal' : 'red'} variant="light" data-testid="sync-status">
      {p.last_sync_status}
    </Badge>
  );
  return p.last_sync_error ? <Tooltip label={p.last_sync_error} multiline w={360}>{badge}</Tooltip> : badge;
}

export function ProjectsPage() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['projects'], queryFn: projectsApi.list, refetchInterval: 15_000 });
  const [editing, setEditing] = useState<ProjectView | 'new' | null>(null);
  const [deleting, setDeleting] = useState<ProjectView | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => projectsApi.remove(id),
    onSuccess: async () => {
      setDeleting(null);
      await qc.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  if (q.isLoading) return <PageLoader />;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Projects</Title>
        <Guarded role="operator">
          <Button onClick={() => setEditing('new')}>New project</Button>
        </Guarded>
      </Group>
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      {q.data && q.data.items.length === 0 && <Text>No project yet: a project is a Git repository of benchmark configs and jobs.</Text>}
      {q.data && q.data.items.length > 0 && (
        <Table striped highlightOnHover data-testid="projects-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Project</Table.Th>
              <Table.Th>Repository</Table.Th>
              <Table.Th>Last sync</Table.Th>
              <Table.Th>Commit</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data.items.map((p) => (
              <Table.Tr key={p.project_id} data-project={p.name}>
                <Table.Td>
                  <Anchor component={Link} to={`/projects/${p.project_id}`} fw={600}>
                    {p.name}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {p.project_type}
                    {p.polling_interval > 0 ? ` · polls every ${p.polling_interval} s` : ''}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: 'break-all' }}>
                    {p.repository_url || '—'}
                  </Text>
                  {p.has_github_token && <Badge size="xs" variant="outline">token stored</Badge>}
                </Table.Td>
                <Table.Td>
                  <Group gap={6}>
                    <SyncStatus p={p} />
                    <Text size="sm" title={p.last_sync ?? ''}>
                      {relativeTime(p.last_sync)}
                    </Text>
                  </Group>
                  {p.last_sync_error && (
                    <Text size="xs" c="red" lineClamp={2}>
                      {p.last_sync_error}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <code data-testid="last-commit">{short(p.last_commit, 7)}</code>
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end" wrap="nowrap">
                    <SyncButton projectId={p.project_id} />
                    <Guarded role="operator">
                      <Button size="xs" variant="default" onClick={() => setEditing(p)}>
                        Edit
                      </Button>
                    </Guarded>
                    <Guarded role="operator">
                      <Button size="xs" variant="subtle" color="red" onClick={() => setDeleting(p)}>
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
      {editing && <ProjectForm opened project={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      <Modal opened={!!deleting} onClose={() => setDeleting(null)} title={`Delete ${deleting?.name}?`}>
        <Stack>
          <Text size="sm">The project, its synced files and its modified copies are deleted. The repository is not touched.</Text>
          <ErrorAlert error={remove.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => deleting && remove.mutate(deleting.project_id)}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
