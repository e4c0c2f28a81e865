// Per-connection TCP telemetry: TCP_INFO samples on a jittered period and a last
// record read just before the kernel socket closes, both published on
// node:diagnostics_channel. Sockets come from the shared channel subscription
// (channels.ts); all sampling runs off one timer wheel.
//
// The close record is read inside the socket's own destroy step, hooked on that one
// instance (node/destroy-hook.ts): every way a net.Socket ends (destroy(), the end of
// both directions, a read or write error such as ECONNRESET or ETIMEDOUT,
// resetAndDestroy()) goes through it while the fd is still open. Addresses are read
// once, when tracking begins ('connect' / accept), while the kernel still knows the peer.
import * as diagnostics from 'node:diagnostics_channel';
import type * as net from 'node:net';
import { onSocket, type Direction } from '../node/channels';
import { invalidArgType, outOfRange, refuseUnknownKeys, unsupported } from '../kernel/errors';
import { isTcpSocket, resolveFd } from '../node/fd';
import { hasTcpInfo, readTcpInfo, type TcpInfo } from '../kernel/tcp-info';
import { ask, type SocketFilter } from '../policy/filter';
import { TimerWheel, type WheelEntry } from './timer-wheel';
import { unwrapDestroy, unwrapFinal, wrapDestroy, wrapFinal, type DestroyFn, type FinalFn } from '../node/destroy-hook';
import { explain, explainErrors as holdExplain, explaining, isExplainable } from './explain';

export type { Direction } from '../node/channels';
export type { SocketFilter, SocketInfo } from '../policy/filter';

export { delta, deltaWalk } from './deltas';
export { tcpChannels, type CloseReason, type TcpClose, type TcpCounter, type TcpDelta, type TcpSample } from './records';
export { explainErrors, type TcpBound, type TcpExplained } from './explain';
import { delta } from './deltas';
import { tcpChannels, type CloseReason, type TcpClose, type TcpSample } from './records';

/** Options of trackConnections(). Unknown keys are refused (ERR_INVALID_ARG_VALUE). */
export interface TrackOptions {
  /**
   * ms between samples of one connection (default 60_000). Like gRFC A80 the first sample
   * comes at a random 10–110 % of it and each next one at 90–110 %, so connections opened
   * together are not sampled together. 0 = no samples, only the close record. Deadlines
   * share wake-ups on a grid of up to 5 % of the interval (at least 10 ms), inside those bounds.
   */
  interval?: number;
  /** Track the connections this process opens (default true): net/tls connect, http(s) agents, fetch, client libraries. */
  client?: boolean;
  /** Track the connections this process's servers accept (default true). */
  server?: boolean;
  /**
   * Which connections to track: called once per connection at 'connect' / accept with the
   * same object `tuneSockets` gives its filter, `{ direction, socket, host, port }` (client:
   * the address and port connected to; server: the peer's address and the local port).
   * A throw, a promise or a destroy inside it skips that connection (one SockoptWarning per
   * filter, as for tuneSockets). Breaking change from 0.1: it was `(socket, direction)`.
   */
  filter?: SocketFilter;
  /**
   * Errors that explain themselves (default false; process-wide while this tracker runs):
   * when a tracked socket ends in ETIMEDOUT, ECONNRESET, EHOSTUNREACH or EPIPE, the error
   * Node emits gets `err.tcp` (TCP_INFO read before the fd closed, and which bound fired)
   * and one short clause in its message; its code stays Node's. It covers every TCP socket
   * of the process while on (a failed connect too: a SYN never answered), through one hook on
   * net.Socket's destroy that costs nothing until a socket ends in error; off, nothing is hooked.
   */
  explainErrors?: boolean;
}

const TRACK_FIELDS = new Set(['interval', 'client', 'server', 'filter', 'explainErrors']);

interface Tracker {
  readonly interval: number;
  /** ms a deadline may be rounded up by (wake-ups shared); at most 5 % of the interval. */
  readonly slack: number;
  readonly filter: SocketFilter | undefined;
  active: boolean;
}

