// Servers and UDP sockets whose options are set before bind(): listen(),
// createServer() and bindDgram() take Node's own call forms and pass them to Node's
// own server.listen / socket.bind, which normalise, validate, resolve and throw as
// usual; server.ts and dgram.ts build the socket at the moment Node would.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { dropBindPlan, planBind } from './dgram';
import { commitPlan, planListen } from './server';
import { invalidArgType, invalidArgValue, notApplicable } from '../kernel/errors';
import { isDgramSocket } from '../node/fd';
import { listenTarget, nodeBind, nodeListen, normalizeArgs } from '../node/net-entry';
import { BoundSocket } from '../node/versions';
import { prepare, type Prepared, type Sockopts } from '../core/presocket';

/** Node's `server.listen(options)` plus `sockopts`. */
export type ListenOptions = net.ListenOptions & {
  /** Set before bind(): e.g. { SO_REUSEPORT: true, TCP_DEFER_ACCEPT: 5, TCP_FASTOPEN: 16 }. */
  sockopts?: Sockopts;
};

/** Node's `socket.bind(options)` plus `sockopts`. */
export type BindOptions = dgram.BindOptions & {
  /** Set before bind(): e.g. { SO_REUSEPORT: true, SO_RCVBUF: 1 << 20 }. */
  sockopts?: Sockopts;
};


// Node's own listen option and flag, set on the socket sockopt builds.
const REUSE_PORT = prepare({ SO_REUSEPORT: true }, 'listen');
const V6_ONLY = prepare({ IPV6_V6ONLY: true }, 'listen');

// Node's number rule for the positional backlog (toNumber in lib/net.js).
// Only primitives are converted: Number() of an object runs its toString/valueOf, which
// can throw (a detached typed array's join does), and no object is a backlog anyway.
const toNumber = (x: unknown): number | false =>
  typeof x !== 'number' && typeof x !== 'string' && typeof x !== 'boolean' ? false : ((x = Number(x)) as number) >= 0 ? (x as number) : false;

/**
 * `server.listen(...)` for any net/http/https/tls server, in every form Node accepts —
 * `listen(port[, host][, backlog][, cb])`, `listen(options[, cb])` — with
 * `options.sockopts` set on the socket **before bind()**. Node validates and throws as
 * usual (`ERR_SERVER_ALREADY_LISTEN`, `ERR_SOCKET_BAD_PORT`, …) and emits `'error'` for
 * what fails later (DNS, EADDRINUSE as `listen EADDRINUSE`, an option the kernel refuses).
 * The socket is this process's own (`exclusive: true`): in a cluster worker it is not
 * shared through the primary, so SO_REUSEPORT spreads connections across workers.
 * `ipv6Only` and `reusePort` are honoured on every Node version.
 * `listen(path)`, `listen(handle)` and `listen({ fd })` are passed to Node unchanged;
 * with `sockopts` they throw `ERR_SOCKOPT_NOT_APPLICABLE` (that socket is not made here).
 */
export function listen<S extends net.Server>(server: S, options: ListenOptions, callback?: () => void): S;
export function listen<S extends net.Server>(server: S, port?: number, host?: string, backlog?: number, callback?: () => void): S;
export function listen<S extends net.Server>(server: S, port?: number, host?: string, callback?: () => void): S;
export function listen<S extends net.Server>(server: S, port?: number, callback?: () => void): S;
export function listen<S extends net.Server>(server: S, ...args: unknown[]): S {
  if (!(server instanceof net.Server)) throw invalidArgType('server', 'an instance of net.Server', server);
  return listenWith(server, undefined, args);
}

// Node converts positional arguments with Number() or String() (isIP), which throw uncoded
// on a bigint, a symbol or a detached typed array (its toString runs join). No listen() or
// bind() form takes any of them.
function refuseUnconvertible(args: unknown[], expected: string): void {
  for (const a of args) {
    if (ArrayBuffer.isView(a) || typeof a === 'bigint' || typeof a === 'symbol') throw invalidArgType('options', expected, a);
  }
}

