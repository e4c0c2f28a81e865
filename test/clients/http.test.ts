// HTTP clients: undici, global fetch, http.Agent with keep-alive (Node's own and
// sockopt's agent()), and ws, against servers in this process on loopback.
import { once } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import { request as undiciRequest, Agent as UndiciAgent, Client as UndiciClient } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { agent, tuneSockets } from '../../src/index';
import { codeOf, connectedSocket, fdCount, figure, settledFdCount, pythonView, silentPeer, timed, watchClientSockets } from './harness';

// deadPeerTimeout 20 s → keepalive idle 11 s, interval 3 s, count 3; TCP_USER_TIMEOUT 20,000 ms.
const POLICY = { deadPeerTimeout: 20_000, sockopts: { TCP_NODELAY: true } };
const EXPECTED = { keepalive: 1, idle: 11, interval: 3, count: 3, userTimeout: 20_000, noDelay: 1 };

let server: http.Server;
let wss: WebSocketServer;
let port: number;
let base: string;
let off: (() => void) | undefined;
let watch: ReturnType<typeof watchClientSockets> | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/close') res.setHeader('connection', 'close');
    res.end('ok');
  });
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as net.AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  wss.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  off?.();
  off = undefined;
  watch?.stop();
  watch = undefined;
});

/** Settles when every accepted and client socket of the test is gone: fd count back to `target` (bounded wait). */
async function fdsBackTo(target: number): Promise<number> {
  for (let i = 0; i < 100 && fdCount() !== target; i++) await new Promise((r) => setTimeout(r, 20));
  return fdCount();
}

describe('undici', () => {
  it('tuneSockets reaches its sockets; the policy survives undici\'s own setKeepAlive(true, 60 s)', async () => {
    off = tuneSockets({ client: POLICY });
    watch = watchClientSockets();
    const client = new UndiciClient(base);
    const res = await client.request({ path: '/', method: 'GET' });
    expect(await res.body.text()).toBe('ok');
    const socket = await connectedSocket(watch.sockets);
    expect(await pythonView(socket)).toEqual(EXPECTED);
    await client.close();
  });

  it('TCP_SYNCNT: 1 against a silent peer: the kernel gives up (ETIMEDOUT) in about 3 s, before undici\'s connect timeout', async () => {
    const peer = await silentPeer();
    off = tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } });
    const dispatcher = new UndiciAgent({ connect: { timeout: 60_000 } });
    const [ms, err] = await timed(() => undiciRequest(`http://127.0.0.1:${peer.port}/`, { dispatcher }));
    await peer.close();
    await dispatcher.close();
    figure('undici, TCP_SYNCNT 1, silent peer', { ms, code: codeOf(err) });
    expect(codeOf(err)).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000);
  });

  it('fd count unchanged after 100 connections', async () => {
    off = tuneSockets({ client: POLICY });
    const warm = new UndiciClient(base);
    await (await warm.request({ path: '/', method: 'GET' })).body.text();
    await warm.close();
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) {
      const c = new UndiciClient(base);
      await (await c.request({ path: '/', method: 'GET' })).body.text();
      await c.close();
    }
    const after = await fdsBackTo(before);
    figure('undici fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
  });
});

describe('global fetch', () => {
  it('tuneSockets reaches its sockets', async () => {
    off = tuneSockets({ client: POLICY });
    watch = watchClientSockets();
    const res = await fetch(`${base}/`);
    expect(await res.text()).toBe('ok');
    const socket = await connectedSocket(watch.sockets);
    expect(await pythonView(socket)).toEqual(EXPECTED);
  });

  it('TCP_SYNCNT: 1 against a silent peer: ETIMEDOUT in about 3 s', async () => {
    const peer = await silentPeer();
    off = tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } });
    const [ms, err] = await timed(() => fetch(`http://127.0.0.1:${peer.port}/`));
    await peer.close();
    figure('global fetch, TCP_SYNCNT 1, silent peer', { ms, code: codeOf(err) });
    expect(codeOf(err)).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000); // fetch's own connect timeout is 10 s, Linux's default ~130 s
  });

  it('fd count unchanged after 100 connections', async () => {
    off = tuneSockets({ client: POLICY });
    await (await fetch(`${base}/close`)).text();
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) await (await fetch(`${base}/close`)).text(); // connection: close → a new connection each
    const after = await fdsBackTo(before);
    figure('global fetch fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
  });
});

