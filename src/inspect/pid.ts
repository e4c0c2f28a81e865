// Another process's sockets, for `sockopt inspect PID` and for other diagnostic
// tools: what /proc says about each (any user may have that much for their own
// processes), and — with ptrace-attach rights — every readable option and
// TCP_INFO, read through a duplicate of the fd (pidfd_getfd) in batches
// (pid-read.ts, duplicates.ts) and decoded as snapshot() decodes the library's own sockets. Each
// duplicate is closed as soon as it is read; the target process is neither stopped
// nor signalled, and its own fd table and sockets are left as they were (the
// duplicate shares the socket, so reading it is reading the target's socket, and
// closing it closes only the copy).
import { existsSync } from 'node:fs';
import { binding } from '../kernel/binding';
import { exitedError, featureUnsupported, invalidArgType, leaderGone, noSocketAt, outOfRange, processError, processExited, threadNotProcess, threadOptionsDenied } from '../kernel/errors';
import type { ExactText } from '../kernel/text';
import type { SocketReport } from './format-socket';
import { canReadDuplicates, type Unread } from './duplicates';
import { endEarly, readBatches, startEarly, type Early } from './pid-read';
import { commandOf, emptyBecause, exited, kindOfFd, liveThreadOf, socketFds, threadGroupOf, type FdList } from './pid-proc';
import { socketTables, type SocketTable, type TableSocket } from './tables';
import { DIAG_RECORD, type SocketKind } from './table-types';

/** What snapshotPid() returns, and `sockopt inspect PID --json` prints. */
export interface PidReport {
  /** The process id asked for. */
  pid: number;
  /** Its command name (/proc/PID/comm) as its exact bytes (a string, or { hex } when not UTF-8), or null if unreadable. */
  command: ExactText | null;
  /** Where the socket tables came from: 'sock_diag' (netlink), or 'proc' (the /proc/PID/net text, where netlink is unavailable). */
  tables: 'sock_diag' | 'proc';
  /** True when the options and TCP_INFO of its sockets were read (pidfd_getfd was allowed). */
  optionsRead: boolean;
  /** Why they were not (`code` 'EPERM' without ptrace-attach rights, 'ENOSYS' before Linux 5.6, …). */
  denied?: { code: string; message: string };
  /** Its sockets in fd order (one fd when `fd` was given). */
  sockets: SocketReport[];
}

/** Options of snapshotPid(). */
export interface SnapshotPidOptions {
  /** Only this fd of the process. */
  fd?: number;
  /** Read options and TCP_INFO through pidfd_getfd (default true); false gives listSockets()'s answer. */
  options?: boolean;
  /** Where the socket tables come from: 'auto' (default: sock_diag netlink, /proc text where that is unavailable) or 'proc' (the fallback, forced). */
  tables?: 'auto' | 'proc';
}

// Linux's /proc; without it there is no fd table to read (macOS, the BSDs, Windows).
const hasProc = process.platform === 'linux' && existsSync('/proc/self/fd');

function checkPid(pid: unknown): number {
  if (typeof pid !== 'number') throw invalidArgType('pid', 'of type number', pid);
  if (!Number.isInteger(pid) || pid <= 0 || pid >= 2 ** 22) {
    throw outOfRange('pid', 'an integer > 0 and < 4194304 (pid_max is at most 2^22)', pid);
  }
  return pid;
}

// The options, each property read once into a plain object: a getter or a Proxy cannot
// give the check one value and the read another.
function pidOptions(given: unknown): SnapshotPidOptions {
  if (given === null || typeof given !== 'object') throw invalidArgType('options', 'an object', given);
  const { fd, options, tables } = given as SnapshotPidOptions;
  if (fd !== undefined && (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > 2 ** 31 - 1)) {
    throw outOfRange('options.fd', 'an integer >= 0 and < 2^31', fd);
  }
  if (options !== undefined && typeof options !== 'boolean') throw invalidArgType('options.options', 'of type boolean', options);
  return { fd, options, tables };
}

