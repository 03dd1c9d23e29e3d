/**
 * Placeholders for the results pages (engineer G2 replaces this folder; keep the names index.ts exports: the router
 * uses them). They already show the backend's data plainly so links from other pages land somewhere real.
 */
import { Anchor, Code, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { results, unwrap, unwrapPage } from '../../api/client';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';

export function ResultsListPage() {
  const q = useQuery({ queryKey: ['results', 'list'], queryFn: () => unwrapPage(results.GET('/standardized_output', { params: { query: { limit: 50 } } })) });
  if (q.isLoading) return <PageLoader />;
  return (
    <Stack>
      <Title order={2}>Results</Title>
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      {q.data && (
        <Table striped data-testid="results-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Benchmark</Table.Th>
              <Table.Th>Model</Table.Th>
              <Table.Th>Time</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data.items.map((r) => (
              <Table.Tr key={r.pk}>
                <Table.Td>
                  <Anchor component={Link} to={`/results/${encodeURIComponent(r.pk)}`}>
                    {r.benchmark_name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{r.model_id}</Table.Td>
                <Table.Td>{r.timestamp}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Text size="sm" c="dimmed">
        {q.data?.total ?? 0} results
      </Text>
    </Stack>
  );
}

export function ResultPage() {
  const { pk = '' } = useParams();
  const q = useQuery({ queryKey: ['results', 'one', pk], queryFn: () => unwrap(results.GET('/standardized_output/{pk}', { params: { path: { pk } } })) });
  if (q.isLoading) return <PageLoader />;
  return (
    <Stack>
      <Title order={2} data-testid="result-title">
        {(q.data?.data as any)?.meta?.benchmark_name ?? pk}
      </Title>
      <ErrorAlert error={q.error} />
      {q.data && <Code block>{JSON.stringify(q.data.data, null, 2).slice(0, 20_000)}</Code>}
    </Stack>
  );
}

export function ComparePage() {
  return (
    <Stack>
      <Title order={2}>Compare</Title>
      <Text>Select results to compare on the results page.</Text>
    </Stack>
  );
}

export function HistoryPage() {
  return (
    <Stack>
      <Title order={2}>Model history</Title>
      <Text>Each metric over time for a model and benchmark.</Text>
    </Stack>
  );
}
