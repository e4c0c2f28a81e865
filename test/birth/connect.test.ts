// connect()/listen()/bindDgram(): options set between socket() and connect()/bind(),
// visible on the fd the moment Node has it, with no fd leaked on any error path.
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { bindDgram, connect, connectTLS, constants as C, createServer, getsockopt, listen } from '../../src/index';
import { fdOf, figure, fixtures, listeningServer, openFds, oracle, python, tlsCredentials } from '../helpers';
import { join } from 'node:path';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

async function echoServer(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer((c) => c.pipe(c));
  server.listen(0, host);
  await once(server, 'listening');
  cleanup.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

// A port whose SYNs go unanswered: a listener that never accepts, its accept queue
// filled (how many fit depends on the kernel: open connections until one hangs).
async function silentPeer(): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(python, [join(fixtures, 'silent-listener.py'), '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.push(() => proc.kill('SIGKILL'));
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  for (let i = 0; i < 8; i++) {
    const filler = net.connect(port, '127.0.0.1');
    filler.on('error', () => {});
    cleanup.push(() => filler.destroy());
    const ok = await Promise.race([once(filler, 'connect').then(() => true), new Promise((r) => setTimeout(r, 300, false))]);
    if (!ok) {
      filler.destroy();
      return { port, proc };
    }
  }
  throw new Error('accept queue never filled');
}

const errorOf = async (s: net.Socket | net.Server | dgram.Socket) => ((await once(s, 'error')) as [Error & { code?: string }])[0];

describe('connect() with sockopts', () => {
  it('TCP_SYNCNT: 1 turns a peer that never answers into ETIMEDOUT in about 3 s (default: about 127 s)', async () => {
    const { port } = await silentPeer();
    const start = performance.now();
    const socket = connect({ host: '127.0.0.1', port, sockopts: { TCP_SYNCNT: 1 } });
    const failed = errorOf(socket);
    await once(socket, 'connectionAttempt'); // the configured socket is in the handle from here on
    expect(getsockopt(socket, 'TCP_SYNCNT')).toBe(1);
    const err = await failed;
    const ms = performance.now() - start;
    figure('TCP_SYNCNT 1 to a silent peer', `${err.code} after ${Math.round(ms)} ms`);
    expect(err.code).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_500); // SYN, retry after 1 s, give up 2 s later
    expect(ms).toBeLessThan(8_000);
  });

  it('options are on the fd as soon as Node has it, and data flows both ways', async () => {
    const port = await echoServer();
    const socket = connect({
      host: '127.0.0.1',
      port,
      sockopts: { TCP_USER_TIMEOUT: 7000, IP_TOS: 0x10, SO_KEEPALIVE: true, TCP_NODELAY: true, SO_BINDTODEVICE: 'lo', SO_SNDBUF: 65536 },
    });
    cleanup.push(() => socket.destroy());
    const connected = once(socket, 'connect');
    // Before 'connect', from the attempt on: the fd is already configured.
    await once(socket, 'connectionAttempt');
    expect(getsockopt(socket, 'TCP_USER_TIMEOUT')).toBe(7000);
    const fd = fdOf(socket);
    expect(await oracle(fd, [
      ['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0],
      ['get', C.IPPROTO_IP!, C.IP_TOS!, 0],
      ['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0],
      ['get', C.IPPROTO_TCP!, C.TCP_NODELAY!, 0],
      ['get', C.SOL_SOCKET!, C.SO_SNDBUF!, 0],
    ])).toEqual([7000, 0x10, 1, 1, 131072]);
    await connected;
    expect(getsockopt(socket, 'SO_BINDTODEVICE')).toBe('lo');
    socket.write('ping');
    const [echo] = (await once(socket, 'data')) as [Buffer];
    expect(String(echo)).toBe('ping');
    // Node's cached flags match: turning them off through Node really reaches the kernel.
    socket.setNoDelay(false);
    expect(getsockopt(socket, 'TCP_NODELAY')).toBe(false);
  });

  it('a host name resolves (family from the lookup) and the options are set before the SYN', async () => {
    const port = await echoServer('127.0.0.1');
    // Node asks for every address ({ all: true }) when it may try several (autoSelectFamily).
    const lookup = ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
      o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as unknown as net.LookupFunction;
    const socket = connect({ host: 'localhost', port, family: 0, lookup, sockopts: { TCP_USER_TIMEOUT: 4321 } });
    cleanup.push(() => socket.destroy());
    await once(socket, 'connect');
    expect(getsockopt(socket, 'TCP_USER_TIMEOUT')).toBe(4321);
    expect(socket.remoteAddress).toBe('127.0.0.1');
    socket.write('x');
    expect(String(((await once(socket, 'data')) as [Buffer])[0])).toBe('x');
  });

  it('over IPv6 too', async () => {
    const port = await echoServer('::1');
    const socket = connect({ host: '::1', port, sockopts: { IPV6_TCLASS: 0x20 } });
    cleanup.push(() => socket.destroy());
    await once(socket, 'connect');
    expect(getsockopt(socket, 'IPV6_TCLASS')).toBe(0x20);
  });

  it('connectTLS: TLS over a socket configured before its SYN', async () => {
    const server = tls.createServer(tlsCredentials(), (s) => s.end('secure'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const socket = connectTLS({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, rejectUnauthorized: false, sockopts: { TCP_USER_TIMEOUT: 5555 } });
    cleanup.push(() => socket.destroy());
    await once(socket, 'secureConnect');
    expect(getsockopt(socket, 'TCP_USER_TIMEOUT')).toBe(5555);
    expect(String(((await once(socket, 'data')) as [Buffer])[0])).toBe('secure');
  });

  it('bad names and values throw synchronously and create no fd', () => {
    const before = openFds();
    expect(() => connect({ host: '127.0.0.1', port: 9, sockopts: { TCP_NODELEY: true } as never })).toThrow(expect.objectContaining({ code: 'ERR_SOCKOPT_UNKNOWN_OPTION' }));
    expect(() => connect({ host: '127.0.0.1', port: 9, sockopts: { TCP_SYNCNT: 0 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => connect({ host: '127.0.0.1', port: 9, sockopts: { SO_ERROR: 1 } as never })).toThrow(expect.objectContaining({ code: 'ERR_SOCKOPT_READ_ONLY' }));
    expect(() => connect({ host: '127.0.0.1', port: 9, sockopts: { TCP_NODELAY: 1 } as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(openFds()).toBe(before);
  });

  it('no fd leaks on any error path: refused option, DNS failure, connection refused, timeout', async () => {
    const closedPort = await (async () => {
      const s = await listeningServer();
      const p = (s.address() as net.AddressInfo).port;
      await new Promise((r) => s.close(r));
      return p;
    })();
    const { port: silent } = await silentPeer();
    await new Promise((r) => setTimeout(r, 50)); // the last filler's handle closes on a later loop turn
    const before = openFds();

    const refusedOption = await errorOf(connect({ host: '127.0.0.1', port: 9, sockopts: { TCP_CONGESTION: 'no-such-cc' } }));
    expect(refusedOption).toMatchObject({ code: 'ENOENT', syscall: 'setsockopt', option: 'TCP_CONGESTION' });
    const refusedOptionByName = await errorOf(connect({ host: 'localhost', port: 9, sockopts: { TCP_CONGESTION: 'no-such-cc' } }));
    expect(refusedOptionByName).toMatchObject({ code: 'ENOENT', option: 'TCP_CONGESTION' });
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    const dnsFailure = await errorOf(connect({ host: 'nowhere.invalid', port: 80, lookup: (_h, _o, cb) => (cb as (e: Error) => void)(notFound), sockopts: { TCP_SYNCNT: 1 } }));
    expect(dnsFailure.code).toBe('ENOTFOUND');
    const refused = await errorOf(connect({ host: '127.0.0.1', port: closedPort, sockopts: { TCP_SYNCNT: 1 } }));
    expect(refused.code).toBe('ECONNREFUSED');
    const timedOut = await errorOf(connect({ host: '127.0.0.1', port: silent, sockopts: { TCP_SYNCNT: 1 } }));
    expect(timedOut.code).toBe('ETIMEDOUT');
    await new Promise((r) => setTimeout(r, 50)); // libuv closes handles on the next loop turn
    expect(openFds()).toBe(before);
  });
});

describe('listen() / createServer() / bindDgram() with sockopts', () => {
  it('two servers on one port with SO_REUSEPORT, and the kernel spreads connections across both', async () => {
    const counts = [0, 0];
    const a = createServer({ sockopts: { SO_REUSEPORT: true } }, (c) => { counts[0]!++; c.destroy(); });
    a.listen({ host: '127.0.0.1', port: 0 });
    await once(a, 'listening');
    const port = (a.address() as net.AddressInfo).port;
    const b = listen(net.createServer((c) => { counts[1]!++; c.destroy(); }), { host: '127.0.0.1', port, sockopts: { SO_REUSEPORT: true } });
    await once(b, 'listening');
    cleanup.push(() => { a.close(); b.close(); });
    expect((b.address() as net.AddressInfo).port).toBe(port);
    expect(getsockopt(a, 'SO_REUSEPORT')).toBe(true);
    for (let i = 0; i < 40; i++) {
      const c = net.connect(port, '127.0.0.1');
      await once(c, 'close');
    }
    figure('SO_REUSEPORT connections per server (of 40)', counts);
    expect(counts[0]! + counts[1]!).toBe(40);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
  });

  it('TCP_DEFER_ACCEPT, TCP_FASTOPEN, SO_RCVBUF and IPV6_V6ONLY are set before listen()', async () => {
    const server = createServer({ sockopts: { TCP_DEFER_ACCEPT: 3, TCP_FASTOPEN: 16, SO_RCVBUF: 100_000, IPV6_V6ONLY: true } });
    server.listen({ host: '::1', port: 0 });
    await once(server, 'listening');
    cleanup.push(() => server.close());
    expect(getsockopt(server, 'IPV6_V6ONLY')).toBe(true);
    expect(getsockopt(server, 'TCP_DEFER_ACCEPT')).toBeGreaterThanOrEqual(3);
    expect(getsockopt(server, 'TCP_FASTOPEN')).toBe(16);
    expect(getsockopt(server, 'SO_RCVBUF')).toBe(200_000);
    expect(getsockopt(server, 'SO_ACCEPTCONN')).toBe(true);
  });

  it('EADDRINUSE without SO_REUSEPORT is an error event, and leaks no fd', async () => {
    const taken = await listeningServer();
    cleanup.push(() => taken.close());
    const before = openFds();
    const server = createServer({ sockopts: { SO_RCVBUF: 50_000 } });
    server.listen({ host: '127.0.0.1', port: (taken.address() as net.AddressInfo).port });
    expect(await errorOf(server)).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1' }); // as Node codes it
    expect(openFds()).toBe(before);
  });

  it('bindDgram: a UDP socket configured before bind()', async () => {
    const sock = dgram.createSocket('udp4');
    bindDgram(sock, { address: '127.0.0.1', port: 0, sockopts: { SO_BROADCAST: true, SO_RCVBUF: 30_000 } });
    await once(sock, 'listening');
    cleanup.push(() => sock.close());
    expect(getsockopt(sock, 'SO_BROADCAST')).toBe(true);
    expect(sock.getRecvBufferSize()).toBe(60_000);
    const peer = dgram.createSocket('udp4');
    cleanup.push(() => peer.close());
    peer.send('hello', sock.address().port, '127.0.0.1');
    const [msg] = (await once(sock, 'message')) as [Buffer];
    expect(String(msg)).toBe('hello');
  });
});
