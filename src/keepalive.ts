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
import { table } from './options';

/** Seconds set through sockopt, per socket. */
interface Kept {
  interval?: number;
  count?: number;
}

const kept = new WeakMap<object, Kept>();
const guarded = new WeakSet<object>();

interface KeepAliveHandle {
  fd?: number;
  setKeepAlive?: (enable: boolean, idle?: number, interval?: number, count?: number) => number;
  _parent?: KeepAliveHandle;
}

/** Remembers that sockopt set `key` on this socket, and guards its current handle. */
export function keepTiming(socket: object, key: keyof Kept, seconds: number): void {
  const k = kept.get(socket) ?? {};
  k[key] = seconds;
  kept.set(socket, k);
  const handle = (socket as { _handle?: KeepAliveHandle | null })._handle;
  if (handle) guard(handle, socket);
}

// A TLS socket's handle forwards setKeepAlive to the TCP handle below it: guard that one.
function guard(handle: KeepAliveHandle, socket: object): void {
  const tcp = handle._parent ?? handle;
  if (guarded.has(tcp) || typeof tcp.setKeepAlive !== 'function') return;
  guarded.add(tcp);
  const original = tcp.setKeepAlive;
  tcp.setKeepAlive = function keepAliveKeepingTiming(enable, _idle, interval, count) {
    // eslint-disable-next-line prefer-rest-params
    const rc = Reflect.apply(original, this, arguments);
    const k = kept.get(socket);
    if (!enable || rc !== 0 || !k || (this.fd ?? -1) < 0) return rc;
    if (typeof interval === 'number' && interval > 0) k.interval = interval;
    else if (k.interval !== undefined) restore(this.fd!, 'TCP_KEEPINTVL', k.interval);
    if (typeof count === 'number' && count > 0) k.count = count;
    else if (k.count !== undefined) restore(this.fd!, 'TCP_KEEPCNT', k.count);
    return rc;
  };
}

function restore(fd: number, name: 'TCP_KEEPINTVL' | 'TCP_KEEPCNT', seconds: number): void {
  try {
    table[name]!.set!(fd, seconds);
  } catch {
    // Cannot fail where libuv just set the same option on the same fd; and this runs
    // inside Node's setKeepAlive, where a throw would surface in http.Agent or undici.
  }
}
