/**
 * Step 4: the nodes, as cards in the seed 003 node shape: status, and each device with its type, peak FP16 TFLOPS,
 * memory bandwidth and available / total count. A chosen node's devices claim what is available (a smaller count may
 * be set); nodes that are not Ready or have nothing available cannot be chosen.
 */
import { Badge, Button, Card, Checkbox, Group, NumberInput, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../../../shell/ErrorDisplay';
import { fmt } from '../../results/model/format';
import { wizardApi } from '../api';
import { nodeChoice, selectable, stepBody, type NodeView } from '../model';
import type { StepProps } from './types';

function NodeCard({ node, chosen, claim, onToggle, onClaim }: { node: NodeView; chosen: boolean; claim: Record<string, number>; onToggle: () => void; onClaim: (device: string, n: number) => void }) {
  const s = selectable(node);
  return (
    <Card withBorder padding="sm" data-testid="node-card" data-hostname={node.hostname} style={chosen ? { borderColor: 'var(--mantine-color-blue-5)' } : undefined}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap">
          <Checkbox label={<Text fw={600}>{node.hostname}</Text>} checked={chosen} disabled={!s.ok && !chosen} onChange={onToggle} data-testid="node-pick" />
          <Badge color={node.status === 'Ready' ? 'teal' : 'red'} variant="light" data-testid="node-status">
            {node.status}
          </Badge>
        </Group>
        {s.why && <Text size="xs" c="orange">{s.why}</Text>}
        <Table withRowBorders={false} verticalSpacing={2}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Device</Table.Th>
              <Table.Th ta="right">FP16 TFLOPS</Table.Th>
              <Table.Th ta="right">GB/s</Table.Th>
              <Table.Th ta="right">Available</Table.Th>
              {chosen && <Table.Th ta="right">Use</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {node.devices.map((d) => (
              <Table.Tr key={`${d.type}-${d.name}`} data-testid="node-device" data-device={d.name}>
                <Table.Td>
                  <Text size="sm">{d.name}</Text>
                  <Text size="xs" c="dimmed">
                    {d.type}
                    {d.type === 'cpu' && typeof d.device_info?.num_virtual_cores === 'number' ? ` · ${d.device_info.num_virtual_cores} cores` : ''}
                    {typeof d.device_config?.memory_gb === 'number' && d.device_config.memory_gb > 0 ? ` · ${d.device_config.memory_gb} GB` : ''}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{fmt(d.device_config?.peak_fp16_TFLOPS)}</Table.Td>
                <Table.Td ta="right">{fmt(d.device_config?.memory_bandwidth_GBps)}</Table.Td>
                <Table.Td ta="right" data-testid="device-available">
                  {d.available_count}
                  {d.total_count !== undefined ? ` / ${d.total_count}` : ''}
                </Table.Td>
                {chosen && (
                  <Table.Td ta="right" w={90}>
                    {d.available_count > 0 ? (
                      <NumberInput size="xs" min={1} max={d.available_count} value={claim[d.name] ?? d.available_count} onChange={(v) => onClaim(d.name, Number(v) || 1)} aria-label={`${d.name} to use`} />
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Stack>
    </Card>
  );
}

export function NodesStep({ workflow, submit, pending, error }: StepProps) {
  const cluster = workflow.state.cluster_id!;
  const nodes = useQuery({ queryKey: ['nodes', cluster], queryFn: () => wizardApi.nodes(cluster), refetchInterval: 10_000 });
  const [chosen, setChosen] = useState<string[]>((workflow.state.nodes ?? []).map((n) => n.hostname));
  const [claims, setClaims] = useState<Record<string, Record<string, number>>>(() =>
    Object.fromEntries((workflow.state.nodes ?? []).map((n) => [n.hostname, Object.fromEntries(n.devices.map((d) => [d.name, d.available_count]))])),
  );
  const toggle = (h: string) => setChosen((c) => (c.includes(h) ? c.filter((x) => x !== h) : [...c, h]));
  const body = () => (nodes.data ?? []).filter((n) => chosen.includes(n.hostname)).map((n) => nodeChoice(n, claims[n.hostname]));
  return (
    <Stack gap="sm">
      <ErrorAlert error={nodes.error} onRetry={() => void nodes.refetch()} />
      {nodes.data?.length === 0 && <Text c="dimmed">Cluster {cluster} reports no nodes.</Text>}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {(nodes.data ?? []).map((n) => (
          <NodeCard
            key={n.hostname}
            node={n}
            chosen={chosen.includes(n.hostname)}
            claim={claims[n.hostname] ?? {}}
            onToggle={() => toggle(n.hostname)}
            onClaim={(d, v) => setClaims((c) => ({ ...c, [n.hostname]: { ...(c[n.hostname] ?? {}), [d]: v } }))}
          />
        ))}
      </SimpleGrid>
      {chosen.length > 1 && <Text size="xs" c="dimmed">One vLLM deployment does not span nodes: the run is pinned to the node with the most GPUs among those chosen.</Text>}
      <ErrorAlert error={error} />
      <Group justify="flex-end">
        <Button loading={pending} disabled={!chosen.length} onClick={() => submit(stepBody(workflow, 4, { nodes: body() }))} data-testid="step-next">
          Use {chosen.length} node{chosen.length === 1 ? '' : 's'}
        </Button>
      </Group>
    </Stack>
  );
}
