// The one place that subscribes to Node's socket channels on node:diagnostics_channel.
// `tuneSockets` (policy) and `trackConnections` (telemetry) both register here, so a
// process holds at most one subscription per channel however many consumers it has,
// and none at all while nobody listens (zero cost when the features are off).
//   net.client.socket — published at the top of net.Socket#connect (net/tls connect,
//     http(s).Agent, global fetch/undici, and every client library built on net),
//     before libuv has created the fd: `socket._handle` may still be null.
//   net.server.socket — published for each socket a net.Server accepts, fd ready.
// Node 20 publishes net.client.socket only from net.connect()/createConnection(), not
// from net.Socket#connect, so `new net.Socket().connect()` (pg, mysql2) and tls.connect()
// (https, fetch over TLS, rediss:) would go unseen. There, and only while a client
// consumer is registered, net.Socket.prototype.connect is wrapped to deliver those
// sockets at the same moment Node 22+ publishes them; a mark on the socket makes sure a
// socket that net.connect() already published is delivered once.
// Bun publishes neither channel: its client sockets come through the same Socket#connect
// wrapper, its accepted sockets through net.Server#emit('connection') (acceptedOnBun).
import * as diagnostics from 'node:diagnostics_channel';
import * as net from 'node:net';
import { RUNTIME } from './runtime';

/** Which side of the connection this process is on. */
export type Direction = 'client' | 'server';

/** Called once for each socket Node publishes; must not throw (errors are caught and dropped). */
export type SocketConsumer = (socket: net.Socket, direction: Direction) => void;

/** Which channels a consumer wants; both by default. */
export interface Directions {
  client?: boolean;
  server?: boolean;
}

const CHANNEL: Record<Direction, string> = { client: 'net.client.socket', server: 'net.server.socket' };

interface Route {
  /** Replaced, never changed in place: a delivery in progress keeps iterating the list it started with. */
  consumers: readonly SocketConsumer[];
  readonly handler: (message: unknown) => void;
}

// True where Node's own Socket#connect publishes net.client.socket (Node 22+): its source names the channel.
const CONNECT_PUBLISHES = /netClientSocketChannel/.test(Function.prototype.toString.call(net.Socket.prototype.connect));
type Connect = (this: net.Socket, ...args: unknown[]) => unknown;
// Our wrapper on Socket#connect now, and the connect it wrapped (Node's, or another tool's wrapper).
let current: Connect | undefined;
let inner: Connect | undefined;
// Node 20, while the wrapper is active: the socket carries the number of the wrapping
// period that delivered it (a property, not a WeakSet: a weak entry per connection costs
// a slow write barrier and young-GC work; see adopt.ts). A new period delivers again.
const kDelivered = Symbol('sockopt.delivered');
let period = 0; // 0: the wrapper is off
let lastPeriod = 0;
type Delivered = net.Socket & { [kDelivered]?: number };

function route(direction: Direction): Route {
  const handler = (message: unknown): void => {
    const socket = (message as { socket?: net.Socket } | null)?.socket;
    if (!socket) return;
    if (period !== 0 && direction === 'client') {
      if ((socket as Delivered)[kDelivered] === period) return;
      (socket as Delivered)[kDelivered] = period;
    }
    // No copy per socket: onSocket replaces the list rather than changing it, so a consumer
    // that unsubscribes (itself or another) while we iterate does not move this loop.
    const consumers = r.consumers;
    if (consumers.length === 1) deliver(consumers[0]!, socket, direction);
    else for (let i = 0; i < consumers.length; i++) deliver(consumers[i]!, socket, direction);
  };
  const r: Route = { consumers: [], handler };
  return r;
}

function deliver(consumer: SocketConsumer, socket: net.Socket, direction: Direction): void {
  try {
    consumer(socket, direction);
  } catch {
    // A consumer's bug must never surface inside Node's connect()/accept path.
  }
}

const routes: Record<Direction, Route> = { client: route('client'), server: route('server') };

// Node 20: Socket#connect delivers what Node did not publish itself (see the header).
// Inert (a plain pass-through) once the last client consumer is gone.
// The mark is consumed here, so a later connect() of the same socket object (reconnecting
// clients reuse their net.Socket) is delivered again, as Node 22+ publishes it again.
// One wrapper per wrapping, each keeping what it wrapped: a wrapper of ours left inside
// another tool's chain (we went off while it sat on top) must not get that tool's wrapper
// as its inner when we wrap again, or connect() would call itself until the stack ran out.
// While one of ours delivers, the socket is marked, so an older one further down passes through.
const CONNECTING = -1;
function connectDelivering(below: Connect): Connect {
  return function (this: net.Socket, ...args: unknown[]) {
    const s = this as Delivered;
    if (period === 0 || s[kDelivered] === CONNECTING) return below.apply(this, args);
    if (s[kDelivered] !== period) routes.client.handler({ socket: this });
    s[kDelivered] = CONNECTING;
    try {
      return below.apply(this, args);
    } finally {
      s[kDelivered] = 0;
    }
  };
}

