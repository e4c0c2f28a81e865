// Node caches noDelay/keepAlive (and, since Node 24, the keepalive interval and
// count) on net.Socket behind symbols, and skips the syscall when asked for the
// value it believes is set; the cache stores seconds, as the kernel options do. After sockopt changes the kernel flag, the cache must follow, or a
// later socket.setNoDelay(true) would silently do nothing.
import * as net from 'node:net';
import type { NodeStateKey as StateKey } from './registry';
const symbols = new Map<StateKey, symbol | null>();

function symbolFor(sock: net.Socket, key: StateKey): symbol | null {
  let s = symbols.get(key);
  if (s === undefined) {
    // The symbols are module-level in Node's net.js, so one lookup serves every socket.
    s = Object.getOwnPropertySymbols(sock).find((x) => x.description === key) ?? null; // null: not on this Node version
    symbols.set(key, s);
  }
  return s;
}

export function syncNodeState(target: unknown, key: StateKey, value: boolean | number): void {
  if (!(target instanceof net.Socket)) return;
  const s = symbolFor(target, key);
  if (s) (target as unknown as Record<symbol, unknown>)[s] = value;
}
