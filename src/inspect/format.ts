// Values as people read them: sizes scaled (128 KiB), rates in bit/s (27.5 Gbit/s),
// times in the largest unit that keeps them short (1.5 s, 52 µs), enums by name
// (SOCK_STREAM, AF_INET). Pure functions of the value; the exact numbers stay in
// the data (snapshot(), --json). Shared by the REPL view and the CLI.
import { binding } from '../kernel/binding';
import { invalidArgType } from '../kernel/errors';
import type { OptionName, Unit } from '../kernel/registry';
import { escapeText } from '../kernel/text';

/** Up to 3 significant digits, without trailing zeros: 3.76, 128, 0.05. */
function short(n: number): string {
  if (n !== 0 && Math.abs(n) < 0.001) return n.toExponential(1);
  return String(+n.toPrecision(Math.abs(n) >= 1000 ? 4 : 3));
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * Bytes in binary units (1 KiB = 1024 B): 131072 → '128 KiB', 3939840 → '3.76 MiB'.
 * Below 1 MiB a value that does not scale exactly stays in bytes (an MSS of 32741 B
 * is not '32 KiB').
 */
// A number or bigint, else a coded error (Number() of an object can throw, or give NaN quietly).
function numeric(name: string, v: unknown): number {
  if (typeof v !== 'number' && typeof v !== 'bigint') throw invalidArgType(name, 'of type number or bigint', v);
  return Number(v);
}

export function formatBytes(bytes: number | bigint): string {
  const exact = numeric('bytes', bytes);
  let n = exact;
  let i = 0;
  while (Math.abs(n) >= 1024 && i < BYTE_UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  if (i === 0 || (Math.abs(exact) < 1024 ** 2 && Number(short(n)) * 1024 ** i !== exact)) return `${exact} B`;
  return `${short(n)} ${BYTE_UNITS[i]}`;
}

const RATE_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'] as const;

/** A rate given in bytes/s (TCP_INFO's unit), shown in decimal bit/s as network tools do: 3.4e9 → '27.2 Gbit/s'. */
export function formatRate(bytesPerSecond: number | bigint): string {
  let n = numeric('bytesPerSecond', bytesPerSecond) * 8;
  let i = 0;
  while (Math.abs(n) >= 1000 && i < RATE_UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  return `${+n.toFixed(Math.abs(n) >= 100 ? 1 : 2)} ${RATE_UNITS[i]}`;
}

const TO_US: Record<string, number> = { µs: 1, ms: 1e3, s: 1e6 };

/** A duration in `unit` ('µs' | 'ms' | 's'), shown in the unit that fits: 1500 ms → '1.5 s', 0.052 ms → '52 µs', 7200 s → '2 h'. */
export function formatDuration(value: number | bigint, unit: 'µs' | 'ms' | 's'): string {
  if (typeof unit !== 'string' || !Object.hasOwn(TO_US, unit)) throw invalidArgType('unit', "'µs', 'ms' or 's'", unit);
  const us = numeric('value', value) * TO_US[unit]!;
  const a = Math.abs(us);
  if (a === 0) return `0 ${unit}`;
  if (a < 1e3) return `${short(us)} µs`;
  if (a < 1e6) return `${short(us / 1e3)} ms`;
  if (a < 600e6) return `${short(us / 1e6)} s`;
  if (a < 7200e6) return `${short(us / 60e6)} min`;
  return `${short(us / 3600e6)} h`;
}

// Number → constant name, built from this platform's compiled constants.
function namesOf(prefix: RegExp): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, v] of Object.entries(binding.constants)) if (prefix.test(name) && !m.has(v)) m.set(v, name);
  return m;
}
const ENUMS: Partial<Record<OptionName, Map<number, string>>> = {
  SO_TYPE: namesOf(/^SOCK_/),
  SO_DOMAIN: namesOf(/^AF_/),
  SO_PROTOCOL: namesOf(/^IPPROTO_(TCP|UDP)$/),
  IP_MTU_DISCOVER: namesOf(/^IP_PMTUDISC_/),
};
// Values with a meaning of their own, per option.
const SPECIAL: Partial<Record<OptionName, Record<string, string>>> = {
  SO_RCVTIMEO: { null: 'none' },
  SO_SNDTIMEO: { null: 'none' },
  SO_LINGER: { null: 'off', 0: '0 s (reset on close)' },
  TCP_USER_TIMEOUT: { 0: '0 (system default)' },
  TCP_LINGER2: { '-1': '-1 (no FIN_WAIT2)' },
  SO_INCOMING_CPU: { '-1': '-1 (not yet known)' },
  IP_TTL: { '-1': '-1 (default)' },
  IPV6_TCLASS: { '-1': '-1 (default)' },
  IPV6_UNICAST_HOPS: { '-1': '-1 (route default)' },
  IP_MULTICAST_TTL: { '-1': '-1 (default)' },
  TCP_NOTSENT_LOWAT: { 4294967295: 'unlimited' },
};
// Byte fields that hold DSCP/ECN bits read best in hex.
const HEX = new Set<OptionName>(['IP_TOS', 'IPV6_TCLASS']);

/** An option's value for a person, by its name and unit: 'SOCK_STREAM', '128 KiB', '1.5 s', 'on', 'pid 12 uid 0 gid 0'. */
export function formatOption(name: OptionName, unit: Unit, value: unknown): string {
  const special = SPECIAL[name]?.[String(value)];
  if (special !== undefined) return special;
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  // Strings (interface names, the congestion-control name) and bytes come from elsewhere: escaped.
  if (typeof value === 'string') return value === '' ? "''" : escapeText(value);
  if (value instanceof Uint8Array) return escapeText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') {
    if ('hex' in value && Object.keys(value).length === 1) return escapeText(value as { hex: string });
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${escapeText(k)} ${escapeText(String(v))}`)
      .join(' ');
  }
  if (typeof value !== 'number') return String(value);
  const named = ENUMS[name]?.get(value);
  if (named) return named;
  if (HEX.has(name) && value >= 0) return `0x${value.toString(16).padStart(2, '0')}`;
  switch (unit) {
    case 'bytes':
      return formatBytes(value);
    case 'µs':
    case 'ms':
    case 's':
      return formatDuration(value, unit);
    default:
      return String(value);
  }
}

/** A TCP_INFO field by its unit (from tcpInfoFields): '52 µs', '27.2 Gbit/s', '64 KiB', '10'. */
export function formatTcpInfoField(unit: string | undefined, value: unknown): string {
  if (value === null) return 'unlimited';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return escapeText(value);
  if (typeof value === 'object' && value !== null) {
    const set = Object.entries(value as Record<string, unknown>).filter(([, v]) => v === true);
    return set.length > 0 ? set.map(([k]) => k).join(',') : 'none';
  }
  if (typeof value !== 'number' && typeof value !== 'bigint') return String(value);
  switch (unit) {
    case 'µs':
    case 'ms':
      return formatDuration(value, unit);
    case 'bytes':
      return formatBytes(value);
    case 'bytes/s':
      return formatRate(value);
    default:
      return String(value);
  }
}
