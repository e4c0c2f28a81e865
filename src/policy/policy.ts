// A Policy: the options one kind of socket should carry, checked once, up front,
// and flattened into prepared socket options. Client sockets get them before the SYN
// through adopt.ts (armClient, the one place that opens and adopts fds); accepted
// sockets, and the keepalive timing put back after Node or a library rewrote it, get
// them through setAll below, one loop of setsockopt calls on the socket's fd.
import { armClient, configuredAtAttempt, disarmClient } from '../birth/adopt';
import { precompile, setPrepared } from '../core/batch';
import { onSocket, type Direction } from '../node/channels';
import { deadPeer } from '../core/dead-peer';
import { invalidArgType, invalidArgValue } from '../kernel/errors';
import { isTcpSocket, resolveFd } from '../node/fd';
import { takeSettled } from '../node/keepalive';
import { cachedKeepAliveOn } from '../node/socket-state';
import { prepare, syncAdopted, type Sockopts } from '../core/presocket';
import { msToKeepAliveSeconds } from '../core/tuning';
import type * as net from 'node:net';

/** Keepalive timing of a Policy, in milliseconds (the kernel keeps whole seconds: rounded up, at least 1 s). */
export interface KeepAlivePolicy {
  /** Idle time before the first probe, ms. */
  idle?: number;
  /** Time between probes, ms. */
  interval?: number;
  /** Unanswered probes before ETIMEDOUT (1–127). */
  count?: number;
}

/** The options a socket gets. Every field is optional; an empty Policy changes nothing. */
export interface Policy {
  /** Any writable option by name, e.g. `{ TCP_SYNCNT: 2, TCP_NODELAY: true }`; units as in `setsockopt`. */
  sockopts?: Sockopts;
  /** Keepalive on, with this timing in ms (as `setKeepAlive()`). */
  keepAlive?: KeepAlivePolicy;
  /** TCP_USER_TIMEOUT in ms: unacknowledged data fails the connection after this long (null = system default). */
  userTimeout?: number | null;
  /**
   * One bound in ms (2000 – 65,000,000): a dead peer is detected within it whether the
   * connection is idle or has data in flight. Derives keepalive idle/interval/count and
   * TCP_USER_TIMEOUT (see `deadPeer()`); excludes `keepAlive` and `userTimeout`.
   */
  deadPeerTimeout?: number;
}

/** A Policy after checking: the options to set, in order, and their native values. */
export interface CompiledPolicy {
  /** The flattened option list (sockopts, then keepalive timing, SO_KEEPALIVE, TCP_USER_TIMEOUT). */
  readonly sockopts: Sockopts;
  readonly prepared: ReturnType<typeof prepare>;
  /** The keepalive part of `prepared`, put back after Node/libuv reset it (setKeepAlive on Node 20 writes interval 1, count 10). */
  readonly keepAlive: ReturnType<typeof prepare>;
}

// Options a Policy's own fields set: naming one of them in `sockopts` as well would
// leave one of the two values silently unused, so that is refused.
const DERIVED: Record<string, 'keepAlive' | 'userTimeout'> = {
  SO_KEEPALIVE: 'keepAlive',
  TCP_KEEPIDLE: 'keepAlive',
  TCP_KEEPINTVL: 'keepAlive',
  TCP_KEEPCNT: 'keepAlive',
  TCP_USER_TIMEOUT: 'userTimeout',
};

