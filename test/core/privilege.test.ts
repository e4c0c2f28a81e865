// Options that need CAP_NET_ADMIN or CAP_NET_RAW: accepted by a process that holds both,
// refused with an EPERM-coded error (and nothing set) by one that holds neither. The
// capabilities are read from the kernel (CapEff), not assumed from the uid; a child with
// them dropped (setpriv) is checked too.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errno, figure, fixtures } from '../helpers';
import { hasCapability } from '../privileges';

const script = join(fixtures, 'privileged.js');
const run = (prefix: string[]) =>
  JSON.parse(execFileSync(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), script], { encoding: 'utf8' })) as Record<string, unknown>;

const ACCEPTED: Record<string, unknown> = { SO_MARK: 'ok', 'SO_PRIORITY 7': 'ok', IP_TRANSPARENT: 'ok', SO_RCVBUFFORCE: 'ok', 'SO_PRIORITY 6 (no capability needed)': 'ok', markAfter: 42 };
const eperm = (option: string) => ({ code: 'EPERM', errno: errno('EPERM'), syscall: 'setsockopt', option });
const REFUSED: Record<string, unknown> = {
  SO_MARK: eperm('SO_MARK'),
  'SO_PRIORITY 7': eperm('SO_PRIORITY'),
  IP_TRANSPARENT: eperm('IP_TRANSPARENT'),
  SO_RCVBUFFORCE: eperm('SO_RCVBUFFORCE'),
  'SO_PRIORITY 6 (no capability needed)': 'ok',
  markAfter: 0,
};

const netAdmin = hasCapability('CAP_NET_ADMIN');
const netRaw = hasCapability('CAP_NET_RAW');

describe('capabilities', () => {
  it('this process: with CAP_NET_ADMIN and CAP_NET_RAW every privileged option is accepted, with neither each is refused with EPERM', () => {
    const out = run([]);
    figure(`privileged options (CAP_NET_ADMIN ${netAdmin ? 'held' : 'not held'}, CAP_NET_RAW ${netRaw ? 'held' : 'not held'})`, out);
    if (netAdmin === netRaw) {
      expect(out).toEqual(netAdmin ? ACCEPTED : REFUSED);
    } else {
      // One of the two: which options each opens differs between kernels (SO_MARK took
      // CAP_NET_ADMIN only before 5.17). Each is accepted or refused with EPERM, nothing else.
      for (const [key, value] of Object.entries(out)) if (key !== 'markAfter') expect([ACCEPTED[key], REFUSED[key]], key).toContainEqual(value);
      expect(out.markAfter).toBe(out.SO_MARK === 'ok' ? 42 : 0);
    }
  });

  it('without CAP_NET_ADMIN/CAP_NET_RAW each is refused with EPERM (and nothing is set)', () => {
    // A process that holds neither is already that child; otherwise setpriv drops both.
    const drop = netAdmin || netRaw ? ['setpriv', '--bounding-set', '-net_admin,-net_raw', '--inh-caps', '-net_admin,-net_raw'] : [];
    const out = run(drop);
    figure('privileged options without CAP_NET_ADMIN/CAP_NET_RAW', out);
    expect(out).toEqual(REFUSED);
  });
});
