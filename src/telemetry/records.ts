// What telemetry publishes: the channel names and the sample and close records.
import type * as net from 'node:net';
import type { TcpInfo } from '../kernel/tcp-info';
import type { Direction } from '../node/channels';
import type { TcpDelta } from './deltas';

export type { TcpCounter, TcpDelta } from './deltas';

/** The channel names (node:diagnostics_channel) trackConnections publishes on. */
export const tcpChannels = Object.freeze({ sample: 'sockopt:tcp:sample', close: 'sockopt:tcp:close' } as const);

/**
 * Why a connection ended:
 * - `'local'`: this process closed it (destroy(), end(), a library's own timeout or
 *   shutdown such as undici's pool.close(); also a reset that came after this side had
 *   sent its FIN, as amqplib's close() gets);
 * - `'peer'`: the peer's FIN came first (then this side closed);
 * - `'reset'`: ECONNRESET or EPIPE from the kernel;
 * - `'timeout'`: ETIMEDOUT from the kernel (user timeout, keepalive probes, retransmissions);
 * - `'error'`: any other socket error (e.g. EHOSTUNREACH).
 */
export type CloseReason = 'local' | 'peer' | 'reset' | 'timeout' | 'error';

/** The connection's addresses, read once per connection (first sample or close record; with a filter, when tracking began). */
export interface TcpEndpoints {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
}

/** Published on 'sockopt:tcp:sample' at each jittered interval. */
export interface TcpSample extends TcpEndpoints {
  socket: net.Socket;
  direction: Direction;
  /** TCP_INFO as getTcpInfo() decodes it (µs for RTTs, bytes, segments; see TcpInfo). */
  info: TcpInfo;
  delta: TcpDelta;
}

/** Published on 'sockopt:tcp:close' once per tracked connection, just before its fd is closed. */
export interface TcpClose extends TcpEndpoints {
  /** The socket, being destroyed. A reconnected socket object gets one record per connection. */
  socket: net.Socket;
  direction: Direction;
  reason: CloseReason;
  /** 'IPv4' or 'IPv6'. */
  family: string | undefined;
  /**
   * TCP_INFO read while the fd was still open. Absent only when no fd could be read at the
   * close (a handle closed outside Node's destroy path). A socket whose handle is sent to a
   * child process (`child.send(message, socket)`) gets no close record: Node hands the
   * connection over without destroying the socket object; the child's own tracking sees it.
   */
  info?: TcpInfo;
  /** Growth since the last sample (or from zero when there was none). */
  delta: TcpDelta;
  /**
   * The error the socket failed with (reason 'reset', 'timeout' or 'error': a system error
   * with Node's code, e.g. 'ECONNRESET', 'ETIMEDOUT'); absent on a local or peer close,
   * even when a library destroyed the socket with an error of its own.
   */
  error?: Error;
  /** ms from the start of tracking ('connect' for clients, accept for servers) to the close. */
  duration: number;
}
