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

describe('two copies of sockopt, a policy in one and the app\'s keepalive in the other', () => {
  it('Node\'s setKeepAlive makes the policy come back, but not over what the app set through the other copy', () => {
    const out = JSON.parse(execFileSync(process.execPath, [join(fixtures, 'two-copies-keepalive.js'), root], { encoding: 'utf8', timeout: 30_000 }));
    // [SO_KEEPALIVE, idle s, interval s, count] as the kernel holds them.
    expect(out).toEqual({ policy: [1, 50, 6, 4], app: [1, 11, 2, 2], afterNode: [1, 11, 2, 2] });
  });
});
