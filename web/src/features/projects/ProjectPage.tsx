/**
 * One project: its repository and sync state, and its files grouped by benchmark type (configs, jobs), each an
 * original or a modified copy; reset all drops every modified copy.
 */
import { Anchor, Badge, Button, Card, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime, short } from '../../shell/format';
import { groupFiles, projectsApi } from './api';
import { SyncStatus } from './ProjectsPage';
import { SyncButton } from './SyncButton';

export function ProjectPage() {
  const { projectId = '' } = useParams();
  const qc = useQueryClient();
  const detail = useQuery({ queryKey: ['projects', projectId], queryFn: () => projectsApi.get(projectId) });
  const files = useQuery({ queryKey: ['projects', projectId, 'files'], queryFn: () => projectsApi.files(projectId) });
  const [confirmReset, setConfirmReset] = useState(false);
  const reset = useMutation({
    mutationFn: () => projectsApi.resetAll(projectId),
    onSuccess: async () => {
      setConfirmReset(false);
      await qc.invalidateQueries({ queryKey: ['projects', projectId] });
    },
  });
  if (detail.isLoading || files.isLoading) return <PageLoader />;
  const p = detail.data?.project;
  const modified = files.data?.items.filter((f) => f.source === 'modified').length ?? 0;
  return (
    <Stack>
      <ErrorAlert error={detail.error ?? files.error} />
      {p && (
        <Card withBorder>
          <Group justify="space-between" align="flex-start">
            <Stack gap={4}>
              <Title order={2} data-testid="project-name">
                {p.name}
              </Title>
              <Text size="sm" c="dimmed" style={{ wordBreak: 'break-all' }}>
                {p.repository_url || 'no repository'} {p.branch ? `(${p.branch})` : ''}
              </Text>
              <Group gap={6}>
                <SyncStatus p={p} />
                <Text size="sm">synced {relativeTime(p.last_sync)} · commit <code>{short(p.last_commit, 7)}</code></Text>
              </Group>
              {p.last_sync_error && (
                <Text size="sm" c="red">
                  {p.last_sync_error}
                </Text>
              )}
            </Stack>
            <Stack gap="xs" align="flex-end">
              <SyncButton projectId={p.project_id} size="sm" />
              <Guarded role="operator">
                <Button size="xs" variant="subtle" color="red" disabled={modified === 0} onClick={() => setConfirmReset(true)}>
                  Reset all ({modified} modified)
                </Button>
              </Guarded>
            </Stack>
          </Group>
        </Card>
      )}
      {files.data && files.data.items.length === 0 && <Text>No files: sync the project, or check its config and job folders.</Text>}
      {files.data &&
        groupFiles(files.data.items).map((g) => (
          <Card withBorder key={g.benchmarkType} data-benchmark-type={g.benchmarkType}>
            <Title order={4} mb="xs">
              {g.benchmarkType}
            </Title>
            <Table>
              <Table.Tbody>
                {g.files.map((f) => (
                  <Table.Tr key={f.file_id}>
                    <Table.Td w={96}>
                      <Badge variant="light" color={f.file_type === 'job' ? 'grape' : 'blue'}>
                        {f.file_type}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Anchor component={Link} to={`/projects/${projectId}/files/${f.file_id}`} data-testid="file-link">
                        {f.file_path}
                      </Anchor>
                    </Table.Td>
                    <Table.Td w={110}>
                      <Badge variant={f.source === 'modified' ? 'filled' : 'outline'} color={f.source === 'modified' ? 'orange' : 'gray'} data-testid="file-source">
                        {f.source}
                      </Badge>
                    </Table.Td>
                    <Table.Td w={160}>
                      <Text size="xs" c="dimmed">
                        {f.source === 'original' ? `${short(f.sha, 7)} · ${relativeTime(f.synced_at)}` : `edited ${relativeTime(f.modified_at)}`}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        ))}
      <Modal opened={confirmReset} onClose={() => setConfirmReset(false)} title="Reset every modified file?">
        <Stack>
          <Text size="sm">The {modified} modified copies of this project are deleted; the synced originals stay.</Text>
          <ErrorAlert error={reset.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmReset(false)}>
              Cancel
            </Button>
            <Button color="red" loading={reset.isPending} onClick={() => reset.mutate()}>
              Reset
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
