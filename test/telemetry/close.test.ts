// Close records on real loopback connections: the addresses read in the destroy step
// (SO_PEERNAME still names the peer after a reset, where getpeername() says ENOTCONN), the reason (local close, peer FIN, reset, a library's own error), one
// record per connection of a reused socket object, and strict options.
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpChannels, trackConnections, type TcpClose } from '../../src/telemetry/telemetry';
import { figure, tcpPair, type TcpPair } from '../helpers';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
function closes(): { seen: TcpClose[]; of(s: net.Socket): TcpClose[] } {
  const seen: TcpClose[] = [];
  const on = (m: unknown) => seen.push(m as TcpClose);
  diagnostics.subscribe(tcpChannels.close, on);
  cleanups.push(() => diagnostics.unsubscribe(tcpChannels.close, on));
  return { seen, of: (s) => seen.filter((r) => r.socket === s) };
}
function tracked(options: Parameters<typeof trackConnections>[0] = { interval: 0 }): void {
  cleanups.push(trackConnections(options));
}
async function pair(): Promise<TcpPair> {
  const p = await tcpPair();
  cleanups.push(() => p.close());
  return p;
}
const plain = (r: TcpClose) => ({ direction: r.direction, reason: r.reason, error: (r.error as NodeJS.ErrnoException | undefined)?.code, remote: `${r.remoteAddress}:${r.remotePort}`, local: `${r.localAddress}:${r.localPort}`, family: r.family, state: r.info?.state });

