// Accepted sockets take their options from the listener. The kernel makes each accepted
// socket as a copy of its listening socket when the handshake completes, options included
// (INHERITED: each checked on a real listener by test/policy/inherit.test.ts). Where every
// connection a server accepts gets the same server resolution (no installed policy has a
// filter or a rule that looks at the peer), that resolution is set once on the listener,
// at its first accepted connection, and the next ones cost no syscall: what Node keeps
// about them (noDelay, the keepalive guard) is still written per socket.
//
// The sockets the kernel had already queued when a listener changed were copied from it
// before: each gets the change per socket as it is accepted (their number is the
// listener's accept queue, read from its TCP_INFO right after the change). Every change
// of the installed policies re-resolves each such listener; what no policy sets any more
// goes back to the listener's own value from before sockopt set it.
import type * as net from 'node:net';
import { getsockopt } from '../core/api';
import { precompile, setPrepared } from '../core/batch';
import { prepare, type Prepared } from '../core/presocket';
import { readTcpInfo, type TcpInfo } from '../kernel/tcp-info';
import { adoptInherited, applyNow } from '../birth/client';
import { merge, setResolved, type Layer, type Resolution } from '../birth/layers';
import { resolveFd } from '../node/fd';
import { acceptOptions, listenerHandle, ownsListener } from '../node/listener';

/**
 * Options an accepted socket copies from its listener (Linux; test/policy/inherit.test.ts),
 * among those whose listener value sockopt can give back exactly. Left out although copied:
 * SO_RCVBUF/SO_SNDBUF (setting either locks the size, and the lock cannot be undone, so
 * the listener's accepted sockets would lose autotuning for good), TCP_CONGESTION (a set
 * algorithm stops following a route's congctl), IP_TTL (reads 64 where unset, "the route's"),
 * SO_LINGER (turned off, it still reads its last time).
 * Those go on each socket.
 */
