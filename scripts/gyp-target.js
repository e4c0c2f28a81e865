#!/usr/bin/env node
// Prints the sources and defines binding.gyp gives its one target on an OS
// (gyp's names: linux, mac, win), so a cross build outside node-gyp compiles
// exactly the files node-gyp would. binding.gyp stays the one list of sources.
//   node scripts/gyp-target.js mac sources   → one path per line
//   node scripts/gyp-target.js mac defines   → one NAME[=VALUE] per line
// Only the condition forms binding.gyp uses are understood (OS=='x', OS!='x', joined by 'and');
// anything else stops the build rather than being guessed.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const [os, what] = process.argv.slice(2);
if (!['linux', 'mac', 'win'].includes(os) || !['sources', 'defines'].includes(what)) {
  console.error('usage: gyp-target.js linux|mac|win sources|defines');
  process.exit(2);
}
// gyp files are Python literals; binding.gyp keeps to the JSON-compatible subset (plus # comments).
const text = readFileSync(join(__dirname, '..', 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
const target = JSON.parse(text).targets[0];

function holds(condition) {
  return condition.split(/\s+and\s+/).every((term) => {
    const m = /^OS\s*(==|!=)\s*'(\w+)'$/.exec(term.trim());
    if (!m) throw new Error(`gyp-target.js: cannot evaluate condition ${JSON.stringify(condition)}`);
    return (m[2] === os) === (m[1] === '==');
  });
}

const out = [...(target[what] ?? [])];
for (const [condition, then, otherwise] of target.conditions ?? []) {
  const branch = holds(condition) ? then : otherwise;
  out.push(...(branch?.[what] ?? []));
}
console.log(out.join('\n'));
