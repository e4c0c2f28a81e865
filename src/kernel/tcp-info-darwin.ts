// macOS has no TCP_INFO: its TCP_CONNECTION_INFO returns struct tcp_connection_info
// (xnu, bsd/netinet/tcp.h). This decodes those bytes into the TcpInfo shape of Linux's
// TCP_INFO, converting units where macOS counts differently: times in ms (TcpInfo: µs),
// congestion window and slow-start threshold in bytes (TcpInfo: segments). It imports
// no addon, so it runs, and is tested, on any platform; tcp-info.ts uses it on macOS.
import { invalidArgType, invalidArgValue } from './errors';
import type { ConnectionInfoLayout, ConnectionInfoMember, TcpInfo, TcpInfoOptions, TcpInfoOptionsArg, TcpState } from './tcp-info-types';

export type { ConnectionInfoLayout, ConnectionInfoMember } from './tcp-info-types';

/**
 * struct tcp_connection_info as xnu's header lays it out: 112 bytes, the same on x86_64
 * and arm64 (the 64-bit counters are `aligned(8)`). On macOS the addon reports the SDK's
 * own offsets (native/tcp_info_darwin.cc, offsetof) and those are used; scripts/darwin.sh
 * checks this table against the SDK header that zig bundles, for both architectures.
 */
export const XNU_LAYOUT: ConnectionInfoLayout = {
  tcpi_state: [0, 1],
  tcpi_snd_wscale: [1, 1],
  tcpi_rcv_wscale: [2, 1],
  tcpi_options: [4, 4],
  tcpi_flags: [8, 4],
  tcpi_rto: [12, 4],
  tcpi_maxseg: [16, 4],
  tcpi_snd_ssthresh: [20, 4],
  tcpi_snd_cwnd: [24, 4],
  tcpi_snd_wnd: [28, 4],
  tcpi_snd_sbbytes: [32, 4],
  tcpi_rcv_wnd: [36, 4],
  tcpi_rttcur: [40, 4],
  tcpi_srtt: [44, 4],
  tcpi_rttvar: [48, 4],
  tcpi_txpackets: [56, 8],
  tcpi_txbytes: [64, 8],
  tcpi_txretransmitbytes: [72, 8],
  tcpi_rxpackets: [80, 8],
  tcpi_rxbytes: [88, 8],
  tcpi_rxoutoforderbytes: [96, 8],
  tcpi_txretransmitpackets: [104, 8],
};
/** sizeof(struct tcp_connection_info) in xnu's header. */
export const XNU_SIZE = 112;

