// Per-connection TCP telemetry: TCP_INFO samples on a jittered period and a last
// record read just before the kernel socket closes, both published on
// node:diagnostics_channel. Sockets come from the shared channel subscription
// (channels.ts); all sampling runs off one timer wheel.
//
// The close record is read inside the socket's own destroy step (node/destroy-hook.ts,
// one wrap per class, none per socket): every way a net.Socket ends (destroy(), the end
// of both directions, a read or write error such as ECONNRESET or ETIMEDOUT,
// resetAndDestroy()) goes through it while the fd is still open. Both addresses are read
// then too, in one native call next to TCP_INFO's (SO_PEERNAME still names the peer after
// a reset): a connection that is never sampled costs nothing at its start but its entry.
import * as diagnostics from 'node:diagnostics_channel';
import * as net from 'node:net';
import { onServerListen, onSocket, type Direction } from '../node/channels';
import { invalidArgType, outOfRange, refuseUnknownKeys, unsupported } from '../kernel/errors';
import { isTcpSocket, resolveFd } from '../node/fd';
import { hasTcpInfo, readTcpInfoNames, socketNamesOut as names, type TcpInfo } from '../kernel/tcp-info';
import { ask, type SocketFilter } from '../policy/filter';
import { TimerWheel, type WheelEntry } from './timer-wheel';
import { hookSocket, onSocketEnd } from '../node/destroy-hook';
import { binding } from '../kernel/binding';
import { ipv4Text, ipv6Text } from '../kernel/ip-text';
import { explain, explainErrors as holdExplain, explaining, isExplainable } from './explain';

export type { Direction } from '../node/channels';
export type { SocketFilter, SocketInfo } from '../policy/filter';

export { delta, deltaWalk } from './deltas';
export { tcpChannels, type CloseReason, type TcpClose, type TcpCounter, type TcpDelta, type TcpSample } from './records';
export { explainErrors, type TcpBound, type TcpExplained } from './explain';
import { delta } from './deltas';
import { connectWaiter } from './at-connect';
import { closeReason } from './close-reason';
import { tcpChannels, type TcpClose, type TcpSample } from './records';

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
  /** The directions it takes. */
  readonly client: boolean;
  readonly server: boolean;
  active: boolean;
}

/**
 * What a socket carries under SOCKET_STATE while some copy of sockopt tracks it: the
 * contract between copies (two installed versions in one process) is only these two
 * fields. A copy finding `live` true leaves the socket alone; `version` says whose layout
 * the rest of the object has.
 */
const VERSION = 1;
interface SharedState {
  readonly version: number;
  live: boolean;
}

/** One tracked connection; a class, so this copy tells its own entries from another copy's. */
class Entry implements WheelEntry, SharedState {
  readonly version = VERSION;
  live = true;
  wheelDue = -1;
  /**
   * The counters as last published, in COUNTERS order (fixed size: memory per connection
   * is bounded); null until the first sample, so a connection that only closes allocates none.
   */
  last: Float64Array | null = null;
  /** Set when this side sent its FIN (socket.end()): whether the peer's FIN had come first. */
  finOrder: 0 | 1 | 2 = 0; // 0: we never ended; 1: we ended first; 2: the peer had ended first
  // Read with the first sample or the close record (readNames), or at the start when a filter asked.
  remoteAddress: string | undefined = undefined;
  remotePort: number | undefined = undefined;
  localAddress: string | undefined = undefined;
  localPort: number | undefined = undefined;
  family: string | undefined = undefined;
  named = false;
  readonly start = performance.now();
  constructor(
    readonly socket: net.Socket,
    readonly direction: Direction,
    /** The tracker publishing it: the one that took it, then (once that one stops) a successor. */
    public tracker: Tracker,
  ) {}
}

/**
 * The per-socket key, shared by every copy of sockopt in the process (Symbol.for), with
 * the layout's version in the name of the contract (SharedState): a socket is tracked once.
 */
