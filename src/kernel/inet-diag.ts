// One inet sock_diag message of a packed dump (diagDump flags 2) read in JavaScript:
// the same record native/sockdiag_records_linux.cc's InetRecord builds, at the offsets
// and attribute numbers the native layer exports from the system headers
// (diagInetLayout). A record built here costs a fraction of one built through Node-API,
// and `sockopt inspect` builds one per socket. Every length is checked against the
// message, which the native side checked against the buffer when it packed it.
import { endianness } from 'node:os';
import { binding } from './binding';
import { ipv4Text, ipv6Text } from './ip-text';

/** An inet socket's sock_diag record (what `ss -tiepm` reads); `info` is the raw tcp_info. */
export interface InetRecord {
  family: number; state: number; timer: number; retrans: number; expires: number; rqueue: number; wqueue: number;
  uid: number; inode: number; ifindex: number; cookie: bigint; src: string; sport: number; dst: string; dport: number;
  info?: Uint8Array; skmem?: InetSkmem; cong?: string; shutdown?: number; tos?: number; tclass?: number; v6only?: boolean;
  mark?: number; classId?: number; protocol?: number; cgroupId?: bigint; bbr?: { bw: number; minRtt: number; pacingGain: number; cwndGain: number };
  /** INET_DIAG_SOCKOPT (Linux >= 5.10): the socket's IP flags, bit numbers as diagInetLayout.sockoptBits gives them. */
  sockopt?: number;
}

/** sk_meminfo (ss -m), bytes; drops a count. */
export interface InetSkmem {
  rmemAlloc: number; rcvbuf: number; wmemAlloc: number; sndbuf: number; fwdAlloc: number; wmemQueued: number; optmem: number; backlog: number; drops: number;
}

const L = binding.diagInetLayout;
const LE = endianness() === 'LE';
const C = binding.constants;
const SKMEM_NAMES = ['rmemAlloc', 'rcvbuf', 'wmemAlloc', 'sndbuf', 'fwdAlloc', 'wmemQueued', 'optmem', 'backlog', 'drops'] as const;

/** Whether this platform's native layer gives the layout (Linux). */
export const canReadInetRecords = L !== undefined;

/**
 * The record of the inet message at `at` of `bytes` (a packed dump's); throws a RangeError
 * where no whole message is. `view`: a DataView over exactly `bytes`, for a caller reading many.
 */
export function inetRecordAt(bytes: Uint8Array, at: number, view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)): InetRecord {
  const l = L!;
  if (!(at >= 0 && at + l.attrs <= bytes.length)) throw new RangeError('no sock_diag message at this offset');
  const end = at + view.getUint32(at, LE); // nlmsg_len
  if (end > bytes.length || end < at + l.attrs) throw new RangeError('no whole sock_diag message at this offset');
  const family = bytes[at + l.family]!;
  const v4 = family === C.AF_INET;
  const u32 = (off: number): number => view.getUint32(at + off, LE);
  const r: InetRecord = {
    family,
    state: bytes[at + l.state]!,
    timer: bytes[at + l.timer]!,
    retrans: bytes[at + l.retrans]!,
    expires: u32(l.expires),
    rqueue: u32(l.rqueue),
    wqueue: u32(l.wqueue),
    uid: u32(l.uid),
    inode: u32(l.inode),
    ifindex: u32(l.ifindex),
    cookie: (BigInt(u32(l.cookie + 4)) << 32n) | BigInt(u32(l.cookie)),
    src: v4 ? ipv4Text(bytes, at + l.src) : ipv6Text(bytes, at + l.src),
    sport: view.getUint16(at + l.sport, false), // network order
    dst: v4 ? ipv4Text(bytes, at + l.dst) : ipv6Text(bytes, at + l.dst),
    dport: view.getUint16(at + l.dport, false),
  };
  // The attributes: [len u16, type u16, data…] each, 4-byte aligned; a malformed one ends the walk.
  for (let off = at + l.attrs; off + l.rtaHeader <= end; ) {
    const len = view.getUint16(off, LE);
    const type = view.getUint16(off + 2, LE);
    if (len < l.rtaHeader || off + len > end) break;
    const p = off + l.rtaHeader;
    const n = len - l.rtaHeader;
    if (type === l.INFO) r.info = bytes.subarray(p, p + n);
    else if (type === l.SKMEMINFO) r.skmem = skmem(view, p, n);
    else if (type === l.CONG) r.cong = latin1(bytes, p, n);
    else if (n >= 1 && type === l.SHUTDOWN) r.shutdown = bytes[p]!;
    else if (n >= 1 && type === l.TOS) r.tos = bytes[p]!;
    else if (n >= 1 && type === l.TCLASS) r.tclass = bytes[p]!;
    else if (n >= 1 && type === l.SKV6ONLY) r.v6only = bytes[p] !== 0;
    else if (n >= 4 && type === l.MARK) r.mark = view.getUint32(p, LE);
    else if (n >= 4 && type === l.CLASS_ID) r.classId = view.getUint32(p, LE);
    else if (n >= 1 && type === l.PROTOCOL) r.protocol = bytes[p]!;
    else if (n >= 8 && type === l.CGROUP_ID) r.cgroupId = view.getBigUint64(p, LE);
    else if (n >= 2 && type === l.SOCKOPT) r.sockopt = bytes[p]! | (bytes[p + 1]! << 8);
    else if (n >= l.bbrSize && type === l.BBRINFO) {
      r.bbr = {
        bw: view.getUint32(p + l.bbrBwHi, LE) * 2 ** 32 + view.getUint32(p + l.bbrBwLo, LE),
        minRtt: view.getUint32(p + l.bbrMinRtt, LE),
        pacingGain: view.getUint32(p + l.bbrPacingGain, LE),
        cwndGain: view.getUint32(p + l.bbrCwndGain, LE),
      };
    }
    off += (len + 3) & ~3;
  }
  return r;
}

