// Another process's sockets read in batches: one native call (readDuplicates) duplicates
// a batch of its fds, reads every option of snapshot()'s table, both addresses, TCP_INFO,
// SO_PEERCRED and the queues of each into packed typed arrays, and closes each duplicate
// again; the JavaScript side then decodes one socket at a time into the same Snapshot
// snapshot() gives. One crossing per batch instead of several per socket, and no object
// per socket made before it is written out.
import { constants as osConstants, endianness } from 'node:os';
import { binding, type DuplicatesJob } from '../kernel/binding';
import { ifnameFromBytes } from '../kernel/codecs';
import { errnoCode } from '../kernel/errors';
import { exactText } from '../kernel/text';
import { decodeTcpInfo, type TcpInfo } from '../kernel/tcp-info';
import { decodeSnapshot, optionTable, type Answer, type Extras, type Snapshot } from './snapshot';
import type { InetRecord } from '../kernel/inet-diag';
import { DIAG_RECORD, type TableSocket } from './table-types';
import type { RecordFacts } from './tables';

/** What a socket's sock_diag row gives in place of its own reads: its addresses, and the options below from its record. */
export type Given = Pick<TableSocket, 'local' | 'remote'> & { type: string | null; state: string | null; readonly [DIAG_RECORD]?: InetRecord };

const C = binding.constants;
const L = binding.diagInetLayout;
const BITS = L?.sockoptBits;
const bit = (r: InetRecord, name: keyof NonNullable<typeof BITS>): number => ((r.sockopt ?? 0) >> BITS![name]) & 1;
// The options a TCP or UDP socket's sock_diag record holds as getsockopt answers them (the
// same kernel fields: sk_type, sk_state == LISTEN, sk_rcvbuf and
// sk_sndbuf, inet->tos, the inet flag bits, sk_family, sk_protocol; then, where the record
// has the attribute, the congestion control's name, sk_mark, the IPv6 traffic class and
// v6-only flag; sk_bound_dev_if 0, which SO_BINDTODEVICE answers with no name; and
// sk_priority 0 where the record's class id is 0).
// Group 0 holds for every row with a record; each other group only where its record
// has that attribute (has()): rows without it read the option as before.
type Value = (r: InetRecord, g: Given) => number | bigint | string;
interface FromRecord {
  group: number;
  value: Value;
}
const GROUPS: readonly ((f: RecordFacts) => boolean)[] = [
  () => true,
  (f) => has(f, L?.CONG),
  (f) => has(f, L?.MARK),
  (f) => f.ifindex === 0,
  (f) => has(f, L?.TCLASS),
  (f) => has(f, L?.SKV6ONLY),
  (f) => f.classId === 0,
];
const has = (f: RecordFacts, type: number | undefined): boolean => type !== undefined && type < 32 && (f.attrs & (1 << type)) !== 0;
const FROM_RECORD: Partial<Record<string, FromRecord>> = {
  SO_TYPE: { group: 0, value: (_r, g) => (g.type === 'stream' ? C.SOCK_STREAM! : C.SOCK_DGRAM!) },
  SO_ACCEPTCONN: { group: 0, value: (_r, g) => (g.state === 'LISTEN' ? 1 : 0) },
  SO_RCVBUF: { group: 0, value: (r) => r.skmem!.rcvbuf },
  SO_SNDBUF: { group: 0, value: (r) => r.skmem!.sndbuf },
  SO_DOMAIN: { group: 0, value: (r) => r.family },
  SO_PROTOCOL: { group: 0, value: (_r, g) => (g.type === 'stream' ? C.IPPROTO_TCP! : C.IPPROTO_UDP!) },
  IP_TOS: { group: 0, value: (r) => r.tos! },
  IP_RECVERR: { group: 0, value: (r) => bit(r, 'recverr') },
  IP_FREEBIND: { group: 0, value: (r) => bit(r, 'freebind') },
  IP_TRANSPARENT: { group: 0, value: (r) => bit(r, 'transparent') },
  IP_MULTICAST_LOOP: { group: 0, value: (r) => bit(r, 'mcLoop') },
  IP_BIND_ADDRESS_NO_PORT: { group: 0, value: (r) => bit(r, 'bindAddressNoPort') },
  TCP_CONGESTION: { group: 1, value: (r) => r.cong! },
  SO_MARK: { group: 2, value: (r) => r.mark! | 0 }, // the int getsockopt gives
  SO_BINDTODEVICE: { group: 3, value: () => '' },
  IPV6_TCLASS: { group: 4, value: (r) => r.tclass! },
  IPV6_V6ONLY: { group: 5, value: (r) => (r.v6only ? 1 : 0) },
  // INET_DIAG_CLASS_ID is the net_cls class id, or sk_priority where that is 0: 0 only when both are.
  SO_PRIORITY: { group: 6, value: () => 0 },
};

