// The options and TCP_INFO of another process's sockets, read through duplicates of its
// fds in batches (duplicates.ts) for snapshotPid() and streamPid() (pid.ts). With more
// than one batch, a native thread reads the next batch while this one is decoded and
// written, and the first, larger batch is read while the socket tables are dumped.
import { availableParallelism, constants as os } from 'node:os';
import { binding } from '../kernel/binding';
import { exitedError, processError, systemError } from '../kernel/errors';
import { reportFromSnapshot, type Queues, type SocketReport } from './format-socket';
import { BATCH, canReadAhead, DuplicateBatch, FIRST_BATCH, type Unread } from './duplicates';
import { exited, type FdList } from './pid-proc';
import { sendRate, type SocketTable } from './tables';

const { EBADF, ESRCH, ESTALE } = os.errno;
// Batches read at once, one native thread each, while the main thread writes the batch
// before them. Their threads run below the main thread's priority (the native job lowers
// them), so with more threads than cores the writer keeps its core and the readers take
// what is left; four keep them from running dry while it writes (docs/inspect.md has the
// figures). A batch read with no other beside it (the first, larger one, read while the
// socket tables are dumped; the only one of a small process) has a thread per core, up to two.
const IN_FLIGHT = 4;
const THREADS = 1;
const SOLO_THREADS = Math.min(2, Math.max(1, availableParallelism()));

/** Why the kernel refused every duplicate (EPERM without ptrace-attach rights, …). */
export type Denied = { code: string; message: string };

// The first batch of a large process, read while its socket tables are dumped: larger
// than the others (the dumps take about as long as reading it), each row's byte queues
// read too (the tables that would say which need no queues are not there yet).
export interface Early {
  pidfd: number;
  batch: DuplicateBatch;
  end: number;
}
export function startEarly(pid: number, list: FdList, unread?: Unread): Early | null {
  if (!canReadAhead || list.fds.length <= BATCH) return null;
  let pidfd: number;
  try {
    pidfd = binding.pidfdOpen!(pid);
  } catch {
    return null; // asked again, and answered as before, once the tables are read
  }
  const end = Math.min(list.fds.length, FIRST_BATCH);
  const batch = new DuplicateBatch(pidfd, end, SOLO_THREADS, unread);
  try {
    const rows = [];
    for (let i = 0; i < end; i++) rows.push({ fd: list.fds[i]!, inode: list.inodes[i]!, queues: true });
    batch.start(rows);
  } catch (err) {
    binding.close!(pidfd);
    throw err;
  }
  return { pidfd, batch, end };
}

// An early read whose results will not be used: waited for, its pidfd closed.
export function endEarly(early: Early | null): void {
  if (!early) return;
  early.batch.finish();
  binding.close!(early.pidfd);
}

/**
 * Reads the fds of `list` through `pidfd` (which it closes) and hands each socket's report to `emit`,
 * in fd order. Returns null when all were read, or where the kernel started refusing
 * duplicates altogether: why, that fd's index and its report from the tables, the rest
 * left to the caller.
 */
