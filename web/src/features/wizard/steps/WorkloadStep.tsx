/**
 * Step 2: the workload. Configuration: max input and output tokens (checked against the model's context once it is
 * known). Dataset: choose datasets (each with its rows and token-length percentiles, the tokenizer named), or upload one.
 */
import { Button, Checkbox, Group, NumberInput, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, fieldError } from '../../../shell/ErrorDisplay';
import { wizardApi } from '../api';
import { stepBody, type DatasetView, type LengthStats } from '../model';
import { DatasetUpload } from './DatasetUpload';
import type { StepProps } from './types';

const fmtLen = (s: LengthStats | null | undefined, k: keyof LengthStats) => (s ? String(s[k]) : '—');

export function DatasetStatsTable({ datasets, selected, onToggle }: { datasets: DatasetView[]; selected?: string[]; onToggle?: (id: string) => void }) {
  return (
    <Table withTableBorder striped data-testid="dataset-table">
      <Table.Thead>
        <Table.Tr>
          {onToggle && <Table.Th />}
          <Table.Th>Dataset</Table.Th>
          <Table.Th ta="right">Rows</Table.Th>
          <Table.Th ta="right">Input p50 / p90 / p99 / max</Table.Th>
          <Table.Th ta="right">Output p50 / p90 / p99 / max</Table.Th>
          <Table.Th>Tokenizer</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {datasets.map((d) => (
          <Table.Tr key={d.id} data-testid="dataset-row" data-id={d.id}>
            {onToggle && (
              <Table.Td w={40}>
                <Checkbox aria-label={`use ${d.name}`} checked={selected?.includes(d.id) ?? false} onChange={() => onToggle(d.id)} data-testid="dataset-pick" />
              </Table.Td>
            )}
            <Table.Td>
              <Text size="sm" fw={500}>
                {d.name}
              </Text>
              <Text size="xs" c="dimmed">
                {d.format} · {d.size_bytes} bytes{d.stats.dropped ? ` · ${d.stats.dropped} rows dropped` : ''}
              </Text>
            </Table.Td>
            <Table.Td ta="right" data-stat="rows">
              {d.rows}
            </Table.Td>
            <Table.Td ta="right" data-stat="input">
              {(['p50', 'p90', 'p99', 'max'] as const).map((k) => fmtLen(d.stats.input_tokens, k)).join(' / ')}
            </Table.Td>
            <Table.Td ta="right" data-stat="output">
              {d.stats.output_tokens ? (['p50', 'p90', 'p99', 'max'] as const).map((k) => fmtLen(d.stats.output_tokens, k)).join(' / ') : 'not given'}
              {d.stats.output_tokens && d.stats.rows_with_output_len < d.rows ? <Text size="xs" c="dimmed">{d.stats.rows_with_output_len} of {d.rows} rows</Text> : null}
            </Table.Td>
            <Table.Td>
              <Text size="xs">{d.stats.tokenizer.id}</Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function WorkloadStep({ workflow, submit, pending, error }: StepProps) {
  const st = workflow.state;
  const [inTok, setIn] = useState<number | string>(st.max_input_tokens ?? 512);
  const [outTok, setOut] = useState<number | string>(st.max_output_tokens ?? 128);
  const [picked, setPicked] = useState<string[]>(st.dataset_ids ?? []);
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: wizardApi.datasets, enabled: st.eval_with === 'dataset' });
  const e = (f: string) => fieldError(error, f);
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));

  if (st.eval_with === 'configuration') {
    return (
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          submit(stepBody(workflow, 2, { max_input_tokens: Number(inTok), max_output_tokens: Number(outTok) }));
        }}
      >
        <Stack gap="sm" maw={560}>
          <Text size="sm" c="dimmed">
            Every request sends this many prompt tokens and asks for this many output tokens.
          </Text>
          <SimpleGrid cols={2}>
            <NumberInput label="Max input tokens" required min={1} value={inTok} onChange={setIn} error={e('max_input_tokens')} data-testid="wf-max-input" />
            <NumberInput label="Max output tokens" required min={1} value={outTok} onChange={setOut} error={e('max_output_tokens')} data-testid="wf-max-output" />
          </SimpleGrid>
          <ErrorAlert error={error} fields={['max_input_tokens', 'max_output_tokens']} />
          <Group justify="flex-end">
            <Button type="submit" loading={pending} data-testid="step-next">
              Save and continue
            </Button>
          </Group>
        </Stack>
      </form>
    );
  }
  return (
    <Stack gap="sm">
      <ErrorAlert error={datasets.error} onRetry={() => void datasets.refetch()} />
      {datasets.data && datasets.data.items.length > 0 ? (
        <DatasetStatsTable datasets={datasets.data.items} selected={picked} onToggle={toggle} />
      ) : (
        <Text size="sm" c="dimmed">No dataset yet: upload one below.</Text>
      )}
      {(e('datset_ids') || e('dataset_ids')) && (
        <Text size="sm" c="red">
          {e('datset_ids') ?? e('dataset_ids')}
        </Text>
      )}
      <DatasetUpload onUploaded={(d) => setPicked((p) => [...new Set([...p, d.id])])} />
      <ErrorAlert error={error} fields={['datset_ids', 'dataset_ids']} />
      <Group justify="flex-end">
        <Button loading={pending} disabled={!picked.length} onClick={() => submit(stepBody(workflow, 2, { datset_ids: picked }))} data-testid="step-next">
          Use {picked.length} dataset{picked.length === 1 ? '' : 's'} and continue
        </Button>
      </Group>
    </Stack>
  );
}