// Node's listen() runs Number() on its second and third arguments whatever the form (the
// positional backlog); an object whose toString and valueOf are not callable throws an
// uncoded TypeError there ("Cannot convert object to primitive value"): refused, coded.
function refusePrimitiveless(args: unknown[]): void {
  for (const a of args.slice(1, 3)) {
    if (a === null || (typeof a !== 'object' && typeof a !== 'function')) continue;
    try {
      Number(a);
    } catch {
      throw invalidArgType('backlog', 'a number (or a callback, or a host string)', a);
    }
  }
}

function listenWith<S extends net.Server>(server: S, defaults: Sockopts | undefined, args: unknown[]): S {
  refuseUnconvertible(args, 'an object, a port number or a path');
  refusePrimitiveless(args);
  const [options, cb] = normalizeArgs(args);
  const prepared = prepare(options.sockopts ?? defaults, 'listen');
  const given = listenTarget(options);
  const notOurs =
    (BoundSocket !== undefined && given instanceof BoundSocket) ||
    typeof (given as { fd?: unknown }).fd === 'number' ||
    (given as object) !== options ||
    (typeof options.path === 'string' && options.path !== '');
  if (notOurs) {
    if (prepared.length) {
      throw notApplicable('listen(path | handle | { fd }) with sockopts', 'that socket is made by Node or by the caller, not here; set options on it with setsockopt(), or listen on a port');
    }
    return nodeListen.apply(server, args) as S;
  }
  refuseShared(options, prepared, 'listen');
  // A port form: Node's options, as one object with the positional backlog folded in.
  const { sockopts: _omit, ...rest } = options;
  const opts: Record<string, unknown> = { ...rest, exclusive: true };
  // Node's Number(options.backlog) throws an uncoded TypeError on a bigint or symbol (with a
  // host, on a later tick, uncaught): refuse them now, coded.
  if (typeof opts.backlog === 'bigint' || typeof opts.backlog === 'symbol') throw invalidArgType('options.backlog', 'of type number', opts.backlog);
  if (args.length === 0 || typeof args[0] === 'function') opts.port = 0; // Node's rule for listen() and listen(cb)
  const backlog = toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]);
  if (!opts.backlog && backlog) opts.backlog = backlog;
  const all: Prepared[] = options.reusePort === true ? [...REUSE_PORT, ...prepared] : prepared;
  planListen(server, { prepared: all, prepared6: options.ipv6Only === true ? V6_ONLY : [] });
  let ok = false;
  try {
    nodeListen.apply(server, cb ? [opts, cb] : [opts]);
    ok = true;
  } finally {
    commitPlan(server, ok);
  }
  return server;
}

// In a cluster worker, `exclusive: false` asks for the primary's socket, which the
// primary makes without these options: refused rather than silently not applied.
function refuseShared(options: Record<string, unknown>, prepared: readonly Prepared[], where: string): void {
  // node:cluster is loaded only for this rare question (Node's net loads it lazily too).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (options.exclusive === false && prepared.length && (require('node:cluster') as { isWorker: boolean }).isWorker) {
    throw notApplicable(`${where}({ exclusive: false, sockopts }) in a cluster worker`, 'that socket is made by the cluster primary, without these options; leave exclusive unset');
  }
}

/** A net.Server whose `listen()` goes through sockopt's {@link listen}. */
export type ConfiguredServer = net.Server & {
  listen(options: ListenOptions, callback?: () => void): ConfiguredServer;
  listen(port?: number, host?: string, backlog?: number, callback?: () => void): ConfiguredServer;
  listen(port?: number, host?: string, callback?: () => void): ConfiguredServer;
  listen(port?: number, callback?: () => void): ConfiguredServer;
};

/**
 * `net.createServer([options][, connectionListener])` whose every `listen()` (also
 * after a `close()`) sets `options.sockopts` before bind(); a `sockopts` given to
 * `listen()` itself replaces them for that call. Bad names or values throw here.
 */
