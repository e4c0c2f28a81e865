// snapshot(), the REPL view, JSON, SO_PEERCRED and takeError on real sockets.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import sockopt, { getsockopt, setsockopt, snapshot, takeError } from '../../src/index';
import { boundUdp, errno, fdOf, figure, tcpPair, type TcpPair, unixPair } from '../helpers';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('snapshot', () => {
  it('TCP over IPv4: every readable option by level, tcpInfo, addresses; IPv6 options skipped with the kernel code', async () => {
    pair = await tcpPair(4);
    setsockopt(pair.client, 'SO_RCVTIMEO', 1500);
    const s = snapshot(pair.client);
    expect(s).toMatchObject({ fd: fdOf(pair.client), family: 'IPv4', type: 'stream', protocol: 'tcp' });
    expect(s.local).toEqual({ family: 'IPv4', address: '127.0.0.1', port: pair.client.localPort });
    expect(s.remote).toEqual({ family: 'IPv4', address: '127.0.0.1', port: pair.client.remotePort });
    expect(s.options.SOL_SOCKET?.SO_RCVTIMEO).toBe(1500);
    expect(s.options.SOL_SOCKET?.SO_RCVBUF).toBe(getsockopt(pair.client, 'SO_RCVBUF'));
    expect(s.options.IPPROTO_TCP?.TCP_CONGESTION).toBe(getsockopt(pair.client, 'TCP_CONGESTION'));
    expect(s.options.IPPROTO_TCP?.TCP_NODELAY).toBe(getsockopt(pair.client, 'TCP_NODELAY'));
    expect(s.options.SOL_SOCKET).not.toHaveProperty('SO_ERROR'); // reading it would clear it
    expect(s.tcpInfo?.state).toBe('ESTABLISHED');
    expect(s.skipped).toContainEqual({ option: 'IPV6_V6ONLY', code: 'ENOTSUP' });
    expect(s.options.IPPROTO_IPV6).toBeUndefined();
  });

  it('TCP over IPv6 has IPV6_ options; UDP has no tcpInfo and skips TCP options', async () => {
    pair = await tcpPair(6);
    const s6 = snapshot(pair.accepted);
    expect(s6.family).toBe('IPv6');
    expect(s6.options.IPPROTO_IPV6?.IPV6_V6ONLY).toBe(getsockopt(pair.accepted, 'IPV6_V6ONLY'));
    expect(s6.options.IPPROTO_IPV6?.IPV6_UNICAST_HOPS).toBe(getsockopt(pair.accepted, 'IPV6_UNICAST_HOPS'));
    expect(s6.remote).toMatchObject({ family: 'IPv6', address: '::1' });
    const udp = await boundUdp();
    try {
      const su = snapshot(udp);
      expect(su).toMatchObject({ type: 'dgram', protocol: 'udp', remote: null });
      expect(su.tcpInfo).toBeUndefined();
      expect(su.skipped.map((x) => x.option)).toContain('TCP_NODELAY');
    } finally {
      udp.close();
    }
  });

  it('sockopt(sock) prints the compact view in the REPL and console.log; .full() prints every option by level', async () => {
    pair = await tcpPair();
    setsockopt(pair.client, 'SO_RCVTIMEO', 1500);
    const text = inspect(sockopt(pair.client));
    expect(text).toMatch(/^SocketOptions fd \d+: tcp IPv4 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ ESTABLISHED · rtt [\d.]+\/[\d.]+ ms · cwnd \d+/);
    expect(text).toContain('SO_RCVTIMEO 1.5 s');
    expect(text).toContain('SO_SNDTIMEO none');
    expect(text).not.toContain('\n  SOL_SOCKET'); // compact: no level groups
    const full = inspect(sockopt(pair.client).full());
    expect(full).toMatch(/\n {2}SOL_SOCKET {4}SO_REUSEADDR /);
    expect(full).toMatch(/\n {2}IPPROTO_TCP {3}TCP_NODELAY /);
    expect(full).toMatch(/ · rtt [\d.]+ µs · /);
    expect(full).toContain('state ESTABLISHED');
    expect(full).not.toContain('IPV6_V6ONLY'); // IPv6 options on an IPv4 socket: refused, and not listed in the text
    pair.client.destroy();
    expect(inspect(sockopt(pair.client))).toMatch(/^SocketOptions <ERR_SOCKET_CLOSED: /);
  });

  it('JSON.stringify gives the same data, bigints as strings', async () => {
    pair = await tcpPair();
    const json = JSON.parse(JSON.stringify(sockopt(pair.client))) as { options: { SOL_SOCKET: { SO_COOKIE: string } }; tcpInfo: { state: string } };
    expect(json.options.SOL_SOCKET.SO_COOKIE).toBe(getsockopt(pair.client, 'SO_COOKIE').toString());
    expect(json.tcpInfo.state).toBe('ESTABLISHED');
  });
});

describe('SO_PEERCRED and takeError', () => {
  it('SO_PEERCRED reports this process for a unix socket pair in one process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockopt-'));
    const path = join(dir, 's.sock');
    const { client, accepted, close } = await unixPair(path);
    try {
      const cred = getsockopt(client, 'SO_PEERCRED');
      figure('SO_PEERCRED (process.pid)', { cred, pid: process.pid });
      expect(cred).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
      expect(getsockopt(accepted, 'SO_PEERCRED')?.pid).toBe(process.pid);
      const s = snapshot(client);
      expect(s).toMatchObject({ family: 'unix', type: 'stream', remote: { family: 'unix', path } });
      expect(s.options.SOL_SOCKET?.SO_PEERCRED).toEqual(cred);
    } finally {
      await close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('snapshot shows an abstract unix address as Node does (leading NUL, no padding) and an unnamed client as an empty path', async () => {
    const name = `\0sockopt-abstract-${process.pid}`;
    const { server, client, close } = await unixPair(name);
    try {
      expect(server.address()).toBe(name);
      expect(snapshot(client)).toMatchObject({ local: { family: 'unix', path: '' }, remote: { family: 'unix', path: name } });
      expect(snapshot(server)).toMatchObject({ local: { family: 'unix', path: name }, remote: null });
    } finally {
      await close();
    }
  });

  it('takeError returns a pending ECONNRESET once, shaped like a system error, then null', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    client.pause(); // paused before 'connect': Node never starts reading, so a reset stays pending
    await once(client, 'connect');
    const [peer] = await accepted;
    try {
      expect(takeError(client)).toBeNull();
      peer.resetAndDestroy(); // RST
      await new Promise((r) => setTimeout(r, 50));
      const err = takeError(client);
      expect(err).toBeInstanceOf(Error);
      expect(err).toMatchObject({ code: 'ECONNRESET', errno: errno('ECONNRESET'), syscall: 'getsockopt', option: 'SO_ERROR', level: 'SOL_SOCKET' });
      expect(err!.message).toContain('ECONNRESET');
      expect(takeError(client)).toBeNull(); // reading cleared it
    } finally {
      client.destroy();
      server.close();
    }
  });
});
