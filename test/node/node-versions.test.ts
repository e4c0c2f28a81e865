// Behaviour that differs between Node majors, asserted on whichever one runs this
// (scripts/test-matrix.sh runs the suite on 20, 22, 24 and 26): both branches assert.
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getsockopt, setKeepAlive, setsockopt } from '../../src/index';
import { boundUdp, tcpPair, type TcpPair } from '../helpers';

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe(`Node ${process.version}`, () => {
  it("dgram: the deprecated _handle getter (gone in 25) is not what sockopt relies on", async () => {
    const sock = await boundUdp();
    try {
      const proto = dgram.Socket.prototype as object;
      expect(Object.getOwnPropertyDescriptor(proto, '_handle') !== undefined).toBe(major < 25);
      setsockopt(sock, 'SO_RCVBUF', 20_000);
      expect(sock.getRecvBufferSize()).toBe(40_000);
    } finally {
      sock.close();
    }
  });

  it("listen({ reusePort }) reaches the kernel from 22.12/23.1 on, and is silently ignored before", async () => {
    const server = net.createServer();
    server.listen({ port: 0, host: '127.0.0.1', reusePort: true } as net.ListenOptions);
    await once(server, 'listening');
    try {
      const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
      expect(getsockopt(server, 'SO_REUSEPORT')).toBe(supported);
    } finally {
      server.close();
    }
  });

  it('socket.setKeepAlive(enable, idle, interval, count) from 24 on; before, idle only (libuv picks 1 s × 10)', async () => {
    pair = await tcpPair();
    const { client } = pair;
    (client.setKeepAlive as (e: boolean, ...a: number[]) => net.Socket)(true, 5000, 7000, 4);
    const held = [getsockopt(client, 'TCP_KEEPIDLE'), getsockopt(client, 'TCP_KEEPINTVL'), getsockopt(client, 'TCP_KEEPCNT')];
    expect(held).toEqual(major >= 24 ? [5, 7, 4] : [5, 1, 10]);
  });

  it("after sockopt's setKeepAlive, Node's own setKeepAlive with new values still reaches the kernel; what Node cannot name, sockopt keeps", async () => {
    pair = await tcpPair();
    const { client } = pair;
    setKeepAlive(client, { idle: 5000, interval: 7000, count: 4 });
    (client.setKeepAlive as (e: boolean, ...a: number[]) => net.Socket)(true, 6000, 3000, 5);
    expect(getsockopt(client, 'TCP_KEEPIDLE')).toBe(6);
    // 24+ passes interval and count to the kernel; before, Node drops them and libuv would
    // write 1 s × 10 over sockopt's values, which sockopt writes back (src/node/keepalive.ts).
    expect([getsockopt(client, 'TCP_KEEPINTVL'), getsockopt(client, 'TCP_KEEPCNT')]).toEqual(major >= 24 ? [3, 5] : [7, 4]);
  });

  it('net.BoundSocket (24+): resolved through fd(), and refused once closed', () => {
    const BoundSocket = (net as unknown as { BoundSocket?: new (o: object) => { fd(): number; close(): void } }).BoundSocket;
    expect(BoundSocket !== undefined).toBe(major >= 24);
    if (!BoundSocket) return; // the assertion above is this branch's check
    const bound = new BoundSocket({ port: 0, host: '127.0.0.1' });
    setsockopt(bound, 'SO_RCVBUF', 30_000);
    expect(getsockopt(bound.fd(), 'SO_RCVBUF')).toBe(60_000);
    bound.close();
    expect(() => getsockopt(bound, 'SO_RCVBUF')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});
