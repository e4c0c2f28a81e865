// sockopt(sock): the same calls bound to one socket. It holds the socket object,
// never its fd, so every call resolves the fd afresh. In the REPL and console.log
// it shows a snapshot of the socket, grouped by level, with units.
import { inspect, type InspectOptions } from 'node:util';
import { getsockopt, setsockopt } from './api';
import { invalidArgType } from './errors';
import type { SocketLike } from './fd';
import { getTcpInfo, snapshot, takeError, type Snapshot } from './inspect';
import { options } from './options';
import type { OptionInput, OptionName, OptionValue, ReadableOption, WritableOption } from './registry';
import { tcpInfoFields, type TcpInfo } from './tcp-info';

/** Socket options of one socket; see {@link getsockopt} and {@link setsockopt}. */
export class SocketOptions {
  /** The socket (or fd) this view reads and writes. */
  readonly socket: SocketLike;

  constructor(socket: SocketLike) {
    if (socket === null || (typeof socket !== 'object' && typeof socket !== 'number')) {
      throw invalidArgType('socket', 'a socket object or a file descriptor number', socket);
    }
    this.socket = socket;
  }

  /** Reads an option by name, e.g. `get('SO_SNDBUF')`. */
  get<N extends ReadableOption>(name: N): OptionValue<N> {
    return getsockopt(this.socket, name);
  }

  /** Sets an option by name, e.g. `set('TCP_USER_TIMEOUT', 30_000)`; returns this view for chaining. */
  set<N extends WritableOption>(name: N, value: OptionInput<N>): this {
    setsockopt(this.socket, name, value);
    return this;
  }

  /** Decoded TCP_INFO; see {@link getTcpInfo}. */
  tcpInfo(): TcpInfo {
    return getTcpInfo(this.socket);
  }

  /** Reads and clears the pending error; see {@link takeError}. */
  takeError(): Error | null {
    return takeError(this.socket);
  }

  /** Every readable option, TCP_INFO and addresses; see {@link snapshot}. */
  snapshot(): Snapshot {
    return snapshot(this.socket);
  }

  /** The snapshot as JSON-safe data (bigints as decimal strings). */
  toJSON(): unknown {
    return JSON.parse(JSON.stringify(snapshot(this.socket), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }

  [inspect.custom](_depth: number, opts: InspectOptions): string {
    let snap: Snapshot;
    try {
      snap = snapshot(this.socket);
    } catch (err) {
      return `SocketOptions <${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}>`;
    }
    return formatSnapshot(snap, opts);
  }
}

/** Binds the option calls to one socket: `sockopt(sock).get('SO_SNDBUF')`; print it to see everything. */
export function sockopt(socket: SocketLike): SocketOptions {
  return new SocketOptions(socket);
}

const SILENT_UNITS = new Set(['flag', 'enum', 'id', 'name', 'struct', 'flags', 'shift', 'count']);
const tcpUnits = new Map(tcpInfoFields.map(([name, unit]) => [name, unit]));

// What null means where it appears in TCP_INFO.
const NULL_MEANS: Record<string, string> = { sndSsthresh: 'infinite', pacingRate: 'unlimited', maxPacingRate: 'unlimited' };

function withUnit(value: unknown, unit: string | undefined, opts: InspectOptions, key = ''): string {
  if (value === null) return NULL_MEANS[key] ?? 'off';
  if (typeof value === 'number' && unit === 'µs') return `${+(value / 1000).toFixed(3)} ms`; // rtt: 0.12 ms
  const shown = typeof value === 'string' ? `'${value}'` : typeof value === 'object' ? inspect(value, { ...opts, breakLength: Infinity }) : String(value);
  return unit && !SILENT_UNITS.has(unit) && typeof value !== 'object' ? `${shown} ${unit}` : shown;
}

function address(a: Snapshot['local']): string {
  if (!a) return '-';
  if ('path' in a) return a.path || '(unnamed)';
  if ('address' in a) return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  return `family ${a.family}`;
}

function formatSnapshot(s: Snapshot, opts: InspectOptions): string {
  const lines = [`SocketOptions <${s.protocol ?? '?'} ${s.family ?? '?'} ${address(s.local)} → ${address(s.remote)}, fd ${s.fd}>`];
  for (const [level, values] of Object.entries(s.options)) {
    lines.push(`  ${level}`);
    for (const [name, v] of Object.entries(values ?? {})) {
      lines.push(`    ${name}: ${withUnit(v, options[name as OptionName].unit, opts)}`);
    }
  }
  if (s.tcpInfo) {
    lines.push('  TCP_INFO');
    const entries = Object.entries(s.tcpInfo).filter(([k]) => k !== 'stateCode' && k !== 'caStateCode');
    for (const [k, v] of entries) lines.push(`    ${k}: ${withUnit(v, k === 'length' ? 'bytes' : tcpUnits.get(k), opts, k)}`);
  }
  if (s.skipped.length > 0) {
    lines.push(`  skipped (refused by the kernel for this socket): ${s.skipped.map((x) => `${x.option} (${x.code})`).join(', ')}`);
  }
  return lines.join('\n');
}
