// Client sockets are published at connect(), before they have an fd: tracking starts at
// their 'connect'. What waits for it (the trackers given the socket) is a list on the
// socket under this copy's symbol, behind one listener of ours per socket: a module-level
// function (no closure, no once-wrapper per socket) put ahead of the app's listeners and
// left in place, so a reused socket (a client reconnecting) waits again through the same
// listener instead of gathering one per attempt (Node's MaxListenersExceededWarning after 10).
import type * as net from 'node:net';

/**
 * A waiter: `wait(socket, item)` calls `start(item, socket)` at `socket`'s next 'connect',
 * once per item, in the order given, ahead of the app's own 'connect' listeners (one added
 * before connect() may destroy it). An item already waiting on that socket is not added twice.
 */
export function connectWaiter<T extends object>(start: (item: T, socket: net.Socket) => void): (socket: net.Socket, item: T) => void {
  const kWaiting = Symbol('sockopt.tcp.waiting');
  // What waits on a socket: one item as itself (no array per socket in the common case),
  // several in an array; null once taken (the slot stays: no shape change per connect).
  type Waiting = net.Socket & { [kWaiting]?: T | T[] | null };
  function onConnect(this: Waiting): void {
    const waiting = this[kWaiting];
    if (waiting === undefined || waiting === null) return;
    this[kWaiting] = null; // emptied first: a start() that reconnects the socket waits afresh
    if (!Array.isArray(waiting)) start(waiting, this);
    else for (const item of waiting) start(item, this);
  }
  return (socket, item) => {
    const s = socket as Waiting;
    const waiting = s[kWaiting];
    if (waiting === undefined) {
      s[kWaiting] = item;
      socket.prependListener('connect', onConnect);
    } else if (waiting === null) s[kWaiting] = item;
    else if (Array.isArray(waiting)) {
      if (!waiting.includes(item)) waiting.push(item);
    } else if (waiting !== item) s[kWaiting] = [waiting, item];
  };
}
