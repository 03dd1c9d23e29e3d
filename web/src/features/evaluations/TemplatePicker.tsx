/**
 * The evaluation's job template (a project's job file with its config) and its engine: a running model's endpoint
 * (from /v1/models) or a typed URL. Shared by the evaluate and schedule forms.
 */
import { Badge, Button, Group, Select, Stack, Text } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { gateway, unwrapAs, vllm } from '../../api/client';
import type { ModelEntry } from '../../api/views';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { JobPicker } from '../queue/JobPicker';
import type { TemplateRef } from './model';

export function TemplateField({ value, onChange, label }: { value: (TemplateRef & { label: string }) | null; onChange: (t: (TemplateRef & { label: string }) | null) => void; label?: string }) {
  return (
    <Stack gap={4}>
      <Group gap="xs">
        <Text size="sm" fw={500}>
          {label ?? 'Job template'}
        </Text>
        {value ? (
          <Badge variant="light" data-testid="template-chosen" rightSection={<span style={{ cursor: 'pointer' }} onClick={() => onChange(null)} aria-label="clear template">×</span>}>
            {value.label}
          </Badge>
        ) : (
          <Text size="xs" c="dimmed">
            none chosen: the service's default (BENCHOPS_EVAL_TEMPLATE)
          </Text>
        )}
      </Group>
      <JobPicker
        addLabel="Use as template"
        preferJob={/custom-task|eval/}
        onAdd={(j) => onChange({ project_id: j.project_id, job_file: j.job_file_id, ...(j.config_file_id ? { config_file: j.config_file_id } : {}), benchmark_type: j.benchmark_type, label: j.name })}
      />
    </Stack>
  );
}

/** Picks a running model and hands back its name and its deployment's endpoint. */
export function RunningModelPicker({ onPick }: { onPick: (model: string, endpoint: string) => void }) {
  const models = useQuery({ queryKey: ['models'], queryFn: () => unwrapAs<{ data: ModelEntry[] }>(gateway.GET('/v1/models')), refetchInterval: 10_000 });
  const pick = useMutation({
    mutationFn: async (id: string) => {
      const m = models.data?.data.find((x) => x.id === id);
      if (!m?.deployment_id) throw new Error(`${id} has no deployment behind it`);
      const d = await unwrapAs<{ endpoint: string | null }>(vllm.GET('/deployments/{id}', { params: { path: { id: m.deployment_id } } }));
      if (!d.endpoint) throw new Error(`The deployment of ${id} has no endpoint yet`);
      return { id, endpoint: d.endpoint };
    },
    onSuccess: ({ id, endpoint }) => onPick(id, endpoint),
  });
  if (!models.data?.data.length) return null;
  return (
    <Stack gap={4}>
      <Group gap="xs" align="flex-end">
        <Select
          size="xs"
          label="A running model"
          placeholder="fill model and engine from it"
          data={models.data.data.map((m) => m.id)}
          onChange={(v) => v && pick.mutate(v)}
          w={280}
          data-testid="running-model"
        />
        {pick.isPending && <Button size="xs" variant="subtle" loading>…</Button>}
      </Group>
      <ErrorAlert error={pick.error} />
    </Stack>
  );
}
