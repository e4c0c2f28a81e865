// Every error code a user can meet, each produced for real.
import { once } from 'node:events';
import * as dgram from 'node:dgram';
import { closeSync, openSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { constants as C, getsockopt, isSupported, setsockopt } from '../../src/index';
import { errno, fdOf, listeningServer, tcpPair, type TcpPair } from '../helpers';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

// Loosely typed handles so the tests can pass what the types forbid.
const get = getsockopt as unknown as (...a: unknown[]) => unknown;
const set = setsockopt as unknown as (...a: unknown[]) => unknown;

function codeOf(fn: () => unknown): { code?: string; name: string; message: string; err: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    const e = err as Error & { code?: string };
    return { code: e.code, name: e.constructor.name, message: e.message, err: e as unknown as Record<string, unknown> };
  }
  throw new Error('expected a throw');
}

describe('argument errors, thrown before any syscall', () => {
  it('ERR_INVALID_ARG_TYPE for wrong value and socket types', async () => {
    pair = await tcpPair();
    for (const [fn, mention] of [
      [() => set(pair!.client, 'TCP_NODELAY', 1), 'boolean'],
      [() => set(pair!.client, 'SO_RCVBUF', '4096'), 'number'],
      [() => set(pair!.client, 'SO_RCVTIMEO', '1s'), 'number or null'],
      [() => set(pair!.client, 'TCP_CONGESTION', 5), 'string'],
      [() => get({}, 'SO_RCVBUF'), 'net.Socket'],
      [() => get('eth0', 'SO_RCVBUF'), 'net.Socket'],
      [() => get(pair!.client, 1, 'x'), 'number'],
      [() => set(pair!.client, C.SOL_SOCKET, C.SO_RCVBUF, 'x'), 'Buffer'],
    ] as const) {
      const r = codeOf(fn);
      expect(r.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(r.name).toBe('TypeError');
      expect(r.message).toContain(mention);
    }
  });

  it('ERR_OUT_OF_RANGE for ints beyond int32, negative ms, option bounds, long strings', async () => {
    pair = await tcpPair();
    for (const fn of [
      () => set(pair!.client, 'SO_RCVBUF', 2 ** 31),
      () => set(pair!.client, 'SO_RCVBUF', 1.5),
      () => set(pair!.client, 'SO_RCVBUF', Number.NaN),
      () => set(pair!.client, 'SO_RCVTIMEO', -1),
      () => set(pair!.client, 'SO_RCVTIMEO', Infinity),
      () => set(pair!.client, 'SO_LINGER', 1.5),
      () => set(pair!.client, 'TCP_KEEPCNT', 0),
      () => set(pair!.client, 'IP_TOS', 256),
      () => set(pair!.client, 'TCP_CONGESTION', 'x'.repeat(16)),
      () => set(pair!.client, 'SO_BINDTODEVICE', 'lo\0'),
      () => get(-1, 'SO_RCVBUF'),
      () => get(pair!.client, C.SOL_SOCKET, C.SO_RCVBUF, -1),
    ]) {
      const r = codeOf(fn);
      expect(r.code).toBe('ERR_OUT_OF_RANGE');
      expect(r.name).toBe('RangeError');
    }
  });

  it('ERR_SOCKOPT_UNKNOWN_OPTION, with a suggestion for typos', () => {
    const r = codeOf(() => get(0, 'TCP_NODELEY'));
    expect(r.code).toBe('ERR_SOCKOPT_UNKNOWN_OPTION');
    expect(r.name).toBe('TypeError');
    expect(r.message).toContain("Did you mean 'TCP_NODELAY'?");
    expect(codeOf(() => get(0, 'toString')).code).toBe('ERR_SOCKOPT_UNKNOWN_OPTION');
    expect(codeOf(() => set(0, 'constructor', 1)).code).toBe('ERR_SOCKOPT_UNKNOWN_OPTION');
    // The option table has no prototype: nothing inherited reads as an option.
    for (const name of ['__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      expect(codeOf(() => get(0, name as never)).code).toBe('ERR_SOCKOPT_UNKNOWN_OPTION');
      expect(codeOf(() => set(0, name as never, 1)).code).toBe('ERR_SOCKOPT_UNKNOWN_OPTION');
    }
  });

  it('ERR_SOCKOPT_READ_ONLY and ERR_SOCKOPT_WRITE_ONLY', () => {
    const r = codeOf(() => set(0, 'SO_ERROR', 1));
    expect(r.code).toBe('ERR_SOCKOPT_READ_ONLY');
    expect(r.name).toBe('TypeError');
    expect(codeOf(() => get(0, 'SO_RCVBUFFORCE')).code).toBe('ERR_SOCKOPT_WRITE_ONLY');
  });

  it('ERR_SOCKOPT_UNSUPPORTED for an option this platform lacks', () => {
    expect(process.platform).toBe('linux'); // SO_NOSIGPIPE is BSD/macOS only
    expect(isSupported('SO_NOSIGPIPE')).toBe(false);
    expect(isSupported('TCP_NODELAY')).toBe(true);
    expect(isSupported('NOPE')).toBe(false);
    const r = codeOf(() => get(0, 'SO_NOSIGPIPE'));
    expect(r.code).toBe('ERR_SOCKOPT_UNSUPPORTED');
    expect(r.message).toContain('darwin');
  });
});

describe('sockets without a usable fd', () => {
  it('ERR_SOCKOPT_NO_FD: connecting, never connected, server not listening, dgram not bound, request without socket', async () => {
    const server = await listeningServer();
    const port = (server.address() as net.AddressInfo).port;
    const connecting = net.connect(port, '127.0.0.1');
    const r = codeOf(() => get(connecting, 'SO_RCVBUF'));
    expect(r.code).toBe('ERR_SOCKOPT_NO_FD');
    expect(r.message).toContain("'connect'");
    await once(connecting, 'connect');
    expect(getsockopt(connecting, 'SO_TYPE')).toBe(C.SOCK_STREAM);
    connecting.destroy();
    server.close();

    expect(codeOf(() => get(new net.Socket(), 'SO_RCVBUF')).message).toContain('not connected');
    const idle = net.createServer();
    expect(codeOf(() => get(idle, 'SO_RCVBUF')).message).toContain("'listening'");
    const udp = dgram.createSocket('udp4');
    expect(codeOf(() => get(udp, 'SO_RCVBUF')).code).toBe('ERR_SOCKOPT_NO_FD');
    udp.close();
    const req = http.request({ host: '127.0.0.1', port: 9, createConnection: () => new net.Socket() });
    req.on('error', () => {});
    const reqNoSocket = Object.assign(Object.create(http.ClientRequest.prototype) as http.ClientRequest, { socket: null });
    expect(codeOf(() => get(reqNoSocket, 'SO_RCVBUF')).code).toBe('ERR_SOCKOPT_NO_FD');
    req.destroy();
  });

  it('ERR_SOCKET_CLOSED: destroyed socket, closed server, closed dgram socket', async () => {
    pair = await tcpPair();
    pair.client.destroy();
    expect(codeOf(() => get(pair!.client, 'SO_RCVBUF')).code).toBe('ERR_SOCKET_CLOSED');
    const server = await listeningServer();
    server.close();
    expect(codeOf(() => get(server, 'SO_RCVBUF')).code).toBe('ERR_SOCKET_CLOSED');
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    udp.close();
    expect(codeOf(() => get(udp, 'SO_RCVBUF')).code).toBe('ERR_SOCKET_CLOSED');
  });

  it('a destroyed socket whose fd number now belongs to a new socket: ERR_SOCKET_CLOSED, new socket untouched', async () => {
    const server = await listeningServer();
    const port = (server.address() as net.AddressInfo).port;
    try {
      const old = net.connect(port, '127.0.0.1');
      await once(old, 'connect');
      const oldFd = fdOf(old);
      old.destroy();
      let fresh: net.Socket | undefined;
      // The kernel gives the lowest free number; other fds may open between, so try a few.
      for (let i = 0; i < 20 && (!fresh || fdOf(fresh) !== oldFd); i++) {
        fresh?.destroy();
        fresh = net.connect(port, '127.0.0.1');
        await once(fresh, 'connect');
      }
      expect(fdOf(fresh!)).toBe(oldFd);
      const before = getsockopt(fresh!, 'TCP_USER_TIMEOUT');
      expect(codeOf(() => setsockopt(old, 'TCP_USER_TIMEOUT', 1234)).code).toBe('ERR_SOCKET_CLOSED');
      expect(getsockopt(fresh!, 'TCP_USER_TIMEOUT')).toBe(before);
      expect(before).not.toBe(1234);
      fresh!.destroy();
    } finally {
      server.close();
    }
  });
});

describe('kernel refusals', () => {
  it('look like Node system errors: code, negative errno, syscall, option, level', async () => {
    pair = await tcpPair();
    const r = codeOf(() => setsockopt(pair!.client, 'SO_SNDLOWAT', 10)); // Linux: fixed at 1
    expect(r.code).toBe('ENOPROTOOPT');
    expect(r.name).toBe('Error');
    expect(r.err).toMatchObject({ syscall: 'setsockopt', option: 'SO_SNDLOWAT', level: 'SOL_SOCKET' });
    expect(r.err.errno).toBe(errno('ENOPROTOOPT'));
    expect(r.message).toMatch(/setsockopt ENOPROTOOPT.*SOL_SOCKET SO_SNDLOWAT = 10/);

    const bad = codeOf(() => setsockopt(pair!.client, 'TCP_CONGESTION', 'no-such-cc'));
    expect(bad).toMatchObject({ code: 'ENOENT', err: { syscall: 'setsockopt', option: 'TCP_CONGESTION', level: 'IPPROTO_TCP' } });

    const raw = codeOf(() => getsockopt(pair!.client, C.SOL_SOCKET!, 9999));
    expect(raw).toMatchObject({ code: 'ENOPROTOOPT', err: { errno: errno('ENOPROTOOPT'), syscall: 'getsockopt', option: '9999', level: 'SOL_SOCKET' } });
  });

  it('EBADF / ENOTSOCK on a raw fd that is not an open socket', () => {
    expect(codeOf(() => getsockopt(2 ** 30, 'SO_TYPE')).code).toBe('EBADF');
    const file = openSync(__filename, 'r');
    try {
      expect(codeOf(() => getsockopt(file, 'SO_TYPE'))).toMatchObject({ code: 'ENOTSOCK', err: { errno: errno('ENOTSOCK') } });
    } finally {
      closeSync(file);
    }
  });

  it('a TCP option on a UDP socket is refused with a code, not a crash', async () => {
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    try {
      const r = codeOf(() => getsockopt(udp, 'TCP_NODELAY'));
      expect(r.code).toMatch(/^(ENOPROTOOPT|ENOTSUP|EOPNOTSUPP)$/);
      expect(r.err.syscall).toBe('getsockopt');
    } finally {
      udp.close();
    }
  });
});
