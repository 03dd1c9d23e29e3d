/** Step 3: the cluster the benchmark runs on (changing it clears the chosen nodes). */
import { Badge, Button, Card, Group, Radio, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../../../shell/ErrorDisplay';
import { wizardApi } from '../api';
import { stepBody } from '../model';
import type { StepProps } from './types';

export function ClusterStep({ workflow, submit, pending, error }: StepProps) {
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: wizardApi.clusters });
  const [picked, setPicked] = useState<string | null>(workflow.state.cluster_id ?? null);
  const value = picked ?? clusters.data?.[0]?.id ?? null;
  return (
    <Stack gap="sm">
      <ErrorAlert error={clusters.error} onRetry={() => void clusters.refetch()} />
      <Radio.Group value={value} onChange={setPicked}>
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          {(clusters.data ?? []).map((c) => (
            <Card key={c.id} withBorder padding="sm" data-testid="cluster-card" data-id={c.id}>
              <Group justify="space-between" wrap="nowrap">
                <Radio value={c.id} label={<Text fw={600}>{c.name}</Text>} data-testid="cluster-radio" />
                <Badge variant="light">{c.kind}</Badge>
              </Group>
              <Text size="xs" c="dimmed" mt={4}>
                namespace {c.namespace}
              </Text>
            </Card>
          ))}
        </SimpleGrid>
      </Radio.Group>
      {workflow.state.cluster_id && value !== workflow.state.cluster_id && (
        <Text size="xs" c="orange">
          Another cluster clears the nodes chosen on {workflow.state.cluster_id}.
        </Text>
      )}
      <ErrorAlert error={error} />
      <Group justify="flex-end">
        <Button loading={pending} disabled={!value} onClick={() => submit(stepBody(workflow, 3, { cluster_id: value }))} data-testid="step-next">
          Use this cluster
        </Button>
      </Group>
    </Stack>
  );
}