function fromTable(pid: number, fd: number, inode: number, table: SocketTable): SocketReport {
  // The /proc fallback's rows need the kernel's own name for the fd's protocol: a row
  // that claims another kind (a forged one) is not believed. sock_diag's are binary records.
  const named = table.source === 'proc' ? kindOfFd(pid, fd, inode) : null;
  let row: TableSocket | undefined = table.source === 'proc' ? (named ? table.get(inode, named.kind) : undefined) : table.get(inode);
  if (!row && table.source !== 'proc') {
    // A connected TCP socket whose record was to come by the id its read gives, and did not
    // (closed or reset meanwhile): what the dump said of it.
    const held = table.heldById(inode);
    if (held) return { fd, inode, kind: 'tcp', family: held.family, type: 'stream', state: held.state, local: null, remote: null, recvQueue: null, sendQueue: null };
    // Not in sock_diag's answer: a kind whose diag module this kernel lacks (raw_diag; ping
    // sockets have none), or a family with no table at all. Named by the kernel, and for
    // raw and ping sockets completed from the /proc fallback when the name confirms the row.
    const again = kindOfFd(pid, fd, inode);
    if (!again) return unlisted(fd, inode, null);
    row = again.kind === 'raw' || again.kind === 'icmp' ? table.fallback?.(inode, again.kind) : undefined;
    if (!row) return unlisted(fd, inode, again);
  }
  if (!row) return unlisted(fd, inode, named);
  const { inode: _i, ...rest } = row;
  const report: SocketReport = { fd, inode, ...rest };
  const record = row[DIAG_RECORD];
  if (record) Object.defineProperty(report, DIAG_RECORD, { value: record }); // not enumerable: not copied by the spread
  return report;
}

// A few sockets: their kernel protocol names say which tables to ask (an inode may be in
// two; a dump walks the whole namespace). undefined: ask every table (many sockets, or a
// name unread).
const FEW = 64;
function kindsOf(pid: number, list: FdList): ReadonlySet<SocketKind> | undefined {
  if (list.fds.length > FEW) return undefined;
  const kinds = new Set<SocketKind>();
  for (let i = 0; i < list.fds.length; i++) {
    const named = kindOfFd(pid, list.fds[i]!, list.inodes[i]!);
    if (!named) return undefined;
    kinds.add(named.kind);
  }
  return kinds;
}

// The kernel's protocol names carry the IP version ('UDPv6', 'RAWv6', 'PINGv6').
const INET_KINDS: Record<string, string> = { tcp: 'stream', mptcp: 'stream', udp: 'dgram', icmp: 'dgram', raw: 'raw' };

// A socket no table lists (an unbound UDP socket is in none): what its protocol name says.
function unlisted(fd: number, inode: number, named: { kind: SocketReport['kind']; protocolName: string } | null): SocketReport {
  const inet = named ? INET_KINDS[named.kind] : undefined;
  return {
    fd, inode, kind: named?.kind ?? 'unknown',
    family: inet ? (named!.protocolName.endsWith('v6') ? 'IPv6' : 'IPv4') : null,
    type: inet ?? null,
    state: null, local: null, remote: null, recvQueue: null, sendQueue: null,
    ...(named ? { protocolName: named.protocolName } : {}),
  };
}

