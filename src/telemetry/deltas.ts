// Counter deltas between a connection's records: how much each TCP_INFO counter that
// only grows grew since the previous record, with 32- and 16-bit wraps added back.
import { tcpInfoFields, type TcpInfo } from '../kernel/tcp-info';

// The TCP_INFO counters that only grow, each with the width the kernel keeps it in
// (a 32- or 16-bit counter wraps on a long, busy connection; the delta adds the wrap back).
const COUNTERS = [
  ['bytesAcked', 2 ** 64],
  ['bytesReceived', 2 ** 64],
  ['bytesSent', 2 ** 64],
  ['bytesRetrans', 2 ** 64],
  ['segsOut', 2 ** 32],
  ['segsIn', 2 ** 32],
  ['dataSegsOut', 2 ** 32],
  ['dataSegsIn', 2 ** 32],
  ['totalRetrans', 2 ** 32],
  ['delivered', 2 ** 32],
  ['deliveredCe', 2 ** 32],
  ['dsackDups', 2 ** 32],
  ['reordSeen', 2 ** 32],
  ['rcvOoopack', 2 ** 32],
  ['totalRto', 2 ** 16],
  ['totalRtoRecoveries', 2 ** 16],
  ['totalRtoTime', 2 ** 32],
] as const;
const COUNTER_NAMES = COUNTERS.map(([name]) => name);
const COUNTER_WRAP = COUNTERS.map(([, wrap]) => wrap);

/** A TCP_INFO counter that only grows (units as in TcpInfo: bytes, segments, events, ms for totalRtoTime). */
export type TcpCounter = (typeof COUNTERS)[number][0];

/**
 * How much each counter grew since the previous record of the same connection (the
 * first record counts from zero), so the deltas of all of a connection's records add
 * up to the totals in its close record. Counters the kernel does not report are absent.
 */
export type TcpDelta = Partial<Record<TcpCounter, number>>;

/**
 * Growth of each counter since the last record; `keep` stores the new values (not needed
 * at close). A full reply (Linux 6.7+) takes the literal below; shorter ones walk COUNTERS.
 */
export function delta(entry: { last: Float64Array | null }, info: TcpInfo, keep: boolean): TcpDelta {
  // A close record of a connection never sampled: its deltas are its totals.
  if (!keep && entry.last === null && info.length >= FULL) return fromZero(info as Required<TcpInfo>);
  const last = keep ? (entry.last ??= new Float64Array(COUNTERS.length)) : (entry.last ?? ZERO);
  if (info.length >= FULL) return deltaFull(info as Required<TcpInfo>, last, keep);
  const out = deltaWalk(info, last);
  if (keep) for (let i = 0; i < COUNTER_NAMES.length; i++) last[i] = info[COUNTER_NAMES[i]!] ?? 0;
  return out;
}

const ZERO = new Float64Array(COUNTERS.length);
/** Bytes of TCP_INFO that cover every counter (the end of the last one). */
const FULL = Math.max(...tcpInfoFields.filter(([name]) => (COUNTER_NAMES as readonly string[]).includes(name)).map(([, , , end]) => end));
const grow = (value: number, last: number, wrap: number): number => (value >= last ? value - last : value - last + wrap);

// The same as deltaWalk for a reply that has every counter, written out: building the
// object from a literal is much faster than keyed stores in a loop (docs/performance.md),
// and this runs for every sample and close. Indexes follow COUNTERS.
function deltaFull(i: Required<TcpInfo>, l: Float64Array, keep: boolean): TcpDelta {
  const out = {
    bytesAcked: grow(i.bytesAcked, l[0]!, 2 ** 64),
    bytesReceived: grow(i.bytesReceived, l[1]!, 2 ** 64),
    bytesSent: grow(i.bytesSent, l[2]!, 2 ** 64),
    bytesRetrans: grow(i.bytesRetrans, l[3]!, 2 ** 64),
    segsOut: grow(i.segsOut, l[4]!, 2 ** 32),
    segsIn: grow(i.segsIn, l[5]!, 2 ** 32),
    dataSegsOut: grow(i.dataSegsOut, l[6]!, 2 ** 32),
    dataSegsIn: grow(i.dataSegsIn, l[7]!, 2 ** 32),
    totalRetrans: grow(i.totalRetrans, l[8]!, 2 ** 32),
    delivered: grow(i.delivered, l[9]!, 2 ** 32),
    deliveredCe: grow(i.deliveredCe, l[10]!, 2 ** 32),
    dsackDups: grow(i.dsackDups, l[11]!, 2 ** 32),
    reordSeen: grow(i.reordSeen, l[12]!, 2 ** 32),
    rcvOoopack: grow(i.rcvOoopack, l[13]!, 2 ** 32),
    totalRto: grow(i.totalRto, l[14]!, 2 ** 16),
    totalRtoRecoveries: grow(i.totalRtoRecoveries, l[15]!, 2 ** 16),
    totalRtoTime: grow(i.totalRtoTime, l[16]!, 2 ** 32),
  };
  if (keep) {
    l[0] = i.bytesAcked;
    l[1] = i.bytesReceived;
    l[2] = i.bytesSent;
    l[3] = i.bytesRetrans;
    l[4] = i.segsOut;
    l[5] = i.segsIn;
    l[6] = i.dataSegsOut;
    l[7] = i.dataSegsIn;
    l[8] = i.totalRetrans;
    l[9] = i.delivered;
    l[10] = i.deliveredCe;
    l[11] = i.dsackDups;
    l[12] = i.reordSeen;
    l[13] = i.rcvOoopack;
    l[14] = i.totalRto;
    l[15] = i.totalRtoRecoveries;
    l[16] = i.totalRtoTime;
  }
  return out;
}

// deltaFull against zeros: each counter as it is (grow(value, 0, wrap) is value), with no
// arithmetic on doubles, so the small integers the info holds go in as they are instead of
// one heap number per field. The keys in COUNTERS order, as deltaFull's.
function fromZero(i: Required<TcpInfo>): TcpDelta {
  return {
    bytesAcked: i.bytesAcked,
    bytesReceived: i.bytesReceived,
    bytesSent: i.bytesSent,
    bytesRetrans: i.bytesRetrans,
    segsOut: i.segsOut,
    segsIn: i.segsIn,
    dataSegsOut: i.dataSegsOut,
    dataSegsIn: i.dataSegsIn,
    totalRetrans: i.totalRetrans,
    delivered: i.delivered,
    deliveredCe: i.deliveredCe,
    dsackDups: i.dsackDups,
    reordSeen: i.reordSeen,
    rcvOoopack: i.rcvOoopack,
    totalRto: i.totalRto,
    totalRtoRecoveries: i.totalRtoRecoveries,
    totalRtoTime: i.totalRtoTime,
  };
}

/** Exported for the test that holds deltaFull to it. */
export function deltaWalk(info: TcpInfo, last: Float64Array): TcpDelta {
  const out: TcpDelta = {};
  for (let i = 0; i < COUNTER_NAMES.length; i++) {
    const name = COUNTER_NAMES[i]!;
    const value = info[name];
    if (value !== undefined) out[name] = grow(value, last[i]!, COUNTER_WRAP[i]!);
  }
  return out;
}