function wrapConnect(on: boolean): void {
  if (CONNECT_PUBLISHES) return;
  lastPeriod = on ? lastPeriod + 1 : lastPeriod;
  period = on ? lastPeriod : 0;
  const proto = net.Socket.prototype as unknown as { connect: Connect };
  if (on && proto.connect !== current) {
    inner = proto.connect;
    current = connectDelivering(inner);
    proto.connect = current;
  } else if (!on && current !== undefined && proto.connect === current) {
    proto.connect = inner!; // restored only if nobody wrapped it after us; otherwise ours stays, inert
    current = inner = undefined;
  }
}

/**
 * Registers `consumer` for the sockets of the wanted directions; returns the function
 * that removes it (idempotent). The channel itself is subscribed only while it has a consumer.
 */
export function onSocket(consumer: SocketConsumer, directions: Directions = {}): () => void {
  const wanted = (['client', 'server'] as const).filter((d) => directions[d] !== false);
  for (const d of wanted) {
    const r = routes[d];
    r.consumers = [...r.consumers, consumer];
    if (r.consumers.length !== 1) continue;
    diagnostics.subscribe(CHANNEL[d], r.handler);
    if (d === 'client') wrapConnect(true);
    else acceptedOnBun(true, r.handler);
  }
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    for (const d of wanted) {
      const r = routes[d];
      const i = r.consumers.indexOf(consumer);
      if (i >= 0) r.consumers = r.consumers.filter((_, k) => k !== i);
      if (i < 0 || r.consumers.length > 0) continue;
      diagnostics.unsubscribe(CHANNEL[d], r.handler);
      if (d === 'client') wrapConnect(false);
      else acceptedOnBun(false, r.handler);
    }
  };
}

/** True while any consumer is registered for `direction` (for tests and the zero-cost check). */
export function isSubscribed(direction: Direction): boolean {
  return routes[direction].consumers.length > 0;
}

// ---------------------------------------------------------------- servers at listen()

// Node publishes `tracing:net.server.listen:asyncStart` with the server at the top of each
// listen() call (Node 20.x from the version that added the tracing channel; the policy
// falls back to net.server.socket where it is absent). A policy hooks each server there,
// so its options go on accepted sockets before the app's own 'connection' handlers run.
const LISTEN_START = 'tracing:net.server.listen:asyncStart';
const listenConsumers: ((server: net.Server) => void)[] = [];
const onListen = (message: unknown): void => {
  const server = (message as { server?: unknown } | null)?.server;
  if (!(server instanceof net.Server)) return;
  for (const consumer of listenConsumers.slice()) {
    try {
      consumer(server);
    } catch {
      // never inside Node's listen()
    }
  }
};

/** Calls `consumer` with each server that starts listening from now on; returns the remover. */
export function onServerListen(consumer: (server: net.Server) => void): () => void {
  if (listenConsumers.push(consumer) === 1) diagnostics.subscribe(LISTEN_START, onListen);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    const i = listenConsumers.indexOf(consumer);
    if (i >= 0) listenConsumers.splice(i, 1);
    if (listenConsumers.length === 0) diagnostics.unsubscribe(LISTEN_START, onListen);
  };
}

// ---------------------------------------------------------------- Bun: accepted sockets

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
// Our wrapper on Server#emit now, and the emit it wrapped (EventEmitter's, or another tool's wrapper).
let currentEmit: Emit | undefined;
let innerEmit: Emit | undefined;
let serverDeliver: ((message: unknown) => void) | undefined;
// An accepted socket is delivered once, however many wrappers of ours sit in the chain.
const kAccepted = Symbol('sockopt.accepted');

// Bun publishes neither net.client.socket nor net.server.socket (nor the listen tracing
// channel). Its net.Server (and tls.Server) emits 'connection' through
// Server.prototype.emit (EventEmitter's), so while a server consumer is registered that
// emit is wrapped to deliver each accepted socket first, before the server's own
// 'connection' handlers. Bun's http.Server is native (Bun.serve) and emits nothing there:
// its sockets are not reached. One wrapper per wrapping, each keeping what it wrapped, as
// for Socket#connect above: one of ours left inert under another tool's must not take
// that tool's as its inner when we wrap again (emit would call itself without end).
function serverEmitDelivering(below: Emit): Emit {
  return function (this: unknown, event, ...args) {
    const socket = args[0] as { [kAccepted]?: true } | null;
    if (event === 'connection' && serverDeliver !== undefined && socket !== null && typeof socket === 'object' && socket[kAccepted] !== true) {
      socket[kAccepted] = true;
      serverDeliver({ socket });
    }
    return below.call(this, event, ...args);
  };
}

/** Bun only: on = deliver every socket a net/tls server accepts to `deliver`; off = stop (inert if someone wrapped emit after us). */
function acceptedOnBun(on: boolean, deliver: (message: unknown) => void): void {
  if (RUNTIME !== 'bun') return;
  const proto = net.Server.prototype as unknown as { emit: Emit };
  if (on) {
    serverDeliver = deliver;
    if (proto.emit !== currentEmit) {
      innerEmit = proto.emit;
      currentEmit = serverEmitDelivering(innerEmit);
      proto.emit = currentEmit;
    }
  } else {
    serverDeliver = undefined;
    if (currentEmit !== undefined && proto.emit === currentEmit) proto.emit = innerEmit!;
    currentEmit = innerEmit = undefined; // left in another tool's chain: inert, and never our inner again
  }
}