// xnu's TCPS_* numbers (netinet/tcp_fsm.h, the BSD order), named as Linux names them.
const STATES: readonly TcpState[] = ['CLOSE', 'LISTEN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'CLOSING', 'LAST_ACK', 'FIN_WAIT2', 'TIME_WAIT'];
const TCPCI_FLAG_LOSSRECOVERY = 1;
// snd_ssthresh until the first loss: TCP_MAXWIN << TCP_MAX_WINSHIFT (xnu tcp_var.h), i.e. "infinite".
const INFINITE_SSTHRESH_BYTES = 65535 * 2 ** 14;
const MS = 1000; // µs per ms

/** Reads one member as a number (64-bit ones as the nearest double) or as an exact bigint. */
interface Reader {
  n(m: ConnectionInfoMember): number;
  big(m: ConnectionInfoMember): bigint;
  wide: boolean;
}
type Key = Exclude<keyof TcpInfo, 'length'>;
interface Field {
  readonly key: Key;
  readonly unit: string;
  /** Members the value needs: it appears only when the reply covers all of them. */
  readonly from: readonly ConnectionInfoMember[];
  /** A 64-bit counter: bigint under { bigint: true }. */
  readonly wide?: true;
  /** Counted in segments from bytes: left out while tcpi_maxseg is 0 (no MSS yet). */
  readonly perSegment?: true;
  readonly value: (r: Reader) => unknown;
}

// Whole segments from bytes, as Linux counts the window (bytes / MSS, rounded down).
const segments = (r: Reader, m: ConnectionInfoMember): number => Math.floor(r.n(m) / r.n('tcpi_maxseg'));
const u64 = (r: Reader, m: ConnectionInfoMember): number | bigint => (r.wide ? r.big(m) : r.n(m));
const optionFlags = (bits: number): TcpInfoOptions => ({
  // TCPCI_OPT_TIMESTAMPS, _SACK, _WSCALE, _ECN: the same bits as Linux's first four.
  timestamps: (bits & 1) !== 0,
  sack: (bits & 2) !== 0,
  windowScale: (bits & 4) !== 0,
  ecn: (bits & 8) !== 0,
  // Not reported by macOS.
  ecnSeen: false,
  synData: false,
  usecTs: false,
  tfoChild: false,
});

// One line per TcpInfo key macOS can fill, in TcpInfo's order.
const FIELDS: readonly Field[] = [
  { key: 'state', unit: 'enum', from: ['tcpi_state'], value: (r) => STATES[r.n('tcpi_state')] ?? 'UNKNOWN' },
  { key: 'stateCode', unit: 'enum', from: ['tcpi_state'], value: (r) => r.n('tcpi_state') }, // xnu's own number
  { key: 'caState', unit: 'enum', from: ['tcpi_flags'], value: (r) => ((r.n('tcpi_flags') & TCPCI_FLAG_LOSSRECOVERY) !== 0 ? 'recovery' : 'open') },
  { key: 'options', unit: 'flags', from: ['tcpi_options'], value: (r) => optionFlags(r.n('tcpi_options')) },
  { key: 'sndWscale', unit: 'shift', from: ['tcpi_snd_wscale'], value: (r) => r.n('tcpi_snd_wscale') },
  { key: 'rcvWscale', unit: 'shift', from: ['tcpi_rcv_wscale'], value: (r) => r.n('tcpi_rcv_wscale') },
  { key: 'rto', unit: 'µs', from: ['tcpi_rto'], value: (r) => r.n('tcpi_rto') * MS },
  { key: 'sndMss', unit: 'bytes', from: ['tcpi_maxseg'], value: (r) => r.n('tcpi_maxseg') },
  { key: 'rtt', unit: 'µs', from: ['tcpi_srtt'], value: (r) => r.n('tcpi_srtt') * MS },
  { key: 'rttvar', unit: 'µs', from: ['tcpi_rttvar'], value: (r) => r.n('tcpi_rttvar') * MS },
  {
    key: 'sndSsthresh', unit: 'segments', from: ['tcpi_snd_ssthresh', 'tcpi_maxseg'], perSegment: true,
    value: (r) => (r.n('tcpi_snd_ssthresh') >= INFINITE_SSTHRESH_BYTES ? null : segments(r, 'tcpi_snd_ssthresh')),
  },
  { key: 'sndCwnd', unit: 'segments', from: ['tcpi_snd_cwnd', 'tcpi_maxseg'], perSegment: true, value: (r) => segments(r, 'tcpi_snd_cwnd') },
  { key: 'totalRetrans', unit: 'segments', from: ['tcpi_txretransmitpackets'], value: (r) => r.n('tcpi_txretransmitpackets') },
  { key: 'bytesReceived', unit: 'bytes', from: ['tcpi_rxbytes'], wide: true, value: (r) => u64(r, 'tcpi_rxbytes') },
  { key: 'segsOut', unit: 'segments', from: ['tcpi_txpackets'], value: (r) => r.n('tcpi_txpackets') },
  { key: 'segsIn', unit: 'segments', from: ['tcpi_rxpackets'], value: (r) => r.n('tcpi_rxpackets') },
  { key: 'bytesSent', unit: 'bytes', from: ['tcpi_txbytes'], wide: true, value: (r) => u64(r, 'tcpi_txbytes') },
  { key: 'bytesRetrans', unit: 'bytes', from: ['tcpi_txretransmitbytes'], wide: true, value: (r) => u64(r, 'tcpi_txretransmitbytes') },
  { key: 'sndWnd', unit: 'bytes', from: ['tcpi_snd_wnd'], value: (r) => r.n('tcpi_snd_wnd') },
  { key: 'rcvWnd', unit: 'bytes', from: ['tcpi_rcv_wnd'], value: (r) => r.n('tcpi_rcv_wnd') },
];

const end = (layout: ConnectionInfoLayout, m: ConnectionInfoMember): number => layout[m][0] + layout[m][1];

/** [name, unit, 'macOS', end offset, 64-bit] per field, the shape of Linux's tcpInfoFields. */
export function connectionInfoFields(layout: ConnectionInfoLayout = XNU_LAYOUT): [string, string, string, number, boolean][] {
  return FIELDS.filter((f) => f.key !== 'stateCode').map((f) => [f.key, f.unit, 'macOS', Math.max(...f.from.map((m) => end(layout, m))), f.wide === true]);
}

/** Decodes with a given layout (internal: the addon's on macOS, XNU_LAYOUT elsewhere). */
export function decodeConnectionInfo(buffer: ArrayBufferView, layout: ConnectionInfoLayout, bigint: boolean): TcpInfo<number | bigint> {
  // A view on a transferred (detached) buffer: its byteLength getter throws (DataView) or
  // reads 0, and no view can be made on the buffer. Refused as the Linux decoder does.
  try {
    void buffer.byteLength;
    void new Uint8Array(buffer.buffer, 0, 0);
  } catch {
    throw invalidArgValue('buffer', 'a view on a detached ArrayBuffer (it was transferred)');
  }
  const length = buffer.byteLength;
  const out: Record<string, unknown> = { length };
  if (length === 0) return out as unknown as TcpInfo;
  const view = new DataView(buffer.buffer, buffer.byteOffset, length);
  const covered = (m: ConnectionInfoMember): boolean => end(layout, m) <= length;
  const reader: Reader = {
    wide: bigint,
    // Both macOS architectures are little-endian.
    n(m) {
      const [at, size] = layout[m];
      return size === 1 ? view.getUint8(at) : size === 4 ? view.getUint32(at, true) : Number(view.getBigUint64(at, true));
    },
    big(m) {
      return view.getBigUint64(layout[m][0], true);
    },
  };
  for (const f of FIELDS) {
    if (!f.from.every(covered) || (f.perSegment && reader.n('tcpi_maxseg') === 0)) continue;
    out[f.key] = f.value(reader);
  }
  return out as unknown as TcpInfo<number | bigint>;
}

/**
 * Decodes macOS's `struct tcp_connection_info` (the bytes of `TCP_CONNECTION_INFO`, e.g. a
 * capture from a Mac) into the {@link TcpInfo} shape, on any platform. Units are converted:
 * `rtt`, `rttvar`, `rto` from ms to µs (so they are whole milliseconds); `sndCwnd` and
 * `sndSsthresh` from bytes to whole segments (bytes / `sndMss`, rounded down; absent while
 * `sndMss` is 0; `sndSsthresh` is `null` before the first loss, as on Linux). `state` is
 * named as on Linux, `stateCode` is xnu's own number (`TCPS_ESTABLISHED` = 4). `caState` is
 * `'recovery'` while macOS reports loss recovery, else `'open'`. `options` has the four bits
 * macOS reports (timestamps, sack, windowScale, ecn); the others are false. `segsOut`/`segsIn`
 * are macOS's packet counters, `totalRetrans` its retransmitted packets, `bytesSent`,
 * `bytesReceived`, `bytesRetrans` its byte counters. Fields the buffer does not cover are absent.
 */
export function decodeTcpConnectionInfo(buffer: ArrayBufferView, options?: { bigint?: false }): TcpInfo<number>;
export function decodeTcpConnectionInfo(buffer: ArrayBufferView, options: { bigint: true }): TcpInfo<bigint>;
export function decodeTcpConnectionInfo(buffer: ArrayBufferView, options: TcpInfoOptionsArg = {}): TcpInfo<number | bigint> {
  if (!ArrayBuffer.isView(buffer)) throw invalidArgType('buffer', 'a Buffer, TypedArray or DataView', buffer);
  return decodeConnectionInfo(buffer, XNU_LAYOUT, options?.bigint === true);
}
