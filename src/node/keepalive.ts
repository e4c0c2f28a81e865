// Keepalive timing that survives Node. Whenever libuv turns keepalive on — Node's
// socket.setKeepAlive(true, ms), Node's afterConnect replaying its cached flag,
// http.Agent parking a socket, undici opening one — it also writes TCP_KEEPINTVL = 1 s
// and TCP_KEEPCNT = 10 (libuv 1.46 on Node 20 through 1.52 on Node 26; measured), and
// Node's call names neither (Node 24+ can, when the caller passes them).
// On a socket whose interval or count was set through sockopt, the handle's own
// setKeepAlive is wrapped (an own property of that one handle object, nothing global):
// after Node's call, the values sockopt set are written back, unless that call named
// new ones itself (Node 24+ setKeepAlive(enable, idle, interval, count)), which then
// become the values kept. The idle time is the one value Node's call always names, so
// Node's call sets it.
import { binding } from '../kernel/binding';

/** Seconds set through sockopt, per socket. */
interface Kept {
  interval?: number;
  count?: number;
  /** What a connect attempt just set on the handle's socket (see settleKeepAlive). */
  settled?: Settled;
}

/** Keepalive state the kernel holds on `handle`'s socket, as set at the connect attempt. */
interface Settled {
  readonly handle: KeepAliveHandle;
  readonly idle: number;
  readonly interval: number | undefined;
  readonly count: number | undefined;
  /** false once anything else wrote keepalive on the socket before 'connect'. */
  intact: boolean;
  /** Node's replay was skipped (once: any later call goes to libuv). */
  replayed: boolean;
}

// Symbol-keyed properties on the socket and on the TCP handle, not WeakMaps: see adopt.ts
// (a WeakMap entry per connection costs a slow write barrier and young-GC work).
const kKept = Symbol('sockopt.keepAliveTiming');
const kGuarded = Symbol('sockopt.keepAliveGuarded');
type WithKept = { [kKept]?: Kept };
const keptOf = (socket: object): Kept | undefined => (socket as WithKept)[kKept];
function keptFor(socket: object): Kept {
  let k = (socket as WithKept)[kKept];
  if (k === undefined) (socket as WithKept)[kKept] = k = {};
  return k;
}

interface KeepAliveHandle {
  fd?: number;
  setKeepAlive?: (enable: boolean, idle?: number, interval?: number, count?: number) => number;
  _parent?: KeepAliveHandle;
}

/** Remembers that sockopt set `key` on this socket, and guards its current handle. */
export function keepTiming(socket: object, key: 'interval' | 'count', seconds: number): void {
  keptFor(socket)[key] = seconds;
  const handle = (socket as { _handle?: KeepAliveHandle | null })._handle;
  if (handle) guard(handle, socket);
}

/**
 * A connect attempt has just set keepalive on with this timing (seconds) on the socket in
 * `socket._handle`, and synced Node's cache to it. Node's afterConnect will replay the
 * cache through libuv (4 setsockopt calls, which also write interval 1 s and count 10,
 * then 2 more to restore them): a replay of exactly what the kernel holds is skipped.
 * Any other keepalive write in between (Node's setKeepAlive with other values or off,
 * sockopt's setsockopt) marks the state broken, and passes.
 */
export function settleKeepAlive(socket: object, idle: number, interval: number | undefined, count: number | undefined): void {
  const handle = (socket as { _handle?: KeepAliveHandle | null })._handle;
  if (!handle) return;
  const tcp = handle._parent ?? handle;
  keptFor(socket).settled = { handle: tcp, idle, interval, count, intact: true, replayed: false };
  guard(handle, socket);
}

/**
 * At 'connect': true when the kernel still holds what the attempt set (nothing but
 * Node's replay of it touched keepalive since). Forgets the record either way.
 */
export function takeSettled(socket: object): boolean {
  const k = keptOf(socket);
  const s = k?.settled;
  if (!s) return false;
  k!.settled = undefined;
  const handle = (socket as { _handle?: KeepAliveHandle | null })._handle;
  return s.intact && handle !== null && handle !== undefined && (handle._parent ?? handle) === s.handle;
}

/** sockopt wrote a keepalive option on this socket: a settled record no longer tells the kernel's state. */
export function unsettle(socket: object): void {
  const s = keptOf(socket)?.settled;
  if (s) s.intact = false;
}

