/**
 * Clusters: the built-in and registered ones, registering one by kubeconfig (admin; the kubeconfig is write-only:
 * stored encrypted, never shown again), removing one, and each cluster's nodes in seed 003's node shape (hostname,
 * status, devices with peak FP16 TFLOPS, memory bandwidth and available / total counts).
 */
import { Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { unwrapAs, vllm } from '../../api/client';
import { useDenied } from '../../auth/session';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { PageLoader } from '../../shell/PageLoader';
import { relativeTime } from '../../shell/format';

interface ClusterView {
  id: string;
  name: string;
  kind: string;
  namespace: string;
  built_in: boolean;
  has_kubeconfig: boolean;
  context: string | null;
  created_at: string | null;
}
interface DeviceView {
  name: string;
  type: 'gpu' | 'cpu';
  device_info: Record<string, unknown>;
  device_config: { peak_fp16_TFLOPS: number; memory_bandwidth_GBps: number; memory_gb: number };
  available_count: number;
  total_count: number;
  resource_name: string;
}
interface NodeView {
  hostname: string;
  status: string;
  devices: DeviceView[];
}

export function ClustersPage() {
  const qc = useQueryClient();
  const adminDenied = useDenied('admin');
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: () => unwrapAs<ClusterView[]>(vllm.GET('/clusters')), refetchInterval: 15_000 });
  const remove = useMutation({
    mutationFn: (id: string) => unwrapAs(vllm.DELETE('/clusters/{id}', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['clusters'] }),
  });
  if (clusters.isLoading) return <PageLoader />;
  return (
    <Stack>
      <Title order={2}>Clusters</Title>
      <ErrorAlert error={clusters.error ?? remove.error} onRetry={() => void clusters.refetch()} />
      {(clusters.data ?? []).map((c) => (
        <Card withBorder key={c.id} data-testid="cluster-card" data-cluster={c.name}>
          <Group justify="space-between" mb="xs">
            <Group gap="xs">
              <Text fw={600}>{c.name}</Text>
              <Badge variant="light">{c.kind}</Badge>
              {c.built_in && <Badge variant="outline">built in</Badge>}
              {c.has_kubeconfig && <Badge variant="outline" color="gray">kubeconfig stored{c.context ? ` · ${c.context}` : ''}</Badge>}
              <Text size="xs" c="dimmed">
                namespace {c.namespace} · {c.built_in ? 'configured' : `added ${relativeTime(c.created_at)}`}
              </Text>
            </Group>
            {!c.built_in && (
              <Button size="compact-xs" color="red" variant="subtle" disabled={!!adminDenied} title={adminDenied ?? undefined} onClick={() => remove.mutate(c.id)} loading={remove.isPending && remove.variables === c.id}>
                Remove
              </Button>
            )}
          </Group>
          <Nodes clusterId={c.id} />
        </Card>
      ))}
      <RegisterCluster />
    </Stack>
  );
}

