// Another process's sockets, for `sockopt inspect PID` and for other diagnostic
// tools: what /proc says about each (any user may have that much for their own
// processes), and — with ptrace-attach rights — every readable option and
// TCP_INFO, read through a duplicate of the fd (pidfd_getfd) by the same
// snapshot() the library uses on its own sockets. Each duplicate is closed as soon
// as it is read; the target process is neither stopped nor signalled, and its own
// fd table and sockets are left as they were (the duplicate shares the socket, so
// reading it is reading the target's socket, and closing it closes only the copy).
import { existsSync, fstatSync } from 'node:fs';
import { binding } from '../kernel/binding';
import { featureUnsupported, invalidArgType, noSocketAt, outOfRange, processError } from '../kernel/errors';
import { reportFromSnapshot, type SocketReport } from './format-socket';
import { snapshot } from './snapshot';
import { commandOf, procSockets, socketFds, type ProcSocket } from './pid-proc';
import { readQueues } from './view';

/** What snapshotPid() returns, and `sockopt inspect PID --json` prints. */
export interface PidReport {
  /** The process id asked for. */
  pid: number;
  /** Its command name (/proc/PID/comm), or null if unreadable. */
  command: string | null;
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

function fromProc(fd: number, inode: number, p: ProcSocket | undefined): SocketReport {
  if (!p) return { fd, inode, kind: null, family: null, type: null, state: null, local: null, remote: null, recvQueue: null, sendQueue: null };
  const { inode: _i, acceptQueue, ...rest } = p;
  return { fd, inode, ...rest, ...(acceptQueue !== undefined ? { acceptQueue } : {}) };
}

/**
 * Every socket of process `pid` as /proc describes it: fd, inode, kind, family, type,
 * state, addresses, queues. Works for any process whose /proc/PID/fd you may read
 * (your own user's, or any as root); never touches the sockets themselves.
 * @throws ESRCH when there is no such process; EACCES without ptrace-read rights.
 */
export function listSockets(pid: number, options: { fd?: number } = {}): SocketReport[] {
  checkPid(pid);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  if (!hasProc) throw featureUnsupported("Reading another process's sockets (/proc/PID/fd)", ['linux']);
  if (options.fd !== undefined && (typeof options.fd !== 'number' || !Number.isInteger(options.fd) || options.fd < 0 || options.fd > 2 ** 31 - 1)) {
    throw outOfRange('options.fd', 'an integer >= 0 and < 2^31', options.fd);
  }
  let fds: { fd: number; inode: number }[];
  try {
    fds = socketFds(pid);
  } catch (err) {
    throw processError(err, pid, `the fd table (/proc/${pid}/fd)`);
  }
  if (options.fd !== undefined) fds = fds.filter((f) => f.fd === options.fd);
  const table = procSockets(pid);
  return fds.map(({ fd, inode }) => fromProc(fd, inode, table.get(inode)));
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
  checkPid(pid);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const sockets = listSockets(pid, { fd: options.fd });
  if (options.fd !== undefined && sockets.length === 0) {
    throw noSocketAt(pid, options.fd);
  }
  const report: PidReport = { pid, command: commandOf(pid), optionsRead: false, sockets };
  if (options.options === false) return report;
  if (!binding.pidfdOpen || !binding.pidfdGetfd || !binding.close) {
    report.denied = { code: 'ERR_SOCKOPT_UNSUPPORTED', message: `reading another process's sockets needs pidfd_getfd (Linux >= 5.6); this is ${process.platform}` };
    return report;
  }
  let pidfd: number;
  try {
    pidfd = binding.pidfdOpen(pid);
  } catch (err) {
    const coded = processError(err, pid, 'the options and TCP_INFO') as { code?: string; message: string };
    if (coded.code === 'ESRCH') throw coded; // it exited: nothing is left to list either
    report.denied = { code: coded.code ?? 'ERR', message: coded.message }; // ENOSYS before Linux 5.3, …
    return report;
  }
  try {
    report.optionsRead = true;
    for (let i = 0; i < sockets.length; i++) {
      const denied = readThrough(pidfd, pid, sockets, i);
      if (denied) {
        // Every fd would be refused for the same reason: stop asking.
        report.optionsRead = false;
        report.denied = denied;
        break;
      }
    }
  } finally {
    binding.close(pidfd);
  }
  return report;
}

// Reads one socket through a duplicate of its fd; returns why not when the kernel
// refuses duplicates altogether. A socket closed (or replaced) since /proc was read is
// left with its /proc data and an `error`.
function readThrough(pidfd: number, pid: number, sockets: SocketReport[], i: number): PidReport['denied'] | undefined {
  const s = sockets[i]!;
  let dup: number;
  try {
    dup = binding.pidfdGetfd!(pidfd, s.fd);
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === 'EBADF') {
      s.error = { code: 'EBADF', message: `fd ${s.fd} was closed while being read` };
      return undefined;
    }
    const coded = processError(err, pid, 'the options and TCP_INFO') as { code?: string; message: string };
    return { code: coded.code ?? 'ERR', message: coded.message };
  }
  try {
    if (fstatSync(dup).ino !== s.inode) {
      s.error = { code: 'ESTALE', message: `fd ${s.fd} now holds another file than the socket /proc listed` };
      return undefined;
    }
    const merged = reportFromSnapshot(snapshot(dup), readQueues(dup), s.inode);
    merged.fd = s.fd;
    // /proc's state words for unix sockets say more than a snapshot can (CONNECTING, …).
    if (merged.kind === 'unix' && s.state) merged.state = s.state;
    sockets[i] = merged;
  } catch (err) {
    const e = err as { code?: string; message: string };
    s.error = { code: e.code ?? 'ERR', message: e.message };
  } finally {
    binding.close!(dup);
  }
  return undefined;
}
