/** Step 7: a summary of everything chosen, what the trigger will do, and the confirmation. */
import { Alert, Button, Checkbox, Group, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../../../shell/ErrorDisplay';
import { wizardApi } from '../api';
import { stepBody, type WorkflowView } from '../model';
import type { StepProps } from './types';

/** The workflow's choices as label → value rows (the confirmation's summary, also shown beside a run). */
export function WorkflowSummary({ workflow }: { workflow: WorkflowView }) {
  const st = workflow.state;
  const models = useQuery({ queryKey: ['wf-models'], queryFn: wizardApi.models });
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: wizardApi.datasets, enabled: st.eval_with === 'dataset' });
  const model = models.data?.items.find((m) => m.id === st.model_id);
  const plan = workflow.trigger.plan;
  const rows: [string, string][] = [
    ['Name', st.name],
    ['Tags', st.tags.map((t) => (typeof t === 'string' ? t : String((t as { name?: string }).name))).join(', ') || '—'],
    ['Description', st.description || '—'],
    ['Concurrent requests', String(st.concurrent_requests)],
    ['Requests', String(plan?.workload.num_prompts ?? st.num_prompts ?? 1000)],
    ['Evaluate with', st.eval_with],
    ...(st.eval_with === 'configuration'
      ? ([
          ['Max input tokens', String(st.max_input_tokens ?? '—')],
          ['Max output tokens', String(st.max_output_tokens ?? '—')],
        ] as [string, string][])
      : ([['Datasets', (st.dataset_ids ?? []).map((id) => datasets.data?.items.find((d) => d.id === id)?.name ?? id).join(', ') || '—']] as [string, string][])),
    ['Cluster', st.cluster_id ?? '—'],
    ['Nodes', (st.nodes ?? []).map((n) => `${n.hostname} (${n.devices.map((d) => `${d.available_count} × ${d.name}`).join(', ')})`).join('; ') || '—'],
    ['Model', model ? `${model.name} (${model.kind}, ${model.model_name})` : (st.model_id ?? '—')],
    ...(model?.kind === 'cloud' ? ([['Credential', st.credential_id ? 'chosen (key stored, not shown)' : '—']] as [string, string][]) : []),
    ['Runs on', plan?.device ? `${plan.device.count} × ${plan.device.name} on ${plan.device.hostname}` : plan?.action === 'benchmark_endpoint' ? 'the cloud endpoint' : '—'],
    ['Simulated as', plan?.simulator ? `${plan.simulator.model} on ${plan.simulator.device_count} × ${plan.simulator.hardware}, tensor parallel ${plan.simulator.tensor_parallel}` : (plan?.simulator_error ?? workflow.trigger.plan_error ?? '—')],
  ];
  return (
    <Table withTableBorder data-testid="wf-summary" maw={820}>
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k} data-field={k}>
            <Table.Th w={200}>{k}</Table.Th>
            <Table.Td data-testid="summary-value">{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function ConfirmStep({ workflow, submit, pending, error }: StepProps) {
  const [ok, setOk] = useState(!!workflow.state.user_confirmation);
  const missing = workflow.trigger.missing.filter((m) => m.step_number !== 7);
  return (
    <Stack gap="sm">
      <WorkflowSummary workflow={workflow} />
      {(workflow.trigger.plan?.warnings ?? []).map((w) => (
        <Text key={w} size="sm" c="orange">
          {w}
        </Text>
      ))}
      {missing.length > 0 && (
        <Alert color="orange" title="Steps still incomplete" data-testid="wf-missing">
          {missing.map((m) => `step ${m.step_number} (${m.name.replace(/_/g, ' ')})${m.invalidated_by ? ` since step ${m.invalidated_by} changed` : ''}`).join('; ')}
        </Alert>
      )}
      <Checkbox label="These are the benchmark's details" checked={ok} onChange={(e) => setOk(e.currentTarget.checked)} data-testid="wf-confirm" />
      <ErrorAlert error={error} />
      <Group justify="flex-end">
        <Button loading={pending} disabled={!ok} onClick={() => submit(stepBody(workflow, 7, { user_confirmation: true }))} data-testid="step-next">
          Confirm
        </Button>
      </Group>
    </Stack>
  );
}
