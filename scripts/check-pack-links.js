#!/usr/bin/env node
// Every relative link of the packed README.md names a file in the tarball: a link that
// works in the repository (test/readme.test.ts checks those) is dead on npm and in
// node_modules when package.json "files" leaves its target out.
//   node scripts/check-pack-links.js README.md FILE_LIST
// FILE_LIST: the tarball's paths, one a line, relative to the package root ("-" = stdin).
'use strict';
const { readFileSync } = require('node:fs');
const { posix } = require('node:path');

const [readme, list] = process.argv.slice(2);
if (!readme || !list) {
  console.error('usage: check-pack-links.js README.md FILE_LIST');
  process.exit(2);
}
const files = new Set(readFileSync(list === '-' ? 0 : list, 'utf8').split('\n').map((f) => f.trim()).filter(Boolean));
const inPack = (path) => files.has(path) || [...files].some((f) => f.startsWith(path.endsWith('/') ? path : `${path}/`));

const problems = [];
let links = 0;
let fenced = false;
readFileSync(readme, 'utf8').split('\n').forEach((line, i) => {
  if (line.startsWith('```')) fenced = !fenced;
  if (fenced) return;
  // Inline links [text](target) and reference definitions [name]: target.
  const targets = [...line.matchAll(/\]\(([^)\s]+)\)/g), ...line.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)].map((m) => m[1]);
  for (const target of targets) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue; // https:, mailto:, same-page anchors
    const path = posix.normalize(decodeURI(target.split('#')[0]));
    links++;
    if (path.startsWith('../') || !inPack(path)) problems.push(`README.md:${i + 1}: ${target} → ${path} is not in the tarball`);
  }
});
console.log(`${links} relative links in README.md, ${files.size} files in the tarball`);
if (problems.length) {
  console.log(problems.join('\n'));
  process.exit(1);
}
