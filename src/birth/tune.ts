// A compiled Policy on one socket. Client sockets get it before the SYN (client.ts's
// armClient), with the filter asked per connect attempt; accepted sockets get it at once.
// After 'connect', and whenever Node or a library turns keepalive on again, the
// policy's keepalive timing is put back.
import type * as net from 'node:net';
import { setPrepared } from '../core/batch';
import type { CompiledPolicy } from '../core/policy';
import { syncAdopted } from '../core/presocket';
import type { Direction } from '../node/channels';
import { isTcpSocket, resolveFd } from '../node/fd';
import { onKeepAliveEnabled, takeSettled } from '../node/keepalive';
import { cachedKeepAliveOn } from '../node/socket-state';
import { fdNow } from '../node/stream-handle';
import { armClient, configuredAtAttempt, disarmClient } from './client';

/**
 * Sets a compiled policy's options on a socket that has its fd (connected or
 * accepted), and brings Node's cached noDelay/keepAlive in step. A kernel refusal
 * throws the usual system error naming the option.
 */
export function applyPolicy(socket: net.Socket, compiled: CompiledPolicy): void {
  setAll(socket, compiled.prepared);
}

/** Puts a policy's keepalive options back (after Node or a library called socket.setKeepAlive). */
export function applyKeepAlive(socket: net.Socket, compiled: CompiledPolicy): void {
  // No fd yet (a library calls setKeepAlive before connecting): Node replays its cached
  // flag at connect, and the policy is applied after that ('connect').
  if (compiled.keepAlive.length === 0 || socket.destroyed || fdNow(socket) < 0) return;
  try {
    setAll(socket, compiled.keepAlive);
  } catch (err) {
    socket.destroy(err as Error);
  }
}

const kKeepAlive = Symbol('sockopt.policyKeepAlive');
type Guarded = net.Socket & { [kKeepAlive]?: CompiledPolicy };

// A policy outranks the libraries under it: node-redis calls setKeepAlive(true, 5 s)
// on connect, undici setKeepAlive(true, 60 s), http.Agent setKeepAlive(true, 1 s) when it
// parks a socket, and each such call rewrites the idle time (and, through libuv,
// interval 1 s and count 10). After any such call turns keepalive on, the policy's timing
// is put back (node/keepalive.ts runs reapplyKeepAlive); setKeepAlive(false) stands.
function guardKeepAlive(socket: Guarded, compiled: CompiledPolicy): void {
  if (compiled.keepAlive.length === 0) return;
  socket[kKeepAlive] = compiled;
  onKeepAliveEnabled(socket, reapplyKeepAlive);
}

function reapplyKeepAlive(socket: net.Socket): void {
  const compiled = (socket as Guarded)[kKeepAlive];
  if (compiled) applyKeepAlive(socket, compiled);
}

// The one place that writes a policy's options to a socket's fd: one native call for all
// of them (batch.ts); a refusal names the option.
function setAll(socket: net.Socket, prepared: CompiledPolicy['prepared']): void {
  setPrepared(resolveFd(socket), prepared);
  syncAdopted(socket, prepared);
}

/** What a `filter` sees about a socket. */
export interface SocketInfo {
  direction: Direction;
  socket: net.Socket;
  /** client: the address connected to; server: the peer's address. */
  host?: string;
  /** client: the remote port; server: the local port the connection arrived on. */
  port?: number;
}

/** A policy's filter: false leaves the socket untouched. */
export type SocketFilter = (socket: SocketInfo) => boolean;

/** One installed policy for one direction: what every socket it reaches shares (no per-socket closures). */
export interface Tuning {
  readonly direction: Direction;
  readonly compiled: CompiledPolicy;
  readonly filter?: SocketFilter;
}

const kTuning = Symbol('sockopt.tuning');
type Tuned = Guarded & { [kTuning]?: Tuning };

/**
 * Puts a policy on a client socket that will connect (or is connecting): its options
 * go on the kernel socket before the SYN (adopt.ts's armClient), the filter is asked
 * per connect attempt with the address and port, and after 'connect' the keepalive
 * timing is put back over whatever Node replayed. Returns the socket.
 */
export function tuneClient(socket: net.Socket, tuning: Tuning): net.Socket {
  const t = socket as Tuned;
  if (t[kTuning] === undefined) {
    socket.prependListener('connectionAttempt', onAttempt); // before adopt.ts's own listener
    socket.on('connect', onConnect);
  }
  t[kTuning] = tuning;
  armClient(socket, tuning.compiled.prepared); // a socket with its fd already gets the options now
  if (fdNow(socket) >= 0 && !socket.connecting) guardKeepAlive(t, tuning.compiled);
  return socket;
}

// Runs inside Node's connect, right before the attempt: must not throw. A unix-domain
// connection (no IP family) or a socket the filter declines goes out untouched.
function onAttempt(this: Tuned, address: string, port: number, family: number): void {
  const tuning = this[kTuning];
  if (tuning === undefined) return;
  let wanted = family === 4 || family === 6;
  if (wanted && tuning.filter) {
    try {
      wanted = Boolean(tuning.filter({ direction: 'client', socket: this, host: address, port }));
    } catch (err) {
      wanted = false;
      process.nextTick(() => this.destroy(err as Error));
    }
  }
  if (!wanted) {
    this[kTuning] = undefined;
    disarmClient(this);
  }
}

// Node's afterConnect replays a keepalive flag and timing a library set before or while
// connecting (undici's setKeepAlive(true, 60 s), http.Agent's keepAlive option; on Node
// 24+ with interval and count), which rewrites the policy's timing: it is set again here,
// unless the kernel still holds what the attempt set (Node's replay of those same values
// is skipped, keepalive.ts). A setKeepAlive(false) made after the attempt configured this
// socket stands.
function onConnect(this: Tuned): void {
  const tuning = this[kTuning];
  if (tuning === undefined) return;
  const c = tuning.compiled;
  // takeSettled: nothing but Node's replay of the attempt's own values touched keepalive.
  if (c.keepAlive.length > 0 && !takeSettled(this) && !(configuredAtAttempt(this) && cachedKeepAliveOn(this) === false)) applyKeepAlive(this, c);
  guardKeepAlive(this, c);
}


/**
 * An accepted socket has its fd: the policy is set at once, if it is TCP and the
 * filter wants it; a refusal (or a filter that throws) destroys the socket with that error.
 */
export function tuneAccepted(socket: net.Socket, tuning: Tuning): void {
  if (socket.destroyed || !isTcpSocket(socket)) return;
  try {
    if (tuning.filter && !tuning.filter({ direction: 'server', socket, host: socket.remoteAddress, port: socket.localPort })) return;
    applyPolicy(socket, tuning.compiled);
    guardKeepAlive(socket, tuning.compiled);
  } catch (err) {
    socket.destroy(err as Error);
  }
}

