// Client birth: options on the kernel socket before the SYN. sockopt steps in at Node's
// 'connectionAttempt' (emitted right before each connect attempt, also per
// autoSelectFamily attempt, when the family is known): a configured fd goes into the
// attempt's handle. Node does everything else itself: argument forms, DNS, Happy
// Eyeballs, errors.
import type * as net from 'node:net';
import { notApplicable } from '../kernel/errors';
import { syncAdopted, type Prepared } from '../core/presocket';
import { settleKeepAlive } from '../node/keepalive';
import { blockConnect, canAdopt, fdNow, handleFd, handleOf, isConfigured, markConfigured, openInto as openIntoHandle, type StreamHandle } from '../node/stream-handle';
import { HAS_CONNECTION_ATTEMPT } from '../node/versions';
import { openInto } from './open-into';
import { BIND_TIME, setAll } from './owned-fd';

// Per-socket state in a symbol-keyed property, not a WeakMap: a weak entry per
// connection costs a slow write barrier and young-GC work (docs/performance.md).
/** The options armed on a socket (the policy's own list, or a merged copy). */
const kArmed = Symbol('sockopt.armed');
type Armed = net.Socket & { [kArmed]?: readonly Prepared[] | undefined };

/**
 * From now on, every connect attempt of `socket` (made by whoever calls connect) uses a
 * socket with `prepared` set before its SYN. Arming twice merges (later values win).
 * A socket that already has its kernel socket gets the options at once (throws like setsockopt).
 */
export function armClient(socket: net.Socket, prepared: readonly Prepared[]): void {
  const fd = fdNow(socket);
  if (fd >= 0) {
    // Connected, connecting, or a bound socket (Node 24 BoundSocket): the fd exists now.
    setAll(fd, prepared);
    syncAdopted(socket, prepared);
    return;
  }
  if (!HAS_CONNECTION_ATTEMPT && prepared.length) {
    throw notApplicable(`sockopts before the SYN on Node ${process.version}`, "Node emits 'connectionAttempt' from 20.12 and 21.6 on; upgrade Node, or set the options with setsockopt() after 'connect'");
  }
  const s = socket as Armed;
  const before = s[kArmed];
  if (before) {
    const names = new Set(prepared.map((p) => p.name));
    s[kArmed] = [...before.filter((p) => !names.has(p.name)), ...prepared];
    return;
  }
  s[kArmed] = prepared; // the policy's own list (never changed): batch.ts's compiled arguments fit every socket
  socket.on('connectionAttempt', onConnectionAttempt);
}

/** True when the socket's current handle holds a socket configured at its connect attempt (Node's cache synced then). */
export function configuredAtAttempt(socket: net.Socket): boolean {
  return isConfigured(handleOf(socket));
}

/**
 * Undoes armClient for the attempts still to come: a process policy whose filter
 * declined the socket, or a unix-domain connection it cannot apply to.
 * Safe inside a 'connectionAttempt' listener that runs before ours.
 */
export function disarmClient(socket: net.Socket): void {
  (socket as Armed)[kArmed] = undefined;
  socket.off('connectionAttempt', onConnectionAttempt);
}

// Runs inside Node's internalConnect, right before the handle connects: nothing here may
// throw (it would escape into a nextTick or DNS callback) or destroy the socket (Node
// calls the handle right after us).
function onConnectionAttempt(this: net.Socket, _address: string, _port: number, family: number): void {
  const prepared = (this as Armed)[kArmed];
  const handle = handleOf(this);
  if (!prepared || prepared.length === 0 || !handle || isConfigured(handle)) return;
  let error: Error | undefined;
  try {
    error = configureAttempt(handle, family, prepared);
    if (!error) {
      syncAdopted(this, prepared);
      settle(this, prepared);
    }
  } catch (err) {
    error = err as Error; // not expected; but never let it escape into Node's connect path
  }
  if (error) refuseAttempt(this, handle, error);
}

// Keepalive on with an idle time was just set and Node's cache synced to it: Node's
// replay of it at connect is skipped (node/keepalive.ts).
function settle(socket: net.Socket, prepared: readonly Prepared[]): void {
  let on = false;
  let idle: number | undefined;
  let interval: number | undefined;
  let count: number | undefined;
  for (const p of prepared) {
    if (p.name === 'SO_KEEPALIVE') on = p.native !== 0;
    else if (p.name === 'TCP_KEEPIDLE') idle = p.native as number;
    else if (p.name === 'TCP_KEEPINTVL') interval = p.native as number;
    else if (p.name === 'TCP_KEEPCNT') count = p.native as number;
  }
  if (on && idle !== undefined) settleKeepAlive(socket, idle, interval, count);
}

function configureAttempt(handle: StreamHandle, family: number, prepared: readonly Prepared[]): Error | undefined {
  if (!canAdopt(handle)) return notApplicable('sockopts on a socket over a caller\'s handle', 'that handle cannot adopt a socket');
  if (family !== 4 && family !== 6) {
    return notApplicable('sockopts on a unix-domain connection', 'Node creates that socket inside connect(), so nothing can be set before it; set SOL_SOCKET options with setsockopt() after \'connect\'');
  }
  const fd = handleFd(handle);
  if (fd >= 0) return configureBound(fd, prepared);
  return adopt(handle, family, prepared);
}

// Node bound this attempt's socket itself (localAddress/localPort): set what still has
// an effect, refuse what needed to come before bind().
function configureBound(fd: number, prepared: readonly Prepared[]): Error | undefined {
  const late = prepared.find((p) => BIND_TIME.has(p.name));
  if (late) {
    return notApplicable(
      `${late.name} on a socket Node bound before connecting (localAddress/localPort)`,
      'it must be set before bind(); use sockopt\'s connect() with localAddress, which binds the configured socket itself',
    );
  }
  try {
    setAll(fd, prepared);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

function adopt(handle: StreamHandle, family: 4 | 6, prepared: readonly Prepared[]): Error | undefined {
  const err = openInto((fd) => openIntoHandle(handle, fd), family, false, prepared);
  if (!err) markConfigured(handle);
  return err;
}

// The attempt must not send a SYN without its options: this handle's connect does
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
export function adoptNow(socket: net.Socket, family: 4 | 6, prepared: readonly Prepared[]): void {
  const handle = handleOf(socket);
  if (!handle || handleFd(handle) >= 0 || prepared.length === 0) return;
  const error = adopt(handle, family, prepared);
  if (error) refuseAttempt(socket, handle, error);
  else syncAdopted(socket, prepared);
}
