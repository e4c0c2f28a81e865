// Client birth: options on the kernel socket before the SYN. sockopt steps in at Node's
// 'connectionAttempt' (emitted right before each connect attempt, also per
// autoSelectFamily attempt, when the family is known): the socket's layers (layers.ts)
// are resolved once for that attempt, and a configured fd goes into the attempt's handle.
// Node does everything else itself: argument forms, DNS, Happy Eyeballs, errors.
// Bun and Deno have no such moment (node/runtime.ts): the app's own options before the
// SYN are refused there, and the process and agent policies go on at 'connect'.
import type * as net from 'node:net';
import { notApplicable } from '../kernel/errors';
import { registry } from '../kernel/registry';
import { syncAdopted as syncNodeState, type Prepared } from '../core/presocket';
import { appKeepAlive, onKeepAliveEnabled, restoreAppKeepAlive, settleKeepAlive, takeSettled, whileResolving } from '../node/keepalive';
import { resolveFd } from '../node/fd';
import { BIRTH_HOOKS, requireBirthHooks } from '../node/runtime';
import { cachedKeepAliveOn } from '../node/socket-state';
import { blockConnect, canAdopt, fdNow, handleFd, handleOf, isConfigured, markConfigured, openInto as openIntoHandle, settleNoDelay, type StreamHandle } from '../node/stream-handle';
import { HAS_CONNECTION_ATTEMPT } from '../node/versions';
import { applicable, merge, setResolved, type Layer, type Resolution } from './layers';
import { openInto } from './open-into';

/** The process policies' layer for one attempt: undefined = none applies; null = a filter failed (no process policy). */
export type ProcessSource = (socket: net.Socket, address: string, port: number, family: 4 | 6) => Layer | null | undefined;

let processSource: ProcessSource | undefined;

/** The policy room's resolver of process policies (one per process; undefined when none is installed). */
export function setProcessSource(source: ProcessSource | undefined): void {
  processSource = source;
}

// Per-socket state in symbol-keyed properties, not WeakMaps: a weak entry per connection
// costs a slow write barrier and young-GC work (docs/performance.md).
const kApp = Symbol('sockopt.app');
const kAgent = Symbol('sockopt.agent');
const kEnrolled = Symbol('sockopt.enrolled');
const kResolved = Symbol('sockopt.resolved');
type Client = net.Socket & { [kApp]?: Layer; [kAgent]?: Layer; [kEnrolled]?: true; [kResolved]?: Resolution };

/** Which layer a caller sets. */
export type LayerKind = 'app' | 'agent';

/**
 * The app's own options (arm(), connect({ sockopts })) or an agent's policy for every
 * connect attempt of `socket` from now on. Arming the app layer twice merges (later
 * values win). A socket that already has its kernel socket gets them at once: the app's
 * refusals throw as setsockopt's do, a policy's are skipped.
 */
export function armClient(socket: net.Socket, layer: Layer, kind: LayerKind = 'app'): void {
  const fd = fdNow(socket);
  if (fd >= 0) {
    // Connected, connecting, or a bound socket (Node 24 BoundSocket): the fd exists now.
    const r = merge([layer])!;
    const set = setResolved(fd, applicable(r, { family: 0, bound: true, connection: true }), r);
    syncAdopted(socket, set);
    if (layer.keepAlive.length) keepPuttingBack(socket as Client, r);
    return;
  }
  if (!layer.soft && layer.prepared.length) requireBirthHooks('sockopts before the SYN (arm(), connect() with sockopts)');
  if (!HAS_CONNECTION_ATTEMPT && layer.prepared.length && !layer.soft) {
    throw notApplicable(`sockopts before the SYN on Node ${process.version}`, "Node emits 'connectionAttempt' from 20.12 and 21.6 on; upgrade Node, or set the options with setsockopt() after 'connect'");
  }
  const s = socket as Client;
  if (kind === 'agent') s[kAgent] = layer;
  else s[kApp] = s[kApp] ? mergeApp(s[kApp]!, layer) : layer;
  enroll(s);
}

function mergeApp(before: Layer, after: Layer): Layer {
  const r = merge([before, after])!;
  return { prepared: r.prepared, keepAlive: r.keepAlive, soft: false };
}

/** The process policies will be asked for this socket at each of its connect attempts. */
export function enroll(socket: net.Socket): void {
  const s = socket as Client;
  if (s[kEnrolled]) return;
  s[kEnrolled] = true;
  if (!BIRTH_HOOKS) {
    socket.on('connect', onConnectAtRuntime);
    return;
  }
  socket.prependListener('connectionAttempt', onConnectionAttempt);
  socket.on('connect', onConnect);
}