export const INHERITED: ReadonlySet<string> = new Set([
  'TCP_NODELAY',
  'SO_KEEPALIVE',
  'TCP_KEEPIDLE',
  'TCP_KEEPINTVL',
  'TCP_KEEPCNT',
  'TCP_USER_TIMEOUT',
  'TCP_NOTSENT_LOWAT',
  'IP_TOS',
]);
const KEEPALIVE = new Set(['SO_KEEPALIVE', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT']);

const LINUX = process.platform === 'linux';

interface ListenerState {
  readonly handle: unknown;
  /** A listening TCP socket Node made here, on Linux: one that may hold options of ours. */
  owned: boolean;
  /** What accepted sockets copy from the listener now; undefined: nothing of ours (per socket). */
  r: Resolution | undefined;
  /** The entries set on the listener. */
  set: readonly Prepared[];
  /** The rest of the resolution, set on each socket. */
  rest: Layer | undefined;
  /** The listener's own value of each option sockopt ever set on it, to give back. */
  readonly originals: Map<string, unknown>;
  /** Accepted sockets still to come that the kernel copied before the last change. */
  pending: number;
  /** What each of them gets per socket: the values the listener has had since. */
  fixup: readonly Prepared[];
}

const states = new Map<net.Server, ListenerState>();

// Two copies of sockopt in one process must not both set and give back the same listener's
// options (one's off() would take away what the other set): the first copy to reach a
// listener claims it under a key both share; the other tunes that server's sockets one by one.
const kClaim = Symbol.for('sockopt.listener.v1');
const me = Symbol('sockopt.this-copy');
type Claimed = { [kClaim]?: symbol };
function claim(server: net.Server): boolean {
  const s = server as Claimed;
  if (s[kClaim] !== undefined && s[kClaim] !== me) return false;
  s[kClaim] = me;
  return true;
}
const SOFT: Resolution = { prepared: [], keepAlive: [], soft: 'all' };

/** The resolution every socket of a listener on `port` gets, or 'per-socket' when it depends on the socket. */
export type ListenerResolver = (port: number) => Layer | undefined | 'per-socket';

function fdOf(server: net.Server): number {
  try {
    return resolveFd(server);
  } catch {
    return -1;
  }
}

// The listener's address (Node's address() throws when the handle's getsockname fails).
function addressOf(server: net.Server): net.AddressInfo | undefined {
  try {
    const a = server.address();
    return a !== null && typeof a === 'object' ? a : undefined;
  } catch {
    return undefined;
  }
}
const portOf = (server: net.Server): number | undefined => addressOf(server)?.port;

// The entries of `r` that may live on this listener: copied by the kernel, restorable,
// not skipped on an accepted socket of its family, and not set again by Node's own
// per-connection options (a server's keepAlive or noDelay) after the copy.
function onListener(server: net.Server, r: Resolution): Prepared[] {
  const v4 = addressOf(server)?.family !== 'IPv6';
  const node = acceptOptions(server);
  return r.prepared.filter(
    (p) =>
      INHERITED.has(p.name) &&
      !(v4 && p.level === 'IPPROTO_IPV6') &&
      !(node.keepAlive && KEEPALIVE.has(p.name)) &&
      !(node.noDelay && p.name === 'TCP_NODELAY' && !p.value),
  );
}

function queued(fd: number): number {
  try {
    // On a listener the kernel reports its accept queue's length as tcpi_unacked.
    return (readTcpInfo(fd, false) as TcpInfo).unacked ?? 0;
  } catch {
    return 0;
  }
}

// Puts `want` on the listener (undefined: nothing of ours) and gives back what it no
// longer sets. Returns false when the kernel refused something (then nothing of ours stays).
function retune(server: net.Server, st: ListenerState, want: Resolution | undefined): boolean {
  const fd = fdOf(server);
  if (fd < 0) return false;
  const next = want === undefined ? [] : onListener(server, want);
  if (next.length === 0) want = undefined;
  const names = new Set(next.map((p) => p.name));
  const fixup: Prepared[] = [];
  try {
    for (const p of next) if (!st.originals.has(p.name)) st.originals.set(p.name, getsockopt(fd, p.name as never));
    const back = st.set.filter((p) => !names.has(p.name) && st.originals.has(p.name)).map((p) => p.name);
    const restore = back.length ? prepare(Object.fromEntries(back.map((n) => [n, st.originals.get(n)])), 'listener') : [];
    setPrepared(fd, restore);
    setPrepared(fd, next);
    fixup.push(...restore, ...next);
  } catch {
    if (want === undefined) return false;
    // Refused (or gone): what did go on comes off again, and the sockets stay per socket.
    st.set = [...st.set.filter((p) => !names.has(p.name)), ...next];
    retune(server, st, undefined);
    return false;
  }
  st.r = want;
  st.set = next;
  const rest = want?.prepared.filter((p) => !names.has(p.name)) ?? [];
  precompile(rest); // its native arguments built once, not per socket
  st.rest = rest.length ? { prepared: rest, keepAlive: [], soft: true } : undefined;
  st.fixup = fixup;
  st.pending = fixup.length ? queued(fd) : 0;
  return true;
}

/**
 * For a socket `server` accepted: true when the listener gave it its options (the socket
 * needs nothing more), false when the caller must apply the resolution per socket.
 * Sockets copied before the listener last changed get that change first, either way.
 */
export function fromListener(server: net.Server, socket: net.Socket, fd: number, resolve: ListenerResolver): boolean {
  let st = states.get(server);
  if (st === undefined || st.handle !== listenerHandle(server)) {
    st = start(server, resolve); // its first accepted socket (or the first since it listened anew)
    if (st.r !== undefined) st.pending++; // this one was copied before the listener changed, too
  }
  if (st.pending > 0) {
    st.pending--;
    try {
      setResolved(fd, st.fixup, SOFT);
    } catch {
      return true; // the socket is gone
    }
  }
  if (st.r === undefined) return false;
  adoptInherited(socket, st.r, st.set);
  if (st.rest !== undefined) applyNow(socket, fd, st.rest);
  return true;
}

// A listener's state, with the resolution on the listener when it fits there. One that
// cannot hold options of ours (not Linux, a socket Node did not make here) is remembered
// as such, so later sockets pay one lookup.
function start(server: net.Server, resolve: ListenerResolver): ListenerState {
  const owned = LINUX && ownsListener(server) && portOf(server) !== undefined && claim(server);
  const st: ListenerState = { handle: listenerHandle(server), owned, r: undefined, set: [], rest: undefined, originals: new Map(), pending: 0, fixup: [] };
  states.set(server, st);
  server.once('close', () => {
    if (states.get(server) === st) states.delete(server);
  });
  if (owned) retune(server, st, wanted(server, resolve));
  return st;
}

// The resolution to put on this listener, if every socket it accepts gets it and it fits there.
function wanted(server: net.Server, resolve: ListenerResolver): Resolution | undefined {
  const port = portOf(server);
  if (port === undefined) return undefined;
  const layer = resolve(port);
  if (layer === undefined || layer === 'per-socket') return undefined;
  return merge([layer]);
}

/** After the installed policies changed: each listener that holds options of ours is re-resolved. */
export function relisten(resolve: ListenerResolver): void {
  for (const [server, st] of states) {
    if (!server.listening || st.handle !== listenerHandle(server)) states.delete(server);
    else if (st.owned) {
      try {
        retune(server, st, wanted(server, resolve));
      } catch {
        // never into tuneSockets()/off(): the listener keeps what it has, its sockets are set one by one
        st.owned = false;
        st.r = undefined;
      }
    }
  }
}

/** True while some listener's queued sockets still wait for a change (even with no policy left). */
export function changesPending(): boolean {
  for (const st of states.values()) if (st.pending > 0) return true;
  return false;
}

/** Listeners holding options of ours (for tests). */
export const tunedListeners = (): number => [...states.values()].filter((s) => s.r !== undefined).length;
