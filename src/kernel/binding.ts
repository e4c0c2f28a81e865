// The one place that loads the addon and types its native surface.
// The option calls take (fd, level, optname, …) and make exactly one syscall;
// validation of names, units and ranges happens in TypeScript before the call.
import { join } from 'node:path';
import type { ConnectionInfoLayout } from './tcp-info-types';

/** The native module as compiled for this platform. */
export interface Binding {
  /** getsockopt into a C int (a 1-byte answer is widened). */
  getInt(fd: number, level: number, optname: number): number;
  /** setsockopt from a C int. */
  setInt(fd: number, level: number, optname: number, value: number): void;
  /**
   * One get(fd, id) and one set(fd, id, value) for a table of int-sized options
   * ([level, optname, kind]*, kind from `kinds.int`; id = the entry's index). What getsockopt and
   * setsockopt call for every int, uint and bool option: one native function whatever the
   * option, so a caller that reads many options makes a direct (monomorphic) call.
   */
  bindTable(table: Int32Array): [get: (fd: number, id: number) => number | boolean, set: (fd: number, id: number, value: number) => void];
  /**
   * Sets `count` options in one crossing: plan [level, optname, kind]* with kind from
   * `kinds.batch` (a string's values[i] indexes `strings`); NaN = null.
   * Checks every entry first; stops at the first refusal, whose error carries `index`.
   */
  setMany(fd: number, count: number, plan: Int32Array, values: Float64Array, strings?: (string | Uint8Array)[]): void;
  /** struct timeval as milliseconds; `null` when zero (no timeout). */
  getTimeval(fd: number, level: number, optname: number): number | null;
  /** Milliseconds (fractions become microseconds) or `null`/0 for no timeout. */
  setTimeval(fd: number, level: number, optname: number, ms: number | null): void;
  /** struct linger as seconds; `null` when lingering is off. */
  getLinger(fd: number, level: number, optname: number): number | null;
  setLinger(fd: number, level: number, optname: number, seconds: number | null): void;
  /** A NUL-terminated string option (at most 255 bytes). */
  getString(fd: number, level: number, optname: number): string;
  setString(fd: number, level: number, optname: number, value: string): void;
  /** An unsigned 64-bit option. */
  getU64(fd: number, level: number, optname: number): bigint;
  /** Raw bytes: a Buffer of exactly the length the kernel returned (asks for `length`). */
  getBuffer(fd: number, level: number, optname: number, length: number): Buffer;
  setBuffer(fd: number, level: number, optname: number, value: ArrayBufferView): void;
  /** Raw read into the view's bytes (at most 1 MiB of them); returns how many the kernel wrote. */
  getInto(fd: number, level: number, optname: number, buffer: ArrayBufferView): number;
  /**
   * Registers, once per environment, the arrays getTcpInfo/decodeTcpInfo fill (one slot per tcpInfoFields entry; NaN = not
   * covered; `narrow`: each field as a uint32, a 64-bit one only below 0xffffffff) and where getTcpInfoNames puts addresses.
   */
  setTcpInfoOutput?(values: Float64Array, wide: BigUint64Array, names?: Int32Array, narrow?: Uint32Array): void;
  /** TCP_INFO (Linux only): fills the registered arrays, returns the bytes the kernel returned. */
  getTcpInfo?(fd: number): number;
  /**
   * TCP_INFO into the registered arrays and, with `names` 1, both addresses into the
   * registered names array (socketNames' layout; slot 0 is -1 when getsockname failed),
   * in one crossing. Returns TCP_INFO's length, or -errno when that read failed (no throw).
   */
  getTcpInfoNames?(fd: number, names: 0 | 1): number;
  /** The same decoding on given bytes (any view, SharedArrayBuffer-backed too; a detached one throws ERR_INVALID_ARG_VALUE); returns their length. */
  decodeTcpInfo?(buffer: ArrayBufferView): number;
  /** [name, unit, since, endOffset, is64] per decoded field, header fields first. */
  readonly tcpInfoFields?: readonly [string, string, string, number, boolean][];
  /** macOS: TCP_CONNECTION_INFO's option number, sizeof and member layout ([offset, size]) of struct tcp_connection_info as the SDK compiles it. */
  readonly tcpConnectionInfo?: { readonly optname: number; readonly size: number; readonly layout: ConnectionInfoLayout };
  /** sizeof the addon's struct tcp_info (280). */
  readonly tcpInfoSize?: number;
  /**
   * Everything snapshot() reads but TCP_INFO in one crossing: per spec [level, optname, kind]
   * (0 int, 1 timeval as ms, 2 linger as seconds or NaN when off, 3 string, 4 uint64),
   * errs[i] = errno (0 = read), the value in nums[i] or wide[i]; returns the string options'
   * values in spec order, then the local and peer address texts ([family, port, errno] × 2 in names).
   */
  readOptions(fd: number, specs: Int32Array, nums: Float64Array, errs: Int32Array, wide: BigUint64Array, names: Int32Array): string[];
  /** SO_PEERCRED (Linux); null when the socket has no peer process (the kernel answers pid 0, uid/gid -1). */
  getPeerCred?(fd: number): { pid: number; uid: number; gid: number } | null;
  /** A new TCP (or UDP) socket fd, close-on-exec, not yet owned by Node (POSIX only). */
  socket?(family: 4 | 6, datagram: boolean): number;
  /** bind() to an IP literal and port. */
  bind?(fd: number, address: string, port: number): void;
  /** close() an fd this library created and Node never adopted. */
  close?(fd: number): void;
  /** Ends this process at once with `code` (0-255): no exit handlers, no destructors (the `sockopt` command only: src/node/stuck-lookup.ts). */
  exitNow(code: number): never;
  /** Whether this process is in the foreground process group of its controlling terminal (false without one; POSIX). */
  terminalForeground?(): boolean;
  /** pidfd_open(2) (Linux >= 5.3): a close-on-exec fd pinning process `pid`. */
  pidfdOpen?(pid: number): number;
  /** pidfd_getfd(2) (Linux >= 5.6): this process's own copy of fd `targetfd` of the pidfd's process; needs ptrace-attach rights. Close it. */
  pidfdGetfd?(pidfd: number, targetfd: number): number;
  /** The sockets of /proc/PID/fd in fd order with the inode each link names, in one crossing (Linux); throws the errno of opening the directory (syscall 'scandir') or of reading a link (syscall 'readlink'; ENOENT, an fd closed meanwhile, is left out). */
  socketFds?(pid: number): { fds: Int32Array; inodes: Float64Array };
  /** socketFds(pid) begun on a native thread; socketFdsFinish waits for it, once. */
  socketFdsStart?(pid: number): FdListing;
  socketFdsFinish?(listing: FdListing): { fds: Int32Array; inodes: Float64Array };
  /** A NETLINK_SOCK_DIAG socket (Linux), in this network namespace (nsfd -1) or in the one of an open /proc/PID/ns/net (needs CAP_SYS_ADMIN there). Close it. */
  diagSocket?(nsfd: number): number;
  /** One sock_diag dump (Linux): what 0 inet (family, protocol), 1 unix, 2 netlink, 3 packet; inode > 0 keeps that socket only; flags 1 leaves TCP_INFO out, 2 packs the messages (see diagRecord, kernel/inet-diag.ts), 4 (with 2, TCP) keeps a connected TCP socket's index entry only, [inode, interface, state | 0x100], its record asked for by id (see diagExact). Records as native/sockdiag_linux.cc builds them. */
  diagDump?(nlfd: number, what: number, family: number, protocol: number, inode: number | Uint32Array, flags?: number): object[];
  /** The current records of the inet messages at `offsets` of `bytes` (a packed dump's, or ones written from sockets' own reads: family, id with cookie, inode), asked for by id and cookie and kept where the answer's inode is the message's, packed as diagDump flags 2 gives them; sockets not found are left out. protocol IPPROTO_TCP or IPPROTO_UDP; flags 1 leaves TCP_INFO out; `into`: written there instead (`used` bytes; records that do not fit left out) (Linux). */
  diagExact?(nlfd: number, protocol: number, bytes: Uint8Array, offsets: Uint32Array, flags?: number, into?: Buffer): { bytes: Buffer; index: Uint32Array; used?: number };
  /** The record of the message at `offset` of a packed dump's bytes (diagDump flags 2 gives { bytes, index: [inode, offset, state]* }, the index sorted by inode), as diagDump would have built it (Linux). */
  diagRecord?(what: number, bytes: Uint8Array, offset: number): object;
  /** Where each field of an inet sock_diag message sits (bytes from its nlmsghdr) and the INET_DIAG_* attribute numbers, from the system headers (Linux); read by kernel/inet-diag.ts. */
  readonly diagInetLayout?: Readonly<Record<'family' | 'state' | 'timer' | 'retrans' | 'sport' | 'dport' | 'src' | 'dst' | 'ifindex' | 'cookie' | 'expires' | 'rqueue' | 'wqueue' | 'uid' | 'inode' | 'attrs' | 'rtaHeader' | 'skmemVars' | 'bbrSize' | 'bbrBwLo' | 'bbrBwHi' | 'bbrMinRtt' | 'bbrPacingGain' | 'bbrCwndGain' | 'INFO' | 'SKMEMINFO' | 'CONG' | 'SHUTDOWN' | 'TOS' | 'TCLASS' | 'SKV6ONLY' | 'MARK' | 'CLASS_ID' | 'PROTOCOL' | 'CGROUP_ID' | 'BBRINFO' | 'SOCKOPT' | 'sockoptSize', number> & { sockoptBits: Readonly<Record<'recverr' | 'freebind' | 'mcLoop' | 'transparent' | 'bindAddressNoPort', number>> }>;
  /** The kernel's protocol name of socket `inode` ('TCP', 'UNIX-STREAM', 'NETLINK'…) through the system.sockprotoname xattr of a path such as /proc/PID/fd/N (Linux); null when the path does not name that inode before and after the read (the fd now holds another socket). */
  sockProtoName?(path: string, inode: number): string | null;
  /**
   * Both addresses of an IP socket in one crossing (POSIX), into `out` (12 slots): [4 | 6 | 0
   * (not IP), local port, peer port, peer errno (0 = read), local address bytes (slots 4–7),
   * peer address bytes (slots 8–11)], network order; kernel/ip-text.ts makes the text. On
   * Linux the peer comes from SO_PEERNAME, which still answers once the connection was reset
   * or timed out. Throws the system error of getsockname (EBADF, ENOTSOCK).
   */
  socketNames?(fd: number, out: Int32Array): void;
  /**
   * Many fds of the pidfd's process read in one call (Linux >= 5.6, ptrace-attach rights):
   * row k of every output belongs to fds[k], which is duplicated (pidfd_getfd), checked to
   * be inodes[k], read and closed. Per slot of `specs` ([level, optname, kind]: readOptions'
   * kinds, and 5 raw bytes) errs and nums/wide as readOptions gives them; string and bytes
   * slots hold their length in nums and their bytes in the row's text cell. The meta row
   * (readDuplicatesLayout.meta) holds the getfd and fstat errnos, both addresses, TCP_INFO's
   * errno and length, SO_PEERCRED and, with flags[k] bit 0, the byte queues. `threads`
   * (1–16) split the rows. `ring` (default false): each thread reads the SOL_SOCKET slots
   * through an io_uring of its own where the kernel has one (Linux ≥ 6.7); the answers are
   * the same, in one kernel crossing per run of rows instead of a syscall each.
   */
  readDuplicates?(pidfd: number, fds: Int32Array, inodes: Float64Array, flags: Int32Array, specs: Int32Array, nums: Float64Array, errs: Int32Array, wide: BigUint64Array, meta: Int32Array, text: Uint8Array, threads: number, ring?: boolean): void;
  /**
   * readDuplicates begun on a thread of its own: returns at once with a job holding copies
   * of the inputs (and of the pidfd), whose rows readDuplicatesFinish waits for. `reuse`:
   * a finished job whose row memory this one takes over when it is large enough (fresh
   * memory costs a page fault per page).
   */
  readDuplicatesStart?(pidfd: number, fds: Int32Array, inodes: Float64Array, flags: Int32Array, specs: Int32Array, threads: number, ring?: boolean, reuse?: DuplicatesJob | null): DuplicatesJob;
  /** Waits for a job's thread and copies its rows into arrays laid out as readDuplicates' (once per job). */
  readDuplicatesFinish?(job: DuplicatesJob, nums: Float64Array, errs: Int32Array, wide: BigUint64Array, meta: Int32Array, text: Uint8Array): void;
  /**
   * readDuplicates' row layout. meta: the first index of each group ([errno] getfd and stat;
   * [family, port, errno, text length] local and peer; [errno, length] tcpInfo; [errno, pid,
   * uid, gid, no peer] cred; [inq, errno, outq, errno] queues; the local and the peer IP
   * address's 16 bytes, as sock_diag ids hold them, localId and peerId) and the row size. cells: the
   * bytes each text cell takes; a row's text is its string and bytes slots' cells in slot
   * order, then the local address, the peer address and TCP_INFO.
   */
  readonly readDuplicatesLayout?: Readonly<{
    meta: Readonly<{ getfd: number; stat: number; local: number; peer: number; tcpInfo: number; cred: number; queues: number; localId: number; peerId: number; size: number }>;
    cells: Readonly<{ string: number; bytes: number; address: number; tcpInfo: number }>;
    maxThreads: number;
    /**
     * Given group g is bit (givenShift + g) of a slot's kind; a row whose flags have bit
     * (1 + g) leaves that slot unread (errs -1). Group 0 also leaves the addresses unread and
     * takes the family and protocol from the row's flags bits 8..15 and 16..23.
     */
    givenShift: number;
    /** A row flag: its addresses are read even with group 0 given (its record is asked for by the id they give). */
    rowAddresses: number;
    /**
     * Bits of a slot's kind for an option the caller's view never shows: `always` leaves it
     * unread on every row, `onTcp` on TCP and MPTCP rows only; its errs is then `errno`.
     */
    omitted: Readonly<{ always: number; onTcp: number; errno: number }>;
  }>;
  /** SIOCINQ and SIOCOUTQ (Linux): writes [inq bytes, errno, outq bytes, errno] into `out` (4 slots). */
  socketQueues?(fd: number, out: Int32Array): void;
  /** Levels and option numbers compiled from this platform's headers. */
  readonly constants: Readonly<Record<string, number>>;
  /** The value kinds and limits of bindTable and setMany (native/kinds.h): the one source of these numbers. */
  readonly kinds: Readonly<{
    int: Readonly<{ int: number; uint: number; bool: number }>;
    batch: Readonly<{ int: number; timeval: number; linger: number; string: number }>;
    maxBatchEntries: number;
    maxBatchStrings: number;
  }>;
  /** sizeof() of the structs the codecs use. */
  readonly sizes: Readonly<{ int: number; timeval: number; linger: number }>;
}

/** A batch read under way (readDuplicatesStart): opaque, handed back to readDuplicatesFinish. */
export type DuplicatesJob = object & { readonly __duplicatesJob: unique symbol };
/** A listing of a process's socket fds under way (socketFdsStart). */
export type FdListing = object & { readonly __fdListing: unique symbol };

/** A socket address as the native layer reports it. */
export type SocketAddress =
  | { family: 'IPv4' | 'IPv6'; address: string; port: number }
  | { family: 'unix'; path: string }
  | { family: 'netlink'; portid: number; group?: number }
  | { family: number };

function load(): Binding {
  const root = join(__dirname, '..', '..'); // lib/kernel → the package root
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-gyp-build')(root) as Binding;
  } catch (cause) {
    throw new Error(
      `sockopt: could not load the native addon for ${process.platform}-${process.arch} ` +
        `(Node ${process.version}, N-API ${process.versions.napi}). Looked in ${root}/prebuilds and ${root}/build. ` +
        'Rebuild it with `npm rebuild sockopt` (needs python3, make and a C++ compiler).',
      { cause },
    );
  }
}

export const binding: Binding = load();
