// Runs caller code (a policy's filter) at a moment when Node cannot take a destroy: inside
// 'connectionAttempt' Node calls the handle right after the event, and a socket destroyed
// there has no handle (Node then throws a TypeError from its connect path). While `fn`
// runs, this one socket's destroy() is shadowed by an own property that records the call;
// the real destroy runs on the next tick.

/** What `fn` returned, and whether it asked to destroy the socket. */
export interface Guarded<T> {
  value?: T;
  error?: { thrown: unknown };
  destroyed: boolean;
}

type Destroy = (this: unknown, error?: Error) => unknown;

/** Calls `fn()` with `socket.destroy` deferred to the next tick; never throws. */
export function withDeferredDestroy<T>(socket: { destroy: Destroy; destroyed?: boolean }, fn: () => T): Guarded<T> {
  const own = Object.prototype.hasOwnProperty.call(socket, 'destroy');
  const previous = socket.destroy;
  let asked: [Error | undefined] | undefined;
  socket.destroy = function deferredDestroy(this: unknown, error?: Error) {
    asked ??= [error];
    return this;
  };
  const out: Guarded<T> = { destroyed: false };
  try {
    out.value = fn();
  } catch (thrown) {
    out.error = { thrown };
  } finally {
    if (own) socket.destroy = previous;
    else delete (socket as { destroy?: Destroy }).destroy;
  }
  if (asked !== undefined || socket.destroyed === true) {
    out.destroyed = true;
    if (asked !== undefined) {
      const [error] = asked;
      process.nextTick(() => socket.destroy(error));
    }
  }
  return out;
}
