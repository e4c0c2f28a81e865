// Redis 7 from Debian's apt (started by scripts/test-clients.sh) through ioredis and
// node-redis. Neither takes a socket from the user: tuneSockets reaches them through
// Node's net.client.socket channel.
import IORedis from 'ioredis';
import type * as net from 'node:net';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { tuneSockets } from '../../src/index';
import { codeOf, connectedSocket, env, figure, pythonView, settledFdCount, silentPeer, timed, watchClientSockets } from './harness';

const POLICY = { deadPeerTimeout: 20_000, sockopts: { TCP_NODELAY: true } };
const EXPECTED = { keepalive: 1, idle: 11, interval: 3, count: 3, userTimeout: 20_000, noDelay: 1 };
const port = env('REDIS_PORT');

let off: (() => void) | undefined;
let watch: ReturnType<typeof watchClientSockets> | undefined;
afterEach(() => {
  off?.();
  watch?.stop();
  off = watch = undefined;
});

describe('ioredis', () => {
  it('tuneSockets reaches its socket; the policy survives ioredis\'s own setKeepAlive(true, 30 s)', async () => {
    off = tuneSockets({ client: POLICY });
    watch = watchClientSockets();
    const redis = new IORedis({ port, host: '127.0.0.1', keepAlive: 30_000, lazyConnect: true });
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    const socket = (redis as unknown as { stream: net.Socket }).stream;
    expect(watch.sockets).toContain(socket);
    expect(await pythonView(socket)).toEqual(EXPECTED);
    redis.disconnect();
  });

  it('TCP_SYNCNT: 1 against a silent peer: ETIMEDOUT in about 3 s (ioredis\'s connectTimeout set to 60 s)', async () => {
    const peer = await silentPeer();
    off = tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } });
    const redis = new IORedis({ port: peer.port, host: '127.0.0.1', connectTimeout: 60_000, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    let socketError: Error | undefined; // ioredis rejects connect() with "Connection is closed." and emits the cause
    redis.on('error', (e: Error) => (socketError ??= e));
    const [ms, err] = await timed(() => redis.connect());
    await peer.close();
    redis.disconnect();
    figure('ioredis, TCP_SYNCNT 1, silent peer', { ms, code: codeOf(socketError), rejected: err?.message });
    expect(err).toBeDefined();
    expect(codeOf(socketError)).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000);
  }, 20_000);

  it('fd count unchanged after 100 connections', async () => {
    off = tuneSockets({ client: POLICY });
    const once = async () => {
      const redis = new IORedis({ port, host: '127.0.0.1', lazyConnect: true });
      await redis.connect();
      await redis.ping();
      await redis.quit();
    };
    await once();
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) await once();
    const after = await settledFdCount();
    figure('ioredis fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
  });
});

describe('node-redis', () => {
  it('tuneSockets reaches its socket; the policy survives node-redis\'s own setKeepAlive(true, 5 s) at connect', async () => {
    off = tuneSockets({ client: POLICY });
    watch = watchClientSockets();
    const client = createClient({ socket: { port, host: '127.0.0.1' } });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    const socket = await connectedSocket(watch.sockets);
    expect(await pythonView(socket)).toEqual(EXPECTED);
    await client.quit();
  });

  it('TCP_SYNCNT: 1 against a silent peer: ETIMEDOUT in about 3 s (node-redis\'s connectTimeout set to 60 s)', async () => {
    const peer = await silentPeer();
    off = tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } });
    const client = createClient({ socket: { port: peer.port, host: '127.0.0.1', connectTimeout: 60_000, reconnectStrategy: false } });
    client.on('error', () => {});
    const [ms, err] = await timed(() => client.connect());
    await peer.close();
    figure('node-redis, TCP_SYNCNT 1, silent peer', { ms, code: codeOf(err) });
    expect(codeOf(err)).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000);
  }, 20_000);

  it('fd count unchanged after 100 connections', async () => {
    off = tuneSockets({ client: POLICY });
    const once = async () => {
      const client = createClient({ socket: { port, host: '127.0.0.1' } });
      await client.connect();
      await client.ping();
      await client.quit();
    };
    await once();
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) await once();
    const after = await settledFdCount();
    figure('node-redis fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
  });
});
