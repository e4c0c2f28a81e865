// Which JavaScript runtime loaded sockopt (Node, Bun or Deno) and what each one lets it do.
// Bun and Deno both load the addon and run node:net/node:tls/node:dgram, but neither
// gives the hooks sockopt's socket birth and before-the-SYN policy use on Node (a stream
// handle that adopts an fd at 'connectionAttempt', Server#_listen2, the UDP handle's
// lookup). What they lack is refused here with ERR_SOCKOPT_RUNTIME, naming the runtime
// and what does work there, never left to do nothing. The versions checked and what
// each runtime lacks: docs/runtimes.md (test/runtimes/). Bun's accepted sockets: channels.ts.
import { readdirSync, readlinkSync } from 'node:fs';
import { binding } from '../kernel/binding';
import { noFd, runtimeUnsupported } from '../kernel/errors';

export type RuntimeName = 'node' | 'bun' | 'deno';

const versions = process.versions as Record<string, string | undefined>;

/** The runtime this process is. Bun and Deno both present a Node-like process.version. */
export const RUNTIME: RuntimeName = typeof versions.bun === 'string' ? 'bun' : typeof versions.deno === 'string' ? 'deno' : 'node';

/** 'Node v20.20.2', 'Bun 1.4.4', 'Deno 2.9.6'. */
export const RUNTIME_LABEL = RUNTIME === 'bun' ? `Bun ${versions.bun}` : RUNTIME === 'deno' ? `Deno ${versions.deno}` : `Node ${process.version}`;

/**
 * Options before the SYN or bind (arm, connect with sockopts, listen/createServer/bindDgram
 * with sockopts, a client policy's options at its connect attempts): Node only.
 */
export const BIRTH_HOOKS = RUNTIME === 'node';

/** What works on Bun and Deno, said in every refusal. */
const WORKS =
  'getsockopt/setsockopt/setsockopts/getTcpInfo/snapshot on node:net, node:tls and node:dgram sockets once connected, listening or bound; ' +
  "tuneSockets with options that take effect after the handshake (set at 'connect' and on accepted sockets); trackConnections";

/** Refuses a birth feature (options before the SYN or bind) on Bun and Deno. */
export function requireBirthHooks(what: string): void {
  if (BIRTH_HOOKS) return;
  throw runtimeUnsupported(
    `${what} on ${RUNTIME_LABEL}`,
    `${RUNTIME_LABEL}'s node:net gives no hook to put options on a socket before its SYN or bind (no handle that adopts a socket at 'connectionAttempt', no Server#_listen2 on an fd), ` +
      `so they would silently not be set; set them with setsockopt() after 'connect' or 'listening'. What works there: ${WORKS}`,
  );
}

/**
 * Options a policy may set on a connected or accepted socket with the same effect as
 * before its SYN (on Bun and Deno a client policy is applied at 'connect'). Anything else
 * (TCP_SYNCNT, TCP_MAXSEG, SO_RCVBUF's window scale, SO_MARK/SO_BINDTODEVICE routing of
 * the SYN, bind-time options…) is refused at tuneSockets()/register time there.
 */
export const AFTER_CONNECT_OPTIONS: ReadonlySet<string> = new Set([
  'SO_KEEPALIVE',
  'TCP_KEEPIDLE',
  'TCP_KEEPINTVL',
  'TCP_KEEPCNT',
  'TCP_USER_TIMEOUT',
  'TCP_NODELAY',
  'TCP_CORK',
  'TCP_QUICKACK',
  'TCP_NOTSENT_LOWAT',
  'TCP_CONGESTION',
  'TCP_THIN_LINEAR_TIMEOUTS',
  'SO_LINGER',
  'SO_RCVTIMEO',
  'SO_SNDTIMEO',
  'SO_SNDBUF',
  'SO_PRIORITY',
  'SO_RCVLOWAT',
]);