function Nodes({ clusterId }: { clusterId: string }) {
  const q = useQuery({ queryKey: ['clusters', clusterId, 'nodes'], queryFn: () => unwrapAs<NodeView[]>(vllm.GET('/clusters/{id}/nodes', { params: { path: { id: clusterId } } })), refetchInterval: 10_000 });
  if (q.isLoading) return <Text size="sm" c="dimmed">Asking the cluster for its nodes…</Text>;
  return (
    <>
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      <SimpleGrid cols={{ base: 1, xl: 2 }}>
        {(q.data ?? []).map((n) => (
          <Card key={n.hostname} withBorder padding="sm" data-testid="node-card" data-node={n.hostname}>
            <Group gap="xs" mb={4}>
              <Text fw={600}>{n.hostname}</Text>
              <Badge color={n.status === 'Ready' ? 'teal' : 'red'} size="sm" data-testid="node-status">
                {n.status}
              </Badge>
            </Group>
            <Table withRowBorders={false} fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>FP16 TFLOPS</Table.Th>
                  <Table.Th>Memory</Table.Th>
                  <Table.Th>Bandwidth</Table.Th>
                  <Table.Th>Available</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {n.devices.map((d) => (
                  <Table.Tr key={`${d.resource_name}/${d.name}`} data-testid="node-device" data-resource={d.resource_name}>
                    <Table.Td>
                      {d.name}{' '}
                      <Text span size="xs" c="dimmed">
                        {d.type === 'gpu' ? d.resource_name : `${String(d.device_info.num_virtual_cores ?? '?')} cores`}
                      </Text>
                    </Table.Td>
                    <Table.Td>{d.device_config.peak_fp16_TFLOPS ? d.device_config.peak_fp16_TFLOPS.toLocaleString('en-US', { maximumFractionDigits: 1 }) : '—'}</Table.Td>
                    <Table.Td>{d.device_config.memory_gb ? `${d.device_config.memory_gb} GB` : '—'}</Table.Td>
                    <Table.Td>{d.device_config.memory_bandwidth_GBps ? `${d.device_config.memory_bandwidth_GBps.toLocaleString('en-US')} GB/s` : '—'}</Table.Td>
                    <Table.Td data-testid="node-device-available">
                      {d.available_count} / {d.total_count}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        ))}
      </SimpleGrid>
    </>
  );
}

function RegisterCluster() {
  const qc = useQueryClient();
  const denied = useDenied('admin');
  const [name, setName] = useState('');
  const [kubeconfig, setKubeconfig] = useState('');
  const [context, setContext] = useState('');
  const [namespace, setNamespace] = useState('');
  const add = useMutation({
    mutationFn: () =>
      unwrapAs<ClusterView>(vllm.POST('/clusters', { body: { name: name.trim(), kubeconfig, ...(context.trim() ? { context: context.trim() } : {}), ...(namespace.trim() ? { namespace: namespace.trim() } : {}) } })),
    onSuccess: () => {
      // write-only: the text leaves the page once it is stored
      setKubeconfig('');
      setName('');
      void qc.invalidateQueries({ queryKey: ['clusters'] });
    },
  });
  const fe = (f: string) => fieldError(add.error, f);
  return (
    <Card withBorder data-testid="cluster-register">
      <Text fw={600} mb="xs">
        Register a Kubernetes cluster
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <Stack gap="xs">
          <Group grow>
            <TextInput label="Name" placeholder="gpu-cluster-a" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fe('name')} data-testid="cluster-name" />
            <TextInput label="Context" placeholder="the kubeconfig's current one" value={context} onChange={(e) => setContext(e.currentTarget.value)} error={fe('context')} />
            <TextInput label="Namespace" placeholder="the configured one" value={namespace} onChange={(e) => setNamespace(e.currentTarget.value)} error={fe('namespace')} />
          </Group>
          <Textarea
            label="Kubeconfig"
            description="Write-only: stored encrypted and never shown again (the page forgets it once registered)"
            autosize
            minRows={3}
            maxRows={8}
            value={kubeconfig}
            onChange={(e) => setKubeconfig(e.currentTarget.value)}
            error={fe('kubeconfig')}
            // masked like a password field (a kubeconfig is multi-line, so not an <input type=password>)
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', WebkitTextSecurity: 'disc' } as never }}
            data-testid="cluster-kubeconfig"
          />
          <ErrorAlert error={add.error} fields={['name', 'kubeconfig', 'context', 'namespace']} />
          <Group>
            <Button type="submit" disabled={!!denied || !name.trim() || !kubeconfig.trim()} title={denied ?? undefined} loading={add.isPending} data-testid="cluster-submit">
              Register
            </Button>
            {denied && <Text size="xs" c="orange">{denied}</Text>}
            {add.data && (
              <Text size="sm" c="teal" data-testid="cluster-registered">
                Registered {add.data.name}
              </Text>
            )}
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
