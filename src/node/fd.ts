// The one place that turns a socket object into a file descriptor. It runs on
// every call and never caches: the kernel hands a closed fd's number to the
// next socket at once, so a stale number would silently hit another socket.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { invalidArgType, noFd, outOfRange, socketClosed, socketSentAway } from '../kernel/errors';
import { dgramStateSymbol } from './dgram-handle';
import { RUNTIME, denoBoundEndpoint, denoFd, denoStreamEndpoint } from './runtime';
import { BoundSocket } from './versions';

/** Anything sockopt can find a socket's file descriptor in. */
export type SocketLike =
  | net.Socket // also tls.TLSSocket, and an http2 session's socket proxy
  | net.Server // also tls.Server, http.Server, https.Server once listening
  | dgram.Socket
  | { readonly socket: net.Socket | null } // http/https requests and responses, http2 sessions
  | { fd(): number } // net.BoundSocket (Node 24+): bound, not yet adopted by a server or socket
  | number; // a raw file descriptor

interface Handle {
  fd?: number;
}
interface Internals {
  _handle?: Handle | null;
  _parent?: unknown;
  _connectionKey?: string;
}

// The classes, read once: `net.Socket` in compiled code is a getter call per use.
const { Socket, Server } = net;
const DgramSocket = dgram.Socket;

const WINDOWS = process.platform === 'win32';
const WINDOWS_NO_FD = 'Node does not expose socket handles on Windows, so sockopt cannot reach them there';

/**
 * The net.Socket whose flags Node caches for `target` (the socket itself, or the one
 * behind a request, response or http2 session), if any.
 */
export function nodeSocketOf(target: unknown): net.Socket | undefined {
  if (target instanceof Socket) return target;
  if (target !== null && typeof target === 'object' && 'socket' in target) {
    const inner = (target as { socket: unknown }).socket;
    if (inner instanceof Socket) return inner;
  }
  return undefined;
}

/**
 * `target` with what a wrapper (request, response, http2 session) holds read once: the
 * net.Socket behind it, so that its fd and Node's cached flags are one socket's even
 * where `socket` is a getter that answers differently each time. Anything else as given.
 * @throws as resolveFd for a wrapper with no socket or another value there.
 */
export function unwrapSocket(target: SocketLike): SocketLike {
  if (typeof target !== 'object' || target === null || target instanceof Socket || target instanceof Server || target instanceof DgramSocket) return target;
  return 'socket' in target ? innerSocket(target) : target;
}

// What a wrapper's `socket` holds, read once: a net.Socket, or the error saying why not.
function innerSocket(target: object): net.Socket {
  const inner = (target as { socket: unknown }).socket;
  if (inner instanceof Socket) return inner;
  if (inner === null || inner === undefined) throw wrapperWithoutSocket(target);
  throw notASocket(target);
}

const notASocket = (target: unknown): Error =>
  invalidArgType('socket', 'a net.Socket, tls.TLSSocket, net.Server, dgram.Socket, an http request or response, or a file descriptor number', target);

export function resolveFd(target: SocketLike): number {
  if (typeof target === 'number') {
    if (!Number.isInteger(target) || target < 0 || target > 2 ** 31 - 1) {
      throw outOfRange('fd', 'an integer >= 0 and < 2^31', target);
    }
    return target;
  }
  if (target instanceof Socket) return streamFd(target);
  if (target instanceof Server) return serverFd(target);
  if (target instanceof DgramSocket) return dgramFd(target);
  if (BoundSocket && target instanceof BoundSocket) return boundFd(target);
  if (target !== null && typeof target === 'object' && 'socket' in target) return streamFd(innerSocket(target));
  throw notASocket(target);
}

