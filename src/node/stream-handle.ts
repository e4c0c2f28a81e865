// A client net.Socket's libuv handle (TCPWrap), as socket birth needs it at a connect
// attempt: its fd, whether it can adopt a socket (open, the call behind
// `new net.Socket({ fd })`), and a way to stop an attempt from sending its SYN.
import type * as net from 'node:net';

/** A net.Socket's TCP handle. Opaque outside src/node/. */
export interface StreamHandle {
  fd?: number;
  open?(fd: number): number;
  connect?(...args: unknown[]): number;
  connect6?(...args: unknown[]): number;
  /** TLS: the TCP handle below a TLS wrap. */
  _parent?: StreamHandle;
}
type WithHandle = { _handle?: StreamHandle | null };

/** The socket's current handle (null before connect() and after destroy(); replaced per autoSelectFamily attempt). */
export function handleOf(socket: net.Socket): StreamHandle | null {
  return (socket as unknown as WithHandle)._handle ?? null;
}

/** The socket's fd now, or -1 (no handle yet, connecting without a socket, destroyed). Never cached. */
export function fdNow(socket: net.Socket): number {
  return (socket as unknown as WithHandle)._handle?.fd ?? -1;
}

/** The fd a handle holds, or -1. */
export function handleFd(handle: StreamHandle): number {
  return handle.fd ?? -1;
}

/** True when the handle can adopt a kernel socket (a caller's own handle may not). */
export function canAdopt(handle: StreamHandle): boolean {
  return typeof handle.open === 'function';
}

/**
 * Puts `fd` into the handle. Returns 0, libuv's error number, or the error open() threw;
 * `taken` says whether the handle holds the fd afterwards (then it is the handle's to close).
 */
export function openInto(handle: StreamHandle, fd: number): { rc: number; error?: unknown; taken: boolean } {
  try {
    const rc = handle.open!(fd);
    return { rc, taken: rc === 0 };
  } catch (error) {
    // An open() that threw after taking the fd (a patched one): the handle closes it.
    return { rc: -1, error, taken: handle.fd === fd };
  }
}

/** This handle's connect attempt sends nothing (the caller destroys the socket with its reason). */
export function blockConnect(handle: StreamHandle): void {
  const refuse = (): number => 0;
  Object.assign(handle, { connect: refuse, connect6: refuse });
}

// sockopt's mark on a handle that already holds a socket it configured. A symbol-keyed
// property, not a WeakSet: a weak entry per connection costs GC work (docs/performance.md).
const kConfigured = Symbol('sockopt.configured');

/** Marks the handle as holding a socket sockopt configured at its attempt. */
export function markConfigured(handle: StreamHandle): void {
  (handle as { [kConfigured]?: true })[kConfigured] = true;
}

/** True when the handle holds a socket sockopt configured at its attempt. */
export function isConfigured(handle: StreamHandle | null): boolean {
  return handle !== null && (handle as { [kConfigured]?: true })[kConfigured] === true;
}

/** The host name the socket was asked to connect to (Node keeps it for TLS servername and errors), or undefined. */
export function connectHost(socket: net.Socket): string | undefined {
  const host = (socket as unknown as { _host?: unknown })._host;
  return typeof host === 'string' ? host : undefined;
}

// Node's afterConnect replays its cached noDelay flag through the handle
// (`self._handle.setNoDelay(true)`): on a socket whose attempt just set TCP_NODELAY (and
// synced the cache to it), that is a setsockopt of what the kernel already holds. The
// handle gets one shared function as its own setNoDelay (no closure) that skips the first
// call if it turns noDelay on; any other call, and every later one, goes to the handle.
const kNoDelaySettled = Symbol('sockopt.noDelaySettled');
type NoDelayHandle = StreamHandle & { setNoDelay?: (enable: boolean) => number; [kNoDelaySettled]?: boolean };

function setNoDelaySkippingReplay(this: NoDelayHandle, enable: boolean): number {
  if (this[kNoDelaySettled] === true) {
    this[kNoDelaySettled] = false;
    if (enable) return 0; // the kernel holds it: the attempt set it a moment ago
  }
  return (Object.getPrototypeOf(this) as NoDelayHandle).setNoDelay!.call(this, enable);
}

/**
 * TCP_NODELAY was written on this socket by other means (sockopt's setsockopt): the kernel
 * may no longer hold what the attempt set, so no later call of the handle is skipped.
 */
export function unsettleNoDelay(socket: net.Socket): void {
  const h = handleOf(socket) as NoDelayHandle | null;
  if (h !== null && h[kNoDelaySettled] === true) h[kNoDelaySettled] = false;
}

/** The attempt set TCP_NODELAY on this handle's socket: Node's replay of it at connect is skipped. */
export function settleNoDelay(handle: StreamHandle): void {
  const h = handle as NoDelayHandle;
  const own = (Object.getPrototypeOf(h) as NoDelayHandle | null)?.setNoDelay;
  if (typeof own !== 'function' || h[kNoDelaySettled] !== undefined) return;
  h[kNoDelaySettled] = true;
  h.setNoDelay = setNoDelaySkippingReplay;
}
