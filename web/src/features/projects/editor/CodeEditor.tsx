/**
 * A file in CodeMirror 6: YAML or JSON highlighting by the file name, JSON syntax checked as one types, and the
 * server's validation error (from a failed save) shown at its line as a lint diagnostic.
 */
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { languageOf, locateError, offsetOf } from './locate';

export interface CodeEditorProps {
  filePath: string;
  value: string;
  onChange?: (value: string) => void;
  readOnly?: boolean;
  /** A message from the server about this content (e.g. "not valid YAML … at line 3, column 7"). */
  serverError?: string | null;
}

function languageExtensions(filePath: string): Extension[] {
  const lang = languageOf(filePath);
  if (lang === 'json') return [json(), linter(jsonParseLinter(), { delay: 400 })];
  if (lang === 'yaml') return [yaml()];
  return [];
}

export function CodeEditor({ filePath, value, onChange, readOnly, serverError }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          lintGutter(),
          ...languageExtensions(filePath),
          EditorState.readOnly.of(!!readOnly),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current?.(u.state.doc.toString());
          }),
          EditorView.theme({ '&': { fontSize: '13px', border: '1px solid var(--mantine-color-gray-4)' }, '.cm-scroller': { minHeight: '320px', maxHeight: '65vh' } }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // the editor owns its document after creation; a new file (path) or mode makes a new editor
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filePath, readOnly]);

  // an external change of value (reset, reload after save) replaces the document
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const diagnostics: Diagnostic[] = [];
    if (serverError) {
      const doc = v.state.doc.toString();
      const loc = locateError(serverError, doc);
      const from = loc ? offsetOf(doc, loc) : 0;
      const to = loc ? Math.min(v.state.doc.lineAt(from).to, from + 1) : Math.min(doc.length, 1);
      diagnostics.push({ from, to: Math.max(to, from), severity: 'error', message: serverError, source: 'server' });
    }
    v.dispatch(setDiagnostics(v.state, diagnostics));
  }, [serverError]);

  return <div ref={host} data-testid="code-editor" data-file={filePath} />;
}