/** The given-group flags (duplicates.h) of a row whose table gives `facts`: 0 when it gives nothing. */
function givenFlags(facts: RecordFacts | undefined): number {
  if (facts === undefined) return 0;
  let groups = 0;
  for (let g = 0; g < GROUPS.length; g++) if (GROUPS[g]!(facts)) groups |= 1 << g;
  return (groups << 1) | ((facts.family & 0xff) << 8) | ((facts.protocol & 0xff) << 16) | (facts.byId ? layout!.rowAddresses : 0);
}

/**
 * One fd to read: the inode its table lists, whether to read its byte queues, and what its
 * sock_diag row says of its record (SocketTable.given()): then its addresses and the
 * options FROM_RECORD has for it are not read from the socket.
 */
export interface DuplicateRow {
  fd: number;
  inode: number;
  queues: boolean;
  given?: RecordFacts;
}

/** Sockets per native call: memory is a few kB per socket, so it stays small whatever the process holds. */
export const BATCH = 256;
/** Sockets in the first batch of a large process, read while its socket tables are dumped. */
export const FIRST_BATCH = 4 * BATCH;

const layout = binding.readDuplicatesLayout;
const SLOT_STRING = 3;
const SLOT_BYTES = 5;
const SLOT_OF: Partial<Record<string, number>> = { ifname: SLOT_BYTES };

// snapshot()'s specs, then the separate options that are plain bytes (interface names);
// SO_PEERCRED comes in the meta row.
const bytesSlots = optionTable.separate.filter((s) => SLOT_OF[s.kind] !== undefined);
const specs = Int32Array.from([...optionTable.specs, ...bytesSlots.flatMap((s) => [s.level, s.optname, SLOT_OF[s.kind]!])]);
const slots = specs.length / 3;
// [slot, group, value from the record] of each option a record may give.
const slotNames = [...optionTable.names, ...bytesSlots.map((s) => s.name)];
const givenSlots = slotNames.flatMap((name, i) => (FROM_RECORD[name] ? [[i, FROM_RECORD[name].group, FROM_RECORD[name].value] as const] : []));
if (layout) for (const [i, group] of givenSlots) specs[3 * i + 2]! |= 1 << (layout.givenShift + group);
// SO_COOKIE's slot: a row read with its record is checked by it (statErrno).
const COOKIE_SLOT = slotNames.indexOf('SO_COOKIE');
const ESTALE = osConstants.errno.ESTALE;
const LE = endianness() === 'LE';
// A slot's kind without its given groups.
const KIND_MASK = layout ? (1 << layout.givenShift) - 1 : -1;
// The row flags' given groups (duplicates.h: bits 1..7).
const groupsOf = (flags: number): number => (flags >> 1) & 0x7f;

// Each row's text cells (the rule of readDuplicatesLayout.cells), computed once.
const cellAt = new Int32Array(slots);
let stride = 0;
if (layout) {
  for (let i = 0; i < slots; i++) {
    cellAt[i] = stride;
    const kind = specs[3 * i + 2]! & KIND_MASK;
    if (kind === SLOT_STRING) stride += layout.cells.string;
    if (kind === SLOT_BYTES) stride += layout.cells.bytes;
  }
}
const LOCAL_CELL = stride;
const PEER_CELL = stride + (layout?.cells.address ?? 0);
const TCP_INFO_CELL = stride + 2 * (layout?.cells.address ?? 0);
stride = TCP_INFO_CELL + (layout?.cells.tcpInfo ?? 0);
const stringSlots = Array.from({ length: optionTable.slots }, (_, i) => i).filter((i) => (specs[3 * i + 2]! & KIND_MASK) === SLOT_STRING);

/**
 * Options a view never shows, left unread (no syscall, absent from the snapshot, not
 * listed as skipped): `always` on every socket, `onTcp` on TCP and MPTCP sockets only.
 * SOL_SOCKET options are read whatever these say: the ring reads them at no syscall's
 * cost, and every row needs some of them (SO_TYPE, SO_DOMAIN, SO_COOKIE).
 */