function get(options: http.RequestOptions): Promise<{ socket: net.Socket; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(options, (res) => {
        const socket = res.socket;
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve({ socket, body }));
      })
      .on('error', reject);
  });
}

describe('http.Agent with keep-alive', () => {
  it('agent({ keepAlive: true, policy }): options on the socket, and still there once parked and reused', async () => {
    const a = agent({ keepAlive: true, policy: POLICY });
    const first = await get({ host: '127.0.0.1', port, path: '/', agent: a });
    expect(first.body).toBe('ok');
    await new Promise((r) => setImmediate(r)); // parked: Node called setKeepAlive(true, 1000)
    expect(await pythonView(first.socket)).toEqual(EXPECTED);
    const second = await get({ host: '127.0.0.1', port, path: '/', agent: a });
    expect(second.socket).toBe(first.socket);
    a.destroy();
  });

  it('a plain keep-alive http.Agent under tuneSockets keeps the policy after parking', async () => {
    off = tuneSockets({ client: POLICY });
    const a = new http.Agent({ keepAlive: true });
    const first = await get({ host: '127.0.0.1', port, path: '/', agent: a });
    await new Promise((r) => setImmediate(r));
    expect(await pythonView(first.socket)).toEqual(EXPECTED);
    a.destroy();
  });

  it('TCP_SYNCNT: 1 against a silent peer: ETIMEDOUT in about 3 s (http.Agent has no connect timeout of its own)', async () => {
    const peer = await silentPeer();
    const a = agent({ policy: { sockopts: { TCP_SYNCNT: 1 } } });
    const [ms, err] = await timed(() => get({ host: '127.0.0.1', port: peer.port, path: '/', agent: a }));
    await peer.close();
    a.destroy();
    figure('http.Agent (agent()), TCP_SYNCNT 1, silent peer', { ms, code: codeOf(err) });
    expect(codeOf(err)).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000);
  });

  it('fd count unchanged after 100 connections', async () => {
    const a = agent({ keepAlive: false, policy: POLICY });
    await get({ host: '127.0.0.1', port, path: '/', agent: a });
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) await get({ host: '127.0.0.1', port, path: '/', agent: a });
    const after = await fdsBackTo(before);
    figure('http.Agent fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
    a.destroy();
  });
});

describe('ws', () => {
  const open = (url: string, options?: ConstructorParameters<typeof WebSocket>[2]) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, options);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });

  it('tuneSockets reaches its socket (ws opens it through http.request)', async () => {
    off = tuneSockets({ client: POLICY });
    const ws = await open(`ws://127.0.0.1:${port}/`);
    ws.send('ping');
    await once(ws, 'message');
    expect(await pythonView((ws as unknown as { _socket: net.Socket })._socket)).toEqual(EXPECTED);
    ws.close();
  });

  it('TCP_SYNCNT: 1 against a silent peer: ETIMEDOUT in about 3 s (ws has no connect timeout by default)', async () => {
    const peer = await silentPeer();
    off = tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } });
    const [ms, err] = await timed(() => open(`ws://127.0.0.1:${peer.port}/`));
    await peer.close();
    figure('ws, TCP_SYNCNT 1, silent peer', { ms, code: codeOf(err) });
    expect(codeOf(err)).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000);
  });

  it('fd count unchanged after 100 connections', async () => {
    off = tuneSockets({ client: POLICY });
    const warm = await open(`ws://127.0.0.1:${port}/`);
    warm.terminate();
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) {
      const ws = await open(`ws://127.0.0.1:${port}/`);
      ws.terminate();
      await once(ws, 'close');
    }
    const after = await fdsBackTo(before);
    figure('ws fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
  });
});
