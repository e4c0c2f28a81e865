// Another process's sockets, for `sockopt inspect PID` and for other diagnostic
// tools: what /proc says about each (any user may have that much for their own
// processes), and — with ptrace-attach rights — every readable option and
// TCP_INFO, read through a duplicate of the fd (pidfd_getfd) in batches
// (duplicates.ts) and decoded as snapshot() decodes the library's own sockets. Each
// duplicate is closed as soon as it is read; the target process is neither stopped
// nor signalled, and its own fd table and sockets are left as they were (the
// duplicate shares the socket, so reading it is reading the target's socket, and
// closing it closes only the copy).
import { availableParallelism, constants as os } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { binding } from '../kernel/binding';
import { featureUnsupported, invalidArgType, noSocketAt, outOfRange, processError, systemError } from '../kernel/errors';
import type { ExactText } from '../kernel/text';
import { reportFromSnapshot, type SocketReport } from './format-socket';
import { BATCH, canReadAhead, canReadDuplicates, DuplicateBatch, FIRST_BATCH } from './duplicates';
import { commandOf, kindOfFd, socketFds } from './pid-proc';
import { sendRate, socketTables, type SocketTable, type TableSocket } from './tables';

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
const { EBADF, ESRCH, ESTALE } = os.errno;
// Threads reading a batch, beside the main thread formatting the batch before: two where
// there are two cores (faster on a quiet 2-core machine; more not measured, docs/inspect.md).
const THREADS = Math.min(2, Math.max(1, availableParallelism()));

function checkPid(pid: unknown): number {
  if (typeof pid !== 'number') throw invalidArgType('pid', 'of type number', pid);
  if (!Number.isInteger(pid) || pid <= 0 || pid >= 2 ** 22) {
    throw outOfRange('pid', 'an integer > 0 and < 4194304 (pid_max is at most 2^22)', pid);
  }
  return pid;
}