/**
 * What a socket carries under SOCKET_STATE while some copy of sockopt tracks it: the
 * contract between copies (two installed versions in one process) is only these two
 * fields. A copy finding `live` true leaves the socket alone; `version` says whose layout
 * the rest of the object has.
 */
interface SharedState {
  readonly version: number;
  live: boolean;
}

interface Entry extends WheelEntry, SharedState {
  readonly socket: net.Socket;
  readonly direction: Direction;
  readonly tracker: Tracker;
  readonly start: number;
  /**
   * The counters as last published, in COUNTERS order (fixed size: memory per connection
   * is bounded); null until the first sample, so a connection that only closes allocates none.
   */
  last: Float64Array | null;
  readonly wrapper: DestroyFn;
  original: DestroyFn;
  readonly finalWrapper: FinalFn;
  originalFinal: FinalFn;
  /** Set when this side sent its FIN (socket.end()): whether the peer's FIN had come first. */
  finOrder: 0 | 1 | 2; // 0: we never ended; 1: we ended first; 2: the peer had ended first
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  family: string | undefined;
}

/**
 * The per-socket key, shared by every copy of sockopt in the process (Symbol.for), with
 * the layout's version in the name of the contract (SharedState): a socket is tracked once.
 */
const SOCKET_STATE = Symbol.for('sockopt.tcp.tracking');
const VERSION = 1;
type Marked = { [SOCKET_STATE]?: SharedState };
// Live, and (for this copy's own entries) its tracker not stopped: a close-only connection
// of a stopped tracker keeps an inert wrapper and is free for another tracker.
const taken = (socket: net.Socket): boolean => {
  const s = (socket as Marked)[SOCKET_STATE];
  return s !== undefined && s.live === true && (s.version !== VERSION || !('tracker' in s) || (s as Entry).tracker.active);
};

const sampleChannel = diagnostics.channel(tcpChannels.sample);
const closeChannel = diagnostics.channel(tcpChannels.close);
const wheel = new TimerWheel<Entry>(sample);
const MAX_INTERVAL = 2 ** 31 - 1;

/** Connections on the (one) sampling wheel, for tests. */
export const wheelSize = (): number => wheel.size;

const listening = (): boolean => sampleChannel.hasSubscribers || closeChannel.hasSubscribers;

/** Checks trackConnections' options (also registerTcpMetrics' tracking part); throws a coded error. */
export function checkTrackOptions(options: unknown, path = 'options', extra?: ReadonlySet<string>): Required<Pick<TrackOptions, 'interval'>> & TrackOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType(path, 'an object', options);
  refuseUnknownKeys(options, extra ? [...TRACK_FIELDS, ...extra] : TRACK_FIELDS, path); // the one check tuneSockets uses
  const { interval = 60_000, client, server, filter, explainErrors } = options as TrackOptions;
  if (typeof interval !== 'number') throw invalidArgType(`${path}.interval`, 'of type number (ms)', interval);
  if (!(interval >= 0 && interval <= MAX_INTERVAL)) throw outOfRange(`${path}.interval`, `>= 0 and <= ${MAX_INTERVAL} (ms)`, interval);
  for (const [name, value] of [['client', client], ['server', server], ['explainErrors', explainErrors]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(`${path}.${name}`, 'of type boolean', value);
  }
  if (filter !== undefined && typeof filter !== 'function') throw invalidArgType(`${path}.filter`, 'of type function', filter);
  return { interval, client, server, filter, explainErrors };
}

/**
 * Publishes TCP_INFO of each TCP connection this process opens or accepts from now on:
 * samples on 'sockopt:tcp:sample' every `interval` ms (jittered) and one close record on
 * 'sockopt:tcp:close' read before the fd closes (destroy, end, ECONNRESET, ETIMEDOUT…).
 * Nothing is read while neither channel has subscribers. Returns
 * `stop()`, which ends all publishing by this call at once (idempotent). Linux only.
 * @throws ERR_SOCKOPT_UNSUPPORTED where TCP_INFO is not available; ERR_INVALID_ARG_TYPE /
 *   ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad or unknown options.
 */
