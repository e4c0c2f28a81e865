// Node caches noDelay/keepAlive and skips syscalls it thinks redundant.
// After sockopt changes the flag, Node's own calls must still reach the kernel.
import { afterEach, describe, expect, it } from 'vitest';
import { constants as C, getsockopt, setsockopt, setsockopts } from '../../src/index';
import { fdOf, oracle, tcpPair, type TcpPair } from '../helpers';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe("Node's cached socket state stays consistent", () => {
  it('TCP_NODELAY off through sockopt, then socket.setNoDelay(true) really sets it', async () => {
    pair = await tcpPair();
    const { client } = pair;
    client.setNoDelay(true); // Node now believes noDelay is on
    setsockopt(client, 'TCP_NODELAY', false);
    expect(getsockopt(client, 'TCP_NODELAY')).toBe(false);
    client.setNoDelay(true);
    expect(getsockopt(client, 'TCP_NODELAY')).toBe(true);
    expect((await oracle(fdOf(client), [['get', C.IPPROTO_TCP!, C.TCP_NODELAY!, 0]]))[0]).toBe(1);
  });

  it('the same through the raw numeric form', async () => {
    pair = await tcpPair();
    const { client } = pair;
    client.setNoDelay(true);
    setsockopt(client, C.IPPROTO_TCP!, C.TCP_NODELAY!, 0);
    client.setNoDelay(true);
    expect(getsockopt(client, 'TCP_NODELAY')).toBe(true);
  });

  it('the raw form with bytes: one int, or more (the kernel takes the first int), moves the cache too', async () => {
    pair = await tcpPair();
    const { client } = pair;
    for (const bytes of [4, 8, 16]) {
      const on = new Int32Array(bytes / 4); // in this host's byte order
      on[0] = 1;
      setsockopt(client, C.IPPROTO_TCP!, C.TCP_NODELAY!, on);
      expect(getsockopt(client, 'TCP_NODELAY')).toBe(true);
      client.setNoDelay(false); // Node must not believe it is off already
      expect([bytes, getsockopt(client, 'TCP_NODELAY')]).toEqual([bytes, false]);
      setsockopt(client, C.SOL_SOCKET!, C.SO_KEEPALIVE!, on);
      client.setKeepAlive(false);
      expect([bytes, getsockopt(client, 'SO_KEEPALIVE')]).toEqual([bytes, false]);
    }
  });

  it('a wrapper whose socket getter answers another socket each read: the fd and the cache are the first one\'s', async () => {
    pair = await tcpPair();
    const other = await tcpPair();
    try {
      const { client: a } = pair;
      const b = other.client;
      for (const set of [
        (w: object) => setsockopt(w as never, 'TCP_NODELAY', true),
        (w: object) => setsockopt(w as never, C.IPPROTO_TCP!, C.TCP_NODELAY!, 1),
        (w: object) => setsockopts(w as never, { TCP_NODELAY: true }),
      ]) {
        setsockopt(a, 'TCP_NODELAY', false);
        let reads = 0;
        set({ get socket() { return reads++ === 0 ? a : b; } });
        expect([reads, getsockopt(a, 'TCP_NODELAY'), getsockopt(b, 'TCP_NODELAY')]).toEqual([1, true, false]);
        b.setNoDelay(true); // b's cache was never told otherwise: Node's call reaches the kernel
        expect(getsockopt(b, 'TCP_NODELAY')).toBe(true);
        setsockopt(b, 'TCP_NODELAY', false);
        a.setNoDelay(false); // a's cache says on: Node's call reaches the kernel
        expect(getsockopt(a, 'TCP_NODELAY')).toBe(false);
      }
    } finally {
      await other.close();
    }
  });

  it('SO_KEEPALIVE on through sockopt, then socket.setKeepAlive(false) really clears it', async () => {
    pair = await tcpPair();
    const { client } = pair;
    setsockopt(client, 'SO_KEEPALIVE', true);
    client.setKeepAlive(false);
    expect(getsockopt(client, 'SO_KEEPALIVE')).toBe(false);
    client.setKeepAlive(true);
    setsockopt(client, 'SO_KEEPALIVE', false);
    client.setKeepAlive(true);
    expect(getsockopt(client, 'SO_KEEPALIVE')).toBe(true);
  });
});
