// snapshot() as data: its JSON form (64-bit values as decimal strings), fds that are not
// sockets, and an MPTCP connection (made by Python, which Node cannot do).
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getsockopt, snapshot, type SnapshotJSON } from '../../src/index';
import { boundUdp, errno, figure, fixtures, python, root, tcpPair, type TcpPair } from '../helpers';

let pair: TcpPair;
beforeAll(async () => {
  pair = await tcpPair();
});
afterAll(() => pair.close());

describe('JSON.stringify(snapshot(sock))', () => {
  it('round-trips through JSON.parse with 64-bit values as decimal strings; the object keeps its bigints', () => {
    const snap = snapshot(pair.client);
    const cookie = snap.options.SOL_SOCKET!.SO_COOKIE;
    expect(typeof cookie).toBe('bigint');
    expect(cookie).toBe(getsockopt(pair.client, 'SO_COOKIE'));
    const parsed = JSON.parse(JSON.stringify(snap)) as SnapshotJSON;
    const text = parsed.options.SOL_SOCKET!.SO_COOKIE;
    expect(text).toMatch(/^\d+$/);
    expect(BigInt(text as string)).toBe(cookie);
    // Everything else survives unchanged: the parsed form equals the object with only its bigints turned to strings.
    const { SO_COOKIE: _drop, ...restSol } = snap.options.SOL_SOCKET!;
    const { SO_COOKIE: _dropToo, ...parsedSol } = parsed.options.SOL_SOCKET!;
    expect(parsedSol).toEqual(restSol);
    expect({ ...parsed, options: { ...parsed.options, SOL_SOCKET: undefined } }).toEqual(
      JSON.parse(JSON.stringify({ ...snap, options: { ...snap.options, SOL_SOCKET: undefined } })),
    );
    expect(parsed.tcpInfo?.state).toBe('ESTABLISHED');
    expect(parsed).toEqual(snap.toJSON());
    // toJSON is on the prototype: it is not data.
    expect(Object.keys(snap)).not.toContain('toJSON');
    figure('snapshot JSON', `${JSON.stringify(snap).length} bytes, SO_COOKIE ${text}`);
  });

  it('a bigint beyond 2^53 is exact in the JSON form', () => {
    const snap = snapshot(pair.client);
    snap.options.SOL_SOCKET!.SO_COOKIE = 2n ** 64n - 1n; // what a long-running host's cookie counter can reach
    expect(JSON.parse(JSON.stringify(snap)).options.SOL_SOCKET.SO_COOKIE).toBe('18446744073709551615');
  });
});

describe('snapshot of an fd that is not a socket', () => {
  it('a file: ENOTSOCK; a number with nothing open: EBADF (not an object with every option skipped)', () => {
    const file = openSync(__filename, 'r');
    try {
      for (const [fd, code, number] of [
        [file, 'ENOTSOCK', errno('ENOTSOCK')],
        [99999, 'EBADF', errno('EBADF')],
      ] as const) {
        let err: (Error & Record<string, unknown>) | undefined;
        try {
          snapshot(fd);
        } catch (e) {
          err = e as typeof err;
        }
        expect(err, `fd ${fd}`).toBeInstanceOf(Error);
        expect(err).toMatchObject({ code, errno: number, syscall: 'getsockopt', option: 'SO_TYPE', level: 'SOL_SOCKET' });
        expect(err!.message).toContain('not an open socket');
      }
    } finally {
      closeSync(file);
    }
  });

  it('fd 0 in a child whose stdin is a file: ENOTSOCK', () => {
    const out = execFileSync(process.execPath, ['-e', "try { require('sockopt').snapshot(0); console.log('no error') } catch (e) { console.log(e.code) }"], {
      cwd: root,
      encoding: 'utf8',
      stdio: [openSync(__filename, 'r'), 'pipe', 'inherit'],
    });
    expect(out.trim()).toBe('ENOTSOCK');
  });

  it('a UDP socket still snapshots, without tcpInfo', async () => {
    const udp = await boundUdp();
    try {
      const s = snapshot(udp);
      expect(s.protocol).toBe('udp');
      expect(s.tcpInfo).toBeUndefined();
    } finally {
      udp.close();
    }
  });
});

describe('MPTCP', () => {
  it('an MPTCP connection snapshots with its protocol and tcpInfo', () => {
    const script = `const s = require('sockopt'); const x = s.snapshot(+process.argv[1]);
      console.log(JSON.stringify({ protocol: x.protocol, type: x.type, family: x.family, state: x.tcpInfo && x.tcpInfo.state, rtt: x.tcpInfo && x.tcpInfo.rtt }));`;
    const out = execFileSync(python, [join(fixtures, 'mptcp.py'), process.execPath, script], { cwd: root, encoding: 'utf8', timeout: 15_000 });
    const r = JSON.parse(out) as { protocol: string; state: string; rtt: number; refused?: string };
    figure('MPTCP snapshot', r);
    // A kernel built without MPTCP, or with it turned off, refuses the socket itself.
    if (r.refused) return void expect(r.refused).toMatch(/^(EPROTONOSUPPORT|ENOPROTOOPT|EINVAL|EAFNOSUPPORT)$/);
    expect(r).toMatchObject({ protocol: 'mptcp', type: 'stream', family: 'IPv4', state: 'ESTABLISHED' });
    expect(r.rtt).toBeGreaterThan(0);
  });
});