export function trackConnections(options: TrackOptions = {}): () => void {
  const { interval, client, server, filter, explainErrors = false } = checkTrackOptions(options);
  if (!hasTcpInfo) throw unsupported('TCP_INFO', ['linux']);

  const tracker: Tracker = { interval, slack: interval / 20, filter, active: true };
  const off = onSocket(
    (socket, direction) => {
      if (!listening() || taken(socket)) return;
      // Client sockets are published before they have an fd: start at 'connect'.
      if (direction === 'client') socket.once('connect', () => begin(tracker, socket, direction));
      else begin(tracker, socket, direction);
    },
    { client: client !== false, server: server !== false },
  );
  const unexplain = explainErrors ? holdExplain() : undefined;
  return () => {
    if (!tracker.active) return;
    tracker.active = false;
    off();
    unexplain?.();
    // Sampled connections are found on the wheel and given their own destroy back; a
    // close-only one (interval 0) is in no list, and its wrapper, seeing the tracker
    // stopped, just calls through.
    for (const entry of wheel.remove((e) => e.tracker === tracker)) release(entry);
  };
}

function begin(tracker: Tracker, socket: net.Socket, direction: Direction): void {
  if (!tracker.active || !listening() || taken(socket) || socket.destroyed) return;
  // Unix-domain sockets (Node's Pipe handle) have no TCP_INFO; told apart without a syscall.
  if (!isTcpSocket(socket)) return;
  try {
    resolveFd(socket);
  } catch {
    return; // no kernel socket (a JS stream, or already handed elsewhere): nothing to read
  }
  // The addresses, once, while the kernel still knows the peer (after a reset it does not).
  // Node caches what it read, so socket.remoteAddress keeps working after the close too.
  const remoteAddress = socket.remoteAddress;
  const remotePort = socket.remotePort;
  // The same object, and the same guard, as tuneSockets' filter (policy/filter.ts): a throw,
  // a promise or a destroy inside it leaves the socket untracked, reported once per filter.
  if (tracker.filter && ask(tracker.filter, { direction, socket, host: remoteAddress, port: direction === 'client' ? remotePort : socket.localPort }) !== true) return;
  const entry: Entry = {
    version: VERSION,
    live: true,
    socket,
    direction,
    tracker,
    start: performance.now(),
    last: null,
    wrapper: function (this: unknown, err, cb) {
      if (entry.live && entry.tracker.active) closed(entry, err);
      return entry.original.call(this, err, cb);
    },
    original: undefined as unknown as DestroyFn,
    finalWrapper: function (this: unknown, cb) {
      if (entry.finOrder === 0) entry.finOrder = socket.readableEnded ? 2 : 1;
      return entry.originalFinal.call(this, cb);
    },
    originalFinal: undefined as unknown as FinalFn,
    finOrder: 0,
    remoteAddress,
    remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    family: socket.remoteFamily,
    wheelDue: -1,
  };
  (socket as Marked)[SOCKET_STATE] = entry;
  entry.original = wrapDestroy(socket, entry.wrapper); // read inside the socket's own destroy, before Node closes the fd
  entry.originalFinal = wrapFinal(socket, entry.finalWrapper);
  if (tracker.interval > 0) schedule(entry, 0.1);
}

/**
 * Ends tracking of one connection and gives the socket its own _destroy and _final back
 * (a reconnected socket object is tracked afresh). There is deliberately no per-tracker
 * list of connections: a long-lived Set or array holding each new connection's entry made
 * V8 promote whole in-flight connections to the old generation (measured on an HTTP
 * server, a new connection per request: 1.6–2.0 vs 0.7–0.9 MB promoted per scavenge,
 * about 3 µs more GC per request). Only sampled connections sit on the wheel.
 */
