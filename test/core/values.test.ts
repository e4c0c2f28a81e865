// Values read and written through sockopt, checked against the kernel through a
// second path: Python's socket module on the same fd, or a known transformation.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { constants as C, getsockopt, setsockopt, sizes, sockopt } from '../../src/index';
import { errno, fdOf, oracle, tcpPair, type TcpPair } from '../helpers';
import { hasCapability } from '../privileges';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

function parseTimeval(hex: string): { sec: number; usec: number } {
  const b = Buffer.from(hex, 'hex');
  // struct timeval on this platform: two longs (time_t, suseconds_t).
  return sizes.timeval === 16 ? { sec: Number(b.readBigInt64LE(0)), usec: Number(b.readBigInt64LE(8)) } : { sec: b.readInt32LE(0), usec: b.readInt32LE(4) };
}

describe.each([4, 6] as const)('TCP over IPv%i, checked by Python on the same fd', (family) => {
  it('int options: what we set is what Python reads, and the other way round', async () => {
    pair = await tcpPair(family);
    const { client } = pair;
    setsockopt(client, 'TCP_KEEPIDLE', 42);
    setsockopt(client, 'TCP_KEEPCNT', 3);
    setsockopt(client, 'TCP_USER_TIMEOUT', 30_000);
    const [idle, cnt, uto] = await oracle(fdOf(client), [
      ['get', C.IPPROTO_TCP!, C.TCP_KEEPIDLE!, 0],
      ['get', C.IPPROTO_TCP!, C.TCP_KEEPCNT!, 0],
      ['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0],
    ]);
    expect([idle, cnt, uto]).toEqual([42, 3, 30_000]);

    await oracle(fdOf(client), [['set', C.IPPROTO_TCP!, C.TCP_KEEPINTVL!, 17]]);
    expect(getsockopt(client, 'TCP_KEEPINTVL')).toBe(17);
    expect(getsockopt(client, C.IPPROTO_TCP!, C.TCP_KEEPINTVL!)).toBe(17);
  });

  it('SO_RCVBUF is doubled by the kernel, and both paths see the doubled value', async () => {
    pair = await tcpPair(family);
    setsockopt(pair.accepted, 'SO_RCVBUF', 65_536);
    const ours = getsockopt(pair.accepted, 'SO_RCVBUF');
    const [python] = await oracle(fdOf(pair.accepted), [['get', C.SOL_SOCKET!, C.SO_RCVBUF!, 0]]);
    expect(ours).toBe(131_072);
    expect(python).toBe(ours);
  });

  it('bool: TCP_NODELAY and SO_KEEPALIVE as booleans', async () => {
    pair = await tcpPair(family);
    const { client } = pair;
    setsockopt(client, 'TCP_NODELAY', true);
    setsockopt(client, 'SO_KEEPALIVE', true);
    expect(await oracle(fdOf(client), [
      ['get', C.IPPROTO_TCP!, C.TCP_NODELAY!, 0],
      ['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0],
    ])).toEqual([1, 1]);
    await oracle(fdOf(client), [['set', C.IPPROTO_TCP!, C.TCP_NODELAY!, 0]]);
    expect(getsockopt(client, 'TCP_NODELAY')).toBe(false);
    expect(getsockopt(client, 'SO_KEEPALIVE')).toBe(true);
  });

  it('per-family IP options: IP_TOS on v4, IPV6_TCLASS on v6', async () => {
    pair = await tcpPair(family);
    const { client } = pair;
    if (family === 4) {
      setsockopt(client, 'IP_TOS', 0x10);
      expect(await oracle(fdOf(client), [['get', C.IPPROTO_IP!, C.IP_TOS!, 0]])).toEqual([0x10]);
      expect(getsockopt(client, 'IP_TTL')).toBe(64);
    } else {
      setsockopt(client, 'IPV6_TCLASS', 0x20);
      expect(await oracle(fdOf(client), [['get', C.IPPROTO_IPV6!, C.IPV6_TCLASS!, 0]])).toEqual([0x20]);
      expect(getsockopt(client, 'IPV6_V6ONLY')).toBe(false);
    }
    expect(getsockopt(client, 'SO_DOMAIN')).toBe(family === 4 ? C.AF_INET : C.AF_INET6);
    expect(getsockopt(client, 'SO_PROTOCOL')).toBe(C.IPPROTO_TCP);
  });
});

describe('value kinds round-trip', () => {
  it('timeval: 1500 ms reads back as 1500, and Python sees 1 s 500000 µs', async () => {
    pair = await tcpPair();
    const { client } = pair;
    setsockopt(client, 'SO_RCVTIMEO', 1500);
    expect(getsockopt(client, 'SO_RCVTIMEO')).toBe(1500);
    const [hex] = await oracle(fdOf(client), [['get', C.SOL_SOCKET!, C.SO_RCVTIMEO!, sizes.timeval]]);
    expect(parseTimeval(hex as string)).toEqual({ sec: 1, usec: 500_000 });
  });

  it('timeval: null and 0 both mean no timeout and read back as null', async () => {
    pair = await tcpPair();
    const { client } = pair;
    setsockopt(client, 'SO_SNDTIMEO', 2000);
    setsockopt(client, 'SO_SNDTIMEO', null);
    expect(getsockopt(client, 'SO_SNDTIMEO')).toBeNull();
    setsockopt(client, 'SO_SNDTIMEO', 2000);
    setsockopt(client, 'SO_SNDTIMEO', 0);
    expect(getsockopt(client, 'SO_SNDTIMEO')).toBeNull();
  });

  it('timeval: a value off the kernel tick reads back as the kernel holds it (rounded up), same as Python', async () => {
    pair = await tcpPair();
    const { client } = pair;
    setsockopt(client, 'SO_RCVTIMEO', 250);
    const ours = getsockopt(client, 'SO_RCVTIMEO')!;
    const [hex] = await oracle(fdOf(client), [['get', C.SOL_SOCKET!, C.SO_RCVTIMEO!, sizes.timeval]]);
    const { sec, usec } = parseTimeval(hex as string);
    expect(ours).toBe(sec * 1000 + usec / 1000);
    expect(ours).toBeGreaterThanOrEqual(250);
    expect(ours).toBeLessThan(261); // at most one tick (HZ >= 100) above
  });

  it('linger: seconds, null = off; Python reads struct linger', async () => {
    pair = await tcpPair();
    const { client } = pair;
    expect(getsockopt(client, 'SO_LINGER')).toBeNull();
    setsockopt(client, 'SO_LINGER', 5);
    expect(getsockopt(client, 'SO_LINGER')).toBe(5);
    const [on] = await oracle(fdOf(client), [['get', C.SOL_SOCKET!, C.SO_LINGER!, sizes.linger]]);
    expect(Buffer.from(on as string, 'hex').readInt32LE(0)).toBe(1);
    expect(Buffer.from(on as string, 'hex').readInt32LE(4)).toBe(5);
    setsockopt(client, 'SO_LINGER', 0);
    expect(getsockopt(client, 'SO_LINGER')).toBe(0); // on, 0 s: close() resets the connection
    setsockopt(client, 'SO_LINGER', null);
    expect(getsockopt(client, 'SO_LINGER')).toBeNull();
    const [off] = await oracle(fdOf(client), [['get', C.SOL_SOCKET!, C.SO_LINGER!, sizes.linger]]);
    expect(Buffer.from(off as string, 'hex').readInt32LE(0)).toBe(0);
  });

  it('string: TCP_CONGESTION switches algorithm, Python reads the same name', async () => {
    pair = await tcpPair();
    const { client } = pair;
    const available = readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
    expect(available).toContain(getsockopt(client, 'TCP_CONGESTION'));
    setsockopt(client, 'TCP_CONGESTION', 'reno'); // reno is built into every Linux kernel
    expect(getsockopt(client, 'TCP_CONGESTION')).toBe('reno');
    const [hex] = await oracle(fdOf(client), [['get', C.IPPROTO_TCP!, C.TCP_CONGESTION!, 16]]);
    expect(Buffer.from(hex as string, 'hex').toString('latin1').replace(/\0+$/, '')).toBe('reno');
  });

  it("string: SO_BINDTODEVICE 'lo' and '' (unbind; changing a binding takes CAP_NET_RAW: EPERM without)", async () => {
    pair = await tcpPair();
    const { client } = pair;
    setsockopt(client, 'SO_BINDTODEVICE', 'lo');
    expect(getsockopt(client, 'SO_BINDTODEVICE')).toBe('lo');
    if (!hasCapability('CAP_NET_RAW')) {
      expect(() => setsockopt(client, 'SO_BINDTODEVICE', '')).toThrow(expect.objectContaining({ code: 'EPERM', errno: errno('EPERM'), option: 'SO_BINDTODEVICE' }));
      expect(getsockopt(client, 'SO_BINDTODEVICE')).toBe('lo');
      return;
    }
    setsockopt(client, 'SO_BINDTODEVICE', '');
    expect(getsockopt(client, 'SO_BINDTODEVICE')).toBe('');
  });

  it('bigint: SO_COOKIE matches the 8 bytes Python reads, and differs between sockets', async () => {
    pair = await tcpPair();
    const a = getsockopt(pair.client, 'SO_COOKIE');
    const b = getsockopt(pair.accepted, 'SO_COOKIE');
    expect(typeof a).toBe('bigint');
    expect(a).toBeGreaterThan(0n);
    expect(a).not.toBe(b);
    const [hex] = await oracle(fdOf(pair.client), [['get', C.SOL_SOCKET!, C.SO_COOKIE!, 8]]);
    expect(Buffer.from(hex as string, 'hex').readBigUInt64LE(0)).toBe(a);
  });

  it('uint: SO_MARK above 2^31 reads back unsigned (it takes CAP_NET_ADMIN, or CAP_NET_RAW since 5.17: EPERM without)', async () => {
    pair = await tcpPair();
    const { client } = pair;
    const set = () => setsockopt(client, 'SO_MARK', 0xfeedbeef);
    // CAP_NET_RAW alone: the kernel's version decides; either answer is checked below.
    const refused = hasCapability('CAP_NET_ADMIN') ? false : !hasCapability('CAP_NET_RAW') || (() => { try { set(); return false; } catch { return true; } })();
    if (refused) {
      expect(set).toThrow(expect.objectContaining({ code: 'EPERM', errno: errno('EPERM'), option: 'SO_MARK' }));
      expect(getsockopt(client, 'SO_MARK')).toBe(0);
      return;
    }
    set();
    expect(getsockopt(client, 'SO_MARK')).toBe(0xfeedbeef);
    const [python] = await oracle(fdOf(client), [['get', C.SOL_SOCKET!, C.SO_MARK!, 4]]);
    expect(Buffer.from(python as string, 'hex').readUInt32LE(0)).toBe(0xfeedbeef);
  });

  it('raw Buffer: exactly the length the kernel returned; writes raw structs', async () => {
    pair = await tcpPair();
    const { client } = pair;
    const four = getsockopt(client, C.SOL_SOCKET!, C.SO_RCVBUF!, 4);
    expect(four).toBeInstanceOf(Buffer);
    expect(four.readInt32LE(0)).toBe(getsockopt(client, 'SO_RCVBUF'));
    expect(getsockopt(client, C.SOL_SOCKET!, C.SO_RCVBUF!, 64).length).toBe(4); // kernel says 4
    expect(getsockopt(client, C.SOL_SOCKET!, C.SO_RCVBUF!, 0).length).toBe(0);
    const linger = Buffer.alloc(sizes.linger);
    linger.writeInt32LE(1, 0);
    linger.writeInt32LE(7, 4);
    setsockopt(client, C.SOL_SOCKET!, C.SO_LINGER!, linger);
    expect(getsockopt(client, 'SO_LINGER')).toBe(7);
    setsockopt(client, C.SOL_SOCKET!, C.SO_RCVLOWAT!, 100); // a number is a C int
    expect(getsockopt(client, 'SO_RCVLOWAT')).toBe(100);
  });

  it('the bound view reads and writes the same socket', async () => {
    pair = await tcpPair();
    const view = sockopt(pair.client);
    view.set('TCP_USER_TIMEOUT', 12_345).set('SO_SNDBUF', 50_000);
    expect(view.get('TCP_USER_TIMEOUT')).toBe(12_345);
    expect(view.get('SO_SNDBUF')).toBe(100_000);
    expect((await oracle(fdOf(pair.client), [['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0]]))[0]).toBe(12_345);
  });
});
