// arm(): a socket someone else made gets its options before the SYN, on every attempt,
// and keepalive timing set through sockopt survives Node's own keepalive calls.
// Python reads the same kernel socket as the judge.
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as tls from 'node:tls';
import { arm, connect, constants as C, getsockopt, setKeepAlive, setsockopt } from '../../src/index';
import { fdOf, figure, openFds, oracle, tlsCredentials } from '../helpers';

const settle = () => new Promise((r) => setTimeout(r, 30)); // libuv closes handles on a later loop turn
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

async function server(host = '127.0.0.1', onConnection: (c: net.Socket) => void = (c) => c.pipe(c)): Promise<net.Server> {
  const s = net.createServer(onConnection).listen(0, host);
  await once(s, 'listening');
  cleanup.push(() => s.close());
  return s;
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

const TRIPLE = (): ['get', number, number, number][] => [
  ['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0],
  ['get', C.IPPROTO_TCP!, C.TCP_KEEPIDLE!, 0],
  ['get', C.IPPROTO_TCP!, C.TCP_KEEPINTVL!, 0],
  ['get', C.IPPROTO_TCP!, C.TCP_KEEPCNT!, 0],
];

describe('arm()', () => {
  it('refuses a misspelt field with ERR_INVALID_ARG_VALUE instead of ignoring it, before touching the socket', () => {
    const socket = new net.Socket();
    for (const [options, where] of [
      [{ deadPeerTimout: 5000 }, 'options.deadPeerTimout'],
      [{ keepAlive: { idel: 1000 } }, 'options.keepAlive.idel'],
      [{ sockopt: { TCP_SYNCNT: 1 } }, 'options.sockopt'],
    ] as const) {
      expect(() => arm(socket, options as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(where) }));
    }
    expect(socket.listenerCount('connectionAttempt')).toBe(0);
    socket.destroy();
  });

  it('a new net.Socket connected later: options on the fd before the SYN, keepalive timing kept after connect and after setKeepAlive(true, ms)', async () => {
    const srv = await server();
    const socket = arm(new net.Socket(), {
      sockopts: { TCP_SYNCNT: 2 },
      keepAlive: { idle: 10_000, interval: 7_000, count: 4 },
      userTimeout: 20_000.5,
    });
    cleanup.push(() => socket.destroy());
    let atAttempt: unknown;
    socket.on('connectionAttempt', () => (atAttempt = getsockopt(socket, 'TCP_SYNCNT')));
    socket.connect(portOf(srv), '127.0.0.1');
    await once(socket, 'connect');
    expect(atAttempt).toBe(2); // on the fd at the attempt, i.e. before the SYN
    const fd = fdOf(socket);
    const afterConnect = await oracle(fd, [...TRIPLE(), ['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0], ['get', C.IPPROTO_TCP!, C.TCP_SYNCNT!, 0]]);
    figure(`keepalive [on, idle s, interval s, count] + user timeout ms + syncnt after 'connect' (Python, ${process.version})`, afterConnect);
    expect(afterConnect).toEqual([1, 10, 7, 4, 20001, 2]);
    socket.setKeepAlive(true, 3000); // what http.Agent and undici call: libuv writes interval 1, count 10
    const afterNode = await oracle(fd, TRIPLE());
    figure(`keepalive after socket.setKeepAlive(true, 3000) (Python, ${process.version})`, afterNode);
    expect(afterNode).toEqual([1, 3, 7, 4]);
  });

  it("connect({ sockopts: { SO_KEEPALIVE, TCP_KEEPINTVL: 7, TCP_KEEPCNT: 4 } }): the kernel holds 7 and 4 after 'connect' (Node replays keepalive there)", async () => {
    const srv = await server();
    const socket = connect({ host: '127.0.0.1', port: portOf(srv), sockopts: { SO_KEEPALIVE: true, TCP_KEEPINTVL: 7, TCP_KEEPCNT: 4 } });
    cleanup.push(() => socket.destroy());
    await once(socket, 'connect');
    const triple = await oracle(fdOf(socket), TRIPLE());
    figure(`keepalive after 'connect' of connect({ SO_KEEPALIVE, TCP_KEEPINTVL: 7, TCP_KEEPCNT: 4 }) (Python, ${process.version})`, triple);
    const systemIdle = Number(readFileSync('/proc/sys/net/ipv4/tcp_keepalive_time', 'utf8')); // untouched: none was set
    expect(triple).toEqual([1, systemIdle, 7, 4]);
  });

  it('a socket from the net.client.socket channel (no handle yet) gets its options before the SYN', async () => {
    const srv = await server();
    const seen: net.Socket[] = [];
    const onSocket = (m: unknown) => {
      const s = (m as { socket: net.Socket }).socket;
      expect((s as unknown as { _handle: unknown })._handle ?? null).toBe(null);
      seen.push(arm(s, { sockopts: { TCP_USER_TIMEOUT: 3333, IP_TOS: 0x10 } }));
    };
    diagnostics.subscribe('net.client.socket', onSocket);
    let socket: net.Socket;
    try {
      socket = net.connect(portOf(srv), '127.0.0.1');
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    }
    cleanup.push(() => socket.destroy());
    await once(socket, 'connect');
    expect(seen).toEqual([socket]);
    expect(await oracle(fdOf(socket), [['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0], ['get', C.IPPROTO_IP!, C.IP_TOS!, 0]])).toEqual([3333, 0x10]);
  });

  it('every Happy Eyeballs attempt gets a configured socket (a refused ::1, then 127.0.0.1)', async () => {
    const srv = await server('127.0.0.1');
    const lookup = ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
      o.all ? cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as unknown as net.LookupFunction;
    const socket = arm(new net.Socket(), { sockopts: { TCP_USER_TIMEOUT: 4444 } });
    cleanup.push(() => socket.destroy());
    const attempts: [string, unknown][] = [];
    socket.on('connectionAttempt', (address: string) => attempts.push([address, getsockopt(socket, 'TCP_USER_TIMEOUT')]));
    socket.connect({ host: 'dual.test', port: portOf(srv), lookup, autoSelectFamily: true } as net.NetConnectOpts);
    await once(socket, 'connect');
    figure('Happy Eyeballs attempts [address, TCP_USER_TIMEOUT at the attempt]', attempts);
    expect(attempts).toEqual([['::1', 4444], ['127.0.0.1', 4444]]);
    expect(getsockopt(socket, 'TCP_USER_TIMEOUT')).toBe(4444);
  });

  it('an http.Agent socket: keepalive timing survives the agent parking it (setKeepAlive(true, keepAliveMsecs))', async () => {
    const web = http.createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
    await once(web, 'listening');
    cleanup.push(() => web.close());
    const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 2000 });
    cleanup.push(() => agent.destroy());
    const base = agent.createConnection.bind(agent);
    (agent as unknown as { createConnection: typeof base }).createConnection = (o, cb) =>
      arm(base(o, cb) as net.Socket, { keepAlive: { idle: 15_000, interval: 6_000, count: 5 } });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: (web.address() as net.AddressInfo).port, agent }, resolve).on('error', reject));
    const socket = res.socket as net.Socket;
    const fd = fdOf(socket);
    const parked = once(agent, 'free');
    res.resume();
    await parked;
    await new Promise((r) => setImmediate(r)); // the agent calls setKeepAlive right after 'free'
    const triple = await oracle(fd, TRIPLE());
    figure(`keepalive of a parked http.Agent socket (keepAliveMsecs 2000; Python, ${process.version})`, triple);
    // The agent names the idle time (2 s); interval and count are sockopt's, not libuv's 1 s × 10.
    expect(triple).toEqual([1, 2, 6, 5]);
  });

  it('TLS: interval and count set through sockopt survive tlsSocket.setKeepAlive(true, ms)', async () => {
    const srv = tls.createServer(tlsCredentials(), () => {}).listen(0, '127.0.0.1');
    await once(srv, 'listening');
    cleanup.push(() => srv.close());
    const socket = tls.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false });
    cleanup.push(() => socket.destroy());
    await once(socket, 'secureConnect');
    setKeepAlive(socket, { idle: 20_000, interval: 7000, count: 4 });
    socket.setKeepAlive(true, 3000);
    expect([getsockopt(socket, 'TCP_KEEPIDLE'), getsockopt(socket, 'TCP_KEEPINTVL'), getsockopt(socket, 'TCP_KEEPCNT')]).toEqual([3, 7, 4]);
  });

  it('a socket that already has its kernel socket gets the options at once', async () => {
    const srv = await server();
    const socket = net.connect(portOf(srv), '127.0.0.1');
    cleanup.push(() => socket.destroy());
    await once(socket, 'connect');
    arm(socket, { userTimeout: 1234, keepAlive: { interval: 9000 } });
    expect(getsockopt(socket, 'TCP_USER_TIMEOUT')).toBe(1234);
    expect(getsockopt(socket, 'TCP_KEEPINTVL')).toBe(9);
    setsockopt(socket, 'TCP_KEEPCNT', 3);
    socket.setKeepAlive(true, 4000);
    expect([getsockopt(socket, 'TCP_KEEPIDLE'), getsockopt(socket, 'TCP_KEEPINTVL'), getsockopt(socket, 'TCP_KEEPCNT')]).toEqual([4, 9, 3]);
  });

  it('an option the kernel refuses at the attempt: no SYN, the error on the socket, no fd left', async () => {
    let connections = 0;
    const srv = await server('127.0.0.1', (c) => {
      connections++;
      c.destroy();
    });
    await settle();
    const before = openFds();
    const socket = arm(new net.Socket(), { sockopts: { TCP_CONGESTION: 'no-such-cc' } });
    socket.connect(portOf(srv), '127.0.0.1');
    const [err] = (await once(socket, 'error')) as [Error & { code?: string; option?: string }];
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'setsockopt', option: 'TCP_CONGESTION' });
    await settle();
    expect(connections).toBe(0);
    expect(openFds()).toBe(before);
  });

  it('bad arguments throw synchronously with Node-style codes', () => {
    expect(() => arm({} as net.Socket, {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => arm(new net.Socket(), null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => arm(new net.Socket(), { sockopts: { TCP_NODELEY: true } as never })).toThrow(expect.objectContaining({ code: 'ERR_SOCKOPT_UNKNOWN_OPTION' }));
    expect(() => arm(new net.Socket(), { keepAlive: { interval: -1 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => arm(new net.Socket(), { keepAlive: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => arm(new net.Socket(), { userTimeout: 5, sockopts: { TCP_USER_TIMEOUT: 6 } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
