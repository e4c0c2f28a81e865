// The option registry: one line of data per option. Level and option numbers
// are never written here; they come from the addon (compiled from this
// platform's headers) when the table is resolved in options.ts.
import type { TcpInfo } from './tcp-info';

/** SO_PEERCRED: the process at the other end of a unix-domain socket. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** How a value travels between JS and the kernel. */
export type Kind =
  | 'int' // C int, number
  | 'uint' // C unsigned int read through an int, number 0..2^32-1
  | 'bool' // C int 0/1, boolean
  | 'timeval' // struct timeval, milliseconds; null = no timeout
  | 'linger' // struct linger, seconds; null = off
  | 'string' // char[], string
  | 'ifname' // char[IFNAMSIZ]: a string when the bytes are UTF-8, else a Buffer of them (lossless)
  | 'u64' // uint64_t, bigint
  | 'tcp_info' // struct tcp_info, TcpInfo (Linux; macOS: struct tcp_connection_info)
  | 'ucred'; // struct ucred, PeerCred (Linux)

/** The JS type a kind reads as. */
export interface KindValue {
  int: number;
  uint: number;
  bool: boolean;
  timeval: number | null;
  linger: number | null;
  string: string;
  /** An interface name: a string (UTF-8), or a Buffer of its exact bytes when they are not UTF-8. */
  ifname: string | Buffer;
  u64: bigint;
  tcp_info: TcpInfo;
  /** null: no peer process (TCP, UDP, an unconnected unix socket). */
  ucred: PeerCred | null;
}

export type Level = 'SOL_SOCKET' | 'IPPROTO_TCP' | 'IPPROTO_IP' | 'IPPROTO_IPV6';
export type Platform = 'linux' | 'darwin' | 'freebsd' | 'win32';
/** 'r' read-only, 'w' write-only, 'rw' both. */
export type Access = 'r' | 'w' | 'rw';
/** The unit a number is in, exactly as the API takes and returns it. */
export type Unit = 'struct' | 'bytes' | 'ms' | 's' | 'µs' | 'count' | 'hops' | 'errno' | 'enum' | 'flag' | 'id' | 'name';

/** Node's cached copies on net.Socket (symbol descriptions); the last three exist on some versions only. */
export type NodeStateKey = 'kSetNoDelay' | 'kSetKeepAlive' | 'kSetKeepAliveInitialDelay' | 'kSetKeepAliveInterval' | 'kSetKeepAliveCount';

export interface OptionSpec {
  readonly level: Level;
  readonly kind: Kind;
  readonly access: Access;
  readonly unit: Unit;
  /** Platforms whose headers define it (documentation; the addon decides at run time). */
  readonly platforms: readonly Platform[];
  /** One line for the option table in docs/options.md. */
  readonly doc: string;
  /** Inclusive bounds checked before the syscall (int/uint/string length). */
  readonly min?: number;
  readonly max?: number;
  /** The header's name where it differs by platform (macOS spells TCP_KEEPIDLE as TCP_KEEPALIVE). */
  readonly constant?: Partial<Record<Platform, string>>;
  /** Node caches this flag on net.Socket and skips syscalls it thinks redundant: keep that cache true. */
  readonly nodeState?: NodeStateKey;
  /**
   * Where the option has its effect, when not on any connected socket: 'bind' options act
   * at bind() (set later they do nothing), 'listener' options on a listening socket only.
   * A policy skips them on sockets where they cannot apply (birth/resolve.ts).
   */
  readonly scope?: OptionScope;
}

/** See {@link OptionSpec.scope}. */
export type OptionScope = 'bind' | 'listener';

const ALL: readonly Platform[] = ['linux', 'darwin', 'freebsd', 'win32'];
const UNIX: readonly Platform[] = ['linux', 'darwin', 'freebsd'];
const LINUX: readonly Platform[] = ['linux'];
const I32 = 2 ** 31 - 1;

