/** Picks a project's job file and the config it runs with (same benchmark type), for the queue and evaluation forms. */
import { Button, Group, Select, SimpleGrid, Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { projectsApi } from '../projects/api';
import type { JobChoice } from './model';

/** `onAdd` receives the choice; `addLabel` names the button; `preferJob` picks the default job file by path. */
export function JobPicker({ onAdd, addLabel = 'Add benchmark job', preferJob }: { onAdd: (j: JobChoice) => void; addLabel?: string; preferJob?: RegExp }) {
  const projects = useQuery({ queryKey: ['projects'], queryFn: projectsApi.list });
  const [projectId, setProjectId] = useState<string | null>(null);
  const pid = projectId ?? projects.data?.items.find((p) => p.project_type === 'benchmark')?.project_id ?? null;
  const files = useQuery({ queryKey: ['projects', pid, 'files'], queryFn: () => projectsApi.files(pid!), enabled: !!pid });
  const jobs = useMemo(() => (files.data?.items ?? []).filter((f) => f.file_type === 'job'), [files.data]);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = jobs.find((f) => f.file_id === jobId) ?? (preferJob ? jobs.find((f) => preferJob.test(f.file_path)) : undefined) ?? jobs[0];
  const configs = useMemo(() => (files.data?.items ?? []).filter((f) => f.file_type === 'config' && f.benchmark_type === job?.benchmark_type), [files.data, job]);
  const [configId, setConfigId] = useState<string | null | undefined>(undefined);
  const cid = configId === undefined ? (configs[0]?.file_id ?? null) : configId;
  return (
    <Stack gap="xs">
      <ErrorAlert error={projects.error ?? files.error} />
      <SimpleGrid cols={3}>
        <Select
          label="Project"
          size="xs"
          data={(projects.data?.items ?? []).map((p) => ({ value: p.project_id, label: p.name }))}
          value={pid}
          onChange={(v) => {
            setProjectId(v);
            setJobId(null);
            setConfigId(undefined);
          }}
          allowDeselect={false}
          data-testid="job-project"
        />
        <Select
          label="Job file"
          size="xs"
          data={jobs.map((f) => ({ value: f.file_id, label: `${f.file_path}${f.source === 'modified' ? ' (modified)' : ''}` }))}
          value={job?.file_id ?? null}
          onChange={(v) => {
            setJobId(v);
            setConfigId(undefined);
          }}
          allowDeselect={false}
          data-testid="job-file"
        />
        <Select
          label="Config"
          size="xs"
          clearable
          allowDeselect={false}
          data={configs.map((f) => ({ value: f.file_id, label: `${f.file_path}${f.source === 'modified' ? ' (modified)' : ''}` }))}
          value={cid}
          onChange={(v) => setConfigId(v)}
          data-testid="job-config"
        />
      </SimpleGrid>
      <Group justify="flex-end">
        <Button
          size="xs"
          variant="light"
          disabled={!pid || !job}
          onClick={() => job && pid && onAdd({ project_id: pid, job_file_id: job.file_id, config_file_id: cid, benchmark_type: job.benchmark_type, name: job.file_name.replace(/\.ya?ml$/, '') })}
          data-testid="add-job"
        >
          {addLabel}
        </Button>
      </Group>
    </Stack>
  );
}