// Bun and Deno: the process and agent policies go on the connected socket (tune-sockets.ts
// refuses the process options that would not act this late). The policy filters are asked
// as at a connect attempt, with the peer's address; a unix-domain connection is left alone.
function onConnectAtRuntime(this: Client): void {
  if (this.destroyed) return;
  const family = this.remoteFamily === 'IPv4' ? 4 : this.remoteFamily === 'IPv6' ? 6 : 0;
  if (family === 0) return;
  const layers: Layer[] = [];
  if (processSource !== undefined) {
    const p = processSource(this, this.remoteAddress ?? '', this.remotePort ?? 0, family);
    if (p) layers.push(p);
  }
  if (this[kAgent]) layers.push(this[kAgent]);
  if (layers.length === 0 || this.destroyed) return; // none applies, or a filter failed or destroyed it
  const r = merge(layers)!;
  let fd: number;
  try {
    fd = resolveFd(this);
  } catch {
    return; // no kernel socket any more
  }
  try {
    applyNow(this, fd, { prepared: r.prepared, keepAlive: r.keepAlive, soft: true });
  } catch {
    // Only a socket gone meanwhile gets here (a policy's own refusals are skipped).
  }
}

/** True when the socket's current handle holds a socket configured at its connect attempt (Node's cache synced then). */
export function configuredAtAttempt(socket: net.Socket): boolean {
  return isConfigured(handleOf(socket));
}

// Runs inside Node's internalConnect, right before the handle connects: nothing here may
// throw (it would escape into a nextTick or DNS callback) or destroy the socket (Node
// calls the handle right after us).
function onConnectionAttempt(this: Client, address: string, port: number, family: number): void {
  const handle = handleOf(this);
  if (!handle || isConfigured(handle)) return;
  const layers: Layer[] = [];
  if (processSource !== undefined && (family === 4 || family === 6)) {
    const p = processSource(this, address, port, family);
    if (p) layers.push(p);
  }
  if (this[kAgent]) layers.push(this[kAgent]);
  if (this[kApp]) layers.push(this[kApp]);
  const r = merge(layers);
  this[kResolved] = r;
  if (r === undefined || r.prepared.length === 0) return;
  let error: Error | undefined;
  try {
    error = configureAttempt(this, handle, family, r);
  } catch (err) {
    error = err as Error; // not expected; but never let it escape into Node's connect path
  }
  if (error) refuseAttempt(this, handle, error);
}

// Keepalive on with an idle time, or TCP_NODELAY, was just set and Node's cache synced to
// it: Node's replay of it at connect is skipped (node/keepalive.ts, node/stream-handle.ts).
function settle(socket: net.Socket, prepared: readonly Prepared[]): void {
  let on = false;
  let noDelay = false;
  let idle: number | undefined;
  let interval: number | undefined;
  let count: number | undefined;
  for (const p of prepared) {
    if (p.name === 'SO_KEEPALIVE') on = p.native !== 0;
    else if (p.name === 'TCP_KEEPIDLE') idle = p.native as number;
    else if (p.name === 'TCP_KEEPINTVL') interval = p.native as number;
    else if (p.name === 'TCP_KEEPCNT') count = p.native as number;
    else if (p.name === 'TCP_NODELAY') noDelay = p.native !== 0;
  }
  if (on && idle !== undefined) settleKeepAlive(socket, idle, interval, count);
  if (noDelay) {
    const handle = handleOf(socket);
    if (handle) settleNoDelay(handle);
  }
}

const hard = (r: Resolution): boolean => r.soft !== 'all';

