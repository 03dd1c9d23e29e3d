/**
 * Upload a dataset (JSONL with prompt/output_len style fields, or ShareGPT JSON) from a file or pasted text; the
 * service validates it (a bad line is named) and answers with its length statistics, shown at once.
 */
import { Button, FileInput, Group, SegmentedControl, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, fieldError } from '../../../shell/ErrorDisplay';
import { wizardApi } from '../api';
import type { DatasetView } from '../model';

/** The biggest upload the service takes (DATASET_MAX_BYTES): refused here before reading a larger file. */
const MAX_BYTES = 8 * 1024 * 1024;

export function DatasetUpload({ onUploaded }: { onUploaded: (d: DatasetView) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [format, setFormat] = useState<'jsonl' | 'sharegpt'>('jsonl');
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState('');
  const upload = useMutation({
    mutationFn: async () => {
      if (file && file.size > MAX_BYTES) throw new Error(`${file.name} is ${file.size} bytes; the limit is ${MAX_BYTES}`);
      const content = file ? await file.text() : text;
      if (!content.trim()) throw new Error('Choose a file or paste the dataset');
      return wizardApi.uploadDataset({ name: name.trim() || file?.name.replace(/\.[^.]+$/, '') || 'dataset', content, format });
    },
    onSuccess: async (d) => {
      setFile(null);
      setText('');
      setName('');
      await qc.invalidateQueries({ queryKey: ['datasets'] });
      onUploaded(d);
    },
  });
  return (
    <Stack gap="xs" data-testid="dataset-upload">
      <Text size="sm" fw={600}>
        Upload a dataset
      </Text>
      <Group align="flex-end" gap="xs">
        <TextInput label="Name" size="xs" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(upload.error, 'name')} data-testid="dataset-name" />
        <SegmentedControl size="xs" value={format} onChange={(v) => setFormat(v as 'jsonl' | 'sharegpt')} data={[{ value: 'jsonl', label: 'JSONL' }, { value: 'sharegpt', label: 'ShareGPT JSON' }]} />
        <FileInput size="xs" w={240} label="File" placeholder="choose a .jsonl or .json file" value={file} onChange={setFile} clearable accept=".jsonl,.json,.txt,application/json" data-testid="dataset-file" />
      </Group>
      {!file && (
        <Textarea
          size="xs"
          label="…or paste it"
          placeholder={'{"prompt": "Explain KV caching.", "output_len": 128}'}
          autosize
          minRows={2}
          maxRows={8}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={fieldError(upload.error, 'content')}
          data-testid="dataset-text"
        />
      )}
      <ErrorAlert error={upload.error} fields={['name', 'content']} />
      <Group justify="flex-end">
        <Button size="xs" variant="light" loading={upload.isPending} onClick={() => upload.mutate()} data-testid="dataset-submit">
          Upload
        </Button>
      </Group>
    </Stack>
  );
}
