/**
 * YAML and JSON parsing for user input whose error messages never quote the input. The `yaml` library's messages
 * (and `prettyErrors`) include the surrounding source lines, and user YAML carries secrets (`token:`, `HF_TOKEN`,
 * kubeconfig credentials): an error that echoed them would put them into a 422 and the logs. Every parse of user text
 * goes through here, so errors say what and where (line, column), never the text.
 */
import { parseAllDocuments, type Document } from 'yaml';

/** Aliases allowed per document: enough for real configs, far below what a "billion laughs" document needs. */
export const MAX_YAML_ALIASES = 100;

/** A parse failure with a safe message (kind and position only). */
export class SafeParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'SafeParseError';
  }
}

const where = (line?: number, column?: number) => (line ? ` at line ${line}${column ? `, column ${column}` : ''}` : '');

/** The first line of a `yaml` error without its source excerpt: the library's own wording ends before the position. */
function yamlReason(e: { code?: string; message?: string }): string {
  const first = String(e.message ?? '').split('\n')[0] ?? '';
  // Messages look like "Implicit keys need to be on a single line at line 3, column 1:" followed by source lines.
  const reason = first.replace(/\s+at line \d+, column \d+:?\s*$/, '').replace(/:\s*$/, '');
  // The message itself never contains source text, but keep it short and free of quoted fragments to be sure.
  return reason.replace(/"[^"]*"|'[^']*'/g, '…').slice(0, 160) || String(e.code ?? 'invalid YAML');
}

function positionOf(e: { linePos?: [{ line: number; col: number }, ...unknown[]] }): { line?: number; column?: number } {
  const p = e.linePos?.[0];
  return p ? { line: p.line, column: p.col } : {};
}

/** Every document of a YAML text as plain values (empty documents kept as null). Throws SafeParseError. */
export function parseYamlAll(text: string, opts: { maxAliasCount?: number } = {}): unknown[] {
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, { prettyErrors: true });
    docs = (Array.isArray(parsed) ? parsed : [parsed]) as Document.Parsed[];
  } catch (e: any) {
    const { line, column } = positionOf(e);
    throw new SafeParseError(`${yamlReason(e)}${where(line, column)}`, line, column);
  }
  const out: unknown[] = [];
  for (const [i, doc] of docs.entries()) {
    const err = doc.errors[0];
    const doc_ = docs.length > 1 ? ` (document ${i + 1})` : '';
    if (err) {
      const { line, column } = positionOf(err as any);
      throw new SafeParseError(`${yamlReason(err)}${where(line, column)}${doc_}`, line, column);
    }
    try {
      out.push(doc.toJS({ maxAliasCount: opts.maxAliasCount ?? MAX_YAML_ALIASES }));
    } catch (e: any) {
      // toJS errors are about structure (alias counts, merge keys), never quote values; keep only their first line.
      throw new SafeParseError(`${yamlReason(e)}${doc_}`);
    }
  }
  return out;
}

/** A single-document YAML text (a multi-document text is an error). Throws SafeParseError. */
export function parseYamlOne(text: string, opts: { maxAliasCount?: number } = {}): unknown {
  const docs = parseYamlAll(text, opts);
  if (docs.length > 1) throw new SafeParseError(`expected one YAML document, found ${docs.length}`);
  return docs[0] ?? null;
}

/** JSON.parse with a message that gives line and column, never the text around the error. Throws SafeParseError. */
export function parseJsonSafe(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e: any) {
    const m = /position (\d+)/.exec(String(e?.message ?? ''));
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const column = pos - before.lastIndexOf('\n');
      throw new SafeParseError(`invalid JSON at line ${line}, column ${column}`, line, column);
    }
    throw new SafeParseError(/Unexpected end/i.test(String(e?.message)) ? 'invalid JSON: unexpected end of input' : 'invalid JSON');
  }
}
