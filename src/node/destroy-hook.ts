// Per-instance wrappers around a socket's _destroy and _final (stream.destroy() →
// _destroy(err, cb); socket.end() → _final(cb), which sends our FIN). Node 20–26 close
// the handle only inside the original _destroy, so a wrapper runs while the fd is still
// open; _final runs when this side starts its close, which tells a local close from a
// peer's FIN. Node's prototype is never touched.
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
