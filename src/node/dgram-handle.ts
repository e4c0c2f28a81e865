// A dgram.Socket's UDP handle. dgram keeps it in internal state behind a symbol; the
// public-looking `_handle` getter warns (DEP0112) on Node 20–24 and is gone in 25. The
// symbol is found once, on a socket made here for the purpose: never on an object passed
// in, whose own symbols (a look-alike's) would otherwise decide where every later real
// socket is read.
import * as dgram from 'node:dgram';
import { openInto } from './stream-handle';

/** A dgram socket's UDPWrap. Opaque outside src/node/. */
export interface UdpHandle {
  fd?: number;
  open(fd: number): number;
  lookup(address: string, callback: (err: Error | null, ...rest: unknown[]) => void): unknown;
}
type State = { handle?: UdpHandle | null };

let stateSymbol: symbol | null | undefined;

/** The symbol of dgram's internal state on this Node, or null where it cannot be found. */
export function dgramStateSymbol(): symbol | null {
  if (stateSymbol === undefined) {
    const probe = dgram.createSocket('udp4'); // unbound: no fd is opened
    // Deno names it 'kStateSymbol' (src/node/runtime.ts).
    stateSymbol = Object.getOwnPropertySymbols(probe).find((s) => s.description === 'state symbol' || s.description === 'kStateSymbol') ?? null;
    probe.close();
  }
  return stateSymbol;
}

/** The socket's internal state object, or undefined (not a socket dgram made, or this Node hides it). */
export function dgramState(socket: object): State | undefined {
  const symbol = dgramStateSymbol();
  const state = symbol ? (socket as Record<symbol, unknown>)[symbol] : undefined;
  return state !== null && typeof state === 'object' ? (state as State) : undefined;
}

/** The socket's UDP handle, or null (closed, or not found on this Node). */
export function udpHandleOf(socket: dgram.Socket): UdpHandle | null {
  return dgramState(socket)?.handle ?? null;
}

/**
 * Runs `after` inside the handle's address lookup, once the address is known and before
 * Node binds: what it returns (an error or null) is what Node's bind sees. Installed once
 * per handle (an own property of that handle); later calls do nothing.
 */
const kHooked = Symbol('sockopt.lookupHooked');
export function interceptLookup(handle: UdpHandle, after: (err: Error | null) => Error | null): void {
  const h = handle as UdpHandle & { [kHooked]?: true };
  if (h[kHooked]) return;
  h[kHooked] = true;
  const lookup = handle.lookup;
  handle.lookup = function configuredLookup(address, callback) {
    return lookup.call(this, address, (err, ...rest) => callback(after(err), ...rest));
  };
}

/** The fd a UDP handle holds, or -1. */
export function udpHandleFd(handle: UdpHandle): number {
  return handle.fd ?? -1;
}

/** Puts `fd` into a UDP handle (as for a stream handle: the rc, a thrown error, and whether it holds the fd). */
export function openUdp(handle: UdpHandle, fd: number): { rc: number; error?: unknown; taken: boolean } {
  return openInto(handle, fd);
}
