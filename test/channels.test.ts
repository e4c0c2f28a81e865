// The shared diagnostics_channel subscription: one per channel, none without consumers.
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isSubscribed, onSocket, type Direction } from '../src/channels';

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