const KEEPALIVE_OPTIONS = new Set(['SO_KEEPALIVE', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT']);
const FIELDS = new Set(['sockopts', 'keepAlive', 'userTimeout', 'deadPeerTimeout']);
const KEEPALIVE_FIELDS = new Set(['idle', 'interval', 'count']);

/** Prefixes an error's message with where in the caller's argument it came from; keeps its code. */
function at(path: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

function unknownField(path: string, field: string, known: Set<string>): never {
  throw invalidArgValue(`${path}.${field}`, `not a field of this object (expected ${[...known].join(', ')})`);
}

/**
 * Checks a Policy and flattens it into socket options. Throws a coded error
 * (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, ERR_SOCKOPT_UNKNOWN_OPTION,
 * ERR_SOCKOPT_UNSUPPORTED, ERR_SOCKOPT_READ_ONLY) whose message starts with `path`.
 */
export function compilePolicy(policy: unknown, path: string): CompiledPolicy {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw invalidArgType(path, 'an object (a Policy)', policy);
  const p = policy as Policy;
  for (const field of Object.keys(p)) if (!FIELDS.has(field)) unknownField(path, field, FIELDS);
  // [option, value, where the caller wrote it], checked one by one so an error names its place.
  const entries: [string, unknown, string][] = [];
  if (p.sockopts !== undefined) {
    if (p.sockopts === null || typeof p.sockopts !== 'object' || Array.isArray(p.sockopts)) {
      throw invalidArgType(`${path}.sockopts`, 'an object of option names and values', p.sockopts);
    }
    for (const [name, value] of Object.entries(p.sockopts)) entries.push([name, value, `${path}.sockopts.${name}`]);
  }
  let keepAlive: unknown = p.keepAlive;
  let userTimeout: unknown = p.userTimeout;
  let keepAlivePath = `${path}.keepAlive`;
  let userTimeoutPath = `${path}.userTimeout`;
  if (p.deadPeerTimeout !== undefined) {
    for (const field of ['keepAlive', 'userTimeout'] as const) {
      if (p[field] !== undefined) throw invalidArgValue(`${path}.${field}`, 'set together with deadPeerTimeout, which derives it');
    }
    ({ keepAlive, userTimeout } = deadPeer(p.deadPeerTimeout, `${path}.deadPeerTimeout`));
    keepAlivePath = userTimeoutPath = `${path}.deadPeerTimeout`;
  }
  for (const [name, , where] of entries) {
    const field = DERIVED[name];
    if (field && (field === 'keepAlive' ? keepAlive : userTimeout) !== undefined) {
      throw invalidArgValue(where, `set together with ${p.deadPeerTimeout !== undefined ? 'deadPeerTimeout' : field}, which sets it too`);
    }
  }
  if (keepAlive !== undefined) {
    if (keepAlive === null || typeof keepAlive !== 'object' || Array.isArray(keepAlive)) {
      throw invalidArgType(keepAlivePath, 'an object { idle, interval, count } (ms)', keepAlive);
    }
    for (const field of Object.keys(keepAlive)) if (!KEEPALIVE_FIELDS.has(field)) unknownField(keepAlivePath, field, KEEPALIVE_FIELDS);
    const { idle, interval, count } = keepAlive as KeepAlivePolicy;
    if (idle !== undefined) entries.push(['TCP_KEEPIDLE', msToKeepAliveSeconds(`${keepAlivePath}.idle`, idle), `${keepAlivePath}.idle`]);
    if (interval !== undefined) entries.push(['TCP_KEEPINTVL', msToKeepAliveSeconds(`${keepAlivePath}.interval`, interval), `${keepAlivePath}.interval`]);
    if (count !== undefined) entries.push(['TCP_KEEPCNT', count, `${keepAlivePath}.count`]);
    entries.push(['SO_KEEPALIVE', true, keepAlivePath]);
  }
  if (userTimeout !== undefined) {
    if (userTimeout !== null && typeof userTimeout !== 'number') throw invalidArgType(userTimeoutPath, 'of type number (ms) or null', userTimeout);
    // Fractions round up: a timeout never comes out shorter than asked.
    entries.push(['TCP_USER_TIMEOUT', userTimeout === null ? 0 : userTimeout > 0 ? Math.ceil(userTimeout) : userTimeout, userTimeoutPath]);
  }
  const sockopts: Record<string, unknown> = {};
  const prepared: ReturnType<typeof prepare> = [];
  for (const [name, value, where] of entries) {
    at(where, () => prepared.push(...prepare({ [name]: value }, 'tuneSockets')));
    sockopts[name] = value;
  }
  const keepAliveOnly = prepared.filter((p) => KEEPALIVE_OPTIONS.has(p.name));
  // Set on every connection the policy reaches: their native arguments are built now, once.
  precompile(prepared);
  precompile(keepAliveOnly);
  return Object.freeze({ sockopts: Object.freeze(sockopts) as Sockopts, prepared, keepAlive: keepAliveOnly });
}

/**
 * Sets a compiled policy's options on a socket that has its fd (connected or
 * accepted), and brings Node's cached noDelay/keepAlive in step. A kernel refusal
 * throws the usual system error naming the option.
 */
export function applyPolicy(socket: net.Socket, compiled: CompiledPolicy): void {
  setAll(socket, compiled.prepared);
}

/** Puts a policy's keepalive options back (after Node or a library called socket.setKeepAlive). */
export function applyKeepAlive(socket: net.Socket, compiled: CompiledPolicy): void {
  // No fd yet (a library calls setKeepAlive before connecting): Node replays its cached
  // flag at connect, and the policy is applied after that ('connect').
  if (compiled.keepAlive.length === 0 || socket.destroyed || fdNow(socket) < 0) return;
  try {
    setAll(socket, compiled.keepAlive);
  } catch (err) {
    socket.destroy(err as Error);
  }
}

const kKeepAlive = Symbol('sockopt.policyKeepAlive');
type Guarded = net.Socket & { [kKeepAlive]?: CompiledPolicy };

// A policy outranks the libraries under it: node-redis calls setKeepAlive(true, 5 s)
// on connect, undici setKeepAlive(true, 60 s), http.Agent setKeepAlive(true, 1 s) when it
// parks a socket, and each such call rewrites the idle time (and, through libuv,
// interval 1 s and count 10). On a socket a policy with keepalive timing tuned, the
// socket's setKeepAlive is shadowed by one shared function (an own property of that
// socket, no closure) that lets Node's call run, then puts the policy's timing back.
function guardKeepAlive(socket: Guarded, compiled: CompiledPolicy): void {
  if (compiled.keepAlive.length === 0) return;
  if (socket[kKeepAlive] === undefined) socket.setKeepAlive = setKeepAliveKeepingPolicy;
  socket[kKeepAlive] = compiled;
}

function setKeepAliveKeepingPolicy(this: Guarded, ...args: unknown[]): net.Socket {
  Reflect.apply(Object.getPrototypeOf(this).setKeepAlive as (...a: unknown[]) => unknown, this, args);
  // setKeepAlive(false) is always someone's explicit choice (no library turns it off by
  // default): it stands. Turning it on (Node 24+ also takes { enable, … }) keeps the policy's timing.
  const first = args[0];
  const enable = first !== null && typeof first === 'object' ? (first as { enable?: unknown }).enable : first;
  if (enable) applyKeepAlive(this, this[kKeepAlive]!);
  return this;
}

// The one place that writes a policy's options to a socket's fd: one native call for all
// of them (batch.ts); a refusal names the option.
function setAll(socket: net.Socket, prepared: CompiledPolicy['prepared']): void {
  setPrepared(resolveFd(socket), prepared);
  syncAdopted(socket, prepared);
}

/** What a `filter` sees about a socket. */
export interface SocketInfo {
  direction: Direction;
  socket: net.Socket;
  /** client: the address connected to; server: the peer's address. */
  host?: string;
  /** client: the remote port; server: the local port the connection arrived on. */
  port?: number;
}

/** The argument of `tuneSockets` (and, without `filter`, the JSON in the SOCKOPT environment variable). */
export interface TuneSocketsOptions {
  /** For sockets this process connects: net/tls connect, fetch/undici, http(s).Agent, database and RPC clients. */
  client?: Policy;
  /** For sockets this process accepts. */
  server?: Policy;
  /** Return false to leave a socket untouched. A filter that throws destroys that socket with its error. */
  filter?: (socket: SocketInfo) => boolean;
}

const TUNE_FIELDS = new Set(['client', 'server', 'filter']);

/** Checks a `tuneSockets` argument; `path` prefixes error messages (e.g. 'SOCKOPT'). */
export function compileTuneOptions(options: unknown, path: string): { client?: CompiledPolicy; server?: CompiledPolicy; filter?: TuneSocketsOptions['filter'] } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType(path, 'an object { client, server, filter }', options);
  for (const field of Object.keys(options)) if (!TUNE_FIELDS.has(field)) unknownField(path, field, TUNE_FIELDS);
  const { client, server, filter } = options as TuneSocketsOptions;
  if (filter !== undefined && typeof filter !== 'function') throw invalidArgType(`${path}.filter`, 'of type function', filter);
  return {
    ...(client !== undefined ? { client: compilePolicy(client, `${path}.client`) } : {}),
    ...(server !== undefined ? { server: compilePolicy(server, `${path}.server`) } : {}),
    ...(filter ? { filter } : {}),
  };
}

/**
 * Process-wide policy: every socket this process connects (`client`) or accepts
 * (`server`) from now on gets the policy's options, through Node's
 * `net.client.socket` / `net.server.socket` diagnostics channels, so sockets created
 * inside fetch, http.Agent, database and RPC clients are reached without their
 * cooperation. Returns `off()`, which stops it for later sockets.
 *
 * A bad policy throws here, before anything is subscribed. A kernel refusal on one
 * socket (say `SO_MARK` without CAP_NET_ADMIN) destroys that socket with the error.
 * Costs nothing until called: no subscription exists without a policy.
 */
export function tuneSockets(options: TuneSocketsOptions): () => void {
  return install(compileTuneOptions(options, 'options'));
}

/** One installed policy for one direction: what every socket it reaches shares (no per-socket closures). */
export interface Tuning {
  readonly direction: Direction;
  readonly compiled: CompiledPolicy;
  readonly filter?: TuneSocketsOptions['filter'];
}

const kTuning = Symbol('sockopt.tuning');
type Tuned = Guarded & { [kTuning]?: Tuning };

function install(options: ReturnType<typeof compileTuneOptions>): () => void {
  // A direction whose policy sets nothing is not subscribed at all: it would only cost.
  const client = options.client?.prepared.length ? options.client : undefined;
  const server = options.server?.prepared.length ? options.server : undefined;
  const filter = options.filter;
  if (!client && !server) return () => {};
  const clientTuning: Tuning | undefined = client && { direction: 'client', compiled: client, filter };
  const serverTuning: Tuning | undefined = server && { direction: 'server', compiled: server, filter };
  return onSocket(
    (socket, direction) => {
      if (direction === 'server') tuneAccepted(socket, serverTuning!);
      else tuneClient(socket, clientTuning!);
    },
    { client: !!client, server: !!server },
  );
}

/**
 * Puts a policy on a client socket that will connect (or is connecting): its options
 * go on the kernel socket before the SYN (adopt.ts's armClient), the filter is asked
 * per connect attempt with the address and port, and after 'connect' the keepalive
 * timing is put back over whatever Node replayed. Returns the socket.
 */
export function tuneClient(socket: net.Socket, tuning: Tuning): net.Socket {
  const t = socket as Tuned;
  if (t[kTuning] === undefined) {
    socket.prependListener('connectionAttempt', onAttempt); // before adopt.ts's own listener
    socket.on('connect', onConnect);
  }
  t[kTuning] = tuning;
  armClient(socket, tuning.compiled.prepared); // a socket with its fd already gets the options now
  if (fdNow(socket) >= 0 && !socket.connecting) guardKeepAlive(t, tuning.compiled);
  return socket;
}

// Runs inside Node's connect, right before the attempt: must not throw. A unix-domain
// connection (no IP family) or a socket the filter declines goes out untouched.
function onAttempt(this: Tuned, address: string, port: number, family: number): void {
  const tuning = this[kTuning];
  if (tuning === undefined) return;
  let wanted = family === 4 || family === 6;
  if (wanted && tuning.filter) {
    try {
      wanted = Boolean(tuning.filter({ direction: 'client', socket: this, host: address, port }));
    } catch (err) {
      wanted = false;
      process.nextTick(() => this.destroy(err as Error));
    }
  }
  if (!wanted) {
    this[kTuning] = undefined;
    disarmClient(this);
  }
}

// Node's afterConnect replays a keepalive flag and timing a library set before or while
// connecting (undici's setKeepAlive(true, 60 s), http.Agent's keepAlive option; on Node
// 24+ with interval and count), which rewrites the policy's timing: it is set again here,
// unless the kernel still holds what the attempt set (Node's replay of those same values
// is skipped, keepalive.ts). A setKeepAlive(false) made after the attempt configured this
// socket stands.
function onConnect(this: Tuned): void {
  const tuning = this[kTuning];
  if (tuning === undefined) return;
  const c = tuning.compiled;
  // takeSettled: nothing but Node's replay of the attempt's own values touched keepalive.
  if (c.keepAlive.length > 0 && !takeSettled(this) && !(configuredAtAttempt(this) && cachedKeepAliveOn(this) === false)) applyKeepAlive(this, c);
  guardKeepAlive(this, c);
}

function fdNow(socket: net.Socket): number {
  return (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd ?? -1;
}

// An accepted socket has its fd: the policy is set at once, if it is TCP and the
// filter wants it; a refusal (or a filter that throws) destroys the socket with that error.
function tuneAccepted(socket: net.Socket, tuning: Tuning): void {
  if (socket.destroyed || !isTcpSocket(socket)) return;
  try {
    if (tuning.filter && !tuning.filter({ direction: 'server', socket, host: socket.remoteAddress, port: socket.localPort })) return;
    applyPolicy(socket, tuning.compiled);
    guardKeepAlive(socket, tuning.compiled);
  } catch (err) {
    socket.destroy(err as Error);
  }
}

/**
 * `tuneSockets` from JSON text (the SOCKOPT environment variable of `sockopt/register`).
 * Every error is coded and its message starts with `name`, e.g.
 * "SOCKOPT.client.sockopts.TCP_SYNCNT: The value of "value" is out of range…".
 */
export function tuneSocketsFromJson(json: string, name: string): () => void {
  let config: unknown;
  try {
    config = JSON.parse(json);
  } catch (err) {
    throw invalidArgValue(name, `not valid JSON (${(err as Error).message}); received ${JSON.stringify(json.slice(0, 200))}`);
  }
  return install(compileTuneOptions(config, name));
}
