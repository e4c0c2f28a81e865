// Per-connection TCP telemetry: TCP_INFO samples on a jittered period and a last
// record read just before the kernel socket closes, both published on
// node:diagnostics_channel. Sockets come from the shared channel subscription
// (channels.ts); all sampling runs off one timer wheel.
//
// The close record is read inside the socket's own `_destroy`, wrapped on that one
// instance: every way a net.Socket ends (destroy(), the end of both directions, a
// read or write error such as ECONNRESET or ETIMEDOUT, resetAndDestroy()) goes
// through stream.destroy() → _destroy(err, cb), and Node 20–26 close the handle
// only inside the original _destroy, so the fd is still open when the wrapper runs.
import * as diagnostics from 'node:diagnostics_channel';
import type * as net from 'node:net';
import { onSocket, type Direction } from './channels';
import { invalidArgType, outOfRange, unsupported } from './errors';
import { resolveFd } from './fd';
import { hasTcpInfo, readTcpInfo, type TcpInfo } from './tcp-info';
import { TimerWheel, type WheelEntry } from './timer-wheel';

export type { Direction } from './channels';

/** The channel names (node:diagnostics_channel) trackConnections publishes on. */
export const tcpChannels = Object.freeze({ sample: 'sockopt:tcp:sample', close: 'sockopt:tcp:close' } as const);

// The TCP_INFO counters that only grow, each with the width the kernel keeps it in
// (a 32- or 16-bit counter wraps on a long, busy connection; the delta adds the wrap back).
const COUNTERS = [
  ['bytesAcked', 2 ** 64],
  ['bytesReceived', 2 ** 64],
  ['bytesSent', 2 ** 64],
  ['bytesRetrans', 2 ** 64],
  ['segsOut', 2 ** 32],
  ['segsIn', 2 ** 32],
  ['dataSegsOut', 2 ** 32],
  ['dataSegsIn', 2 ** 32],
  ['totalRetrans', 2 ** 32],
  ['delivered', 2 ** 32],
  ['deliveredCe', 2 ** 32],
  ['dsackDups', 2 ** 32],
  ['reordSeen', 2 ** 32],
  ['rcvOoopack', 2 ** 32],
  ['totalRto', 2 ** 16],
  ['totalRtoRecoveries', 2 ** 16],
  ['totalRtoTime', 2 ** 32],
] as const;
const COUNTER_NAMES = COUNTERS.map(([name]) => name);
const COUNTER_WRAP = COUNTERS.map(([, wrap]) => wrap);

/** A TCP_INFO counter that only grows (units as in TcpInfo: bytes, segments, events, ms for totalRtoTime). */
export type TcpCounter = (typeof COUNTERS)[number][0];

/**
 * How much each counter grew since the previous record of the same connection (the
 * first record counts from zero), so the deltas of all of a connection's records add
 * up to the totals in its close record. Counters the kernel does not report are absent.
 */
export type TcpDelta = Partial<Record<TcpCounter, number>>;

/** Published on 'sockopt:tcp:sample' at each jittered interval. */
export interface TcpSample {
  socket: net.Socket;
  direction: Direction;
  /** TCP_INFO as getTcpInfo() decodes it (µs for RTTs, bytes, segments; see TcpInfo). */
  info: TcpInfo;
  delta: TcpDelta;
}

/** Published on 'sockopt:tcp:close' once per tracked connection, just before its fd is closed. */
export interface TcpClose {
  /** Destroyed, but still naming its peer: remoteAddress/remotePort/remoteFamily were read when tracking began. */
  socket: net.Socket;
  direction: Direction;
  /**
   * TCP_INFO read while the fd was still open. Absent only when the kernel socket was
   * already gone (e.g. its handle had been sent to a child process).
   */
  info?: TcpInfo;
  /** Growth since the last sample (or from zero when there was none). */
  delta: TcpDelta;
  /** The error the socket was destroyed with (e.g. code 'ECONNRESET', 'ETIMEDOUT'); absent on a clean close. */
  error?: Error;
  /** ms from the start of tracking ('connect' for clients, accept for servers) to the close. */
  duration: number;
}

/** Options of trackConnections(). */
export interface TrackOptions {
  /**
   * ms between samples of one connection (default 60_000). Like gRFC A80 the first sample
   * comes at a random 10–110 % of it and each next one at 90–110 %, so connections opened
   * together are not sampled together. 0 = no samples, only the close record. Resolution 10 ms.
   */
  interval?: number;
  /** Track the connections this process opens (default true). */
  client?: boolean;
  /** Track the connections this process's servers accept (default true). */
  server?: boolean;
  /** Which connections to track; called once per connection at 'connect' / accept. A throw skips it (with a warning). */
  filter?: (socket: net.Socket, direction: Direction) => boolean;
}

