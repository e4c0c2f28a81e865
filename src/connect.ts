// connect(): net.connect with options set between socket() and connect() —
// TCP_SYNCNT, TCP_USER_TIMEOUT, SO_BINDTODEVICE, IP_TOS, buffers, …
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { invalidArgType } from './errors';
import { createConfigured, closeQuietly, prepare, syncAdopted, type Sockopts } from './presocket';

/** net.connect options plus `sockopts`. Connections are made to one resolved address. */
export type ConnectOptions = Omit<net.TcpNetConnectOpts, 'autoSelectFamily' | 'autoSelectFamilyAttemptTimeout'> & {
  /** Set on the new socket before the SYN is sent. */
  sockopts?: Sockopts;
};

interface HandleWithOpen {
  open(fd: number): number;
}

/**
 * Like `net.connect(options, listener)`, returning a normal `net.Socket`, but the
 * options in `sockopts` are set on the socket before it connects:
 * `connect({ host: 'db', port: 5432, sockopts: { TCP_SYNCNT: 2, TCP_USER_TIMEOUT: 10_000 } })`.
 *
 * A bad option name or value throws synchronously, before any socket exists. Every
 * later failure (DNS, an option the kernel refuses, ECONNREFUSED, ETIMEDOUT) arrives
 * as the socket's `'error'` event, as with net.connect. Host names resolve with
 * `dns.lookup` (or `options.lookup`), honouring `family`; the first address is used.
 */
export function connect(options: ConnectOptions, connectListener?: () => void): net.Socket {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const prepared = prepare(options.sockopts, 'connect');
  const { sockopts: _omit, ...netOptions } = options;
  const host = netOptions.host ?? 'localhost';
  const literal = net.isIP(host) as 0 | 4 | 6;
  const connectOpts = { ...netOptions, host, autoSelectFamily: false };

  if (literal) {
    // The family is known now: create and configure the fd, then hand it to Node.
    let fd: number;
    try {
      fd = createConfigured(literal, false, prepared);
    } catch (err) {
      const failed = new net.Socket();
      process.nextTick(() => failed.destroy(err as Error)); // like net.connect: errors are events
      return failed;
    }
    const socket = new net.Socket({ ...netOptions, fd });
    syncAdopted(socket, prepared);
    if (netOptions.timeout) socket.setTimeout(netOptions.timeout);
    return socket.connect(connectOpts, connectListener);
  }

  // A host name: the family is known once resolved. Node calls this lookup after it
  // made its (still fd-less) handle and before connect(), so the configured fd is
  // adopted in between (TCPWrap#open, the call behind `new net.Socket({ fd })`).
  const socket = new net.Socket(netOptions);
  const lookup = netOptions.lookup ?? dns.lookup;
  const hook: net.LookupFunction = (hostname, lookupOptions, callback) => {
    lookup(hostname, { ...lookupOptions, all: false }, ((err: NodeJS.ErrnoException | null, address: string, family: number) => {
      if (err) return callback(err, address, family);
      let fd: number;
      try {
        fd = createConfigured(family === 6 ? 6 : 4, false, prepared);
      } catch (e) {
        return callback(e as NodeJS.ErrnoException, address, family);
      }
      const rc = (socket as unknown as { _handle: HandleWithOpen })._handle.open(fd);
      if (rc !== 0) {
        closeQuietly(fd);
        const e = Object.assign(new Error(`cannot adopt the configured socket (libuv error ${rc})`), { code: 'ERR_SOCKOPT_ADOPT', errno: rc });
        return callback(e, address, family);
      }
      syncAdopted(socket, prepared);
      callback(null, address, family);
    }) as never);
  };
  if (netOptions.timeout) socket.setTimeout(netOptions.timeout);
  return socket.connect({ ...connectOpts, lookup: hook }, connectListener);
}

/** TLS over {@link connect}: `tls.connect({ ...options, socket })` on a socket configured before its SYN. */
export function connectTLS(options: ConnectOptions & tls.ConnectionOptions, secureConnectListener?: () => void): tls.TLSSocket {
  const { sockopts, host, port, family, localAddress, localPort, lookup, timeout: _t, ...tlsOptions } = options;
  const socket = connect({ sockopts, host, port, family, localAddress, localPort, lookup } as ConnectOptions);
  return tls.connect({ servername: host && !net.isIP(host) ? host : undefined, ...tlsOptions, socket }, secureConnectListener);
}
