// Per-connection TCP telemetry: TCP_INFO samples on a jittered period and a last
// record read just before the kernel socket closes, both published on
// node:diagnostics_channel. Sockets come from the shared channel subscription
// (channels.ts); all sampling runs off one timer wheel.
//
// The close record is read inside the socket's own destroy step, hooked on that one
// instance (node/destroy-hook.ts): every way a net.Socket ends (destroy(), the end of
// both directions, a read or write error such as ECONNRESET or ETIMEDOUT,
// resetAndDestroy()) goes through it while the fd is still open.
import * as diagnostics from 'node:diagnostics_channel';
import type * as net from 'node:net';
import { onSocket, type Direction } from '../node/channels';
import { invalidArgType, outOfRange, unsupported } from '../kernel/errors';
import { isTcpSocket, resolveFd } from '../node/fd';
import { hasTcpInfo, readTcpInfo, type TcpInfo } from '../kernel/tcp-info';
import { TimerWheel, type WheelEntry } from './timer-wheel';
import { unwrapDestroy, wrapDestroy, type DestroyFn } from '../node/destroy-hook';

export type { Direction } from '../node/channels';

export { delta, deltaWalk } from './deltas';
export { tcpChannels, type TcpClose, type TcpCounter, type TcpDelta, type TcpSample } from './records';
import { delta } from './deltas';
import { tcpChannels, type TcpClose, type TcpSample } from './records';

/** Options of trackConnections(). */
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
   * Which connections to track; called once per connection at 'connect' / accept. A throw
   * skips it (with a warning). Reading `socket.remoteAddress` here keeps the peer's address
   * readable in a close record after a reset (a getpeername call per connection, not made otherwise).
   */
  filter?: (socket: net.Socket, direction: Direction) => boolean;
}

interface Tracker {
  readonly interval: number;
  /** ms a deadline may be rounded up by (wake-ups shared); at most 5 % of the interval. */
  readonly slack: number;
  readonly filter: ((socket: net.Socket, direction: Direction) => boolean) | undefined;
  active: boolean;
  warned: boolean;
}

interface Entry extends WheelEntry {
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
  /** Until the close record or stop(). */
  live: boolean;
  original: DestroyFn;
}


const sampleChannel = diagnostics.channel(tcpChannels.sample);
const closeChannel = diagnostics.channel(tcpChannels.close);
/**
 * Marks a socket some tracker has taken (a socket is tracked by at most one, so no consumer
 * counts a delta twice). A property rather than a WeakMap: weak keys are ephemerons, which
 * cost the garbage collector work for every short-lived connection.
 */
const kTracked = Symbol('sockopt.tracked');
type Marked = { [kTracked]?: true };
const taken = (socket: net.Socket): boolean => (socket as Marked)[kTracked] === true;
const wheel = new TimerWheel<Entry>(sample);
const MAX_INTERVAL = 2 ** 31 - 1;

/** Connections on the (one) sampling wheel, for tests. */
export const wheelSize = (): number => wheel.size;

const listening = (): boolean => sampleChannel.hasSubscribers || closeChannel.hasSubscribers;

/**
 * Publishes TCP_INFO of each TCP connection this process opens or accepts from now on:
 * samples on 'sockopt:tcp:sample' every `interval` ms (jittered) and one close record on
 * 'sockopt:tcp:close' read before the fd closes (destroy, end, ECONNRESET, ETIMEDOUT…).
 * Nothing is read while neither channel has subscribers. Returns `stop()`, which ends
 * all publishing by this call at once (idempotent). Linux only.
 * @throws ERR_SOCKOPT_UNSUPPORTED where TCP_INFO is not available; ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options.
 */
export function trackConnections(options: TrackOptions = {}): () => void {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const { interval = 60_000, client, server, filter } = options;
  if (typeof interval !== 'number') throw invalidArgType('options.interval', 'of type number (ms)', interval);
  if (!(interval >= 0 && interval <= MAX_INTERVAL)) throw outOfRange('options.interval', `>= 0 and <= ${MAX_INTERVAL} (ms)`, interval);
  for (const [name, value] of [['client', client], ['server', server]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(`options.${name}`, 'of type boolean', value);
  }
  if (filter !== undefined && typeof filter !== 'function') throw invalidArgType('options.filter', 'of type function', filter);
  if (!hasTcpInfo) throw unsupported('TCP_INFO', ['linux']);

  const tracker: Tracker = { interval, slack: interval / 20, filter, active: true, warned: false };
  const off = onSocket(
    (socket, direction) => {
      if (!listening() || taken(socket)) return;
      // Client sockets are published before they have an fd: start at 'connect'.
      if (direction === 'client') socket.once('connect', () => begin(tracker, socket, direction));
      else begin(tracker, socket, direction);
    },
    { client: client !== false, server: server !== false },
  );
  return () => {
    if (!tracker.active) return;
    tracker.active = false;
    off();
    // Sampled connections are found on the wheel and given their own destroy back; a
    // close-only one (interval 0) is in no list, and its wrapper, seeing the tracker
    // stopped, just calls through.
    for (const entry of wheel.remove((e) => e.tracker === tracker)) {
      entry.live = false;
      unhook(entry);
    }
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
  if (tracker.filter) {
    let wanted: boolean;
    try {
      wanted = tracker.filter(socket, direction);
    } catch (err) {
      if (!tracker.warned) process.emitWarning(`trackConnections: the filter threw (${String(err)}); connections it throws for are not tracked`, 'SockoptWarning');
      tracker.warned = true;
      return;
    }
    if (!wanted) return;
  }
  const wrapper: DestroyFn = function (this: unknown, err, cb) {
    if (entry.live && entry.tracker.active) closed(entry, err);
    return entry.original.call(this, err, cb);
  };
  const entry: Entry = {
    socket,
    direction,
    tracker,
    start: performance.now(),
    last: null,
    wrapper,
    original: wrapper,
    live: true,
    wheelDue: -1,
  };
  (socket as Marked)[kTracked] = true;
  entry.original = wrapDestroy(socket, wrapper); // read inside the socket's own destroy, before Node closes the fd
  if (tracker.interval > 0) schedule(entry, 0.1);
}

/**
 * Ends tracking of one connection. There is deliberately no per-tracker list of
 * connections: a long-lived Set or array holding each new connection's entry made V8
 * promote whole in-flight connections to the old generation (measured on an HTTP server,
 * a new connection per request: 1.6–2.0 vs 0.7–0.9 MB promoted per scavenge, about 3 µs
 * more GC per request). Only sampled connections sit on the wheel.
 */
function release(entry: Entry): void {
  wheel.cancel(entry);
  entry.live = false;
}

/** For stop(): gives the socket its own destroy back. */
function unhook(entry: Entry): void {
  unwrapDestroy(entry.socket, entry.wrapper, entry.original);
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
    const record: TcpSample = { socket, direction: entry.direction, info, delta: delta(entry, info, true) };
    sampleChannel.publish(record);
  }
  // A subscriber may have destroyed the socket (which released it) or stopped the tracker.
  if (entry.live && tracker.active) schedule(entry, 0.9);
}

// Runs inside the socket's destroy step, before Node closes the handle.
function closed(entry: Entry, err: Error | null): void {
  release(entry);
  if (!closeChannel.hasSubscribers) return;
  const info = read(entry.socket);
  const record: TcpClose = {
    socket: entry.socket,
    direction: entry.direction,
    ...(info && { info }),
    delta: info ? delta(entry, info, false) : {},
    ...(err && { error: err }),
    duration: performance.now() - entry.start,
  };
  closeChannel.publish(record);
}