function fromTable(pid: number, fd: number, inode: number, table: SocketTable): SocketReport {
  // The /proc fallback's rows need the kernel's own name for the fd's protocol: a row
  // that claims another kind (a forged one) is not believed. sock_diag's are binary records.
  const named = table.source === 'proc' ? kindOfFd(pid, fd) : null;
  let row: TableSocket | undefined = table.source === 'proc' ? (named ? table.get(inode, named.kind) : undefined) : table.get(inode);
  if (!row && table.source !== 'proc') {
    // Not in sock_diag's answer: a kind whose diag module this kernel lacks (raw_diag; ping
    // sockets have none), or a family with no table at all. Named by the kernel, and for
    // raw and ping sockets completed from the /proc fallback when the name confirms the row.
    const again = kindOfFd(pid, fd);
    if (!again) return unlisted(fd, inode, null);
    row = again.kind === 'raw' || again.kind === 'icmp' ? table.fallback?.(inode, again.kind) : undefined;
    if (!row) return unlisted(fd, inode, again);
  }
  if (!row) return unlisted(fd, inode, named);
  const { inode: _i, ...rest } = row;
  return { fd, inode, ...rest };
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

// The fd table and the socket tables, for listSockets and snapshotPid.
// The fd table and the socket tables; `row(i)` builds fd i's report when asked (20k of
// them built at once, each with its TCP_INFO, would hold hundreds of MB).
function listWithTables(pid: number, fd: number | undefined, source: 'auto' | 'proc' = 'auto', lean: (fds: readonly { fd: number; inode: number }[]) => boolean = () => false): { count: number; fds: readonly { fd: number; inode: number }[]; row(i: number): SocketReport; table: SocketTable } {
  if (source !== 'auto' && source !== 'proc') throw invalidArgType('options.tables', "'auto' or 'proc'", source);
  let fds: { fd: number; inode: number }[];
  try {
    fds = socketFds(pid, fd);
  } catch (err) {
    throw processError(err, pid, `the fd table (/proc/${pid}/fd)`);
  }
  const table = socketTables(pid, fds.map((f) => f.inode), source === 'proc', lean(fds));
  return { count: fds.length, fds, row: (i) => fromTable(pid, fds[i]!.fd, fds[i]!.inode, table), table };
}

/**
 * Every socket of process `pid` as /proc describes it: fd, inode, kind, family, type,
 * state, addresses, queues. Works for any process whose /proc/PID/fd you may read
 * (your own user's, or any as root); never touches the sockets themselves.
 * @throws ESRCH when there is no such process; EACCES without ptrace-read rights.
 */
export function listSockets(pid: number, options: { fd?: number; tables?: 'auto' | 'proc' } = {}): SocketReport[] {
  checkPid(pid);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  if (!hasProc) throw featureUnsupported("Reading another process's sockets (/proc/PID/fd)", ['linux']);
  if (options.fd !== undefined && (typeof options.fd !== 'number' || !Number.isInteger(options.fd) || options.fd < 0 || options.fd > 2 ** 31 - 1)) {
    throw outOfRange('options.fd', 'an integer >= 0 and < 2^31', options.fd);
  }
  const { count, row } = listWithTables(pid, options.fd, options.tables);
  return Array.from({ length: count }, (_, i) => row(i));
}

/**
 * Every socket of process `pid` with, where allowed, every readable option and
 * TCP_INFO (Linux ≥ 5.6, ptrace-attach rights: root or CAP_SYS_PTRACE). Without
 * those rights the answer still lists what /proc gives, with `optionsRead: false`
 * and `denied` saying why.
 * @throws ESRCH when there is no such process; EACCES when even /proc/PID/fd is closed to you;
 *   ENOENT (code) when `fd` is given and is not a socket of the process.
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

function readPid(pid: number, options: SnapshotPidOptions, sink?: PidSink): PidReport {
  checkPid(pid);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  if (options.fd !== undefined && (typeof options.fd !== 'number' || !Number.isInteger(options.fd) || options.fd < 0 || options.fd > 2 ** 31 - 1)) {
    throw outOfRange('options.fd', 'an integer >= 0 and < 2^31', options.fd);
  }
  if (!hasProc) throw featureUnsupported("Reading another process's sockets (/proc/PID/fd)", ['linux']);
  const reading = options.options !== false;
  // With many sockets the first reads start before the socket tables are dumped.
  let early: Early | null = null;
  let listed: ReturnType<typeof listWithTables>;
  try {
    listed = listWithTables(pid, options.fd, options.tables, (list) => {
      if (!reading || !mayDuplicate(pid, list[0]?.fd)) return false;
      early = startEarly(pid, list);
      return true;
    });
  } catch (err) {
    endEarly(early);
    throw err;
  }
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
  const emitFrom = (start: number) => {
    emit(null);
    for (let i = start; i < count; i++) emit(row(i));
  };
  if (!reading) {
    emitFrom(0);
    return report;
  }
  if (!binding.pidfdOpen || !binding.pidfdGetfd || !binding.close || !canReadDuplicates) {
    report.denied = { code: 'ERR_SOCKOPT_UNSUPPORTED', message: `reading another process's sockets needs pidfd_getfd (Linux >= 5.6); this is ${process.platform}` };
    table.lean = false;
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
    table.lean = false;
    emitFrom(0);
    return report;
  }
  let next = 0;
  let pending: SocketReport | null = null; // refused: listed from the tables after the loop
  const batches: DuplicateBatch[] = [];
  try {
    report.optionsRead = true;
    // TCP's queues are in the sock_diag row already (the same numbers SIOCINQ/SIOCOUTQ give).
    const rowsFrom = (from: number, to: number) => fds.slice(from, to).map((f) => ({ fd: f.fd, inode: f.inode, queues: !table.hasQueues(f.inode) }));
    // Two batches when there are more: a thread reads the next while this one is written.
    const first = early as Early | null;
    batches.push(first ? first.batch : new DuplicateBatch(pidfd, Math.min(count, BATCH), THREADS));
    const ahead = canReadAhead && count > BATCH;
    let end = first ? first.end : Math.min(count, BATCH);
    if (ahead) {
      batches.push(new DuplicateBatch(pidfd, BATCH, THREADS));
      if (!first) batches[0]!.start(rowsFrom(0, end));
    }
    reading: for (let start = 0, b = 0; start < count; start = end, end = Math.min(count, end + BATCH), b = ahead ? 1 - b : 0) {
      const batch = batches[b]!;
      if (ahead) {
        batch.finish();
        if (end < count) batches[1 - b]!.start(rowsFrom(end, Math.min(count, end + BATCH)));
      } else batch.read(rowsFrom(start, end));
      // The rows themselves are built one at a time below: a batch of them alive at once
      // would outlive the young generation and pile up in the old one.
      for (let k = 0; k < end - start; k++) {
        const read = readRow(batch, k, pid, row(start + k));
        if ('denied' in read) {
          // Every fd would be refused for the same reason: stop asking.
          next = start + k;
          report.optionsRead = false;
          report.denied = read.denied;
          table.lean = false; // the rows are all there is: with their TCP_INFO
          pending = row(next);
          break reading;
        }
        emit(read.report);
      }
    }
  } finally {
    for (const b of batches) b.finish(); // a read under way ends before the pidfd closes
    binding.close(pidfd);
  }
  if (pending) {
    emit(null);
    emit(pending);
    emitFrom(next + 1);
  } else emitFrom(count);
  return report;
}

// The first batch of a large process, read while its socket tables are dumped: larger
// than the others (the dumps take about as long as reading it), each row's byte queues
// read too (the tables that would say which need no queues are not there yet).
interface Early {
  pidfd: number;
  batch: DuplicateBatch;
  end: number;
}
function startEarly(pid: number, fds: readonly { fd: number; inode: number }[]): Early | null {
  if (!canReadAhead || fds.length <= BATCH) return null;
  let pidfd: number;
  try {
    pidfd = binding.pidfdOpen!(pid);
  } catch {
    return null; // asked again, and answered as before, once the tables are read
  }
  const end = Math.min(fds.length, FIRST_BATCH);
  const batch = new DuplicateBatch(pidfd, end, THREADS);
  try {
    batch.start(fds.slice(0, end).map((f) => ({ fd: f.fd, inode: f.inode, queues: true })));
  } catch (err) {
    binding.close!(pidfd);
    throw err;
  }
  return { pidfd, batch, end };
}

// An early read whose results will not be used: waited for, its pidfd closed.
function endEarly(early: Early | null): void {
  if (!early) return;
  early.batch.finish();
  binding.close!(early.pidfd);
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

// Whether the process has exited (or is a zombie whose files are gone).
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

function exitedError(pid: number): Error {
  return Object.assign(new Error(`pid ${pid} exited while its sockets were being read`), { code: 'ESRCH', errno: -3 });
}

// TCP sockets other than listeners: sock_diag gave their queues.
function tcpRow(s: SocketReport): boolean {
  return s.kind === 'tcp' && s.kernel?.source === 'sock_diag' && s.state !== 'LISTEN';
}

// One socket of a batch read through a duplicate of its fd; returns why not when the
// kernel refuses duplicates altogether. A socket closed (or replaced) since /proc was read
// is left with its /proc data and an `error`.
function readRow(batch: DuplicateBatch, k: number, pid: number, s: SocketReport): { report: SocketReport } | { denied: NonNullable<PidReport['denied']> } {
  const getfd = batch.getfdErrno(k);
  if (getfd !== 0) {
    if (getfd === EBADF) {
      if (exited(pid)) throw exitedError(pid);
      s.error = { code: 'EBADF', message: `fd ${s.fd} was closed while being read` };
      return { report: s };
    }
    if (getfd === ESRCH) throw exitedError(pid);
    const coded = processError(systemError(-getfd, 'pidfd_getfd'), pid, 'the options and TCP_INFO') as { code?: string; message: string };
    return { denied: { code: coded.code ?? 'ERR', message: coded.message } };
  }
  try {
    const stat = batch.statErrno(k);
    if (stat === ESTALE) {
      s.error = { code: 'ESTALE', message: `fd ${s.fd} now holds another file than the socket the fd table listed` };
      return { report: s };
    }
    if (stat !== 0) throw systemError(-stat, 'fstat');
    const merged = reportFromSnapshot(batch.snapshot(k, s.fd), tcpRow(s) ? { recv: s.recvQueue, send: s.sendQueue } : batch.queues(k), s.inode);
    if (s.kernel) {
      // The table knows more than the socket tells about itself: unix states (CONNECTING…),
      // the exact bytes of unix names and the unix peer's name, netlink and packet addresses.
      if (merged.kind === 'unix' || merged.kind === 'netlink' || merged.kind === 'packet') {
        merged.state = s.state;
        merged.local = s.local;
        merged.remote = s.remote;
      }
      if (s.protocol !== undefined) merged.protocol = s.protocol;
      merged.kernel = s.kernel;
      const rate = merged.tcpInfo ? sendRate(merged.tcpInfo) : undefined;
      if (rate !== undefined) merged.kernel.sendRate = rate; // from the TCP_INFO shown beside it
    }
    if (merged.kind === 'unknown' && s.protocolName) merged.protocolName = s.protocolName;
    return { report: merged };
  } catch (err) {
    const e = err as { code?: string; message: string };
    s.error = { code: e.code ?? 'ERR', message: e.message };
    return { report: s };
  }
}
