// macOS's TCP_CONNECTION_INFO decoder on synthetic buffers, here on Linux: nothing in
// this project can run a Mac. Buffers are laid out by XNU_LAYOUT, which scripts/darwin.sh
// checks against the SDK header with static_asserts; values are chosen so that every
// unit conversion (ms → µs, bytes → segments) and every member's offset shows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTcpConnectionInfo, tcpInfoFields, type TcpInfo } from '../../src/index';
import { connectionInfoFields, XNU_LAYOUT, XNU_SIZE, type ConnectionInfoMember } from '../../src/kernel/tcp-info-darwin';
import { figure } from '../helpers';

/** A struct tcp_connection_info with the given members set (little-endian, as on both Mac architectures). */
function struct(values: Partial<Record<ConnectionInfoMember, number | bigint>>, size = XNU_SIZE): Buffer {
  const buf = Buffer.alloc(size);
  for (const [m, v] of Object.entries(values) as [ConnectionInfoMember, number | bigint][]) {
    const [at, width] = XNU_LAYOUT[m];
    if (width === 1) buf.writeUInt8(Number(v), at);
    else if (width === 4) buf.writeUInt32LE(Number(v), at);
    else buf.writeBigUInt64LE(BigInt(v), at);
  }
  return buf;
}

const ESTABLISHED = {
  tcpi_state: 4, // TCPS_ESTABLISHED
  tcpi_snd_wscale: 6,
  tcpi_rcv_wscale: 7,
  tcpi_options: 1 | 2 | 4, // timestamps, sack, window scaling
  tcpi_flags: 0,
  tcpi_rto: 230, // ms
  tcpi_maxseg: 1448, // bytes
  tcpi_snd_ssthresh: 1448 * 12 + 700, // bytes: 12 whole segments
  tcpi_snd_cwnd: 1448 * 10, // bytes: 10 segments
  tcpi_snd_wnd: 131_072,
  tcpi_snd_sbbytes: 5000,
  tcpi_rcv_wnd: 262_144,
  tcpi_rttcur: 9,
  tcpi_srtt: 12, // ms
  tcpi_rttvar: 3, // ms
  tcpi_txpackets: 1234,
  tcpi_txbytes: 2n ** 60n + 5n, // beyond 2^53: exact only as a bigint
  tcpi_txretransmitbytes: 2896,
  tcpi_rxpackets: 987,
  tcpi_rxbytes: 654_321,
  tcpi_rxoutoforderbytes: 11,
  tcpi_txretransmitpackets: 2,
} satisfies Record<ConnectionInfoMember, number | bigint>;

