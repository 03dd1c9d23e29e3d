/** The verdicts of a performance run: the load generator's self-check (with its reasons) and the thresholds. */
import { Alert, Badge, Group, List, Table, Text } from '@mantine/core';
import type { Check, Reliability } from '../model/document';
import { fmt, unitOf } from '../model/format';

export function ReliabilityVerdict({ r, scope }: { r: Reliability; scope?: string }) {
  const where = scope ? ` (${scope})` : '';
  // the run's verdict and a step's own verdict can be on the page together
  const testId = scope ? 'reliability-step' : 'reliability';
  if (r.state === 'reliable') {
    return (
      <Alert color="teal" title={`Reliable measurement${where}`} data-testid={testId} data-state="reliable">
        <Text size="sm">The load generator’s self-check passed: it kept up with the requests, so the latencies are the server’s.</Text>
      </Alert>
    );
  }
  if (r.state === 'unknown') {
    return (
      <Alert color="gray" title={`Reliability not checked${where}`} data-testid={testId} data-state="unknown">
        <Text size="sm">{r.note}</Text>
      </Alert>
    );
  }
  return (
    <Alert color="orange" title={`Unreliable measurement${where}: latencies are overstated`} data-testid={testId} data-state="unreliable">
      <Text size="sm">The load generator was itself saturated, so its timestamps are late. Why:</Text>
      {r.reasons.length ? (
        <List size="sm" data-testid="reliability-reasons">
          {r.reasons.map((x) => (
            <List.Item key={x}>{x}</List.Item>
          ))}
        </List>
      ) : (
        <Text size="sm" c="dimmed">
          {r.note}
        </Text>
      )}
    </Alert>
  );
}

export function ThresholdsTable({ t }: { t: { passed: boolean; checks: Check[] } }) {
  return (
    <div data-testid="thresholds">
      <Group gap="xs" mb="xs">
        <Text fw={600}>Thresholds</Text>
        <Badge color={t.passed ? 'teal' : 'red'} data-testid="thresholds-verdict">
          {t.passed ? 'passed' : 'failed'}
        </Badge>
      </Group>
      {t.checks.length > 0 && (
        <Table withTableBorder striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Check</Table.Th>
              <Table.Th>Scenario / task</Table.Th>
              <Table.Th ta="right">Limit</Table.Th>
              <Table.Th ta="right">Value</Table.Th>
              <Table.Th>Result</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {t.checks.map((c, i) => {
              const unit = unitOf('', c.metric || c.name);
              const u = unit && unit !== '%' ? ` ${unit}` : '';
              return (
                <Table.Tr key={`${c.name}-${c.scope}-${i}`} data-testid="threshold-row">
                  <Table.Td>{c.name}</Table.Td>
                  <Table.Td>{c.scope}</Table.Td>
                  <Table.Td ta="right">
                    {c.op === 'max' ? '≤ ' : c.op === 'min' ? '≥ ' : ''}
                    {fmt(c.limit)}
                    {u}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="threshold-value">
                    {fmt(c.value)}
                    {c.value !== null ? u : ''}
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" color={c.passed ? 'teal' : 'red'} variant="light">
                      {c.passed ? 'pass' : 'fail'}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </div>
  );
}
