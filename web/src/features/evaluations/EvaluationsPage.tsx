/**
 * Evaluations (seed 002's evaluation service): the evaluations newest first with their status, model, engine,
 * schedule and results; start one; and the cron schedules (next run, last run, how often fired, paused) with create
 * (and its preview), pause / resume, delete. Polls while anything is in flight.
 */
import { Anchor, Badge, Button, Group, Pagination, SegmentedControl, Stack, Table, Tabs, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime, short } from '../../shell/format';
import { evalApi } from './api';
import { EvaluateForm } from './EvaluateForm';
import { evalStatusColor, FINAL, runWords, type EvaluationStatus, type ScheduleView } from './model';
import { ScheduleForm } from './ScheduleForm';

const PAGE = 25;
const STATUSES = ['all', 'waiting', 'submitted', 'running', 'completed', 'failed', 'cancelled'] as const;

function EvaluationsTable() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const status = (STATUSES as readonly string[]).includes(params.get('status') ?? '') ? params.get('status')! : 'all';
  const schedule = params.get('schedule') ?? undefined;
  const [page, setPage] = useState(1);
  const [starting, setStarting] = useState(false);
  const list = useQuery({
    queryKey: ['evaluations', status, schedule, page],
    queryFn: () => evalApi.list({ limit: PAGE, offset: (page - 1) * PAGE, ...(status !== 'all' ? { status: status as EvaluationStatus } : {}), ...(schedule ? { schedule_id: schedule } : {}) }),
    refetchInterval: (q) => (q.state.data?.items.some((e) => !FINAL.includes(e.status)) ? 2_000 : 15_000),
  });
  const set = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v === null) next.delete(k);
    else next.set(k, v);
    setParams(next, { replace: true });
    setPage(1);
  };
  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl data={[...STATUSES]} value={status} onChange={(v) => set('status', v === 'all' ? null : v)} data-testid="eval-filter" />
        <Guarded role="operator">
          <Button onClick={() => setStarting(true)} data-testid="eval-start">
            Start evaluation
          </Button>
        </Guarded>
      </Group>
      {schedule && (
        <Group gap="xs">
          <Badge variant="light">schedule {short(schedule)}</Badge>
          <Anchor size="sm" onClick={() => set('schedule', null)}>
            show all
          </Anchor>
        </Group>
      )}
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      {list.isLoading && <PageLoader />}
      {list.data?.items.length === 0 && <Text c="dimmed">No evaluation{status !== 'all' ? ` ${status}` : ''} yet.</Text>}
      {!!list.data?.items.length && (
        <Table striped highlightOnHover data-testid="eval-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Evaluation</Table.Th>
              <Table.Th>Model</Table.Th>
              <Table.Th>Engine</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Results</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.items.map((e) => (
              <Table.Tr key={e.id} data-testid="eval-row" data-id={e.id} data-schedule={e.schedule_id ?? ''}>
                <Table.Td>
                  <Anchor component={Link} to={`/evaluations/${e.id}`} ff="monospace" size="sm">
                    {short(e.id)}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {relativeTime(e.created_at)}
                    {e.schedule_id ? ' · scheduled' : ''}
                  </Text>
                </Table.Td>
                <Table.Td>{e.model_name}</Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: 'break-all' }}>
                    {e.inference_engine_url}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge color={evalStatusColor(e.status)} variant="light" data-testid="eval-status">
                    {e.status}
                  </Badge>
                  {e.error && <Text size="xs" c="red" lineClamp={2}>{e.error}</Text>}
                </Table.Td>
                <Table.Td>{e.result_pks.length || '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {list.data && list.data.total > PAGE && <Pagination total={Math.ceil(list.data.total / PAGE)} value={page} onChange={setPage} />}
      {starting && <EvaluateForm onClose={() => setStarting(false)} onStarted={(id) => navigate(`/evaluations/${id}`)} />}
    </Stack>
  );
}

function ScheduleRow({ s }: { s: ScheduleView }) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: ['schedules'] });
  const toggle = useMutation({ mutationFn: () => (s.paused ? evalApi.resume(s.id) : evalApi.pause(s.id)), onSettled: done });
  const remove = useMutation({ mutationFn: () => evalApi.removeSchedule(s.id), onSettled: done });
  return (
    <Table.Tr data-testid="schedule-row" data-id={s.id} data-paused={s.paused}>
      <Table.Td>
        <Text fw={600} size="sm">
          {s.name}
        </Text>
        <Text size="xs" c="dimmed">
          {s.model_name}
          {s.inference_engine_url ? ` · ${s.inference_engine_url}` : ' · its vLLM deployment'}
        </Text>
      </Table.Td>
      <Table.Td>
        <code>{s.cron}</code>
        <Text size="xs" c="dimmed">
          {s.timezone}
        </Text>
      </Table.Td>
      <Table.Td>
        {s.paused ? (
          <Badge color="orange" variant="light">paused</Badge>
        ) : s.next_run_at ? (
          <Tooltip label={runWords(new Date(s.next_run_at), s.timezone)}>
            <Text size="sm" data-testid="schedule-next">
              {relativeTime(s.next_run_at)}
            </Text>
          </Tooltip>
        ) : (
          '—'
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm" data-testid="schedule-fired">
          {s.fired} run{s.fired === 1 ? '' : 's'}
        </Text>
        <Text size="xs" c="dimmed">
          last {relativeTime(s.last_run_at)}
        </Text>
        {s.last_error && <Text size="xs" c="red">{s.last_error}</Text>}
      </Table.Td>
      <Table.Td>
        <Group gap={4} justify="flex-end" wrap="nowrap">
          <Button component={Link} to={`/evaluations?schedule=${s.id}`} size="compact-xs" variant="subtle" data-testid="schedule-evaluations">
            Evaluations
          </Button>
          <Guarded role="operator">
            <Button size="compact-xs" variant="light" color={s.paused ? 'teal' : 'orange'} loading={toggle.isPending} onClick={() => toggle.mutate()} data-testid="schedule-toggle">
              {s.paused ? 'Resume' : 'Pause'}
            </Button>
          </Guarded>
          <Guarded role="operator">
            <Button size="compact-xs" variant="subtle" color="red" loading={remove.isPending} onClick={() => remove.mutate()} data-testid="schedule-delete">
              Delete
            </Button>
          </Guarded>
        </Group>
        <ErrorAlert error={toggle.error ?? remove.error} />
      </Table.Td>
    </Table.Tr>
  );
}

function SchedulesTable() {
  const [creating, setCreating] = useState(false);
  const list = useQuery({ queryKey: ['schedules'], queryFn: () => evalApi.schedules({ limit: 100, offset: 0 }), refetchInterval: 5_000 });
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Each run starts an evaluation; runs missed while the service was down fire once.
        </Text>
        <Guarded role="operator">
          <Button onClick={() => setCreating(true)} data-testid="schedule-new">
            New schedule
          </Button>
        </Guarded>
      </Group>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      {list.data?.items.length === 0 && <Text c="dimmed">No schedule yet.</Text>}
      {!!list.data?.items.length && (
        <Table striped data-testid="schedule-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Schedule</Table.Th>
              <Table.Th>Cron</Table.Th>
              <Table.Th>Next run</Table.Th>
              <Table.Th>Fired</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.items.map((s) => (
              <ScheduleRow key={s.id} s={s} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      {creating && <ScheduleForm onClose={() => setCreating(false)} />}
    </Stack>
  );
}

export function EvaluationsPage() {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'schedules' ? 'schedules' : 'evaluations';
  return (
    <Stack>
      <Title order={2}>Evaluations</Title>
      <Tabs value={tab} onChange={(v) => setParams(v === 'schedules' ? { tab: 'schedules' } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="evaluations">Evaluations</Tabs.Tab>
          <Tabs.Tab value="schedules" data-testid="tab-schedules">
            Schedules
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="evaluations" pt="md">
          <EvaluationsTable />
        </Tabs.Panel>
        <Tabs.Panel value="schedules" pt="md">
          <SchedulesTable />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