export function readBatches(
  pid: number,
  pidfd: number,
  early: Early | null,
  list: FdList,
  table: SocketTable,
  row: (i: number) => SocketReport,
  emit: (s: SocketReport) => void,
  unread?: Unread,
): { denied: Denied; at: number; report: SocketReport } | null {
  const count = list.fds.length;
  // TCP's queues are in the sock_diag row already (the same numbers SIOCINQ/SIOCOUTQ give),
  // and TCP's and UDP's addresses.
  const rowsFrom = (from: number, to: number) => {
    const rows = [];
    for (let i = from; i < to; i++) {
      const inode = list.inodes[i]!;
      rows.push({ fd: list.fds[i]!, inode, queues: !table.hasQueues(inode), given: table.given(inode) });
    }
    return rows;
  };
  // Batches being read (oldest first) while the one before them is written.
  const reading: { batch: DuplicateBatch; from: number; to: number }[] = [];
  const spare: DuplicateBatch[] = [];
  let next = 0; // the first row no batch has been given yet
  const readNext = (): void => {
    const to = Math.min(count, next + BATCH);
    const batch = spare.pop() ?? new DuplicateBatch(pidfd, BATCH, THREADS, unread);
    reading.push({ batch, from: next, to });
    batch.start(rowsFrom(next, to));
    next = to;
  };
  try {
    if (early) {
      reading.push({ batch: early.batch, from: 0, to: early.end });
      next = early.end;
    }
    const ahead = canReadAhead && count > BATCH; // (an early batch is only made then)
    while (next < count || reading.length > 0) {
      let batch: DuplicateBatch, from: number, to: number;
      if (ahead) {
        if (reading.length === 0) readNext();
        ({ batch, from, to } = reading.shift()!);
        batch.finish();
        fetch(batch, from, to, list, table); // first: the next batches' rows are given by what it learns
        // IN_FLIGHT batches on their threads while this one is written.
        while (reading.length < IN_FLIGHT && next < count) readNext();
      } else {
        from = next;
        to = Math.min(count, next + BATCH);
        batch = new DuplicateBatch(pidfd, to - from, SOLO_THREADS, unread);
        batch.read(rowsFrom(from, to));
        next = to;
        fetch(batch, from, to, list, table);
      }
      // Rows whose records were to come by id, whose ids found none (the socket closed or
      // reset since the dump): read again whole, with nothing given.
      const again = readAgain(pidfd, from, to, list, table, unread);
      // The rows themselves are built one at a time below: a batch of them alive at once
      // would outlive the young generation and pile up in the old one.
      for (let k = 0; k < to - from; k++) {
        // Built once: a lean table lets a row go once it is asked for (tables.ts), and
        // readRow leaves it as it was when the kernel refuses the duplicate.
        const s = row(from + k);
        let redo = again?.at.get(k);
        // Closed before it could be read again: a first read that had everything but the
        // record (nothing left to it, its socket proven by fstat) stands, its queues unread.
        if (redo !== undefined && again!.batch.getfdErrno(redo) === EBADF && batch.getfdErrno(k) === 0 && !batch.gaveRecord(k)) redo = undefined;
        const read = redo === undefined ? readRow(batch, k, pid, s) : readRow(again!.batch, redo, pid, s);
        if ('denied' in read) {
          // Every fd would be refused for the same reason: stop asking. The rows from the
          // tables are all there is from here: none is let go (TCP_INFO only where a table
          // holds it, which a lean one, dumped without, does not).
          table.readsEnded();
          // A row held by id alone had no record when it was built: built again from the dump.
          return { denied: read.denied, at: from + k, report: s.kernel === undefined ? row(from + k) : s };
        }
        emit(read.report);
      }
      // The early batch splits its rows across SOLO_THREADS: reused, it would make a thread
      // (and a ring) per read beside the pool's.
      if (batch !== early?.batch) spare.push(batch);
    }
    return null;
  } finally {
    for (const { batch } of reading) batch.finish(); // a read under way ends before the pidfd closes
    binding.close!(pidfd);
  }
}

// The records of a batch's connected TCP sockets, asked for by the ids their reads gave.
function fetch(batch: DuplicateBatch, from: number, to: number, list: FdList, table: SocketTable): void {
  table.fetch(from, to, (i, family, ifindex, into, at) => batch.idMessage(i - from, family, ifindex, list.inodes[i]!, into, at));
}