describe('close records', () => {
  it('name both ends, even after a reset (getpeername() would say ENOTCONN then)', async () => {
    const c = closes();
    tracked();
    const p = await pair();
    const { port } = p.server.address() as net.AddressInfo;
    p.client.on('error', () => {});
    p.client.write('x');
    await once(p.accepted, 'data');
    p.accepted.resetAndDestroy(); // RST to the client
    await new Promise((r) => p.client.once('close', r)); // (once() would reject on 'error')
    await until('both records', () => c.seen.length === 2);
    const client = c.of(p.client)[0]!;
    const server = c.of(p.accepted)[0]!;
    figure('close records after a reset', [plain(client), plain(server)]);
    expect(client).toMatchObject({ direction: 'client', reason: 'reset', remoteAddress: '127.0.0.1', remotePort: port, localAddress: '127.0.0.1', family: 'IPv4' });
    expect(client.localPort).toBe(server.remotePort);
    expect((client.error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(server).toMatchObject({ direction: 'server', reason: 'local', remoteAddress: '127.0.0.1', localPort: port });
    expect(server.error).toBeUndefined();
  });

  it('name both ends of an IPv6 connection after a reset, as Node names them', async () => {
    const c = closes();
    tracked();
    const server = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => server.listen(0, '::1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '::1');
    client.on('error', () => {});
    await once(client, 'connect');
    const named = { remote: client.remoteAddress, local: client.localAddress, localPort: client.localPort };
    client.write('x');
    await new Promise((r) => client.once('close', r));
    await until('the client record', () => c.of(client).length === 1);
    const record = c.of(client)[0]!;
    figure('IPv6 close record after a reset', plain(record));
    expect(record).toMatchObject({ reason: 'reset', family: 'IPv6', remoteAddress: named.remote, remotePort: port, localAddress: named.local, localPort: named.localPort });
    expect(named.remote).toBe('::1');
  });

  it('tell a local close from the peer FIN: destroy(), end() first, the peer ending first', async () => {
    const c = closes();
    tracked();
    const a = await pair();
    a.client.destroy(); // local, ESTABLISHED; the server gets FIN first
    await once(a.accepted.resume(), 'close');
    const b = await pair();
    b.client.end(); // local FIN first, then the server's auto end()
    b.client.resume();
    await once(b.accepted.resume(), 'close');
    await once(b.client, 'close');
    const d = await pair();
    d.accepted.end(); // the server ends first
    d.accepted.resume();
    await once(d.client.resume(), 'close');
    await once(d.accepted, 'close');
    await until('6 records', () => c.seen.length === 6);
    const reasons = [a.client, a.accepted, b.client, b.accepted, d.client, d.accepted].map((s) => c.of(s)[0]!);
    figure('close reasons', reasons.map(plain));
    expect(reasons.map((r) => r.reason)).toEqual(['local', 'peer', 'local', 'peer', 'peer', 'local']);
    expect(reasons.every((r) => r.error === undefined)).toBe(true);
  });

  it('a reset after this side sent its FIN ends a local close; an error a library destroyed with is not a socket error', async () => {
    const c = closes();
    tracked();
    const p = await pair();
    p.client.on('error', () => {});
    p.client.resume();
    p.accepted.on('end', () => p.accepted.resetAndDestroy()); // as a broker does after close-ok
    p.accepted.resume();
    p.client.end();
    const hadError = await new Promise<boolean>((r) => p.client.once('close', r));
    const q = await pair();
    q.client.on('error', () => {});
    q.client.destroy(Object.assign(new Error('The client is destroyed'), { code: 'UND_ERR_DESTROYED' }));
    await once(q.accepted.resume(), 'close');
    await until('4 records', () => c.seen.length === 4);
    figure('reset after local FIN, library error', { hadError, reset: plain(c.of(p.client)[0]!), library: plain(c.of(q.client)[0]!) });
    expect(c.of(p.client)[0]!.reason).toBe('local');
    expect(c.of(p.client)[0]!.error).toBeUndefined();
    expect(c.of(q.client)[0]!.reason).toBe('local');
    expect(c.of(q.client)[0]!.error).toBeUndefined();
  });

  it('undici pool.close() is a local close, not an error', async () => {
    const c = closes();
    tracked();
    const { Pool } = await import('undici');
    const http = await import('node:http');
    const server = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => server.close(r)));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    for (let i = 0; i < 3; i++) await (await pool.request({ path: '/', method: 'GET' })).body.text();
    await pool.close();
    server.closeAllConnections();
    await until('client and server records', () => c.seen.length >= 2).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(c.seen.map(plain))}`);
    });
    const client = c.seen.find((r) => r.direction === 'client')!;
    figure('undici pool.close()', plain(client));
    expect(client.reason).toBe('local');
    expect(client.error).toBeUndefined();
  });

  it('publish one record per connection of a reused net.Socket (reconnect)', async () => {
    const c = closes();
    tracked();
    const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as net.AddressInfo;
    const socket = new net.Socket();
    const locals: number[] = [];
    for (let i = 0; i < 3; i++) {
      socket.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      locals.push(socket.localPort!);
      socket.destroy();
      await once(socket, 'close');
    }
    await sleep(50);
    const mine = c.of(socket);
    figure('reused socket: close records', mine.map(plain));
    expect(mine).toHaveLength(3);
    expect(mine.map((r) => r.localPort)).toEqual(locals);
    expect((socket as unknown as { _destroy: unknown })._destroy).toBe(net.Socket.prototype._destroy); // given back each time
  });

  it('a reused socket whose connects fail gathers no listener per attempt, and is tracked once it connects', async () => {
    const c = closes();
    tracked();
    tracked({ interval: 0, server: false }); // a second tracker wants the same client sockets
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    cleanups.push(() => process.off('warning', onWarning));
    const closed = net.createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port: dead } = closed.address() as net.AddressInfo;
    await new Promise((r) => closed.close(r));
    const socket = new net.Socket();
    const errors: string[] = [];
    socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code!));
    const mine = socket.listenerCount('connect');
    for (let i = 0; i < 12; i++) {
      socket.connect(dead, '127.0.0.1');
      await new Promise((r) => socket.once('close', r)); // (once() would reject on its 'error')
    }
    expect(errors).toEqual(Array(12).fill('ECONNREFUSED'));
    expect(socket.listenerCount('connect') - mine).toBeLessThanOrEqual(1); // was one per attempt: 12
    await sleep(20); // (a warning is emitted on the next tick)
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => server.close(r)));
    socket.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    socket.destroy();
    await once(socket, 'close');
    await until('its close record', () => c.of(socket).length === 1);
    await sleep(20);
    expect(c.of(socket)).toHaveLength(1);
  });

  it('a socket a stopped tracker had: its close goes to a live one, which tracks it again when it reconnects', async () => {
    const c = closes();
    const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as net.AddressInfo;
    const stopA = trackConnections({ interval: 0, server: false });
    const socket = new net.Socket();
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    stopA(); // close-only: the socket is in no list; the live tracker below finds it at its close
    tracked({ interval: 0, server: false });
    socket.destroy();
    await once(socket, 'close');
    await until('its close record, from the live tracker', () => c.of(socket).length === 1);
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.destroy();
    await once(socket, 'close');
    await until('the reconnection\'s own record', () => c.of(socket).length === 2);
    await sleep(20);
    expect(c.of(socket)).toHaveLength(2);
  });

  it('a socket with its own _destroy (an instance property) gets its record, runs its _destroy once, and is not kept alive', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let records = 0;
    const count = () => records++; // keeps no socket
    diagnostics.subscribe(tcpChannels.close, count);
    cleanups.push(() => diagnostics.unsubscribe(tcpChannels.close, count));
    tracked();
    const server = net.createServer((s) => s.on('error', () => {}).resume()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as net.AddressInfo;
    const N = 20;
    const refs: WeakRef<net.Socket>[] = [];
    let own = 0;
    for (let i = 0; i < N; i++) {
      const socket = net.connect(port, '127.0.0.1');
      const withOwn = socket as unknown as { _destroy: (err: Error | null, cb: (e?: Error | null) => void) => void };
      const inherited = withOwn._destroy;
      withOwn._destroy = function (err, cb) {
        own++;
        inherited.call(this, err, cb);
      };
      await once(socket, 'connect');
      socket.destroy();
      await once(socket, 'close');
      refs.push(new WeakRef(socket));
    }
    await until('both records of each connection', () => records === 2 * N);
    expect(own).toBe(N);
    // (A deref() keeps its target alive until the current job ends: collect in jobs of their own.)
    for (let i = 0; i < 5; i++) {
      await sleep(20);
      gc();
    }
    await sleep(20);
    // All 20 were kept while tracking ran. The last one may still be held by Node itself
    // (so is the last of 20 plain sockets with no sockopt loaded, measured).
    expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(1);
  });

  it('refuse misspelt and unknown keys (strict as tuneSockets)', () => {
    for (const options of [{ intervl: 1000 }, { clients: false }, { filter: () => true, explain: true }, [], { interval: 0, explainErrors: 'yes' }]) {
      expect(() => trackConnections(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: Array.isArray(options) || 'explainErrors' in options ? 'ERR_INVALID_ARG_TYPE' : 'ERR_INVALID_ARG_VALUE' }),
      );
    }
    expect(() => trackConnections({ intervl: 1 } as never)).toThrow(/options\.intervl' is not one this call knows \(did you mean 'interval'\?\); it takes interval, client, server, filter, explainErrors/);
  });
});
