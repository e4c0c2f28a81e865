// The shared diagnostics_channel subscription: one per channel, none without consumers.
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { isSubscribed, onSocket, type Direction } from '../../src/node/channels';
import { figure } from '../helpers';

describe('channels', () => {
  it('delivers client and accepted sockets, then unsubscribes with the last consumer', async () => {
    const seen: [Direction, boolean][] = [];
    const offA = onSocket((s, d) => seen.push([d, s instanceof net.Socket]));
    const offB = onSocket(() => {
      throw new Error('a consumer bug stays inside the consumer');
    }, { server: false });
    expect(diagnostics.channel('net.client.socket').hasSubscribers).toBe(true);
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const [sock] = (await accepted) as [net.Socket];
    expect(seen).toEqual([['client', true], ['server', true]]);
    offA();
    offA();
    expect(isSubscribed('server')).toBe(false);
    expect(isSubscribed('client')).toBe(true);
    offB();
    expect(isSubscribed('client')).toBe(false);
    expect(diagnostics.channel('net.client.socket').hasSubscribers).toBe(false);
    client.destroy();
    sock.destroy();
    await new Promise((r) => server.close(r));
  });
});

describe('channels on every Node version', () => {
  it('delivers new net.Socket().connect() and tls.connect() sockets exactly once, and restores connect when off', async () => {
    const nodeConnect = net.Socket.prototype.connect;
    const seen: net.Socket[] = [];
    const off = onSocket((s) => seen.push(s), { server: false });
    const accepted: net.Socket[] = [];
    const server = net.createServer((c) => accepted.push(c)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const plain = new net.Socket();
    plain.connect(port, '127.0.0.1');
    const secure = tls.connect({ port, host: '127.0.0.1' });
    const viaNet = net.connect(port, '127.0.0.1');
    await Promise.all([once(plain, 'connect'), once(secure, 'connect'), once(viaNet, 'connect')]);
    for (const s of [plain, secure, viaNet, ...accepted]) s.on('error', () => {}).destroy();
    expect(seen.length).toBe(3);
    expect(new Set(seen)).toEqual(new Set([plain, secure, viaNet]));
    figure('channels: client sockets delivered', { node: process.version, delivered: seen.map((s) => s.constructor.name) });
    off();
    expect(net.Socket.prototype.connect).toBe(nodeConnect);
    await new Promise((r) => server.close(r));
  });

  it('a later subscription sees a socket an earlier one saw, when that socket connects again', async () => {
    const server = net.createServer((c) => c.on('error', () => {}).destroy()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const first: net.Socket[] = [];
    const offFirst = onSocket((s) => first.push(s), { server: false });
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.destroy();
    offFirst();
    const second: net.Socket[] = [];
    const offSecond = onSocket((s) => second.push(s), { server: false });
    socket.connect(port, '127.0.0.1'); // Node lets a destroyed socket connect again
    await once(socket, 'connect');
    socket.destroy();
    offSecond();
    expect(first).toEqual([socket]);
    expect(second).toEqual([socket]);
    await new Promise((r) => server.close(r));
  });

  it('another tool wrapping Socket#connect over ours, then off and on again: connect() still works, each socket delivered once', async () => {
    // On Node 20 the client channel wraps Socket#connect; an APM agent wraps it on top
    // (its wrapper calls ours), we go off (ours stays in its chain, inert) and on again.
    const proto = net.Socket.prototype as unknown as { connect: (...a: unknown[]) => unknown };
    const nodeConnect = proto.connect;
    const server = net.createServer((c) => c.on('error', () => {}).destroy()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const seen: net.Socket[] = [];
    let theirs = 0;
    try {
      const offFirst = onSocket(() => {}, { server: false });
      const under = proto.connect;
      proto.connect = function (this: unknown, ...a: unknown[]) {
        theirs++;
        return under.apply(this, a);
      };
      offFirst();
      const off = onSocket((s) => seen.push(s), { server: false });
      const sockets: net.Socket[] = [];
      for (let i = 0; i < 2; i++) {
        const socket = new net.Socket();
        socket.on('error', () => {});
        socket.connect(port, '127.0.0.1'); // threw RangeError (a wrapper calling itself) on Node 20
        sockets.push(socket);
        await once(socket, 'connect');
        socket.destroy();
      }
      off();
      expect(seen).toEqual(sockets);
      expect(theirs).toBe(2);
    } finally {
      proto.connect = nodeConnect;
      await new Promise((r) => server.close(r));
    }
  });
});
