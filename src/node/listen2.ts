// net.Server internals a configured listen() needs. Node calls server._listen2 after its
// own argument normalisation, DNS and cluster decision (its source names it as the
// wrapping point); sockopt gives one server an own _listen2, never Node's prototype.
import * as net from 'node:net';

/** The arguments Node passes to _listen2. */
export type Listen2Args = [address: string | null, port: number | null, addressType: number | null, backlog: number | undefined, fd?: number, flags?: number];

interface ServerInternal {
  _handle: unknown;
  _listeningId: number;
  _connectionKey?: string;
  _listen2(...args: Listen2Args): void;
}

const nodeListen2 = (net.Server.prototype as unknown as ServerInternal)._listen2;

/** Routes this server's _listen2 calls to `listen2` (once per server; later calls keep the same function). */
export function interceptListen2(server: net.Server, listen2: (this: net.Server, ...args: Listen2Args) => void): void {
  if (!Object.prototype.hasOwnProperty.call(server, '_listen2')) (server as unknown as ServerInternal)._listen2 = listen2;
}

/** Node's own _listen2 on this server. */
export function callNodeListen2(server: net.Server, args: Listen2Args): void {
  nodeListen2.apply(server, args);
}

/** Node's id of the server's latest listen() call (a close() or newer listen() changes it). */
export function listeningId(server: net.Server): number {
  return (server as unknown as ServerInternal)._listeningId;
}

/** True once Node made the server's handle. */
export function serverHasHandle(server: net.Server): boolean {
  return Boolean((server as unknown as ServerInternal)._handle);
}

/** Records the bound address as Node's own bind path does (cluster and server.address() bookkeeping). */
export function setConnectionKey(server: net.Server, family: 4 | 6, address: string, port: number | null): void {
  (server as unknown as ServerInternal)._connectionKey = `${family}:${address}:${port}`;
}
