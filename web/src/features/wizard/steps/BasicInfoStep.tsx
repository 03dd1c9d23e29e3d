/** Step 1: name, tags, description, concurrent requests, number of requests, evaluation method. Creates the workflow, or re-sends step 1. */
import { Button, Group, NumberInput, SegmentedControl, SimpleGrid, Stack, TagsInput, Text, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { fieldError } from '../../../shell/ErrorDisplay';
import type { EvalWith, WorkflowView } from '../model';
import type { StepProps } from './types';

export function BasicInfoStep({ workflow, submit, pending, error }: Omit<StepProps, 'workflow'> & { workflow: WorkflowView | null }) {
  const st = workflow?.state;
  const [name, setName] = useState(st?.name ?? '');
  const [tags, setTags] = useState<string[]>((st?.tags ?? []).map((t) => (typeof t === 'string' ? t : String((t as { name?: string }).name ?? ''))));
  const [description, setDescription] = useState(st?.description ?? '');
  const [concurrent, setConcurrent] = useState<number | string>(st?.concurrent_requests ?? 50);
  const [numPrompts, setNumPrompts] = useState<number | string>(st?.num_prompts ?? '');
  const [evalWith, setEvalWith] = useState<EvalWith>(st?.eval_with ?? 'configuration');
  const e = (f: string) => fieldError(error, f);
  return (
    <form
      onSubmit={(ev) => {
        ev.preventDefault();
        submit({
          name: name.trim(),
          tags,
          description,
          concurrent_requests: typeof concurrent === 'number' ? concurrent : Number(concurrent),
          eval_with: evalWith,
          ...(typeof numPrompts === 'number' ? { num_prompts: numPrompts } : {}),
          step_number: 1,
          trigger_workflow: false,
          ...(workflow ? { workflow_id: workflow.workflow_id } : { workflow_total_steps: 9 }),
        });
      }}
    >
      <Stack gap="sm" maw={720}>
        <SimpleGrid cols={2}>
          <TextInput label="Name" required value={name} onChange={(ev) => setName(ev.currentTarget.value)} error={e('name')} data-testid="wf-name" />
          <TagsInput label="Tags" value={tags} onChange={setTags} error={e('tags')} placeholder="Enter to add" />
        </SimpleGrid>
        <Textarea label="Description" value={description} onChange={(ev) => setDescription(ev.currentTarget.value)} error={e('description')} autosize minRows={2} />
        <SimpleGrid cols={2}>
          <NumberInput label="Concurrent requests" required min={1} max={10_000} value={concurrent} onChange={setConcurrent} error={e('concurrent_requests')} data-testid="wf-concurrency" />
          <NumberInput label="Requests to send" description="default 1000" min={1} max={20_000} value={numPrompts} onChange={setNumPrompts} error={e('num_prompts')} data-testid="wf-num-prompts" />
        </SimpleGrid>
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Evaluate with
          </Text>
          <SegmentedControl
            w="fit-content"
            value={evalWith}
            onChange={(v) => setEvalWith(v as EvalWith)}
            data={[
              { value: 'configuration', label: 'Token limits (configuration)' },
              { value: 'dataset', label: 'Datasets' },
            ]}
            data-testid="wf-eval-with"
          />
          {e('eval_with') && <Text size="xs" c="red">{e('eval_with')}</Text>}
          {workflow && evalWith !== workflow.state.eval_with && (
            <Text size="xs" c="orange">
              Changing the method clears the workload step (token limits or datasets).
            </Text>
          )}
        </Stack>
        <Group justify="flex-end">
          <Button type="submit" loading={pending} data-testid="step-next">
            {workflow ? 'Save and continue' : 'Create and continue'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
