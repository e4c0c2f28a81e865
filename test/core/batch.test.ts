// setsockopts / sockopt(sock).set({...}): several options in one native call. Checked
// before the first syscall, set in key order, stopped at the first kernel refusal with
// `applied`/`notApplied`; Node's cached state follows; a socket destroyed while the
// values are being read is never touched. The Python oracle reads the same socket.
import * as net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { binding } from '../../src/kernel/binding';
import { constants as C, getsockopt, setsockopts, sockopt, type BatchError } from '../../src/index';
import { errno, fdOf, figure, oracle, tcpPair, type TcpPair } from '../helpers';
import { hasCapability, otherCongestionControl } from '../privileges';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

function thrown(fn: () => unknown): BatchError {
  try {
    fn();
  } catch (err) {
    return err as BatchError;
  }
  throw new Error('expected a throw');
}

describe('setsockopts', () => {
  it('sets every kind of option in one call; the kernel (and Python on the same fd) holds each value', async () => {
    pair = await tcpPair();
    const { client } = pair;
    const cc = otherCongestionControl(); // one this process may set (cubic as root here)
    setsockopts(client, {
      TCP_USER_TIMEOUT: 30_000,
      TCP_NODELAY: true,
      SO_KEEPALIVE: true,
      TCP_KEEPIDLE: 10,
      TCP_KEEPINTVL: 3,
      TCP_KEEPCNT: 4,
      SO_RCVTIMEO: 1000,
      SO_LINGER: 5,
      TCP_CONGESTION: cc,
    });
    expect([
      getsockopt(client, 'TCP_USER_TIMEOUT'),
      getsockopt(client, 'TCP_NODELAY'),
      getsockopt(client, 'SO_KEEPALIVE'),
      getsockopt(client, 'TCP_KEEPIDLE'),
      getsockopt(client, 'TCP_KEEPINTVL'),
      getsockopt(client, 'TCP_KEEPCNT'),
      getsockopt(client, 'SO_RCVTIMEO'),
      getsockopt(client, 'SO_LINGER'),
      getsockopt(client, 'TCP_CONGESTION'),
    ]).toEqual([30_000, true, true, 10, 3, 4, 1000, 5, cc]);
    const py = await oracle(fdOf(client), [
      ['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0],
      ['get', C.IPPROTO_TCP!, C.TCP_KEEPCNT!, 0],
    ]);
    expect(py).toEqual([30_000, 4]);
    // An interface name as a string or as its bytes; '' unbinds (changing a binding takes CAP_NET_RAW: EPERM without).
    setsockopts(client, { SO_BINDTODEVICE: Buffer.from('lo'), TCP_NODELAY: false });
    expect(getsockopt(client, 'SO_BINDTODEVICE')).toBe('lo');
    if (hasCapability('CAP_NET_RAW')) {
      setsockopts(client, { SO_BINDTODEVICE: '' });
      expect(getsockopt(client, 'SO_BINDTODEVICE')).toBe('');
    } else {
      expect(() => setsockopts(client, { SO_BINDTODEVICE: '' })).toThrow(expect.objectContaining({ code: 'EPERM', option: 'SO_BINDTODEVICE' }));
      expect(getsockopt(client, 'SO_BINDTODEVICE')).toBe('lo');
    }
    // null turns the struct options off again.
    sockopt(client).set({ SO_RCVTIMEO: null, SO_LINGER: null });
    expect([getsockopt(client, 'SO_RCVTIMEO'), getsockopt(client, 'SO_LINGER')]).toEqual([null, null]);
  });

  it('a bad name or value anywhere throws before the first syscall: nothing is set', async () => {
    pair = await tcpPair();
    const { client } = pair;
    const before = getsockopt(client, 'TCP_USER_TIMEOUT');
    const cases: [unknown, string, RegExp][] = [
      [{ TCP_USER_TIMEOUT: 12_345, TCP_KEEPCNT: 500 }, 'ERR_OUT_OF_RANGE', /"TCP_KEEPCNT"/],
      [{ TCP_USER_TIMEOUT: 12_345, TCP_NODELAY: 1 }, 'ERR_INVALID_ARG_TYPE', /"TCP_NODELAY"/],
      [{ TCP_USER_TIMEOUT: 12_345, TCP_NODELEY: true }, 'ERR_SOCKOPT_UNKNOWN_OPTION', /TCP_NODELAY/],
      [{ TCP_USER_TIMEOUT: 12_345, SO_ERROR: 0 }, 'ERR_SOCKOPT_READ_ONLY', /SO_ERROR/],
      [{ TCP_USER_TIMEOUT: 12_345, TCP_CONGESTION: 'x\0y' }, 'ERR_OUT_OF_RANGE', /NUL/],
      [null, 'ERR_INVALID_ARG_TYPE', /"values"/],
      [[1, 2], 'ERR_INVALID_ARG_TYPE', /"values"/],
      ['TCP_NODELAY', 'ERR_INVALID_ARG_TYPE', /"values"/],
    ];
    for (const [values, code, message] of cases) {
      const err = thrown(() => setsockopts(client, values as never));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    }
    expect(getsockopt(client, 'TCP_USER_TIMEOUT')).toBe(before);
    // More options than a socket has is refused as a whole too.
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`X${i}`, 1]));
    expect(thrown(() => setsockopts(client, tooMany as never)).code).toBe('ERR_OUT_OF_RANGE');
  });

  it('a kernel refusal stops the batch: earlier options stay set, later ones are untouched, the error says which', async () => {
    pair = await tcpPair();
    const { client } = pair;
    const err = thrown(() => setsockopts(client, { TCP_KEEPCNT: 5, TCP_CONGESTION: 'nope', TCP_KEEPINTVL: 7 }));
    expect(err).toMatchObject({
      code: 'ENOENT',
      errno: errno('ENOENT'),
      syscall: 'setsockopt',
      option: 'TCP_CONGESTION',
      level: 'IPPROTO_TCP',
      applied: ['TCP_KEEPCNT'],
      notApplied: ['TCP_CONGESTION', 'TCP_KEEPINTVL'],
    });
    expect(err.message).toMatch(/TCP_CONGESTION = 'nope'.*1 set before it \(TCP_KEEPCNT\)/);
    expect(getsockopt(client, 'TCP_KEEPCNT')).toBe(5);
    expect(getsockopt(client, 'TCP_KEEPINTVL')).not.toBe(7);
    figure('setsockopts partial failure', { code: err.code, applied: err.applied, notApplied: err.notApplied });
  });

  it("keeps Node's cached noDelay/keepAlive in step, also for options set before a refusal", async () => {
    pair = await tcpPair();
    const { client } = pair;
    client.setNoDelay(true); // Node now believes noDelay is on
    setsockopts(client, { TCP_NODELAY: false, SO_KEEPALIVE: true });
    client.setNoDelay(true); // must reach the kernel
    expect(getsockopt(client, 'TCP_NODELAY')).toBe(true);
    client.setKeepAlive(false); // Node must know keepalive is on, or it skips this
    expect(getsockopt(client, 'SO_KEEPALIVE')).toBe(false);
    client.setNoDelay(true);
    thrown(() => setsockopts(client, { TCP_NODELAY: false, TCP_CONGESTION: 'nope' }));
    client.setNoDelay(true);
    expect(getsockopt(client, 'TCP_NODELAY')).toBe(true);
  });

  it('one values object applies to many sockets; an empty batch sets nothing', async () => {
    pair = await tcpPair();
    const values = { TCP_USER_TIMEOUT: 4321, TCP_NODELAY: true, SO_LINGER: 0 } as const;
    for (const s of [pair.client, pair.accepted]) setsockopts(s, values);
    for (const s of [pair.client, pair.accepted]) {
      expect([getsockopt(s, 'TCP_USER_TIMEOUT'), getsockopt(s, 'TCP_NODELAY'), getsockopt(s, 'SO_LINGER')]).toEqual([4321, true, 0]);
    }
    setsockopts(pair.client, {});
    expect(() => setsockopts(pair!.client, { TCP_KEEPIDLE: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('a closed socket is refused (ERR_SOCKET_CLOSED), also when a getter on the values destroys it', async () => {
    pair = await tcpPair();
    const { client, accepted } = pair;
    const values = {
      TCP_NODELAY: true,
      get TCP_USER_TIMEOUT() {
        client.destroy(); // the fd is free once this returns: it must never be used
        return 1000;
      },
    };
    expect(thrown(() => setsockopts(client, values)).code).toBe('ERR_SOCKET_CLOSED');
    expect(thrown(() => setsockopts(client, { TCP_NODELAY: true })).code).toBe('ERR_SOCKET_CLOSED');
    accepted.destroy();
  });

  it('a getter that calls setsockopts again (re-entry) leaves both batches intact', async () => {
    pair = await tcpPair();
    const { client, accepted } = pair;
    const outer = {
      TCP_USER_TIMEOUT: 1111,
      get TCP_KEEPCNT() {
        setsockopts(accepted, { TCP_USER_TIMEOUT: 2222, TCP_KEEPCNT: 9, TCP_KEEPINTVL: 9 });
        return 3;
      },
      TCP_KEEPINTVL: 4,
    };
    setsockopts(client, outer);
    expect([getsockopt(client, 'TCP_USER_TIMEOUT'), getsockopt(client, 'TCP_KEEPCNT'), getsockopt(client, 'TCP_KEEPINTVL')]).toEqual([1111, 3, 4]);
    expect([getsockopt(accepted, 'TCP_USER_TIMEOUT'), getsockopt(accepted, 'TCP_KEEPCNT'), getsockopt(accepted, 'TCP_KEEPINTVL')]).toEqual([2222, 9, 9]);
  });

  it('10,000 destroy/reopen cycles: a batch on the destroyed socket never reaches the new one with the same fd', () => {
    const open = () => new net.Socket({ fd: binding.socket!(4, false) });
    let reused = 0;
    let closed = 0;
    let wrong = 0;
    let old = open();
    const CYCLES = 10_000;
    for (let i = 0; i < CYCLES; i++) {
      const fd = fdOf(old);
      old.destroy();
      const fresh = open();
      if (fdOf(fresh) === fd) reused++;
      try {
        setsockopts(old, { TCP_USER_TIMEOUT: 99_999, TCP_KEEPCNT: 99 });
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_SOCKET_CLOSED') closed++;
      }
      if (getsockopt(fresh, 'TCP_USER_TIMEOUT') !== 0) wrong++;
      old = fresh;
    }
    old.destroy();
    figure('setsockopts fd reuse', { cycles: CYCLES, reused, closed, wrong });
    expect({ closed, wrong }).toEqual({ closed: CYCLES, wrong: 0 });
    expect(reused).toBeGreaterThanOrEqual(CYCLES * 0.99);
  });

  it('the native setMany with arbitrary arguments: coded errors, never a crash, nothing set past a bad entry', async () => {
    pair = await tcpPair();
    const fd = fdOf(pair.client);
    const anything = fc.oneof(
      fc.anything(),
      fc.constantFrom(NaN, Infinity, -1, 2 ** 31, 65, 64, 0, 1, 3),
      fc.constant(new Int32Array(new SharedArrayBuffer(12))),
      fc.constant(new Float64Array(new SharedArrayBuffer(8))),
      fc.constant(new Int32Array(0)),
    );
    let calls = 0;
    // Plans on our own socket with plausible numbers; the options that would change this
    // process's traffic or make the fd unusable are left out, as in the fuzz suite.
    const entry = fc.tuple(fc.constantFrom(1, 6, 0, 41), fc.integer({ min: 0, max: 80 }), fc.integer({ min: -1, max: 4 }), fc.oneof(fc.double(), fc.integer({ min: -5, max: 70_000 })));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), fc.oneof(fc.constant(undefined), fc.array(fc.string(), { maxLength: 3 }), anything), anything, (entries, strings, junk) => {
        const usable = entries.filter(([level, opt]) => !(level === 1 && [25, 36, 13].includes(opt)) && !(level === 6 && opt === 19));
        const plan = new Int32Array(usable.flatMap(([l, o, k]) => [l, o, k]));
        const values = new Float64Array(usable.map((e) => e[3]));
        for (const call of [() => binding.setMany(fd, usable.length, plan, values, strings as never), () => (binding.setMany as (...a: unknown[]) => void)(fd, junk, junk, values, junk)]) {
          calls++;
          try {
            call();
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
            expect(typeof (err as { code?: unknown }).code).toBe('string');
          }
        }
      }),
      { numRuns: 3000 },
    );
    figure('setMany fuzz', `${calls} calls, 0 crashes`);
  });
});