const SOCKET_STATE = Symbol.for('sockopt.tcp.tracking');
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

  const tracker: Tracker = { interval, slack: interval / 20, filter, client: client !== false, server: server !== false, active: true };
  running.add(tracker);
  const off = onSocket(
    (socket, direction) => {
      if (!listening() || taken(socket)) return;
      if (direction === 'client') atConnect(socket, tracker); // the first still running takes it
      else {
        begin(tracker, socket, direction);
        hookServer((socket as { server?: unknown }).server); // listening since before: ahead from its next connection
      }
    },
    { client: client !== false, server: server !== false },
  );
  const offListen = server !== false ? onServerListen(hookServer) : undefined;
  if (activeTrackers++ === 0) onSocketEnd(onClose, onFinal);
  const unexplain = explainErrors ? holdExplain() : undefined;
  return () => {
    if (!tracker.active) return;
    tracker.active = false;
    running.delete(tracker);
    off();
    offListen?.();
    unexplain?.();
    // Sampled connections are found on the wheel: each goes on with a tracker still running
    // that takes it, else ends. A close-only one (interval 0) is in no list: the close hook
    // finds it a successor then (entryOf).
    for (const entry of wheel.remove((e) => e.tracker === tracker)) {
      if (handOver(entry) && entry.tracker.interval > 0) schedule(entry, 0.1);
      else if (entry.tracker === tracker) release(entry);
    }
    if (--activeTrackers === 0) onSocketEnd(undefined, undefined);
  };
}

// Node publishes net.server.socket after the server's own 'connection' handlers: a socket
// the app ends in its handler would be gone by then. So each server that listens while
// tracking runs gets a listener put ahead of the app's (one per server, nothing per
// socket), where the running trackers take its accepted sockets first.
const kAheadOfApp = Symbol('sockopt.tcp.aheadOfApp');
function hookServer(server: unknown): void {
  if (!(server instanceof net.Server)) return;
  const s = server as net.Server & { [kAheadOfApp]?: true };
  if (s[kAheadOfApp]) return;
  s[kAheadOfApp] = true;
  server.prependListener('connection', acceptedAheadOfApp);
}

function acceptedAheadOfApp(socket: net.Socket): void {
  try {
    for (const t of running) {
      if (!t.server || !listening() || taken(socket)) continue;
      begin(t, socket, 'server');
    }
  } catch {
    // never into Node's accept path
  }
}

let activeTrackers = 0;
// This copy's running trackers, oldest first.
const running = new Set<Tracker>();

/**
 * Gives a connection whose tracker stopped to the oldest running one that takes its
 * direction and asks no filter (a filter is asked once, when a connection begins: one that
 * never saw this connection does not get it). False when there is none.
 */
function handOver(entry: Entry): boolean {
  for (const t of running) {
    if (t.filter === undefined && t[entry.direction]) {
      entry.tracker = t;
      return true;
    }
  }
  return false;
}

// This copy's live entry on a socket whose tracker (or its successor) still runs, if any.
function entryOf(socket: net.Socket): Entry | undefined {
  const s = (socket as Marked)[SOCKET_STATE];
  if (!(s instanceof Entry) || !s.live) return undefined;
  return s.tracker.active || handOver(s) ? s : undefined;
}

function onClose(socket: net.Socket, err: Error | null): void {
  const entry = entryOf(socket);
  if (entry !== undefined) closed(entry, err);
}

function onFinal(socket: net.Socket): void {
  const entry = entryOf(socket);
  if (entry !== undefined && entry.finOrder === 0) entry.finOrder = socket.readableEnded ? 2 : 1;
}

const atConnect = connectWaiter((tracker: Tracker, socket: net.Socket): void => begin(tracker, socket, 'client'));

function begin(tracker: Tracker, socket: net.Socket, direction: Direction): void {
  if (!tracker.active || !listening() || taken(socket) || socket.destroyed) return;
  // Unix-domain sockets (Node's Pipe handle) have no TCP_INFO; told apart without a syscall.
  if (!isTcpSocket(socket)) return;
  try {
    resolveFd(socket); // (no syscall)
  } catch {
    return; // no kernel socket (a JS stream, or already handed elsewhere): nothing to read
  }
  const entry = new Entry(socket, direction, tracker);
  // The same object, and the same guard, as tuneSockets' filter (policy/filter.ts): a throw,
  // a promise or a destroy inside it leaves the socket untracked, reported once per filter.
  if (tracker.filter) {
    if (!readNames(entry, fdOf(socket))) return;
    const port = direction === 'client' ? entry.remotePort : entry.localPort;
    if (ask(tracker.filter, { direction, socket, host: entry.remoteAddress, port }) !== true) return;
    if (!tracker.active) return; // the filter stopped this tracker: its stop() has already run
  }
  (socket as Marked)[SOCKET_STATE] = entry;
  hookSocket(socket); // its class's _destroy/_final run onClose/onFinal (once per class)
  if (tracker.interval > 0) schedule(entry, 0.1);
}

