/**
 * Runs GitHub's workflow parser (@actions/workflow-parser) on the files named in argv and prints
 * `{file: [error messages]}` as JSON. A separate Node process because the package imports its schema JSON without an
 * import attribute, which Node 20's ESM loader refuses: the hook below adds `type: json` for .json modules.
 */
import { register } from 'node:module';
import { readFileSync } from 'node:fs';

register(
  'data:text/javascript,' +
    encodeURIComponent(
      'export async function load(url, context, next) {' +
        " if (url.endsWith('.json')) return next(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });" +
        ' return next(url, context); }',
    ),
  import.meta.url,
);
const { parseWorkflow, NoOperationTraceWriter } = await import('@actions/workflow-parser');
const out = {};
for (const file of process.argv.slice(2)) {
  const r = parseWorkflow({ name: file, content: readFileSync(file, 'utf8') }, new NoOperationTraceWriter());
  out[file] = r.context.errors.getErrors().map((e) => e.message);
}
console.log(JSON.stringify(out));