// A request, response or http2 session whose `socket` is null or undefined: not yet
// assigned, or gone for good (destroyed, or a response Node detached after it finished).
function wrapperWithoutSocket(target: object): Error {
  const what = (target.constructor as { name?: unknown } | undefined)?.name;
  const name = typeof what === 'string' && what !== '' && what !== 'Object' ? what : 'object';
  const t = target as { destroyed?: unknown; closed?: unknown; writableFinished?: unknown };
  if (t.destroyed === true || t.closed === true) return socketClosed(`${name} (and its socket)`);
  if (t.writableFinished === true) return socketClosed(`${name}'s socket (Node detached it once the message finished)`);
  return noFd(name, "it has no socket yet; wait for its 'socket' event");
}

// Node gives every socket that ever had a handle an async id; a socket that never had one keeps -1.
const asyncIdSymbol = Object.getOwnPropertySymbols(new net.Socket()).find((s) => s.description === 'async_id_symbol');

// A handle Node made answers `fd` from a native accessor on its prototype chain, and that
// accessor throws on any other receiver. A look-alike's `fd` (an own property, a JS getter,
// an object built on a real handle's prototype) would hand the kernel a made-up number.
// Bun and Deno make their handles in JS, so they keep the plain read.
type FdGetter = (this: Handle) => number;
const knownProtos: object[] = []; // prototypes of handles that answered, and their accessors
const knownGetters: FdGetter[] = [];
const MAX_KNOWN = 8; // Node's handle classes are few; a bound keeps the scan short

/** The native `fd` accessor on this prototype chain, or null. */
function findFdGetter(proto: object | null): FdGetter | null {
  let found: PropertyDescriptor | undefined;
  for (let o = proto; o !== null && !found; o = Object.getPrototypeOf(o) as object | null) {
    found = Object.getOwnPropertyDescriptor(o, 'fd');
  }
  const get = found?.get as FdGetter | undefined;
  return get && isNativeAccessor(get) ? get : null;
}

// Node's accessors check their receiver (a V8 signature): a plain object is refused.
function isNativeAccessor(get: FdGetter): boolean {
  try {
    get.call({});
    return false;
  } catch {
    return true;
  }
}

/** The fd of `owner`'s handle, or -1 when it has none; a handle Node did not make is refused. */
function handleFd(handle: Handle, owner: object): number {
  if (RUNTIME !== 'node') return handle.fd ?? -1;
  const proto = Object.getPrototypeOf(handle) as object;
  const i = knownProtos.indexOf(proto);
  if (i >= 0) return readFd(knownGetters[i]!, handle, owner);
  const get = findFdGetter(proto);
  if (get === null) {
    // No fd at all is a handle without one (cluster round-robin, a JS stream); a JS one is made up.
    if ('fd' in handle) throw notMadeByNode(owner);
    return -1;
  }
  const fd = readFd(get, handle, owner);
  // Remembered only once a real handle answered: a look-alike's prototype never gets in.
  if (proto !== null && knownProtos.length < MAX_KNOWN) {
    knownProtos.push(proto);
    knownGetters.push(get);
  }
  return fd;
}

function readFd(get: FdGetter, handle: Handle, owner: object): number {
  try {
    return get.call(handle);
  } catch {
    throw notMadeByNode(owner);
  }
}

function notMadeByNode(owner: object): Error {
  const what = owner instanceof Server ? 'a net.Server' : 'a net.Socket or tls.TLSSocket';
  return invalidArgType('socket', `${what} with a handle Node made`, owner);
}

