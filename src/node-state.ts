// Node caches noDelay/keepAlive on net.Socket (symbols kSetNoDelay,
// kSetKeepAlive) and skips the syscall when asked for the value it believes
// is set. After sockopt changes the kernel flag, the cache must follow, or a
// later socket.setNoDelay(true) would silently do nothing.
import * as net from 'node:net';
import type { OptionSpec } from './registry';

type StateKey = NonNullable<OptionSpec['nodeState']> | 'kSetKeepAliveInitialDelay';
const symbols = new Map<StateKey, symbol | null>();

function symbolFor(sock: net.Socket, key: StateKey): symbol | null {
  let s = symbols.get(key);
  if (s === undefined) {
    // The symbols are module-level in Node's net.js, so one lookup serves every socket.
    s = Object.getOwnPropertySymbols(sock).find((x) => x.description === key) ?? null;
    symbols.set(key, s);
  }
  return s;
}

export function syncNodeState(target: unknown, key: StateKey, value: boolean | number): void {
  if (!(target instanceof net.Socket)) return;
  const s = symbolFor(target, key);
  if (s) (target as unknown as Record<symbol, unknown>)[s] = value;
}
