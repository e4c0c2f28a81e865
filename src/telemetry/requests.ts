// Per-request TCP numbers: for each HTTP request made through undici (global fetch too)
// or http.request, one record on 'sockopt:http:request' with the socket's RTT when the
// request went out and how much its retransmission, byte and loss counters moved while
// the request lasted. Fed by the clients' own diagnostics channels:
//   undici:client:sendHeaders (request, socket) → TCP_INFO before the request is written
//   undici:request:headers (status) · undici:request:trailers / undici:request:error → TCP_INFO again, publish
//   http.client.request.start → the request's 'socket' → TCP_INFO; http.client.response.finish → publish
// The deltas are the socket's: with pipelining, or HTTP/2 streams sharing a connection,
// requests in flight together share them. Nothing is subscribed until trackRequests().
import * as diagnostics from 'node:diagnostics_channel';
import type * as http from 'node:http';
import type * as net from 'node:net';
import { invalidArgType, refuseUnknownKeys, unsupported } from '../kernel/errors';
import { hasTcpInfo, readTcpInfo, type TcpInfo } from '../kernel/tcp-info';
import { fdNow } from '../node/stream-handle';

/** The channel trackRequests publishes on. */
export const httpChannel = 'sockopt:http:request';

/** How much the socket's counters moved over the request (segments, bytes; `lost` is a gauge's change). */
export interface RequestDelta {
  /** Δ tcpi_total_retrans: segments retransmitted. */
  retransmits: number;
  /** Δ tcpi_bytes_retrans. */
  bytesRetrans: number;
  /** Δ tcpi_bytes_sent (retransmissions included). */
  bytesSent: number;
  /** Δ tcpi_bytes_received. */
  bytesReceived: number;
  /** Change of tcpi_lost (segments the kernel holds lost right now): may be negative. */
  lost: number;
}

/** Published on 'sockopt:http:request' once per request that completed or failed. */
export interface HttpRequestRecord {
  client: 'undici' | 'http';
  /** e.g. 'http://127.0.0.1:8080'. */
  origin: string;
  method: string;
  path: string;
  /** The response status; absent when the request failed before one arrived. */
  status?: number;
  socket: net.Socket;
  /** Smoothed RTT and minimum RTT of the socket when the request went out (µs); at the end when the socket was still connecting then. */
  rtt?: number;
  minRtt?: number;
  /** Absent when the socket was already closed at the end (a request that failed with its connection). */
  delta?: RequestDelta;
  /** undici's error for a failed request (http.request failures are not published: Node 20 has no channel for them). */
  error?: Error;
  /** ms from the request going out to its end. */
  duration: number;
}

export interface TrackRequestsOptions {
  /** undici and global fetch (default true). */
  undici?: boolean;
  /** http.request / https.request (default true). */
  http?: boolean;
}
const FIELDS = new Set(['undici', 'http']);

interface Start {
  socket: net.Socket | null;
  info: TcpInfo | undefined;
  at: number;
  status: number | undefined;
}
const kStart = Symbol('sockopt.requestStart');
type Carrier = { [kStart]?: Start };

const channel = diagnostics.channel(httpChannel);

function read(socket: net.Socket): TcpInfo | undefined {
  const fd = fdNow(socket);
  if (fd < 0) return undefined;
  try {
    return readTcpInfo(fd, false) as TcpInfo;
  } catch {
    return undefined;
  }
}

const d = (end: number | undefined, start: number | undefined): number => (end ?? 0) - (start ?? 0);

function publish(client: 'undici' | 'http', start: Start, origin: string, method: string, path: string, error?: Error): void {
  const socket = start.socket;
  if (!socket || !channel.hasSubscribers) return;
  const end = read(socket);
  const from = start.info;
  const at = from ?? end;
  const record: HttpRequestRecord = {
    client,
    origin,
    method,
    path,
    ...(start.status !== undefined && { status: start.status }),
    socket,
    ...(at?.rtt !== undefined && { rtt: at.rtt }),
    ...(at?.minRtt !== undefined && { minRtt: at.minRtt }),
    ...(end && {
      delta: {
        retransmits: d(end.totalRetrans, from?.totalRetrans),
        bytesRetrans: d(end.bytesRetrans, from?.bytesRetrans),
        bytesSent: d(end.bytesSent, from?.bytesSent),
        bytesReceived: d(end.bytesReceived, from?.bytesReceived),
        lost: d(end.lost, from?.lost),
      },
    }),
    ...(error && { error }),
    duration: performance.now() - start.at,
  };
  channel.publish(record);
}

