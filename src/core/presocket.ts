// Options for a socket not born yet: checked and converted up front, so a bad name
// or value throws before any fd exists. birth/ sets them between socket() and
// connect()/bind().
import { binding } from '../kernel/binding';
import { invalidArgType, unknownOption, readOnly, unsupported } from '../kernel/errors';
import type { StateWriter } from '../node/socket-state';
import { optionNames, table } from './options';
import { registry, type OptionInput, type OptionScope, type OptionSpec, type WritableOption } from '../kernel/registry';

/** Options to set on a socket before it connects or binds, typed by the registry. */
export type Sockopts = { [N in WritableOption]?: OptionInput<N> };

/** One option checked and converted, ready to set on an fd. */
export interface Prepared {
  readonly name: string;
  readonly level: string;
  readonly value: unknown;
  readonly native: unknown;
  readonly set: (fd: number, v: unknown) => void;
  /** Keeps Node's cached copy in step (TCP_NODELAY, keepalive), for the options Node caches. */
  readonly sync: StateWriter | undefined;
  /** The registry's scope (where a bind-time or listener-only option acts), read once here, not per socket. */
  readonly scope: OptionScope | undefined;
}

/** Checks every option and value; throws (TypeError/RangeError/…) before anything is created. */
export function prepare(sockopts: unknown, where: string): Prepared[] {
  if (!binding.socket) throw unsupported(where, ['linux', 'darwin', 'freebsd']);
  if (sockopts === undefined) return [];
  if (sockopts === null || typeof sockopts !== 'object') throw invalidArgType('options.sockopts', 'an object of option names and values', sockopts);
  return Object.entries(sockopts).map(([name, value]) => {
    const r = table[name];
    if (!r) throw unknownOption(name, optionNames);
    if (!r.info.supported) throw unsupported(name, r.info.platforms);
    if (!r.set) throw readOnly(name);
    return { name, level: r.info.level, value, native: r.check!(value), set: r.set, sync: r.sync, scope: (registry as Record<string, OptionSpec>)[name]?.scope };
  });
}

/** After Node adopted the fd: its cached noDelay/keepAlive must match what was set. */
export function syncAdopted(socket: unknown, prepared: readonly Prepared[]): void {
  for (const p of prepared) if (p.sync !== undefined) p.sync(socket, p.native);
}
