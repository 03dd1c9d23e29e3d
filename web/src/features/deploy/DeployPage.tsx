/**
 * /deploy for operators: paste or upload multi-document YAML, preview what would be applied (each object's kind,
 * name, namespace, and whether it is allowed and why: POST /deploy/preview applies nothing), then apply it. Apply is
 * offered only for the text that was previewed and only when every object is allowed (the apply is all or nothing).
 */
import { Alert, Anchor, Badge, Button, FileButton, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { deployer, unwrap, unwrapAs } from '../../api/client';
import { useDenied } from '../../auth/session';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { CodeEditor } from '../projects/editor/CodeEditor';
import { runLink } from '../runs/RunsPage';

interface PreviewObject {
  kind: string;
  name: string;
  namespace: string;
  allowed: boolean;
  reason: string;
  exists: boolean | null;
}
interface Preview {
  namespace: string;
  allowed: boolean;
  objects: PreviewObject[];
}
interface Applied {
  message: string;
  deployment_id: string;
  namespace: string;
  resource_type: string;
  resource_name: string;
}

/** Files larger than this are refused in the page (the server's body limit would refuse them anyway). */
const MAX_UPLOAD = 1024 * 1024;

export function DeployPage() {
  const denied = useDenied('operator');
  const [text, setText] = useState('');
  const [namespace, setNamespace] = useState('');
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [previewed, setPreviewed] = useState<{ text: string; namespace: string; result: Preview } | null>(null);
  const ns = namespace.trim() || undefined;
  const preview = useMutation({
    mutationFn: () => unwrap(deployer.POST('/deploy/preview', { body: { yaml_content: text, ...(ns ? { namespace: ns } : {}) } })),
    onSuccess: (result) => setPreviewed({ text, namespace, result }),
  });
  const apply = useMutation({
    mutationFn: () => unwrapAs<Applied>(deployer.POST('/deploy', { body: { yaml_content: text, ...(ns ? { namespace: ns } : {}) } })),
  });
  const current = previewed && previewed.text === text && previewed.namespace === namespace ? previewed.result : null;
  const yamlError = fieldError(preview.error, 'yaml_content') ?? fieldError(apply.error, 'yaml_content');

  const upload = async (f: File | null) => {
    setUploadError(null);
    if (!f) return;
    if (f.size > MAX_UPLOAD) return setUploadError(`${f.name} is ${(f.size / 1024).toFixed(0)} KiB; at most 1 MiB is accepted`);
    setText(await f.text());
    apply.reset();
  };

  return (
    <Stack>
      <Title order={2}>Apply YAML</Title>
      <Text size="sm" c="dimmed">
        Jobs, ConfigMaps, Secrets, Deployments and Services in one namespace; all or nothing. Preview first: nothing is applied until you press Apply.
      </Text>
      <Group align="flex-end">
        <FileButton onChange={(f) => void upload(f)} accept=".yaml,.yml,application/yaml,text/yaml,text/plain">
          {(props) => (
            <Button variant="default" {...props} data-testid="deploy-upload">
              Upload a file…
            </Button>
          )}
        </FileButton>
        <TextInput label="Namespace" placeholder="the configured one" value={namespace} onChange={(e) => setNamespace(e.currentTarget.value)} error={fieldError(preview.error, 'namespace')} w={220} />
      </Group>
      {uploadError && <Text c="red" size="sm">{uploadError}</Text>}
      <div data-testid="deploy-editor">
        <CodeEditor filePath="deploy.yaml" value={text} onChange={(v) => (setText(v), apply.data && apply.reset())} serverError={yamlError} />
      </div>
      {yamlError && (
        <Text c="red" size="sm" data-testid="deploy-yaml-error">
          {yamlError}
        </Text>
      )}
      <Group>
        <Button onClick={() => preview.mutate()} disabled={!text.trim() || !!denied} title={denied ?? undefined} loading={preview.isPending} data-testid="deploy-preview">
          Preview
        </Button>
        <Button
          color="teal"
          onClick={() => apply.mutate()}
          disabled={!current?.allowed || !!denied || apply.isSuccess}
          title={denied ?? (!current ? 'Preview this text first' : !current.allowed ? 'Some objects are not allowed' : undefined)}
          loading={apply.isPending}
          data-testid="deploy-apply"
        >
          Apply
        </Button>
        {denied && <Text size="xs" c="orange">{denied}</Text>}
      </Group>
      <ErrorAlert error={preview.error ?? apply.error} fields={['yaml_content', 'namespace']} />
      {previewed && !current && <Text size="sm" c="dimmed">The text changed since the preview: preview again.</Text>}
      {current && (
        <Stack gap="xs" data-testid="deploy-preview-result" data-allowed={current.allowed}>
          <Text fw={600}>
            {current.objects.length} object{current.objects.length === 1 ? '' : 's'} in namespace {current.namespace}:{' '}
            <Text span c={current.allowed ? 'teal' : 'red'} data-testid="deploy-verdict">
              {current.allowed ? 'all allowed' : 'not applicable as is'}
            </Text>
          </Text>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Namespace</Table.Th>
                <Table.Th>Allowed</Table.Th>
                <Table.Th>Why</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {current.objects.map((o, i) => (
                <Table.Tr key={i} data-testid="preview-row" data-kind={o.kind} data-name={o.name} data-allowed={o.allowed}>
                  <Table.Td>{o.kind}</Table.Td>
                  <Table.Td>{o.name}</Table.Td>
                  <Table.Td>{o.namespace}</Table.Td>
                  <Table.Td>
                    <Badge color={o.allowed ? 'teal' : 'red'} variant="light">
                      {o.allowed ? 'yes' : 'no'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" data-testid="preview-reason">
                      {o.reason}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
      {apply.data && (
        <Alert color="teal" title="Applied" data-testid="deploy-applied">
          <Text size="sm">{apply.data.message}</Text>
          {apply.data.resource_type === 'job' && (
            <Anchor component={Link} to={runLink(apply.data)} data-testid="deploy-run-link">
              Open the run {apply.data.resource_name}
            </Anchor>
          )}
        </Alert>
      )}
    </Stack>
  );
}