export interface Unread {
  readonly always: ReadonlySet<string>;
  readonly onTcp: ReadonlySet<string>;
}
const specsByUnread = new WeakMap<Unread, Int32Array>();
const SOL_SOCKET = C.SOL_SOCKET;
function specsFor(unread: Unread | undefined): Int32Array {
  if (unread === undefined || !layout?.omitted) return specs; // a native layer without it reads them all
  let s = specsByUnread.get(unread);
  if (s === undefined) {
    s = specs.slice();
    for (let i = 0; i < slots; i++) {
      if (s[3 * i] === SOL_SOCKET) continue;
      if (unread.always.has(slotNames[i]!)) s[3 * i + 2]! |= layout.omitted.always;
      else if (unread.onTcp.has(slotNames[i]!)) s[3 * i + 2]! |= layout.omitted.onTcp;
    }
    specsByUnread.set(unread, s);
  }
  return s;
}
const OMITTED = layout?.omitted.errno;

/**
 * Whether batches read their SOL_SOCKET options through io_uring where the kernel has it:
 * SOCKOPT_URING=0 turns that off (for systems that audit io_uring), with the same answers.
 */
const RING = process.env['SOCKOPT_URING'] !== '0';

/** Whether this platform can read another process's sockets in batches (Linux). */
export const canReadDuplicates = typeof binding.readDuplicates === 'function' && layout !== undefined;
/** Whether a batch can be read on a thread while JavaScript works on the one before (start/finish). */
export const canReadAhead = canReadDuplicates && typeof binding.readDuplicatesStart === 'function' && typeof binding.readDuplicatesFinish === 'function';

// The first TCP socket's snapshot, kept. V8 holds a map that objects reach by a property
// added after they were made (a snapshot's tcpInfo, its option objects' copies) only while
// some object has it, and a stream of rows lets each go at once: at the first full GC of a
// large process's read those maps went, and V8 threw away the optimized decodeSnapshot,
// snapshot() and reportFromSnapshot and compiled them again ("weak objects" in
// --trace-deopt; docs/inspect.md has the figures). One row held keeps them.
let tcpExemplar: Snapshot | undefined;

/** One batch's answers, row by row. */
export class DuplicateBatch {
  private readonly fds: Int32Array;
  private readonly inodes: Float64Array;
  private readonly flags: Int32Array;
  private readonly nums: Float64Array;
  private readonly errs: Int32Array;
  private readonly wide: BigUint64Array;
  private readonly wideWords: Int32Array; // `wide` as 32-bit words, copied without a bigint each
  private readonly meta: Int32Array;
  private readonly metaBytes: Buffer; // the same memory: the addresses' bytes (meta localId, peerId)
  private readonly text: Buffer;
  private size = 0;
  private job: DuplicatesJob | null = null;
  // The last finished job: the next start() takes over its row memory.
  private done: DuplicatesJob | null = null;
  private pending = 0;
  private readonly specs: Int32Array;

  /** `unread`: the options this batch's reader never looks at (Unread). */
  constructor(
    private readonly pidfd: number,
    capacity: number,
    private readonly threads: number,
    unread?: Unread,
  ) {
    this.specs = specsFor(unread);
    this.fds = new Int32Array(capacity);
    this.inodes = new Float64Array(capacity);
    this.flags = new Int32Array(capacity);
    this.nums = new Float64Array(capacity * slots);
    this.errs = new Int32Array(capacity * slots);
    this.wide = new BigUint64Array(capacity * slots);
    this.wideWords = new Int32Array(this.wide.buffer);
    this.meta = new Int32Array(capacity * layout!.meta.size);
    this.metaBytes = Buffer.from(this.meta.buffer, this.meta.byteOffset, this.meta.byteLength);
    this.text = Buffer.alloc(capacity * stride);
  }

  /** Reads these fds (each expected to hold its inode; `queues`: read the byte queues too). */
  read(rows: readonly DuplicateRow[]): void {
    const n = this.load(rows);
    binding.readDuplicates!(this.pidfd, this.fds.subarray(0, n), this.inodes.subarray(0, n), this.flags.subarray(0, n), this.specs, this.nums, this.errs, this.wide, this.meta, this.text, this.threads, RING);
    this.size = n;
  }

  /**
   * read() begun on a native thread: returns at once, and the rows are there after finish().
   * Meanwhile the batch has no rows to give; the thread owns copies of everything it uses.
   */
  start(rows: readonly DuplicateRow[]): void {
    if (this.job) throw new Error('a read is under way on this batch');
    const n = this.load(rows);
    try {
      this.job = binding.readDuplicatesStart!(this.pidfd, this.fds.subarray(0, n), this.inodes.subarray(0, n), this.flags.subarray(0, n), this.specs, this.threads, RING, this.done);
    } catch (err) {
      // Out of fds for the job's own copy of the pidfd: read here and now, as where no
      // thread can be had (each duplicate then meets the same limit, and says so row by row).
      const code = (err as { code?: string }).code;
      if (code !== 'EMFILE' && code !== 'ENFILE') throw err;
      this.read(rows);
      return;
    }
    this.done = null;
    this.pending = n;
  }

