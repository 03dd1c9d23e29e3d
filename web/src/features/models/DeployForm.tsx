/**
 * Deploy a model: the config fields (model, GPU type and count, tensor parallel, max model len, max num seqs, extra
 * flags) or a values file from a vLLM project, then a placement preview (POST /placement/preview decides nothing)
 * before anything starts; Deploy is offered for the previewed input only.
 */
import { Alert, Badge, Button, Group, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { manager, unwrapAs, vllm } from '../../api/client';
import type { ProjectView } from '../../api/views';
import { useDenied } from '../../auth/session';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { projectsApi } from '../projects/api';
import { decisionSummary, EMPTY_FORM, toConfig, type DeployFormValues } from './config';

interface Decision {
  action: string;
  node?: string | null;
  reason: string;
  deployment_id?: string;
  evict?: string[];
  blocking?: string[];
}
interface PreviewAnswer {
  decision: Decision;
  resources: Record<string, number>;
  warnings: string[];
}
export interface DeployAnswer {
  deployment_id: string;
  deployment_name: string;
  status: string;
  reused: boolean;
  placement: Decision;
  warnings: string[];
  message: string;
}
interface NodeDevices {
  hostname: string;
  devices: { name: string; type: string; resource_name: string; available_count: number; total_count: number }[];
}

const FIELDS = ['model_name', 'served_model_name', 'gpu_resource_type', 'gpu_resource_count', 'tensor_parallel_size', 'max_model_len', 'max_num_seqs', 'additional_args', 'values_file_id', 'cluster_id'];

export function DeployForm({ onDeployed }: { onDeployed: (d: DeployAnswer) => void }) {
  const denied = useDenied('operator');
  const [form, setForm] = useState<DeployFormValues>(EMPTY_FORM);
  const [source, setSource] = useState<'form' | 'values'>('form');
  const [clusterId, setClusterId] = useState('local');
  const [projectId, setProjectId] = useState<string | null>(null);
  const [fileId, setFileId] = useState<string | null>(null);
  const [argsError, setArgsError] = useState<string | null>(null);
  const [previewedKey, setPreviewedKey] = useState<string | null>(null);
  const set = <K extends keyof DeployFormValues>(k: K, v: DeployFormValues[K]) => setForm((f) => ({ ...f, [k]: v }));

  const clusters = useQuery({ queryKey: ['clusters'], queryFn: () => unwrapAs<{ id: string; name: string }[]>(vllm.GET('/clusters')) });
  const nodes = useQuery({ queryKey: ['clusters', clusterId, 'nodes'], queryFn: () => unwrapAs<NodeDevices[]>(vllm.GET('/clusters/{id}/nodes', { params: { path: { id: clusterId } } })), refetchInterval: 10_000 });
  const projects = useQuery({ queryKey: ['projects', 'vllm'], queryFn: async () => (await unwrapAs<ProjectView[]>(manager.GET('/projects', { params: { query: { limit: 200 } } }))).filter((p) => p.project_type === 'vllm'), enabled: source === 'values' });
  const files = useQuery({ queryKey: ['projects', projectId, 'files'], queryFn: () => projectsApi.files(projectId!), enabled: !!projectId });
  const valuesFiles = (files.data?.items ?? []).filter((f) => f.file_type === 'vllm');

  // GPU types the cluster offers (resource names of its accelerators), with what is free now
  const gpuTypes = useMemo(() => {
    const m = new Map<string, { label: string; free: number; total: number }>();
    for (const n of nodes.data ?? []) {
      for (const d of n.devices) {
        if (d.type !== 'gpu') continue;
        const e = m.get(d.resource_name) ?? { label: d.name, free: 0, total: 0 };
        e.free += d.available_count;
        e.total += d.total_count;
        m.set(d.resource_name, e);
      }
    }
    return [...[...m.entries()].map(([value, e]) => ({ value, label: `${value} — ${e.label} (${e.free} of ${e.total} free)` })), { value: 'cpu', label: 'cpu — no accelerator' }];
  }, [nodes.data]);

  const request = async () => {
    if (source === 'values') {
      if (!projectId || !fileId) throw new Error('Pick a vLLM project and one of its values files');
      const f = await projectsApi.file(projectId, fileId);
      return { preview: { custom_values_content: f.file.content }, deploy: { project_id: projectId, values_file_id: fileId } };
    }
    let config;
    try {
      config = toConfig(form);
      setArgsError(null);
    } catch (e) {
      setArgsError((e as Error).message);
      throw e;
    }
    return { preview: { config }, deploy: { config } };
  };
  const key = JSON.stringify([source, form, clusterId, projectId, fileId]);
  const preview = useMutation({
    mutationFn: async () => {
      const r = await request();
      return unwrapAs<PreviewAnswer>(vllm.POST('/placement/preview', { body: { ...r.preview, cluster_id: clusterId } as any }));
    },
    onSuccess: () => setPreviewedKey(key),
  });
  const deploy = useMutation({
    mutationFn: async () => {
      const r = await request();
      return unwrapAs<DeployAnswer>(vllm.POST('/deploy', { body: { ...r.deploy, cluster_id: clusterId } as any }));
    },
    onSuccess: (d) => {
      // the preview is spent: the next deploy previews again
      setPreviewedKey(null);
      preview.reset();
      onDeployed(d);
    },
  });
  const err = preview.error ?? deploy.error;
  const fe = (f: string) => fieldError(err, f);
  const current = previewedKey === key ? preview.data : undefined;
  const placeable = current && (current.decision.action === 'place' || current.decision.action === 'reuse' || current.decision.action === 'evict');

  return (
    <Stack data-testid="deploy-form">
      <Group>
        <Select label="Cluster" data={(clusters.data ?? []).map((c) => ({ value: c.id, label: c.name }))} value={clusterId} onChange={(v) => v && setClusterId(v)} w={200} error={fe('cluster_id')} />
        <SegmentedControl
          mt={24}
          value={source}
          onChange={(v) => setSource(v as 'form' | 'values')}
          data={[
            { label: 'Settings', value: 'form' },
            { label: 'Values file from a vLLM project', value: 'values' },
          ]}
          data-testid="form-source"
        />
      </Group>
      {source === 'form' ? (
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label="Model" value={form.model_name} onChange={(e) => set('model_name', e.currentTarget.value)} error={fe('model_name')} data-testid="form-model" />
          <TextInput label="Served name" placeholder="the model name" value={form.served_model_name} onChange={(e) => set('served_model_name', e.currentTarget.value)} error={fe('served_model_name')} data-testid="form-served" />
          <Select label="GPU type" data={gpuTypes} value={form.gpu_resource_type} onChange={(v) => v && set('gpu_resource_type', v)} error={fe('gpu_resource_type')} data-testid="form-gpu-type" allowDeselect={false} />
          <NumberInput label="GPU count" min={0} max={64} value={form.gpu_resource_count} onChange={(v) => set('gpu_resource_count', Number(v) || 0)} error={fe('gpu_resource_count')} disabled={form.gpu_resource_type === 'cpu'} data-testid="form-gpu-count" />
          <NumberInput label="Tensor parallel" min={1} max={64} value={form.tensor_parallel_size} onChange={(v) => set('tensor_parallel_size', Number(v) || 1)} error={fe('tensor_parallel_size')} data-testid="form-tp" />
          <NumberInput label="Max model len" min={16} value={form.max_model_len} onChange={(v) => set('max_model_len', v === '' ? '' : Number(v))} error={fe('max_model_len')} data-testid="form-max-len" />
          <NumberInput label="Max num seqs" min={1} value={form.max_num_seqs} onChange={(v) => set('max_num_seqs', v === '' ? '' : Number(v))} error={fe('max_num_seqs')} data-testid="form-max-seqs" />
          <TextInput
            label="Extra arguments"
            placeholder="--enable-prefix-caching --swap-space 8"
            value={form.extra_args}
            onChange={(e) => set('extra_args', e.currentTarget.value)}
            error={argsError ?? fe('additional_args')}
            style={{ gridColumn: 'span 2' }}
            data-testid="form-extra-args"
          />
        </SimpleGrid>
      ) : (
        <Group grow>
          <Select label="vLLM project" data={(projects.data ?? []).map((p) => ({ value: p.project_id, label: p.name }))} value={projectId} onChange={(v) => (setProjectId(v), setFileId(null))} placeholder={projects.data?.length === 0 ? 'no vLLM project yet' : 'Pick a project'} data-testid="form-values-project" />
          <Select label="Values file" data={valuesFiles.map((f) => ({ value: f.file_id, label: `${f.file_path}${f.source === 'modified' ? ' (modified)' : ''}` }))} value={fileId} onChange={setFileId} error={fe('values_file_id')} disabled={!projectId} data-testid="form-values-file" />
        </Group>
      )}
      <Group>
        <Button variant="light" onClick={() => preview.mutate()} loading={preview.isPending} data-testid="form-preview">
          Preview placement
        </Button>
        <Button color="teal" onClick={() => deploy.mutate()} loading={deploy.isPending} disabled={!placeable || !!denied} title={denied ?? (!current ? 'Preview the placement first' : undefined)} data-testid="form-deploy">
          Deploy
        </Button>
        {denied && <Text size="xs" c="orange">{denied}</Text>}
      </Group>
      <ErrorAlert error={err} fields={FIELDS} />
      {preview.data && previewedKey !== key && <Text size="sm" c="dimmed">The settings changed since the preview: preview again.</Text>}
      {current && (
        <Alert color={placeable ? 'teal' : 'orange'} title="Placement preview (nothing started yet)" data-testid="placement-preview" data-action={current.decision.action}>
          <Stack gap={4}>
            <Group gap="xs">
              <Badge data-testid="preview-action">{current.decision.action}</Badge>
              <Text size="sm" fw={600} data-testid="preview-summary">
                {decisionSummary(current.decision)}
              </Text>
            </Group>
            <Text size="sm" data-testid="preview-reason">
              {current.decision.reason}
            </Text>
            <Text size="xs" c="dimmed" data-testid="preview-resources">
              Needs {Object.entries(current.resources).map(([k, v]) => `${k}=${v}`).join(', ') || 'no accelerator'}
            </Text>
            {current.warnings.map((w) => (
              <Text key={w} size="xs" c="orange">
                {w}
              </Text>
            ))}
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}

