// The README's option table is generated from the registry; they must agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/registry';

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

  it('lists every registry option exactly once', () => {
    for (const name of Object.keys(registry)) {
      expect(readme.split(`| \`${name}\` |`).length - 1, name).toBe(1);
    }
  });
});
