/** Models served through the gateway right now (`GET /v1/models`), refreshed while the page is open. */
import { Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { gateway, unwrapAs } from '../../api/client';
import type { ModelEntry } from '../../api/views';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';

export function ModelsPage() {
  const q = useQuery({ queryKey: ['models'], queryFn: () => unwrapAs<{ data: ModelEntry[] }>(gateway.GET('/v1/models')), refetchInterval: 10_000 });
  if (q.isLoading) return <PageLoader label="Asking the running models…" />;
  return (
    <Stack>
      <Title order={2}>Models</Title>
      <Text c="dimmed" size="sm">
        Served at <code>/v1/*</code> on this gateway by model name (OpenAI API).
      </Text>
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      {q.data && q.data.data.length === 0 && <Text>No model is running.</Text>}
      {q.data && q.data.data.length > 0 && (
        <Table striped data-testid="models-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Model</Table.Th>
              <Table.Th>Max context</Table.Th>
              <Table.Th>Owner</Table.Th>
              <Table.Th>Since</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data.data.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td>
                  <Text fw={600}>{m.id}</Text>
                </Table.Td>
                <Table.Td>{m.max_model_len?.toLocaleString('en-US') ?? '—'}</Table.Td>
                <Table.Td>
                  <Badge variant="light">{m.owned_by}</Badge>
                </Table.Td>
                <Table.Td>{new Date(m.created * 1000).toLocaleString()}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