/** Ends tracking of one connection (a reconnected socket object is tracked afresh). */
function release(entry: Entry): void {
  if (entry.wheelDue >= 0) wheel.cancel(entry);
  entry.live = false;
}

// socketNames' layout: [family, local port, peer port, peer errno, local bytes ×4 slots, peer bytes ×4 slots].
const nameBytes = new Uint8Array(names.buffer);
const ipText = (family: 4 | 6, at: number): string => (family === 4 ? ipv4Text(nameBytes, at) : ipv6Text(nameBytes, at));

// The socket's fd, or -1: resolved once per record (on Deno a lookup, not a field read).
function fdOf(socket: net.Socket): number {
  try {
    return resolveFd(socket);
  } catch {
    return -1;
  }
}

// Both addresses, once per connection, in one crossing; false when they cannot be read.
function readNames(entry: Entry, fd: number): boolean {
  if (entry.named) return true;
  if (fd < 0) return false;
  try {
    binding.socketNames!(fd, names);
  } catch {
    return false;
  }
  takeNames(entry);
  return true;
}

// What socketNames (or readTcpInfoNames) left in `names`, onto the entry.
function takeNames(entry: Entry): void {
  entry.named = true;
  const family = names[0] as 0 | 4 | 6;
  if (family === 0) return; // not an IP socket: no addresses to give
  entry.family = family === 4 ? 'IPv4' : 'IPv6';
  entry.localAddress = ipText(family, 16);
  entry.localPort = names[1];
  if (names[3] === 0) {
    entry.remoteAddress = ipText(family, 32);
    entry.remotePort = names[2];
  }
}

// TCP_INFO and, when `withNames` and the entry has none yet, both addresses: one crossing.
// Returns the info (undefined when it cannot be read); the names, when they cannot be
// read, stay unread (entry.named false).
function read(entry: Entry, fd: number, withNames: boolean): TcpInfo | undefined {
  if (fd < 0) return undefined;
  const askNames = withNames && !entry.named;
  const info = readTcpInfoNames(fd, askNames);
  if (askNames && names[0] !== -1) takeNames(entry);
  return info;
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
    const info = read(entry, fdOf(socket), true);
    if (!info || !entry.named) {
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

// Runs inside the socket's destroy step, before Node closes the handle.
function closed(entry: Entry, err: Error | null): void {
  release(entry);
  const explainable = err !== null && explaining() && isExplainable(err);
  const publishing = closeChannel.hasSubscribers;
  if (!publishing && !explainable) return;
  const info = read(entry, fdOf(entry.socket), publishing);
  if (explainable) explain(entry.socket, err as NodeJS.ErrnoException, info); // (the prototype hook would read TCP_INFO again)
  if (!publishing) return;
  const reason = closeReason(err, info?.state, entry.finOrder);
  const duration = performance.now() - entry.start;
  // One literal per shape (no spreads: each would build and copy a temporary object);
  // the keys and their order are the same as ever, `info` and `error` only when present.
  const withError = err !== null && reason !== 'local' && reason !== 'peer';
  const { socket, direction, remoteAddress, remotePort, localAddress, localPort, family } = entry;
  let record: TcpClose;
  if (info !== undefined) {
    const d = delta(entry, info, false);
    record = withError
      ? { socket, direction, reason, remoteAddress, remotePort, localAddress, localPort, family, info, delta: d, error: err, duration }
      : { socket, direction, reason, remoteAddress, remotePort, localAddress, localPort, family, info, delta: d, duration };
  } else {
    record = withError
      ? { socket, direction, reason, remoteAddress, remotePort, localAddress, localPort, family, delta: {}, error: err, duration }
      : { socket, direction, reason, remoteAddress, remotePort, localAddress, localPort, family, delta: {}, duration };
  }
  closeChannel.publish(record);
}
