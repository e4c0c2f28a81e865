// trackConnections on real loopback connections: samples at the jittered interval,
// close records read before the fd closes (destroy, end, peer reset), deltas that
// add up to the close totals, stop(), and the abuse cases. The vanished-peer case
// (ETIMEDOUT in a network namespace) is in vanish.test.ts.
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getsockopt, getTcpInfo, decodeTcpInfo, constants } from '../../src';
import { delta, deltaWalk, tcpChannels, trackConnections, wheelSize, type TcpClose, type TcpCounter, type TcpSample } from '../../src/telemetry/telemetry';
import { figure, tcpPair, tlsPair, unixPair, type TcpPair } from '../helpers';

interface Seen {
  at: number;
  kind: 'sample' | 'close';
  record: TcpSample | TcpClose;
}

/** Subscribes to both channels; records everything with its time (ms, performance.now()). */
function collect(): { seen: Seen[]; of(socket: net.Socket): Seen[]; off(): void } {
  const seen: Seen[] = [];
  const onSample = (m: unknown) => seen.push({ at: performance.now(), kind: 'sample', record: m as TcpSample });
  const onClose = (m: unknown) => seen.push({ at: performance.now(), kind: 'close', record: m as TcpClose });
  diagnostics.subscribe(tcpChannels.sample, onSample);
  diagnostics.subscribe(tcpChannels.close, onClose);
  return {
    seen,
    of: (socket) => seen.filter((s) => s.record.socket === socket),
    off() {
      diagnostics.unsubscribe(tcpChannels.sample, onSample);
      diagnostics.unsubscribe(tcpChannels.close, onClose);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function tracked(options: Parameters<typeof trackConnections>[0]): () => void {
  const stop = trackConnections(options);
  cleanups.push(stop);
  return stop;
}
async function pair(): Promise<TcpPair> {
  const p = await tcpPair();
  cleanups.push(() => p.close());
  return p;
}
function collecting(): ReturnType<typeof collect> {
  const c = collect();
  cleanups.push(() => c.off());
  return c;
}
const ownDestroy = (s: net.Socket) => Object.prototype.hasOwnProperty.call(s, '_destroy');

describe('trackConnections', () => {
  it('a connection the server ends in its own \'connection\' handler still gets its server record', async () => {
    // Node publishes net.server.socket after the app's handlers: the tracker goes ahead of them.
    const c = collecting();
    const before = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1'); // listening before tracking
    await once(before, 'listening');
    cleanups.push(() => new Promise((r) => before.close(r)));
    tracked({ interval: 0 });
    const after = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1');
    await once(after, 'listening');
    cleanups.push(() => new Promise((r) => after.close(r)));
    const connectTo = async (server: net.Server) => {
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      client.on('error', () => {});
      await once(client, 'close');
      await sleep(20);
    };
    const servers = () => c.seen.filter((x) => x.kind === 'close' && (x.record as TcpClose).direction === 'server').length;
    await connectTo(after);
    expect(servers()).toBe(1);
    await connectTo(before); // its first connection reaches the tracker after the handler: hooked from then on
    const missed = servers();
    await connectTo(before);
    expect(servers()).toBe(missed + 1);
    figure('server records for connections ended in the app\'s handler (listening after; before: first, second)', [1, missed - 1, servers() - missed]);
  });

  it('two trackers, the first stopped while connections are open: the one still running publishes them (samples and close)', async () => {
    for (const interval of [0, 100]) {
      const c = collecting();
      const stopA = tracked({ interval });
      const stopB = tracked({ interval: 100 });
      const filtered = tracked({ interval: 0, filter: () => false }); // asks a filter: never takes another's connection
      const p = await pair();
      stopA(); // e.g. the app's own tracker, while registerTcpMetrics' keeps running
      await sleep(350);
      const samples = c.of(p.client).filter((s) => s.kind === 'sample').length;
      p.client.destroy();
      await until('both close records', () => c.seen.filter((s) => s.kind === 'close').length >= 2);
      await sleep(50);
      const closes = c.seen.filter((s) => s.kind === 'close').map((s) => (s.record as TcpClose).direction).sort();
      figure(`tracker A (interval ${interval}) stopped, B (100 ms) running: samples of the client, close records`, { samples, closes });
      expect(closes).toEqual(['client', 'server']);
      // Sampled under A: B samples it now, every ~100 ms. Close-only under A (in no list, so
      // found only when it closes): its close record goes on, its samples do not start.
      if (interval > 0) expect(samples).toBeGreaterThanOrEqual(2);
      else expect(samples).toBe(0);
      stopB();
      filtered();
      c.off();
    }
  });


  it('samples each connection at 10–110 % of the interval, then 90–110 %, with decoded TCP_INFO', async () => {
    const interval = 300;
    const c = collecting();
    tracked({ interval });
    const start = performance.now();
    const p = await pair();
    await until('4 client samples', () => c.of(p.client).length >= 4);
    const client = c.of(p.client);
    const server = c.of(p.accepted);
    expect(server.length).toBeGreaterThanOrEqual(2);
    for (const { kind, record } of [...client, ...server]) {
      const { info } = record as TcpSample;
      expect(kind).toBe('sample');
      expect(info.state).toBe('ESTABLISHED');
      expect(info.length).toBeGreaterThanOrEqual(104);
      expect(info.rtt).toBeGreaterThan(0);
      expect(typeof info.sndCwnd).toBe('number');
    }
    expect(client.every((s) => s.record.direction === 'client')).toBe(true);
    expect(server.every((s) => s.record.direction === 'server')).toBe(true);
    const gaps = client.slice(1).map((s, i) => s.at - client[i]!.at);
    figure('sample times, interval 300 ms', { first: +(client[0]!.at - start).toFixed(1), gaps: gaps.map((g) => +g.toFixed(1)) });
    // Deadlines are rounded up to the wheel's tick, never down: no sample comes early
    // (1 ms for Node's millisecond timer clock). Upper bounds are loose: the machine is shared.
    expect(client[0]!.at - start).toBeGreaterThanOrEqual(0.1 * interval - 1);
    expect(client[0]!.at - start).toBeLessThan(1.1 * interval + 1000);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(0.9 * interval - 1);
      expect(g).toBeLessThan(1.1 * interval + 1000);
    }
  });

  it('publishes a close record on destroy(), read while the fd was open, on both sides', async () => {
    const c = collecting();
    tracked({ interval: 0 });
    const p = await pair();
    p.client.write('ping');
    await once(p.accepted, 'data');
    p.accepted.resume();
    p.client.destroy();
    await until('both close records', () => c.of(p.client).length === 1 && c.of(p.accepted).length === 1);
    const client = c.of(p.client)[0]!;
    const server = c.of(p.accepted)[0]!;
    expect(client.kind).toBe('close');
    const cr = client.record as TcpClose;
    expect(cr.direction).toBe('client');
    expect(cr.error).toBeUndefined();
    expect(cr.info?.state).toBe('ESTABLISHED'); // read before Node closed it
    expect(cr.info?.bytesAcked).toBeGreaterThanOrEqual(4);
    expect(cr.duration).toBeGreaterThan(0);
    const sr = server.record as TcpClose;
    expect(sr.direction).toBe('server');
    expect(sr.info?.bytesReceived).toBeGreaterThanOrEqual(4); // the kernel counts the FIN's sequence number too
    expect(sr.info?.bytesReceived).toBeLessThanOrEqual(5);
    expect(['CLOSE_WAIT', 'LAST_ACK', 'CLOSE']).toContain(sr.info?.state); // the peer's FIN came first
    figure('close record on destroy (client)', { state: cr.info?.state, rtt: cr.info?.rtt, duration: +cr.duration.toFixed(2) });
  });

  it('publishes a close record when both sides end()', async () => {
    const c = collecting();
    tracked({ interval: 0 });
    const p = await pair();
    p.client.resume();
    p.accepted.resume();
    p.client.end('bye');
    await until('both close records', () => c.of(p.client).length === 1 && c.of(p.accepted).length === 1);
    const cr = c.of(p.client)[0]!.record as TcpClose;
    expect(cr.error).toBeUndefined();
    expect(cr.info?.bytesAcked).toBeGreaterThanOrEqual(3);
    // The client's FIN went first; once the peer's FIN arrives its socket is done (CLOSE; TIME_WAIT lives on without the fd).
    expect(['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'CLOSE']).toContain(cr.info?.state);
    const sr = c.of(p.accepted)[0]!.record as TcpClose;
    expect(sr.info?.bytesReceived).toBeGreaterThanOrEqual(3);
    expect(sr.info?.bytesReceived).toBeLessThanOrEqual(4);
    figure('close states after end()', { client: cr.info?.state, server: sr.info?.state });
  });

  it('publishes the peer reset (ECONNRESET) with the state the connection died in', async () => {
    const c = collecting();
    tracked({ interval: 0 }); // the addresses are read at accept: the peer stays named after the reset
    const p = await pair();
    p.accepted.on('error', () => {});
    p.client.write('x');
    await once(p.accepted, 'data');
    p.client.resetAndDestroy(); // RST
    await until('server close record', () => c.of(p.accepted).length === 1);
    const sr = c.of(p.accepted)[0]!.record as TcpClose;
    expect(sr.error).toBeInstanceOf(Error);
    expect((sr.error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(sr.info?.state).toBe('CLOSE');
    expect(sr.info?.bytesReceived).toBe(1);
    expect(sr.remoteAddress).toBe('127.0.0.1'); // read at accept; getpeername fails after the reset
    expect(sr.reason).toBe('reset');
    figure('close record on peer reset (server)', { code: (sr.error as NodeJS.ErrnoException).code, state: sr.info?.state, segsIn: sr.info?.segsIn });
  });

  it('deltas of all samples and the close record add up to the close totals', async () => {
    const c = collecting();
    tracked({ interval: 150 });
    const p = await pair();
    p.accepted.pipe(p.accepted); // echo
    let echoed = 0;
    p.client.on('data', (d: Buffer) => (echoed += d.length));
    for (let i = 0; i < 8; i++) {
      p.client.write(Buffer.alloc(64 * 1024, i));
      await sleep(120);
    }
    await until('echo', () => echoed === 8 * 64 * 1024);
    await until('a few samples', () => c.of(p.client).length >= 3);
    p.client.destroy();
    await until('close records', () => c.of(p.client).some((s) => s.kind === 'close') && c.of(p.accepted).some((s) => s.kind === 'close'));
    for (const socket of [p.client, p.accepted]) {
      const records = c.of(socket);
      const close = records.at(-1)!.record as TcpClose;
      expect(records.at(-1)!.kind).toBe('close');
      expect(records.filter((s) => s.kind === 'close')).toHaveLength(1);
      const sums: Partial<Record<TcpCounter, number>> = {};
      for (const { record } of records) for (const [k, v] of Object.entries(record.delta)) sums[k as TcpCounter] = (sums[k as TcpCounter] ?? 0) + v;
      expect(Object.keys(sums).length).toBeGreaterThanOrEqual(8);
      for (const [k, v] of Object.entries(sums)) expect(v, k).toBe(close.info![k as TcpCounter]);
      if (socket === p.client) figure('client: records, summed deltas = close totals', { records: records.length, bytesSent: sums.bytesSent, bytesReceived: sums.bytesReceived, segsOut: sums.segsOut });
    }
    expect((c.of(p.client).at(-1)!.record as TcpClose).info!.bytesReceived).toBe(8 * 64 * 1024);
  });

  it('stop() ends all publishing and gives net.Socket its own _destroy/_final back; no socket is wrapped', async () => {
    const c = collecting();
    const node = { destroy: net.Socket.prototype._destroy, final: net.Socket.prototype._final };
    const stop = tracked({ interval: 100 });
    const p = await pair();
    await until('a sample', () => c.of(p.client).length >= 1);
    // One wrap on the class while tracking runs, nothing on each socket.
    expect(net.Socket.prototype._destroy).not.toBe(node.destroy);
    expect(net.Socket.prototype._final).not.toBe(node.final);
    expect([p.client, p.accepted].some((s) => ownDestroy(s) || Object.prototype.hasOwnProperty.call(s, '_final'))).toBe(false);
    stop();
    stop(); // idempotent
    // Node's own again (assigned back, not deleted: a delete would change the prototype's shape).
    expect(net.Socket.prototype._destroy).toBe(node.destroy);
    expect(net.Socket.prototype._final).toBe(node.final);
    const n = c.seen.length;
    await sleep(400);
    p.client.destroy();
    await once(p.accepted.resume(), 'close');
    expect(c.seen.length).toBe(n);
    expect(wheelSize()).toBe(0);
    // New connections after stop() are not tracked either.
    const q = await pair();
    await sleep(300);
    q.client.destroy();
    await once(q.accepted.resume(), 'close');
    expect(c.seen.length).toBe(n);
  });

  it('another tool wrapping net.Socket.prototype._destroy/_final between stop and start: one close record per connection, its wrappers keep running', async () => {
    const c = collecting();
    const node = { destroy: net.Socket.prototype._destroy, final: net.Socket.prototype._final };
    const proto = net.Socket.prototype as unknown as Record<'_destroy' | '_final', (...a: unknown[]) => unknown>;
    let theirs = 0;
    const stop1 = trackConnections({ interval: 0 });
    // Another tool wraps on top of ours; we stop (ours stays in their chain, inert) and start again.
    const under = { destroy: proto._destroy, final: proto._final };
    proto._destroy = function (this: unknown, ...a: unknown[]) {
      theirs++;
      return under.destroy.apply(this, a);
    };
    proto._final = function (this: unknown, ...a: unknown[]) {
      return under.final.apply(this, a);
    };
    cleanups.push(() => {
      proto._destroy = node.destroy as never;
      proto._final = node.final as never;
    });
    stop1();
    tracked({ interval: 0 });
    for (let i = 0; i < 3; i++) {
      const p = await pair();
      p.client.write('x');
      await once(p.accepted, 'data');
      p.client.end();
      p.accepted.end();
      await Promise.all([once(p.client, 'close'), once(p.accepted, 'close')]);
      expect(c.of(p.client).filter((r) => r.kind === 'close')).toHaveLength(1);
      expect(c.of(p.accepted).filter((r) => r.kind === 'close')).toHaveLength(1);
      expect((c.of(p.client)[0]!.record as TcpClose).info).toBeDefined();
    }
    expect(theirs).toBeGreaterThanOrEqual(6); // their wrapper ran for every socket
  });

  it('another tool that wrapped over ours and restores its own after we stopped: net.Socket gets Node’s _destroy/_final back', async () => {
    const c = collecting();
    const node = { destroy: net.Socket.prototype._destroy, final: net.Socket.prototype._final };
    const proto = net.Socket.prototype as unknown as Record<'_destroy' | '_final', (...a: unknown[]) => unknown>;
    cleanups.push(() => {
      proto._destroy = node.destroy as never;
      proto._final = node.final as never;
    });
    const stop = trackConnections({ interval: 0 });
    // The other tool wraps on top of ours (as a second copy of sockopt does), we stop while it
    // is there (ours stays in its chain), then it unwraps: it puts back what it found, ours.
    const under = { destroy: proto._destroy, final: proto._final };
    proto._destroy = function (this: unknown, ...a: unknown[]) {
      return under.destroy.apply(this, a);
    };
    proto._final = function (this: unknown, ...a: unknown[]) {
      return under.final.apply(this, a);
    };
    stop();
    proto._destroy = under.destroy;
    proto._final = under.final;
    const p = await pair();
    let own = 0;
    p.client.on('close', () => own++);
    p.client.end();
    p.accepted.end();
    await Promise.all([once(p.client, 'close'), once(p.accepted, 'close')]);
    expect(own).toBe(1);
    expect(c.seen).toHaveLength(0);
    // Our inert wrappers, on top again, gave Node's own back the first time they ran.
    expect(net.Socket.prototype._destroy).toBe(node.destroy);
    expect(net.Socket.prototype._final).toBe(node.final);
    // And tracking starts and stops cleanly from there.
    const stop2 = trackConnections({ interval: 0 });
    const q = await pair();
    q.client.destroy();
    await once(q.accepted.resume(), 'close');
    await until('both records', () => c.seen.filter((r) => r.kind === 'close').length === 2);
    stop2();
    expect(net.Socket.prototype._destroy).toBe(node.destroy);
    expect(net.Socket.prototype._final).toBe(node.final);
  });

  it('does no work without subscribers', async () => {
    tracked({ interval: 50 });
    const p = await pair();
    expect(ownDestroy(p.client)).toBe(false);
    expect(ownDestroy(p.accepted)).toBe(false);
    expect(wheelSize()).toBe(0);
  });

  it('keeps all connections on one timer wheel and tracks each socket once across trackers', async () => {
    const c = collecting();
    tracked({ interval: 200 });
    tracked({ interval: 200 });
    const pairs = await Promise.all(Array.from({ length: 10 }, () => pair()));
    expect(wheelSize()).toBe(20);
    for (const p of pairs) p.client.destroy();
    await until('20 close records', () => c.seen.filter((s) => s.kind === 'close').length === 20);
    await sleep(100);
    expect(c.seen.filter((s) => s.kind === 'close')).toHaveLength(20); // not 40
    expect(wheelSize()).toBe(0);
  });

  it('honours client/server and filter; a throwing filter skips with one warning', async () => {
    const c = collecting();
    tracked({ interval: 0, server: false, filter: ({ direction, socket, host, port }) => direction === 'client' && socket.remotePort === port && host === '127.0.0.1' && port !== 1 });
    const p = await pair();
    p.client.destroy();
    await once(p.accepted.resume(), 'close');
    expect(c.of(p.client)).toHaveLength(1);
    expect(c.of(p.accepted)).toHaveLength(0);
    cleanups.splice(0).reverse().forEach((f) => void f());

    const c2 = collecting();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    cleanups.push(() => process.off('warning', onWarning));
    tracked({
      interval: 0,
      filter: () => {
        throw new Error('filter bug');
      },
    });
    const q = await pair();
    const r = await pair();
    q.client.destroy();
    r.client.destroy();
    await once(r.accepted.resume(), 'close');
    await sleep(20);
    expect(c2.seen).toHaveLength(0);
    expect(warnings.filter((w) => /filter bug/.test(w.message))).toHaveLength(1);
  });

  it('a filter that stops its own tracker: nothing is published after stop(), nothing is left on the wheel', async () => {
    const c = collecting();
    let asked = 0;
    const stop = tracked({
      interval: 100,
      filter: () => {
        asked++;
        stop();
        return true;
      },
    });
    const p = await pair();
    await sleep(400); // four intervals: a stray first sample would have come at 10-110 ms
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(wheelSize()).toBe(0);
    p.client.destroy();
    await once(p.accepted.resume(), 'close');
    await sleep(50);
    expect(c.seen.map((s) => `${s.kind}:${s.record.direction}`)).toEqual([]);
  });

  it('a subscriber that destroys the socket mid-sample gets one close record and no further samples', async () => {
    const c = collecting();
    tracked({ interval: 100 });
    const p = await pair();
    const kill = (m: unknown) => (m as TcpSample).socket === p.client && p.client.destroy();
    diagnostics.subscribe(tcpChannels.sample, kill);
    cleanups.push(() => diagnostics.unsubscribe(tcpChannels.sample, kill));
    await until('close', () => c.of(p.client).some((s) => s.kind === 'close'));
    await sleep(300);
    expect(c.of(p.client).map((s) => s.kind)).toEqual(['sample', 'close']);
  });

  it('a client destroyed before it connects is never tracked; one destroyed in its connect callback gets its close record', async () => {
    const c = collecting();
    tracked({ interval: 50 });
    const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
    cleanups.push(() => new Promise((r) => server.close(r)));
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const early = net.connect(port, '127.0.0.1');
    early.destroy();
    const inCb = net.connect(port, '127.0.0.1', () => inCb.destroy());
    await once(inCb, 'close');
    await sleep(100);
    expect(c.of(early)).toHaveLength(0);
    // Connected, then destroyed in its connect callback: tracked from 'connect', so one close record.
    expect(c.of(inCb).map((s) => s.kind)).toEqual(['close']);
    expect((c.of(inCb)[0]!.record as TcpClose).info?.state).toBe('ESTABLISHED');
  });

  it('a client destroyed by a \'connect\' listener the app added before connect() gets its close record', async () => {
    const c = collecting();
    tracked({ interval: 0 });
    const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
    cleanups.push(() => new Promise((r) => server.close(r)));
    await once(server, 'listening');
    const socket = new net.Socket();
    let heard = 0;
    socket.on('connect', () => {
      heard++;
      socket.destroy();
    }); // before connect(): ahead of anything connect() adds
    socket.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(socket, 'close');
    await until('the accepted side\'s record', () => c.seen.some((r) => r.record.direction === 'server'));
    await sleep(50);
    expect(heard).toBe(1);
    expect(c.of(socket).map((s) => s.kind)).toEqual(['close']); // was none: tracking began after the destroy
    expect((c.of(socket)[0]!.record as TcpClose).info?.state).toBe('ESTABLISHED');
  });

  it('tracks TLS: the TCP socket a tls.Server accepted, and the tls.connect() client', async () => {
    const c = collecting();
    tracked({ interval: 0 });
    const p = await tlsPair();
    p.client.write('over TLS');
    await once(p.accepted, 'data');
    p.client.destroy();
    await until('the server close record', () => c.seen.some((s) => s.record.direction === 'server'));
    await sleep(50);
    await p.close();
    const server = c.seen.filter((s) => s.record.direction === 'server');
    expect(server).toHaveLength(1);
    // Node publishes the TCP socket a tls.Server accepted; the TLSSocket runs over its fd.
    expect(server[0]!.record.socket).toBeInstanceOf(net.Socket);
    expect((server[0]!.record as TcpClose).info!.bytesReceived).toBeGreaterThan(8); // handshake + record, not the 8 plaintext bytes
    // The TLSSocket itself on the client side (on Node 20 through channels.ts's Socket#connect delivery).
    const client = c.of(p.client);
    expect(client.map((s) => s.kind)).toEqual(['close']);
    expect((client[0]!.record as TcpClose).info!.bytesAcked).toBeGreaterThan(8);
    figure('TLS tracking', { node: process.version, server: server.length, client: client.length });
  });

  it('computes deltas the same way for full and shorter TCP_INFO replies, across counter wraps', async () => {
    const p = await pair();
    p.client.write(Buffer.alloc(10_000));
    await once(p.accepted, 'data');
    const info = getTcpInfo(p.client);
    const raw = getsockopt(p.client, constants.IPPROTO_TCP!, constants.TCP_INFO!, 512) as Buffer;
    const short = decodeTcpInfo(raw.subarray(0, 232)); // a Linux 5.4 reply: no RTO counters
    expect(short.totalRto).toBeUndefined();
    for (const last of [new Float64Array(17), Float64Array.from({ length: 17 }, (_, i) => (i === 14 || i === 15 ? 65_000 : 4_294_967_000)) /* near the 16- and 32-bit wraps */]) {
      const entry = { last: Float64Array.from(last) };
      expect(delta(entry, info, true)).toEqual(deltaWalk(info, last));
      expect(Object.values(delta({ last: Float64Array.from(last) }, info, false)).every((v) => v >= 0)).toBe(true);
      const shortDelta = delta({ last: Float64Array.from(last) }, short, true);
      expect(shortDelta).toEqual(deltaWalk(short, last));
      expect(shortDelta.totalRto).toBeUndefined();
      expect(shortDelta.bytesAcked).toBeDefined();
    }
    // A close record of a connection never sampled (last null) counts from zero: the same
    // keys, in the same order, with the same values as the walk from zeros.
    const fromZero = delta({ last: null }, info, false);
    const walked = deltaWalk(info, new Float64Array(17));
    expect(Object.keys(fromZero)).toEqual(Object.keys(walked));
    expect(fromZero).toEqual(walked);
    expect(delta({ last: null }, short, false)).toEqual(deltaWalk(short, new Float64Array(17)));
    // keep stores the values, so the next delta is zero for an idle connection's byte counters.
    const entry = { last: null as Float64Array | null };
    delta(entry, info, true);
    expect(delta(entry, info, true)).toEqual(Object.fromEntries(Object.keys(deltaWalk(info, new Float64Array(17))).map((k) => [k, 0])));
  });

  it('leaves unix-domain connections alone (no TCP_INFO there)', async () => {
    const c = collecting();
    tracked({ interval: 50 });
    const u = await unixPair(`\0sockopt-telemetry-${process.pid}`);
    cleanups.push(() => u.close());
    await sleep(150);
    u.client.destroy();
    await once(u.accepted.resume(), 'close');
    expect(c.seen).toHaveLength(0);
    expect(ownDestroy(u.client) || ownDestroy(u.accepted)).toBe(false);
  });

  it('refuses bad options with coded errors', () => {
    const bad: [unknown, string][] = [
      [null, 'ERR_INVALID_ARG_TYPE'],
      ['60s', 'ERR_INVALID_ARG_TYPE'],
      [{ interval: '1000' }, 'ERR_INVALID_ARG_TYPE'],
      [{ interval: -1 }, 'ERR_OUT_OF_RANGE'],
      [{ interval: NaN }, 'ERR_OUT_OF_RANGE'],
      [{ interval: Infinity }, 'ERR_OUT_OF_RANGE'],
      [{ interval: 2 ** 31 }, 'ERR_OUT_OF_RANGE'],
      [{ client: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
      [{ server: 1 }, 'ERR_INVALID_ARG_TYPE'],
      [{ filter: 'all' }, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [options, code] of bad) {
      expect(() => trackConnections(options as never), String(options)).toThrow(expect.objectContaining({ code }));
    }
  });
});
