// The native binding called directly: it validates its own arguments, throws
// coded errors, never crashes, and returns only bytes the kernel wrote.
import { closeSync, openSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding, type Binding } from '../../src/kernel/binding';
import { ipv4Text, ipv6Text } from '../../src/kernel/ip-text';
import { errno, fdOf, oracle, tcpPair, unixPair, type TcpPair } from '../helpers';

const C = binding.constants as Record<string, number>;
const raw = binding as unknown as Record<keyof Binding, (...a: unknown[]) => unknown>;
let pair: TcpPair;
let fd: number;
beforeAll(async () => {
  pair = await tcpPair();
  fd = fdOf(pair.client);
});
afterAll(() => pair.close());

function thrown(fn: () => unknown): Error & { code?: string; errno?: number; syscall?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('native binding', () => {
  it('rejects non-numbers, non-integers, out-of-range fds with coded TypeError/RangeError', () => {
    for (const bad of [undefined, null, '3', {}, [], 3n, Symbol('x')]) {
      const e = thrown(() => raw.getInt(bad, C.SOL_SOCKET, C.SO_TYPE));
      expect(e).toBeInstanceOf(TypeError);
      expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
    }
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 31, -(2 ** 40)]) {
      const e = thrown(() => raw.getInt(bad, C.SOL_SOCKET, C.SO_TYPE));
      expect(e).toBeInstanceOf(RangeError);
      expect(e.code).toBe('ERR_OUT_OF_RANGE');
    }
    expect(thrown(() => raw.setInt(fd, C.SOL_SOCKET, C.SO_RCVBUF, '1')).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => raw.setTimeval(fd, C.SOL_SOCKET, C.SO_RCVTIMEO, -5)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => raw.setLinger(fd, C.SOL_SOCKET, C.SO_LINGER, 0.5)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => raw.setString(fd, C.IPPROTO_TCP, C.TCP_CONGESTION, 'a\0b')).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => raw.setString(fd, C.IPPROTO_TCP, C.TCP_CONGESTION, 'x'.repeat(300))).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => raw.getBuffer(fd, C.SOL_SOCKET, C.SO_TYPE, 2 ** 20 + 1)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => raw.setBuffer(fd, C.SOL_SOCKET, C.SO_TYPE, [1, 2])).code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('kernel errors carry code, negative errno and syscall', () => {
    const file = openSync(__filename, 'r');
    try {
      expect(thrown(() => raw.getInt(file, C.SOL_SOCKET, C.SO_TYPE))).toMatchObject({ code: 'ENOTSOCK', errno: errno('ENOTSOCK'), syscall: 'getsockopt' });
    } finally {
      closeSync(file);
    }
    expect(thrown(() => raw.setInt(fd, C.SOL_SOCKET, 9999, 1))).toMatchObject({ code: 'ENOPROTOOPT', errno: errno('ENOPROTOOPT'), syscall: 'setsockopt' });
  });

  it('raw reads return only what the kernel wrote; short and empty buffers are safe', () => {
    const full = raw.getBuffer(fd, C.IPPROTO_TCP, C.TCP_CONGESTION, 64) as Buffer;
    const name = full.toString('latin1').replace(/\0+$/, '');
    expect(name.length).toBeGreaterThan(0);
    expect((raw.getBuffer(fd, C.IPPROTO_TCP, C.TCP_CONGESTION, 2) as Buffer).toString('latin1')).toBe(name.slice(0, 2));
    expect((raw.getBuffer(fd, C.SOL_SOCKET, C.SO_TYPE, 0) as Buffer).length).toBe(0);
    expect((raw.getBuffer(fd, C.SOL_SOCKET, C.SO_TYPE, 1) as Buffer).length).toBe(1);
    // A Buffer that is a view into a larger pool is written from its own offset.
    const pool = Buffer.alloc(64, 0xff);
    const view = pool.subarray(16, 20);
    view.writeInt32LE(9000, 0);
    raw.setBuffer(fd, C.SOL_SOCKET, C.SO_RCVBUF, view);
    expect(raw.getInt(fd, C.SOL_SOCKET, C.SO_RCVBUF)).toBe(18000);
    raw.setBuffer(fd, C.SOL_SOCKET, C.SO_RCVBUF, new DataView(new Int32Array([9500]).buffer));
    expect(raw.getInt(fd, C.SOL_SOCKET, C.SO_RCVBUF)).toBe(19000);
  });

  it('constants are numbers compiled from the headers, frozen', () => {
    expect(Object.isFrozen(binding.constants)).toBe(true);
    expect(C.SOL_SOCKET).toBe(1); // Linux asm-generic value (macOS: 0xffff)
    expect(C.SO_RCVBUF).toBe(8);
    expect(C.TCP_USER_TIMEOUT).toBe(18);
    expect(C.SO_NOSIGPIPE).toBeUndefined();
    expect(binding.sizes.timeval).toBe(16);
  });
});

