// Client sockets with options set before the SYN: arm() for a socket someone else
// made, connect()/connectTLS() as Node's own calls plus `sockopts`. Node does the
// argument forms, validation, DNS and Happy Eyeballs; client.ts puts the configured
// socket into each connect attempt.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { adoptNow, armClient, layerOf } from './client';
import type { Layer } from './layers';
import { isDuplexStream, normalizeArgs } from '../node/net-entry';
import { invalidArgType, invalidArgValue, notApplicable, refuseUnknownKeys } from '../kernel/errors';
import { compilePolicy, type Policy } from '../core/policy';
import { prepare, type Prepared, type Sockopts } from '../core/presocket';
import { keepAliveEntries, type KeepAliveOptions } from '../core/tuning';

/** net.connect options plus `sockopts`. */
export type ConnectOptions = net.NetConnectOpts & {
  /** Set on the new socket before the SYN is sent (before bind() with `localAddress`). */
  sockopts?: Sockopts;
};

/** What {@link arm} sets on a socket before its SYN. */
export interface ArmOptions {
  /** Any writable options, by name, in the registry's units. */
  sockopts?: Sockopts;
  /**
   * Keepalive: `true` turns it on with the system's timing; an object sets the timing
   * in **milliseconds** (`idle` before the first probe, `interval` between probes; the
   * kernel keeps whole seconds, rounded up) and `count` probes. Interval and count
   * survive Node's own later `setKeepAlive(true, ms)` calls (http.Agent, undici).
   */
  keepAlive?: boolean | KeepAliveOptions;
  /** TCP_USER_TIMEOUT in **milliseconds** (fractions round up; `null` or 0 = the system's). */
  userTimeout?: number | null;
  /**
   * One dead-peer bound in **milliseconds** (2000 – 65,000,000), as in a Policy: derives keepalive
   * idle/interval/count and TCP_USER_TIMEOUT (see `deadPeer()`); excludes `keepAlive` and `userTimeout`.
   */
  deadPeerTimeout?: number;
}

// Every field arm() knows: a misspelt one (`deadPeerTimout`, `{ idel }`) is refused, never ignored.
const ARM_FIELDS = ['sockopts', 'keepAlive', 'userTimeout', 'deadPeerTimeout'];



/**
 * Configures a `net.Socket` (or `tls.TLSSocket`) that will connect later — made by a
 * library, a `stream` factory (pg, mysql2), an http.Agent, or seen on the
 * `net.client.socket` diagnostics channel — so that its options are on the kernel
 * socket **before the SYN**, on every connect attempt (each Happy Eyeballs attempt too).
 * Returns the same socket. A field it does not know (a typo such as `deadPeerTimout`) throws
 * `ERR_INVALID_ARG_VALUE` rather than being ignored.
 *
 * Bad names, values or arguments throw synchronously. Failures at connect time (the
 * kernel refusing an option, no fd left) arrive as the socket's `'error'`, and no SYN
 * is sent without the options. A socket that already has its kernel socket (connected,
 * or connecting) gets the options at once, and a refusal throws as `setsockopt` does.
 *
 * @example arm(new net.Socket(), { sockopts: { TCP_SYNCNT: 2 }, keepAlive: { idle: 10_000, interval: 5_000, count: 3 }, userTimeout: 20_000 }).connect(5432, 'db')
 */
export function arm<S extends net.Socket>(socket: S, options: ArmOptions): S {
  if (!(socket instanceof net.Socket)) throw invalidArgType('socket', 'an instance of net.Socket', socket);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  refuseUnknownKeys(options, ARM_FIELDS, 'options');
  // One dead-peer bound (a Policy field): core/policy.ts derives keepalive and
  // TCP_USER_TIMEOUT from it, and the keepalive timing is put back over later
  // setKeepAlive calls (mysql2's, pg's).
  // A destroyed socket may still be armed: Node lets it connect() again, with a new handle.
  if ((options as Policy).deadPeerTimeout !== undefined) armClient(socket, layerOf(compilePolicy(options, 'options'), false));
  else armClient(socket, appLayer(prepareArm(options)));
  return socket;
}

function prepareArm(options: ArmOptions): Prepared[] {
  const merged: Record<string, unknown> = { ...(options.sockopts as object) };
  if (options.sockopts !== undefined && (options.sockopts === null || typeof options.sockopts !== 'object')) {
    throw invalidArgType('options.sockopts', 'an object of option names and values', options.sockopts);
  }
  const extra: Record<string, unknown> = {};
  const { keepAlive, userTimeout } = options;
  if (keepAlive !== undefined) {
    for (const [name, value] of keepAliveEntries(keepAlive, 'options.keepAlive')) extra[name] = value;
  }
  if (userTimeout !== undefined) {
    // A timeout never comes out shorter than asked: fractions of a ms round up.
    extra.TCP_USER_TIMEOUT = userTimeout === null ? 0 : typeof userTimeout === 'number' && userTimeout > 0 ? Math.ceil(userTimeout) : userTimeout;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (name in merged && merged[name] !== value) {
      const by = name === 'TCP_USER_TIMEOUT' ? 'userTimeout' : 'keepAlive';
      throw invalidArgValue(`options.sockopts.${name}`, `${String(merged[name])}, but options.${by} sets it to ${String(value)}`);
    }
    merged[name] = value;
  }
  return prepare(merged, 'arm');
}

// The options object of Node's connect forms, and where it sits in `args`.
// Node takes any object as the options, a typed array too, and then fails inside with an
// uncoded error (Object.assign of a number onto a BigInt64Array): no byte view is an options object.
function refuseViews(args: unknown[]): void {
  for (const a of args) if (ArrayBuffer.isView(a)) throw invalidArgType('options', 'an object, a port number or a path', a);
}

