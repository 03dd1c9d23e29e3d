/** Runs started through the deployer (jobs), newest first, with their status; each links to its page. */
import { Anchor, Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { deployer, unwrapPageAs } from '../../api/client';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { statusColor, type DeploymentRecord } from './status';

export function RunsPage() {
  const q = useQuery({
    queryKey: ['runs'],
    queryFn: () => unwrapPageAs<DeploymentRecord>(deployer.GET('/deployments', {})),
    refetchInterval: 5_000,
  });
  if (q.isLoading) return <PageLoader />;
  const jobs = (q.data?.items ?? []).filter((d) => d.resource_type === 'job');
  return (
    <Stack>
      <Title order={2}>Runs</Title>
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      {jobs.length === 0 && <Text>No run yet: open a job file of a project and press Run.</Text>}
      {jobs.length > 0 && (
        <Table striped data-testid="runs-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Run</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Namespace</Table.Th>
              <Table.Th>Started</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {jobs.map((d) => (
              <Table.Tr key={d.deployment_id}>
                <Table.Td>
                  <Anchor component={Link} to={`/runs/${encodeURIComponent(d.resource_name)}?ns=${encodeURIComponent(d.namespace)}&id=${encodeURIComponent(d.deployment_id)}`}>
                    {d.resource_name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge color={statusColor(d.status)} variant="light">
                    {d.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{d.namespace}</Table.Td>
                <Table.Td>{relativeTime(d.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
