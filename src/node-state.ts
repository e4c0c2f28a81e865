// Node caches noDelay/keepAlive (and, since Node 24, the keepalive interval and
// count) on net.Socket behind symbols, and skips the syscall when asked for the
// value it believes is set; the cache stores seconds, as the kernel options do. After
// sockopt changes the kernel flag, the cache must follow, or a later
// socket.setNoDelay(true) would silently do nothing. Interval and count set through
// sockopt are also kept across Node's own keepalive calls (keepalive.ts).
import * as net from 'node:net';
import { keepTiming, unsettle } from './keepalive';
import type { NodeStateKey as StateKey } from './registry';
// The symbols are module-level in Node's net.js and set in the Socket constructor,
// so one look at a fresh socket, at load time, finds them all; a key this Node
// version does not have maps to undefined and is skipped.
const symbols: Partial<Record<StateKey, symbol>> = Object.fromEntries(
  Object.getOwnPropertySymbols(new net.Socket()).map((s) => [s.description, s]),
);

const KEPT = { kSetKeepAliveInterval: 'interval', kSetKeepAliveCount: 'count' } as const;
const KEEPALIVE_KEYS = new Set<StateKey>(['kSetKeepAlive', 'kSetKeepAliveInitialDelay', 'kSetKeepAliveInterval', 'kSetKeepAliveCount']);

export function syncNodeState(target: unknown, key: StateKey, value: boolean | number): void {
  if (!(target instanceof net.Socket)) return;
  if (KEEPALIVE_KEYS.has(key)) unsettle(target);
  const s = symbols[key];
  if (s !== undefined) (target as unknown as Record<symbol, unknown>)[s] = value;
  const kept = KEPT[key as keyof typeof KEPT];
  if (kept) keepTiming(target, kept, value as number);
}

/**
 * syncNodeState for one key, with its symbol and keepalive role looked up once: what
 * every setsockopt of TCP_NODELAY or SO_KEEPALIVE runs (options.ts makes it on first use).
 */
export function nodeStateWriter(key: StateKey): (target: unknown, value: boolean | number) => void {
  const s = symbols[key];
  const kept = KEPT[key as keyof typeof KEPT];
  const keepAlive = KEEPALIVE_KEYS.has(key);
  return (target, value) => {
    if (!(target instanceof net.Socket)) return;
    if (keepAlive) unsettle(target);
    if (s !== undefined) (target as unknown as Record<symbol, unknown>)[s] = value;
    if (kept) keepTiming(target, kept, value as number);
  };
}

/** Node's cached keepalive flag of a socket (what its afterConnect replays; undefined where this Node has none). */
export function cachedKeepAliveOn(socket: object): unknown {
  return symbols.kSetKeepAlive && (socket as Record<symbol, unknown>)[symbols.kSetKeepAlive];
}
