// Two copies of the package's JavaScript in one process, over one addon file or each over
// its own: each copy reads its own socket's TCP_INFO. Over one file they share the addon's
// exports, and with them the arrays the native side writes TCP_INFO into (tcp-info.ts).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures, root } from '../helpers';
import { hasTcpInfo } from '../../src/kernel/tcp-info';

describe.skipIf(!hasTcpInfo)('two copies of sockopt, TCP_INFO', () => {
  it.each([['one addon file', 'shared', true], ['an addon file each', 'own', false]] as const)('%s: each copy reads its own socket, whichever loaded or read last', (_how, mode, shared) => {
    const out = JSON.parse(execFileSync(process.execPath, [join(fixtures, 'two-copies-tcpinfo.js'), root, mode], { encoding: 'utf8', timeout: 30_000 }));
    expect(out).toEqual({
      aConnection: 'ESTABLISHED',
      aListener: 'LISTEN',
      aDescribe: 'LISTEN',
      bConnection: 'ESTABLISHED',
      aAfterB: ['ESTABLISHED', true, true],
      aSnapshot: 'ESTABLISHED',
      bListener: 'LISTEN',
      sharedExports: shared,
    });
  });
});
