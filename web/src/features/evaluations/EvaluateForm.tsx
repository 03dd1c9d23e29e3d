/** Start an evaluation: the model, its engine URL (it waits until `{url}/v1/models` lists the model), the job template, an optional delay. */
import { Button, Group, Modal, NumberInput, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { evalApi } from './api';
import type { TemplateRef } from './model';
import { RunningModelPicker, TemplateField } from './TemplatePicker';

export function EvaluateForm({ onClose, onStarted }: { onClose: () => void; onStarted: (id: string) => void }) {
  const qc = useQueryClient();
  const [model, setModel] = useState('');
  const [url, setUrl] = useState('');
  const [delay, setDelay] = useState<number | string>('');
  const [template, setTemplate] = useState<(TemplateRef & { label: string }) | null>(null);
  const start = useMutation({
    mutationFn: () => {
      const { label: _l, ...ref } = template ?? ({} as TemplateRef & { label: string });
      return evalApi.evaluate({ model_name: model.trim(), inference_engine_url: url.trim(), ...(template ? { template: ref } : {}), ...(typeof delay === 'number' ? { delay_seconds: delay } : {}) });
    },
    onSuccess: async (r) => {
      await qc.invalidateQueries({ queryKey: ['evaluations'] });
      onStarted(r.id);
    },
  });
  const e = (f: string) => fieldError(start.error, f);
  return (
    <Modal opened onClose={onClose} title="Start an evaluation" size="xl">
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          start.mutate();
        }}
      >
        <Stack gap="sm">
          <RunningModelPicker
            onPick={(m, endpoint) => {
              setModel(m);
              setUrl(endpoint);
            }}
          />
          <SimpleGrid cols={2}>
            <TextInput label="Model" required value={model} onChange={(ev) => setModel(ev.currentTarget.value)} error={e('model_name')} data-testid="eval-model" />
            <TextInput label="Inference engine URL" required placeholder="http://vllm:8000" value={url} onChange={(ev) => setUrl(ev.currentTarget.value)} error={e('inference_engine_url')} data-testid="eval-url" />
          </SimpleGrid>
          <NumberInput label="Delay before the first readiness probe (s)" min={0} w={300} value={delay} onChange={setDelay} error={e('delay_seconds')} />
          <TemplateField value={template} onChange={setTemplate} />
          <ErrorAlert error={start.error} fields={['model_name', 'inference_engine_url', 'delay_seconds']} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" loading={start.isPending} data-testid="eval-submit">
              Start
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
