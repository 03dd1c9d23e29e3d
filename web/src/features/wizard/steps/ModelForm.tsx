/** Register a model for the wizard: served by BenchOps (Hugging Face name or local path) or a cloud OpenAI-compatible endpoint. */
import { Button, Group, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, fieldError } from '../../../shell/ErrorDisplay';
import { wizardApi } from '../api';
import type { ModelView } from '../model';

export function ModelForm({ onCreated }: { onCreated: (m: ModelView) => void }) {
  const qc = useQueryClient();
  const [kind, setKind] = useState<'served' | 'cloud'>('served');
  const [name, setName] = useState('');
  const [modelName, setModelName] = useState('');
  const [served, setServed] = useState('');
  const [maxLen, setMaxLen] = useState<number | string>('');
  const [endpoint, setEndpoint] = useState('');
  const [apiKind, setApiKind] = useState<'completions' | 'chat'>('completions');
  const [credential, setCredential] = useState<string | null>(null);
  const creds = useQuery({ queryKey: ['credentials'], queryFn: wizardApi.credentials, enabled: kind === 'cloud' });
  const create = useMutation({
    mutationFn: () =>
      wizardApi.createModel({
        name: name.trim() || modelName.trim(),
        kind,
        model_name: modelName.trim(),
        ...(served.trim() ? { served_model_name: served.trim() } : {}),
        ...(typeof maxLen === 'number' ? { max_model_len: maxLen } : {}),
        ...(kind === 'cloud' ? { endpoint_url: endpoint.trim(), api: apiKind, ...(credential ? { credential_id: credential } : {}) } : {}),
      }),
    onSuccess: async (m) => {
      await qc.invalidateQueries({ queryKey: ['wf-models'] });
      onCreated(m);
    },
  });
  const e = (f: string) => fieldError(create.error, f);
  const fields = ['name', 'model_name', 'served_model_name', 'max_model_len', 'endpoint_url', 'api', 'credential_id'];
  return (
    <form
      onSubmit={(ev) => {
        ev.preventDefault();
        create.mutate();
      }}
    >
      <Stack gap="xs" data-testid="model-form">
        <Group justify="space-between">
          <Text size="sm" fw={600}>
            Register a model
          </Text>
          <SegmentedControl size="xs" value={kind} onChange={(v) => setKind(v as 'served' | 'cloud')} data={[{ value: 'served', label: 'Served by BenchOps' }, { value: 'cloud', label: 'Cloud endpoint' }]} />
        </Group>
        <SimpleGrid cols={2}>
          <TextInput size="xs" label="Model" required placeholder={kind === 'served' ? 'Qwen/Qwen3-8B or /models/local-path' : 'gpt-4o-mini'} value={modelName} onChange={(ev) => setModelName(ev.currentTarget.value)} error={e('model_name')} data-testid="model-name" />
          <TextInput size="xs" label="Display name" placeholder="the model's name" value={name} onChange={(ev) => setName(ev.currentTarget.value)} error={e('name')} />
          <TextInput size="xs" label="Served model name" value={served} onChange={(ev) => setServed(ev.currentTarget.value)} error={e('served_model_name')} data-testid="model-served-name" />
          <NumberInput size="xs" label="Max model len" min={16} value={maxLen} onChange={setMaxLen} error={e('max_model_len')} data-testid="model-max-len" />
          {kind === 'cloud' && (
            <>
              <TextInput size="xs" label="Endpoint URL" required placeholder="https://api.example.com" value={endpoint} onChange={(ev) => setEndpoint(ev.currentTarget.value)} error={e('endpoint_url')} />
              <Select size="xs" label="API" data={['completions', 'chat']} value={apiKind} onChange={(v) => v && setApiKind(v as 'completions' | 'chat')} allowDeselect={false} />
              <Select size="xs" label="Default credential" clearable data={(creds.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))} value={credential} onChange={setCredential} error={e('credential_id')} />
            </>
          )}
        </SimpleGrid>
        <ErrorAlert error={create.error} fields={fields} />
        <Group justify="flex-end">
          <Button size="xs" variant="light" type="submit" loading={create.isPending} data-testid="model-submit">
            Register
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
