// listen()/createServer(): a server socket configured before bind() and listen() —
// SO_REUSEPORT, TCP_DEFER_ACCEPT, TCP_FASTOPEN, IPV6_V6ONLY, SO_RCVBUF — then
// handed to Node's own server.listen({ fd }). bindDgram() does the same for UDP.
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import { binding } from './binding';
import { invalidArgType } from './errors';
import { closeQuietly, createConfigured, prepare, type Sockopts } from './presocket';

export interface ListenOptions {
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** IP literal or host name to bind; default '::' (dual-stack), or '0.0.0.0' without IPv6. */
  host?: string;
  backlog?: number;
  /** Set before bind(): e.g. { SO_REUSEPORT: true, TCP_DEFER_ACCEPT: 5, TCP_FASTOPEN: 16 }. */
  sockopts?: Sockopts;
}

// Resolve a bind address; IP literals and the default need no lookup, but still
// answer on the next tick so 'listening' and 'error' always come after the call returns.
function resolve(host: string | undefined, cb: (err: Error | null, address?: string, family?: 4 | 6) => void): void {
  if (host === undefined) return process.nextTick(cb, null, '::', 6);
  const literal = net.isIP(host);
  if (literal) return process.nextTick(cb, null, host, literal as 4 | 6);
  dns.lookup(host, (err, address, family) => (err ? cb(err) : cb(null, address, family === 6 ? 6 : 4)));
}

// socket(), options, bind(): the fd Node will adopt. Falls back to IPv4 when the default '::' is unavailable.
function boundFd(address: string, family: 4 | 6, port: number, datagram: boolean, prepared: ReturnType<typeof prepare>, dflt: boolean): number {
  let fd: number;
  try {
    fd = createConfigured(family, datagram, prepared);
  } catch (err) {
    if (dflt && (err as { code?: string }).code === 'EAFNOSUPPORT') return boundFd('0.0.0.0', 4, port, datagram, prepared, false);
    throw err;
  }
  try {
    binding.bind!(fd, address, port);
  } catch (err) {
    closeQuietly(fd);
    throw err; // a system error with code, errno and syscall 'bind' (e.g. EADDRINUSE)
  }
  return fd;
}

function checkListenOptions(options: ListenOptions): void {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const { port = 0 } = options;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgType('options.port', 'an integer 0..65535', port);
}

/**
 * Makes `server` (a net/http/https/tls Server) listen on a socket whose `sockopts`
 * were set before bind(). Options are checked synchronously; later failures
 * (DNS, a refused option, EADDRINUSE) are emitted as the server's 'error'.
 */
export function listen<S extends net.Server>(server: S, options: ListenOptions, callback?: () => void): S {
  checkListenOptions(options);
  const prepared = prepare(options.sockopts, 'listen');
  resolve(options.host, (err, address, family) => {
    if (err) return server.emit('error', err);
    let fd: number;
    try {
      fd = boundFd(address!, family!, options.port ?? 0, false, prepared, options.host === undefined);
    } catch (e) {
      return server.emit('error', e);
    }
    server.listen({ fd, backlog: options.backlog }, callback);
  });
  return server;
}

/** `net.createServer` whose `listen(options)` sets `options.sockopts` (or those given here) before bind(). */
export function createServer(
  options: net.ServerOpts & { sockopts?: Sockopts } = {},
  connectionListener?: (socket: net.Socket) => void,
): net.Server & { listen(options: ListenOptions, callback?: () => void): net.Server } {
  const { sockopts, ...serverOptions } = options;
  prepare(sockopts, 'createServer'); // fail fast on bad names or values
  const server = net.createServer(serverOptions, connectionListener);
  const nodeListen = server.listen.bind(server);
  return Object.assign(server, {
    listen(opts: ListenOptions | number, callback?: () => void) {
      if (typeof opts === 'number') opts = { port: opts };
      if (opts && typeof opts === 'object' && !('fd' in opts) && !('path' in opts) && !('handle' in opts)) {
        // Our path: the socket is made here, then given to Node's listen({ fd }).
        server.listen = nodeListen;
        return listen(server, { ...opts, sockopts: opts.sockopts ?? sockopts }, callback);
      }
      return nodeListen(opts as never, callback);
    },
  }) as never;
}

/** Binds a dgram socket to a UDP socket configured before bind() (Node adopts it with bind({ fd })). */
export function bindDgram(socket: dgram.Socket, options: ListenOptions, callback?: () => void): dgram.Socket {
  checkListenOptions(options);
  const prepared = prepare(options.sockopts, 'bindDgram');
  const type = (socket as unknown as { type?: string }).type;
  resolve(options.host ?? (type === 'udp6' ? '::' : '0.0.0.0'), (err, address, family) => {
    if (err) return socket.emit('error', err);
    let fd: number;
    try {
      fd = boundFd(address!, family!, options.port ?? 0, true, prepared, false);
    } catch (e) {
      return socket.emit('error', e);
    }
    socket.bind({ fd }, callback);
  });
  return socket;
}
