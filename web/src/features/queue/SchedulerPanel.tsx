/**
 * The queue scheduler: whether it claims new items (the state every replica obeys), its poll interval, what it runs
 * now, and start / stop / pause / resume / run-a-pass-now. Stopping never interrupts running items: they finish.
 */
import { Badge, Button, Card, Group, NumberInput, Stack, Text, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { relativeTime } from '../../shell/format';
import { queueApi } from './api';

type Verb = 'start' | 'stop' | 'pause' | 'resume' | 'trigger';

export function SchedulerPanel() {
  const qc = useQueryClient();
  const s = useQuery({ queryKey: ['scheduler'], queryFn: queueApi.scheduler, refetchInterval: 3_000 });
  const [poll, setPoll] = useState<number | string | null>(null);
  const action = useMutation({
    mutationFn: (v: Verb) => queueApi.schedulerAction(v),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['scheduler'] }),
  });
  const config = useMutation({
    mutationFn: (v: number) => queueApi.setPollInterval(v),
    onSuccess: async () => {
      setPoll(null);
      await qc.invalidateQueries({ queryKey: ['scheduler'] });
    },
  });
  const d = s.data;
  const shownPoll = poll ?? d?.poll_interval ?? '';
  return (
    <Card withBorder padding="sm" data-testid="scheduler">
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Text fw={600}>Scheduler</Text>
            {d && (
              <Badge color={d.running ? 'teal' : 'orange'} variant="light" data-testid="scheduler-state">
                {d.running ? 'running' : 'paused'}
              </Badge>
            )}
          </Group>
          <Group gap={6}>
            {(['start', 'resume'] as const).map((v) => (
              <Guarded role="operator" key={v}>
                <Button size="compact-sm" variant="light" disabled={d?.running} loading={action.isPending && action.variables === v} onClick={() => action.mutate(v)}>
                  {v[0].toUpperCase() + v.slice(1)}
                </Button>
              </Guarded>
            ))}
            {(['pause', 'stop'] as const).map((v) => (
              <Guarded role="operator" key={v}>
                <Button size="compact-sm" variant="light" color="orange" disabled={d ? !d.running : false} loading={action.isPending && action.variables === v} onClick={() => action.mutate(v)}>
                  {v[0].toUpperCase() + v.slice(1)}
                </Button>
              </Guarded>
            ))}
            <Guarded role="operator">
              <Tooltip label="Run a scheduling pass now instead of waiting for the next poll">
                <Button size="compact-sm" variant="default" loading={action.isPending && action.variables === 'trigger'} onClick={() => action.mutate('trigger')}>
                  Pass now
                </Button>
              </Tooltip>
            </Guarded>
          </Group>
        </Group>
        {d && (
          <Group gap="lg">
            <Text size="sm" data-testid="scheduler-active">
              {d.active_requests} running · {d.pending_requests} pending
            </Text>
            <Text size="sm" c="dimmed">
              last pass {relativeTime(d.last_poll_time)} · {d.total_processed} processed by this instance
            </Text>
            {!d.running && (
              <Text size="sm" c="orange">
                Running items finish; nothing new is claimed until it is resumed.
              </Text>
            )}
          </Group>
        )}
        {d?.last_error && (
          <Text size="sm" c="red" data-testid="scheduler-error">
            Last pass failed: {d.last_error}
          </Text>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typeof shownPoll === 'number') config.mutate(shownPoll);
          }}
        >
          <Group gap="xs" align="flex-end">
            <NumberInput
              label="Poll interval (s)"
              size="xs"
              w={150}
              min={1}
              max={3600}
              value={shownPoll}
              onChange={setPoll}
              error={fieldError(config.error, 'poll_interval')}
              data-testid="poll-interval"
            />
            <Guarded role="operator">
              <Button size="xs" type="submit" variant="default" disabled={poll === null || typeof shownPoll !== 'number'} loading={config.isPending}>
                Save
              </Button>
            </Guarded>
          </Group>
        </form>
        <ErrorAlert error={s.error ?? action.error ?? config.error} fields={['poll_interval']} />
      </Stack>
    </Card>
  );
}
