/**
 * GPU occupancy per cluster and node, live (refetched every 3 s): a stacked bar per device group (holders and free)
 * and a table of every group with used / free and who holds it.
 */
import { Anchor, Badge, Card, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { vllm, unwrap, unwrapAs } from '../../api/client';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { Chart } from '../results/charts/Chart';
import { deviceLabel, holderLabel, isCpuSlots, occupancyChart, totals, type OccupancyNode } from './occupancy';

interface ClusterView {
  id: string;
  name: string;
  kind: string;
}

export function OccupancyPage() {
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: () => unwrapAs<ClusterView[]>(vllm.GET('/clusters')) });
  if (clusters.isLoading) return <PageLoader />;
  return (
    <Stack>
      <Title order={2}>GPU occupancy</Title>
      <Text size="sm" c="dimmed">
        Every device group of every node: how many are in use, by which deployment (or by workloads BenchOps did not start), and how many are free. Updates every 3 s.
      </Text>
      <ErrorAlert error={clusters.error} onRetry={() => void clusters.refetch()} />
      {(clusters.data ?? []).map((c) => (
        <ClusterOccupancy key={c.id} cluster={c} />
      ))}
    </Stack>
  );
}

/** One cluster's occupancy: chart and table (also shown on the models page). */
export function ClusterOccupancy({ cluster }: { cluster: ClusterView }) {
  const q = useQuery({
    queryKey: ['occupancy', cluster.id],
    queryFn: () => unwrap(vllm.GET('/clusters/{id}/occupancy', { params: { path: { id: cluster.id } } })),
    refetchInterval: 3_000,
  });
  const nodes = (q.data?.nodes ?? []) as OccupancyNode[];
  const t = totals(nodes);
  return (
    <Card withBorder data-testid="occupancy-cluster" data-cluster={cluster.name}>
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Text fw={600}>{cluster.name}</Text>
          <Badge variant="light">{cluster.kind}</Badge>
          {q.isFetching && <Loader size={12} />}
        </Group>
        <Text size="sm" data-testid="occupancy-totals">
          {t.used} used · {t.free} free · {t.total} accelerators
        </Text>
      </Group>
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      {nodes.length > 0 && <Chart chart={occupancyChart(nodes)} height={Math.max(140, 70 + 34 * nodes.reduce((n, x) => n + x.devices.filter((d) => !isCpuSlots(d)).length, 0))} testid="occupancy-chart" />}
      {nodes.length > 0 && (
        <Table striped data-testid="occupancy-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Node</Table.Th>
              <Table.Th>Device</Table.Th>
              <Table.Th>Resource</Table.Th>
              <Table.Th>Used</Table.Th>
              <Table.Th>Free</Table.Th>
              <Table.Th>Held by</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {nodes.flatMap((n) =>
              n.devices.map((d) => (
                <Table.Tr key={`${n.hostname}/${d.key}`} data-testid="occupancy-row" data-node={n.hostname} data-resource={d.resource_name}>
                  <Table.Td>
                    {n.hostname} {n.status !== 'Ready' && <Badge color="red" size="xs">{n.status}</Badge>}
                  </Table.Td>
                  <Table.Td>{deviceLabel(d)}</Table.Td>
                  <Table.Td>
                    <code>{d.resource_name}</code>
                  </Table.Td>
                  <Table.Td data-testid="occupancy-used">
                    {d.used} / {d.total}
                  </Table.Td>
                  <Table.Td data-testid="occupancy-free">{d.free}</Table.Td>
                  <Table.Td data-testid="occupancy-holders">
                    {d.holders.length === 0 ? (
                      <Text span size="sm" c="dimmed">
                        —
                      </Text>
                    ) : (
                      d.holders.map((h) => (
                        <Text key={h.id} size="sm" span mr="sm">
                          {h.kind === 'deployment' ? <Anchor component={Link} to={`/models#deployment-${h.id}`}>{holderLabel(h)}</Anchor> : holderLabel(h)} ×{h.count}
                        </Text>
                      ))
                    )}
                  </Table.Td>
                </Table.Tr>
              )),
            )}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
