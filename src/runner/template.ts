/**
 * The subset of lm-evaluation-harness' Jinja templates that task files use: `{{field}}`, dotted/indexed paths
 * (`{{a.b}}`, `{{choices[0]}}`), filters (`| trim`, `| lower`, `| upper`) and the methods `.strip()`, `.lower()`, `.upper()`.
 */
export type Doc = Record<string, unknown>;

const EXPR = /\{\{\s*(.+?)\s*\}\}/g;

function lookup(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (cur === null || cur === undefined) return undefined;
    const key = /^\d+$/.test(part) ? Number(part) : part.replace(/^['"]|['"]$/g, '');
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

const TRANSFORMS: Record<string, (s: string) => string> = {
  trim: (s) => s.trim(),
  strip: (s) => s.trim(),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  string: (s) => s,
};

function evaluate(expr: string, doc: Doc): unknown {
  const [head, ...filters] = expr.split('|').map((s) => s.trim());
  let pathPart = head;
  const methods: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = /\.(strip|lower|upper)\(\)$/.exec(pathPart))) {
    methods.unshift(m[1]);
    pathPart = pathPart.slice(0, m.index);
  }
  let value = lookup(doc, pathPart);
  for (const f of [...methods, ...filters]) {
    const t = TRANSFORMS[f];
    if (!t) throw new Error(`unsupported template filter "${f}"`);
    value = t(value === undefined || value === null ? '' : String(value));
  }
  return value;
}

const asText = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Renders a template against a document. A template with no `{{` that names a field returns that field (lm-eval's column form). */
export function render(template: string, doc: Doc): string {
  if (!template.includes('{{') && Object.prototype.hasOwnProperty.call(doc, template)) return asText(doc[template]);
  return template.replace(EXPR, (_m, expr: string) => asText(evaluate(expr, doc)));
}

/** Like render, but a template that is exactly one field holding a list returns every entry (several accepted answers). */
export function renderTargets(template: string, doc: Doc): string[] {
  const single = /^\s*\{\{\s*([^|}]+?)\s*\}\}\s*$/.exec(template);
  const field = single ? single[1] : !template.includes('{{') && Object.prototype.hasOwnProperty.call(doc, template) ? template : undefined;
  if (field !== undefined) {
    const v = evaluate(field, doc);
    if (Array.isArray(v)) return v.map(asText);
  }
  return [render(template, doc)];
}

/** Field names a template reads (for checking a task's template against its data before sending anything). */
export function templateFields(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(EXPR)) {
    const head = m[1].split('|')[0].trim().replace(/\.(strip|lower|upper)\(\)$/, '');
    const first = head.match(/[^.[\]]+/)?.[0];
    if (first) out.push(first);
  }
  return out;
}