// undici: the request object is undici's Request (origin, method, path).
interface UndiciRequest extends Carrier {
  origin?: unknown;
  method?: unknown;
  path?: unknown;
}
const undiciEnd = (error: boolean) => (message: unknown): void => {
  const m = message as { request?: UndiciRequest; error?: Error };
  const request = m?.request;
  const start = request?.[kStart];
  if (!start) return;
  request[kStart] = undefined;
  publish('undici', start, String(request.origin), String(request.method), String(request.path), error ? m.error : undefined);
};
const undiciHandlers: [string, (message: unknown) => void][] = [
  [
    'undici:client:sendHeaders',
    (message) => {
      const m = message as { request?: UndiciRequest; socket?: net.Socket };
      if (!m?.request || !m.socket) return;
      m.request[kStart] = { socket: m.socket, info: read(m.socket), at: performance.now(), status: undefined };
    },
  ],
  [
    'undici:request:headers',
    (message) => {
      const m = message as { request?: UndiciRequest; response?: { statusCode?: number } };
      const start = m?.request?.[kStart];
      if (start) start.status = m.response?.statusCode;
    },
  ],
  ['undici:request:trailers', undiciEnd(false)],
  ['undici:request:error', undiciEnd(true)],
];

// http.request: the ClientRequest gets its socket later (from the agent); its TCP_INFO is read then.
type Request = http.ClientRequest & Carrier;
const httpHandlers: [string, (message: unknown) => void][] = [
  [
    'http.client.request.start',
    (message) => {
      const request = (message as { request?: Request })?.request;
      if (!request || typeof request.once !== 'function') return;
      const start: Start = { socket: null, info: undefined, at: performance.now(), status: undefined };
      request[kStart] = start;
      // Node 20 publishes this channel when the request is finished, which may be after its
      // 'socket' event (a kept-alive socket is handed over at once): read it now then.
      const now = request.socket as net.Socket | null | undefined;
      if (now) {
        start.socket = now;
        start.info = read(now);
        return;
      }
      request.once('socket', (socket: net.Socket) => {
        start.socket = socket;
        start.info = read(socket);
      });
    },
  ],
  [
    'http.client.response.finish',
    (message) => {
      const m = message as { request?: Request; response?: http.IncomingMessage };
      const request = m?.request;
      const start = request?.[kStart];
      if (!start) return;
      request[kStart] = undefined;
      start.status = m.response?.statusCode;
      start.socket ??= request.socket as net.Socket | null;
      const socket = start.socket;
      const port = socket?.remotePort;
      const host = request.host.includes(':') ? `[${request.host}]` : request.host; // an IPv6 literal, as a URL writes it
      publish('http', start, `${request.protocol}//${host}${port ? `:${port}` : ''}`, request.method, request.path);
    },
  ],
];

// Each handler runs inside the client's own code path: nothing may throw there.
const guarded = (fn: (message: unknown) => void) => (message: unknown) => {
  try {
    fn(message);
  } catch {
    // a malformed message or a subscriber's throw: that request goes unpublished
  }
};
const subscribed = new Map<string, { fn: (message: unknown) => void; holders: number }>();

/**
 * Publishes one record per HTTP request on 'sockopt:http:request' (HttpRequestRecord): the
 * origin, method, path and status, the socket's RTT and minimum RTT when the request went
 * out, and the deltas of its retransmission, byte and loss counters over the request.
 * undici (global fetch included) and http.request by default. Returns `stop()`
 * (idempotent). Linux only; costs nothing until called.
 */
export function trackRequests(options: TrackRequestsOptions = {}): () => void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType('options', 'an object', options);
  refuseUnknownKeys(options, FIELDS, 'options');
  for (const name of ['undici', 'http'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw invalidArgType(`options.${name}`, 'of type boolean', options[name]);
  }
  if (!hasTcpInfo) throw unsupported('TCP_INFO', ['linux']);
  const handlers = [...(options.undici !== false ? undiciHandlers : []), ...(options.http !== false ? httpHandlers : [])];
  for (const [name, fn] of handlers) {
    let s = subscribed.get(name);
    if (!s) {
      s = { fn: guarded(fn), holders: 0 };
      subscribed.set(name, s);
      diagnostics.subscribe(name, s.fn);
    }
    s.holders++;
  }
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    for (const [name] of handlers) {
      const s = subscribed.get(name)!;
      if (--s.holders > 0) continue;
      diagnostics.unsubscribe(name, s.fn);
      subscribed.delete(name);
    }
  };
}