function release(entry: Entry): void {
  if (entry.wheelDue >= 0) wheel.cancel(entry);
  entry.live = false;
  unwrapDestroy(entry.socket, entry.wrapper, entry.original);
  unwrapFinal(entry.socket, entry.finalWrapper, entry.originalFinal);
}

function read(socket: net.Socket): TcpInfo | undefined {
  try {
    return readTcpInfo(resolveFd(socket), false) as TcpInfo;
  } catch {
    return undefined;
  }
}

// The next sample at a random point of [from, 1.1] × interval (A80: 0.1 for the first,
// 0.9 after). Deadlines are rounded up to a shared grid of up to 5 % of the interval, so
// many connections share one wake-up (each wake-up costs far more than a sample on a
// loaded machine); the random point is drawn that much short of 1.1 so the rounded
// deadline still falls inside the range.
function schedule(entry: Entry, from: number): void {
  const { interval, slack } = entry.tracker;
  wheel.schedule(entry, from * interval + Math.random() * Math.max(0, (1.1 - from) * interval - slack), slack);
}

// Runs from the wheel: one sample, then the next deadline at 90–110 % of the interval.
function sample(entry: Entry): void {
  const { socket, tracker } = entry;
  if (sampleChannel.hasSubscribers) {
    const info = read(socket);
    if (!info) {
      // The fd went away without destroy() (a handle sent to a child process): nothing left to watch.
      release(entry);
      return;
    }
    const record: TcpSample = {
      socket,
      direction: entry.direction,
      remoteAddress: entry.remoteAddress,
      remotePort: entry.remotePort,
      localAddress: entry.localAddress,
      localPort: entry.localPort,
      info,
      delta: delta(entry, info, true),
    };
    sampleChannel.publish(record);
  }
  // A subscriber may have destroyed the socket (which released it) or stopped the tracker.
  if (entry.live && tracker.active) schedule(entry, 0.9);
}

// Errors the kernel or libuv raised on the socket (a code and a numeric errno), as
// opposed to one a library destroyed it with (undici's UND_ERR_DESTROYED on pool.close()).
const isSystemError = (err: Error | null): err is NodeJS.ErrnoException =>
  err !== null && typeof (err as NodeJS.ErrnoException).errno === 'number' && typeof (err as NodeJS.ErrnoException).code === 'string';

/** Why a connection ended; `error` is kept only when the socket itself failed. */
export function closeReason(err: Error | null, state: string | undefined, finOrder: 0 | 1 | 2): CloseReason {
  if (isSystemError(err)) {
    const code = err.code;
    if (code === 'ETIMEDOUT') return 'timeout';
    // A reset after this side had already sent its FIN (amqplib's close(): the broker
    // resets once it has its close-ok) ends a close the application asked for.
    if (code === 'ECONNRESET' || code === 'EPIPE') return finOrder === 1 ? 'local' : 'reset';
    return 'error';
  }
  if (finOrder === 2 || state === 'CLOSE_WAIT' || state === 'LAST_ACK') return 'peer';
  return 'local';
}

// Runs inside the socket's destroy step, before Node closes the handle.
function closed(entry: Entry, err: Error | null): void {
  release(entry);
  const explainable = err !== null && explaining() && isExplainable(err);
  const publishing = closeChannel.hasSubscribers;
  if (!publishing && !explainable) return;
  const info = read(entry.socket);
  if (explainable) explain(entry.socket, err as NodeJS.ErrnoException, info); // (the prototype hook would read TCP_INFO again)
  if (!publishing) return;
  const reason = closeReason(err, info?.state, entry.finOrder);
  const record: TcpClose = {
    socket: entry.socket,
    direction: entry.direction,
    reason,
    remoteAddress: entry.remoteAddress,
    remotePort: entry.remotePort,
    localAddress: entry.localAddress,
    localPort: entry.localPort,
    family: entry.family,
    ...(info && { info }),
    delta: info ? delta(entry, info, false) : {},
    ...(err && reason !== 'local' && reason !== 'peer' && { error: err }),
    duration: performance.now() - entry.start,
  };
  closeChannel.publish(record);
}
