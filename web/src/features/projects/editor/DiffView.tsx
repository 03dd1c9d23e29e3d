/** A modified file against its original in CodeMirror's merge view (read-only, changes highlighted side by side). */
import { json } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { MergeView } from '@codemirror/merge';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { languageOf } from './locate';

export function DiffView({ filePath, original, modified }: { filePath: string; original: string; modified: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const lang = languageOf(filePath);
    const ext: Extension[] = [basicSetup, EditorState.readOnly.of(true), EditorView.editable.of(false), ...(lang === 'json' ? [json()] : lang === 'yaml' ? [yaml()] : [])];
    const mv = new MergeView({
      parent: host.current!,
      a: { doc: original, extensions: ext },
      b: { doc: modified, extensions: ext },
      collapseUnchanged: { margin: 3, minSize: 6 },
      highlightChanges: true,
    });
    return () => mv.destroy();
  }, [filePath, original, modified]);
  return <div ref={host} data-testid="diff-view" style={{ border: '1px solid var(--mantine-color-gray-4)', fontSize: 13 }} />;
}
