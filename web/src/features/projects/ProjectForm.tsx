/**
 * Create or edit a project: any git URL (or a GitHub repository with a token). The token is write-only: the field
 * starts empty, saying whether one is stored, and an empty field keeps it. A 422's field message sits at its input.
 */
import { Button, Checkbox, Group, Modal, NumberInput, PasswordInput, SegmentedControl, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ProjectView } from '../../api/views';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { projectsApi, type ProjectInput } from './api';

const FIELDS = ['clear_github_token', 'name', 'project_type', 'repository_url', 'github_repo_url', 'branch', 'github_token', 'config_path', 'config_folder', 'job_path', 'job_folder', 'polling_interval'];

function initial(p?: ProjectView): ProjectInput {
  return {
    name: p?.name ?? '',
    project_type: p?.project_type ?? 'benchmark',
    repository_url: p?.repository_url ?? '',
    branch: p?.branch ?? '',
    github_token: '',
    config_path: p?.config_path ?? 'config',
    job_path: p?.job_path ?? 'job',
    polling_interval: p?.polling_interval ?? 0,
  };
}

export function ProjectForm({ project, opened, onClose }: { project?: ProjectView; opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const [v, setV] = useState<ProjectInput>(() => initial(project));
  const save = useMutation({
    mutationFn: () => (project ? projectsApi.update(project.project_id, v) : projectsApi.create(v)),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['projects'] });
      onClose();
    },
  });
  const set = <K extends keyof ProjectInput>(k: K, value: ProjectInput[K]) => setV((o) => ({ ...o, [k]: value }));
  const err = (k: string, alias?: string) => fieldError(save.error, k) ?? (alias ? fieldError(save.error, alias) : undefined);
  return (
    <Modal opened={opened} onClose={onClose} title={project ? `Edit ${project.name}` : 'New project'} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          <TextInput label="Name" required value={v.name} onChange={(e) => set('name', e.currentTarget.value)} error={err('name')} data-autofocus />
          <SegmentedControl
            value={v.project_type}
            onChange={(t) => set('project_type', t as ProjectInput['project_type'])}
            data={[
              { label: 'Benchmark configs and jobs', value: 'benchmark' },
              { label: 'vLLM values', value: 'vllm' },
            ]}
          />
          <TextInput
            label="Repository"
            description="Any git URL (https://, ssh://, git@host:path, file:// for admins) or a GitHub repository URL"
            placeholder="https://github.com/org/benchmarks"
            value={v.repository_url}
            onChange={(e) => set('repository_url', e.currentTarget.value)}
            error={err('repository_url', 'github_repo_url')}
          />
          <Group grow>
            <TextInput label="Branch" placeholder="the default branch" value={v.branch} onChange={(e) => set('branch', e.currentTarget.value)} error={err('branch')} />
            <NumberInput label="Poll every (s)" description="0 = sync by hand" min={0} value={v.polling_interval} onChange={(n) => set('polling_interval', Number(n) || 0)} error={err('polling_interval')} />
          </Group>
          <PasswordInput
            label="Access token"
            description={project?.has_github_token ? 'A token is stored. Leave empty to keep it; it is never shown again.' : 'Optional; stored encrypted and never shown again.'}
            placeholder={project?.has_github_token ? '•••••••• (stored)' : ''}
            autoComplete="new-password"
            value={v.github_token}
            onChange={(e) => set('github_token', e.currentTarget.value)}
            error={err('github_token')}
          />
          {project?.has_github_token && (
            <Checkbox
              label="Remove the stored token"
              checked={!!v.clear_github_token}
              disabled={!!v.github_token}
              onChange={(e) => set('clear_github_token', e.currentTarget.checked)}
            />
          )}
          <Group grow>
            <TextInput label="Config folder" value={v.config_path} onChange={(e) => set('config_path', e.currentTarget.value)} error={err('config_path', 'config_folder')} />
            <TextInput label="Job folder" value={v.job_path} onChange={(e) => set('job_path', e.currentTarget.value)} error={err('job_path', 'job_folder')} />
          </Group>
          <ErrorAlert error={save.error} fields={FIELDS} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              {project ? 'Save' : 'Create'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
