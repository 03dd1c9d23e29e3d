/**
 * One file of a project in CodeMirror: edit and save (an original is saved as a modified copy, a copy in place), the
 * server's validation error at its line, rename or delete a copy, its diff against the original in the merge view,
 * and "Run" on a job file.
 */
import { Anchor, Badge, Breadcrumbs, Button, Group, Modal, Stack, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../../api/errors';
import { ErrorAlert, fieldError } from '../../shell/ErrorDisplay';
import { Guarded } from '../../shell/Guarded';
import { PageLoader } from '../../shell/PageLoader';
import { projectsApi } from './api';
import { CodeEditor } from './editor/CodeEditor';

const DiffView = lazy(() => import('./editor/DiffView').then((m) => ({ default: m.DiffView })));
const RunDialog = lazy(() => import('./RunDialog').then((m) => ({ default: m.RunDialog })));

export function FilePage() {
  const { projectId = '', fileId = '' } = useParams();
  // one view per file: moving to another file (e.g. the copy a save made) starts with a fresh edit buffer and tab
  return <FileView key={fileId} projectId={projectId} fileId={fileId} />;
}

function FileView({ projectId, fileId }: { projectId: string; fileId: string }) {
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const entry = useQuery({ queryKey: ['projects', projectId, 'file', fileId], queryFn: () => projectsApi.file(projectId, fileId) });
  const project = useQuery({ queryKey: ['projects', projectId], queryFn: () => projectsApi.get(projectId) });
  const isCopy = entry.data?.file_type === 'modified';
  const diff = useQuery({ queryKey: ['projects', projectId, 'diff', fileId], queryFn: () => projectsApi.diff(projectId, fileId), enabled: isCopy });
  const originalId = diff.data?.original_file_id;
  const original = useQuery({
    queryKey: ['projects', projectId, 'file', originalId],
    queryFn: () => projectsApi.file(projectId, originalId!),
    enabled: !!originalId,
  });
  const [content, setContent] = useState<string | null>(null);
  const [tab, setTab] = useState<string | null>(search.get('tab') === 'diff' ? 'diff' : 'edit');
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [running, setRunning] = useState(false);

  const invalidate = () => qc.invalidateQueries({ queryKey: ['projects', projectId] });
  const save = useMutation({
    mutationFn: async () => {
      const file = entry.data!.file;
      const text = content ?? file.content;
      return isCopy ? projectsApi.updateCopy(fileId, { content: text }) : projectsApi.saveCopy(projectId, fileId, text);
    },
    onSuccess: async (saved) => {
      await invalidate();
      if (!isCopy) navigate(`/projects/${projectId}/files/${saved.file_id}?tab=diff`);
    },
  });
  const rename = useMutation({
    mutationFn: (name: string) => projectsApi.updateCopy(fileId, { modified_name: name }),
    onSuccess: async () => {
      setRenaming(null);
      await invalidate();
    },
  });
  const remove = useMutation({
    mutationFn: () => projectsApi.deleteCopy(fileId),
    onSuccess: async () => {
      await invalidate();
      navigate(`/projects/${projectId}`);
    },
  });

  if (entry.isLoading) return <PageLoader />;
  if (!entry.data) return <ErrorAlert error={entry.error} />;
  const file = entry.data.file;
  const text = content ?? file.content;
  const dirty = content !== null && content !== file.content;
  const saveError = save.error instanceof ApiError ? (fieldError(save.error, 'content') ?? null) : null;

  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/projects">
          Projects
        </Anchor>
        <Anchor component={Link} to={`/projects/${projectId}`}>
          {project.data?.project.name ?? projectId}
        </Anchor>
        <Text>{file.file_name}</Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={3} data-testid="file-path">
            {file.file_path}
          </Title>
          <Group gap={6}>
            <Badge variant={isCopy ? 'filled' : 'outline'} color={isCopy ? 'orange' : 'gray'} data-testid="file-source">
              {isCopy ? 'modified' : 'original'}
            </Badge>
            <Badge variant="light">{file.file_type}</Badge>
            <Badge variant="light" color="gray">
              {file.benchmark_type}
            </Badge>
            {isCopy && diff.data && (
              <Text size="xs" c="dimmed">
                {diff.data.original_path ? `copy of ${diff.data.original_path}` : 'no original (a new file)'}
                {diff.data.identical ? ' · identical to it' : ''}
              </Text>
            )}
          </Group>
        </Stack>
        <Group gap="xs">
          {file.file_type === 'job' && (
            <Guarded role="operator">
              <Button color="teal" onClick={() => setRunning(true)} data-testid="run-button">
                Run
              </Button>
            </Guarded>
          )}
          {isCopy && (
            <>
              <Guarded role="operator">
                <Button variant="default" onClick={() => setRenaming(file.file_name)}>
                  Rename
                </Button>
              </Guarded>
              <Guarded role="operator">
                <Button variant="subtle" color="red" onClick={() => setConfirmDelete(true)}>
                  Delete
                </Button>
              </Guarded>
            </>
          )}
        </Group>
      </Group>

      <Tabs value={tab} onChange={setTab}>
        <Tabs.List>
          <Tabs.Tab value="edit">Edit</Tabs.Tab>
          <Tabs.Tab value="diff" disabled={!isCopy} title={isCopy ? undefined : 'An original has no diff: save a modified copy first'}>
            Diff against the original
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="edit" pt="sm">
          <Stack gap="xs">
            <CodeEditor filePath={file.file_path} value={text} onChange={setContent} serverError={saveError} />
            <ErrorAlert error={save.error} fields={saveError ? ['content'] : []} />
            {saveError && (
              <Text size="sm" c="red" data-testid="content-error">
                {saveError}
              </Text>
            )}
            <Group>
              <Guarded role="operator">
                <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!dirty} data-testid="save-button">
                  {isCopy ? 'Save' : 'Save as modified copy'}
                </Button>
              </Guarded>
              {dirty && (
                <Button
                  variant="subtle"
                  onClick={() => {
                    setContent(null);
                    save.reset();
                  }}
                >
                  Discard changes
                </Button>
              )}
              {save.isSuccess && !dirty && (
                <Text size="sm" c="teal">
                  Saved.
                </Text>
              )}
            </Group>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="diff" pt="sm">
          {isCopy && (original.data || (diff.data && !diff.data.original_file_id)) ? (
            <Suspense fallback={<PageLoader label="Loading the diff…" />}>
              <DiffView
                filePath={file.file_path}
                original={original.data?.file.content ?? ''}
                modified={file.content}
                originalLabel={diff.data?.original_path ? `Original: ${diff.data.original_path}` : 'No original (a new file)'}
              />
            </Suspense>
          ) : (
            <>
              <ErrorAlert error={diff.error ?? original.error} />
              {isCopy && !diff.error && !original.error && <PageLoader label="Loading the diff…" />}
            </>
          )}
        </Tabs.Panel>
      </Tabs>

      <Modal opened={renaming !== null} onClose={() => setRenaming(null)} title="Rename the modified copy">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (renaming) rename.mutate(renaming);
          }}
        >
          <Stack>
            <TextInput label="File name" value={renaming ?? ''} onChange={(e) => setRenaming(e.currentTarget.value)} error={fieldError(rename.error, 'modified_name')} data-autofocus />
            <ErrorAlert error={rename.error} fields={['modified_name']} />
            <Group justify="flex-end">
              <Button type="submit" loading={rename.isPending}>
                Rename
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <Modal opened={confirmDelete} onClose={() => setConfirmDelete(false)} title="Delete this modified copy?">
        <Stack>
          <Text size="sm">The original stays as it is in the repository.</Text>
          <ErrorAlert error={remove.error} />
          <Group justify="flex-end">
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
      {running && (
        <Suspense fallback={null}>
          <RunDialog projectId={projectId} job={file} onClose={() => setRunning(false)} />
        </Suspense>
      )}
    </Stack>
  );
}
