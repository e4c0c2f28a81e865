// Per-instance wrappers around a socket's _destroy and _final (stream.destroy() →
// _destroy(err, cb); socket.end() → _final(cb), which sends our FIN). Node 20–26 close
// the handle only inside the original _destroy, so a wrapper runs while the fd is still
// open; _final runs when this side starts its close, which tells a local close from a
// peer's FIN. The prototype is touched only by onSocketError (explainErrors), while it is on.
import * as net from 'node:net';

export type DestroyFn = (this: unknown, err: Error | null, cb: (err?: Error | null) => void) => void;
export type FinalFn = (this: unknown, cb: (err?: Error | null) => void) => void;
type Destroyable = { _destroy: DestroyFn; _final: FinalFn };

/** Installs `wrapper` as this one socket's _destroy; returns the function it replaced. */
export function wrapDestroy(socket: object, wrapper: DestroyFn): DestroyFn {
  const target = socket as Destroyable;
  const original = target._destroy;
  target._destroy = wrapper;
  return original;
}

/**
 * Puts `original` back if `wrapper` is still the socket's _destroy. By assignment, not
 * `delete`: deleting an own property changes the object's shape. If someone wrapped
 * _destroy after us, ours stays in their chain, calling through.
 */
export function unwrapDestroy(socket: object, wrapper: DestroyFn, original: DestroyFn): void {
  const target = socket as Destroyable;
  if (target._destroy === wrapper) target._destroy = original;
}

/** Installs `wrapper` as this one socket's _final; returns the function it replaced. */
export function wrapFinal(socket: object, wrapper: FinalFn): FinalFn {
  const target = socket as Destroyable;
  const original = target._final;
  target._final = wrapper;
  return original;
}

/** Puts `original` back if `wrapper` is still the socket's _final (as unwrapDestroy). */
export function unwrapFinal(socket: object, wrapper: FinalFn, original: FinalFn): void {
  const target = socket as Destroyable;
  if (target._final === wrapper) target._final = original;
}

type Hook = (socket: net.Socket, err: Error) => void;
let hook: Hook | undefined;
let nodeDestroy: DestroyFn | undefined; // what we wrapped (Node's, or another tool's wrapper)
// The one prototype wrap here (see README.md): while a hook is set, every net.Socket (and
// tls.TLSSocket) destroyed *with an error* runs it first, fd still open. No per-socket
// work at all: sockets that end without an error pay one comparison.
const destroyHooked: DestroyFn = function (this: unknown, err, cb) {
  if (err !== null && err !== undefined && hook !== undefined) {
    try {
      hook(this as net.Socket, err);
    } catch {
      // nothing may throw into Node's destroy path
    }
  }
  return nodeDestroy!.call(this, err, cb);
};

/**
 * Sets (or, with undefined, clears) the hook every socket destroyed with an error runs
 * inside net.Socket.prototype._destroy. Cleared, the prototype gets Node's own back (if
 * nobody wrapped it after us; otherwise ours stays, inert).
 */
export function onSocketError(fn: Hook | undefined): void {
  const proto = net.Socket.prototype as unknown as Destroyable;
  hook = fn;
  if (fn && proto._destroy !== destroyHooked) {
    nodeDestroy = proto._destroy;
    proto._destroy = destroyHooked;
  } else if (!fn && proto._destroy === destroyHooked) {
    proto._destroy = nodeDestroy!;
  }
}
