// A Policy: the options one kind of socket should carry, checked once, up front, and
// flattened into prepared socket options with their native arguments built. Who puts
// it on sockets: birth/ (one socket: arm(), an agent), policy/ (every socket of the
// process). Fields are read as own properties only: a polluted Object.prototype adds none.
import { invalidArgType, invalidArgValue, notApplicable, pathKey, quote, refuseUnknownKeys } from '../kernel/errors';
import { precompile } from './batch';
import { deadPeer } from './dead-peer';
import { PRESETS, presetNames, type PresetName } from './presets';
import { prepare, type Prepared, type Sockopts } from './presocket';
import { keepAliveEntries, type KeepAliveOptions } from './tuning';

/** Keepalive in a Policy: the same shape as setKeepAlive()'s and arm()'s (ms; `true` = on with the system's timing). */
export type KeepAlivePolicy = KeepAliveOptions;

/** The options a socket gets. Every field is optional; an empty Policy changes nothing. */
export interface Policy {
  /** Any writable option by name, e.g. `{ TCP_SYNCNT: 2, TCP_NODELAY: true }`; units as in `setsockopt`. */
  sockopts?: Sockopts;
  /** Keepalive: `true` on with the system's timing, `false` off, or on with this timing in ms (as `setKeepAlive()`). */
  keepAlive?: boolean | KeepAlivePolicy;
  /** TCP_USER_TIMEOUT in ms: unacknowledged data fails the connection after this long (null = system default). */
  userTimeout?: number | null;
  /**
   * One bound in ms (2000 – 65,000,000): a dead peer is detected within it whether the
   * connection is idle or has data in flight. Derives keepalive idle/interval/count and
   * TCP_USER_TIMEOUT (see `deadPeer()`); excludes `keepAlive` and `userTimeout`.
   */
  deadPeerTimeout?: number;
  /**
   * Start from a named preset (docs/policy.md has each one's arithmetic): 'aws-nlb',
   * 'azure-lb', 'gcp-lb', 'strict'. The policy's own fields replace the preset's; its
   * `sockopts` merge with the preset's option by option.
   */
  preset?: PresetName;
}

/** Where a compiled policy will be put: the checks that depend on it (see compilePolicy). */
export type PolicyPlace = 'socket' | 'client' | 'server';

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
const FIELDS = new Set(['sockopts', 'keepAlive', 'userTimeout', 'deadPeerTimeout', 'preset']);
const own = (o: object, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);

/** Prefixes an error's message with where in the caller's argument it came from; keeps its code. */
function at(path: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`;
    throw err;
  }
}


/**
 * Checks a Policy and flattens it into socket options. Throws a coded error
 * (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, ERR_SOCKOPT_UNKNOWN_OPTION,
 * ERR_SOCKOPT_UNSUPPORTED, ERR_SOCKOPT_READ_ONLY) whose message starts with `path`.
 */
export function compilePolicy(policy: unknown, path: string, place: PolicyPlace = 'socket'): CompiledPolicy {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw invalidArgType(path, 'an object (a Policy)', policy);
  refuseUnknownKeys(policy, FIELDS, path);
  const p = withPreset(policy, path);
  // [option, value, where the caller wrote it], checked one by one so an error names its place.
  const entries: [string, unknown, string][] = [];
  if (p.sockopts !== undefined) {
    if (p.sockopts === null || typeof p.sockopts !== 'object' || Array.isArray(p.sockopts)) {
      throw invalidArgType(`${path}.sockopts`, 'an object of option names and values', p.sockopts);
    }
    for (const [name, value] of Object.entries(p.sockopts)) entries.push([name, value, `${path}.sockopts.${pathKey(name)}`]);
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
  if (keepAlive !== undefined) entries.push(...keepAliveEntries(keepAlive, keepAlivePath));
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
  refuseMisplaced(prepared, place, path);
  const keepAliveOnly = prepared.filter((p) => KEEPALIVE_OPTIONS.has(p.name));
  // Set on every connection the policy reaches: their native arguments are built now, once.
  precompile(prepared);
  precompile(keepAliveOnly);
  return Object.freeze({ sockopts: Object.freeze(sockopts) as Sockopts, prepared, keepAlive: keepAliveOnly });
}

// A preset's fields under the policy's own: own fields replace the preset's (a
// deadPeerTimeout of one side replaces keepAlive/userTimeout of the other), and sockopts
// merge option by option.
function withPreset(policy: object, path: string): Policy {
  // Null-prototype objects throughout: a field the policy lacks is absent, whatever Object.prototype holds.
  const fields: Record<string, unknown> = Object.create(null);
  for (const k of FIELDS) if (own(policy, k) !== undefined) fields[k] = own(policy, k);
  const name = fields.preset;
  delete fields.preset;
  if (name === undefined) return fields as Policy;
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    throw invalidArgValue(`${path}.preset`, `not a preset (expected ${presetNames.join(', ')}); received ${quote(name)}`);
  }
  const base: Record<string, unknown> = Object.assign(Object.create(null), PRESETS[name as PresetName]);
  if (fields.deadPeerTimeout !== undefined) {
    delete base.keepAlive;
    delete base.userTimeout;
  }
  if (fields.keepAlive !== undefined || fields.userTimeout !== undefined) delete base.deadPeerTimeout;
  const sockopts = base.sockopts || fields.sockopts ? { ...(base.sockopts as object), ...(fields.sockopts as object) } : undefined;
  return Object.assign(Object.create(null), base, fields, sockopts ? { sockopts } : {}) as Policy;
}

const MAX_LINGER_IN_POLICY = 0;

// What can never apply where the policy is put is refused now, before anything is
// subscribed: listener options on connections, bind-time options on accepted sockets,
// and a lingering close (SO_LINGER > 0 makes close() block the event loop until the data
// is sent or the time runs out: one slow peer would stall every connection of the process).
function refuseMisplaced(prepared: readonly Prepared[], place: PolicyPlace, path: string): void {
  for (const p of prepared) {
    const scope = p.scope;
    if (scope === 'listener' && place !== 'socket') {
      throw notApplicable(`${path}: ${p.name} in a ${place} policy`, 'it acts on a listening socket only; set it with sockopt\'s listen() or createServer({ sockopts })');
    }
    if (scope === 'bind' && place === 'server') {
      throw notApplicable(`${path}: ${p.name} in a server policy`, 'an accepted socket is never bound again; set it on the listener with sockopt\'s listen()');
    }
    if (p.name === 'SO_LINGER' && place !== 'socket' && typeof p.native === 'number' && p.native > MAX_LINGER_IN_POLICY) {
      throw notApplicable(`${path}: SO_LINGER ${p.native} s in a process-wide policy`, 'a lingering close() blocks the event loop until the data is sent or the time runs out; use 0 (reset on close) or null, or set it on one socket with setLinger()');
    }
  }
}
