// One call per common tuning job, with the unit in the name or the docs; each
// returns what the kernel holds afterwards (read back, not assumed).
import { getsockopt, setsockopt } from './api';
import { invalidArgType, outOfRange } from './errors';
import type { SocketLike } from './fd';
import { table } from './options';

export interface KeepAliveOptions {
  /** Turn keepalive on (default) or off. */
  enable?: boolean;
  /** Idle time before the first probe, ms. The kernel takes whole seconds: rounded up, at least 1 s. */
  idle?: number;
  /** Time between probes, ms (rounded up to whole seconds, at least 1 s). */
  interval?: number;
  /** Unanswered probes before the connection fails with ETIMEDOUT (1–127). */
  count?: number;
}

export interface KeepAliveState {
  enable: boolean;
  /** ms (the kernel's seconds × 1000). */
  idle: number;
  /** ms. */
  interval: number;
  count: number;
}

const MAX_KEEPALIVE_S = 32767; // MAX_TCP_KEEPIDLE / MAX_TCP_KEEPINTVL

/** ms → whole seconds for the kernel: rounded up, never 0. */
export function msToKeepAliveSeconds(name: string, ms: unknown): number {
  if (typeof ms !== 'number') throw invalidArgType(name, 'of type number (milliseconds)', ms);
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (!(ms > 0) || s > MAX_KEEPALIVE_S) throw outOfRange(name, `> 0 and <= ${MAX_KEEPALIVE_S * 1000} ms`, ms);
  return s;
}

/**
 * Keepalive that detects a dead peer: after `idle` ms without traffic, probe every
 * `interval` ms; after `count` unanswered probes the socket errors with ETIMEDOUT
 * (about idle + interval × count). Node's own keepAlive state is kept in step.
 */
export function setKeepAlive(socket: SocketLike, options: KeepAliveOptions = {}): KeepAliveState {
  const { enable = true, idle, interval, count } = options;
  if (typeof enable !== 'boolean') throw invalidArgType('options.enable', 'of type boolean', enable);
  // Convert and check everything before the first syscall.
  const idleS = idle === undefined ? undefined : msToKeepAliveSeconds('options.idle', idle);
  const intervalS = interval === undefined ? undefined : msToKeepAliveSeconds('options.interval', interval);
  if (count !== undefined) table.TCP_KEEPCNT!.check!(count);
  if (idleS !== undefined) setsockopt(socket, 'TCP_KEEPIDLE', idleS);
  if (intervalS !== undefined) setsockopt(socket, 'TCP_KEEPINTVL', intervalS);
  if (count !== undefined) setsockopt(socket, 'TCP_KEEPCNT', count);
  setsockopt(socket, 'SO_KEEPALIVE', enable);
  const held: KeepAliveState = {
    enable: getsockopt(socket, 'SO_KEEPALIVE'),
    idle: getsockopt(socket, 'TCP_KEEPIDLE') * 1000,
    interval: getsockopt(socket, 'TCP_KEEPINTVL') * 1000,
    count: getsockopt(socket, 'TCP_KEEPCNT'),
  };
  return held; // Node's cached keepalive state follows each setsockopt above (see node-state.ts)
}

/**
 * TCP_USER_TIMEOUT: how long sent data may stay unacknowledged before the
 * connection fails with ETIMEDOUT, in ms (`null` or 0 = the system's retransmission
 * schedule, about 15 minutes). Returns the kernel's value (null for 0).
 */
export function setUserTimeout(socket: SocketLike, ms: number | null): number | null {
  // Fractions round up: a timeout must never come out shorter than asked.
  const value = ms === null ? 0 : typeof ms === 'number' && ms > 0 && !Number.isInteger(ms) ? Math.ceil(ms) : ms;
  setsockopt(socket, 'TCP_USER_TIMEOUT', value);
  return getsockopt(socket, 'TCP_USER_TIMEOUT') || null;
}

/** SO_LINGER in whole seconds (`null` = off, 0 = reset on close). Returns the kernel's value. */
export function setLinger(socket: SocketLike, seconds: number | null): number | null {
  setsockopt(socket, 'SO_LINGER', seconds);
  return getsockopt(socket, 'SO_LINGER');
}

export interface Timeouts {
  /** SO_RCVTIMEO, ms (null = none). */
  recv?: number | null;
  /** SO_SNDTIMEO, ms (null = none). */
  send?: number | null;
}

/**
 * SO_RCVTIMEO / SO_SNDTIMEO in ms. They bound blocking calls, so they matter for
 * fds handed to blocking code (child processes, other addons), not Node's own I/O.
 * Returns what the kernel holds (rounded up to its tick).
 */
export function setTimeouts(socket: SocketLike, timeouts: Timeouts): { recv: number | null; send: number | null } {
  if (timeouts === null || typeof timeouts !== 'object') throw invalidArgType('timeouts', 'an object { recv, send }', timeouts);
  if (timeouts.recv !== undefined) setsockopt(socket, 'SO_RCVTIMEO', timeouts.recv);
  if (timeouts.send !== undefined) setsockopt(socket, 'SO_SNDTIMEO', timeouts.send);
  return { recv: getsockopt(socket, 'SO_RCVTIMEO'), send: getsockopt(socket, 'SO_SNDTIMEO') };
}
