// The README's option table is generated from the registry; they must agree.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/kernel/registry';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { render, splice } = require('../scripts/gen-options-table.js') as {
  render(r: unknown): string;
  splice(readme: string, table: string): string;
};

describe('README', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

  it('option table matches the registry (regenerate with `npm run docs`)', () => {
    expect(splice(readme, render(registry))).toBe(readme);
  });

  it('the first example runs as written and prints what it says', () => {
    const example = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
    const file = join(__dirname, '..', `.readme-example-${process.pid}.js`); // in the package, so require('sockopt') resolves to itself
    writeFileSync(file, example);
    try {
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 10_000 }).trim();
      const available = readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
      const [uto, cc] = out.split(' ');
      expect(uto).toBe('30000');
      expect(available).toContain(cc);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('lists every registry option exactly once', () => {
    for (const name of Object.keys(registry)) {
      expect(readme.split(`| \`${name}\` |`).length - 1, name).toBe(1);
    }
  });
});