// A TLS socket's handle forwards setKeepAlive to the TCP handle below it: guard that one.
function guard(handle: KeepAliveHandle, socket: object): void {
  const tcp = handle._parent ?? handle;
  if ((tcp as { [kGuarded]?: true })[kGuarded] === true || typeof tcp.setKeepAlive !== 'function') return;
  (tcp as { [kGuarded]?: true })[kGuarded] = true;
  const original = tcp.setKeepAlive;
  tcp.setKeepAlive = function keepAliveKeepingTiming(enable, idle, interval, count) {
    const s = keptOf(socket)?.settled;
    if (s?.intact && !s.replayed) {
      // Node's replay of what the kernel already holds (the attempt just set it): skipped.
      if (enable && s.handle === this && idle === s.idle && (interval === undefined || interval === s.interval) && (count === undefined || count === s.count)) {
        s.replayed = true;
        return 0;
      }
      s.intact = false;
    }
    // eslint-disable-next-line prefer-rest-params
    const rc = Reflect.apply(original, this, arguments);
    const k = keptOf(socket);
    if (!enable || rc !== 0 || !k || (this.fd ?? -1) < 0) return rc;
    if (typeof interval === 'number' && interval > 0) k.interval = interval;
    else if (k.interval !== undefined) restore(this.fd!, 'TCP_KEEPINTVL', k.interval);
    if (typeof count === 'number' && count > 0) k.count = count;
    else if (k.count !== undefined) restore(this.fd!, 'TCP_KEEPCNT', k.count);
    return rc;
  };
}

// The numbers from the addon directly (not the option table, which is built with
// node-state.ts's writers and so would make a load cycle).
const OPTNAME = { TCP_KEEPINTVL: binding.constants.TCP_KEEPINTVL, TCP_KEEPCNT: binding.constants.TCP_KEEPCNT };
const TCP_LEVEL = binding.constants.IPPROTO_TCP;

function restore(fd: number, name: 'TCP_KEEPINTVL' | 'TCP_KEEPCNT', seconds: number): void {
  const optname = OPTNAME[name];
  if (optname === undefined || TCP_LEVEL === undefined) return; // a platform without it: Node set nothing either
  try {
    binding.setInt(fd, TCP_LEVEL, optname, seconds);
  } catch {
    // Cannot fail where libuv just set the same option on the same fd; and this runs
    // inside Node's setKeepAlive, where a throw would surface in http.Agent or undici.
  }
}

// ---------------------------------------------------------------- the socket's own setKeepAlive

// A policy outranks the libraries under it, which call setKeepAlive with their own idle
// time. On a socket a policy tuned, setKeepAlive is shadowed by one shared function (an
// own property of that socket, no closure) that lets Node's call run, then hands the
// socket to the policy's hook when the call turned keepalive on; and so is its TCP
// handle's, for the calls that reach the handle another way: a TLS socket's over it (its
// TLSWrap forwards setKeepAlive to the TCP handle below, _tls_wrap.js). A call through
// the socket's own runs the hook once. setKeepAlive(false) is always someone's explicit
// choice (no library turns it off by default): it stands.
const kAfterOn = Symbol('sockopt.afterKeepAliveOn');
const kOwner = Symbol('sockopt.keepAliveOwner');
const kNodeSetKeepAlive = Symbol('sockopt.nodeSetKeepAlive');
type AfterOn = (socket: object, fd?: number) => void;
type Hooked = object & { [kAfterOn]?: AfterOn; setKeepAlive: (...a: unknown[]) => unknown; _handle?: KeepAliveHandle | null };
type HookedHandle = KeepAliveHandle & { [kOwner]?: Hooked; [kNodeSetKeepAlive]?: NonNullable<KeepAliveHandle['setKeepAlive']> };

/** After each Node setKeepAlive call on `socket` (or a TLS socket over it) that turns keepalive on, `after(socket, fd)` runs. */
export function onKeepAliveEnabled<S extends object>(socket: S, after: (socket: S, fd?: number) => void): void {
  const s = socket as unknown as Hooked;
  if (s[kAfterOn] === undefined) s.setKeepAlive = setKeepAliveThenHook;
  s[kAfterOn] = after as AfterOn;
  const handle = s._handle;
  const tcp = (handle ? (handle._parent ?? handle) : undefined) as HookedHandle | undefined;
  if (!tcp || typeof tcp.setKeepAlive !== 'function') return;
  tcp[kOwner] = s;
  if (tcp[kNodeSetKeepAlive] === undefined) {
    tcp[kNodeSetKeepAlive] = tcp.setKeepAlive;
    tcp.setKeepAlive = handleSetKeepAliveThenHook;
  }
}

