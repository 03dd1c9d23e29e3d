/** A modified file against its original in CodeMirror's merge view (read-only, changes highlighted side by side). */
import { json } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { MergeView } from '@codemirror/merge';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { SimpleGrid, Text } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { languageOf } from './locate';

export function DiffView({ filePath, original, modified, originalLabel }: { filePath: string; original: string; modified: string; originalLabel?: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const lang = languageOf(filePath);
    const ext: Extension[] = [
      basicSetup,
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      // the merge view marks folded unchanged lines with U+299A, which common fonts lack (a box): use an ellipsis
      EditorView.theme({ '.cm-collapsedLines:before': { content: '"⋯"' }, '.cm-collapsedLines:after': { content: '"⋯"' } }),
      ...(lang === 'json' ? [json()] : lang === 'yaml' ? [yaml()] : []),
    ];
    const mv = new MergeView({
      parent: host.current!,
      a: { doc: original, extensions: ext },
      b: { doc: modified, extensions: ext },
      collapseUnchanged: { margin: 3, minSize: 6 },
      highlightChanges: true,
    });
    return () => mv.destroy();
  }, [filePath, original, modified]);
  return (
    <div>
      <SimpleGrid cols={2} spacing={0} mb={4}>
        <Text size="xs" c="dimmed" fw={600}>
          {originalLabel ?? 'Original'}
        </Text>
        <Text size="xs" c="dimmed" fw={600}>
          Modified copy
        </Text>
      </SimpleGrid>
      <div ref={host} data-testid="diff-view" style={{ border: '1px solid var(--mantine-color-gray-4)', fontSize: 13 }} />
    </div>
  );
}
