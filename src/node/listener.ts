// What a listening net.Server holds that decides whether its accepted sockets may take
// their options from it: its handle (a new listen() makes a new one), whether Node made
// the listening socket itself from an address (not an fd or handle passed in, which other
// processes may share), and its own per-connection options (noDelay, keepAlive), which
// Node sets on each accepted socket before any 'connection' handler runs.
import cluster from 'node:cluster';
import type * as net from 'node:net';

interface ServerInternal {
  _handle?: unknown;
  _connectionKey?: string;
  noDelay?: boolean;
  keepAlive?: boolean;
}

/** The server's listening handle (an identity: compared, never used). */
export function listenerHandle(server: net.Server): unknown {
  return (server as unknown as ServerInternal)._handle ?? null;
}

/**
 * True when this process's Node made the listening TCP socket from an address: not a
 * cluster worker (round-robin handles have no socket; shared ones are shared with other
 * workers), not `listen({ fd })` or `listen(handle)` (the socket may be shared).
 */
export function ownsListener(server: net.Server): boolean {
  if (cluster.isWorker) return false;
  const key = (server as unknown as ServerInternal)._connectionKey;
  return typeof key === 'string' && (key.startsWith('4:') || key.startsWith('6:'));
}

/** The options Node itself sets on every socket this server accepts (net.Server's own options). */
export function acceptOptions(server: net.Server): { noDelay: boolean; keepAlive: boolean } {
  const s = server as unknown as ServerInternal;
  return { noDelay: s.noDelay === true, keepAlive: s.keepAlive === true };
}
