// One call per common tuning job, with the unit in the name or the docs; each
// returns what the kernel holds afterwards (read back, not assumed).
import { getsockopt, setsockopt } from './api';
import { invalidArgType, outOfRange, refuseUnknownKeys } from '../kernel/errors';
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
  refuseUnknownKeys(options, known, name);
  return options as T;
}

const KEEPALIVE_KEYS = ['enable', 'idle', 'interval', 'count'] as const;
const own = (o: object, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);

/**
 * The one reading of a keepAlive value (Policy, arm(), setKeepAlive()): `true`/`false`, or
 * `{ enable, idle, interval, count }` with times in ms. Returns [option, native value, where].
 */
export function keepAliveEntries(keepAlive: unknown, path: string): [string, unknown, string][] {
  if (typeof keepAlive === 'boolean') return [['SO_KEEPALIVE', keepAlive, path]];
  if (keepAlive === null || typeof keepAlive !== 'object' || Array.isArray(keepAlive)) {
    throw invalidArgType(path, 'a boolean or an object { enable, idle, interval, count } (ms)', keepAlive);
  }
  refuseUnknownKeys(keepAlive, KEEPALIVE_KEYS, path);
  const enable = own(keepAlive, 'enable') ?? true;
  const idle = own(keepAlive, 'idle');
  const interval = own(keepAlive, 'interval');
  const count = own(keepAlive, 'count');
  if (typeof enable !== 'boolean') throw invalidArgType(`${path}.enable`, 'of type boolean', enable);
  const out: [string, unknown, string][] = [];
  if (idle !== undefined) out.push(['TCP_KEEPIDLE', msToKeepAliveSeconds(`${path}.idle`, idle), `${path}.idle`]);
  if (interval !== undefined) out.push(['TCP_KEEPINTVL', msToKeepAliveSeconds(`${path}.interval`, interval), `${path}.interval`]);
  if (count !== undefined) out.push(['TCP_KEEPCNT', count, `${path}.count`]);
  out.push(['SO_KEEPALIVE', enable, path]);
  return out;
}


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
  checkOptions<KeepAliveOptions>('options', options, KEEPALIVE_KEYS, shape);
  // The one reading of a keepalive value (also a Policy's and arm()'s), every value
  // converted and checked before the first syscall; then set in that order.
  const entries = keepAliveEntries(options, 'options');
  for (const [name, value] of entries) table[name]!.check!(value);
  for (const [name, value] of entries) setsockopt(socket, name as 'SO_KEEPALIVE', value as boolean);
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
  // Fractions round up: a timeout must never come out shorter than asked. One that would
  // round past the option's range goes as given, for setsockopt's error to quote it.
  const value = ms === null ? 0 : typeof ms === 'number' && ms > 0 && ms < 2 ** 31 - 1 && !Number.isInteger(ms) ? Math.ceil(ms) : ms;
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
