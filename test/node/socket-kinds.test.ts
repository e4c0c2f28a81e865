// Every kind of socket object resolves to its real fd: checked by reading the
// same option through Python on the fd Node itself reports.
import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { constants as C, getsockopt, setsockopt } from '../../src/index';
import { boundUdp, fdOf, listeningServer, oracle, tlsPair } from '../helpers';

describe('socket kinds', () => {
  it('net.Server (listening): SO_ACCEPTCONN, and TCP_DEFER_ACCEPT seen by Python', async () => {
    const server = await listeningServer();
    try {
      expect(getsockopt(server, 'SO_ACCEPTCONN')).toBe(true);
      setsockopt(server, 'TCP_DEFER_ACCEPT', 5);
      const [accept, defer] = await oracle(fdOf(server), [
        ['get', C.SOL_SOCKET!, C.SO_ACCEPTCONN!, 0],
        ['get', C.IPPROTO_TCP!, C.TCP_DEFER_ACCEPT!, 0],
      ]);
      expect(accept).toBe(1);
      expect(defer).toBe(getsockopt(server, 'TCP_DEFER_ACCEPT'));
      expect(defer).toBeGreaterThanOrEqual(5); // the kernel rounds up to its retransmit schedule
    } finally {
      server.close();
    }
  });

  it('dgram.Socket (bound, v4 and v6) without touching the deprecated _handle getter', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    for (const type of ['udp4', 'udp6'] as const) {
      const sock = await boundUdp(type);
      try {
        expect(getsockopt(sock, 'SO_TYPE')).toBe(C.SOCK_DGRAM);
        setsockopt(sock, 'SO_RCVBUF', 40_000);
        expect(getsockopt(sock, 'SO_RCVBUF')).toBe(80_000);
        expect(sock.getRecvBufferSize()).toBe(80_000); // Node's own reading of the same fd
        setsockopt(sock, 'SO_BROADCAST', true);
        expect(getsockopt(sock, 'SO_BROADCAST')).toBe(true);
      } finally {
        sock.close();
      }
    }
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.includes('_handle'))).toEqual([]);
  });

  it('tls.TLSSocket, client and accepted, checked by Python on the underlying fd', async () => {
    const p = await tlsPair();
    try {
      setsockopt(p.client, 'TCP_NODELAY', true);
      setsockopt(p.accepted, 'TCP_KEEPIDLE', 33);
      expect((await oracle(fdOf(p.client), [['get', C.IPPROTO_TCP!, C.TCP_NODELAY!, 0]]))[0]).toBe(1);
      expect((await oracle(fdOf(p.accepted), [['get', C.IPPROTO_TCP!, C.TCP_KEEPIDLE!, 0]]))[0]).toBe(33);
      expect(getsockopt(p.server, 'SO_ACCEPTCONN')).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('an http request and response (server side) and the client request', async () => {
    const seen: number[] = [];
    const server = http.createServer((req, res) => {
      setsockopt(req, 'TCP_USER_TIMEOUT', 4_000);
      seen.push(getsockopt(res, 'TCP_USER_TIMEOUT'));
      seen.push(fdOf(req.socket));
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const req = http.get({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', agent: false });
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      expect(getsockopt(req, 'SO_TYPE')).toBe(C.SOCK_STREAM);
      expect(getsockopt(res, 'SO_DOMAIN')).toBe(C.AF_INET);
      res.resume();
      await once(res, 'end');
      expect(seen[0]).toBe(4_000);
      req.destroy();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("an http2 session's socket proxy", async () => {
    const server = http2.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = http2.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    try {
      await once(client, 'connect');
      setsockopt(client.socket, 'TCP_NODELAY', true);
      expect(getsockopt(client.socket, 'TCP_NODELAY')).toBe(true);
      expect(getsockopt(client, 'TCP_NODELAY')).toBe(true); // the session itself, via .socket
      const fd = (client.socket as unknown as { _handle: { fd: number } })._handle.fd;
      expect((await oracle(fd, [['get', C.IPPROTO_TCP!, C.TCP_NODELAY!, 0]]))[0]).toBe(1);
    } finally {
      client.close();
      server.close();
    }
  });

  it('a raw fd number', async () => {
    const server = await listeningServer();
    try {
      const fd = fdOf(server);
      expect(getsockopt(fd, 'SO_ACCEPTCONN')).toBe(true);
      setsockopt(fd, 'SO_RCVBUF', 10_000);
      expect(getsockopt(server, 'SO_RCVBUF')).toBe(20_000);
    } finally {
      server.close();
    }
  });
});
