// Socket birth: the one module that creates kernel sockets, sets options on them
// before connect()/bind(), hands them to Node, and closes what Node never took.
//
// Node does everything else itself — argument forms, validation, DNS, Happy Eyeballs,
// cluster, errors — and sockopt steps in at the one moment Node first needs a kernel
// socket, when the address family is known:
//   client  'connectionAttempt' (emitted right before each connect attempt, also per
//           autoSelectFamily attempt): a configured fd goes into the attempt's handle
//           (handle.open(fd), the call behind `new net.Socket({ fd })`).
//   server  server._listen2 (Node's documented-by-comment wrapping point, called after
//           its own normalisation, DNS and cluster decision): socket(), options, bind(),
//           then Node's own _listen2 with { fd }.
//   dgram   the handle's lookup callback (before Node's bind): the configured fd goes
//           into the handle, then Node binds it.
// Every fd made here is closed exactly once unless Node took it, and never touched again
// once its number may belong to another socket (an OwnedFd where that can happen later).
import type * as dgram from 'node:dgram';
import { fstatSync } from 'node:fs';
import * as net from 'node:net';
import { binding } from '../kernel/binding';
import { setPrepared } from '../core/batch';
import { notApplicable, systemError } from '../kernel/errors';
import { settleKeepAlive } from '../node/keepalive';
import { syncAdopted, type Prepared } from '../core/presocket';

/** An fd this library made: ours until handed to Node, closed at most once. */
export class OwnedFd {
  readonly fd: number;
  // The socket's inode: tells our socket from another one that got the same number.
  readonly #ino: number;
  #ours = true;

  constructor(fd: number) {
    this.fd = fd;
    this.#ino = inode(fd);
  }

  /** Node's handle now owns the fd (it closes it with the handle). */
  handOver(): void {
    this.#ours = false;
  }

