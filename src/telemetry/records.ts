// What telemetry publishes: the channel names and the sample and close records.
import type * as net from 'node:net';
import type { TcpInfo } from '../kernel/tcp-info';
import type { Direction } from '../node/channels';
import type { TcpDelta } from './deltas';

export type { TcpCounter, TcpDelta } from './deltas';

/** The channel names (node:diagnostics_channel) trackConnections publishes on. */
export const tcpChannels = Object.freeze({ sample: 'sockopt:tcp:sample', close: 'sockopt:tcp:close' } as const);

/** Published on 'sockopt:tcp:sample' at each jittered interval. */
export interface TcpSample {
  socket: net.Socket;
  direction: Direction;
  /** TCP_INFO as getTcpInfo() decodes it (µs for RTTs, bytes, segments; see TcpInfo). */
  info: TcpInfo;
  delta: TcpDelta;
}

/** Published on 'sockopt:tcp:close' once per tracked connection, just before its fd is closed. */
export interface TcpClose {
  /**
   * The socket, being destroyed. After a reset or a timeout the kernel no longer knows the
   * peer, so `remoteAddress` is undefined then unless it was read earlier (Node caches it):
   * read it in `filter`, which runs at 'connect' / accept, when the peer matters.
   */
  socket: net.Socket;
  direction: Direction;
  /**
   * TCP_INFO read while the fd was still open. Absent only when the kernel socket was
   * already gone (e.g. its handle had been sent to a child process).
   */
  info?: TcpInfo;
  /** Growth since the last sample (or from zero when there was none). */
  delta: TcpDelta;
  /** The error the socket was destroyed with (e.g. code 'ECONNRESET', 'ETIMEDOUT'); absent on a clean close. */
  error?: Error;
  /** ms from the start of tracking ('connect' for clients, accept for servers) to the close. */
  duration: number;
}