function optionsOf(args: unknown[]): { options: Record<string, unknown>; index: number } {
  const index = args.findIndex((a) => a !== null && typeof a === 'object');
  return { options: index >= 0 ? (args[index] as Record<string, unknown>) : {}, index };
}

function withoutSockopts(args: unknown[], index: number, options: Record<string, unknown>): unknown[] {
  if (index < 0 || !('sockopts' in options)) return args;
  const { sockopts: _omit, ...rest } = options;
  return args.map((a, i) => (i === index ? rest : a));
}

/**
 * `net.connect` with `sockopts` set on the socket before its SYN (and before bind()
 * with `localAddress`): every form Node accepts — `connect(options[, listener])`,
 * `connect(port[, host][, listener])`, `connect(path[, listener])` — normalised and
 * validated by Node itself, which throws and emits exactly as `net.connect` does.
 * Returns a normal `net.Socket`.
 *
 * Bad option names or values throw synchronously, before any socket exists. Everything
 * later (DNS, an option the kernel refuses, ECONNREFUSED, ETIMEDOUT) is the socket's
 * `'error'`. A unix-domain `path` with `sockopts` throws `ERR_SOCKOPT_NOT_APPLICABLE`
 * (Node makes that socket inside connect(), so nothing can precede it).
 */
export function connect(options: ConnectOptions, connectListener?: () => void): net.Socket;
export function connect(port: number, host?: string, connectListener?: () => void): net.Socket;
export function connect(port: number, connectListener?: () => void): net.Socket;
export function connect(path: string, connectListener?: () => void): net.Socket;
export function connect(...args: unknown[]): net.Socket {
  refuseViews(args);
  const [normalized] = normalizeArgs(args);
  const prepared = prepare(normalized.sockopts, 'connect');
  if (prepared.length && normalized.path != null) {
    throw notApplicable('connect({ path, sockopts })', 'Node creates a unix-domain socket inside connect(), so no option can be set before it; set SOL_SOCKET options with setsockopt() after \'connect\'');
  }
  if (prepared.length && normalized.handle != null) {
    throw notApplicable('connect({ handle, sockopts })', 'that socket is the caller\'s; set options on it with setsockopt()');
  }
  const { options, index } = optionsOf(args);
  const socket = net.connect(...(withoutSockopts(args, index, options) as [net.NetConnectOpts]));
  try {
    afterConnectCall(socket, normalized, prepared);
  } catch (err) {
    socket.destroy(); // the caller never gets this socket: it must not live on
    throw err;
  }
  return socket;
}

/**
 * `tls.connect` with `sockopts` set before the SYN, in every form Node accepts
 * (`connectTLS(options[, listener])`, `connectTLS(port[, host][, options][, listener])`);
 * Node handles `timeout`, `servername`, `socket`, … as in `tls.connect`.
 * With `socket` given, the options go on that socket (see {@link arm}).
 */
export function connectTLS(options: tls.ConnectionOptions & { sockopts?: Sockopts }, secureConnectListener?: () => void): tls.TLSSocket;
export function connectTLS(port: number, host?: string, options?: tls.ConnectionOptions & { sockopts?: Sockopts }, secureConnectListener?: () => void): tls.TLSSocket;
export function connectTLS(port: number, options?: tls.ConnectionOptions & { sockopts?: Sockopts }, secureConnectListener?: () => void): tls.TLSSocket;
export function connectTLS(...args: unknown[]): tls.TLSSocket {
  const { options, index } = optionsOf(args);
  const prepared = prepare(options.sockopts, 'connectTLS');
  // A path may come positionally too (connectTLS('/run/x.sock', { sockopts })), as Node normalises it.
  if (prepared.length && (options.path != null || normalizeArgs(args)[0].path != null)) {
    throw notApplicable('connectTLS({ path, sockopts })', 'Node creates a unix-domain socket inside connect(), so no option can be set before it');
  }
  const given = options.socket;
  // Node wraps any truthy `socket` and fails inside with an uncoded TypeError when it is not a stream.
  refuseViews(args);
  for (const a of args) {
    const socket = a !== null && typeof a === 'object' ? (a as { socket?: unknown }).socket : undefined;
    if (socket && !isDuplexStream(socket)) throw invalidArgType('options.socket', 'a stream.Duplex such as a net.Socket', socket);
  }
  const socket = tls.connect(...(withoutSockopts(args, index, options) as [tls.ConnectionOptions]));
  try {
    if (given instanceof net.Socket) armClient(given, appLayer(prepared));
    else afterConnectCall(socket, options, prepared);
  } catch (err) {
    socket.destroy(); // thrown to the caller, who never gets the socket: it must not live on (and emit 'error' to no one)
    throw err;
  }
  return socket;
}

// connect() has been called: Node's first attempt is at least a tick away.
function afterConnectCall(socket: net.Socket, options: Record<string, unknown>, prepared: Prepared[]): void {
  if (!prepared.length) return;
  const layer = appLayer(prepared);
  armClient(socket, layer);
  // With localAddress Node binds before its attempt (and makes a single attempt, in the
  // local address's family): the configured socket goes in now, so bind-time options
  // (IP_BIND_ADDRESS_NO_PORT, SO_REUSEADDR, …) precede Node's bind().
  const local = typeof options.localAddress === 'string' ? net.isIP(options.localAddress) : 0;
  if (local === 4 || local === 6) adoptNow(socket, local, layer);
}

// The app's own options on one socket: set or refused, never skipped. Their keepalive
// interval and count are kept over Node's own setKeepAlive by node/keepalive.ts.
function appLayer(prepared: readonly Prepared[]): Layer {
  return { prepared, keepAlive: [], soft: false };
}
