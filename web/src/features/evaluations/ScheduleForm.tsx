/**
 * A recurring evaluation: a cron expression (5 fields, or 6 with seconds) in a time zone, with the next runs shown
 * as a person reads them while it is typed (croner, as the service computes them), the model, optionally its engine
 * (else the vLLM deployment serving the model at each tick), and the template.
 */
import { Button, Checkbox, Group, List, Modal, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { relativeTime } from '../../shell/format';
import { evalApi } from './api';
import { cronPreview, everyWords, runWords, type TemplateRef } from './model';
import { RunningModelPicker, TemplateField } from './TemplatePicker';

const PRESETS = [
  { value: '0 * * * *', label: 'every hour' },
  { value: '0 2 * * *', label: 'every day at 02:00' },
  { value: '0 9 * * 1-5', label: 'weekdays at 09:00' },
  { value: '*/15 * * * *', label: 'every 15 minutes' },
  { value: '0 3 * * 0', label: 'Sundays at 03:00' },
];

const zones = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();

/** The preview of a cron expression: its next runs in words, or why it is not valid. */
export function CronPreview({ cron, timezone }: { cron: string; timezone: string }) {
  const p = useMemo(() => cronPreview(cron, timezone, 5), [cron, timezone]);
  if (!p.ok) {
    return (
      <Text size="sm" c="red" data-testid="cron-error">
        {p.error}
      </Text>
    );
  }
  return (
    <Stack gap={2} data-testid="cron-preview">
      <Text size="sm" fw={500}>
        Next runs{p.minGapSeconds !== null ? ` (at most ${everyWords(p.minGapSeconds)})` : ''}:
      </Text>
      <List size="sm" spacing={0}>
        {p.runs.map((r) => (
          <List.Item key={r.toISOString()} data-testid="cron-run" data-at={r.toISOString()}>
            {runWords(r, timezone)} · {relativeTime(r.toISOString())}
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}

export function ScheduleForm({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [cron, setCron] = useState('0 2 * * *');
  const [tz, setTz] = useState('UTC');
  const [model, setModel] = useState('');
  const [url, setUrl] = useState('');
  const [paused, setPaused] = useState(false);
  const [template, setTemplate] = useState<(TemplateRef & { label: string }) | null>(null);
  const create = useMutation({
    mutationFn: () => {
      const { label: _l, ...ref } = template ?? ({} as TemplateRef & { label: string });
      return evalApi.createSchedule({ name: name.trim(), cron: cron.trim(), timezone: tz, model_name: model.trim(), ...(url.trim() ? { inference_engine_url: url.trim() } : {}), ...(template ? { template: ref } : {}), paused });
    },
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['schedules'] });
      onClose();
    },
  });
  const e = (f: string) => fieldError(create.error, f);
  return (
    <Modal opened onClose={onClose} title="New evaluation schedule" size="xl">
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          create.mutate();
        }}
      >
        <Stack gap="sm">
          <SimpleGrid cols={3}>
            <TextInput label="Name" required value={name} onChange={(ev) => setName(ev.currentTarget.value)} error={e('name')} data-testid="schedule-name" />
            <TextInput label="Cron" required description="5 fields, or 6 with seconds" value={cron} onChange={(ev) => setCron(ev.currentTarget.value)} error={e('cron')} ff="monospace" data-testid="schedule-cron" />
            <Select label="Time zone" searchable data={['UTC', ...zones.filter((z) => z !== 'UTC')]} value={tz} onChange={(v) => v && setTz(v)} error={e('timezone')} allowDeselect={false} data-testid="schedule-tz" />
          </SimpleGrid>
          <Group gap={6}>
            {PRESETS.map((p) => (
              <Button key={p.value} size="compact-xs" variant={cron === p.value ? 'filled' : 'default'} onClick={() => setCron(p.value)}>
                {p.label}
              </Button>
            ))}
          </Group>
          <CronPreview cron={cron} timezone={tz} />
          <RunningModelPicker
            onPick={(m, endpoint) => {
              setModel(m);
              setUrl(endpoint);
            }}
          />
          <SimpleGrid cols={2}>
            <TextInput label="Model" required value={model} onChange={(ev) => setModel(ev.currentTarget.value)} error={e('model_name')} data-testid="schedule-model" />
            <TextInput label="Engine URL" description="empty: the vLLM deployment serving the model at each run" value={url} onChange={(ev) => setUrl(ev.currentTarget.value)} error={e('inference_engine_url')} data-testid="schedule-url" />
          </SimpleGrid>
          <TemplateField value={template} onChange={setTemplate} />
          <Checkbox label="Create paused" checked={paused} onChange={(ev) => setPaused(ev.currentTarget.checked)} />
          <ErrorAlert error={create.error} fields={['name', 'cron', 'timezone', 'model_name', 'inference_engine_url']} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" loading={create.isPending} data-testid="schedule-submit">
              Create schedule
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
