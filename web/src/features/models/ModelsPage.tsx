/**
 * Models: the vLLM deployments (model, served name, status, endpoint, cluster/node, GPUs, the stored placement
 * decision with its reason, reuse/ownership), the deploy form with its placement preview, stop, a "try it" panel on
 * a running model, and the GPU occupancy of the clusters. Refreshed while the page is open.
 */
import { Alert, Badge, Button, Card, Code, Drawer, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { gateway, unwrapAs, vllm } from '../../api/client';
import type { ModelEntry } from '../../api/views';
import { useDenied } from '../../auth/session';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';
import { decisionSummary } from './config';
import { DeployForm, type DeployAnswer } from './DeployForm';
import { TryIt } from './TryIt';

interface DeploymentView {
  deployment_id: string;
  deployment_name: string;
  status: string;
  config: { model_name: string; tensor_parallel_size?: number; max_model_len?: number | null; max_num_seqs?: number };
  cluster_id: string;
  backend: string;
  node_name: string | null;
  endpoint: string | null;
  served_model_name: string;
  resources: Record<string, number> | null;
  placement: { action: string; node?: string | null; reason: string; deployment_id?: string } | null;
  owner_request_id: string | null;
  keep: boolean;
  error_message: string | null;
  created_at: string | null;
}

const statusColor = (s: string) => (s === 'running' ? 'teal' : s === 'deploying' ? 'yellow' : s === 'failed' ? 'red' : 'gray');

export function ModelsPage() {
  const qc = useQueryClient();
  const denied = useDenied('operator');
  const [showForm, setShowForm] = useState(false);
  const [tryModel, setTryModel] = useState<string | null>(null);
  const [lastDeploy, setLastDeploy] = useState<DeployAnswer | null>(null);
  const deployments = useQuery({
    queryKey: ['vllm', 'deployments'],
    queryFn: async () => Object.values(await unwrapAs<Record<string, DeploymentView>>(vllm.GET('/deployments', {}))),
    refetchInterval: 3_000,
  });
  const models = useQuery({ queryKey: ['models'], queryFn: () => unwrapAs<{ data: ModelEntry[] }>(gateway.GET('/v1/models')), refetchInterval: 3_000 });
  const stop = useMutation({
    mutationFn: (id: string) => unwrapAs<{ message: string }>(vllm.DELETE('/deployments/{id}', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['vllm', 'deployments'] }),
  });
  if (deployments.isLoading) return <PageLoader label="Asking for the deployments…" />;
  const rows = (deployments.data ?? []).filter((d) => d.status !== 'stopped' && d.status !== 'deleted');
  const served = new Set((models.data?.data ?? []).map((m) => m.id));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Models</Title>
        <Group gap="xs">
          <Button component={Link} to="/occupancy" variant="default" size="xs">
            GPU occupancy
          </Button>
          <Button size="xs" onClick={() => setShowForm((v) => !v)} data-testid="models-deploy-toggle">
            {showForm ? 'Hide the deploy form' : 'Deploy a model…'}
          </Button>
        </Group>
      </Group>
      <Text c="dimmed" size="sm">
        Served at <code>/v1/*</code> on this gateway by model name (OpenAI API): {served.size ? [...served].join(', ') : 'none yet'}.
      </Text>
      {showForm && (
        <Card withBorder>
          <DeployForm
            onDeployed={(d) => {
              setLastDeploy(d);
              void qc.invalidateQueries({ queryKey: ['vllm', 'deployments'] });
            }}
          />
        </Card>
      )}
      {lastDeploy && (
        <Alert color="teal" title={lastDeploy.reused ? 'Reusing a running deployment' : 'Deploying'} withCloseButton onClose={() => setLastDeploy(null)} data-testid="deploy-result">
          {lastDeploy.message} — {decisionSummary(lastDeploy.placement)}: {lastDeploy.placement.reason}
          {lastDeploy.warnings.map((w) => (
            <Text key={w} size="xs" c="orange">
              {w}
            </Text>
          ))}
        </Alert>
      )}
      <ErrorAlert error={deployments.error ?? stop.error} onRetry={() => void deployments.refetch()} />
      {rows.length === 0 && <Text>No model is deployed.</Text>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={1280}>
        <Table striped data-testid="models-table" verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Model</Table.Th>
              <Table.Th>Served name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Endpoint</Table.Th>
              <Table.Th>Cluster / node</Table.Th>
              <Table.Th>GPUs</Table.Th>
              <Table.Th>Max context</Table.Th>
              <Table.Th>Placement</Table.Th>
              <Table.Th>Use</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((d) => (
              <Table.Tr key={d.deployment_id} id={`deployment-${d.deployment_id}`} data-testid="deployment-row" data-served={d.served_model_name} data-status={d.status}>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {d.config.model_name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {d.deployment_name} · {relativeTime(d.created_at)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {d.served_model_name}{' '}
                  {served.has(d.served_model_name) && (
                    <Badge size="xs" variant="light" color="teal">
                      in /v1/models
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Badge color={statusColor(d.status)} data-testid="deployment-status" style={{ flexShrink: 0 }} miw={84}>
                    {d.status}
                  </Badge>
                  {d.error_message && (
                    <Text size="xs" c="red">
                      {d.error_message}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{d.endpoint ? <Code>{d.endpoint}</Code> : '—'}</Table.Td>
                <Table.Td>
                  {d.cluster_id} / {d.node_name ?? '—'}
                </Table.Td>
                <Table.Td data-testid="deployment-gpus">
                  {Object.entries(d.resources ?? {})
                    .filter(([, v]) => v > 0)
                    .map(([k, v]) => `${v}× ${k}`)
                    .join(', ') || 'none (CPU)'}
                </Table.Td>
                <Table.Td>{d.config.max_model_len?.toLocaleString('en-US') ?? '—'}</Table.Td>
                <Table.Td maw={320}>
                  <Text size="sm" fw={600} data-testid="deployment-decision">
                    {decisionSummary(d.placement)}
                  </Text>
                  <Text size="xs" c="dimmed" data-testid="deployment-reason">
                    {d.placement?.reason ?? '—'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{d.owner_request_id ? `queue ${d.owner_request_id.slice(0, 8)}` : d.keep ? 'kept (direct deploy)' : 'until its request ends'}</Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {/* inference through the gateway needs the operator role (it spends the GPUs benchmarks measure) */}
                    <Tooltip label={denied ?? (d.status === 'running' ? 'One streamed chat request through /v1' : 'Not running')}>
                      <Button size="compact-xs" variant="light" disabled={d.status !== 'running' || !!denied} onClick={() => setTryModel(d.served_model_name)} data-testid="deployment-try">
                        Try it
                      </Button>
                    </Tooltip>
                    <Tooltip label={denied ?? 'Stop the server and free its GPUs'}>
                      <Button
                        size="compact-xs"
                        color="red"
                        variant="subtle"
                        disabled={!!denied}
                        loading={stop.isPending && stop.variables === d.deployment_id}
                        onClick={() => stop.mutate(d.deployment_id)}
                        data-testid="deployment-stop"
                      >
                        Stop
                      </Button>
                    </Tooltip>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        </Table.ScrollContainer>
      )}
      <Drawer opened={!!tryModel} onClose={() => setTryModel(null)} position="right" size="lg" title={`Try ${tryModel ?? ''}`}>
        {tryModel && <TryIt model={tryModel} />}
      </Drawer>
    </Stack>
  );
}