// The fd table and the socket tables, for listSockets and snapshotPid; `row(i)` builds fd
// i's report when asked (20k of them built at once, each with its TCP_INFO, would hold
// hundreds of MB).
function listWithTables(pid: number, fd: number | undefined, source: 'auto' | 'proc' = 'auto', lean: (fds: FdList) => boolean = () => false, byId = false): { count: number; fds: FdList; row(i: number): SocketReport; table: SocketTable; tgid: number | null } {
  if (source !== 'auto' && source !== 'proc') throw invalidArgType('options.tables', "'auto' or 'proc'", source);
  // A thread's id is refused, but where its process's main thread has exited: Linux then
  // shows the fd table at /proc/TID/fd only.
  const tgid = threadGroupOf(pid);
  if (tgid !== null && emptyBecause(tgid) !== 'leader') throw threadNotProcess(pid, tgid);
  let fds: FdList;
  try {
    fds = socketFds(pid, fd);
  } catch (err) {
    throw processError(err, pid, `the fd table (/proc/${pid}/fd)`);
  }
  if (fds.fds.length === 0) {
    const why = emptyBecause(pid);
    if (why === 'leader') throw leaderGone(pid, liveThreadOf(pid));
    if (why === 'exited') throw processExited(pid);
  }
  const reading = lean(fds);
  // byId: the table holds a connected TCP socket's index entry only and asks for its
  // record by the id its read gives (fetch): streamed, nothing more of it held meanwhile.
  const table = socketTables(pid, fds.inodes, source === 'proc', reading, kindsOf(pid, fds), reading && byId);
  return { count: fds.fds.length, fds, row: (i) => fromTable(pid, fds.fds[i]!, fds.inodes[i]!, table), table, tgid };
}

/**
 * Every socket of process `pid` as /proc describes it: fd, inode, kind, family, type,
 * state, addresses, queues. Works for any process whose /proc/PID/fd you may read
 * (your own user's, or any as root); never touches the sockets themselves.
 * @throws ESRCH when there is no such process (or it has exited: a zombie); EACCES without
 *   ptrace-read rights; ERR_INVALID_ARG_VALUE for a thread's id (the message names its process).
 */
export function listSockets(pid: number, options: { fd?: number; tables?: 'auto' | 'proc' } = {}): SocketReport[] {
  checkPid(pid);
  const { fd, tables } = pidOptions(options);
  if (!hasProc) throw featureUnsupported("Reading another process's sockets (/proc/PID/fd)", ['linux']);
  const { count, row } = listWithTables(pid, fd, tables);
  const rows = Array.from({ length: count }, (_, i) => row(i));
  // Gone meanwhile: its fds and table rows vanish as it exits, so what was read may be partial.
  if (exited(pid)) throw exitedError(pid);
  return rows;
}

/**
 * Every socket of process `pid` with, where allowed, every readable option and
 * TCP_INFO (Linux ≥ 5.6, ptrace-attach rights: root or CAP_SYS_PTRACE). Without
 * those rights the answer still lists what /proc gives, with `optionsRead: false`
 * and `denied` saying why.
 * @throws ESRCH when there is no such process (or it has exited: a zombie); EACCES when even
 *   /proc/PID/fd is closed to you; ENOENT (code) when `fd` is given and is not a socket of
 *   the process; ERR_INVALID_ARG_VALUE for a thread's id (the message names its process).
 */
export function snapshotPid(pid: number, options: SnapshotPidOptions = {}): PidReport {
  return readPid(pid, options);
}

/** What streamPid() hands over as it goes. */
export interface PidSink {
  /** Once, before the first socket: the report so far (`sockets` holds the count only as `total`). */
  head(report: Omit<PidReport, 'sockets'>, total: number): void;
  /** Each socket in fd order, as soon as it is read; nothing of it is kept afterwards. */
  socket(report: SocketReport): void;
  /** Options this sink never looks at: not read, so absent from each report (and from its `skipped`). */
  unread?: Unread;
  /**
   * Hold each connected TCP socket's whole sock_diag record from the start (as snapshotPid
   * does) instead of its 12-byte index entry, its record asked for by the id its read gives:
   * two address reads and one exact request a socket fewer, ~200 bytes more held a socket.
   */
  holdRecords?: boolean;
}

/**
 * snapshotPid() one socket at a time, for large processes: memory stays flat whatever
 * the number of sockets. Returns the report without its sockets (`optionsRead` and
 * `denied` final).
 */
export function streamPid(pid: number, options: SnapshotPidOptions, sink: PidSink): Omit<PidReport, 'sockets'> {
  const { sockets: _s, ...rest } = readPid(pid, options, sink);
  return rest;
}

