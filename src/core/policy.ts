// A Policy: the options one kind of socket should carry, checked once, up front, and
// flattened into prepared socket options with their native arguments built. Who puts
// it on sockets: birth/tune.ts (one socket), policy/ (every socket of the process).
import { invalidArgType, invalidArgValue } from '../kernel/errors';
import { precompile } from './batch';
import { deadPeer } from './dead-peer';
import { prepare, type Sockopts } from './presocket';
import { msToKeepAliveSeconds } from './tuning';

/** Keepalive timing of a Policy, in milliseconds (the kernel keeps whole seconds: rounded up, at least 1 s). */
export interface KeepAlivePolicy {
  /** Idle time before the first probe, ms. */
  idle?: number;
  /** Time between probes, ms. */
  interval?: number;
  /** Unanswered probes before ETIMEDOUT (1–127). */
  count?: number;
}

/** The options a socket gets. Every field is optional; an empty Policy changes nothing. */
export interface Policy {
  /** Any writable option by name, e.g. `{ TCP_SYNCNT: 2, TCP_NODELAY: true }`; units as in `setsockopt`. */
  sockopts?: Sockopts;
  /** Keepalive on, with this timing in ms (as `setKeepAlive()`). */
  keepAlive?: KeepAlivePolicy;
  /** TCP_USER_TIMEOUT in ms: unacknowledged data fails the connection after this long (null = system default). */
  userTimeout?: number | null;
  /**
   * One bound in ms (2000 – 65,000,000): a dead peer is detected within it whether the
   * connection is idle or has data in flight. Derives keepalive idle/interval/count and
   * TCP_USER_TIMEOUT (see `deadPeer()`); excludes `keepAlive` and `userTimeout`.
   */
  deadPeerTimeout?: number;
}

/** A Policy after checking: the options to set, in order, and their native values. */
export interface CompiledPolicy {
  /** The flattened option list (sockopts, then keepalive timing, SO_KEEPALIVE, TCP_USER_TIMEOUT). */
  readonly sockopts: Sockopts;
  readonly prepared: ReturnType<typeof prepare>;
  /** The keepalive part of `prepared`, put back after Node/libuv reset it (setKeepAlive on Node 20 writes interval 1, count 10). */
  readonly keepAlive: ReturnType<typeof prepare>;
}

// Options a Policy's own fields set: naming one of them in `sockopts` as well would
// leave one of the two values silently unused, so that is refused.
const DERIVED: Record<string, 'keepAlive' | 'userTimeout'> = {
  SO_KEEPALIVE: 'keepAlive',
  TCP_KEEPIDLE: 'keepAlive',
  TCP_KEEPINTVL: 'keepAlive',
  TCP_KEEPCNT: 'keepAlive',
  TCP_USER_TIMEOUT: 'userTimeout',
};

