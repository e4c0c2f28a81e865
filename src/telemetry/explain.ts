// Errors that explain themselves (trackConnections({ explainErrors: true })): when a
// tracked socket fails with one of the codes below, the error Node is about to emit gets
// `err.tcp` — TCP_INFO read inside the socket's destroy step, before the fd closes — and
// one short clause in its message saying which bound fired. The code, errno and syscall
// stay exactly Node's, so code that matches on them sees no change. Runs only on those
// errors: nothing is read or allocated otherwise.
import type * as net from 'node:net';
import { getsockopt } from '../core/api';
import { hasTcpInfo, readTcpInfo, type TcpInfo, type TcpState } from '../kernel/tcp-info';
import { onSocketError } from '../node/destroy-hook';
import { isTcpSocket, resolveFd } from '../node/fd';

const CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EPIPE']);

/** Which limit ended the connection, as TCP_INFO and the socket's options show it. */
export type TcpBound =
  /** A connect whose SYN was never answered (TCP_SYNCNT retransmissions). */
  | 'syn-retries'
  /** An idle connection whose keepalive probes went unanswered (TCP_KEEPCNT). */
  | 'keepalive'
  /** Data unacknowledged for longer than TCP_USER_TIMEOUT. */
  | 'user-timeout'
  /** Data unacknowledged through the system's retransmission limit (net.ipv4.tcp_retries2). */
  | 'retransmissions'
  /** The peer reset the connection (ECONNRESET, EPIPE). */
  | 'reset'
  /** None of the above could be told from the state (e.g. an ICMP error on an idle connection). */
  | 'unknown';

/** What `err.tcp` holds. Times in ms, except `rto`/`rtt` in µs (as TcpInfo). */
export interface TcpExplained {
  bound: TcpBound;
  state?: TcpState;
  /** Retransmissions of the oldest unacknowledged segment (or of the SYN) when it ended. */
  retransmits?: number;
  /** Keepalive (or zero-window) probes sent without an answer. */
  probes?: number;
  backoff?: number;
  rto?: number;
  rtt?: number;
  /** Segments sent and not acknowledged. */
  unacked?: number;
  lastDataSent?: number;
  lastDataRecv?: number;
  lastAckRecv?: number;
  bytesSent?: number;
  bytesAcked?: number;
  bytesReceived?: number;
  /** The options behind the bound that fired, as the kernel held them (absent when unreadable). */
  settings: Partial<Record<'TCP_SYNCNT' | 'TCP_USER_TIMEOUT' | 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT', number>>;
}

type Explainable = NodeJS.ErrnoException & { tcp?: TcpExplained };

let holders = 0;

/** True while explainErrors is on somewhere in the process. */
export const explaining = (): boolean => holders > 0;

/**
 * Turns explainErrors on, process-wide, until the returned function is called (counted:
 * it stays on while any holder has it). It hooks net.Socket.prototype._destroy, so a
 * socket costs nothing until it is destroyed with an error; off, nothing is hooked.
 */
export function explainErrors(): () => void {
  if (!hasTcpInfo) return () => {};
  if (holders++ === 0) onSocketError(onError);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--holders === 0) onSocketError(undefined);
  };
}

// Sockets not tracked by trackConnections (or tracked before it was turned on) come here.
function onError(socket: net.Socket, err: Error): void {
  if (!isExplainable(err) || !isTcpSocket(socket)) return;
  let info: TcpInfo | undefined;
  try {
    info = readTcpInfo(resolveFd(socket), false) as TcpInfo;
  } catch {
    info = undefined;
  }
  explain(socket, err as NodeJS.ErrnoException, info);
}

/** An error explainErrors annotates: a system error with one of the codes, not already annotated. */
export function isExplainable(err: Error): boolean {
  const e = err as Explainable;
  try {
    return typeof e.code === 'string' && CODES.has(e.code) && typeof e.errno === 'number' && e.tcp === undefined && Object.isExtensible(err);
  } catch {
    return false; // a getter or Proxy trap that throws: not an error Node made
  }
}

