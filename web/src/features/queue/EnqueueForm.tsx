/**
 * Enqueue "deploy a vLLM server, then run these benchmark jobs against it": the model's config, where (cluster), how
 * urgent (priority), when (now or at a time, and how long it may wait for GPUs), and the jobs (a project's job file
 * with its config). A 422 lands on the field it names.
 */
import { ActionIcon, Button, Checkbox, Divider, Group, Modal, NumberInput, Select, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { queueApi } from './api';
import { JobPicker } from './JobPicker';
import { enqueueBody, PRIORITIES, type EnqueueForm as Form, type Priority, type QueueItem } from './model';

const GPU_TYPES = ['cpu', 'nvidia.com/gpu', 'amd.com/gpu', 'nvidia.com/mig-1g.10gb', 'nvidia.com/mig-3g.40gb'];

const INITIAL: Form = {
  model_name: 'Qwen/Qwen3-0.6B',
  served_model_name: '',
  gpu_resource_type: 'nvidia.com/gpu',
  gpu_resource_count: 1,
  tensor_parallel_size: 1,
  max_model_len: 4096,
  max_num_seqs: null,
  cluster_id: 'local',
  priority: 'medium',
  scheduled_time: '',
  max_wait_time: 3600,
  keep_deployment: false,
  allow_eviction: false,
  jobs: [],
};

export function EnqueueForm({ onClose, onQueued }: { onClose: () => void; onQueued: (item: QueueItem) => void }) {
  const qc = useQueryClient();
  const [f, setF] = useState<Form>(INITIAL);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((x) => ({ ...x, [k]: v }));
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: queueApi.clusters });
  const enqueue = useMutation({
    mutationFn: () => queueApi.enqueue(enqueueBody(f)),
    onSuccess: async (item) => {
      await qc.invalidateQueries({ queryKey: ['queue'] });
      onQueued(item);
    },
  });
  const e = (field: string) => fieldError(enqueue.error, field);
  const fields = ['model_name', 'served_model_name', 'gpu_resource_type', 'gpu_resource_count', 'tensor_parallel_size', 'max_model_len', 'max_num_seqs', 'cluster_id', 'priority', 'scheduled_time', 'max_wait_time'];
  return (
    <Modal opened onClose={onClose} title="Queue a deployment and its benchmarks" size="xl">
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          enqueue.mutate();
        }}
      >
        <Stack gap="sm">
          <Text size="sm" fw={600}>
            vLLM server
          </Text>
          <SimpleGrid cols={2}>
            <TextInput label="Model" required value={f.model_name} onChange={(ev) => set('model_name', ev.currentTarget.value)} error={e('model_name')} data-testid="enqueue-model" />
            <TextInput label="Served model name" placeholder="the model's name" value={f.served_model_name} onChange={(ev) => set('served_model_name', ev.currentTarget.value)} error={e('served_model_name')} />
            <Select label="GPU resource" data={GPU_TYPES} value={f.gpu_resource_type} onChange={(v) => v && set('gpu_resource_type', v)} error={e('gpu_resource_type')} searchable allowDeselect={false} />
            <NumberInput label="GPU count" min={0} max={64} disabled={f.gpu_resource_type === 'cpu'} value={f.gpu_resource_type === 'cpu' ? 0 : f.gpu_resource_count} onChange={(v) => set('gpu_resource_count', Number(v) || 0)} error={e('gpu_resource_count')} />
            <NumberInput label="Tensor parallel" min={1} max={64} value={f.tensor_parallel_size} onChange={(v) => set('tensor_parallel_size', Number(v) || 1)} error={e('tensor_parallel_size')} />
            <NumberInput label="Max model len" min={16} value={f.max_model_len ?? ''} onChange={(v) => set('max_model_len', typeof v === 'number' ? v : null)} error={e('max_model_len')} />
          </SimpleGrid>
          <Divider />
          <SimpleGrid cols={3}>
            <Select label="Cluster" data={(clusters.data ?? [{ id: 'local', name: 'local' }]).map((c) => ({ value: c.id, label: c.name }))} value={f.cluster_id} onChange={(v) => v && set('cluster_id', v)} error={e('cluster_id')} allowDeselect={false} />
            <Select label="Priority" data={[...PRIORITIES]} value={f.priority} onChange={(v) => v && set('priority', v as Priority)} error={e('priority')} allowDeselect={false} data-testid="enqueue-priority" />
            <NumberInput label="Max wait for GPUs (s)" min={0} value={f.max_wait_time} onChange={(v) => set('max_wait_time', Number(v) || 0)} error={e('max_wait_time')} />
          </SimpleGrid>
          <Group align="flex-end">
            <TextInput type="datetime-local" label="Start at (empty: as soon as possible)" value={f.scheduled_time} onChange={(ev) => set('scheduled_time', ev.currentTarget.value)} error={e('scheduled_time')} w={260} />
            <Checkbox label="Keep the deployment after the jobs" checked={f.keep_deployment} onChange={(ev) => set('keep_deployment', ev.currentTarget.checked)} />
            <Checkbox label="May evict lower-priority deployments" checked={f.allow_eviction} onChange={(ev) => set('allow_eviction', ev.currentTarget.checked)} />
          </Group>
          <Divider />
          <Text size="sm" fw={600}>
            Benchmark jobs ({f.jobs.length}) — run one after the other against the deployment
          </Text>
          {f.jobs.length > 0 && (
            <Table withTableBorder data-testid="enqueue-jobs">
              <Table.Tbody>
                {f.jobs.map((j, i) => (
                  <Table.Tr key={`${j.job_file_id}-${i}`}>
                    <Table.Td>{i + 1}.</Table.Td>
                    <Table.Td>{j.name}</Table.Td>
                    <Table.Td>{j.benchmark_type}</Table.Td>
                    <Table.Td w={40}>
                      <ActionIcon variant="subtle" color="red" aria-label={`remove job ${i + 1}`} onClick={() => set('jobs', f.jobs.filter((_, k) => k !== i))}>
                        ×
                      </ActionIcon>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <JobPicker onAdd={(j) => set('jobs', [...f.jobs, j])} />
          {enqueue.data?.warnings?.length ? <Text size="sm" c="orange">{enqueue.data.warnings.join('; ')}</Text> : null}
          <ErrorAlert error={enqueue.error} fields={fields} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" loading={enqueue.isPending} data-testid="enqueue-submit">
              Queue
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
