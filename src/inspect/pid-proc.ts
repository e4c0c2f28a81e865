// What /proc tells about another process without touching its sockets: /proc/PID/fd
// maps fd numbers to socket inodes, /proc/PID/comm names it, and the kernel's
// `system.sockprotoname` xattr of each /proc/PID/fd/N link names the socket's protocol.
//
// The socket tables themselves come from sock_diag netlink (tables.ts). Only where that
// is unavailable does procSockets() below read the /proc/PID/net/* text, and then by
// fixed fields with every unconfirmed row refused: a unix socket's path is printed raw
// at the end of its row, so a path holding a newline can plant a whole fake row for
// any inode. A row counts only when it is the one row of its kind for its inode in all the
// tables, and that the fd's sockprotoname confirms.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import { binding, type FdListing } from '../kernel/binding';
import { exactText, type ExactText } from '../kernel/text';
import { TCP_STATES, TYPE_NAMES, type SocketKind, type TableSocket } from './table-types';

// socket_state (include/uapi/linux/net.h) as /proc/net/unix prints it.
const UNIX_STATES = ['FREE', 'UNCONNECTED', 'CONNECTING', 'CONNECTED', 'DISCONNECTING'];
const SO_ACCEPTCON = 0x10000; // __SO_ACCEPTCON in the Flags column: a listening socket

const LE = endianness() === 'LE';

// The kernel prints each 32-bit word of an address in host byte order (%08X).
function wordBytes(hex: string): number[] {
  const v = parseInt(hex, 16);
  const be = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return LE ? be.reverse() : be;
}

/** '0100007F' → '127.0.0.1'; 32 hex digits → an IPv6 literal as inet_ntop writes it. */
export function procAddress(hex: string): string {
  if (hex.length === 8) return wordBytes(hex).join('.');
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  return ipv6Text(bytes);
}

function ipv6Text(b: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  // IPv4-mapped (::ffff:a.b.c.d), as inet_ntop shows it.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${b.slice(12).join('.')}`;
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

// tcp, udp, raw, icmp (v4 and v6) share one format, with no text a socket's owner chooses:
// "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu …"
const INET_ROW = /^\s*\d+: ([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4}) ([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4}) ([0-9A-F]{2}) ([0-9A-F]{8}):([0-9A-F]{8}) [0-9A-F]{2}:[0-9A-F]{8} [0-9A-F]{8} +(\d+) +-?\d+ (\d+) /;

type Rows = Map<number, TableSocket[]>;
const add = (rows: Rows, s: TableSocket) => (rows.get(s.inode) ?? rows.set(s.inode, []).get(s.inode)!).push(s);

function parseInet(text: string, kind: 'tcp' | 'udp' | 'raw' | 'icmp', family: 'IPv4' | 'IPv6', rows: Rows): void {
  for (const line of text.split('\n')) {
    const m = INET_ROW.exec(line);
    if (!m) continue;
    const inode = Number(m[9]);
    if (!inode) continue; // TIME_WAIT and request sockets have no inode, and no fd
    const st = parseInt(m[5]!, 16);
    const tx = parseInt(m[6]!, 16);
    const rx = parseInt(m[7]!, 16);
    const remote = { family, address: procAddress(m[3]!), port: parseInt(m[4]!, 16) };
    const unconnected = remote.port === 0 && /^0+$/.test(m[3]!);
    const state = kind === 'tcp' ? (TCP_STATES[st] ?? `state ${st}`) : st === 1 ? 'CONNECTED' : 'UNCONNECTED';
    const listening = state === 'LISTEN';
    const s: TableSocket = {
      inode,
      kind,
      family,
      type: kind === 'tcp' ? 'stream' : kind === 'raw' ? 'raw' : 'dgram',
      state,
      local: { family, address: procAddress(m[1]!), port: parseInt(m[2]!, 16) },
      remote: unconnected ? null : remote,
      recvQueue: listening ? null : rx,
      sendQueue: listening ? null : tx,
      kernel: { source: 'proc', uid: Number(m[8]) },
    };
    if (listening) s.acceptQueue = rx;
    if (kind === 'raw') s.protocol = parseInt(m[2]!, 16);
    add(rows, s);
  }
}

// "%pK: %08X %08X %08X %04X %02X %5lu" then, when bound, ' ' and the path's raw bytes.
const UNIX_ROW = /^[0-9a-f]{8,16}: [0-9A-F]{8} [0-9A-F]{8} ([0-9A-F]{8}) ([0-9A-F]{4}) ([0-9A-F]{2}) +(\d+)(?: |$)/;

function parseUnix(bytes: Buffer, rows: Rows): void {
  let start = bytes.indexOf(0x0a) + 1; // after the header
  while (start > 0 && start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    const m = UNIX_ROW.exec(line.subarray(0, 64).toString('latin1'));
    if (!m) continue; // the rest of a path that held a newline, or not a row at all
    const flags = parseInt(m[1]!, 16);
    const st = parseInt(m[3]!, 16);
    const inode = Number(m[4]);
    // The path is the rest of the row, up to the newline (a path holding one is cut there:
    // this fallback cannot know). Abstract names print '@' for each NUL.
    let raw = line.subarray(m[0].length);
    if (raw[0] === 0x40) {
      let n = raw.length;
      while (n > 1 && raw[n - 1] === 0x40) n--;
      raw = Buffer.concat([Buffer.from([0]), raw.subarray(1, n)]);
    }
    const path: ExactText = m[0].endsWith(' ') ? exactText(raw) : '';
    add(rows, {
      inode,
      kind: 'unix',
      family: 'unix',
      type: TYPE_NAMES[parseInt(m[2]!, 16)] ?? null,
      state: flags & SO_ACCEPTCON ? 'LISTEN' : (UNIX_STATES[st] ?? `state ${st}`),
      local: { family: 'unix', path },
      remote: null, // /proc/net/unix does not name the peer
      recvQueue: null,
      sendQueue: null,
      kernel: { source: 'proc' },
    });
  }
}

// netlink and packet: fixed columns, no text of the owner's; the inode is the column named so.
function parseByHeader(text: string, kind: 'netlink' | 'packet', rows: Rows): void {
  const [head, ...lines] = text.split('\n');
  const col = (head ?? '').trim().split(/\s+/).indexOf('Inode');
  if (col < 0) return;
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    const inode = Number(f[col]);
    if (!Number.isInteger(inode) || inode <= 0) continue;
    add(rows, { inode, kind, family: kind, type: null, state: 'UNCONNECTED', local: null, remote: null, recvQueue: null, sendQueue: null, kernel: { source: 'proc' } });
  }
}