interface Tracker {
  readonly interval: number;
  readonly filter: ((socket: net.Socket, direction: Direction) => boolean) | undefined;
  readonly entries: Set<Entry>;
  active: boolean;
  warned: boolean;
}

interface Entry extends WheelEntry {
  readonly socket: net.Socket;
  readonly direction: Direction;
  readonly tracker: Tracker;
  readonly start: number;
  /** The counters as last published, in COUNTERS order (fixed size: memory per connection is bounded). */
  readonly last: Float64Array;
  readonly wrapper: DestroyFn;
  readonly original: DestroyFn;
  readonly ownDestroy: boolean;
}

type DestroyFn = (this: net.Socket, err: Error | null, cb: (err?: Error | null) => void) => void;
type Destroyable = { _destroy: DestroyFn };

const sampleChannel = diagnostics.channel(tcpChannels.sample);
const closeChannel = diagnostics.channel(tcpChannels.close);
/** A socket is tracked by at most one tracker, so no consumer counts a delta twice. */
const claimed = new WeakMap<net.Socket, Entry>();
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

  const tracker: Tracker = { interval, filter, entries: new Set(), active: true, warned: false };
  const off = onSocket(
    (socket, direction) => {
      if (!listening() || claimed.has(socket)) return;
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
    for (const entry of tracker.entries) release(entry);
  };
}

function begin(tracker: Tracker, socket: net.Socket, direction: Direction): void {
  if (!tracker.active || !listening() || claimed.has(socket) || socket.destroyed) return;
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
  // Node caches the peer's address on first read; read it now so that a close record's
  // socket still names its peer after a reset (getpeername fails with ENOTCONN then).
  void socket.remoteAddress;
  const target = socket as unknown as Destroyable;
  const original = target._destroy;
  const wrapper: DestroyFn = function (this: net.Socket, err, cb) {
    const entry = claimed.get(this);
    if (entry?.wrapper === wrapper) closed(entry, err);
    return original.call(this, err, cb);
  };
  const entry: Entry = {
    socket,
    direction,
    tracker,
    start: performance.now(),
    last: new Float64Array(COUNTERS.length),
    wrapper,
    original,
    ownDestroy: Object.prototype.hasOwnProperty.call(socket, '_destroy'),
    wheelDue: -1,
  };
  claimed.set(socket, entry);
  tracker.entries.add(entry);
  target._destroy = wrapper; // this instance only; Node's prototype is never touched
  if (tracker.interval > 0) wheel.schedule(entry, tracker.interval * (0.1 + Math.random()));
}

/** Ends tracking of one connection: off the wheel, out of the registries, its own _destroy back. */
function release(entry: Entry): void {
  wheel.cancel(entry);
  entry.tracker.entries.delete(entry);
  if (claimed.get(entry.socket) === entry) claimed.delete(entry.socket);
  const target = entry.socket as unknown as Destroyable;
  // Put back only our own layer: if someone wrapped _destroy after us, ours stays in
  // their chain and, being released, just calls through.
  if (target._destroy === entry.wrapper) {
    if (entry.ownDestroy) target._destroy = entry.original;
    else delete (target as Partial<Destroyable>)._destroy;
  }
}

function delta(entry: Entry, info: TcpInfo): TcpDelta {
  const out: TcpDelta = {};
  const last = entry.last;
  for (let i = 0; i < COUNTER_NAMES.length; i++) {
    const name = COUNTER_NAMES[i]!;
    const value = info[name];
    if (value === undefined) continue;
    const d = value - last[i]!;
    out[name] = d >= 0 ? d : d + COUNTER_WRAP[i]!;
    last[i] = value;
  }
  return out;
}

function read(socket: net.Socket): TcpInfo | undefined {
  try {
    return readTcpInfo(resolveFd(socket), false) as TcpInfo;
  } catch {
    return undefined;
  }
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
    const record: TcpSample = { socket, direction: entry.direction, info, delta: delta(entry, info) };
    sampleChannel.publish(record);
  }
  // A subscriber may have destroyed the socket (which released it) or stopped the tracker.
  if (claimed.get(socket) === entry && tracker.active) wheel.schedule(entry, tracker.interval * (0.9 + 0.2 * Math.random()));
}

// Runs inside the socket's _destroy, before Node closes the handle.
function closed(entry: Entry, err: Error | null): void {
  release(entry);
  if (!closeChannel.hasSubscribers) return;
  const info = read(entry.socket);
  const record: TcpClose = {
    socket: entry.socket,
    direction: entry.direction,
    ...(info && { info }),
    delta: info ? delta(entry, info) : {},
    ...(err && { error: err }),
    duration: performance.now() - entry.start,
  };
  closeChannel.publish(record);
}
