// Prints the production bundle's size: each page's download (the shell's entry chunk and CSS plus the page's chunk
// and everything it imports statically), gzip and raw, and the whole bundle. Reads the Vite manifest of web/dist
// (run `npm run build:web` first; `npm run web:size` does not build).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');
const manifestFile = path.join(dist, '.vite', 'manifest.json');
if (!existsSync(manifestFile)) {
  console.error('web/dist has no Vite manifest: run npm run build:web first');
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
const sizes = new Map();
/** Raw and gzip (level 9, what a server would send) bytes of one built file. */
function size(file) {
  if (!sizes.has(file)) {
    const buf = readFileSync(path.join(dist, file));
    sizes.set(file, { raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
  }
  return sizes.get(file);
}
/** The files a chunk needs before it runs: itself, its CSS, its static imports (recursively). */
function closure(key, seen = new Set()) {
  const c = manifest[key];
  if (!c || seen.has(c.file)) return seen;
  seen.add(c.file);
  for (const css of c.css ?? []) seen.add(css);
  for (const imp of c.imports ?? []) closure(imp, seen);
  return seen;
}
const kb = (n) => `${(n / 1024).toFixed(1).padStart(7)} kB`;
const total = (files) => [...files].reduce((a, f) => ({ raw: a.raw + size(f).raw, gzip: a.gzip + size(f).gzip }), { raw: 0, gzip: 0 });

const entry = closure('index.html');
const rows = [['shell (every page)', total(entry)]];
for (const [key, c] of Object.entries(manifest)) {
  if (!c.isDynamicEntry || !/Page\.tsx$|results\/index\.ts$/.test(key)) continue;
  const files = closure(key, new Set(entry));
  rows.push([key.replace(/^src\/features\//, ''), total(files)]);
}
const all = readdirSync(path.join(dist, 'assets')).map((f) => `assets/${f}`).filter((f) => statSync(path.join(dist, f)).isFile());
console.log('page'.padEnd(40), 'gzip'.padStart(10), 'raw'.padStart(10));
for (const [name, t] of rows) console.log(name.padEnd(40), kb(t.gzip), kb(t.raw));
const t = total(all);
console.log('whole bundle (every chunk)'.padEnd(40), kb(t.gzip), kb(t.raw));
