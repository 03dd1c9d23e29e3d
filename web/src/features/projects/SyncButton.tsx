/** "Sync now" with what it did: the new/updated/deleted counts and the commit, or the failure next to the button. */
import { Button, Group, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { short } from '../../shell/format';
import { projectsApi } from './api';

export function SyncButton({ projectId, size = 'xs' }: { projectId: string; size?: 'xs' | 'sm' }) {
  const qc = useQueryClient();
  const sync = useMutation({
    mutationFn: () => projectsApi.sync(projectId),
    onSettled: () => qc.invalidateQueries({ queryKey: ['projects'] }),
  });
  const r = sync.data;
  return (
    <Group gap="xs" wrap="nowrap">
      <Guarded role="operator">
        <Button size={size} variant="light" loading={sync.isPending} onClick={() => sync.mutate()} data-testid={`sync-${projectId}`}>
          Sync now
        </Button>
      </Guarded>
      {r && r.status === 'success' && (
        <Text size="xs" c="teal" data-testid="sync-result">
          {r.new_files} new · {r.updated_files} updated · {r.deleted_files} deleted ({r.synced_files} files at {short(r.commit, 7)})
        </Text>
      )}
      {r && r.status === 'error' && (
        <Text size="xs" c="red" data-testid="sync-result">
          {r.message}
        </Text>
      )}
      {sync.error && <ErrorAlert error={sync.error} />}
    </Group>
  );
}