export function createServer(connectionListener?: (socket: net.Socket) => void): ConfiguredServer;
export function createServer(options?: net.ServerOpts & { sockopts?: Sockopts }, connectionListener?: (socket: net.Socket) => void): ConfiguredServer;
export function createServer(options?: unknown, connectionListener?: (socket: net.Socket) => void): ConfiguredServer {
  let sockopts: Sockopts | undefined;
  let nodeOptions = options;
  if (options !== null && typeof options === 'object') {
    const { sockopts: given, ...rest } = options as { sockopts?: Sockopts };
    sockopts = given;
    nodeOptions = rest;
  }
  prepare(sockopts, 'createServer'); // bad names or values throw now, not at listen()
  const server = net.createServer(nodeOptions as net.ServerOpts, connectionListener);
  Object.defineProperty(server, 'listen', {
    value: function configuredListen(this: net.Server, ...args: unknown[]) {
      return listenWith(this, sockopts, args);
    },
    writable: true,
    configurable: true,
  });
  return server as ConfiguredServer;
}

/**
 * `socket.bind(...)` for a dgram socket, in Node's forms — `bindDgram(socket, port[, address][, cb])`,
 * `bindDgram(socket, options[, cb])` — with `options.sockopts` set before bind(). Node
 * resolves, binds, throws (`ERR_SOCKET_ALREADY_BOUND`, `ERR_SOCKET_DGRAM_NOT_RUNNING`) and
 * emits errors as for `socket.bind`; a refused option is the socket's `'error'`. The socket
 * is this process's own (`exclusive: true`), also in a cluster worker.
 */
export function bindDgram(socket: dgram.Socket, options: BindOptions, callback?: () => void): dgram.Socket;
export function bindDgram(socket: dgram.Socket, port?: number, address?: string, callback?: () => void): dgram.Socket;
export function bindDgram(socket: dgram.Socket, port?: number, callback?: () => void): dgram.Socket;
export function bindDgram(socket: dgram.Socket, ...args: unknown[]): dgram.Socket {
  if (!isDgramSocket(socket)) throw invalidArgType('socket', 'a dgram.Socket made by dgram.createSocket()', socket);
  refuseUnconvertible(args, 'an object, a port number or an address');
  const [first, second] = args;
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? last : undefined;
  const isObject = first !== null && typeof first === 'object';
  const options = (isObject ? first : {}) as Record<string, unknown>;
  const prepared = prepare(options.sockopts, 'bindDgram');
  if (isObject && (typeof options.fd === 'number' || typeof options.recvStart === 'function') && prepared.length) {
    throw notApplicable('bindDgram({ fd } | handle) with sockopts', 'that socket is the caller\'s, not made here; set options on it with setsockopt()');
  }
  // sockopt's bindDgram once took `host`; Node's bind ignores it, which would bind all interfaces.
  if ('host' in options) throw invalidArgValue('options.host', 'not a dgram bind option (Node calls it `address`)');
  refuseShared(options, prepared, 'bindDgram');
  const { sockopts: _omit, ...rest } = options;
  const opts = isObject
    ? { ...rest, exclusive: true }
    : { port: typeof first === 'function' ? undefined : first, address: typeof second === 'function' ? undefined : second, exclusive: true };
  // Node's bind() lets some port types through to a later tick, where they throw uncaught
  // (socket.bind(5n) kills the process); refuse them now, coded.
  const port = (opts as { port?: unknown }).port;
  if (port != null && typeof port !== 'number' && typeof port !== 'string') throw invalidArgType(isObject ? 'options.port' : 'port', 'of type number or string', port);
  // Node hands a non-string address to its IP regexps, where a detached TypedArray throws an
  // uncoded TypeError (Node 24+); an address is a string (or absent), so say so, coded.
  const address = (opts as { address?: unknown }).address;
  if (address != null && typeof address !== 'string') throw invalidArgType(isObject ? 'options.address' : 'address', 'of type string', address);
  if (prepared.length) planBind(socket, prepared);
  try {
    return nodeBind.apply(socket, cb ? [opts, cb] : [opts]);
  } catch (err) {
    dropBindPlan(socket);
    throw err;
  }
}
