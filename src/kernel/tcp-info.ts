// TCP_INFO decoded: the native layer fills one Float64Array (and a BigUint64Array
// for exact 64-bit counters) from its own copy of Linux's struct tcp_info; here
// one object literal turns those into a plain object.
import { binding } from './binding';
import { invalidArgType, refuseUnknownKeys, unsupported } from './errors';
import { connectionInfoFields, decodeConnectionInfo } from './tcp-info-darwin';

export type { TcpCaState, TcpInfo, TcpInfoOptions, TcpInfoOptionsArg, TcpState } from './tcp-info-types';
import type { TcpCaState, TcpInfo, TcpInfoOptions, TcpInfoOptionsArg, TcpState } from './tcp-info-types';

const STATES: readonly TcpState[] = ['UNKNOWN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'BOUND_INACTIVE'];
const CA_STATES: readonly TcpCaState[] = ['open', 'disorder', 'cwr', 'recovery', 'loss'];

type Field = [name: string, unit: string, since: string, end: number, wide: boolean];
// macOS: TCP_CONNECTION_INFO's number and struct layout from the addon, decoded in tcp-info-darwin.ts.
const darwin = binding.tcpConnectionInfo;
/** Per field: name, unit, Linux version that added it, end offset in bytes, 64-bit. Empty where TCP_INFO is unsupported. */
export const tcpInfoFields: readonly Readonly<Field>[] = (binding.tcpInfoFields ?? (darwin ? connectionInfoFields(darwin.layout) : [])) as Field[];

const values = new Float64Array(tcpInfoFields.length);
const wide = new BigUint64Array(tcpInfoFields.length);
/** Where readTcpInfoNames puts both addresses: socketNames' layout (binding.ts); slot 0 is -1 when they could not be read. */
export const socketNamesOut = new Int32Array(12);
// Each field again as a uint32 (a 64-bit one only below 0xffffffff, else that value: read
// values/wide then). An object literal stores a Uint32Array element as a small integer; a
// Float64Array element becomes one heap number per field (a record would allocate ~60).
const narrow = new Uint32Array(tcpInfoFields.length);
const NARROW_MAX = 0xffffffff;
// Two copies of this package in one process share one addon (require caches it by its
// real path), and with it the one set of arrays the native side writes TCP_INFO into: a
// copy registers its own again whenever another registered last. A symbol every copy
// knows, on the addon's exports (one object per addon and environment).
const OUTPUT_OWNER = Symbol.for('sockopt.tcpInfoOutput');
const thisCopy = {};
const shared = binding as unknown as Record<symbol, unknown>;
function ownOutput(): void {
  if (shared[OUTPUT_OWNER] === thisCopy) return;
  binding.setTcpInfoOutput?.(values, wide, socketNamesOut, narrow);
  shared[OUTPUT_OWNER] = thisCopy;
}
ownOutput();
const U64_MAX = 2n ** 64n - 1n;
const INFINITE_SSTHRESH = 0x7fffffff;

// One frozen object per bit pattern (there are 256), shared by every reply.
const flagObjects: TcpInfoOptions[] = Array.from({ length: 256 }, (_, bits) => Object.freeze(decodeFlags(bits)));

function flags(bits: number): TcpInfoOptions {
  return flagObjects[bits & 0xff]!;
}

function decodeFlags(bits: number): TcpInfoOptions {
  return {
    timestamps: (bits & 1) !== 0,
    sack: (bits & 2) !== 0,
    windowScale: (bits & 4) !== 0,
    ecn: (bits & 8) !== 0,
    ecnSeen: (bits & 16) !== 0,
    synData: (bits & 32) !== 0,
    usecTs: (bits & 64) !== 0,
    tfoChild: (bits & 128) !== 0,
  };
}


// Each field's slot in the native table, by name. The literal below names every field
// once more (plain code: no code generation, so the package loads under
// --disallow-code-generation-from-strings); test/kernel/tcp-info.test.ts checks that its keys
// are exactly the table's, for every historical struct length. A literal is what keeps
// this fast: V8 clones its shape, where keyed stores in a loop build a slow dictionary.
const at: Readonly<Record<string, number>> = Object.fromEntries(tcpInfoFields.map(([name], k) => [name, k]));
const A = at as Record<FieldName, number>;
type FieldName = Exclude<keyof TcpInfo, 'length' | 'stateCode' | 'caStateCode'>;

/** A 64-bit counter: exact bigint, or the nearest double (a small one from narrow). */
function u64(k: number, big: boolean): number | bigint {
  if (big) return wide[k]!;
  const n = narrow[k]!;
  return n !== NARROW_MAX ? n : values[k]!;
}
/** A rate where ~0 means "unlimited" (null). */
function rate(k: number, big: boolean): number | bigint | null {
  if (!big && narrow[k] !== NARROW_MAX) return narrow[k]!;
  return wide[k] === U64_MAX ? null : u64(k, big);
}

// Every field, as for a reply that covers the whole struct.
function full(length: number, big: boolean): TcpInfo<number | bigint> {
  const v = narrow; // every field here is 32 bits or less (the 64-bit ones go through u64/rate)
  return {
    length,
    state: STATES[v[A.state]!] ?? 'UNKNOWN',
    stateCode: v[A.state]!,
    caState: CA_STATES[v[A.caState]!] ?? 'unknown',
    caStateCode: v[A.caState]!,
    retransmits: v[A.retransmits]!,
    probes: v[A.probes]!,
    backoff: v[A.backoff]!,
    options: flags(v[A.options]!),
    sndWscale: v[A.sndWscale]!,
    rcvWscale: v[A.rcvWscale]!,
    deliveryRateAppLimited: v[A.deliveryRateAppLimited] === 1,
    fastopenClientFail: v[A.fastopenClientFail]!,
    rto: v[A.rto]!,
    ato: v[A.ato]!,
    sndMss: v[A.sndMss]!,
    rcvMss: v[A.rcvMss]!,
    unacked: v[A.unacked]!,
    sacked: v[A.sacked]!,
    lost: v[A.lost]!,
    retrans: v[A.retrans]!,
    fackets: v[A.fackets]!,
    lastDataSent: v[A.lastDataSent]!,
    lastAckSent: v[A.lastAckSent]!,
    lastDataRecv: v[A.lastDataRecv]!,
    lastAckRecv: v[A.lastAckRecv]!,
    pmtu: v[A.pmtu]!,
    rcvSsthresh: v[A.rcvSsthresh]!,
    rtt: v[A.rtt]!,
    rttvar: v[A.rttvar]!,
    sndSsthresh: v[A.sndSsthresh]! >= INFINITE_SSTHRESH ? null : v[A.sndSsthresh]!,
    sndCwnd: v[A.sndCwnd]!,
    advmss: v[A.advmss]!,
    reordering: v[A.reordering]!,
    rcvRtt: v[A.rcvRtt]!,
    rcvSpace: v[A.rcvSpace]!,
    totalRetrans: v[A.totalRetrans]!,
    pacingRate: rate(A.pacingRate, big),
    maxPacingRate: rate(A.maxPacingRate, big),
    bytesAcked: u64(A.bytesAcked, big),
    bytesReceived: u64(A.bytesReceived, big),
    segsOut: v[A.segsOut]!,
    segsIn: v[A.segsIn]!,
    notsentBytes: v[A.notsentBytes]!,
    minRtt: v[A.minRtt]!,
    dataSegsIn: v[A.dataSegsIn]!,
    dataSegsOut: v[A.dataSegsOut]!,
    deliveryRate: u64(A.deliveryRate, big),
    busyTime: u64(A.busyTime, big),
    rwndLimited: u64(A.rwndLimited, big),
    sndbufLimited: u64(A.sndbufLimited, big),
    delivered: v[A.delivered]!,
    deliveredCe: v[A.deliveredCe]!,
    bytesSent: u64(A.bytesSent, big),
    bytesRetrans: u64(A.bytesRetrans, big),
    dsackDups: v[A.dsackDups]!,
    reordSeen: v[A.reordSeen]!,
    rcvOoopack: v[A.rcvOoopack]!,
    sndWnd: v[A.sndWnd]!,
    rcvWnd: v[A.rcvWnd]!,
    rehash: v[A.rehash]!,
    totalRto: v[A.totalRto]!,
    totalRtoRecoveries: v[A.totalRtoRecoveries]!,
    totalRtoTime: v[A.totalRtoTime]!,
    receivedCe: v[A.receivedCe]!,
    deliveredE1Bytes: v[A.deliveredE1Bytes]!,
    deliveredE0Bytes: v[A.deliveredE0Bytes]!,
    deliveredCeBytes: v[A.deliveredCeBytes]!,
    receivedE1Bytes: v[A.receivedE1Bytes]!,
    receivedE0Bytes: v[A.receivedE0Bytes]!,
    receivedCeBytes: v[A.receivedCeBytes]!,
    accecnFailMode: v[A.accecnFailMode]!,
    accecnOptSeen: v[A.accecnOptSeen]!,
  };
}

// The field a key of the result comes from (stateCode and caStateCode share theirs).
const slotOfKey: Readonly<Record<string, number>> = { ...at, stateCode: at.state!, caStateCode: at.caState! };
const fullLength = Math.max(0, ...tcpInfoFields.map(([, , , end]) => end));

// A shorter reply (an older kernel, a short buffer): only the keys whose field it covers
// (the native side wrote NaN for the others). Rare, so a plain keyed copy is fine.
function build(length: number, big: boolean): TcpInfo<number | bigint> {
  const all = full(length, big);
  if (length >= fullLength) return all;
  const o: Record<string, unknown> = { length };
  for (const key of Object.keys(all)) {
    const k = slotOfKey[key];
    if (k !== undefined && !Number.isNaN(values[k])) o[key] = all[key as keyof typeof all];
  }
  return o as unknown as TcpInfo<number | bigint>;
}

/** Whether this platform has TCP_INFO decoding (Linux; macOS through TCP_CONNECTION_INFO). */
export const hasTcpInfo = typeof binding.getTcpInfo === 'function' || darwin !== undefined;

/** Reads TCP_INFO on an fd (internal: fd resolution and errors live in the caller). */
export function readTcpInfo(fd: number, bigint: boolean): TcpInfo<number | bigint> {
  if (darwin) return decodeConnectionInfo(binding.getBuffer(fd, binding.constants.IPPROTO_TCP!, darwin.optname, darwin.size), darwin.layout, bigint);
  ownOutput();
  const length = binding.getTcpInfo!(fd);
  return build(length, bigint);
}

const getTcpInfoNames = binding.getTcpInfoNames;

/**
 * TCP_INFO on an fd, or undefined when it cannot be read; with `names`, also both
 * addresses into socketNamesOut (slot 0 -1 when they cannot be read), in one crossing
 * where the addon has it (trackConnections' close records read both at once).
 */
export function readTcpInfoNames(fd: number, names: boolean): TcpInfo | undefined {
  if (getTcpInfoNames !== undefined) {
    ownOutput();
    const length = getTcpInfoNames(fd, names ? 1 : 0);
    return length < 0 ? undefined : (build(length, false) as TcpInfo);
  }
  let info: TcpInfo | undefined;
  try {
    info = readTcpInfo(fd, false) as TcpInfo;
  } catch {
    info = undefined;
  }
  if (names) {
    try {
      binding.socketNames!(fd, socketNamesOut);
    } catch {
      socketNamesOut[0] = -1;
    }
  }
  return info;
}

/**
 * Decodes `struct tcp_info` bytes (e.g. from `getsockopt(sock, IPPROTO_TCP, TCP_INFO, 280)`
 * or a capture from an older kernel). Only fields that `buffer.length` covers appear.
 */
export function decodeTcpInfo(buffer: ArrayBufferView, options?: { bigint?: false }): TcpInfo<number>;
export function decodeTcpInfo(buffer: ArrayBufferView, options: { bigint: true }): TcpInfo<bigint>;
export function decodeTcpInfo(buffer: ArrayBufferView, options?: TcpInfoOptionsArg): TcpInfo<number | bigint> {
  const bigint = wantsBigint(options);
  if (darwin) return decodeConnectionInfo(buffer, darwin.layout, bigint); // macOS: struct tcp_connection_info
  if (!hasTcpInfo) throw unsupported('TCP_INFO', ['linux', 'darwin']);
  ownOutput();
  const length = binding.decodeTcpInfo!(buffer);
  return build(length, bigint);
}

const OPTION_FIELDS = ['bigint'] as const;

/**
 * The `bigint` of getTcpInfo()'s and decodeTcpInfo()'s options: undefined or an object
 * whose only key is `bigint`, a boolean (a typo such as `bigInt` is refused, not ignored).
 */
export function wantsBigint(options: unknown): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object { bigint }', options);
  refuseUnknownKeys(options, OPTION_FIELDS, 'options');
  const { bigint } = options as { bigint?: unknown };
  if (bigint !== undefined && typeof bigint !== 'boolean') throw invalidArgType('options.bigint', 'of type boolean', bigint);
  return bigint === true;
}
