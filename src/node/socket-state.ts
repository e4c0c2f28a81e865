// Node caches noDelay/keepAlive (and, since Node 24, the keepalive interval and
// count) on net.Socket behind symbols, and skips the syscall when asked for the
// value it believes is set; the cache stores seconds, as the kernel options do. After
// sockopt changes the kernel flag, the cache must follow, or a later
// socket.setNoDelay(true) would silently do nothing. Interval and count set through
// sockopt are also kept across Node's own keepalive calls (keepalive.ts).
import * as net from 'node:net';
import { nodeSocketOf } from './fd';
import { keepTiming, noteAppKeepAlive, unsettle } from './keepalive';
import { unsettleNoDelay } from './stream-handle';
import type { NodeStateKey as StateKey } from '../kernel/registry';
// The symbols are module-level in Node's net.js and set in the Socket constructor,
// so one look at a fresh socket, at load time, finds them all; a key this Node
// version does not have maps to undefined and is skipped.
const symbols: Partial<Record<StateKey, symbol>> = Object.fromEntries(
  Object.getOwnPropertySymbols(new net.Socket()).map((s) => [s.description, s]),
);

const { Socket } = net;
const KEPT = { kSetKeepAliveInterval: 'interval', kSetKeepAliveCount: 'count' } as const;
// The keepalive keys, by the option each caches.
const KEEPALIVE_OPTION: Partial<Record<StateKey, string>> = { kSetKeepAlive: 'SO_KEEPALIVE', kSetKeepAliveInitialDelay: 'TCP_KEEPIDLE', kSetKeepAliveInterval: 'TCP_KEEPINTVL', kSetKeepAliveCount: 'TCP_KEEPCNT' };

/** Writes one cached flag after sockopt set it: `native` as the kernel took it (0/1 for flags, seconds). */
export type StateWriter = (target: unknown, native: unknown) => void;

/**
 * The writer of one key, with its symbol, conversion and keepalive role fixed once, at
 * load time: what every setsockopt of TCP_NODELAY or a keepalive option runs. `target` may
 * be the net.Socket or what holds one (request, response, http2 session); anything else
 * (an fd number, a dgram socket) has no cache and is left alone.
 */
export function nodeStateWriter(key: StateKey, bool: boolean): StateWriter {
  const s = symbols[key];
  const kept = KEPT[key as keyof typeof KEPT];
  const keepAlive = KEEPALIVE_OPTION[key];
  return (target, native) => {
    const socket = target instanceof Socket ? target : nodeSocketOf(target);
    if (socket === undefined) return;
    // A pending skip of Node's noDelay replay (stream-handle.ts) assumed the kernel held what
    // the attempt set; after this write (e.g. in the app's 'connectionAttempt' listener) it may not.
    if (key === 'kSetNoDelay') unsettleNoDelay(socket);
    if (keepAlive !== undefined) {
      unsettle(socket);
      noteAppKeepAlive(socket, keepAlive, bool ? Number(native !== 0) : (native as number) | 0);
    }
    // `| 0`: Node keeps these as small integers; a double from the batch's Float64Array
    // stored there would change the field's representation and deoptimize code using sockets.
    const value = bool ? native !== 0 : (native as number) | 0;
    if (s !== undefined) (socket as unknown as Record<symbol, unknown>)[s] = value;
    if (kept) keepTiming(socket, kept, value as number);
  };
}

/** Node's cached keepalive flag of a socket (what its afterConnect replays; undefined where this Node has none). */
export function cachedKeepAliveOn(socket: object): unknown {
  return symbols.kSetKeepAlive && (socket as Record<symbol, unknown>)[symbols.kSetKeepAlive];
}