function option(socket: net.Socket, name: keyof TcpExplained['settings'], into: TcpExplained['settings']): number | undefined {
  try {
    const v = getsockopt(socket, name) as number;
    into[name] = v;
    return v;
  } catch {
    return undefined;
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * Builds err.tcp and the clause from TCP_INFO (`info`, read by the caller while the fd was
 * open) and the options behind each bound. Never throws: a frozen error is left as it is.
 */
export function explain(socket: net.Socket, err: NodeJS.ErrnoException, info: TcpInfo | undefined): void {
  try {
    const settings: TcpExplained['settings'] = {};
    const tcp: TcpExplained = { bound: 'unknown', settings };
    if (info) {
      for (const k of ['state', 'retransmits', 'probes', 'backoff', 'rto', 'rtt', 'unacked', 'lastDataSent', 'lastDataRecv', 'lastAckRecv', 'bytesSent', 'bytesAcked', 'bytesReceived'] as const) {
        if (info[k] !== undefined) (tcp as unknown as Record<string, unknown>)[k] = info[k];
      }
    }
    let clause: string;
    const rto = info?.rto !== undefined ? `, rto ${seconds(info.rto / 1000)}` : '';
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      tcp.bound = 'reset';
      const unacked = info?.unacked ? `, ${plural(info.unacked, 'segment')} unacknowledged` : '';
      clause = info ? `reset by peer: last data received ${seconds(info.lastDataRecv ?? 0)} ago${unacked}` : 'reset by peer';
    } else if (err.syscall === 'connect') {
      tcp.bound = 'syn-retries';
      const syn = option(socket, 'TCP_SYNCNT', settings);
      clause = `SYN not answered: ${plural(info?.retransmits ?? 0, 'retransmit')}${rto}${syn !== undefined ? `; TCP_SYNCNT ${syn}` : ''}`;
    } else if (info && (info.probes ?? 0) > 0 && !info.retransmits) {
      tcp.bound = 'keepalive';
      const idle = option(socket, 'TCP_KEEPIDLE', settings);
      const intvl = option(socket, 'TCP_KEEPINTVL', settings);
      const cnt = option(socket, 'TCP_KEEPCNT', settings);
      const since = info.lastDataRecv !== undefined ? `, idle ${seconds(info.lastDataRecv)}` : '';
      clause = `${plural(info.probes!, 'keepalive probe')} unanswered${since}; TCP_KEEPIDLE ${idle}, TCP_KEEPINTVL ${intvl}, TCP_KEEPCNT ${cnt}`;
    } else if (info && ((info.retransmits ?? 0) > 0 || (info.unacked ?? 0) > 0)) {
      // Data went unacknowledged. (The kernel empties its send queue when it gives up, so
      // `unacked` is 0 by now; the RTO retransmissions of the oldest segment remain.)
      const ut = option(socket, 'TCP_USER_TIMEOUT', settings);
      tcp.bound = ut ? 'user-timeout' : 'retransmissions';
      const since = info.lastAckRecv !== undefined ? `no ACK for ${seconds(info.lastAckRecv)}: ` : '';
      clause = `${since}${plural(info.retransmits ?? 0, 'retransmit')}${rto}${ut ? `; TCP_USER_TIMEOUT ${ut}` : '; the system retransmission limit (tcp_retries2)'}`;
    } else {
      clause = info ? `state ${info.state}, ${plural(info.retransmits ?? 0, 'retransmit')}${rto}` : 'no TCP state readable';
    }
    // err.tcp first: an error that refuses it (sealed, not extensible) stays as Node made it,
    // and its message is not given the clause a second time by the next hook that sees it.
    (err as Explainable).tcp = tcp;
    const before = err.message;
    if (typeof before !== 'string') return; // a look-alike without a message: err.tcp only
    err.message = `${before} (${clause})`;
    if (typeof err.stack === 'string' && err.stack.includes(before)) err.stack = err.stack.replace(before, err.message);
  } catch {
    // An error object that refuses new properties (or a message) stays as Node made it.
  }
}
