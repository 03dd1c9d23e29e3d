/**
 * Step 8: Simulate (the prediction in seconds, drawn like a measured result) or Run on cluster (the stages and the
 * queue item's step progress, then the result). Once a simulated workflow has run, prediction and measurement sit
 * side by side.
 */
import { Alert, Anchor, Badge, Button, Card, Group, Progress, Stack, Stepper, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ErrorAlert } from '../../../shell/ErrorDisplay';
import { Guarded } from '../../../shell/Guarded';
import { StepProgressBar } from '../../queue/StepProgressBar';
import type { QueueItem } from '../../queue/model';
import { wizardApi } from '../api';
import { RUN_STAGES, stageProgress, stepBody, type RunView } from '../model';
import { PredictionView, SideBySide } from '../Prediction';
import type { StepProps } from './types';

function RunProgress({ run, onCancel, cancelling }: { run: RunView; onCancel: () => void; cancelling: boolean }) {
  const p = stageProgress(run.stage, run.status);
  const q = run.progress?.queue;
  const active = run.status === 'running' || run.status === 'cancelling';
  return (
    <Card withBorder data-testid="run-progress" data-status={run.status} data-stage={run.stage}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Group gap="xs">
            <Text fw={600}>Run on cluster</Text>
            <Badge color={run.status === 'completed' ? 'teal' : run.status === 'failed' ? 'red' : active ? 'blue' : 'gray'} variant="light" data-testid="run-status">
              {run.status}
            </Badge>
            <Text size="sm" c="dimmed" data-testid="run-stage">
              {p.label}
            </Text>
          </Group>
          {active && (
            <Guarded role="operator">
              <Button size="xs" variant="light" color="orange" onClick={onCancel} loading={cancelling} disabled={run.status === 'cancelling'}>
                Cancel
              </Button>
            </Guarded>
          )}
        </Group>
        <Stepper active={run.status === 'completed' ? RUN_STAGES.length : p.index} size="xs" iconSize={22}>
          {RUN_STAGES.filter((s) => s !== 'completed').map((s) => (
            <Stepper.Step key={s} label={s.replace(/_/g, ' ')} loading={active && run.stage === s} color={run.status === 'failed' && run.stage === s ? 'red' : undefined} />
          ))}
        </Stepper>
        <Progress value={p.percent} color={run.status === 'failed' ? 'red' : 'blue'} striped={active} animated={active} aria-label={`stage ${p.label}`} data-testid="run-stage-bar" />
        {q && (
          <Stack gap={2}>
            <Group gap="xs">
              <Text size="xs" c="dimmed">
                Deployment through the queue
              </Text>
              <Anchor component={Link} to={`/queue/${q.queue_request_id}`} size="xs" data-testid="run-queue-link">
                {q.queue_request_id.slice(0, 8)}
              </Anchor>
              {q.placement && (
                <Text size="xs" c="dimmed">
                  placement: {q.placement.action} — {q.placement.reason}
                </Text>
              )}
            </Group>
            <StepProgressBar item={{ ...q, benchmark_configs: [{}] } as unknown as QueueItem} size="sm" />
          </Stack>
        )}
        {run.progress?.job && (
          <Text size="xs" c="dimmed">
            benchmark job: {run.progress.job.status}
            {run.progress.job.message ? ` (${run.progress.job.message})` : ''}
          </Text>
        )}
        {run.error && (
          <Alert color="red" title={`Failed while ${run.error.stage.replace(/_/g, ' ')}`} data-testid="run-error">
            {run.error.message}
          </Alert>
        )}
        {run.status === 'completed' && run.result_pk && (
          <Group gap="xs">
            <Text size="sm">Measured result:</Text>
            <Anchor component={Link} to={`/results/${encodeURIComponent(run.result_pk)}`} data-testid="run-result-link">
              {run.result_pk}
            </Anchor>
            {run.wall_time_s !== null && <Text size="sm" c="dimmed">in {run.wall_time_s} s</Text>}
          </Group>
        )}
      </Stack>
    </Card>
  );
}

export function ExecuteStep({ workflow, submit, pending, error }: StepProps) {
  const trig = workflow.trigger;
  const sim = workflow.latest_simulation;
  const run = workflow.latest_run;
  const busy = run?.status === 'running' || run?.status === 'cancelling';
  const cancel = useMutation({ mutationFn: () => wizardApi.cancel(workflow.workflow_id), onSettled: () => submit({ refresh: true }) });
  const go = (simulate: boolean) => submit(stepBody(workflow, 8, { run_as_simulation: simulate, trigger_workflow: true }));
  return (
    <Stack gap="md">
      {!trig.ready && (
        <Alert color="orange" title="Not ready" data-testid="wf-missing">
          {trig.missing.map((m) => `step ${m.step_number} (${m.name.replace(/_/g, ' ')}) is incomplete`).join('; ')}
        </Alert>
      )}
      <Group>
        <Guarded role="operator">
          <Button onClick={() => go(true)} loading={pending} disabled={!trig.ready || busy} color="grape" data-testid="wf-simulate">
            Simulate
          </Button>
        </Guarded>
        <Guarded role="operator">
          <Button onClick={() => go(false)} loading={pending} disabled={!trig.ready || busy} data-testid="wf-run">
            Run on cluster
          </Button>
        </Guarded>
        <Text size="sm" c="dimmed">
          Simulate predicts the run in virtual time on the chosen hardware and answers in seconds; Run on cluster deploys the model on the chosen node and benchmarks it.
        </Text>
      </Group>
      <ErrorAlert error={error ?? cancel.error} />
      {run && <RunProgress run={run} onCancel={() => cancel.mutate()} cancelling={cancel.isPending} />}
      {workflow.comparison && run?.status === 'completed' && <SideBySide comparison={workflow.comparison} />}
      {sim && (
        <Stack gap="sm">
          <Title order={4}>Prediction</Title>
          <PredictionView run={sim} />
        </Stack>
      )}
    </Stack>
  );
}
