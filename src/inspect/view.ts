// sockopt(sock): the same calls bound to one socket. It holds the socket object,
// never its fd, so every call resolves the fd afresh. In the REPL and console.log
// it shows the compact view (format-socket.ts, the same text `sockopt inspect`
// prints); .full() shows every option and TCP_INFO field.
import { inspect } from 'node:util';
import { getsockopt, setsockopt } from '../core/api';
import { setsockopts } from '../core/batch';
import { binding } from '../kernel/binding';
import { invalidArgType } from '../kernel/errors';
import { resolveFd, type SocketLike } from '../node/fd';
import { formatSocket, reportFromSnapshot, type SocketReport } from './format-socket';
import type { Sockopts } from '../core/presocket';
import { getTcpInfo, snapshot, takeError, type Snapshot } from './snapshot';
import type { OptionInput, OptionValue, ReadableOption, WritableOption } from '../kernel/registry';
import type { TcpInfo } from '../kernel/tcp-info';

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
  set<N extends WritableOption>(name: N, value: OptionInput<N>): this;
  /** Sets several options in one native call, e.g. `set({ TCP_USER_TIMEOUT: 30_000, TCP_NODELAY: true })`; see {@link setsockopts}. */
  set(values: Sockopts): this;
  set(nameOrValues: WritableOption | Sockopts, value?: unknown): this {
    if (typeof nameOrValues === 'object' && nameOrValues !== null) setsockopts(this.socket, nameOrValues);
    else setsockopt(this.socket, nameOrValues, value as never);
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
    return snapshot(this.socket).toJSON();
  }

  /** The socket as plain data: addresses, state, queues, options, TCP_INFO; see {@link describeSocket}. */
  describe(): SocketReport {
    return describeSocket(this.socket);
  }

  /** Every readable option by level and every TCP_INFO field, for the REPL or console.log (the default view is compact). */
  full(): SocketView {
    return new SocketView(this.socket, true);
  }

  [inspect.custom](): string {
    return render(this.socket, false);
  }
}

/** What {@link SocketOptions.full} returns: prints the full view; `toString()` gives the same text. */
export class SocketView {
  constructor(
    readonly socket: SocketLike,
    readonly all: boolean,
  ) {}

  toString(): string {
    return render(this.socket, this.all);
  }

  [inspect.custom](): string {
    return render(this.socket, this.all);
  }
}

function render(socket: SocketLike, all: boolean): string {
  let report: SocketReport;
  try {
    report = describeSocket(socket);
  } catch (err) {
    return `SocketOptions <${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}>`;
  }
  return formatSocket(report, { all, prefix: `SocketOptions fd ${report.fd}: ` });
}

const queueOut = new Int32Array(4);

/** Bytes queued for reading and for sending (SIOCINQ/SIOCOUTQ, as ss shows them); null where the kernel has no answer (a listener) or off Linux. */
export function readQueues(fd: number): { recv: number | null; send: number | null } {
  if (!binding.socketQueues) return { recv: null, send: null };
  binding.socketQueues(fd, queueOut);
  return { recv: queueOut[1] === 0 ? queueOut[0]! : null, send: queueOut[3] === 0 ? queueOut[2]! : null };
}

/**
 * One socket as plain JSON-safe data (the schema `sockopt inspect --json` prints):
 * kind, family, type, state, addresses, queues, listener accept queue and backlog,
 * every readable option by level, TCP_INFO.
 */
export function describeSocket(socket: SocketLike): SocketReport {
  const snap: Snapshot = snapshot(socket);
  return reportFromSnapshot(snap, readQueues(resolveFd(socket)));
}

/** Binds the option calls to one socket: `sockopt(sock).get('SO_SNDBUF')`; print it for the compact view, `.full()` for everything. */
export function sockopt(socket: SocketLike): SocketOptions {
  return new SocketOptions(socket);
}