/** A client policy's options that only act before the SYN: refused on Bun and Deno. */
export function refuseBeforeSynOptions(names: readonly string[], path: string): void {
  if (BIRTH_HOOKS) return;
  const bad = names.filter((n) => !AFTER_CONNECT_OPTIONS.has(n));
  if (bad.length === 0) return;
  throw runtimeUnsupported(
    `${path}: ${bad.join(', ')} on ${RUNTIME_LABEL}`,
    `a client policy is applied at 'connect' there (${RUNTIME_LABEL} gives no hook before the SYN), where ${bad.length === 1 ? 'this option' : 'these options'} would not act as asked; ` +
      `a client policy there takes ${[...AFTER_CONNECT_OPTIONS].join(', ')} (keepAlive, userTimeout, deadPeerTimeout). What works there: ${WORKS}`,
  );
}

let fetchWarned = false;
/**
 * A client policy on Bun or Deno reaches node:net and node:tls sockets only: the runtime's
 * own fetch() (Bun's and Deno's, native) and Bun.connect/Deno.connect never pass through
 * node:net. Said once per process, as a warning with a code, not left to be found out.
 */
export function warnUnreachedClients(): void {
  if (BIRTH_HOOKS || fetchWarned) return;
  fetchWarned = true;
  process.emitWarning(
    `sockopt: on ${RUNTIME_LABEL} a client policy reaches node:net/node:tls sockets (and what is built on them: http, https, database clients), applied at 'connect'; ` +
      `the runtime's own fetch() and ${RUNTIME === 'bun' ? 'Bun.connect' : 'Deno.connect'} do not go through node:net and are not tuned`,
    { code: 'SOCKOPT_RUNTIME_CLIENTS', type: 'SockoptWarning' },
  );
}

// ---------------------------------------------------------------- Deno: the fd behind a socket

// Deno's node:net/tls/dgram sockets run on handles (TCPWrap, TLSWrap, UDP) backed by its
// resource table, with no `fd`. The kernel socket is still one of this process's fds: it
// is found by what the kernel says about each socket fd in /proc/self/fd (SO_TYPE,
// getsockname, getpeername, in one native crossing) against the addresses the JS socket
// reports. A match is accepted only if exactly one kernel socket (one inode) fits; the fd
// found last is used again only while it still names that inode (never on its number alone).
// Deno's TCPWrap also has fdForIpc(), but it returns a new dup() on every call (each one
// keeps the connection open until closed) and fails with EBADF on TLS servers and UDP.

const SOL_SOCKET = binding.constants.SOL_SOCKET ?? 1;
const SO_TYPE = binding.constants.SO_TYPE ?? 3;
const SPECS = new Int32Array([SOL_SOCKET, SO_TYPE, 0]);
const nums = new Float64Array(1);
const errs = new Int32Array(1);
const wide = new BigUint64Array(1);
const names = new Int32Array(6);
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;

/** What must match: the socket type, the local address and port, and the peer's (null: must have none). */
export interface Endpoint {
  type: 'stream' | 'dgram';
  localAddress: string;
  localPort: number;
  remoteAddress: string | null;
  remotePort: number | null;
}

const kLastFd = Symbol('sockopt.denoFd');
const kLastLink = Symbol('sockopt.denoSocketInode');