export const registry = {
  // ── SOL_SOCKET (socket(7)) ───────────────────────────────────────────────
  SO_REUSEADDR: { scope: 'bind', level: 'SOL_SOCKET', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, doc: 'Allow bind() to an address still in TIME_WAIT.' },
  SO_REUSEPORT: { scope: 'bind', level: 'SOL_SOCKET', kind: 'bool', access: 'rw', unit: 'flag', platforms: UNIX, doc: 'Let several sockets bind one address and port; Linux spreads connections across them. Set before bind().' },
  SO_KEEPALIVE: { level: 'SOL_SOCKET', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, nodeState: 'kSetKeepAlive', doc: 'Send keepalive probes on an idle connection (timing: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).' },
  SO_RCVBUF: { level: 'SOL_SOCKET', kind: 'int', access: 'rw', unit: 'bytes', platforms: ALL, min: 0, doc: 'Receive buffer size. Linux doubles the value set (bookkeeping overhead) and reads back the doubled value.' },
  SO_SNDBUF: { level: 'SOL_SOCKET', kind: 'int', access: 'rw', unit: 'bytes', platforms: ALL, min: 0, doc: 'Send buffer size. Linux doubles the value set and reads back the doubled value.' },
  SO_RCVBUFFORCE: { level: 'SOL_SOCKET', kind: 'int', access: 'w', unit: 'bytes', platforms: LINUX, min: 0, doc: 'SO_RCVBUF beyond net.core.rmem_max; needs CAP_NET_ADMIN.' },
  SO_SNDBUFFORCE: { level: 'SOL_SOCKET', kind: 'int', access: 'w', unit: 'bytes', platforms: LINUX, min: 0, doc: 'SO_SNDBUF beyond net.core.wmem_max; needs CAP_NET_ADMIN.' },
  SO_RCVLOWAT: { level: 'SOL_SOCKET', kind: 'int', access: 'rw', unit: 'bytes', platforms: ALL, min: 0, doc: 'Minimum bytes queued before a read is signalled.' },
  SO_SNDLOWAT: { level: 'SOL_SOCKET', kind: 'int', access: 'rw', unit: 'bytes', platforms: ALL, min: 0, doc: 'Minimum free send space before a write is signalled (Linux: fixed at 1; setting fails with ENOPROTOOPT).' },
  SO_RCVTIMEO: { level: 'SOL_SOCKET', kind: 'timeval', access: 'rw', unit: 'ms', platforms: ALL, doc: 'Timeout of blocking receives (null = none). Linux stores it in jiffies, so it rounds up to the tick (4 ms at HZ=250).' },
  SO_SNDTIMEO: { level: 'SOL_SOCKET', kind: 'timeval', access: 'rw', unit: 'ms', platforms: ALL, doc: 'Timeout of blocking sends (null = none); rounds up to the kernel tick like SO_RCVTIMEO.' },
  SO_LINGER: { level: 'SOL_SOCKET', kind: 'linger', access: 'rw', unit: 's', platforms: ALL, constant: { darwin: 'SO_LINGER_SEC' }, doc: 'How long close() waits to send queued data (null = off, 0 = reset the connection on close).' },
  SO_ERROR: { level: 'SOL_SOCKET', kind: 'int', access: 'r', unit: 'errno', platforms: ALL, doc: 'Pending socket error as a positive errno number, 0 if none; reading clears it.' },
  SO_TYPE: { level: 'SOL_SOCKET', kind: 'int', access: 'r', unit: 'enum', platforms: ALL, doc: 'Socket type: constants.SOCK_STREAM or constants.SOCK_DGRAM.' },
  SO_DOMAIN: { level: 'SOL_SOCKET', kind: 'int', access: 'r', unit: 'enum', platforms: LINUX, doc: 'Address family: constants.AF_INET, AF_INET6 or AF_UNIX.' },
  SO_PROTOCOL: { level: 'SOL_SOCKET', kind: 'int', access: 'r', unit: 'enum', platforms: LINUX, doc: 'Protocol number: constants.IPPROTO_TCP, IPPROTO_UDP, or 0.' },
  SO_ACCEPTCONN: { level: 'SOL_SOCKET', kind: 'bool', access: 'r', unit: 'flag', platforms: ALL, doc: 'Whether the socket is listening.' },
  SO_BROADCAST: { level: 'SOL_SOCKET', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, doc: 'Allow datagrams to broadcast addresses.' },
  SO_DONTROUTE: { level: 'SOL_SOCKET', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, doc: 'Bypass routing: send only to directly connected hosts.' },
  SO_OOBINLINE: { level: 'SOL_SOCKET', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, doc: 'Deliver TCP urgent data inline with normal data.' },
  SO_PRIORITY: { level: 'SOL_SOCKET', kind: 'int', access: 'rw', unit: 'enum', platforms: LINUX, doc: 'Queueing priority of outgoing packets; above 6 needs CAP_NET_ADMIN.' },
  SO_MARK: { level: 'SOL_SOCKET', kind: 'uint', access: 'rw', unit: 'id', platforms: LINUX, doc: 'Firewall mark (fwmark) for policy routing and filtering; setting needs CAP_NET_ADMIN.' },
  SO_BINDTODEVICE: { level: 'SOL_SOCKET', kind: 'ifname', access: 'rw', unit: 'name', platforms: LINUX, max: 15, doc: "Send and receive only through this interface, e.g. 'lo' ('' = any); setting may need CAP_NET_RAW. A name whose bytes are not UTF-8 reads as a Buffer of them, and a Buffer sets the bytes as given." },
  SO_INCOMING_CPU: { level: 'SOL_SOCKET', kind: 'int', access: 'rw', unit: 'id', platforms: LINUX, doc: 'CPU that processes this socket’s incoming packets (-1 = not yet known).' },
  SO_BUSY_POLL: { level: 'SOL_SOCKET', kind: 'int', access: 'rw', unit: 'µs', platforms: LINUX, min: 0, doc: 'Busy-poll the device queue for this many microseconds on a blocking receive (0 = off). Linux 6.18 lets any process raise it (measured as nobody); some older kernels needed CAP_NET_ADMIN.' },
  SO_NOSIGPIPE: { level: 'SOL_SOCKET', kind: 'bool', access: 'rw', unit: 'flag', platforms: ['darwin', 'freebsd'], doc: 'Writes to a closed connection fail with EPIPE instead of raising SIGPIPE (BSD and macOS; Linux uses MSG_NOSIGNAL per send).' },
  SO_PEERCRED: { level: 'SOL_SOCKET', kind: 'ucred', access: 'r', unit: 'struct', platforms: LINUX, doc: 'Credentials { pid, uid, gid } of the peer process of a unix-domain socket (as of connect/socketpair); null when there is no peer process (TCP, UDP, unconnected).' },
  SO_COOKIE: { level: 'SOL_SOCKET', kind: 'u64', access: 'r', unit: 'id', platforms: LINUX, doc: 'Kernel-unique id of the socket, as in ss and BPF.' },

  // ── IPPROTO_TCP (tcp(7)) ─────────────────────────────────────────────────
  TCP_CONNECTIONTIMEOUT: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 's', platforms: ['darwin'], min: 0, doc: 'macOS: how long connect() retries the SYN before giving up (Linux: TCP_SYNCNT).' },
  TCP_NODELAY: { level: 'IPPROTO_TCP', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, nodeState: 'kSetNoDelay', doc: 'Disable Nagle: send small segments at once.' },
  TCP_MAXSEG: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 'bytes', platforms: ALL, min: 0, doc: 'Maximum segment size (the current MSS once connected).' },
  TCP_CORK: { level: 'IPPROTO_TCP', kind: 'bool', access: 'rw', unit: 'flag', platforms: LINUX, doc: 'Hold partial segments until uncorked (or 200 ms pass).' },
  TCP_KEEPIDLE: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 's', platforms: ALL, min: 1, max: 32767, constant: { darwin: 'TCP_KEEPALIVE' }, nodeState: 'kSetKeepAliveInitialDelay', doc: 'Idle time before the first keepalive probe (with SO_KEEPALIVE on).' },
  TCP_KEEPINTVL: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 's', platforms: ALL, min: 1, max: 32767, nodeState: 'kSetKeepAliveInterval', doc: 'Time between keepalive probes.' },
  TCP_KEEPCNT: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 'count', platforms: ALL, min: 1, max: 127, nodeState: 'kSetKeepAliveCount', doc: 'Unanswered keepalive probes before the connection is dropped with ETIMEDOUT.' },
  TCP_SYNCNT: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 'count', platforms: LINUX, min: 1, max: 127, doc: 'SYN retransmissions before connect() gives up (default 6, about 127 s).' },
  TCP_LINGER2: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 's', platforms: LINUX, doc: 'Lifetime of orphaned FIN_WAIT2 sockets (0 = system default, -1 = skip FIN_WAIT2).' },
  TCP_DEFER_ACCEPT: { scope: 'listener', level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 's', platforms: LINUX, min: 0, doc: 'Listener: wake accept() only when data arrives, waiting up to this long (kernel rounds to its SYN-ACK retransmit schedule).' },
  TCP_WINDOW_CLAMP: { level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 'bytes', platforms: LINUX, min: 0, doc: 'Upper bound on the advertised receive window.' },
  TCP_QUICKACK: { level: 'IPPROTO_TCP', kind: 'bool', access: 'rw', unit: 'flag', platforms: LINUX, doc: 'Send ACKs at once rather than delayed (not permanent: the kernel may leave quickack mode).' },
  TCP_INFO: { level: 'IPPROTO_TCP', kind: 'tcp_info', access: 'r', unit: 'struct', platforms: ['linux', 'darwin'], constant: { darwin: 'TCP_CONNECTION_INFO' }, doc: 'Live connection state: rtt, cwnd, retransmits, bytes acked… (see getTcpInfo and TcpInfo for each field’s unit; macOS: TCP_CONNECTION_INFO, fewer fields, units converted).' },
  TCP_CONGESTION: { level: 'IPPROTO_TCP', kind: 'string', access: 'rw', unit: 'name', platforms: ['linux', 'freebsd'], max: 15, doc: "Congestion control algorithm, e.g. 'cubic' or 'bbr' (see net.ipv4.tcp_available_congestion_control)." },
  TCP_USER_TIMEOUT: { level: 'IPPROTO_TCP', kind: 'uint', access: 'rw', unit: 'ms', platforms: LINUX, max: I32, doc: 'How long sent data may stay unacknowledged before the connection fails with ETIMEDOUT (0 = system default).' },
  TCP_NOTSENT_LOWAT: { level: 'IPPROTO_TCP', kind: 'uint', access: 'rw', unit: 'bytes', platforms: ['linux', 'darwin'], doc: 'Signal writability only while less than this much unsent data is queued.' },
  TCP_FASTOPEN: { scope: 'listener', level: 'IPPROTO_TCP', kind: 'int', access: 'rw', unit: 'count', platforms: ['linux', 'darwin', 'freebsd'], min: 0, doc: 'Listener: enable TCP Fast Open with this queue length of pending TFO requests. Set before listen().' },

  // ── IPPROTO_IP (ip(7)) ───────────────────────────────────────────────────
  IP_TOS: { level: 'IPPROTO_IP', kind: 'int', access: 'rw', unit: 'enum', platforms: ALL, min: 0, max: 255, doc: 'Type-of-service byte (DSCP << 2 | ECN) of outgoing IPv4 packets.' },
  IP_TTL: { level: 'IPPROTO_IP', kind: 'int', access: 'rw', unit: 'hops', platforms: ALL, min: -1, max: 255, doc: 'Time-to-live of outgoing IPv4 packets (-1 = system default).' },
  IP_MTU_DISCOVER: { level: 'IPPROTO_IP', kind: 'int', access: 'rw', unit: 'enum', platforms: LINUX, min: 0, doc: 'Path MTU discovery mode: constants.IP_PMTUDISC_DONT, _WANT, _DO or _PROBE.' },
  IP_MTU: { level: 'IPPROTO_IP', kind: 'int', access: 'r', unit: 'bytes', platforms: LINUX, doc: 'Current path MTU of a connected socket.' },
  IP_FREEBIND: { scope: 'bind', level: 'IPPROTO_IP', kind: 'bool', access: 'rw', unit: 'flag', platforms: LINUX, doc: 'Allow bind() to an address not (yet) configured on this host.' },
  IP_TRANSPARENT: { scope: 'bind', level: 'IPPROTO_IP', kind: 'bool', access: 'rw', unit: 'flag', platforms: LINUX, doc: 'Transparent proxying: bind to foreign addresses; needs CAP_NET_ADMIN or CAP_NET_RAW.' },
  IP_BIND_ADDRESS_NO_PORT: { scope: 'bind', level: 'IPPROTO_IP', kind: 'bool', access: 'rw', unit: 'flag', platforms: LINUX, doc: 'bind() to an address without reserving a port until connect() (more outgoing connections per source IP).' },
  IP_RECVERR: { level: 'IPPROTO_IP', kind: 'bool', access: 'rw', unit: 'flag', platforms: LINUX, doc: 'Queue extended ICMP errors on the socket’s error queue.' },
  IP_MULTICAST_TTL: { level: 'IPPROTO_IP', kind: 'int', access: 'rw', unit: 'hops', platforms: ALL, min: -1, max: 255, doc: 'TTL of outgoing multicast packets (-1 = default 1).' },
  IP_MULTICAST_LOOP: { level: 'IPPROTO_IP', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, doc: 'Loop outgoing multicast packets back to local listeners.' },

  // ── IPPROTO_IPV6 (ipv6(7)) ───────────────────────────────────────────────
  IPV6_V6ONLY: { scope: 'bind', level: 'IPPROTO_IPV6', kind: 'bool', access: 'rw', unit: 'flag', platforms: ALL, doc: 'IPv6 only: do not accept IPv4-mapped connections. Set before bind().' },
  IPV6_TCLASS: { level: 'IPPROTO_IPV6', kind: 'int', access: 'rw', unit: 'enum', platforms: ALL, min: -1, max: 255, doc: 'Traffic class (DSCP << 2 | ECN) of outgoing IPv6 packets (-1 = default).' },
  IPV6_UNICAST_HOPS: { level: 'IPPROTO_IPV6', kind: 'int', access: 'rw', unit: 'hops', platforms: ALL, min: -1, max: 255, doc: 'Hop limit of outgoing unicast IPv6 packets (-1 = route default).' },
  IPV6_MTU: { level: 'IPPROTO_IPV6', kind: 'int', access: 'rw', unit: 'bytes', platforms: LINUX, min: 0, doc: 'Path MTU of a connected socket; setting caps the MTU used.' },
  IPV6_RECVERR: { level: 'IPPROTO_IPV6', kind: 'bool', access: 'rw', unit: 'flag', platforms: LINUX, doc: 'Queue extended ICMPv6 errors on the socket’s error queue.' },
} as const satisfies Record<string, OptionSpec>;

export type Registry = typeof registry;
/** Every option name this library knows (whether or not this platform has it). */
export type OptionName = keyof Registry;
/** Options that can be read. */
export type ReadableOption = { [N in OptionName]: Registry[N]['access'] extends 'w' ? never : N }[OptionName];
/** Options that can be set. */
export type WritableOption = { [N in OptionName]: Registry[N]['access'] extends 'r' ? never : N }[OptionName];
/** What getsockopt returns for an option. */
export type OptionValue<N extends OptionName> = KindValue[Registry[N]['kind']];
/** What setsockopt accepts for an option (timeouts also accept 0 for "none"). */
export type OptionInput<N extends OptionName> = OptionValue<N>;
