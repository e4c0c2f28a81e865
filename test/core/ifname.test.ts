// SO_BINDTODEVICE with interface names that are not UTF-8: Linux names are bytes, and
// they read back without loss (a Buffer of them). Runs in a private network namespace.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { options } from '../../src/index';
import { figure, fixtures } from '../helpers';
import { netnsRefusal } from '../privileges';

describe('interface names', () => {
  it('a non-UTF-8 name reads back as a Buffer of its exact bytes and sets the same interface again; a UTF-8 name is a string', async () => {
    expect(options.SO_BINDTODEVICE.kind).toBe('ifname');
    const refused = netnsRefusal(); // no namespace of our own allowed here: the kernel's refusal is the result
    if (refused) return void expect(refused).toMatch(/Operation not permitted/);
    const { stdout } = await promisify(execFile)('unshare', ['-rn', process.execPath, join(fixtures, 'ifname.js')], { timeout: 30_000 });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    figure('SO_BINDTODEVICE in a private namespace', out);
    expect(out).toEqual({
      odd: { isBuffer: true, hex: '76fffe', raw: '76fffe00' }, // the kernel's own answer ends with the NUL
      again: '76fffe',
      utf8: 'vé',
      none: '',
      missing: 'ENODEV',
    });
  });
});
