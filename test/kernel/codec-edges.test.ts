// Byte arguments of every shape the language allows, at the codec layer: views over a
// SharedArrayBuffer, at odd offsets, DataViews, detached buffers; plus the other
// native value edges (sub-microsecond timeouts, SO_PEERCRED without a peer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants as C, decodeTcpInfo, getsockopt, getTcpInfo, setsockopt, setsockopts, sizes, tcpInfoFields } from '../../src/index';
import { tcpPair, unixPair, type StreamPair } from '../helpers';

let pair: StreamPair;
beforeAll(async () => {
  pair = await tcpPair();
});
afterAll(() => pair.close());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
  return undefined;
}

/** A view whose ArrayBuffer has been transferred away (detached). */
function detached<T extends ArrayBufferView>(make: (ab: ArrayBuffer) => T): T {
  const ab = new ArrayBuffer(16);
  const view = make(ab);
  structuredClone(ab, { transfer: [ab] });
  expect(ab.byteLength).toBe(0); // detached
  return view;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A C int in native byte order, written into `view` at its start. */
function putInt(view: ArrayBufferView, value: number): void {
  expect(sizes.int).toBe(4);
  new DataView(view.buffer, view.byteOffset, 4).setInt32(0, value, LITTLE_ENDIAN);
}

describe('raw setsockopt with every kind of view', () => {
  const set = (view: ArrayBufferView) => setsockopt(pair.client, C.SOL_SOCKET!, C.SO_RCVBUF!, view);
  const cases: [string, () => ArrayBufferView][] = [
    ['Uint8Array over a SharedArrayBuffer', () => new Uint8Array(new SharedArrayBuffer(4))],
    ['Buffer over a SharedArrayBuffer', () => Buffer.from(new SharedArrayBuffer(4))],
    ['Int32Array over a SharedArrayBuffer', () => new Int32Array(new SharedArrayBuffer(4))],
    ['Uint8Array at an odd offset', () => new Uint8Array(new ArrayBuffer(11), 3, 4)],
    ['Uint8Array at an odd offset over a SharedArrayBuffer', () => new Uint8Array(new SharedArrayBuffer(11), 5, 4)],
    ['DataView at an odd offset', () => new DataView(new ArrayBuffer(9), 1, 4)],
    ['DataView over a SharedArrayBuffer', () => new DataView(new SharedArrayBuffer(7), 3, 4)],
  ];
  it.each(cases)('%s: the kernel gets exactly its 4 bytes', (_name, make) => {
    for (const value of [8192, 16384]) {
      const view = make();
      putInt(view, value);
      set(view);
      expect(getsockopt(pair.client, 'SO_RCVBUF')).toBe(value * 2); // Linux doubles SO_RCVBUF
    }
  });

  it('a detached Uint8Array or DataView: ERR_INVALID_ARG_VALUE before any syscall', () => {
    setsockopt(pair.client, 'SO_RCVBUF', 8192);
    expect(codeOf(() => set(detached((ab) => new Uint8Array(ab))))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(() => set(detached((ab) => new DataView(ab, 2))))).toBe('ERR_INVALID_ARG_VALUE');
    expect(getsockopt(pair.client, 'SO_RCVBUF')).toBe(16384); // untouched
  });

  it('SO_BINDTODEVICE given a detached view (it reads as empty, which would unbind): ERR_INVALID_ARG_VALUE, by name and in a batch (found by the fuzz suite)', () => {
    for (const make of [(ab: ArrayBuffer) => new Uint8Array(ab), (ab: ArrayBuffer) => Buffer.from(ab)]) {
      expect(codeOf(() => setsockopt(pair.client, 'SO_BINDTODEVICE', detached(make) as Buffer))).toBe('ERR_INVALID_ARG_VALUE');
      expect(codeOf(() => setsockopts(pair.client, { SO_BINDTODEVICE: detached(make) as Buffer }))).toBe('ERR_INVALID_ARG_VALUE');
    }
  });

  it('a view over more than 1 MiB is refused with ERR_OUT_OF_RANGE', () => {
    expect(codeOf(() => set(new Uint8Array(new SharedArrayBuffer((1 << 20) + 1))))).toBe('ERR_OUT_OF_RANGE');
  });
});

describe('decodeTcpInfo with every kind of view', () => {
  let live: Buffer;
  beforeAll(() => {
    live = getsockopt(pair.client, C.IPPROTO_TCP!, C.TCP_INFO!, 512);
  });

  it('a SharedArrayBuffer-backed Buffer, an odd-offset Uint8Array and a DataView decode like a Buffer', () => {
    const expected = decodeTcpInfo(live);
    expect(expected.state).toBe('ESTABLISHED');
    const shared = Buffer.from(new SharedArrayBuffer(live.length));
    live.copy(shared);
    expect(decodeTcpInfo(shared)).toEqual(expected);
    const odd = new Uint8Array(new ArrayBuffer(live.length + 3), 3, live.length);
    odd.set(live);
    expect(decodeTcpInfo(odd)).toEqual(expected);
    expect(decodeTcpInfo(new DataView(odd.buffer, 3, live.length))).toEqual(expected);
    const sharedView = new DataView(shared.buffer, shared.byteOffset, shared.length);
    expect(decodeTcpInfo(sharedView, { bigint: true })).toEqual(decodeTcpInfo(live, { bigint: true }));
    expect(getTcpInfo(pair.client).length).toBe(live.length);
  });

  it('a SharedArrayBuffer-backed 280-byte zero buffer decodes (it crashed the decoder before)', () => {
    expect(decodeTcpInfo(Buffer.from(new SharedArrayBuffer(280))).length).toBe(280);
    expect(decodeTcpInfo(new Uint8Array(new SharedArrayBuffer(0)))).toEqual({ length: 0 });
  });

  it('a detached view: ERR_INVALID_ARG_VALUE', () => {
    expect(codeOf(() => decodeTcpInfo(detached((ab) => new Uint8Array(ab))))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(() => decodeTcpInfo(detached((ab) => new DataView(ab))))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(() => decodeTcpInfo({} as never))).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('1 to 7 bytes keep the header fields those bytes cover', () => {
    const header = [0, 1, 2, 3, 4, 5, 6, 6, 7, 7]; // byte of each header field, in tcpInfoFields order
    expect(tcpInfoFields.slice(0, header.length).map(([, , , end]) => end)).toEqual(header.map((b) => b + 1));
    const bytes = Buffer.from([1, 4, 2, 3, 5, 3, 0x79, 0x05]); // ESTABLISHED, loss, …, wscale 9/7, app-limited + TFO fail 2
    const keysOf = (n: number) => ['length', ...tcpInfoFields.filter(([, , , end]) => end <= n).flatMap(([name]) => (name === 'state' || name === 'caState' ? [name, `${name}Code`] : [name]))];
    for (let n = 1; n <= 7; n++) {
      const info = decodeTcpInfo(bytes.subarray(0, n));
      expect(Object.keys(info).sort(), `${n} bytes`).toEqual(keysOf(n).sort());
    }
    expect(decodeTcpInfo(bytes.subarray(0, 1))).toEqual({ length: 1, state: 'ESTABLISHED', stateCode: 1 });
    expect(decodeTcpInfo(bytes.subarray(0, 7))).toMatchObject({ caState: 'loss', retransmits: 2, probes: 3, backoff: 5, sndWscale: 9, rcvWscale: 7 });
    expect(decodeTcpInfo(bytes.subarray(0, 7)).options).toMatchObject({ timestamps: true, sack: true, windowScale: false });
    expect(decodeTcpInfo(bytes)).toMatchObject({ deliveryRateAppLimited: true, fastopenClientFail: 2 });
  });
});

describe('native value edges', () => {
  it('SO_RCVTIMEO of 0.0004 ms is a (tiny) timeout, never "no timeout"', () => {
    for (const ms of [0.0004, 0.0005, 0.001]) {
      setsockopt(pair.client, 'SO_RCVTIMEO', ms);
      const held = getsockopt(pair.client, 'SO_RCVTIMEO');
      expect(held, `${ms} ms`).not.toBeNull(); // the kernel rounds 1 µs up to its tick
      expect(held!).toBeGreaterThan(0);
    }
    setsockopt(pair.client, 'SO_RCVTIMEO', 0);
    expect(getsockopt(pair.client, 'SO_RCVTIMEO')).toBeNull();
  });

  it('SO_PEERCRED: null on TCP (no peer process), the peer on a unix socket', async () => {
    expect(getsockopt(pair.client, 'SO_PEERCRED')).toBeNull();
    expect(getsockopt(pair.accepted, 'SO_PEERCRED')).toBeNull();
    const unix = await unixPair(`\0sockopt-views-${process.pid}`);
    try {
      expect(getsockopt(unix.client, 'SO_PEERCRED')).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    } finally {
      await unix.close();
    }
  });
});
