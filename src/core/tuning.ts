// One call per common tuning job, with the unit in the name or the docs; each
// returns what the kernel holds afterwards (read back, not assumed).
import { getsockopt, setsockopt } from './api';
import { invalidArgType, outOfRange, unknownProperty } from '../kernel/errors';
import type { SocketLike } from '../node/fd';
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
  const s = Math.ceil(ms / 1000);
  // Under a second is almost always seconds written where ms were meant ({ idle: 10 }):
  // refused, rather than silently becoming 1 s.
  if (!(ms >= 1000) || s > MAX_KEEPALIVE_S) {
    throw outOfRange(name, `>= 1000 and <= ${MAX_KEEPALIVE_S * 1000} (milliseconds; the kernel keeps whole seconds${ms > 0 && ms < 1000 ? `: for ${ms} s write ${ms * 1000}` : ''})`, ms);
  }
  return s;
}

// An options object: checked for type and for keys the call does not take (a typo such
// as { idel: 1000 } must not silently leave the default in place).
function checkOptions<T extends object>(name: string, options: unknown, known: readonly (keyof T & string)[], shape: string): T {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType(name, shape, options);
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) throw unknownProperty(name, key, (options as Record<string, unknown>)[key], known);
  }
  return options as T;
}

const KEEPALIVE_KEYS = ['enable', 'idle', 'interval', 'count'] as const;

/**
 * Keepalive that detects a dead peer: after `idle` ms without traffic, probe every
 * `interval` ms; after `count` unanswered probes the socket errors with ETIMEDOUT
 * (about idle + interval × count). Node's own keepAlive state is kept in step.
 *
 * Takes one options object. Node's `socket.setKeepAlive(enable, initialDelay)` form is
 * refused (ERR_INVALID_ARG_TYPE), as is a misspelt key (ERR_INVALID_ARG_VALUE): either
 * would otherwise leave the 2-hour default in place without a word.
 */
export function setKeepAlive(socket: SocketLike, options: KeepAliveOptions = {}, ...extra: unknown[]): KeepAliveState {
  const shape = "an object { enable, idle, interval, count } in ms (Node's (enable, initialDelay) form is socket.setKeepAlive's, not this one's)";
  if (extra.length > 0) throw invalidArgType('options', shape, options);
  const { enable = true, idle, interval, count } = checkOptions<KeepAliveOptions>('options', options, KEEPALIVE_KEYS, shape);
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
  const { recv, send } = checkOptions<Timeouts>('timeouts', timeouts, ['recv', 'send'], 'an object { recv, send } in ms');
  // Both checked before the first syscall: a bad `send` must not leave `recv` applied.
  if (recv !== undefined) table.SO_RCVTIMEO!.check!(recv);
  if (send !== undefined) table.SO_SNDTIMEO!.check!(send);
  if (recv !== undefined) setsockopt(socket, 'SO_RCVTIMEO', recv);
  if (send !== undefined) setsockopt(socket, 'SO_SNDTIMEO', send);
  return { recv: getsockopt(socket, 'SO_RCVTIMEO'), send: getsockopt(socket, 'SO_SNDTIMEO') };
}