  /** Waits for the read start() began (if any) and takes its rows. */
  finish(): void {
    const job = this.job;
    if (!job) return;
    this.job = null;
    binding.readDuplicatesFinish!(job, this.nums, this.errs, this.wide, this.meta, this.text);
    this.done = job;
    this.size = this.pending;
  }

  private load(rows: readonly DuplicateRow[]): number {
    this.size = 0;
    for (let k = 0; k < rows.length; k++) {
      this.fds[k] = rows[k]!.fd;
      this.inodes[k] = rows[k]!.inode;
      this.flags[k] = (rows[k]!.queues ? 1 : 0) | givenFlags(rows[k]!.given);
    }
    return rows.length;
  }

  private at(k: number, field: keyof NonNullable<typeof layout>['meta']): number {
    if (k < 0 || k >= this.size) throw new RangeError(`row ${k} is not in this batch`);
    return k * layout!.meta.size + layout!.meta[field];
  }

  /** The errno pidfd_getfd failed with on row k (0: duplicated). */
  getfdErrno(k: number): number {
    return this.meta[this.at(k, 'getfd')]!;
  }

  /**
   * Why row k's duplicate is not the socket its fd table row names (0: it is): fstat's
   * errno, or ESTALE's when it holds another inode, or, for a row read with `given` (its
   * sock_diag row, whose record the native side was told of), another SO_COOKIE than
   * the record's. The native side checks by inode; a row with a record it leaves to
   * this cookie check, which costs it no syscall.
   */
  statErrno(k: number, given?: Given): number {
    const stat = this.meta[this.at(k, 'stat')]!;
    if (stat !== -1) return stat;
    const at = k * slots + COOKIE_SLOT;
    const record = given?.[DIAG_RECORD];
    return record !== undefined && COOKIE_SLOT >= 0 && this.errs[at] === 0 && this.wide[at] === record.cookie ? 0 : ESTALE;
  }

  /**
   * Writes row k's sock_diag id as its own reads gave it (both addresses and ports,
   * SO_COOKIE) with `ifindex` and `inode`, as an inet message of
   * `family` at `at` of `into` (diagInetLayout's offsets): what diagExact asks by. False
   * where the row has none to give (not duplicated, an address or the cookie unread, another family).
   */
  idMessage(k: number, family: number, ifindex: number, inode: number, into: Buffer, at: number): boolean {
    const m = this.meta;
    const local = this.at(k, 'local');
    const peer = this.at(k, 'peer');
    const cookie = k * slots + COOKIE_SLOT;
    if (m[this.at(k, 'getfd')] !== 0 || m[local] !== family || m[local + 2] !== 0 || m[peer] !== family || m[peer + 2] !== 0) return false;
    if (COOKIE_SLOT < 0 || this.errs[cookie] !== 0) return false;
    const D = L!;
    into.fill(0, at, at + D.attrs);
    into.writeUInt32LE(D.attrs, at); // nlmsg_len; never read but kept whole
    into[at + D.family] = family;
    into.writeUInt16BE(m[local + 1]!, at + D.sport);
    into.writeUInt16BE(m[peer + 1]!, at + D.dport);
    const src = 4 * this.at(k, 'localId');
    const dst = 4 * this.at(k, 'peerId');
    this.metaBytes.copy(into, at + D.src, src, src + 16);
    this.metaBytes.copy(into, at + D.dst, dst, dst + 16);
    const c = this.wide[cookie]!;
    if (LE) {
      into.writeUInt32LE(ifindex >>> 0, at + D.ifindex);
      into.writeUInt32LE(Number(c & 0xffffffffn), at + D.cookie);
      into.writeUInt32LE(Number(c >> 32n), at + D.cookie + 4);
      into.writeUInt32LE(inode >>> 0, at + D.inode);
    } else {
      into.writeUInt32BE(ifindex >>> 0, at + D.ifindex);
      into.writeUInt32BE(Number(c & 0xffffffffn), at + D.cookie);
      into.writeUInt32BE(Number(c >> 32n), at + D.cookie + 4);
      into.writeUInt32BE(inode >>> 0, at + D.inode);
    }
    return true;
  }

  /** Whether row k was read leaving options to its sock_diag record (its row given: its `given` facts). */
  gaveRecord(k: number): boolean {
    this.at(k, 'getfd');
    return groupsOf(this.flags[k]!) !== 0;
  }