// Calls through a socket's own setKeepAlive under way: its handle's hook leaves the hook to it.
let viaSocket = 0;

function handleSetKeepAliveThenHook(this: HookedHandle, enable: boolean): number {
  // eslint-disable-next-line prefer-rest-params
  const rc = Reflect.apply(this[kNodeSetKeepAlive]!, this, arguments);
  const owner = this[kOwner];
  // A libuv error code is a refusal.
  if (viaSocket > 0 || !enable || owner === undefined || (typeof rc === 'number' && rc !== 0)) return rc;
  const fd = this.fd;
  owner[kAfterOn]?.(owner, typeof fd === 'number' && fd >= 0 ? fd : undefined);
  return rc;
}

function setKeepAliveThenHook(this: Hooked, ...args: unknown[]): unknown {
  viaSocket++;
  try {
    Reflect.apply(Object.getPrototypeOf(this).setKeepAlive as (...a: unknown[]) => unknown, this, args);
  } finally {
    viaSocket--;
  }
  // Node 24+ also takes { enable, … }.
  const first = args[0];
  const enable = first !== null && typeof first === 'object' ? (first as { enable?: unknown }).enable : first;
  if (enable) this[kAfterOn]!(this);
  return this;
}

// ---------------------------------------------------------------- the app's own keepalive writes

// A socket's resolved keepalive timing (birth/client.ts) is put back whenever Node or a
// library turns keepalive on. A keepalive option the app set on that socket through
// sockopt afterwards is the app's choice and outranks it: noted here (by the cache writer
// every sockopt set of a keepalive option runs), and left out of what is put back.
let resolving = 0;
// Registered (Symbol.for): another copy of sockopt in this process (a dependency's own, or
// `sockopt run`'s beside the app's) reads the same record, so its policy keeps off what the
// app set through this one.
const kAppKeepAlive = Symbol.for('sockopt.appKeepAlive.v1');
type AppKept = { [kAppKeepAlive]?: Map<string, number> };

/** Runs `fn` (birth setting a socket's resolved options): its writes are not the app's. */
export function whileResolving(fn: () => void): void {
  resolving++;
  try {
    fn();
  } finally {
    resolving--;
  }
}

/** sockopt set keepalive option `name` to `native` (0/1, seconds, count) on this socket for the app. */
export function noteAppKeepAlive(socket: object, name: string, native: number): void {
  if (resolving > 0) return;
  const s = socket as AppKept;
  (s[kAppKeepAlive] ??= new Map()).set(name, native);
}

/** The keepalive options the app set on this socket through sockopt, if any. */
export function appKeepAlive(socket: object): ReadonlyMap<string, number> | undefined {
  return (socket as AppKept)[kAppKeepAlive];
}

const APP_OPTION: Record<string, [level: number | undefined, optname: number | undefined]> = {
  SO_KEEPALIVE: [binding.constants.SOL_SOCKET, binding.constants.SO_KEEPALIVE],
  TCP_KEEPIDLE: [TCP_LEVEL, binding.constants.TCP_KEEPIDLE ?? binding.constants.TCP_KEEPALIVE],
  TCP_KEEPINTVL: [TCP_LEVEL, binding.constants.TCP_KEEPINTVL],
  TCP_KEEPCNT: [TCP_LEVEL, binding.constants.TCP_KEEPCNT],
};

/** Writes the app's own keepalive values back on `fd` (after Node's setKeepAlive rewrote them). */
export function restoreAppKeepAlive(socket: object, fd: number): void {
  const mine = appKeepAlive(socket);
  if (mine === undefined) return;
  for (const [name, native] of mine) {
    const [level, optname] = APP_OPTION[name] ?? [];
    if (level === undefined || optname === undefined) continue;
    try {
      binding.setInt(fd, level, optname, native);
    } catch {
      // The same option was just set on this fd; nothing to report inside Node's call.
    }
  }
}
