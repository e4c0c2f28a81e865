// Client sockets are published at connect(), before they have an fd: tracking starts at
// their 'connect'. What waits for it (each tracker given the socket) hangs behind one
// listener per socket: a connect that fails leaves the listener in place, and a reused
// socket that keeps failing (a client reconnecting to a peer that is down) would
// otherwise gather one per attempt and tracker (Node's MaxListenersExceededWarning after
// 10). The list lives on the listener, not on the socket, so client sockets carry no
// extra property of ours from connect() on.
import type * as net from 'node:net';

const kWaiting = Symbol('sockopt.tcp.waiting');
type Waiter<T> = (() => void) & { [kWaiting]: T[] };
type OnceWrapper = { listener?: unknown };

/**
 * Calls `start(item, socket)` at `socket`'s next 'connect', once per item, in the order given,
 * ahead of the app's own 'connect' listeners (one added before connect() may destroy it).
 * An item already waiting on that socket is not added twice.
 */
export function atConnect<T>(socket: net.Socket, item: T, start: (item: T, socket: net.Socket) => void): void {
  if (socket.listenerCount('connect') > 0) {
    for (const l of socket.rawListeners('connect')) {
      const waiting = (((l as OnceWrapper).listener ?? l) as Partial<Waiter<T>>)[kWaiting];
      if (waiting === undefined) continue;
      if (!waiting.includes(item)) waiting.push(item);
      return;
    }
  }
  const waiting = [item];
  const waiter = (() => {
    for (const i of waiting) start(i, socket);
  }) as Waiter<T>;
  waiter[kWaiting] = waiting;
  socket.prependOnceListener('connect', waiter);
}