describe('the option table functions (bindTable)', () => {
  it('get(fd, id)/set(fd, id, int) over a table of int-sized options: coded errors for any argument, never a crash', async () => {
    const [get, set] = binding.bindTable(new Int32Array([C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0, C.IPPROTO_TCP!, C.TCP_NODELAY!, 2, C.SOL_SOCKET!, C.SO_RCVBUF!, 1]));
    set(fd, 0, 7654);
    expect(get(fd, 0)).toBe(7654);
    expect(await oracle(fd, [['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0]])).toEqual([7654]); // the kernel holds it (Python on the same fd)
    set(fd, 1, 1);
    expect(get(fd, 1)).toBe(true);
    expect(get(fd, 2)).toBeGreaterThan(0);
    for (const bad of [3, -1, 2 ** 31 - 1]) {
      expect(thrown(() => get(fd, bad)).code).toBe('ERR_OUT_OF_RANGE');
      expect(thrown(() => set(fd, bad, 1)).code).toBe('ERR_OUT_OF_RANGE');
    }
    for (const bad of [undefined, null, '0', {}, [], 0n, Symbol('x')]) {
      expect(thrown(() => (get as (...a: unknown[]) => unknown)(fd, bad)).code).toBe('ERR_INVALID_ARG_TYPE');
      expect(thrown(() => (get as (...a: unknown[]) => unknown)(bad, 0)).code).toBe('ERR_INVALID_ARG_TYPE');
      expect(thrown(() => (set as (...a: unknown[]) => unknown)(fd, 0, bad)).code).toBe('ERR_INVALID_ARG_TYPE');
    }
    expect(thrown(() => get(-1, 0)).code).toBe('ERR_OUT_OF_RANGE');
    // The table: an Int32Array of whole entries with kinds 0-2; anything else is refused, coded.
    for (const bad of [undefined, null, [1, 2, 0], new Uint32Array(3), new DataView(new ArrayBuffer(12)), {}]) {
      expect(thrown(() => raw.bindTable(bad)).code).toBe('ERR_INVALID_ARG_TYPE');
    }
    expect(thrown(() => raw.bindTable(new Int32Array([1, 1, 3]))).code).toBe('ERR_OUT_OF_RANGE');
    const detached = new Int32Array(3);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(thrown(() => raw.bindTable(detached)).code).toBe('ERR_INVALID_ARG_VALUE');
    // A table's entries are copied: changing the array afterwards changes nothing.
    const source = new Int32Array([C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0]);
    const [get2] = binding.bindTable(source);
    source[1] = C.TCP_NODELAY!;
    expect(get2(fd, 0)).toBe(7654);
    const [emptyGet] = binding.bindTable(new Int32Array(0));
    expect(thrown(() => emptyGet(fd, 0)).code).toBe('ERR_OUT_OF_RANGE');
  });
});

describe('value kinds (binding.kinds, native/kinds.h)', () => {
  it('are the numbers the TypeScript layer sends, and frozen', () => {
    expect(binding.kinds).toEqual({ int: { int: 0, uint: 1, bool: 2 }, batch: { int: 0, timeval: 1, linger: 2, string: 3 }, maxBatchEntries: 64, maxBatchStrings: 8 });
    expect(Object.isFrozen(binding.kinds)).toBe(true);
    expect(binding).not.toHaveProperty('bindInt'); // every int-sized option goes through bindTable
  });
});

describe('readOptions (the snapshot reader)', () => {
  it('refuses wrong or short arrays with coded errors, reads SharedArrayBuffer-backed ones', () => {
    const specs = new Int32Array([C.SOL_SOCKET!, C.SO_TYPE!, 0, C.IPPROTO_TCP!, C.TCP_CONGESTION!, 3, C.SOL_SOCKET!, C.SO_RCVTIMEO!, 1, 999, 999, 7]);
    const ok = () => [new Float64Array(4), new Int32Array(4), new BigUint64Array(4), new Int32Array(6)] as const;
    const [nums, errs, wide, names] = ok();
    const texts = binding.readOptions(fd, specs, nums, errs, wide, names);
    expect(nums[0]).toBe(C.SOCK_STREAM);
    expect(texts[0]).toBe(getsockoptName()); // the string option, then the two addresses
    expect(texts.length).toBe(3);
    expect(errs[3]).toBeGreaterThan(0); // level 999: refused by the kernel, reported per slot
    expect(thrown(() => binding.readOptions(fd, specs, new Float64Array(3), errs, wide, names)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => binding.readOptions(fd, specs, nums, errs, wide, new Int32Array(5))).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => raw.readOptions(fd, [1, 2, 0], nums, errs, wide, names)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => raw.readOptions(fd, specs, new Int32Array(4), errs, wide, names)).code).toBe('ERR_INVALID_ARG_TYPE');
    const shared = new Float64Array(new SharedArrayBuffer(32));
    binding.readOptions(fd, specs, shared, errs, wide, names);
    expect(shared[0]).toBe(C.SOCK_STREAM);
    const gone = new ArrayBuffer(32);
    const detached = new Float64Array(gone);
    structuredClone(gone, { transfer: [gone] });
    expect(thrown(() => binding.readOptions(fd, specs, detached, errs, wide, names)).code).toBe('ERR_OUT_OF_RANGE');
  });
});

function getsockoptName(): string {
  const b = raw.getBuffer(fd, C.IPPROTO_TCP, C.TCP_CONGESTION, 16) as Buffer;
  return b.toString('latin1').replace(/\0+$/, '');
}

describe('socketNames', () => {
  const text = (out: Int32Array, slot: number) => {
    const bytes = new Uint8Array(out.buffer, out.byteOffset + slot * 4, out[0] === 4 ? 4 : 16);
    return out[0] === 4 ? ipv4Text(bytes, 0) : ipv6Text(bytes, 0);
  };

  it('names both ends as Node does, IPv4 and IPv6, at any offset of the output', async () => {
    const out = new Int32Array(new ArrayBuffer(64), 8, 12);
    binding.socketNames!(fd, out);
    expect([...out.subarray(0, 4)]).toEqual([4, pair.client.localPort, pair.client.remotePort, 0]);
    expect([text(out, 4), text(out, 8)]).toEqual([pair.client.localAddress, pair.client.remoteAddress]);
    const six = await tcpPair(6);
    try {
      binding.socketNames!(fdOf(six.accepted), out);
      expect([...out.subarray(0, 4)]).toEqual([6, six.accepted.localPort, six.accepted.remotePort, 0]);
      expect([text(out, 4), text(out, 8)]).toEqual([six.accepted.localAddress, six.accepted.remoteAddress]);
    } finally {
      await six.close();
    }
  });

  it('says which end it could not read, and refuses bad arguments with coded errors', async () => {
    const out = new Int32Array(new SharedArrayBuffer(48));
    const unix = await unixPair(`\0sockopt-names-${process.pid}`);
    try {
      binding.socketNames!(fdOf(unix.client), out);
      expect([...out.subarray(0, 4)]).toEqual([0, 0, 0, -errno('EAFNOSUPPORT')]); // positive, as socketQueues'
    } finally {
      await unix.close();
    }
    const file = openSync(__filename, 'r');
    try {
      expect(thrown(() => binding.socketNames!(file, out))).toMatchObject({ code: 'ENOTSOCK', syscall: 'getsockname' });
    } finally {
      closeSync(file);
    }
    const detached = new Int32Array(12);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const bad of [undefined, new Int32Array(11), new Float64Array(12), new Array(12).fill(0), detached]) {
      expect(thrown(() => raw.socketNames(fd, bad)).code).toBe('ERR_INVALID_ARG_TYPE');
    }
    for (const bad of [-1, 2 ** 31, 1.5, '3', null]) expect(thrown(() => raw.socketNames(bad, new Int32Array(12))).code).toMatch(/^ERR_(OUT_OF_RANGE|INVALID_ARG_TYPE)$/);
  });
});