function read(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null; // a table the kernel does not have (no IPv6, no raw): nothing of that kind
  }
}

/**
 * The fallback socket table of `pid`'s network namespace, from /proc/PID/net text: every
 * row that claims each inode. More than one claim means a forged row; the caller keeps
 * only the claim whose kind the fd's kernel protocol name confirms (see tables.ts).
 */
export function procSockets(pid: number): Map<number, TableSocket[]> {
  const base = `/proc/${pid}/net`;
  const rows: Rows = new Map();
  const inet: [string, 'tcp' | 'udp' | 'raw' | 'icmp', 'IPv4' | 'IPv6'][] = [
    ['tcp', 'tcp', 'IPv4'], ['tcp6', 'tcp', 'IPv6'], ['udp', 'udp', 'IPv4'], ['udp6', 'udp', 'IPv6'],
    ['raw', 'raw', 'IPv4'], ['raw6', 'raw', 'IPv6'], ['icmp', 'icmp', 'IPv4'], ['icmp6', 'icmp', 'IPv6'],
  ];
  for (const [file, kind, family] of inet) {
    const text = read(`${base}/${file}`);
    if (text) parseInet(text.toString('latin1'), kind, family, rows);
  }
  const unix = read(`${base}/unix`);
  if (unix) parseUnix(unix, rows);
  for (const kind of ['netlink', 'packet'] as const) {
    const text = read(`${base}/${kind}`);
    if (text) parseByHeader(text.toString('latin1'), kind, rows);
  }
  return rows;
}

// A listing begun by prefetchSocketFds, for the next socketFds(pid) of the same pid.
let prefetched: { pid: number; listing: FdListing } | null = null;

/**
 * Starts listing process `pid`'s socket fds on a native thread, for the next
 * socketFds(pid) to take: `sockopt inspect` does it before loading the rest of its code,
 * which then costs no time of its own (the fd table of 20k sockets takes ~90 ms to list).
 * Does nothing where there is no such thread; a listing never taken is dropped.
 */
export function prefetchSocketFds(pid: number): void {
  prefetched = null;
  if (!binding.socketFdsStart || !Number.isInteger(pid) || pid <= 0 || pid > 2 ** 31 - 1) return;
  prefetched = { pid, listing: binding.socketFdsStart(pid) };
}

/** A process's socket fds and their inodes, in fd order: two arrays, not an object per fd. */
export interface FdList {
  fds: Int32Array;
  inodes: Float64Array;
}

/**
 * fd → socket inode for every socket fd of process `pid` (or fd `only`), in fd order.
 * @throws the fs error (ENOENT: no such process or fd; EACCES from scandir or readlink: no ptrace-read rights).
 */
