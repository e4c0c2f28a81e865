// sockopt(sock): the same calls bound to one socket. It holds the socket object,
// never its fd, so every call resolves the fd afresh.
import { getsockopt, setsockopt } from './api';
import { invalidArgType } from './errors';
import type { SocketLike } from './fd';
import type { OptionInput, OptionValue, ReadableOption, WritableOption } from './registry';

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
}

/** Binds the option calls to one socket: `sockopt(sock).get('SO_SNDBUF')`. */
export function sockopt(socket: SocketLike): SocketOptions {
  return new SocketOptions(socket);
}