function linkOf(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

// '::ffff:127.0.0.1' and '127.0.0.1' name the same IPv4 peer on a dual-stack socket.
function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function matches(fd: number, want: Endpoint): boolean {
  let texts: string[];
  try {
    texts = binding.readOptions(fd, SPECS, nums, errs, wide, names);
  } catch {
    return false;
  }
  if (errs[0] !== 0 || nums[0] !== (want.type === 'stream' ? SOCK_STREAM : SOCK_DGRAM)) return false;
  if (names[2] !== 0 || names[1] !== want.localPort || plain(texts[0] ?? '') !== plain(want.localAddress)) return false;
  if (want.remoteAddress === null) return names[5] !== 0; // no peer: getpeername must fail (ENOTCONN)
  return names[5] === 0 && names[4] === want.remotePort && plain(texts[1] ?? '') === plain(want.remoteAddress);
}

/** The fd of `owner`'s kernel socket on Deno; `what` names it in errors ('socket', 'server', 'dgram socket'). */
export function denoFd(owner: object, what: string, want: Endpoint | null): number {
  if (want === null || !want.localPort) {
    throw noFd(what, `on ${RUNTIME_LABEL} a ${what} is found by its addresses, and it has none yet; wait for 'connect' (a server: 'listening', a dgram socket: 'listening' after bind())`);
  }
  // The fd found last for this socket is used again while it still names the same kernel
  // socket (its /proc/self/fd link, 'socket:[inode]', unchanged): that also holds when
  // the kernel no longer reports a peer (getpeername fails in CLOSE state, as in
  // _destroy after the peer closed), where an address match would find nothing.
  const o = owner as { [kLastFd]?: number; [kLastLink]?: string };
  const last = o[kLastFd];
  if (last !== undefined && linkOf(last) === o[kLastLink]) return last;
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    throw noFd(what, `on ${RUNTIME_LABEL} sockopt finds a socket's fd through /proc/self/fd, which cannot be read here`);
  }
  let found = -1;
  let inode = '';
  for (const entry of entries) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${entry}`);
    } catch {
      continue; // closed meanwhile (readdir's own fd is among them)
    }
    if (!link.startsWith('socket:[')) continue;
    const fd = Number(entry);
    if (!matches(fd, want)) continue;
    if (found >= 0 && link !== inode) {
      throw noFd(what, `on ${RUNTIME_LABEL} two kernel sockets have its addresses (SO_REUSEPORT?), so sockopt cannot tell which one it is`);
    }
    if (found < 0) {
      found = fd;
      inode = link;
    }
  }
  if (found < 0) {
    throw noFd(what, `on ${RUNTIME_LABEL} no kernel socket of this process has its addresses (${want.localAddress}:${want.localPort}); it may be closing`);
  }
  o[kLastFd] = found;
  o[kLastLink] = inode;
  return found;
}

/** A Deno net/tls socket's endpoint, from what it reports (null while it has no local address). */
export function denoStreamEndpoint(sock: { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number }): Endpoint | null {
  if (typeof sock.localAddress !== 'string' || typeof sock.localPort !== 'number') return null;
  return {
    type: 'stream',
    localAddress: sock.localAddress,
    localPort: sock.localPort,
    remoteAddress: typeof sock.remoteAddress === 'string' ? sock.remoteAddress : null,
    remotePort: typeof sock.remotePort === 'number' ? sock.remotePort : null,
  };
}

/** A Deno net.Server's or dgram socket's endpoint (address()), or null when it has none. */
export function denoBoundEndpoint(target: { address(): unknown; remoteAddress?: () => unknown }, type: 'stream' | 'dgram'): Endpoint | null {
  let a: unknown;
  try {
    a = target.address();
  } catch {
    return null; // a dgram socket before bind() throws ERR_SOCKET_DGRAM_NOT_RUNNING
  }
  if (a === null || typeof a !== 'object') return null; // a server on a path, or not listening
  const { address, port } = a as { address?: unknown; port?: unknown };
  if (typeof address !== 'string' || typeof port !== 'number') return null;
  const remote = type === 'dgram' ? peerOf(target) : null;
  return {
    type,
    localAddress: address,
    localPort: port,
    remoteAddress: remote && typeof remote.address === 'string' ? remote.address : null,
    remotePort: remote && typeof remote.port === 'number' ? remote.port : null,
  };
}

// A dgram socket's connected peer; null when it has none (remoteAddress() throws ERR_SOCKET_DGRAM_NOT_CONNECTED).
function peerOf(target: { remoteAddress?: () => unknown }): { address?: unknown; port?: unknown } | null {
  if (typeof target.remoteAddress !== 'function') return null;
  try {
    const r = target.remoteAddress();
    return r !== null && typeof r === 'object' ? (r as { address?: unknown; port?: unknown }) : null;
  } catch {
    return null;
  }
}