describe('decodeTcpConnectionInfo (macOS struct tcp_connection_info)', () => {
  it('a full struct: every field where xnu puts it, in TcpInfo units', () => {
    const info = decodeTcpConnectionInfo(struct(ESTABLISHED));
    expect(info).toEqual({
      length: 112,
      state: 'ESTABLISHED',
      stateCode: 4, // xnu's number, not Linux's 1
      caState: 'open',
      options: { timestamps: true, sack: true, windowScale: true, ecn: false, ecnSeen: false, synData: false, usecTs: false, tfoChild: false },
      sndWscale: 6,
      rcvWscale: 7,
      rto: 230_000, // µs
      sndMss: 1448,
      rtt: 12_000, // µs
      rttvar: 3000, // µs
      sndSsthresh: 12, // segments, rounded down
      sndCwnd: 10, // segments
      totalRetrans: 2,
      bytesReceived: 654_321,
      segsOut: 1234,
      segsIn: 987,
      bytesSent: Number(2n ** 60n + 5n),
      bytesRetrans: 2896,
      sndWnd: 131_072,
      rcvWnd: 262_144,
    } satisfies TcpInfo);
    figure('tcp_connection_info fields decoded from 112 bytes', Object.keys(info).length - 1);
  });

  it('{ bigint: true } gives the byte counters exactly', () => {
    const big = decodeTcpConnectionInfo(struct(ESTABLISHED), { bigint: true });
    expect(big.bytesSent).toBe(2n ** 60n + 5n);
    expect(big.bytesReceived).toBe(654_321n);
    expect(big.bytesRetrans).toBe(2896n);
    expect(big.segsOut).toBe(1234); // packet counters stay numbers, as on Linux
  });

  it("maps each of xnu's TCPS_* states to Linux's name", () => {
    const names = ['CLOSE', 'LISTEN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'CLOSING', 'LAST_ACK', 'FIN_WAIT2', 'TIME_WAIT'];
    names.forEach((name, code) => expect(decodeTcpConnectionInfo(struct({ tcpi_state: code }))).toMatchObject({ state: name, stateCode: code }));
    expect(decodeTcpConnectionInfo(struct({ tcpi_state: 200 })).state).toBe('UNKNOWN');
  });

  it('loss recovery, ECN, the infinite ssthresh before any loss, and no MSS yet', () => {
    const recovering = decodeTcpConnectionInfo(struct({ ...ESTABLISHED, tcpi_flags: 1 | 2, tcpi_options: 8 }));
    expect(recovering.caState).toBe('recovery');
    expect(recovering.options).toMatchObject({ timestamps: false, sack: false, windowScale: false, ecn: true });
    expect(decodeTcpConnectionInfo(struct({ ...ESTABLISHED, tcpi_snd_ssthresh: 65535 * 2 ** 14 })).sndSsthresh).toBeNull();
    const listening = decodeTcpConnectionInfo(struct({ tcpi_state: 1, tcpi_snd_cwnd: 14480, tcpi_snd_ssthresh: 14480 }));
    expect(listening.sndMss).toBe(0);
    expect(listening).not.toHaveProperty('sndCwnd'); // bytes / 0 segments: left out, not Infinity
    expect(listening).not.toHaveProperty('sndSsthresh');
  });

  it('a short reply has exactly the fields it covers, at every length', () => {
    const full = struct(ESTABLISHED);
    const fields = connectionInfoFields();
    let lengths = 0;
    for (let len = 0; len <= XNU_SIZE; len++) {
      const info = decodeTcpConnectionInfo(full.subarray(0, len));
      const expected = fields.filter(([, , , end]) => end <= len).map(([name]) => name);
      if (len >= 1) expected.push('stateCode');
      expect(Object.keys(info).sort()).toEqual(['length', ...expected].sort());
      expect(info.length).toBe(len);
      lengths++;
    }
    expect(decodeTcpConnectionInfo(Buffer.alloc(0))).toEqual({ length: 0 });
    expect(Object.keys(decodeTcpConnectionInfo(Buffer.concat([full, Buffer.alloc(64)])))).toEqual(Object.keys(decodeTcpConnectionInfo(full)));
    figure('tcp_connection_info lengths decoded (0…112)', lengths);
  });

  it('honours the view: offset into a larger buffer, other TypedArrays, DataView, SharedArrayBuffer', () => {
    const bytes = struct(ESTABLISHED);
    const big = Buffer.alloc(300, 0xee);
    bytes.copy(big, 37);
    const expected = decodeTcpConnectionInfo(bytes);
    expect(decodeTcpConnectionInfo(big.subarray(37, 37 + 112))).toEqual(expected);
    expect(decodeTcpConnectionInfo(new DataView(big.buffer, big.byteOffset + 37, 112))).toEqual(expected);
    const aligned = new Uint8Array(112);
    aligned.set(bytes);
    expect(decodeTcpConnectionInfo(new Uint32Array(aligned.buffer))).toEqual(expected);
    const shared = new Uint8Array(new SharedArrayBuffer(112));
    shared.set(bytes);
    expect(decodeTcpConnectionInfo(shared)).toEqual(expected);
  });

  it('hostile input: a coded error or an empty result, never a crash', () => {
    for (const bad of [undefined, null, 42, 'bytes', {}, [1, 2, 3], new ArrayBuffer(112), { buffer: new ArrayBuffer(8), byteOffset: 0, byteLength: 8 }]) {
      expect(() => decodeTcpConnectionInfo(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    const detached = new Uint8Array(112);
    structuredClone(detached.buffer, { transfer: [detached.buffer] }); // detaches it
    expect(detached.byteLength).toBe(0);
    // Refused as the Linux decoder refuses it (a detached view's bytes are gone, not zero).
    expect(() => decodeTcpConnectionInfo(detached)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const detachedView = new DataView(new ArrayBuffer(112));
    structuredClone(detachedView.buffer, { transfer: [detachedView.buffer] });
    expect(() => decodeTcpConnectionInfo(detachedView)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(decodeTcpConnectionInfo(new Uint8Array(0))).toEqual({ length: 0 });
    expect(decodeTcpConnectionInfo(Buffer.alloc(112, 0xff))).toMatchObject({ state: 'UNKNOWN', sndSsthresh: null, rtt: 0xffffffff * 1000 });
  });

  it('any bytes at any offset: a TcpInfo of finite, non-negative numbers, never a throw', () => {
    const keys = new Set(['length', 'stateCode', ...connectionInfoFields().map(([name]) => name)]);
    let runs = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(16), fc.boolean(), (bytes, shift, bigint) => {
        const backing = new Uint8Array(bytes.length + shift);
        backing.set(bytes, shift);
        const view = backing.subarray(shift);
        const info: TcpInfo<number | bigint> = bigint ? decodeTcpConnectionInfo(view, { bigint: true }) : decodeTcpConnectionInfo(view);
        runs++;
        for (const [key, value] of Object.entries(info)) {
          expect(keys.has(key), key).toBe(true);
          if (typeof value === 'number') expect(Number.isFinite(value) && value >= 0, `${key} = ${value}`).toBe(true);
          if (typeof value === 'bigint') expect(value >= 0n).toBe(true);
        }
        expect(info.length).toBe(bytes.length);
      }),
      { numRuns: 2000 },
    );
    figure('tcp_connection_info decodes of random bytes', runs);
  });

  it('fills only TcpInfo keys, with the same names and units as the Linux decoder', () => {
    const linux = new Map(tcpInfoFields.map(([name, unit]) => [name, unit]));
    for (const [name, unit] of connectionInfoFields()) {
      expect(linux.has(name), `${name} is a Linux TcpInfo field`).toBe(true);
      expect(unit, `${name}'s unit`).toBe(linux.get(name));
    }
  });
});
