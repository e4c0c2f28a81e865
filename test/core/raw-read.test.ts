// The raw read forms: getsockopt(sock, level, optname, length) → a Buffer of exactly the
// bytes the kernel wrote, and getsockopt(sock, level, optname, buffer) → reads into the
// caller's view (any offset, SharedArrayBuffer too) and returns the byte count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../../src/kernel/binding';
import { constants as C, getsockopt, setsockopt } from '../../src/index';
import { codeOf, fdOf, tcpPair, type TcpPair } from '../helpers';

let pair: TcpPair;
beforeAll(async () => {
  pair = await tcpPair();
  setsockopt(pair.client, 'TCP_USER_TIMEOUT', 0x01020304);
});
afterAll(() => pair.close());


describe('raw reads', () => {
  it('length form: exactly the bytes the kernel wrote, pooled or not', () => {
    const { client } = pair;
    const b = getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 4);
    expect(b).toBeInstanceOf(Buffer);
    expect(b.readInt32LE(0)).toBe(0x01020304);
    // Asking for more than the option has: the Buffer is cut to what the kernel returned.
    expect(getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 64).length).toBe(4);
    const name = getsockopt(client, C.IPPROTO_TCP!, C.TCP_CONGESTION!, 16).toString('latin1').replace(/\0+$/, '');
    expect(name).toBe(getsockopt(client, 'TCP_CONGESTION'));
    // Too big for Node's Buffer pool (half of Buffer.poolSize: 8 KiB on Node 20, 64 KiB on
    // Node 26): zero-filled, also past what the kernel wrote.
    const size = Buffer.poolSize;
    const big = getsockopt(client, C.IPPROTO_TCP!, C.TCP_INFO!, size);
    expect(big.length).toBeGreaterThanOrEqual(104);
    expect(big.length).toBeLessThan(size);
    expect(new Uint8Array(big.buffer, big.byteOffset + big.length, size - big.length).every((x) => x === 0)).toBe(true);
    expect(getsockopt(client, C.SOL_SOCKET!, C.SO_TYPE!, 0).length).toBe(0);
  });

  it("buffer form: fills the caller's view at its offset and returns the byte count, no allocation", () => {
    const { client } = pair;
    const pool = Buffer.alloc(32, 0xee);
    const view = pool.subarray(8, 24);
    expect(getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, view)).toBe(4);
    expect(pool.readInt32LE(8)).toBe(0x01020304);
    expect(pool[7]).toBe(0xee); // nothing before the view
    expect(pool[12]).toBe(0xee); // nothing past what the kernel wrote
    const i32 = new Int32Array(2);
    expect(getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, i32)).toBe(4);
    expect(i32[0]).toBe(0x01020304);
    const dv = new DataView(new ArrayBuffer(12), 4);
    expect(getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, dv)).toBe(4);
    expect(dv.getInt32(0, true)).toBe(0x01020304);
    const shared = new Uint8Array(new SharedArrayBuffer(8));
    expect(getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, shared)).toBe(4);
    expect(Buffer.from(shared.buffer).readInt32LE(0)).toBe(0x01020304);
    // Shorter than the option: the kernel writes what fits.
    const two = Buffer.alloc(2);
    expect(getsockopt(client, C.IPPROTO_TCP!, C.TCP_CONGESTION!, two)).toBe(2);
    expect(getsockopt(client, C.SOL_SOCKET!, C.SO_TYPE!, Buffer.alloc(0))).toBe(0);
  });

  it('hostile targets: coded errors before any syscall', () => {
    const { client } = pair;
    const detached = new ArrayBuffer(8);
    const onDetached = new Uint8Array(detached);
    structuredClone(detached, { transfer: [detached] });
    expect(codeOf(() => getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, onDetached))).toBe('ERR_INVALID_ARG_VALUE');
    for (const bad of ['4', {}, [4], null, 4n]) {
      expect(codeOf(() => getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, bad as never))).toBe('ERR_INVALID_ARG_TYPE');
    }
    for (const bad of [-1, 1.5, 2 ** 20 + 1]) expect(codeOf(() => getsockopt(client, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, bad))).toBe('ERR_OUT_OF_RANGE');
    // The native call on its own refuses the same, and its fd check comes first.
    expect(codeOf(() => binding.getInto(-1, 6, 18, Buffer.alloc(4)))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => binding.getInto(fdOf(client), 6, 18, 'x' as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => binding.getInto(fdOf(client), 6, 18, onDetached))).toBe('ERR_INVALID_ARG_VALUE');
  });
});