// The rows of a batch whose records were to come by id and that fetch found none for,
// read again with nothing given and their queues too (the table was to give those, and
// the options a row read by id left to the record): null when there are none (the usual case).
function readAgain(pidfd: number, from: number, to: number, list: FdList, table: SocketTable, unread?: Unread): { batch: DuplicateBatch; at: Map<number, number> } | null {
  let at: Map<number, number> | null = null;
  const rows = [];
  for (let k = 0; k < to - from; k++) {
    if (table.heldById(list.inodes[from + k]!) === undefined) continue;
    (at ??= new Map()).set(k, rows.length);
    rows.push({ fd: list.fds[from + k]!, inode: list.inodes[from + k]!, queues: true });
  }
  if (at === null) return null;
  const again = new DuplicateBatch(pidfd, rows.length, 1, unread);
  again.read(rows);
  // Their records by the ids these reads give (a first read refused, EMFILE, gave none).
  const redo = at;
  table.fetch(from, to, (i, family, ifindex, into, off) => {
    const j = redo.get(i - from);
    return j !== undefined && again.idMessage(j, family, ifindex, list.inodes[i]!, into, off);
  });
  return { batch: again, at };
}

// The queues a socket's table row gives better than the socket itself: a TCP or MPTCP
// socket's other than a listener's, from sock_diag or the /proc fallback alike (what ss
// prints; SIOCINQ leaves out a FIN received, and MPTCP's answers 1 on a closed socket or
// at EOF with nothing queued), and a unix listener's accept queue and backlog (its SIOCINQ
// is refused, its SIOCOUTQ says nothing). null: the socket's own answers.
function tableQueues(s: SocketReport): Queues | null {
  if (s.kernel === undefined) return null;
  if ((s.kind === 'tcp' || s.kind === 'mptcp') && s.state !== 'LISTEN') return { recv: s.recvQueue, send: s.sendQueue };
  if (s.kind === 'unix' && s.kernel.source === 'sock_diag' && s.state === 'LISTEN' && s.acceptQueue !== undefined) return { recv: null, send: null, accept: s.acceptQueue, backlog: s.backlog };
  return null;
}

// One socket of a batch read through a duplicate of its fd; returns why not when the
// kernel refuses duplicates altogether. A socket closed (or replaced) since /proc was read
// is left with its /proc data and an `error`.
function readRow(batch: DuplicateBatch, k: number, pid: number, s: SocketReport): { report: SocketReport } | { denied: Denied } {
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
    const stat = batch.statErrno(k, s);
    if (stat === ESTALE) {
      s.error = { code: 'ESTALE', message: `fd ${s.fd} now holds another file than the socket the fd table listed` };
      return { report: s };
    }
    if (stat !== 0) throw systemError(-stat, 'fstat');
    const fromTable = tableQueues(s);
    const merged = reportFromSnapshot(batch.snapshot(k, s.fd, s), fromTable ?? batch.queues(k), s.inode);
    // MPTCP's SIOCINQ is a hint (1 on a closed socket or at EOF, so that a reader reads the
    // EOF), not bytes: without a table row its receive queue is not known.
    if (merged.kind === 'mptcp' && fromTable === null && merged.state !== 'LISTEN') merged.recvQueue = null;
    if (s.kernel) {
      // The table knows more than the socket tells about itself: unix states (CONNECTING…),
      // the exact bytes of unix names and the unix peer's name, netlink and packet addresses;
      // an MPTCP socket's own state (its TCP_INFO is its first subflow's); the peer a TCP
      // socket in SYN_SENT is connecting to (getpeername: ENOTCONN until it is connected).
      if (merged.kind === 'unix' && s.kernel.source === 'proc') {
        // /proc/net/unix cuts a path at a newline; the socket's own reads have every byte.
        merged.state = s.state;
        merged.local ??= s.local;
        merged.remote ??= s.remote;
      } else if (merged.kind === 'unix' || merged.kind === 'netlink' || merged.kind === 'packet') {
        merged.state = s.state;
        merged.local = s.local;
        merged.remote = s.remote;
      } else if (merged.kind === 'mptcp' && s.kind === 'mptcp') merged.state = s.state;
      if (merged.remote === null && s.state === 'SYN_SENT' && s.kind === merged.kind) merged.remote = s.remote;
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
