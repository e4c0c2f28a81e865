// What "default" means for the compact view: the values a fresh socket of the
// same family and type holds, read once per kind on first use and cached. An
// option of a live socket that differs from it was set by someone (the program,
// Node or libuv, a library, a sysctl changed since) and is worth showing.
import { binding } from '../kernel/binding';
import { snapshot } from './snapshot';
import { optionNames, options } from '../core/options';
import type { OptionName } from '../kernel/registry';

/** Flattened option values: name → value as snapshot() reads it. */
export type OptionValues = Partial<Record<OptionName, unknown>>;

// Writable, but the kernel changes them itself as the connection lives, so a
// difference says nothing about tuning: the MSS and window clamp once connected,
// the CPU that last handled a packet, quickack mode, the path MTU.
const KERNEL_MANAGED = new Set<OptionName>(['SO_INCOMING_CPU', 'TCP_MAXSEG', 'TCP_WINDOW_CLAMP', 'TCP_QUICKACK', 'IPV6_MTU']);
// Meaningless on a stream socket; an accepted TCP socket inherits odd values for
// them (IP_MULTICAST_TTL reads 64 instead of 1), which is not tuning either.
const DATAGRAM_ONLY = new Set<OptionName>(['IP_MULTICAST_TTL', 'IP_MULTICAST_LOOP', 'SO_BROADCAST']);

const cache = new Map<unknown, Map<unknown, OptionValues>>(); // family → type → values

/** Flattens snapshot().options (by level) into name → value. */
export function flatten(byLevel: Partial<Record<string, Partial<Record<string, unknown>>>> | undefined): OptionValues {
  const flat: Record<string, unknown> = {};
  for (const values of Object.values(byLevel ?? {})) Object.assign(flat, values);
  return flat as OptionValues;
}

/**
 * The option values of a fresh socket of this family ('IPv4', 'IPv6', 'unix') and
 * type ('stream', 'dgram', …), or null where no fresh socket can be made. A unix
 * socket is compared with a fresh IPv4 socket of its type on SOL_SOCKET options
 * only (the addon makes no unix sockets; the socket-level defaults are the same).
 */
export function defaultsFor(family: unknown, type: unknown): OptionValues | null {
  const cached = cache.get(family)?.get(type); // no key string built per socket
  if (cached) return cached;
  let values: OptionValues | null = null;
  if (binding.socket && binding.close && (family === 'IPv4' || family === 'IPv6' || family === 'unix')) {
    let fd = -1;
    try {
      fd = binding.socket(family === 'IPv6' ? 6 : 4, type === 'dgram');
      const snap = snapshot(fd);
      values = family === 'unix' ? flatten({ SOL_SOCKET: snap.options.SOL_SOCKET }) : flatten(snap.options);
    } catch {
      values = null; // no fresh socket (no IPv6, no fds left, Windows): no "changed" line rather than a wrong one
    } finally {
      if (fd >= 0) binding.close(fd);
    }
  }
  if (values) { // a failure (EMFILE, say) may pass: ask again next time
    const byType = cache.get(family) ?? new Map<unknown, OptionValues>();
    cache.set(family, byType.set(type, values));
  }
  return values;
}

// The options a difference is looked for in, decided once: name → whether on datagram sockets only.
const COMPARED = new Map<string, boolean>();
for (const name of optionNames) if (options[name].writable && !KERNEL_MANAGED.has(name)) COMPARED.set(name, DATAGRAM_ONLY.has(name));

/** On which sockets changedOptions() looks at option `name`: every socket, datagram sockets only, or none. */
export function comparedOn(name: OptionName): 'all' | 'datagrams' | 'none' {
  const datagramOnly = COMPARED.get(name);
  return datagramOnly === undefined ? 'none' : datagramOnly ? 'datagrams' : 'all';
}

/**
 * Settable options whose value (in `byLevel`, snapshot().options' shape) differs from the
 * fresh socket's, in registry order, leaving out `shown` (already printed) and the
 * kernel-managed ones. Runs once per socket of `sockopt inspect`: no flattened copy.
 */
export function changedOptions(byLevel: Partial<Record<string, Partial<Record<string, unknown>>>>, defaults: OptionValues, type: unknown, shown: ReadonlySet<string>): OptionName[] {
  const out: OptionName[] = [];
  const dgram = type === 'dgram';
  const fresh = defaults as Record<string, unknown>;
  for (const level in byLevel) {
    const values = byLevel[level]!;
    for (const name in values) {
      const datagramOnly = COMPARED.get(name);
      if (datagramOnly === undefined || (datagramOnly && !dgram) || shown.has(name) || !(name in fresh)) continue;
      const v = values[name];
      const d = fresh[name];
      if (v !== d && String(v) !== String(d)) out.push(name as OptionName);
    }
  }
  return out;
}
