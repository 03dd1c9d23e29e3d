/**
 * A file in CodeMirror 6: YAML or JSON highlighting by the file name, JSON syntax checked as one types, and the
 * server's validation error (from a failed save) shown at its line as a lint diagnostic.
 */
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { EditorView, type ViewUpdate } from '@codemirror/view';
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

const LINT_DELAY_MS = 400;

function languageExtensions(filePath: string): Extension[] {
  const lang = languageOf(filePath);
  if (lang === 'json') return [json(), linter(jsonParseLinter(), { delay: LINT_DELAY_MS })];
  if (lang === 'yaml') return [yaml()];
  return [];
}

/**
 * The server's error as one more lint source, not a one-off setDiagnostics: the linters' results replace the
 * diagnostics they find, so a JSON check finishing after the save's answer used to drop the server's marker.
 */
const setServerError = StateEffect.define<string | null>();
const serverErrorField = StateField.define<string | null>({
  create: () => null,
  update: (value, tr) => tr.effects.reduce((v, e) => (e.is(setServerError) ? e.value : v), value),
});
function serverDiagnostics(view: EditorView): Diagnostic[] {
  const message = view.state.field(serverErrorField);
  if (!message) return [];
  const doc = view.state.doc.toString();
  const loc = locateError(message, doc);
  const from = loc ? offsetOf(doc, loc) : 0;
  const to = loc ? Math.min(view.state.doc.lineAt(from).to, from + 1) : Math.min(doc.length, 1);
  return [{ from, to: Math.max(to, from), severity: 'error', message, source: 'server' }];
}
const serverErrorChanged = (u: ViewUpdate) => u.transactions.some((t) => t.effects.some((e) => e.is(setServerError)));
const serverLint: Extension = [serverErrorField, linter(serverDiagnostics, { delay: LINT_DELAY_MS, needsRefresh: serverErrorChanged })];

export function CodeEditor({ filePath, value, onChange, readOnly, serverError }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  const serverErrorRef = useRef(serverError);
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
          serverLint,
          EditorState.readOnly.of(!!readOnly),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current?.(u.state.doc.toString());
          }),
          EditorView.theme({ '&': { fontSize: '13px', border: '1px solid var(--mantine-color-gray-4)' }, '.cm-scroller': { minHeight: '320px', maxHeight: '65vh' } }),
        ],
      }),
    });
    view.current = v;
    // a new editor (another file or mode) shows the error the page holds now
    if (serverErrorRef.current) v.dispatch({ effects: setServerError.of(serverErrorRef.current) });
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
    serverErrorRef.current = serverError;
    view.current?.dispatch({ effects: setServerError.of(serverError ?? null) });
  }, [serverError]);

  return <div ref={host} data-testid="code-editor" data-file={filePath} />;
}
