/** Unified diff of two texts (Myers' O(ND) line diff, 3 lines of context), as `diff -u` / `git diff` print it. */

type Op = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Shortest edit script between two line arrays. */
function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  const off = max;
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vv = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vv[off + k - 1] < vv[off + k + 1]) ? k + 1 : k - 1;
    const prevX = vv[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x] });
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y] });
      else ops.push({ kind: '-', line: a[--x] });
    }
  }
  return ops.reverse();
}

/** `--- a/<from>` / `+++ b/<to>` unified diff; empty string when the texts are equal. */
export function unifiedDiff(oldText: string, newText: string, fromName: string, toName: string, context = 3): string {
  if (oldText === newText) return '';
  const ops = myers(splitLines(oldText), splitLines(newText));
  const out: string[] = [`--- ${fromName}`, `+++ ${toName}`];
  let i = 0;
  let oldLine = 1;
  let newLine = 1;
  // Walk the script, emitting hunks around changes.
  const positions: { o: number; n: number }[] = [];
  for (const op of ops) {
    positions.push({ o: oldLine, n: newLine });
    if (op.kind !== '+') oldLine++;
    if (op.kind !== '-') newLine++;
  }
  while (i < ops.length) {
    if (ops[i].kind === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    let lastChange = i;
    while (end < ops.length && (ops[end].kind !== ' ' || end - lastChange <= 2 * context)) {
      if (ops[end].kind !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const oCount = hunk.filter((o) => o.kind !== '+').length;
    const nCount = hunk.filter((o) => o.kind !== '-').length;
    const oStart = oCount ? positions[start].o : positions[start].o - 1;
    const nStart = nCount ? positions[start].n : positions[start].n - 1;
    out.push(`@@ -${oStart},${oCount} +${nStart},${nCount} @@`);
    for (const o of hunk) out.push(o.kind + o.line);
    i = end;
  }
  return out.join('\n') + '\n';
}
