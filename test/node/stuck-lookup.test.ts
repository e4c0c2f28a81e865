// The `sockopt` command's end past a stuck DNS lookup (src/node/stuck-lookup.ts): Node names
// a pending dns.lookup() 'GetAddrInfoReqWrap' among its active resources on every major the
// matrix runs, and exitNow ends the process with its code at once, exit handlers skipped.
// (test/cli/cli.test.ts "against a silent resolver" runs the whole path.)
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binding } from '../../src/kernel/binding';
import { lookupPending } from '../../src/node/stuck-lookup';
import { root } from '../helpers';

describe('a pending lookup, and exitNow', () => {
  it('lookupPending() is true while a getaddrinfo is under way, false once it answered', async () => {
    expect(lookupPending()).toBe(false);
    const answered = new Promise<void>((resolve) => lookup('localhost', () => resolve()));
    expect(lookupPending()).toBe(true);
    await answered;
    await new Promise((resolve) => setImmediate(resolve));
    expect(lookupPending()).toBe(false);
  });

  it('exitNow(code) ends the process with that code, its exit handlers not run, its written output kept', () => {
    const addon = JSON.stringify(join(root, 'lib/kernel/binding.js'));
    const run = spawnSync(process.execPath, ['-e', `
const { binding } = require(${addon});
process.on('exit', () => process.stdout.write('exit handler ran\\n'));
process.stdout.write('written\\n');
setTimeout(() => {}, 60_000);
binding.exitNow(7);`], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(7);
    expect(run.stdout).toBe('written\n');
  });

  it('exitNow refuses a code that is not an integer from 0 to 255, and does not exit', () => {
    for (const bad of [undefined, '1', {}, 1n]) expect(() => binding.exitNow(bad as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    for (const bad of [-1, 256, 2 ** 31 - 1, 1.5, NaN, 2 ** 40]) expect(() => binding.exitNow(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
