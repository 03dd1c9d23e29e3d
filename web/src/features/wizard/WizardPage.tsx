/**
 * The seed 003 wizard: the eight steps of a performance benchmark as a stepper over the workflow API (one POST per
 * step; re-sending a step marks what depended on it incomplete again, which the stepper shows). `/workflows/new`
 * starts one; `/workflows/:id` continues it at its first open step, or shows its runs once it is ready.
 */
import { Anchor, Badge, Group, Stack, Stepper, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { wizardApi } from './api';
import { firstOpenStep, WIZARD_STEPS, type WorkflowView } from './model';
import { BasicInfoStep } from './steps/BasicInfoStep';
import { ClusterStep } from './steps/ClusterStep';
import { ConfirmStep } from './steps/ConfirmStep';
import { CredentialStep } from './steps/CredentialStep';
import { ExecuteStep } from './steps/ExecuteStep';
import { ModelStep } from './steps/ModelStep';
import { NodesStep } from './steps/NodesStep';
import { WorkloadStep } from './steps/WorkloadStep';
import { workflowStatusColor } from './WorkflowsPage';

const running = (w: WorkflowView | undefined) => w?.latest_run?.status === 'running' || w?.latest_run?.status === 'cancelling';

export function WizardPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const wf = useQuery({ queryKey: ['workflow', id], queryFn: () => wizardApi.get(id!), enabled: !!id, refetchInterval: (q) => (running(q.state.data) ? 1_500 : false) });
  const [picked, setActive] = useState<number | null>(null);
  const post = useMutation({
    mutationFn: (body: Record<string, unknown>) => wizardApi.step(body),
    onSuccess: (w, body) => {
      const step = Number(body.step_number);
      const { run: _run, warnings: _w, ...view } = w;
      qc.setQueryData(['workflow', w.workflow_id], view);
      void qc.invalidateQueries({ queryKey: ['workflows'] });
      if (!id) navigate(`/workflows/${w.workflow_id}`, { replace: true });
      if (step < 8) setActive(step);
    },
  });
  const w = wf.data;
  if (id && wf.isLoading) return <PageLoader label="Loading the workflow…" />;
  if (id && !w) return <ErrorAlert error={wf.error ?? new Error('not found')} onRetry={() => void wf.refetch()} />;
  // the stepper's index is the step number − 1
  const active = picked ?? (w ? firstOpenStep(w) - 1 : 0);
  const lastStep = Number((post.variables as Record<string, unknown> | undefined)?.step_number);
  const stepError = (n: number) => (lastStep === n ? post.error : null);
  const submit = (body: Record<string, unknown>) => {
    if (body.refresh) void qc.invalidateQueries({ queryKey: ['workflow', id] });
    else post.mutate(body);
  };
  const status = (n: number) => w?.steps.find((s) => s.step_number === n);
  const cloud = !!status(6)?.required;
  const props = (n: number) => ({ workflow: w!, submit, pending: post.isPending && lastStep === n, error: stepError(n) });
  const reachable = (n: number) => !!w && (n <= firstOpenStep(w) || status(n)?.status === 'complete' || n === 8);

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Anchor component={Link} to="/workflows" size="sm">
            ← Performance workflows
          </Anchor>
          <Group gap="xs">
            <Title order={2} data-testid="wf-title">
              {w?.name ?? 'New performance benchmark'}
            </Title>
            {w && (
              <Badge color={workflowStatusColor(w.status)} variant="light" data-testid="wf-status">
                {w.status}
              </Badge>
            )}
          </Group>
        </Stack>
      </Group>
      {(post.data?.warnings ?? []).map((x) => (
        <Text key={x} size="sm" c="orange" data-testid="wf-warning">
          {x}
        </Text>
      ))}
      <Stepper active={active} onStepClick={(i) => reachable(i + 1) && setActive(i)} size="sm" data-testid="wf-stepper" allowNextStepsSelect={false}>
        {WIZARD_STEPS.map(({ n, label, description }) => {
          const s = status(n);
          const state = !w ? (n === 1 ? 'to do' : '') : s?.status === 'complete' ? 'done' : s?.status === 'not_required' ? 'not needed' : n === 8 ? '' : s?.invalidated_by ? `to redo (step ${s.invalidated_by} changed)` : 'to do';
          return (
            <Stepper.Step
              key={n}
              label={label}
              description={state ? `${description} · ${state}` : description}
              allowStepSelect={reachable(n)}
              color={s?.invalidated_by && s.status !== 'complete' ? 'orange' : undefined}
              data-testid={`wf-step-${n}`}
              data-state={state}
            >
              <div data-testid="wf-step-body" data-step={n}>
                {n === 1 && <BasicInfoStep workflow={w ?? null} submit={submit} pending={post.isPending && lastStep === 1} error={stepError(1)} />}
                {w && n === 2 && <WorkloadStep key={w.state.eval_with} {...props(2)} />}
                {w && n === 3 && <ClusterStep {...props(3)} />}
                {w && n === 4 && (w.state.cluster_id ? <NodesStep key={w.state.cluster_id} {...props(4)} /> : <Text c="dimmed">Choose the cluster first (step 3).</Text>)}
                {w && n === 5 && <ModelStep {...props(5)} />}
                {w && n === 6 && <CredentialStep {...props(6)} cloud={cloud} onSkip={() => setActive(6)} />}
                {w && n === 7 && <ConfirmStep {...props(7)} />}
                {w && n === 8 && <ExecuteStep {...props(8)} />}
              </div>
            </Stepper.Step>
          );
        })}
      </Stepper>
    </Stack>
  );
}