  /** Row k's byte queues (null where not read or refused). */
  queues(k: number): { recv: number | null; send: number | null } {
    const q = this.at(k, 'queues');
    const m = this.meta;
    // A negative count is no count (an MPTCP listener's SIOCOUTQ gives -EINVAL as its value).
    return { recv: m[q + 1] === 0 && m[q]! >= 0 ? m[q]! : null, send: m[q + 3] === 0 && m[q + 2]! >= 0 ? m[q + 2]! : null };
  }

  private exact(k: number, cell: number, length: number): string {
    const start = k * stride + cell;
    return exactText(this.text.subarray(start, start + length)) as string; // or { hex }: see above
  }

  private utf8(k: number, cell: number, length: number): string {
    const start = k * stride + cell;
    return this.text.toString('utf8', start, start + length);
  }

  /**
   * Row k as snapshot() would have read it (`fd` the number to report); throws as snapshot() does.
   * `given`: the sock_diag row of a socket read with `given` set, whose addresses and
   * record (FROM_RECORD) it holds.
   */
  snapshot(k: number, fd: number, given?: Given): Snapshot {
    const base = k * slots;
    const m = this.meta;
    const local = this.at(k, 'local');
    const peer = this.at(k, 'peer');
    const record = given?.[DIAG_RECORD];
    const groups = record === undefined ? 0 : groupsOf(this.flags[k]!);
    const fromRow = (groups & 1) !== 0;
    if (fromRow) {
      for (const [i, group, value] of givenSlots) {
        if ((groups & (1 << group)) === 0 || this.errs[base + i] === OMITTED) continue;
        const v = value(record!, given!);
        if (typeof v === 'bigint') this.wide[base + i] = v;
        else if (typeof v === 'number') this.nums[base + i] = v;
        else this.nums[base + i] = this.text.write(v, k * stride + cellAt[i]!, 'latin1'); // a string or bytes slot's cell
        this.errs[base + i] = 0;
      }
    }
    optionTable.fill(this.nums, this.errs, this.wideWords, base, m, local, peer);
    // Pushed, not map()ped: pushing onto map's holey result deoptimized this function.
    const texts: string[] = [];
    for (let s = 0; s < stringSlots.length; s++) {
      const i = stringSlots[s]!;
      texts.push(this.errs[base + i] === 0 ? this.utf8(k, cellAt[i]!, this.nums[base + i]!) : '');
    }
    texts.push(this.utf8(k, LOCAL_CELL, m[local + 3]!), this.utf8(k, PEER_CELL, m[peer + 3]!));
    const snap = decodeSnapshot(fd, texts, this.extras(k));
    if (snap.tcpInfo !== undefined) tcpExemplar ??= snap;
    if (fromRow) {
      snap.local = given!.local as Snapshot['local'];
      snap.remote = given!.remote as Snapshot['remote'];
    } else {
      // A unix name is bytes: kept exact (ExactText, as the report's type has it), not
      // decoded with U+FFFD where they are not UTF-8.
      if (snap.local?.family === 'unix') snap.local.path = this.exact(k, LOCAL_CELL, m[local + 3]!);
      if (snap.remote?.family === 'unix') snap.remote.path = this.exact(k, PEER_CELL, m[peer + 3]!);
    }
    return snap;
  }

  private extras(k: number): Extras {
    const base = k * slots;
    const m = this.meta;
    return {
      separate: (i): Answer => {
        const spec = optionTable.separate[i]!;
        if (spec.kind === 'ucred') {
          const c = this.at(k, 'cred');
          if (m[c]! > 0) return { code: errnoCode(m[c]!) };
          return { value: m[c + 4] ? null : { pid: m[c + 1]!, uid: m[c + 2]! >>> 0, gid: m[c + 3]! >>> 0 } };
        }
        const slot = optionTable.slots + bytesSlots.indexOf(spec);
        const errno = this.errs[base + slot]!;
        if (errno !== 0) return { code: errnoCode(errno) };
        const start = k * stride + cellAt[slot]!;
        return { value: ifnameFromBytes(this.text.subarray(start, start + this.nums[base + slot]!)) };
      },
      tcpInfo: (): Answer<TcpInfo> => {
        const t = this.at(k, 'tcpInfo');
        // -1: the native side saw no TCP or MPTCP protocol, the same SO_PROTOCOL answer
        // that makes decodeSnapshot ask; it never asks then.
        if (m[t]! !== 0) return { code: errnoCode(m[t]! > 0 ? m[t]! : 22) };
        const start = k * stride + TCP_INFO_CELL;
        return { value: decodeTcpInfo(this.text.subarray(start, start + m[t + 1]!)) };
      },
    };
  }
}
