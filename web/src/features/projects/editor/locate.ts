/**
 * Where in a file a server's parse error points: the messages say "at line 3, column 7" (src/core/parse.ts) or, for
 * JSON.parse, "at position 42" / "(line 3 column 7)". Pure, so the editor can put the error at its line.
 */
export interface Location {
  line: number;
  column: number;
}

/** The 1-based line and column a message names in `content`, or null when it names none. */
export function locateError(message: string, content: string): Location | null {
  const lc = /line (\d+)(?:,? column (\d+))?/i.exec(message);
  if (lc) {
    const line = Number(lc[1]);
    const lines = content.split('\n').length;
    if (line >= 1 && line <= lines) return { line, column: lc[2] ? Math.max(1, Number(lc[2])) : 1 };
  }
  const pos = /position (\d+)/i.exec(message);
  if (pos) {
    const offset = Math.min(Number(pos[1]), content.length);
    const before = content.slice(0, offset).split('\n');
    return { line: before.length, column: before[before.length - 1].length + 1 };
  }
  return null;
}

/** The character offset of a 1-based line/column in `content` (clamped to the line). */
export function offsetOf(content: string, loc: Location): number {
  const lines = content.split('\n');
  let offset = 0;
  for (let i = 0; i < Math.min(loc.line - 1, lines.length - 1); i++) offset += lines[i].length + 1;
  const lineText = lines[Math.min(loc.line, lines.length) - 1] ?? '';
  return offset + Math.min(loc.column - 1, lineText.length);
}

/** The language the editor highlights a file in, from its name. */
export function languageOf(filePath: string): 'json' | 'yaml' | 'text' {
  if (/\.json$/i.test(filePath)) return 'json';
  if (/\.ya?ml$/i.test(filePath)) return 'yaml';
  return 'text';
}
