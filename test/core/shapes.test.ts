// What the hot path relies on from V8, checked structurally (never timed): every
// get/set by name starts with a lookup in the option table, which must stay a fast-mode
// object (an inline-cached load), not a hash table.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers';


describe('hot-path object shapes', () => {
  it('the option table is a fast-mode, null-prototype, frozen object', () => {
    const src = `const { table } = require('./lib/core/options');
      console.log(JSON.stringify([%HasFastProperties(table), Object.getPrototypeOf(table) === null, Object.isFrozen(table), Object.keys(table).length]));`;
    const [fast, nullProto, frozen, count] = JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', src], { cwd: root, encoding: 'utf8' }));
    expect(nullProto).toBe(true);
    expect(frozen).toBe(true);
    expect(count).toBeGreaterThan(50);
    expect(fast).toBe(true);
  });
});