const KEEPALIVE_OPTIONS = new Set(['SO_KEEPALIVE', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT']);
const FIELDS = new Set(['sockopts', 'keepAlive', 'userTimeout', 'deadPeerTimeout']);
const KEEPALIVE_FIELDS = new Set(['idle', 'interval', 'count']);

/** Prefixes an error's message with where in the caller's argument it came from; keeps its code. */
function at(path: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

export function unknownField(path: string, field: string, known: Set<string>): never {
  throw invalidArgValue(`${path}.${field}`, `not a field of this object (expected ${[...known].join(', ')})`);
}

/**
 * Checks a Policy and flattens it into socket options. Throws a coded error
 * (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, ERR_SOCKOPT_UNKNOWN_OPTION,
 * ERR_SOCKOPT_UNSUPPORTED, ERR_SOCKOPT_READ_ONLY) whose message starts with `path`.
 */
export function compilePolicy(policy: unknown, path: string): CompiledPolicy {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw invalidArgType(path, 'an object (a Policy)', policy);
  const p = policy as Policy;
  for (const field of Object.keys(p)) if (!FIELDS.has(field)) unknownField(path, field, FIELDS);
  // [option, value, where the caller wrote it], checked one by one so an error names its place.
  const entries: [string, unknown, string][] = [];
  if (p.sockopts !== undefined) {
    if (p.sockopts === null || typeof p.sockopts !== 'object' || Array.isArray(p.sockopts)) {
      throw invalidArgType(`${path}.sockopts`, 'an object of option names and values', p.sockopts);
    }
    for (const [name, value] of Object.entries(p.sockopts)) entries.push([name, value, `${path}.sockopts.${name}`]);
  }
  let keepAlive: unknown = p.keepAlive;
  let userTimeout: unknown = p.userTimeout;
  let keepAlivePath = `${path}.keepAlive`;
  let userTimeoutPath = `${path}.userTimeout`;
  if (p.deadPeerTimeout !== undefined) {
    for (const field of ['keepAlive', 'userTimeout'] as const) {
      if (p[field] !== undefined) throw invalidArgValue(`${path}.${field}`, 'set together with deadPeerTimeout, which derives it');
    }
    ({ keepAlive, userTimeout } = deadPeer(p.deadPeerTimeout, `${path}.deadPeerTimeout`));
    keepAlivePath = userTimeoutPath = `${path}.deadPeerTimeout`;
  }
  for (const [name, , where] of entries) {
    const field = DERIVED[name];
    if (field && (field === 'keepAlive' ? keepAlive : userTimeout) !== undefined) {
      throw invalidArgValue(where, `set together with ${p.deadPeerTimeout !== undefined ? 'deadPeerTimeout' : field}, which sets it too`);
    }
  }
  if (keepAlive !== undefined) {
    if (keepAlive === null || typeof keepAlive !== 'object' || Array.isArray(keepAlive)) {
      throw invalidArgType(keepAlivePath, 'an object { idle, interval, count } (ms)', keepAlive);
    }
    for (const field of Object.keys(keepAlive)) if (!KEEPALIVE_FIELDS.has(field)) unknownField(keepAlivePath, field, KEEPALIVE_FIELDS);
    const { idle, interval, count } = keepAlive as KeepAlivePolicy;
    if (idle !== undefined) entries.push(['TCP_KEEPIDLE', msToKeepAliveSeconds(`${keepAlivePath}.idle`, idle), `${keepAlivePath}.idle`]);
    if (interval !== undefined) entries.push(['TCP_KEEPINTVL', msToKeepAliveSeconds(`${keepAlivePath}.interval`, interval), `${keepAlivePath}.interval`]);
    if (count !== undefined) entries.push(['TCP_KEEPCNT', count, `${keepAlivePath}.count`]);
    entries.push(['SO_KEEPALIVE', true, keepAlivePath]);
  }
  if (userTimeout !== undefined) {
    if (userTimeout !== null && typeof userTimeout !== 'number') throw invalidArgType(userTimeoutPath, 'of type number (ms) or null', userTimeout);
    // Fractions round up: a timeout never comes out shorter than asked.
    entries.push(['TCP_USER_TIMEOUT', userTimeout === null ? 0 : userTimeout > 0 ? Math.ceil(userTimeout) : userTimeout, userTimeoutPath]);
  }
  const sockopts: Record<string, unknown> = {};
  const prepared: ReturnType<typeof prepare> = [];
  for (const [name, value, where] of entries) {
    at(where, () => prepared.push(...prepare({ [name]: value }, 'tuneSockets')));
    sockopts[name] = value;
  }
  const keepAliveOnly = prepared.filter((p) => KEEPALIVE_OPTIONS.has(p.name));
  // Set on every connection the policy reaches: their native arguments are built now, once.
  precompile(prepared);
  precompile(keepAliveOnly);
  return Object.freeze({ sockopts: Object.freeze(sockopts) as Sockopts, prepared, keepAlive: keepAliveOnly });
}
