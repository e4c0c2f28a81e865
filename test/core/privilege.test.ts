// Options that need CAP_NET_ADMIN or CAP_NET_RAW: granted as root, and an
// EPERM-coded error once the capabilities are dropped (setpriv, in a child process).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figure, fixtures } from '../helpers';

const script = join(fixtures, 'privileged.js');
const run = (prefix: string[]) =>
  JSON.parse(execFileSync(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), script], { encoding: 'utf8' }));

describe('capabilities', () => {
  it('as root (with CAP_NET_ADMIN and CAP_NET_RAW) every privileged option is accepted', () => {
    expect(process.getuid?.()).toBe(0); // the suite runs as root here and in CI
    const out = run([]);
    figure('privileged options as root', out);
    expect(out).toEqual({ SO_MARK: 'ok', 'SO_PRIORITY 7': 'ok', IP_TRANSPARENT: 'ok', SO_RCVBUFFORCE: 'ok', 'SO_PRIORITY 6 (no capability needed)': 'ok', markAfter: 42 });
  });

  it('without CAP_NET_ADMIN/CAP_NET_RAW each is refused with EPERM (and nothing is set)', () => {
    const out = run(['setpriv', '--bounding-set', '-net_admin,-net_raw', '--inh-caps', '-net_admin,-net_raw']);
    figure('privileged options without CAP_NET_ADMIN/CAP_NET_RAW', out);
    const eperm = (option: string) => ({ code: 'EPERM', errno: -1, syscall: 'setsockopt', option });
    expect(out).toEqual({
      SO_MARK: eperm('SO_MARK'),
      'SO_PRIORITY 7': eperm('SO_PRIORITY'),
      IP_TRANSPARENT: eperm('IP_TRANSPARENT'),
      SO_RCVBUFFORCE: eperm('SO_RCVBUFFORCE'),
      'SO_PRIORITY 6 (no capability needed)': 'ok',
      markAfter: 0,
    });
  });
});