function readPid(pid: number, given: SnapshotPidOptions, sink?: PidSink): PidReport {
  checkPid(pid);
  const options = pidOptions(given);
  if (!hasProc) throw featureUnsupported("Reading another process's sockets (/proc/PID/fd)", ['linux']);
  const reading = options.options !== false;
  // With many sockets the first reads start before the socket tables are dumped.
  let early: Early | null = null;
  let listed: ReturnType<typeof listWithTables>;
  try {
    listed = listWithTables(pid, options.fd, options.tables, (list) => {
      if (!reading || !mayDuplicate(pid, list.fds[0])) return false;
      early = startEarly(pid, list, sink?.unread);
      return true;
    }, sink !== undefined && sink.holdRecords !== true);
  } catch (err) {
    endEarly(early);
    throw err;
  }
  try {
    return readListed(pid, options, sink, listed, early, reading);
  } finally {
    listed.table.close();
  }
}

// readPid once the fd table and the socket tables are made.
function readListed(pid: number, options: SnapshotPidOptions, sink: PidSink | undefined, listed: ReturnType<typeof listWithTables>, early: Early | null, reading: boolean): PidReport {
  const { count, fds, row, table } = listed;
  if (options.fd !== undefined && count === 0) {
    throw noSocketAt(pid, options.fd);
  }
  const sockets: SocketReport[] = [];
  const report: PidReport = { pid, command: commandOf(pid), tables: table.source, optionsRead: false, sockets };
  let started = false;
  // Hands a socket to the sink (the first time: the head too) and keeps nothing of it;
  // without a sink, collects it.
  const emit = (s: SocketReport | null) => {
    if (!sink) {
      if (s) sockets.push(s);
      return;
    }
    if (!started) {
      started = true;
      const { sockets: _s, ...head } = report;
      sink.head(head, count);
    }
    if (s) sink.socket(s);
  };
  // The rows from the tables alone; a process gone meanwhile (its fds and rows vanish as it
  // exits) ends them with ESRCH, as a read of its sockets does.
  const emitFrom = (start: number) => {
    emit(null);
    for (let i = start; i < count; i++) {
      emit(row(i));
    }
    if (exited(pid)) throw exitedError(pid);
  };
  if (!reading) {
    emitFrom(0);
    return report;
  }
  if (listed.tgid !== null) {
    report.denied = threadOptionsDenied(pid, listed.tgid);
    table.readsEnded();
    emitFrom(0);
    return report;
  }
  if (!binding.pidfdOpen || !binding.pidfdGetfd || !binding.close || !canReadDuplicates) {
    report.denied = { code: 'ERR_SOCKOPT_UNSUPPORTED', message: `reading another process's sockets needs pidfd_getfd (Linux >= 5.6); this is ${process.platform}` };
    table.readsEnded();
    emitFrom(0);
    return report;
  }
  let pidfd: number;
  try {
    pidfd = early ? (early as Early).pidfd : binding.pidfdOpen(pid);
  } catch (err) {
    const coded = processError(err, pid, 'the options and TCP_INFO') as { code?: string; message: string };
    if (coded.code === 'ESRCH') throw coded; // it exited: nothing is left to list either
    report.denied = { code: coded.code ?? 'ERR', message: coded.message }; // ENOSYS before Linux 5.3, …
    table.readsEnded();
    emitFrom(0);
    return report;
  }
  report.optionsRead = true;
  const refused = readBatches(pid, pidfd, early, fds, table, row, emit, sink?.unread);
  if (refused) {
    report.optionsRead = false;
    report.denied = refused.denied;
    emit(null);
    emit(refused.report);
    emitFrom(refused.at + 1);
  } else emit(null);
  return report;
}

// Whether this process may duplicate the target's fds (one try on its first socket): the
// tables then leave out what each socket's own read will give.
function mayDuplicate(pid: number, fd: number | undefined): boolean {
  if (fd === undefined || !binding.pidfdOpen || !binding.pidfdGetfd || !binding.close) return false;
  let pidfd = -1;
  try {
    pidfd = binding.pidfdOpen(pid);
    binding.close(binding.pidfdGetfd(pidfd, fd));
    return true;
  } catch {
    return false;
  } finally {
    if (pidfd >= 0) binding.close(pidfd);
  }
}