export function socketFds(pid: number, only?: number): FdList {
  const dir = `/proc/${pid}/fd`;
  const early = prefetched?.pid === pid && only === undefined ? prefetched.listing : null;
  prefetched = null;
  if (only === undefined && binding.socketFds) return early ? binding.socketFdsFinish!(early) : binding.socketFds(pid);
  const found: [number, number][] = [];
  const names = only !== undefined ? [String(only)] : readdirSync(dir);
  for (const name of names) {
    let link: string;
    try {
      link = readlinkSync(`${dir}/${name}`);
    } catch (err) {
      // EACCES here is no ptrace-read rights, not "not a socket".
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      continue; // closed between readdir and readlink (or, with `only`, no such fd)
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) found.push([Number(name), Number(m[1])]);
  }
  found.sort((a, b) => a[0] - b[0]);
  return { fds: Int32Array.from(found, (f) => f[0]), inodes: Float64Array.from(found, (f) => f[1]) };
}

// PF_EXITING (include/linux/sched.h): set as exit begins, before the fd table is let go.
const PF_EXITING = 0x4;

/** The state letter and the flags of /proc/PID/stat (its main thread's), or null when it cannot be read. */
function procState(pid: number): { state: string; exiting: boolean } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // After the command name: state ppid pgrp session tty_nr tpgid flags …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, exiting: (Number(fields[6]) & PF_EXITING) !== 0 };
  } catch (err) {
    // Out of fds for a moment says nothing of the process: taken as running, so that the
    // caller's own error (EBADF, EMFILE…) stands instead of a false "exited".
    const code = (err as { code?: string }).code;
    return code === 'EMFILE' || code === 'ENFILE' ? { state: '?', exiting: false } : null;
  }
}

/** Whether the process has exited, or is exiting (its fds may be gone before it is a zombie). */
export function exited(pid: number): boolean {
  const s = procState(pid);
  return s === null || s.state === 'Z' || s.state === 'X' || s.exiting;
}

/**
 * Why a process's fd listing came back empty, where it is not a live process with no fd:
 * 'leader' for a thread group whose main thread has exited while others run (a zombie
 * leader after pthread_exit: Linux then shows an empty /proc/PID/fd, and pidfd_getfd,
 * which goes through the leader, has no fd table to take from); 'exited' for a zombie
 * or a process gone meanwhile. Read only when the listing came back empty.
 */
export function emptyBecause(pid: number): 'leader' | 'exited' | null {
  const s = procState(pid);
  if (s === null) return 'exited';
  if (s.state !== 'Z' && s.state !== 'X') return null;
  return liveThreadOf(pid) !== null ? 'leader' : 'exited';
}

/** A thread of process `pid` other than its main thread, the first /proc/PID/task lists; null if none. */
export function liveThreadOf(pid: number): number | null {
  try {
    const other = readdirSync(`/proc/${pid}/task`).find((t) => t !== String(pid));
    return other === undefined ? null : Number(other);
  } catch {
    return null;
  }
}

/**
 * The process `pid` is a thread of, where it is a thread's id and not its process's (the
 * main thread's); null otherwise or when unreadable. /proc/TID/ exists for every thread,
 * though /proc lists processes only. The Name line before Tgid is escaped by the kernel
 * (a newline in a thread's name is "\\n"), so the first "\nTgid:" is the field itself.
 */
export function threadGroupOf(pid: number): number | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null; // gone, or not ours to read: the fd table's own error says which
  }
  const m = /\nTgid:\t(\d+)\n/.exec(status);
  const tgid = m ? Number(m[1]) : pid;
  return tgid !== pid ? tgid : null;
}

// The kernel's protocol names (sock->sk_prot->name, the system.sockprotoname xattr) by kind.
const PROTO_KINDS: Record<string, SocketKind> = {
  TCP: 'tcp', TCPv6: 'tcp', UDP: 'udp', UDPv6: 'udp', 'UDP-Lite': 'udp', UDPLITEv6: 'udp', RAW: 'raw', RAWv6: 'raw',
  PING: 'icmp', PINGv6: 'icmp', MPTCP: 'mptcp', MPTCPv6: 'mptcp', NETLINK: 'netlink', PACKET: 'packet',
  UNIX: 'unix', 'UNIX-STREAM': 'unix',
};

/**
 * The kind of socket `inode` at /proc/PID/fd/N by its kernel protocol name; null when it
 * cannot be read, or when the fd no longer holds that inode (its number reused by another
 * socket, whose kind this would be).
 */
export function kindOfFd(pid: number, fd: number, inode: number): { kind: SocketKind; protocolName: string } | null {
  if (!binding.sockProtoName) return null;
  try {
    const name = binding.sockProtoName(`/proc/${pid}/fd/${fd}`, inode);
    if (name === null) return null;
    return { kind: PROTO_KINDS[name] ?? 'unknown', protocolName: name };
  } catch {
    return null;
  }
}

/** The process's command name (/proc/PID/comm) as its exact bytes, or null. */
export function commandOf(pid: number): ExactText | null {
  const b = read(`/proc/${pid}/comm`);
  if (!b) return null;
  return exactText(b[b.length - 1] === 0x0a ? b.subarray(0, b.length - 1) : b);
}
