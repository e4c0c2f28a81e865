// Node's own entry points, captured once at load, before anyone (sockopt included)
// can wrap them: sockopt's listen()/bind() call these after their own checks, and take
// Node's argument normalisation instead of re-implementing it.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { Duplex } from 'node:stream';

/** Node's argument normalisation for connect()/listen() (lib/net.js `_normalizeArgs`). */
export type Normalized = [Record<string, unknown>, ((...a: unknown[]) => void) | null];
export const normalizeArgs = (net as unknown as { _normalizeArgs(args: unknown[]): Normalized })._normalizeArgs;

/** Node's net.Server.prototype.listen. */
export const nodeListen = net.Server.prototype.listen as (this: net.Server, ...args: unknown[]) => net.Server;

/** Node's dgram.Socket.prototype.bind. */
export const nodeBind = dgram.Socket.prototype.bind as (this: dgram.Socket, ...args: unknown[]) => dgram.Socket;

/** The handle a listen() options object names (Node accepts `_handle` and `handle`), else the options themselves. */
export function listenTarget(options: Record<string, unknown>): unknown {
  return options._handle ?? options.handle ?? options;
}

/** A real stream.Duplex (Node's tls.connect wraps any truthy `socket` and fails inside on anything else). */
export function isDuplexStream(x: unknown): boolean {
  return x instanceof Duplex && Boolean((x as { _readableState?: unknown })._readableState);
}
