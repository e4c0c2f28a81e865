// What /proc tells about another process's sockets without touching them:
// /proc/PID/fd maps fd numbers to socket inodes, and /proc/PID/net/{tcp,tcp6,
// udp,udp6,raw,raw6,unix} (the tables of the process's own network namespace)
// map inodes to addresses, states and queues. Reading /proc/PID/fd needs
// ptrace-read rights on the process (the same user, or CAP_SYS_PTRACE).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import type { SocketAddress } from '../kernel/binding';

/** One socket as the /proc tables describe it. */
export interface ProcSocket {
  inode: number;
  kind: 'tcp' | 'udp' | 'raw' | 'unix' | 'netlink' | 'packet';
  family: 'IPv4' | 'IPv6' | 'unix' | 'netlink' | 'packet';
  type: 'stream' | 'dgram' | 'seqpacket' | 'raw' | null;
  state: string;
  local: SocketAddress | null;
  remote: SocketAddress | null;
  /** Bytes (tcp: unread; udp/raw: receive memory), null for kinds whose table has no queue. */
  recvQueue: number | null;
  /** Bytes (tcp: unacknowledged + unsent; udp/raw: send memory). */
  sendQueue: number | null;
  /** TCP listeners: connections in the accept queue (the table's rx_queue on a listener). */
  acceptQueue?: number;
}

// include/net/tcp_states.h, in the order of its enum (1-based).
const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'BOUND_INACTIVE'];
// socket_state (include/uapi/linux/net.h) as /proc/net/unix prints it.
const UNIX_STATES = ['FREE', 'UNCONNECTED', 'CONNECTING', 'CONNECTED', 'DISCONNECTING'];
const UNIX_TYPES: Record<number, ProcSocket['type']> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };
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

function inetAddress(field: string, family: 'IPv4' | 'IPv6'): { family: 'IPv4' | 'IPv6'; address: string; port: number } {
  const [hex, port] = field.split(':') as [string, string];
  return { family, address: procAddress(hex), port: parseInt(port, 16) };
}

// tcp, udp, raw (v4 and v6) share one format:
// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
function parseInet(text: string, kind: 'tcp' | 'udp' | 'raw', family: 'IPv4' | 'IPv6', out: Map<number, ProcSocket>): void {
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const inode = Number(f[9]);
    if (!inode) continue; // TIME_WAIT and request sockets have no inode, and no fd
    const st = parseInt(f[3]!, 16);
    const [tx, rx] = f[4]!.split(':').map((x) => parseInt(x, 16)) as [number, number];
    const remote = inetAddress(f[2]!, family);
    const unconnected = remote.port === 0 && /^0+$/.test(f[2]!.split(':')[0]!);
    const state = kind === 'tcp' ? (TCP_STATES[st] ?? `state ${st}`) : st === 1 ? 'CONNECTED' : 'UNCONNECTED';
    const s: ProcSocket = {
      inode,
      kind,
      family,
      type: kind === 'tcp' ? 'stream' : kind === 'udp' ? 'dgram' : 'raw',
      state,
      local: inetAddress(f[1]!, family),
      remote: unconnected ? null : remote,
      recvQueue: state === 'LISTEN' ? null : rx,
      sendQueue: state === 'LISTEN' ? null : tx,
    };
    if (state === 'LISTEN') s.acceptQueue = rx;
    out.set(inode, s);
  }
}

// Num RefCount Protocol Flags Type St Inode Path
function parseUnix(text: string, out: Map<number, ProcSocket>): void {
  for (const line of text.split('\n').slice(1)) {
    const m = /^\s*\S+:\s+\S+\s+\S+\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+(\d+)(?: (.*))?$/.exec(line);
    if (!m) continue;
    const flags = parseInt(m[1]!, 16);
    const st = parseInt(m[3]!, 16);
    const inode = Number(m[4]);
    // Abstract names print with '@' for every NUL, the leading one and the padding libuv
    // binds with; Node and snapshot() show '\0name' with the padding trimmed.
    const raw = m[5] ?? '';
    const path = raw.startsWith('@') ? `\0${raw.slice(1).replace(/@+$/, '')}` : raw;
    out.set(inode, {
      inode,
      kind: 'unix',
      family: 'unix',
      type: UNIX_TYPES[parseInt(m[2]!, 16)] ?? null,
      state: flags & SO_ACCEPTCON ? 'LISTEN' : (UNIX_STATES[st] ?? `state ${st}`),
      local: { family: 'unix', path },
      remote: null, // /proc/net/unix does not name the peer
      recvQueue: null,
      sendQueue: null,
    });
  }
}

// Kinds that only need naming: the inode is the last column but one or so; find it by header.
function parseByHeader(text: string, kind: 'netlink' | 'packet', out: Map<number, ProcSocket>): void {
  const [head, ...lines] = text.split('\n');
  const col = (head ?? '').trim().split(/\s+/).indexOf('Inode');
  if (col < 0) return;
  for (const line of lines) {
    const inode = Number(line.trim().split(/\s+/)[col]);
    if (inode) out.set(inode, { inode, kind, family: kind, type: null, state: 'UNCONNECTED', local: null, remote: null, recvQueue: null, sendQueue: null });
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // a table the kernel does not have (no IPv6, no raw): nothing of that kind
  }
}

/** Every socket in the network namespace of process `pid`, by inode. */
export function procSockets(pid: number): Map<number, ProcSocket> {
  const base = `/proc/${pid}/net`;
  const out = new Map<number, ProcSocket>();
  const inet: [string, 'tcp' | 'udp' | 'raw', 'IPv4' | 'IPv6'][] = [
    ['tcp', 'tcp', 'IPv4'], ['tcp6', 'tcp', 'IPv6'], ['udp', 'udp', 'IPv4'], ['udp6', 'udp', 'IPv6'], ['raw', 'raw', 'IPv4'], ['raw6', 'raw', 'IPv6'],
  ];
  for (const [file, kind, family] of inet) {
    const text = read(`${base}/${file}`);
    if (text) parseInet(text, kind, family, out);
  }
  const unix = read(`${base}/unix`);
  if (unix) parseUnix(unix, out);
  for (const kind of ['netlink', 'packet'] as const) {
    const text = read(`${base}/${kind}`);
    if (text) parseByHeader(text, kind, out);
  }
  return out;
}

/**
 * fd → socket inode for every socket fd of process `pid`, in fd order.
 * @throws the fs error (ENOENT: no such process; EACCES: no ptrace-read rights).
 */
export function socketFds(pid: number): { fd: number; inode: number }[] {
  const dir = `/proc/${pid}/fd`;
  const out: { fd: number; inode: number }[] = [];
  for (const name of readdirSync(dir)) {
    let link: string;
    try {
      link = readlinkSync(`${dir}/${name}`);
    } catch {
      continue; // closed between readdir and readlink
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) out.push({ fd: Number(name), inode: Number(m[1]) });
  }
  return out.sort((a, b) => a.fd - b.fd);
}

/** The process's command name (/proc/PID/comm), or null. */
export function commandOf(pid: number): string | null {
  return read(`/proc/${pid}/comm`)?.trim() ?? null;
}
