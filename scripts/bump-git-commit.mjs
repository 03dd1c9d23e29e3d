#!/usr/bin/env node
/**
 * Seed 004's manifest bump: sets the `git-commit` annotation (seed 004's name; `--annotation` for another) of every pod template
 * under a folder of manifests to a commit sha, so that Argo CD rolls pods onto the new `:latest` image.
 *
 *   node scripts/bump-git-commit.mjs --dir deploy --commit <sha> [--annotation git-commit]
 *
 * Only the annotation's value changes, byte for byte everything else stays (the value's source range is replaced,
 * the YAML is never re-serialised, so comments and flow maps survive); only annotations that already exist are
 * bumped (a manifest opts in by carrying the key). Running it twice with the same sha changes nothing. Every file is
 * read and checked before any is written: a YAML error names the file and line and leaves all files untouched.
 * Prints one line per changed file; exit 0 (also when nothing changed), 1 on an error, 2 on bad arguments.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, parseAllDocuments, visit } from 'yaml';

/** Parses `--name value` flags. */
function args(argv) {
  const out = { dir: 'deploy', annotation: 'git-commit', commit: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--dir' || a === '--commit' || a === '--annotation') {
      if (v === undefined) usage(`${a} needs a value`);
      out[a.slice(2)] = v;
      i++;
    } else usage(`unknown argument ${a}`);
  }
  if (!/^[0-9a-f]{7,64}$/.test(out.commit)) usage('--commit must be a hex commit sha (7 to 64 characters)');
  if (!/^([a-z0-9.-]+\/)?[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(out.annotation)) usage('--annotation must be an annotation key');
  return out;
}

function usage(why) {
  console.error(`bump-git-commit: ${why}\nusage: bump-git-commit.mjs --dir <folder> --commit <sha> [--annotation <key>]`);
  process.exit(2);
}

/** Every .yaml/.yml file under `dir`, sorted (deterministic output). */
function yamlFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

/** The new text of one manifest file (or null when nothing changes); throws on invalid YAML. */
export function bumpText(text, key, commit) {
  const edits = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      const e = doc.errors[0];
      throw new Error(`invalid YAML at line ${e.linePos?.[0]?.line ?? '?'}: ${e.code}`);
    }
    visit(doc, {
      Pair(_, pair, ancestors) {
        if (!isScalar(pair.key) || pair.key.value !== key || !isScalar(pair.value)) return;
        // the annotations map of a pod template's metadata: …template → metadata → annotations → key
        const keys = ancestors.filter(isPair).map((p) => (isScalar(p.key) ? p.key.value : null));
        const [ann, meta, tmpl] = keys.slice(-3).reverse();
        if (ann !== 'annotations' || meta !== 'metadata' || tmpl !== 'template') return;
        if (!isMap(ancestors.at(-1))) return;
        if (String(pair.value.value) === commit) return;
        const [start, end] = pair.value.range;
        edits.push({ start, end });
      },
    });
  }
  if (!edits.length) return null;
  let out = text;
  for (const { start, end } of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, start) + JSON.stringify(commit) + out.slice(end);
  return out;
}

function main() {
  const o = args(process.argv.slice(2));
  const planned = [];
  for (const file of yamlFiles(o.dir)) {
    let next;
    try {
      next = bumpText(readFileSync(file, 'utf8'), o.annotation, o.commit);
    } catch (e) {
      console.error(`bump-git-commit: ${file}: ${e.message}; no file was changed`);
      process.exit(1);
    }
    if (next !== null) planned.push([file, next]);
  }
  for (const [file, text] of planned) {
    writeFileSync(file, text);
    console.log(`${file}: ${o.annotation}=${o.commit}`);
  }
  if (!planned.length) console.log(`nothing to change: every ${o.annotation} under ${o.dir} is ${o.commit}`);
}

// run as a script (not when imported)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
