#!/usr/bin/env node
// Checks that docs/divergences.md and the expectation manifests list the
// same cases: every entry of expectations/bun.toml must be named in the
// doc's `## Bun` section, every entry of expectations/deno.toml in its
// `## Deno` section, and neither section may name a case that its manifest
// does not hold. Node 18 or later, built-ins only.
//
//   node scripts/check-divergences-doc.js [REPO_ROOT]
//
// REPO_ROOT defaults to the directory above this script. Exit 0 when the
// doc and the manifests agree, 1 (listing each difference) when they do
// not, 2 when a file or section is missing.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const RUNTIMES = [
  { name: 'Bun', manifest: 'expectations/bun.toml' },
  { name: 'Deno', manifest: 'expectations/deno.toml' },
];
const DOC = 'docs/divergences.md';

// The manifests' entries: `["<id>"]` table headers, with the `expect` line
// that follows each. A line-based reading is enough for what
// `nodecompat expectations update` writes.
function manifestEntries(text) {
  const entries = new Map();
  let current = null;
  for (const line of text.split('\n')) {
    const header = line.match(/^\s*\[\s*"([^"]+)"\s*\]\s*(#.*)?$/);
    if (header) {
      current = header[1];
      entries.set(current, '?');
      continue;
    }
    const expect = line.match(/^\s*expect\s*=\s*["']([^"']*)["']/);
    if (expect && current !== null) entries.set(current, expect[1]);
  }
  return entries;
}

// The doc's `## <name>` section: from that heading to the next `## `
// heading (or the end of the file). Code blocks are left out, so that a
// `##` inside one does not end the section.
function section(text, name) {
  const lines = text.split('\n');
  let inFence = false;
  let start = -1;
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(```|~~~)/.test(lines[i])) inFence = !inFence;
    if (inFence || !/^## /.test(lines[i])) continue;
    if (start >= 0) {
      end = i;
      break;
    }
    if (new RegExp(`^## ${name}\\b`).test(lines[i])) start = i;
  }
  return start < 0 ? null : lines.slice(start, end).join('\n');
}

// The case ids a section names: code spans of the form `module/file/case`,
// where module is one of the suite's modules (spec/'s directories, and the
// first part of every manifest id). Globs such as `net/unix-path-length/*`
// are not ids.
function documentedIds(text, modules) {
  const ids = new Set();
  for (const m of text.matchAll(/`([^`\n]+)`/g)) {
    const parts = m[1].split('/');
    if (parts.length === 3 && modules.has(parts[0]) && parts.every((p) => /^[A-Za-z0-9_.-]+$/.test(p))) {
      ids.add(m[1]);
    }
  }
  return ids;
}

function read(root, rel) {
  try {
    return fs.readFileSync(path.join(root, rel), 'utf8');
  } catch (e) {
    console.error(`check-divergences-doc: cannot read ${rel}: ${e.message}`);
    process.exit(2);
  }
}

function main() {
  const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));
  const doc = read(root, DOC);
  const manifests = RUNTIMES.map((r) => ({ ...r, entries: manifestEntries(read(root, r.manifest)) }));

  const modules = new Set();
  try {
    for (const d of fs.readdirSync(path.join(root, 'spec'), { withFileTypes: true })) {
      if (d.isDirectory()) modules.add(d.name);
    }
  } catch {
    // No spec directory: the manifests' ids name the modules.
  }
  for (const m of manifests) for (const id of m.entries.keys()) modules.add(id.split('/')[0]);

  const problems = [];
  for (const m of manifests) {
    const text = section(doc, m.name);
    if (text === null) {
      console.error(`check-divergences-doc: ${DOC} has no "## ${m.name}" section`);
      process.exit(2);
    }
    const documented = documentedIds(text, modules);
    for (const [id, expect] of [...m.entries].sort()) {
      if (!documented.has(id)) {
        problems.push(`${m.name}: ${id} (expect = "${expect}" in ${m.manifest}) is missing from the doc's "## ${m.name}" section`);
      }
    }
    for (const id of [...documented].sort()) {
      if (!m.entries.has(id)) {
        problems.push(`${m.name}: ${id} is in the doc's "## ${m.name}" section but not in ${m.manifest}`);
      }
    }
  }

  if (problems.length > 0) {
    console.error(`${DOC} and the expectation manifests disagree (${problems.length}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  const counts = manifests.map((m) => `${m.name} ${m.entries.size}`).join(', ');
  console.log(`${DOC} names every manifest entry and nothing else (${counts}).`);
}

main();
