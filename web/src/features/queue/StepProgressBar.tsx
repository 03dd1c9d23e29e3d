/** A queue item's step progress bar: completed_steps of total_steps, the current step in words under it. */
import { Group, Progress, Stack, Text } from '@mantine/core';
import { stepProgress, type QueueItem } from './model';

export function StepProgressBar({ item, size = 'md' }: { item: QueueItem; size?: 'sm' | 'md' | 'lg' }) {
  const p = stepProgress(item);
  return (
    <Stack gap={2} data-testid="step-progress" data-percent={p.percent} data-status={item.status} miw={180}>
      <Progress value={p.percent} color={p.color} size={size} striped={p.active} animated={p.active} aria-label={`${p.label}: ${p.step}`} />
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="xs" c="dimmed" data-testid="step-label">
          {p.label}
        </Text>
        <Text size="xs" data-testid="current-step" truncate>
          {p.step}
        </Text>
      </Group>
    </Stack>
  );
}
