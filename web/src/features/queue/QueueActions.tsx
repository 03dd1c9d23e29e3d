/**
 * What can be done with a queue item: change the priority (pending only), cancel (pending or processing: the running
 * step stops and only what this request created is cleaned), force (cancel with cleanup, then delete), delete (finished).
 */
import { Button, Group, Select } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { queueApi } from './api';
import { isFinalStatus, PRIORITIES, type Priority, type QueueItem } from './model';

export function PrioritySelect({ item }: { item: QueueItem }) {
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: (p: Priority) => queueApi.priority(item.queue_request_id, p),
    onSettled: () => qc.invalidateQueries({ queryKey: ['queue'] }),
  });
  return (
    <>
      <Guarded role="operator">
        <Select
          size="xs"
          w={110}
          data={[...PRIORITIES]}
          value={m.isPending ? m.variables : item.priority}
          onChange={(v) => v && v !== item.priority && m.mutate(v as Priority)}
          disabled={item.status !== 'pending'}
          title={item.status !== 'pending' ? 'Only a pending item changes priority' : undefined}
          allowDeselect={false}
          aria-label="priority"
          data-testid="priority-select"
        />
      </Guarded>
      <ErrorAlert error={m.error} />
    </>
  );
}

export function QueueActions({ item, onRemoved }: { item: QueueItem; onRemoved?: () => void }) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: ['queue'] });
  const cancel = useMutation({ mutationFn: () => queueApi.cancel(item.queue_request_id), onSettled: done });
  const force = useMutation({
    mutationFn: () => queueApi.force(item.queue_request_id),
    onSuccess: () => onRemoved?.(),
    onSettled: done,
  });
  const remove = useMutation({
    mutationFn: () => queueApi.remove(item.queue_request_id),
    onSuccess: () => onRemoved?.(),
    onSettled: done,
  });
  const final = isFinalStatus(item.status);
  return (
    <>
      <Group gap={4} wrap="nowrap" justify="flex-end">
        {!final && (
          <Guarded role="operator">
            <Button size="compact-xs" variant="light" color="orange" loading={cancel.isPending} onClick={() => cancel.mutate()} data-testid="cancel-item">
              Cancel
            </Button>
          </Guarded>
        )}
        {item.status === 'processing' && (
          <Guarded role="operator">
            <Button size="compact-xs" variant="subtle" color="red" loading={force.isPending} onClick={() => force.mutate()} title="Cancel with cleanup, then delete" data-testid="force-item">
              Force delete
            </Button>
          </Guarded>
        )}
        {(final || item.status === 'pending') && (
          <Guarded role="operator">
            <Button size="compact-xs" variant="subtle" color="red" loading={remove.isPending} onClick={() => remove.mutate()} data-testid="delete-item">
              Delete
            </Button>
          </Guarded>
        )}
      </Group>
      <ErrorAlert error={cancel.error ?? force.error ?? remove.error} />
    </>
  );
}