function streamFd(sock: net.Socket): number {
  // Fast path: a live handle with an fd. destroy() drops _handle synchronously (and a
  // closed handle reports -1), so a destroyed socket never gets past this check.
  const handle = (sock as unknown as Internals)._handle;
  const fd = handle ? handleFd(handle, sock) : -1;
  if (fd >= 0) return fd;
  // Deno's handles have no fd; its kernel socket is found by its addresses (runtime.ts),
  // also inside _destroy, where the handle is still open (telemetry's close record).
  if (RUNTIME === 'deno' && handle) return denoFd(sock, 'socket', denoStreamEndpoint(sock));
  if (sock.destroyed) throw socketClosed('socket');
  // TLS layered over another net.Socket keeps the fd on that socket.
  const parent = (sock as unknown as Internals)._parent;
  if (parent instanceof Socket && parent !== sock) return streamFd(parent);
  if (WINDOWS && handle) throw noFd('socket', WINDOWS_NO_FD);
  if (sock.connecting) throw noFd('socket', "it is still connecting; wait for the 'connect' event (or 'secureConnect' for TLS)");
  if (handle) throw noFd('socket', 'it runs over a JavaScript stream, which has no kernel socket');
  // Only child.send(message, socket) takes a live socket's handle without destroying it.
  const asyncId = asyncIdSymbol && (sock as unknown as Record<symbol, unknown>)[asyncIdSymbol];
  if (typeof asyncId === 'number' && asyncId >= 0) {
    throw socketSentAway();
  }
  throw noFd('socket', "it is not connected; call connect() and wait for the 'connect' event");
}

function serverFd(server: net.Server): number {
  const { _handle: handle, _connectionKey } = server as unknown as Internals;
  if (!handle) {
    // _connectionKey is set by listen() and survives close(): a closed server, not a new one.
    if (_connectionKey !== undefined) throw socketClosed('server');
    throw noFd('server', "it is not listening; call listen() and wait for the 'listening' event");
  }
  const fd = handleFd(handle, server);
  if (fd >= 0) return fd;
  if (RUNTIME === 'deno') return denoFd(server, 'server', denoBoundEndpoint(server, 'stream'));
  throw noFd('server', WINDOWS ? WINDOWS_NO_FD : 'its handle has no fd (a cluster worker in round-robin mode shares the primary’s socket)');
}

// net.BoundSocket (Node 24+) exposes fd() until it is closed or adopted, then throws.

function boundFd(sock: { fd(): number }): number {
  let fd: number;
  try {
    fd = sock.fd();
  } catch {
    throw socketClosed('bound socket (closed, or adopted by a server or socket: use that one)');
  }
  if (fd >= 0) return fd;
  throw noFd('bound socket', WINDOWS ? WINDOWS_NO_FD : 'its handle has no fd');
}

/**
 * True when a net.Socket has a handle and it is not Node's Pipe (a unix-domain socket): a
 * TCP connection, directly or under TLS. Told from the handle's class, without a syscall
 * (socket.remoteFamily would cost a getpeername per connection).
 */
export function isTcpSocket(socket: net.Socket): boolean {
  const handle = (socket as unknown as { _handle?: { constructor?: { name?: string } } | null })._handle;
  return handle !== null && handle !== undefined && handle.constructor?.name !== 'Pipe';
}

/** A dgram.Socket made by dgram.createSocket() (not an object that merely inherits its prototype). */
export function isDgramSocket(x: unknown): x is dgram.Socket {
  if (!(x instanceof DgramSocket)) return false;
  const symbol = dgramStateSymbol();
  const state = symbol ? (x as unknown as Record<symbol, unknown>)[symbol] : undefined;
  return symbol === null || (state !== null && typeof state === 'object');
}

function dgramFd(sock: dgram.Socket): number {
  const symbol = dgramStateSymbol();
  if (!symbol) throw noFd('dgram socket', `this Node version (${process.version}) keeps its handle where sockopt cannot find it`);
  const state = (sock as unknown as Record<symbol, { handle?: Handle | null } | undefined>)[symbol];
  if (state === null || typeof state !== 'object' || !('handle' in state)) {
    throw invalidArgType('socket', 'a dgram.Socket made by dgram.createSocket()', sock);
  }
  if (!state.handle) throw socketClosed('dgram socket');
  const fd = state.handle.fd ?? -1;
  if (fd >= 0) return fd;
  if (RUNTIME === 'deno') return denoFd(sock, 'dgram socket', denoBoundEndpoint(sock as never, 'dgram'));
  throw noFd('dgram socket', WINDOWS ? WINDOWS_NO_FD : "it is not bound yet; call bind() (or send()) and wait for the 'listening' event");
}
