// Node caches noDelay/keepAlive and skips syscalls it thinks redundant.
// After sockopt changes the flag, Node's own calls must still reach the kernel.
import { afterEach, describe, expect, it } from 'vitest';
import { constants as C, getsockopt, setsockopt } from '../../src/index';
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
