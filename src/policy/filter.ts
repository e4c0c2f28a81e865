// A policy's filter: one signature (an object) for tuneSockets and trackConnections, asked
// synchronously per socket. A filter that throws (any value), returns a promise, or
// destroys the socket leaves that socket without any process policy, and is reported
// once per filter as a process warning with a code; the socket behaves as Node's own.
import type * as net from 'node:net';
import { withDeferredDestroy } from '../node/filter-guard';

/** What a `filter` sees about a socket. */
export interface SocketInfo {
  direction: 'client' | 'server';
  socket: net.Socket;
  /** client: the address being connected to (this attempt's); server: the peer's address. */
  host?: string;
  /** client: the remote port; server: the local port the connection arrived on. */
  port?: number;
}

/** Return true to give the socket the policy, false to leave it alone. Must be synchronous. */
export type SocketFilter = (info: SocketInfo) => boolean;

/** The filter's answer: true/false, or 'failed' (threw, async, destroyed the socket). */
export type FilterAnswer = boolean | 'failed';

const warned = new WeakSet<object>();

function report(filter: SocketFilter, what: string, code: string): void {
  if (warned.has(filter)) return;
  warned.add(filter);
  process.emitWarning(`a sockopt filter ${what}; that socket was left alone (reported once per filter)`, { type: 'SockoptWarning', code });
}

/** Asks `filter` about one socket, guarding Node's connect path against anything it does. */
export function ask(filter: SocketFilter, info: SocketInfo): FilterAnswer {
  const out = withDeferredDestroy(info.socket, () => filter(info));
  if (out.error) {
    report(filter, `threw ${describe(out.error.thrown)}`, 'SOCKOPT_FILTER_THREW');
    return 'failed';
  }
  if (out.destroyed) {
    report(filter, 'destroyed the socket it was asked about', 'SOCKOPT_FILTER_DESTROYED');
    return 'failed';
  }
  const v = out.value as unknown;
  let thenable: boolean;
  try {
    // An answer's `then` is the filter's code too (a getter, a revoked Proxy): it may throw.
    thenable = v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
  } catch (thrown) {
    report(filter, `answered with a value whose \`then\` threw ${describe(thrown)}`, 'SOCKOPT_FILTER_THREW');
    return 'failed';
  }
  if (thenable) {
    report(filter, 'returned a promise (filters must answer synchronously)', 'SOCKOPT_FILTER_ASYNC');
    return 'failed';
  }
  return Boolean(v);
}

function describe(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
    return String(thrown);
  } catch {
    return 'a value';
  }
}
