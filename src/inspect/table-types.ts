// The shapes of socket-table rows (tables.ts from sock_diag, pid-proc.ts from the /proc
// fallback) and the kernel's names both use.
import { binding } from '../kernel/binding';
import type { ExactText } from '../kernel/text';
import type { TcpInfo } from '../kernel/tcp-info';
import type { InetRecord } from '../kernel/inet-diag';

/** Every kind of socket, named: what `kind` holds in a SocketReport. */
export type SocketKind = 'tcp' | 'mptcp' | 'udp' | 'raw' | 'icmp' | 'unix' | 'netlink' | 'packet' | 'unknown';

/** An address as a report carries it: unix names as their exact bytes (a string when UTF-8, else { hex }). */
export type ReportAddress =
  | { family: 'IPv4' | 'IPv6'; address: string; port: number }
  | { family: 'unix'; path: ExactText }
  | { family: 'netlink'; portid: number; group?: number }
  | { family: 'packet'; ifindex: number; protocol: number }
  | { family: number };

/** sk_meminfo, as `ss -m` shows it in skmem:(r,rb,t,tb,f,w,o,bl,d); bytes, drops a count. */
export interface Skmem {
  rmemAlloc: number;
  rcvbuf: number;
  wmemAlloc: number;
  sndbuf: number;
  fwdAlloc: number;
  wmemQueued: number;
  optmem: number;
  backlog: number;
  drops: number;
}

/** What the kernel's socket table says beyond addresses and state (ss -e, -m, -i). */
export interface KernelView {
  /** Where the table came from: 'sock_diag' (netlink), or 'proc' (the /proc/net text fallback, fewer fields). */
  source: 'sock_diag' | 'proc';
  /** The socket's owner (ss -e uid:). */
  uid?: number;
  /** The kernel's socket cookie, decimal (ss -e sk:, in hex there). */
  cookie?: string;
  /** cgroup v2 id of the socket (ss -e cgroup:) and its path when found under /sys/fs/cgroup. */
  cgroupId?: string;
  cgroup?: string;
  /** The pending TCP timer (ss -o timer:(name,left,retransmits)): 'on' (retransmit), 'keepalive', 'timewait', 'persist' (zero-window probe). */
  timer?: { name: 'on' | 'keepalive' | 'timewait' | 'persist' | 'unknown'; expiresMs: number; retransmits: number };
  /** Socket memory (ss -m). */
  skmem?: Skmem;
  /** Congestion control (ss -i: bbr, cubic…). */
  congestion?: string;
  /** BBR's model (ss -i bbr:(bw,mrtt,pacing_gain,cwnd_gain)); bw in bytes/s, minRtt in µs, gains ×256. */
  bbr?: { bw: number; minRtt: number; pacingGain: number; cwndGain: number };
  /** ss -i's `send` rate: cwnd × mss × 8 / rtt, in bytes/s here. */
  sendRate?: number;
  /** Shutdown bits: 1 reading shut, 2 writing shut (ss's ---, <--, -->, <->). */
  shutdown?: number;
  tos?: number;
  tclass?: number;
  classId?: number;
  mark?: number;
  v6only?: boolean;
  /** Bound interface index, 0 for any. */
  ifindex?: number;
  /** Unix: the peer socket's inode (ss's `* peerino`), the inode of the socket file, pending connections. */
  peerInode?: number;
  vfs?: { dev: number; inode: number };
  pendingConnections?: number;
}

/** One socket as the tables describe it. */
export interface TableSocket {
  inode: number;
  kind: SocketKind;
  family: 'IPv4' | 'IPv6' | 'unix' | 'netlink' | 'packet';
  type: 'stream' | 'dgram' | 'seqpacket' | 'raw' | 'rdm' | null;
  state: string;
  local: ReportAddress | null;
  remote: ReportAddress | null;
  recvQueue: number | null;
  sendQueue: number | null;
  acceptQueue?: number;
  backlog?: number;
  /** raw: the IP protocol; netlink: the NETLINK_* family; packet: the ethertype. */
  protocol?: number;
  tcpInfo?: TcpInfo;
  kernel: KernelView;
  /** TCP and UDP rows from sock_diag: the record itself (non-enumerable). */
  readonly [DIAG_RECORD]?: InetRecord;
}

// include/net/tcp_states.h, 1-based.
/**
 * A TCP or UDP row's sock_diag record, kept on the row (and on the report fromTable makes
 * of it) as a non-enumerable property: what its own read of options leaves out is taken
 * from it (duplicates.ts), and nothing of it shows in JSON or util.inspect.
 */
export const DIAG_RECORD = Symbol('sockopt.diagRecord');

export const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'BOUND_INACTIVE'];
const C = binding.constants;
// SOCK_* numbers → names, from this platform's compiled constants.
export const TYPE_NAMES: Record<number, TableSocket['type']> = {};
for (const [k, v] of [['SOCK_STREAM', 'stream'], ['SOCK_DGRAM', 'dgram'], ['SOCK_SEQPACKET', 'seqpacket'], ['SOCK_RAW', 'raw'], ['SOCK_RDM', 'rdm']] as const) {
  if (C[k] !== undefined) TYPE_NAMES[C[k]] = v;
}