  /** Closes the fd if it is still ours and still the same socket; later calls do nothing. */
  close(): void {
    if (!this.#ours) return;
    this.#ours = false;
    if (inode(this.fd) !== this.#ino) return; // Node closed it already (and the number may be reused)
    closeQuietly(this.fd);
  }
}

function inode(fd: number): number {
  try {
    return fstatSync(fd).ino;
  } catch {
    return -1;
  }
}

/** socket() plus every prepared option; on any refusal the fd is closed and the kernel's error thrown. */
export function openConfigured(family: 4 | 6, datagram: boolean, prepared: readonly Prepared[]): OwnedFd {
  const owned = new OwnedFd(binding.socket!(family, datagram));
  try {
    setAll(owned.fd, prepared);
    return owned;
  } catch (err) {
    owned.close();
    throw err;
  }
}

function setAll(fd: number, prepared: readonly Prepared[]): void {
  setPrepared(fd, prepared); // one native call for all of them (batch.ts); a refusal names the option
}

// Options whose whole effect happens at bind(): set after it, they would silently do nothing.
const BIND_TIME = new Set(['SO_REUSEADDR', 'SO_REUSEPORT', 'IP_FREEBIND', 'IP_TRANSPARENT', 'IP_BIND_ADDRESS_NO_PORT', 'IPV6_V6ONLY']);

// ---------------------------------------------------------------- clients

interface StreamHandle {
  fd?: number;
  open(fd: number): number;
  connect?(...args: unknown[]): number;
  connect6?(...args: unknown[]): number;
}
type Internal = { _handle: StreamHandle | null };

// 'connectionAttempt' exists from Node 20.12 / 21.6 on (engines allows 20.0): without it
// the options could never land, so arming is refused rather than silently ineffective.
const [MAJOR, MINOR] = process.versions.node.split('.').map(Number) as [number, number];
const ATTEMPT_EVENT = MAJOR > 21 || (MAJOR === 21 && MINOR >= 6) || (MAJOR === 20 && MINOR >= 12);

// Per-socket and per-handle state lives in symbol-keyed properties, not WeakMaps: every
// connection would otherwise add an entry to a long-lived WeakMap, and each such entry
// (an ephemeron) costs a slow write barrier and work in every young-generation GC
// (measured under perf on the HTTP benchmark: ≈ 3 µs per request for the policy's tables).
/** The options armed on a socket (the policy's own list, or a merged copy). */
const kArmed = Symbol('sockopt.armed');
/** On a handle that already holds a configured socket of ours: its attempt needs nothing. */
const kConfigured = Symbol('sockopt.configured');
type Armed = net.Socket & { [kArmed]?: readonly Prepared[] | undefined };
const isConfigured = (handle: object): boolean => (handle as { [kConfigured]?: true })[kConfigured] === true;

/**
 * From now on, every connect attempt of `socket` (made by whoever calls connect) uses a
 * socket with `prepared` set before its SYN. Arming twice merges (later values win).
 * A socket that already has its kernel socket gets the options at once (throws like setsockopt).
 */
export function armClient(socket: net.Socket, prepared: readonly Prepared[]): void {
  const fd = (socket as unknown as Internal)._handle?.fd ?? -1;
  if (fd >= 0) {
    // Connected, connecting, or a bound socket (Node 24 BoundSocket): the fd exists now.
    setAll(fd, prepared);
    syncAdopted(socket, prepared);
    return;
  }
  if (!ATTEMPT_EVENT && prepared.length) {
    throw notApplicable(`sockopts before the SYN on Node ${process.version}`, "Node emits 'connectionAttempt' from 20.12 and 21.6 on; upgrade Node, or set the options with setsockopt() after 'connect'");
  }
  const s = socket as Armed;
  const before = s[kArmed];
  if (before) {
    const names = new Set(prepared.map((p) => p.name));
    s[kArmed] = [...before.filter((p) => !names.has(p.name)), ...prepared];
    return;
  }
  s[kArmed] = prepared; // the policy's own list (never changed): batch.ts's compiled arguments fit every socket
  socket.on('connectionAttempt', onConnectionAttempt);
}

/** True when the socket's current handle holds a socket configured at its connect attempt (Node's cache synced then). */
export function configuredAtAttempt(socket: net.Socket): boolean {
  const handle = (socket as unknown as Internal)._handle;
  return handle !== null && handle !== undefined && isConfigured(handle);
}

/**
 * Undoes armClient for the attempts still to come: a process policy whose filter
 * declined the socket, or a unix-domain connection it cannot apply to (policy.ts).
 * Safe inside a 'connectionAttempt' listener that runs before ours.
 */
export function disarmClient(socket: net.Socket): void {
  (socket as Armed)[kArmed] = undefined;
  socket.off('connectionAttempt', onConnectionAttempt);
}

// Runs inside Node's internalConnect, right before handle.connect(): nothing here may
// throw (it would escape into a nextTick or DNS callback) or destroy the socket (Node
// calls the handle right after us).
function onConnectionAttempt(this: net.Socket, _address: string, _port: number, family: number): void {
  const prepared = (this as Armed)[kArmed];
  const handle = (this as unknown as Internal)._handle;
  if (!prepared || prepared.length === 0 || !handle || isConfigured(handle)) return;
  let error: Error | undefined;
  try {
    error = configureAttempt(handle, family, prepared);
    if (!error) {
      syncAdopted(this, prepared);
      settle(this, prepared);
    }
  } catch (err) {
    error = err as Error; // not expected; but never let it escape into Node's connect path
  }
  if (error) refuseAttempt(this, handle, error);
}

// Keepalive on with an idle time was just set and Node's cache synced to it: Node's
// replay of it at connect is skipped (keepalive.ts).
function settle(socket: net.Socket, prepared: readonly Prepared[]): void {
  let on = false;
  let idle: number | undefined;
  let interval: number | undefined;
  let count: number | undefined;
  for (const p of prepared) {
    if (p.name === 'SO_KEEPALIVE') on = p.native !== 0;
    else if (p.name === 'TCP_KEEPIDLE') idle = p.native as number;
    else if (p.name === 'TCP_KEEPINTVL') interval = p.native as number;
    else if (p.name === 'TCP_KEEPCNT') count = p.native as number;
  }
  if (on && idle !== undefined) settleKeepAlive(socket, idle, interval, count);
}

function configureAttempt(handle: StreamHandle, family: number, prepared: readonly Prepared[]): Error | undefined {
  if (typeof handle.open !== 'function') return notApplicable('sockopts on a socket over a caller\'s handle', 'that handle cannot adopt a socket');
  if (family !== 4 && family !== 6) {
    return notApplicable('sockopts on a unix-domain connection', 'Node creates that socket inside connect(), so nothing can be set before it; set SOL_SOCKET options with setsockopt() after \'connect\'');
  }
  if ((handle.fd ?? -1) >= 0) return configureBound(handle.fd!, prepared);
  return adopt(handle, family, prepared);
}

// Node bound this attempt's socket itself (localAddress/localPort): set what still has
// an effect, refuse what needed to come before bind().
function configureBound(fd: number, prepared: readonly Prepared[]): Error | undefined {
  const late = prepared.find((p) => BIND_TIME.has(p.name));
  if (late) {
    return notApplicable(
      `${late.name} on a socket Node bound before connecting (localAddress/localPort)`,
      'it must be set before bind(); use sockopt\'s connect() with localAddress, which binds the configured socket itself',
    );
  }
  try {
    setAll(fd, prepared);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

// A socket made, put into Node's handle (handle.open, the call behind `new net.Socket({ fd })`)
// and configured there, before any bind() or connect(). The options go on after open():
// libuv applies keepalive/nodelay flags that Node stored on a handle without a socket
// (setKeepAlive or setNoDelay called before the attempt) when it opens one, which would
// overwrite them. A socket the handle refused is closed here, in this same synchronous
// call (its number cannot have been reused: no OwnedFd, no fstat per connection); one
// the handle took is the handle's to close, also when an option is refused (the caller
// destroys the socket or reports the error on it).
function openInto(handle: { open(fd: number): number; fd?: number }, family: 4 | 6, datagram: boolean, prepared: readonly Prepared[]): Error | undefined {
  let fd: number;
  try {
    fd = binding.socket!(family, datagram);
  } catch (err) {
    return err as Error;
  }
  let rc: number;
  try {
    rc = handle.open(fd);
  } catch (err) {
    // An open() that threw after the handle took the fd (a patched one): the handle closes it.
    if (handle.fd !== fd) closeQuietly(fd);
    return err as Error;
  }
  if (rc !== 0) {
    closeQuietly(fd);
    return systemError(rc, 'open');
  }
  try {
    setAll(fd, prepared);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

function closeQuietly(fd: number): void {
  try {
    binding.close!(fd);
  } catch {
    /* EBADF/EIO on close: the fd is gone either way */
  }
}

function adopt(handle: StreamHandle, family: 4 | 6, prepared: readonly Prepared[]): Error | undefined {
  const err = openInto(handle, family, false, prepared);
  if (!err) (handle as { [kConfigured]?: true })[kConfigured] = true;
  return err;
}

// The attempt must not send a SYN without its options: this handle's connect does
// nothing, and the socket is destroyed with the reason on the next tick (Node emits it
// as 'error'). Node's own connect error would name the wrong cause.
function refuseAttempt(socket: net.Socket, handle: StreamHandle, error: Error): void {
  const refuse = (): number => 0;
  Object.assign(handle, { connect: refuse, connect6: refuse });
  process.nextTick(() => socket.destroy(error));
}

/**
 * sockopt's connect() with localAddress: Node would bind its own socket before any
 * attempt, so the configured socket is put into the handle now (the family is the
 * local address's) and Node binds and connects that one.
 */
export function adoptNow(socket: net.Socket, family: 4 | 6, prepared: readonly Prepared[]): void {
  const handle = (socket as unknown as Internal)._handle;
  if (!handle || (handle.fd ?? -1) >= 0 || prepared.length === 0) return;
  const error = adopt(handle, family, prepared);
  if (error) refuseAttempt(socket, handle, error);
  else syncAdopted(socket, prepared);
}

// ---------------------------------------------------------------- servers

/** What one listen() call asked for, consumed by the _listen2 it leads to. */
export interface ListenPlan {
  prepared: readonly Prepared[];
  /** Only on an IPv6 socket (Node's ipv6Only): IPV6_V6ONLY. */
  prepared6: readonly Prepared[];
  /** server._listeningId of the listen() call; a close() or newer listen() changes it. */
  listeningId?: number;
}

interface ServerInternal {
  _handle: unknown;
  _listeningId: number;
  _connectionKey?: string;
  _listen2(address: string | null, port: number | null, addressType: number | null, backlog: number | undefined, fd?: number, flags?: number): void;
  emit(event: string, ...args: unknown[]): boolean;
}

const nodeListen2 = (net.Server.prototype as unknown as ServerInternal)._listen2;
const plans = new WeakMap<object, ListenPlan>();

/** The next _listen2 of this server (for the listen() call just made) builds its socket here. */
export function planListen(server: net.Server, plan: ListenPlan): void {
  plans.set(server, plan);
  if (!Object.prototype.hasOwnProperty.call(server, '_listen2')) (server as unknown as ServerInternal)._listen2 = configuredListen2;
}

/** Stamps the plan with the id of the listen() call that was just made (or drops it if that call threw). */
export function commitPlan(server: net.Server, ok: boolean): void {
  const plan = plans.get(server);
  if (!plan) return;
  if (ok) plan.listeningId = (server as unknown as ServerInternal)._listeningId;
  else plans.delete(server);
}

function configuredListen2(this: ServerInternal, ...args: Parameters<ServerInternal['_listen2']>): void {
  const [address, port, addressType, backlog, fd, flags] = args;
  const plan = plans.get(this);
  plans.delete(this);
  // Not ours to build: a handle from the cluster primary or IPC, a caller's fd, a pipe,
  // or a listen() this plan was not made for.
  // listeningId is still unset when Node calls us from inside the listen() call itself (no host: no DNS).
  const current = plan !== undefined && (plan.listeningId === undefined || plan.listeningId === this._listeningId);
  if (!current || this._handle || (typeof fd === 'number' && fd >= 0) || addressType === -1) {
    return nodeListen2.apply(this, args);
  }
  // Node's rule for no address: IPv6 '::' when it works at all, else IPv4 '0.0.0.0'.
  const tries: [string, 4 | 6][] = address ? [[address, addressType === 6 ? 6 : 4]] : [['::', 6], ['0.0.0.0', 4]];
  let owned: OwnedFd | undefined;
  let error: unknown;
  let bound: [string, 4 | 6] = tries[0]!;
  for (const t of tries) {
    bound = t;
    try {
      owned = openConfigured(t[1], false, t[1] === 6 ? [...plan.prepared, ...plan.prepared6] : plan.prepared);
    } catch (err) {
      error = err;
      continue;
    }
    try {
      binding.bind!(owned.fd, t[0], port ?? 0);
      break;
    } catch (err) {
      owned.close();
      owned = undefined;
      // Node reports a failed bind as its listen() failing, with address and port.
      const e = err as { errno?: number };
      error = typeof e.errno === 'number' ? systemError(e.errno, 'listen', t[0], port) : err;
    }
  }
  if (!owned) {
    process.nextTick(() => this.emit('error', error));
    return;
  }
  nodeListen2.call(this, null, null, null, backlog, owned.fd, flags);
  if (this._handle) {
    owned.handOver();
    this._connectionKey = `${bound[1]}:${bound[0]}:${port}`; // what Node's own bind path records
  } else {
    owned.close(); // Node emits its error; the fd is closed if Node had not taken it
  }
}

// ---------------------------------------------------------------- dgram

interface UdpHandle {
  fd?: number;
  open(fd: number): number;
  lookup(address: string, callback: (err: Error | null, ...rest: unknown[]) => void): unknown;
}

let dgramState: symbol | undefined;
function udpHandle(socket: dgram.Socket): UdpHandle | null {
  dgramState ??= Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  return (dgramState && (socket as unknown as Record<symbol, { handle: UdpHandle | null } | undefined>)[dgramState]?.handle) || null;
}

const udpPlans = new WeakMap<object, readonly Prepared[]>();
const hookedUdp = new WeakSet<object>();

/**
 * The next bind() of this dgram socket adopts a socket configured with `prepared`:
 * in the handle's lookup callback, before Node binds. Returns false when the socket is
 * already closed (Node's own bind() then throws its error).
 */
export function planBind(socket: dgram.Socket, prepared: readonly Prepared[]): void {
  const handle = udpHandle(socket);
  if (!handle) return;
  const family: 4 | 6 = (socket as unknown as { type: string }).type === 'udp6' ? 6 : 4;
  udpPlans.set(handle, prepared);
  if (hookedUdp.has(handle)) return;
  hookedUdp.add(handle);
  const lookup = handle.lookup;
  handle.lookup = function configuredLookup(address, callback) {
    return lookup.call(this, address, (err, ...rest) => {
      const planned = udpPlans.get(handle);
      udpPlans.delete(handle);
      // Node's callback ignores a handle closed meanwhile; so do we (no fd is made).
      if (err || !planned || udpHandle(socket) !== handle) return callback(err, ...rest);
      callback(adoptUdp(handle, family, planned) ?? null, ...rest);
    });
  };
}

/** Forget the plan of a bind() that threw synchronously. */
export function dropBindPlan(socket: dgram.Socket): void {
  const handle = udpHandle(socket);
  if (handle) udpPlans.delete(handle);
}

function adoptUdp(handle: UdpHandle, family: 4 | 6, prepared: readonly Prepared[]): Error | undefined {
  // A bind that failed earlier left Node's handle with our socket: configure it again.
  if ((handle.fd ?? -1) >= 0) {
    try {
      setAll(handle.fd!, prepared);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }
  return openInto(handle, family, true, prepared);
}
