/** Step 6: the credential of a cloud model (write-only: a key is sent once and never shown again). Not needed for a served model. */
import { Button, Group, PasswordInput, Radio, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, fieldError } from '../../../shell/ErrorDisplay';
import { wizardApi } from '../api';
import { stepBody } from '../model';
import type { StepProps } from './types';

export function CredentialStep({ workflow, submit, pending, error, cloud, onSkip }: StepProps & { cloud: boolean; onSkip: () => void }) {
  const qc = useQueryClient();
  const creds = useQuery({ queryKey: ['credentials'], queryFn: wizardApi.credentials, enabled: cloud });
  const [picked, setPicked] = useState<string | null>(workflow.state.credential_id ?? null);
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const create = useMutation({
    mutationFn: () => wizardApi.createCredential({ name: name.trim(), api_key: key }),
    onSuccess: async (c) => {
      setKey('');
      setName('');
      setPicked(c.id);
      await qc.invalidateQueries({ queryKey: ['credentials'] });
    },
  });
  if (!cloud) {
    return (
      <Stack gap="sm">
        <Text size="sm" data-testid="credential-not-needed">
          The model is served by BenchOps on the chosen nodes: no credential is needed.
        </Text>
        <Group justify="flex-end">
          <Button onClick={onSkip} data-testid="step-next">
            Continue
          </Button>
        </Group>
      </Stack>
    );
  }
  return (
    <Stack gap="sm" maw={640}>
      <ErrorAlert error={creds.error} />
      <Radio.Group value={picked} onChange={setPicked} label="Credential">
        <Stack gap={4} mt={4}>
          {(creds.data?.items ?? []).map((c) => (
            <Radio key={c.id} value={c.id} label={`${c.name}${c.provider ? ` (${c.provider})` : ''} · key set`} />
          ))}
          {creds.data?.items.length === 0 && <Text size="sm" c="dimmed">No credential yet.</Text>}
        </Stack>
      </Radio.Group>
      <Group align="flex-end" gap="xs">
        <TextInput size="xs" label="New credential" placeholder="name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(create.error, 'name')} />
        <PasswordInput size="xs" label="API key" w={260} value={key} onChange={(e) => setKey(e.currentTarget.value)} error={fieldError(create.error, 'api_key')} autoComplete="off" />
        <Button size="xs" variant="light" disabled={!name.trim() || !key} loading={create.isPending} onClick={() => create.mutate()}>
          Store
        </Button>
      </Group>
      <ErrorAlert error={create.error} fields={['name', 'api_key']} />
      <ErrorAlert error={error} />
      <Group justify="flex-end">
        <Button loading={pending} disabled={!picked} onClick={() => submit(stepBody(workflow, 6, { credential_id: picked }))} data-testid="step-next">
          Use this credential
        </Button>
      </Group>
    </Stack>
  );
}