/** What inetFactsAt reads of a message: no strings, no objects but this one. */
export interface InetFacts {
  family: number;
  /** The interface the socket is bound to (SO_BINDTODEVICE's sk_bound_dev_if), 0 for none. */
  ifindex: number;
  /** Bit `type` set for each attribute type present (types 0..31). */
  attrs: number;
  /** INET_DIAG_CLASS_ID (the net_cls class id, else sk_priority); -1 where the record has none. */
  classId: number;
}

/** The family, bound interface and attribute types of the inet message at `at` (as inetRecordAt checks it). */
export function inetFactsAt(bytes: Uint8Array, at: number, view: DataView): InetFacts {
  const l = L!;
  if (!(at >= 0 && at + l.attrs <= bytes.length)) throw new RangeError('no sock_diag message at this offset');
  const end = at + view.getUint32(at, LE);
  if (end > bytes.length || end < at + l.attrs) throw new RangeError('no whole sock_diag message at this offset');
  let attrs = 0;
  let classId = -1;
  for (let off = at + l.attrs; off + l.rtaHeader <= end; ) {
    const len = view.getUint16(off, LE);
    const type = view.getUint16(off + 2, LE);
    if (len < l.rtaHeader || off + len > end) break;
    if (type < 32) attrs |= 1 << type;
    if (type === l.CLASS_ID && len >= l.rtaHeader + 4) classId = view.getUint32(off + l.rtaHeader, LE);
    off += (len + 3) & ~3;
  }
  return { family: bytes[at + l.family]!, ifindex: view.getUint32(at + l.ifindex, LE), attrs: attrs >>> 0, classId };
}

function skmem(view: DataView, p: number, n: number): InetSkmem {
  if (n >= 36 && L!.skmemVars >= 9) {
    const u = (i: number): number => view.getUint32(p + 4 * i, LE);
    return { rmemAlloc: u(0), rcvbuf: u(1), wmemAlloc: u(2), sndbuf: u(3), fwdAlloc: u(4), wmemQueued: u(5), optmem: u(6), backlog: u(7), drops: u(8) };
  }
  const o = {} as Record<string, number>;
  for (let i = 0; i < L!.skmemVars && i < SKMEM_NAMES.length && (i + 1) * 4 <= n; i++) o[SKMEM_NAMES[i]!] = view.getUint32(p + 4 * i, LE);
  return o as unknown as InetSkmem;
}

// A congestion-control name: the bytes up to the first NUL (the kernel's names are
// ASCII, at most 15 bytes), one code unit per byte.
function latin1(bytes: Uint8Array, p: number, n: number): string {
  let text = '';
  for (let e = p; e < p + n && bytes[e] !== 0; e++) text += String.fromCharCode(bytes[e]!);
  return text;
}