function configureAttempt(socket: net.Socket, handle: StreamHandle, family: number, r: Resolution): Error | undefined {
  if (!canAdopt(handle)) {
    // A caller's own handle (a runtime's socket over JS, a test double): a policy skips it.
    return hard(r) ? notApplicable('sockopts on a socket over a caller\'s handle', 'that handle cannot adopt a socket') : undefined;
  }
  if (family !== 4 && family !== 6) {
    return hard(r)
      ? notApplicable('sockopts on a unix-domain connection', 'Node creates that socket inside connect(), so nothing can be set before it; set SOL_SOCKET options with setsockopt() after \'connect\'')
      : undefined;
  }
  const fd = handleFd(handle);
  // Node bound this attempt's socket itself (localAddress/localPort): what needed to come
  // before bind() is skipped for a policy and refused for the app.
  const list = applicable(r, { family, bound: fd >= 0, connection: true });
  if (fd >= 0) {
    const late = list.find((p) => BIND_SCOPE.has(p.name)); // a policy's were dropped by applicable()
    if (late) {
      return notApplicable(
        `${late.name} on a socket Node bound before connecting (localAddress/localPort)`,
        'it must be set before bind(); use sockopt\'s connect() with localAddress, which binds the configured socket itself',
      );
    }
    try {
      done(socket, setResolved(fd, list, r));
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }
  let set: readonly Prepared[] = list;
  const err = openInto((newFd) => openIntoHandle(handle, newFd), family, false, list, (newFd, prepared) => {
    set = setResolved(newFd, prepared, r);
  });
  if (err) return err;
  markConfigured(handle);
  done(socket, set);
  return undefined;
}

// Node's cached flags follow what birth set; not noted as the app's own keepalive writes.
function syncAdopted(socket: net.Socket, set: readonly Prepared[]): void {
  whileResolving(() => syncNodeState(socket, set));
}

const BIND_SCOPE = new Set(Object.entries(registry).filter(([, s]) => (s as { scope?: string }).scope === 'bind').map(([n]) => n));

function done(socket: net.Socket, set: readonly Prepared[]): void {
  syncAdopted(socket, set);
  settle(socket, set);
}

// The attempt must not send a SYN without the app's options: this handle's connect does
// nothing, and the socket is destroyed with the reason on the next tick (Node emits it
// as 'error'). Node's own connect error would name the wrong cause.
function refuseAttempt(socket: net.Socket, handle: StreamHandle, error: Error): void {
  blockConnect(handle);
  process.nextTick(() => socket.destroy(error));
}

/**
 * sockopt's connect() with localAddress: Node would bind its own socket before any
 * attempt, so the configured socket is put into the handle now (the family is the
 * local address's) and Node binds and connects that one.
 */
export function adoptNow(socket: net.Socket, family: 4 | 6, layer: Layer): void {
  const handle = handleOf(socket);
  if (!handle || handleFd(handle) >= 0 || layer.prepared.length === 0) return;
  const r = merge([layer])!;
  const error = configureAttempt(socket, handle, family, r);
  if (error) refuseAttempt(socket, handle, error);
}

// ---------------------------------------------------------------- keepalive after connect

// Node's afterConnect replays a keepalive flag and timing a library set before or while
// connecting (undici's setKeepAlive(true, 60 s), http.Agent's keepAlive option; on Node
// 24+ with interval and count), which rewrites the resolved timing: it is set again here,
// unless the kernel still holds what the attempt set (Node's replay of those same values
// is skipped, node/keepalive.ts). A setKeepAlive(false) made after the attempt configured
// this socket stands.
function onConnect(this: Client): void {
  const r = this[kResolved];
  if (r === undefined || r.keepAlive.length === 0) return;
  if (!takeSettled(this) && !(configuredAtAttempt(this) && cachedKeepAliveOn(this) === false)) putBack(this);
  keepPuttingBack(this, r);
}

/** From now on, whenever Node or a library turns keepalive on, the resolved timing is put back. */
function keepPuttingBack(socket: Client, r: Resolution): void {
  socket[kResolved] = r;
  onKeepAliveEnabled(socket, putBack);
}

/**
 * Puts the resolved keepalive options back. No fd yet (a library calls setKeepAlive before
 * connecting): Node replays its cached flag at connect, and 'connect' puts them back.
 */
function putBack(socket: Client, handleFd?: number): void {
  const r = socket[kResolved];
  if (r === undefined || r.keepAlive.length === 0 || socket.destroyed) return;
  // From the TCP handle's own call, its fd (a TLS socket over this one may hold the handle now).
  const fd = handleFd ?? (BIRTH_HOOKS ? fdNow(socket) : fdAtRuntime(socket));
  if (fd < 0) return;
  // What the app set on this socket itself through sockopt since stays.
  const mine = appKeepAlive(socket);
  const list = mine === undefined ? r.keepAlive : r.keepAlive.filter((p) => !mine.has(p.name));
  try {
    syncAdopted(socket, setResolved(fd, list, r));
    if (mine !== undefined) restoreAppKeepAlive(socket, fd);
  } catch (err) {
    socket.destroy(err as Error); // the app's own option, refused: as setsockopt would throw
  }
}

/** A compiled Policy as a layer: `soft` for a policy (process, agent), not for the app's own arm(). */
export function layerOf(compiled: { readonly prepared: readonly Prepared[]; readonly keepAlive: readonly Prepared[] }, soft: boolean): Layer {
  return { prepared: compiled.prepared, keepAlive: compiled.keepAlive, soft };
}

// Deno's handles carry no fd: its lookup (node/runtime.ts, through resolveFd) finds it.
function fdAtRuntime(socket: net.Socket): number {
  try {
    return resolveFd(socket);
  } catch {
    return -1; // not connected (yet), or gone
  }
}

/** Puts a soft layer on a socket that has its fd now (an accepted one): skips what cannot apply; never throws for a policy. */
export function applyNow(socket: net.Socket, fd: number, layer: Layer): void {
  const r = merge([layer])!;
  adoptInherited(socket, r, setResolved(fd, applicable(r, { family: 0, bound: true, connection: true }), r));
}

/** What Node keeps about an accepted socket whose kernel socket already holds `set` (of `r`): its cached flags, the keepalive guard. */
export function adoptInherited(socket: net.Socket, r: Resolution, set: readonly Prepared[]): void {
  syncAdopted(socket, set);
  if (r.keepAlive.length) keepPuttingBack(socket as Client, r);
}
