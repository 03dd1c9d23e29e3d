/** The start page: what the platform holds right now (projects, results, running models), each a way in. */
import { Anchor, Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { gateway, manager, results, unwrapAs, unwrapPage, unwrapPageAs } from '../../api/client';
import type { ModelEntry, ProjectView } from '../../api/views';
import { ErrorAlert } from '../../shell/ErrorDisplay';

function Stat({ label, value, to, testid }: { label: string; value: number | undefined; to: string; testid: string }) {
  return (
    <Card withBorder padding="lg" component={Link} to={to} style={{ textDecoration: 'none' }}>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={32} fw={700} data-testid={testid}>
        {value ?? '…'}
      </Text>
    </Card>
  );
}

export function HomePage() {
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => unwrapPageAs<ProjectView>(manager.GET('/projects', {})) });
  const res = useQuery({ queryKey: ['results', 'count'], queryFn: () => unwrapPage(results.GET('/standardized_output', { params: { query: { limit: 1 } } })) });
  const models = useQuery({ queryKey: ['models'], queryFn: () => unwrapAs<{ data: ModelEntry[] }>(gateway.GET('/v1/models')), refetchInterval: 10_000 });
  const demo = projects.data?.items.find((p) => p.name === 'demo');
  return (
    <Stack>
      <Title order={2}>BenchOps</Title>
      <Text c="dimmed">Benchmark configs in Git, runs on Kubernetes or this machine, results to compare.</Text>
      <ErrorAlert error={projects.error ?? res.error ?? models.error} />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Stat label="Projects" value={projects.data?.total} to="/projects" testid="home-projects" />
        <Stat label="Results" value={res.data?.total} to="/results" testid="home-results" />
        <Stat label="Running models" value={models.data?.data.length} to="/models" testid="home-models" />
      </SimpleGrid>
      {demo && (
        <Card withBorder>
          <Text fw={600}>Start here</Text>
          <Text size="sm">
            The <Anchor component={Link} to={`/projects/${demo.project_id}`}>demo project</Anchor> has a performance job and its configs; open
            its job file and press Run to benchmark {models.data?.data[0] ? <b>{models.data.data[0].id}</b> : 'a running model'}.
          </Text>
        </Card>
      )}
    </Stack>
  );
}
