/**
 * A quality result: per-task scores (table and bars, ± standard error), the samples with their answers, and the
 * inference errors (requests that got no answer) apart from the wrong answers.
 */
import { Badge, Code, Group, Loader, Pagination, SegmentedControl, Select, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useMemo, useState } from 'react';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { Chart } from './charts/Chart';
import { scoresChart } from './charts/options';
import type { StandardDoc } from './model/document';
import { fmt } from './model/format';
import { scoreTable } from './model/metrics';
import { outcomeCounts, samplesOf, type Outcome, type Sample } from './model/samples';

const SAMPLES_PER_PAGE = 20;
const OUTCOME_COLOR: Record<Outcome, string> = { correct: 'teal', partial: 'yellow', wrong: 'red', error: 'gray' };

function clip(s: string | null, n = 160): string {
  if (s === null) return '—';
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function SamplesTable({ samples }: { samples: Sample[] }) {
  const [page, setPage] = useState(1);
  const pages = Math.max(1, Math.ceil(samples.length / SAMPLES_PER_PAGE));
  const current = Math.min(page, pages);
  const rows = samples.slice((current - 1) * SAMPLES_PER_PAGE, current * SAMPLES_PER_PAGE);
  return (
    <Stack gap="xs">
      <Table withTableBorder striped data-testid="samples-table" style={{ tableLayout: 'fixed' }}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={140}>Task · doc</Table.Th>
            <Table.Th>Prompt</Table.Th>
            <Table.Th w={200}>Answer</Table.Th>
            <Table.Th w={160}>Target</Table.Th>
            <Table.Th w={110}>Outcome</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((s) => (
            <Table.Tr key={s.index} data-testid="sample-row" data-outcome={s.outcome}>
              <Table.Td>
                {s.task}
                {s.doc !== null ? ` · ${s.doc}` : ''}
              </Table.Td>
              <Table.Td>
                <Tooltip label={<Code block>{clip(s.prompt, 2000)}</Code>} multiline w={520} position="bottom-start">
                  <Text size="xs" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                    {clip(s.prompt.split('\n').slice(-3).join('\n'))}
                  </Text>
                </Tooltip>
              </Table.Td>
              <Table.Td>
                <Text size="sm" style={{ wordBreak: 'break-word' }} data-testid="sample-answer">
                  {s.error ? <i>no answer</i> : clip(s.answer)}
                </Text>
                {s.response !== null && s.response.trim() !== (s.answer ?? '').trim() && (
                  <Text size="xs" c="dimmed" style={{ wordBreak: 'break-word' }}>
                    said: {clip(s.response, 100)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td style={{ wordBreak: 'break-word' }}>{s.targets.join(' | ') || '—'}</Table.Td>
              <Table.Td>
                <Badge size="sm" variant="light" color={OUTCOME_COLOR[s.outcome]}>
                  {s.outcome === 'error' ? 'inference error' : s.outcome}
                </Badge>
                {s.error && (
                  <Text size="xs" c="dimmed" style={{ wordBreak: 'break-word' }} data-testid="sample-error">
                    {clip(s.error, 120)}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {pages > 1 && <Pagination size="sm" total={pages} value={current} onChange={setPage} />}
    </Stack>
  );
}

export function QualitySection({ doc, benchmark, raw }: { doc: StandardDoc; benchmark: string; raw: { data: unknown; loading: boolean; error: unknown } }) {
  const scores = useMemo(() => scoreTable(doc.results, doc.meta, benchmark), [doc, benchmark]);
  const chart = useMemo(
    () => scoresChart(scores.map((s) => ({ label: `${s.task} ${s.metric}${s.filter !== 'none' ? ` (${s.filter})` : ''}`, value: s.value, stderr: s.stderr }))),
    [scores],
  );
  const samples = useMemo(() => samplesOf(raw.data), [raw.data]);
  const counts = useMemo(() => outcomeCounts(samples), [samples]);
  const [show, setShow] = useState<'answers' | 'wrong' | 'error'>('answers');
  const [task, setTask] = useState<string | null>(null);
  const tasks = Object.keys(counts);
  const errors = samples.filter((s) => s.outcome === 'error');
  const inTask = samples.filter((s) => !task || s.task === task);
  const shown = show === 'error' ? inTask.filter((s) => s.outcome === 'error') : show === 'wrong' ? inTask.filter((s) => s.outcome === 'wrong' || s.outcome === 'partial') : inTask.filter((s) => s.outcome !== 'error');

  return (
    <Stack gap="md" data-testid="quality">
      <Title order={4}>Scores</Title>
      {scores.length ? (
        <>
          <Table withTableBorder striped data-testid="scores-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Task</Table.Th>
                <Table.Th>Metric</Table.Th>
                <Table.Th ta="right">Score</Table.Th>
                <Table.Th ta="right">± stderr</Table.Th>
                <Table.Th ta="right">Samples</Table.Th>
                <Table.Th ta="right">Correct</Table.Th>
                <Table.Th ta="right">Wrong</Table.Th>
                <Table.Th ta="right">Inference errors</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {scores.map((s) => {
                const c = counts[s.task];
                const failed = c ? c.error : s.details.failed;
                return (
                  <Table.Tr key={s.path} data-testid="score-row" data-task={s.task} data-metric={s.metric}>
                    <Table.Td>{s.task}</Table.Td>
                    <Table.Td>
                      {s.metric}
                      {s.filter !== 'none' ? ` (${s.filter})` : ''}
                    </Table.Td>
                    <Table.Td ta="right" fw={700} data-testid="score-value">
                      {fmt(s.value)}
                    </Table.Td>
                    <Table.Td ta="right">{fmt(s.stderr)}</Table.Td>
                    <Table.Td ta="right">{fmt(s.details.samples ?? s.details.num_samples ?? (c ? c.correct + c.partial + c.wrong + c.error : undefined))}</Table.Td>
                    <Table.Td ta="right">{c ? c.correct : '—'}</Table.Td>
                    <Table.Td ta="right">{c ? c.wrong + c.partial : '—'}</Table.Td>
                    <Table.Td ta="right" data-testid="score-errors">
                      {fmt(failed)}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
          <Chart chart={chart} height={Math.max(120, 40 + scores.length * 34)} testid="chart-scores" />
        </>
      ) : (
        <Text c="dimmed">This result has no scores.</Text>
      )}
      <Title order={4}>Samples</Title>
      <ErrorAlert error={raw.error} title="The samples could not be read" />
      {raw.loading ? (
        <Loader size="sm" />
      ) : samples.length ? (
        <>
          {errors.length > 0 && (
            <Text size="sm" c="orange.8" data-testid="errors-note">
              {errors.length} sample{errors.length === 1 ? '' : 's'} got no answer (inference errors): they are scored 0 but are not wrong answers; see “Inference errors”.
            </Text>
          )}
          <Group gap="sm">
            <SegmentedControl
              data={[
                { value: 'answers', label: `Answers (${samples.length - errors.length})` },
                { value: 'wrong', label: `Wrong (${samples.filter((s) => s.outcome === 'wrong' || s.outcome === 'partial').length})` },
                { value: 'error', label: `Inference errors (${errors.length})` },
              ]}
              value={show}
              onChange={(v) => setShow(v as typeof show)}
              data-testid="samples-filter"
            />
            {tasks.length > 1 && <Select placeholder="All tasks" clearable data={tasks} value={task} onChange={setTask} w={220} aria-label="task" />}
          </Group>
          {shown.length ? <SamplesTable key={`${show}-${task}`} samples={shown} /> : <Text c="dimmed">None.</Text>}
        </>
      ) : (
        <Text size="sm" c="dimmed" data-testid="no-samples">
          This result has no per-sample records.
        </Text>
      )}
    </Stack>
  );
}
