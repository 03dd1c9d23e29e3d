/** Step 5: the model (registered models with their kind, context and how the simulator models them), or register one. */
import { Badge, Button, Card, Group, Radio, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../../../shell/ErrorDisplay';
import { wizardApi } from '../api';
import { stepBody } from '../model';
import { ModelForm } from './ModelForm';
import type { StepProps } from './types';

export function ModelStep({ workflow, submit, pending, error }: StepProps) {
  const models = useQuery({ queryKey: ['wf-models'], queryFn: wizardApi.models });
  const [picked, setPicked] = useState<string | null>(workflow.state.model_id ?? null);
  return (
    <Stack gap="sm">
      <ErrorAlert error={models.error} onRetry={() => void models.refetch()} />
      {models.data?.items.length === 0 && <Text size="sm" c="dimmed">No model registered yet: register one below.</Text>}
      <Radio.Group value={picked} onChange={setPicked}>
        <SimpleGrid cols={{ base: 1, md: 2, lg: 3 }}>
          {(models.data?.items ?? []).map((m) => (
            <Card key={m.id} withBorder padding="sm" data-testid="model-card" data-id={m.id}>
              <Group justify="space-between" wrap="nowrap">
                <Radio value={m.id} label={<Text fw={600}>{m.name}</Text>} data-testid="model-radio" />
                <Badge variant="light" color={m.kind === 'cloud' ? 'grape' : 'blue'}>
                  {m.kind}
                </Badge>
              </Group>
              <Text size="xs" c="dimmed" mt={4}>
                {m.model_name}
                {m.served_model_name && m.served_model_name !== m.model_name ? ` as ${m.served_model_name}` : ''}
                {m.context_length ? ` · context ${m.context_length}` : ''}
                {m.endpoint_url ? ` · ${m.endpoint_url}` : ''}
              </Text>
              <Text size="xs" c={m.simulator.known ? 'teal' : 'orange'}>
                {m.simulator.known ? `simulated as ${m.simulator.model}` : `no simulation: ${m.simulator.reason ?? 'unknown model'}`}
              </Text>
            </Card>
          ))}
        </SimpleGrid>
      </Radio.Group>
      <Card withBorder padding="sm">
        <ModelForm onCreated={(m) => setPicked(m.id)} />
      </Card>
      <ErrorAlert error={error} />
      <Group justify="flex-end">
        <Button loading={pending} disabled={!picked} onClick={() => submit(stepBody(workflow, 5, { model_id: picked }))} data-testid="step-next">
          Use this model
        </Button>
      </Group>
    </Stack>
  );
}
