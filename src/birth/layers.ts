// One resolution per socket: the options a socket gets are merged from its layers, in
// rising precedence — the process policies (in the order installed), then an agent's
// policy, then what the app asked for on that socket itself (arm(), connect({ sockopts })).
// A later layer overrides an earlier one option by option.
//
// Policy options ("soft") are skipped where they cannot apply — a listener-only option on
// a connection, a bind-time option on a socket bound already, an IPv6 option on IPv4, an
// option the kernel refuses for this socket — and counted (policyStats()); a policy never
// kills a connection. The app's own options ("hard") are set or refused with a coded error,
// as setsockopt would.
import type { Prepared } from '../core/presocket';
import { setPrepared } from '../core/batch';

/** The options one source asks for on a socket. */
export interface Layer {
  readonly prepared: readonly Prepared[];
  /** The keepalive part, put back after Node or a library turns keepalive on again. */
  readonly keepAlive: readonly Prepared[];
  /** A policy's (skipped where it cannot apply) rather than the app's own (refused). */
  readonly soft: boolean;
}

/** Layers merged: the entries to set, which of them are soft, and the keepalive part. */
export interface Resolution {
  readonly prepared: readonly Prepared[];
  readonly soft: ReadonlySet<string> | 'all' | 'none';
  readonly keepAlive: readonly Prepared[];
}

/** Merges layers (rising precedence). One layer is returned as it is: its arrays stay the compiled ones. */
export function merge(layers: readonly Layer[]): Resolution | undefined {
  if (layers.length === 0) return undefined;
  if (layers.length === 1) {
    const [l] = layers as [Layer];
    return { prepared: l.prepared, keepAlive: l.keepAlive, soft: l.soft ? 'all' : 'none' };
  }
  const byName = new Map<string, Prepared>();
  const keep = new Map<string, Prepared>();
  const soft = new Set<string>();
  for (const l of layers) {
    for (const p of l.prepared) {
      byName.delete(p.name); // re-inserted: the object's order follows the last writer
      byName.set(p.name, p);
      if (l.soft) soft.add(p.name);
      else soft.delete(p.name);
      keep.delete(p.name);
    }
    for (const p of l.keepAlive) keep.set(p.name, p);
  }
  return { prepared: [...byName.values()], keepAlive: [...keep.values()], soft };
}

const isSoft = (r: Resolution, name: string): boolean => r.soft === 'all' || (r.soft !== 'none' && r.soft.has(name));

/** Why a policy option was not set on a socket. */
export type SkipReason = 'listener-only' | 'bind-time' | 'family' | 'refused';

/** Counts of policy options skipped, by option and reason (policyStats()). */
export const skipped = new Map<string, Partial<Record<SkipReason, number>>>();

function count(name: string, reason: SkipReason): void {
  let c = skipped.get(name);
  if (c === undefined) skipped.set(name, (c = {}));
  c[reason] = (c[reason] ?? 0) + 1;
}

/** Where a socket is when its options go on. */
export interface Placement {
  /** 4 or 6; 0 when unknown (an accepted socket: the kernel's answer decides). */
  readonly family: number;
  /** The socket is bound already (bind-time options have passed their moment). */
  readonly bound: boolean;
  /** An accepted or connecting socket, not a listener. */
  readonly connection: true;
}

/** The entries that can apply here: soft ones that cannot are dropped (and counted). Hard ones stay. */
export function applicable(r: Resolution, at: Placement): readonly Prepared[] {
  let out: Prepared[] | undefined;
  for (let i = 0; i < r.prepared.length; i++) {
    const p = r.prepared[i]!;
    const reason = isSoft(r, p.name) ? cannotApply(p, at) : undefined;
    if (reason === undefined) {
      out?.push(p);
      continue;
    }
    out ??= r.prepared.slice(0, i);
    count(p.name, reason);
  }
  return out ?? r.prepared;
}

function cannotApply(p: Prepared, at: Placement): SkipReason | undefined {
  const scope = p.scope;
  if (scope === 'listener') return 'listener-only';
  if (scope === 'bind' && at.bound) return 'bind-time';
  if (at.family === 4 && p.level === 'IPPROTO_IPV6') return 'family';
  return undefined;
}

const warned = new Set<string>();

/**
 * Sets `prepared` on `fd` in one native call. A soft entry the kernel refuses is skipped
 * (counted, and reported once per option and error code as a process warning) and the
 * rest set; a hard entry's refusal throws, as setsockopt would. Returns what was set.
 */
export function setResolved(fd: number, prepared: readonly Prepared[], r: Resolution): readonly Prepared[] {
  try {
    setPrepared(fd, prepared);
    return prepared;
  } catch (err) {
    return setOneByOne(fd, prepared, r, err);
  }
}

function setOneByOne(fd: number, prepared: readonly Prepared[], r: Resolution, first: unknown): readonly Prepared[] {
  const applied = (first as { applied?: unknown }).applied;
  // Not a refusal of one entry (a closed fd, say): nothing more to try.
  if (!Array.isArray(applied)) throw first;
  const index = applied.length;
  const set: Prepared[] = prepared.slice(0, index);
  for (let i = index; i < prepared.length; i++) {
    const p = prepared[i]!;
    try {
      setPrepared(fd, [p]);
      set.push(p);
    } catch (err) {
      if (!isSoft(r, p.name)) throw err;
      const code = (err as { code?: string }).code ?? 'ERR';
      // ENOPROTOOPT/EOPNOTSUPP: the option is not for this kind of socket (e.g. an IPv6
      // option on an IPv4 connection accepted by a dual-stack listener).
      count(p.name, code === 'ENOPROTOOPT' || code === 'EOPNOTSUPP' || code === 'ENOTSUP' ? 'family' : 'refused');
      if (code !== 'ENOPROTOOPT' && code !== 'EOPNOTSUPP' && code !== 'ENOTSUP' && !warned.has(`${p.name} ${code}`)) {
        warned.add(`${p.name} ${code}`);
        process.emitWarning(`a policy's ${p.name} was refused by the kernel (${code}) and skipped on this socket; the connection goes on without it`, { type: 'SockoptWarning', code: 'SOCKOPT_POLICY_SKIPPED' });
      }
    }
  }
  return set;
}
