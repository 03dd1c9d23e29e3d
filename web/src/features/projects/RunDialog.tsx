/**
 * "Run" on a job file: pick its config (same benchmark type, originals and modified copies) and a running model (from
 * /v1/models; its deployment's endpoint is what the job gets) or type an endpoint, then `POST /run` and go to the
 * run's page. With the demo model running nothing needs typing.
 */
import { Button, Group, Modal, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { deployer, gateway, unwrap, unwrapAs, vllm } from '../../api/client';
import type { FileEntry, ModelEntry } from '../../api/views';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { projectsApi } from './api';
import { runName } from './run-name';

export function RunDialog({ projectId, job, onClose }: { projectId: string; job: FileEntry; onClose: () => void }) {
  const navigate = useNavigate();
  const files = useQuery({ queryKey: ['projects', projectId, 'files'], queryFn: () => projectsApi.files(projectId) });
  const models = useQuery({ queryKey: ['models'], queryFn: () => unwrapAs<{ data: ModelEntry[] }>(gateway.GET('/v1/models')), refetchInterval: 5_000 });
  const configs = useMemo(
    () => (files.data?.items ?? []).filter((f) => f.file_type === 'config' && f.benchmark_type === job.benchmark_type),
    [files.data, job.benchmark_type],
  );
  const [pickedConfig, setConfigId] = useState<string | null | undefined>(undefined);
  const [pickedTarget, setTarget] = useState<'model' | 'endpoint' | null>(null);
  const [pickedModel, setModelId] = useState<string | null>(null);
  const [endpoint, setEndpoint] = useState('');
  const [name, setName] = useState(() => runName(job.file_path));

  // defaults until the user picks: the first config, the first running model (the demo model on a first start)
  const configId = pickedConfig === undefined ? (configs[0]?.file_id ?? null) : pickedConfig;
  const modelId = pickedModel ?? models.data?.data[0]?.id ?? null;
  const target = pickedTarget ?? (models.data && models.data.data.length === 0 ? 'endpoint' : 'model');

  const run = useMutation({
    mutationFn: async () => {
      let url = endpoint.trim() || undefined;
      if (target === 'model') {
        const m = models.data?.data.find((x) => x.id === modelId);
        if (!m?.deployment_id) throw new Error('Pick a running model');
        const d = await unwrapAs<{ endpoint: string | null }>(vllm.GET('/deployments/{id}', { params: { path: { id: m.deployment_id } } }));
        if (!d.endpoint) throw new Error(`The deployment of ${m.id} has no endpoint yet`);
        url = d.endpoint;
      }
      return unwrap(
        deployer.POST('/run', {
          body: { project_id: projectId, benchmark_type: job.benchmark_type, name, job_file_id: job.file_id, ...(configId ? { config_file_id: configId } : {}), ...(url ? { vllm_model_endpoint: url } : {}) },
        }),
      );
    },
    onSuccess: (r) => navigate(`/runs/${encodeURIComponent(r.resource_name)}?ns=${encodeURIComponent(r.namespace)}&id=${encodeURIComponent(r.deployment_id)}`),
  });

  return (
    <Modal opened onClose={onClose} title={`Run ${job.file_name}`} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate();
        }}
      >
        <Stack>
          <TextInput label="Run name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(run.error, 'name')} />
          <Select
            label="Config"
            description={`Mounted at /app/configs/eval_config.json (configs of ${job.benchmark_type})`}
            data={configs.map((c) => ({ value: c.file_id, label: `${c.file_path}${c.source === 'modified' ? ' (modified)' : ''}` }))}
            value={configId}
            onChange={setConfigId}
            clearable
            placeholder={configs.length ? 'Pick a config' : 'no config of this benchmark type'}
            error={fieldError(run.error, 'config_file_id')}
            data-testid="run-config"
          />
          <SegmentedControl
            value={target}
            onChange={(v) => setTarget(v as 'model' | 'endpoint')}
            data={[
              { label: 'A running model', value: 'model', disabled: !models.data?.data.length },
              { label: 'An endpoint', value: 'endpoint' },
            ]}
          />
          {target === 'model' ? (
            <Select
              label="Model"
              data={(models.data?.data ?? []).map((m) => ({ value: m.id, label: m.id }))}
              value={modelId}
              onChange={setModelId}
              data-testid="run-model"
            />
          ) : (
            <TextInput
              label="Model endpoint"
              description="An OpenAI-compatible URL: http://host:8000, …/v1 or …/v1/completions"
              placeholder="http://vllm:8000/v1/completions"
              value={endpoint}
              onChange={(e) => setEndpoint(e.currentTarget.value)}
              error={fieldError(run.error, 'vllm_model_endpoint')}
            />
          )}
          {models.data?.data.length === 0 && (
            <Text size="xs" c="dimmed">
              No model is running: type an endpoint, or deploy one first.
            </Text>
          )}
          <ErrorAlert error={run.error ?? files.error ?? models.error} fields={['name', 'config_file_id', 'vllm_model_endpoint']} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color="teal" loading={run.isPending} data-testid="run-submit">
              Run
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
