// Accepted sockets copy their options from the listener (policy/inherit.ts): the kernel
// does copy each option the table names (checked here on a raw listener), a server policy
// goes on the listener once and every accepted socket holds it, a change of policies
// reaches the connections the kernel had queued already, and whatever depends on the
// socket (a filter, a rule on the peer, Node's own server options) stays per socket.
// Every accepted socket's values are read by Python on the same fd.
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { constants as C, getsockopt, setsockopt, tuneSockets } from '../../src/index';
import { INHERITED, tunedListeners } from '../../src/policy/inherit';
import { fdOf, figure, fixtures, oracle, python, root, settledFds, tlsCredentials } from '../helpers';

const T = C.IPPROTO_TCP!;
const S = C.SOL_SOCKET!;
type Get = ['get', number, number, number];
const get = (level: number, name: string): Get => ['get', level, (C as Record<string, number>)[name]!, 0];
const UT = get(T, 'TCP_USER_TIMEOUT');
const IDLE = get(T, 'TCP_KEEPIDLE');
const KA = get(S, 'SO_KEEPALIVE');
const ND = get(T, 'TCP_NODELAY');
const RCVBUF = get(S, 'SO_RCVBUF');

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});
let fdsBefore = 0;
beforeAll(async () => {
  fdsBefore = await settledFds();
});
afterAll(async () => {
  expect(tunedListeners()).toBe(0);
  expect(await settledFds()).toBe(fdsBefore);
});

/** Listens on `host` (loopback by default), closes after the test; returns the port. */
async function listening(s: net.Server, host = '127.0.0.1'): Promise<number> {
  s.listen(0, host);
  await once(s, 'listening');
  cleanup.push(() => new Promise((r) => s.close(r)));
  return (s.address() as net.AddressInfo).port;
}

/** A loopback server whose 'connection' handler reads `ops` on each accepted fd (Python), in accept order. */
async function server(ops: Get[], options: net.ServerOpts = {}): Promise<{ server: net.Server; port: number; seen: Promise<unknown[]>[] }> {
  const seen: Promise<unknown[]>[] = [];
  const s = net.createServer(options, (sock) => {
    sock.on('error', () => {});
    const read = oracle(fdOf(sock), ops);
    seen.push(read);
    void read.finally(() => sock.destroy()).catch(() => {});
  });
  return { server: s, port: await listening(s), seen };
}

/** One connection, kept until the server side has read it and closed. */
async function connect(port: number): Promise<void> {
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  c.resume();
  await once(c, 'close');
}

/** `n` connections made by another process while this one's event loop is blocked: queued, not accepted. */
function queue(port: number, n: number): void {
  const code = `import socket\nfor _ in range(${n}): socket.create_connection(("127.0.0.1", ${port})).detach()`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 10_000 });
  expect(r.status, r.stderr).toBe(0);
}

async function accepted(seen: Promise<unknown[]>[], n: number): Promise<unknown[][]> {
  for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(seen).toHaveLength(n);
  return Promise.all(seen);
}

const POLICY = { userTimeout: 20_000, keepAlive: { idle: 40_000, interval: 4_000, count: 4 }, sockopts: { TCP_NODELAY: true, SO_RCVBUF: 200_000 } } as const;

describe('the kernel copies each INHERITED option from the listener', () => {
  const values: Record<string, [unknown, number | string]> = {
    TCP_NODELAY: [true, 1],
    SO_KEEPALIVE: [true, 1],
    TCP_KEEPIDLE: [77, 77],
    TCP_KEEPINTVL: [7, 7],
    TCP_KEEPCNT: [4, 4],
    TCP_USER_TIMEOUT: [12_345, 12_345],
    TCP_NOTSENT_LOWAT: [16_384, 16_384],
    IP_TOS: [0x10, 0x10],
  };
  it('names only options this test sets', () => {
    expect([...INHERITED].sort()).toEqual(Object.keys(values).sort());
  });
  for (const [name, [value, raw]] of Object.entries(values)) {
    it(`${name}: set on the listener, held by the accepted socket; the listener's own value goes back exactly`, async () => {
      const level = C[name.startsWith('IP_') ? 'IPPROTO_IP' : name.startsWith('SO_') ? 'SOL_SOCKET' : 'IPPROTO_TCP']!;
      const op: Get = ['get', level, (C as Record<string, number>)[name]!, 0];
      const { server: s, port, seen } = await server([op]);
      const before = getsockopt(s, name as never);
      const fresh = await oracle(fdOf(s), [op]);
      setsockopt(s, name as never, value as never);
      await connect(port);
      expect(await accepted(seen, 1)).toEqual([[raw]]);
      setsockopt(s, name as never, before as never);
      expect(await oracle(fdOf(s), [op])).toEqual(fresh);
    });
  }
});

describe('a server policy on the listener', () => {
  it('every accepted socket holds it; the listener holds the copied part, the buffers go on each socket', async () => {
    const { server: s, port, seen } = await server([UT, IDLE, KA, ND, RCVBUF]);
    cleanup.push(tuneSockets({ server: POLICY }));
    for (let i = 0; i < 3; i++) await connect(port);
    for (const got of await accepted(seen, 3)) expect(got).toEqual([20_000, 40, 1, 1, 400_000]);
    expect(tunedListeners()).toBe(1);
    expect([getsockopt(s, 'TCP_USER_TIMEOUT'), getsockopt(s, 'TCP_KEEPIDLE'), getsockopt(s, 'SO_KEEPALIVE')]).toEqual([20_000, 40, true]);
    expect(getsockopt(s, 'SO_RCVBUF')).not.toBe(400_000); // never on the listener
  });

  it("off() gives the listener its own values back; the next socket has the kernel's defaults", async () => {
    const { server: s, port, seen } = await server([UT, IDLE, KA, ND]);
    const before = [UT, IDLE, KA, ND].map(() => 0);
    const listenerBefore = await oracle(fdOf(s), [UT, IDLE, KA, ND]);
    const off = tuneSockets({ server: POLICY });
    await connect(port);
    off();
    expect(await oracle(fdOf(s), [UT, IDLE, KA, ND])).toEqual(listenerBefore);
    expect(tunedListeners()).toBe(0);
    await connect(port);
    const [tuned, plain] = await accepted(seen, 2);
    expect(tuned).toEqual([20_000, 40, 1, 1]);
    expect(plain).toEqual([before[0], 7200, 0, 0]);
  });

  for (const order of ['A then B', 'B then A'] as const) {
    it(`stacked policies (${order}) merge option by option, and each off() takes away its own part`, async () => {
      const { port, seen } = await server([UT, IDLE, ND]);
      const A = { userTimeout: 11_000, keepAlive: { idle: 50_000 } };
      const B = { userTimeout: 22_000, sockopts: { TCP_NODELAY: true } };
      const [first, second] = order === 'A then B' ? [A, B] : [B, A];
      const offFirst = tuneSockets({ server: first });
      const offSecond = tuneSockets({ server: second });
      await connect(port);
      offSecond();
      await connect(port);
      offFirst();
      await connect(port);
      const [both, onlyFirst, none] = await accepted(seen, 3);
      expect(both).toEqual([second.userTimeout, 50, 1]);
      expect(onlyFirst).toEqual(first === A ? [11_000, 50, 0] : [22_000, 7200, 1]);
      expect(none).toEqual([0, 7200, 0]);
    });
  }
});

describe('connections the kernel queued before a change get it per socket', () => {
  it('queued before the listener is first tuned: all hold the policy', async () => {
    const { port, seen } = await server([UT, IDLE]);
    cleanup.push(tuneSockets({ server: POLICY }));
    queue(port, 3); // the event loop is blocked: the kernel completes and queues them
    for (const got of await accepted(seen, 3)) expect(got).toEqual([20_000, 40]);
    await connect(port);
    expect((await accepted(seen, 4))[3]).toEqual([20_000, 40]);
  });

  it('queued before off(): none keeps the removed policy', async () => {
    const { port, seen } = await server([UT, IDLE, KA]);
    const off = tuneSockets({ server: POLICY });
    await connect(port); // the listener holds the policy now
    queue(port, 3);
    off(); // still the same tick: the three were copied from the tuned listener
    const got = await accepted(seen, 4);
    expect(got[0]).toEqual([20_000, 40, 1]);
    for (const g of got.slice(1)) expect(g).toEqual([0, 7200, 0]);
  });

  it('queued before a second policy: each holds both', async () => {
    const { port, seen } = await server([UT, IDLE]);
    cleanup.push(tuneSockets({ server: { keepAlive: { idle: 60_000 } } }));
    await connect(port);
    queue(port, 2);
    cleanup.push(tuneSockets({ server: { userTimeout: 9_000 } }));
    const got = await accepted(seen, 3);
    expect(got[0]).toEqual([0, 60]);
    for (const g of got.slice(1)) expect(g).toEqual([9_000, 60]);
  });
});

describe('what depends on the socket stays per socket', () => {
  it('a filter: the listener is left alone, and the filter decides each socket', async () => {
    const { server: s, port, seen } = await server([UT]);
    let n = 0;
    cleanup.push(tuneSockets({ server: { userTimeout: 7_000 }, filter: () => n++ % 2 === 0 }));
    for (let i = 0; i < 2; i++) await connect(port);
    expect(await accepted(seen, 2)).toEqual([[7_000], [0]]);
    expect(tunedListeners()).toBe(0);
    expect(getsockopt(s, 'TCP_USER_TIMEOUT')).toBe(0);
  });

  it('a rule on the peer address: per socket; a rule on the local port: on the listener', async () => {
    const a = await server([UT]);
    const offCidr = tuneSockets({ server: { userTimeout: 1_000 }, rules: [{ match: { cidr: '10.0.0.0/8' }, server: { userTimeout: 2_000 } }] });
    await connect(a.port);
    expect(await accepted(a.seen, 1)).toEqual([[1_000]]);
    expect(tunedListeners()).toBe(0);
    offCidr();
    const b = await server([UT]);
    cleanup.push(tuneSockets({ server: { userTimeout: 1_000 }, rules: [{ match: { port: b.port }, server: { userTimeout: 3_000 } }] }));
    await connect(b.port);
    expect(await accepted(b.seen, 1)).toEqual([[3_000]]);
    expect(getsockopt(b.server, 'TCP_USER_TIMEOUT')).toBe(3_000);
  });

  it("a server with Node's own keepAlive option: the policy's keepalive goes on each socket after Node's", async () => {
    const { server: s, port, seen } = await server([IDLE, UT], { keepAlive: true, keepAliveInitialDelay: 5_000 });
    cleanup.push(tuneSockets({ server: { keepAlive: { idle: 45_000 }, userTimeout: 8_000 } }));
    await connect(port);
    expect(await accepted(seen, 1)).toEqual([[45, 8_000]]);
    expect(getsockopt(s, 'SO_KEEPALIVE')).toBe(false); // only the user timeout is on the listener
    expect(getsockopt(s, 'TCP_USER_TIMEOUT')).toBe(8_000);
  });

  it("the app's own 'connection' handler still has the last word", async () => {
    cleanup.push(tuneSockets({ server: { userTimeout: 20_000 } })); // before listen(): its 'connection' listener goes first
    const s = net.createServer((sock) => {
      setsockopt(sock, 'TCP_USER_TIMEOUT', 4_321);
      void oracle(fdOf(sock), [UT]).then((v) => {
        got.push(v);
        sock.destroy();
      });
    });
    const got: unknown[] = [];
    const port = await listening(s);
    for (let i = 0; i < 2; i++) await connect(port);
    expect(got).toEqual([[4_321], [4_321]]);
  });

  it('a server that listens again gets a new listener, tuned afresh', async () => {
    const { server: s, port, seen } = await server([UT]);
    cleanup.push(tuneSockets({ server: { userTimeout: 6_000 } }));
    await connect(port);
    await new Promise((r) => s.close(r));
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    await connect((s.address() as net.AddressInfo).port);
    expect(await accepted(seen, 2)).toEqual([[6_000], [6_000]]);
    expect(getsockopt(s, 'TCP_USER_TIMEOUT')).toBe(6_000);
  });

  it('two copies of sockopt with server policies: one copy\'s off() never takes away what the other set', () => {
    const out = JSON.parse(execFileSync(process.execPath, [join(fixtures, 'two-copies-policy.js'), root], { encoding: 'utf8', timeout: 30_000 }));
    // [both installed, after the first off(), after both]: the listener is claimed by one copy, the other sets its own per socket.
    expect([11_000, 22_000]).toContain(out['a off first'][0]);
    expect(out['a off first'].slice(1)).toEqual([22_000, 0]);
    expect([11_000, 22_000]).toContain(out['b off first'][0]);
    expect(out['b off first'].slice(1)).toEqual([11_000, 0]);
  });

});

describe('abuse: other servers, closed listeners, reused fd numbers', () => {
  it('a TLS server: the raw accepted socket copies the listener', async () => {
    cleanup.push(tuneSockets({ server: { userTimeout: 13_000 } }));
    const got: unknown[] = [];
    const s = tls.createServer(tlsCredentials());
    // The client never starts TLS: the raw socket is read, then closed.
    s.on('connection', (raw: net.Socket) => void oracle(fdOf(raw), [UT]).then((v) => got.push(v) && raw.destroy()));
    const port = await listening(s);
    for (let i = 0; i < 2; i++) await connect(port);
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([[13_000], [13_000]]);
    expect(getsockopt(s, 'TCP_USER_TIMEOUT')).toBe(13_000);
  });

  it("an http server (Node's noDelay on by default) with a policy turning TCP_NODELAY off: off per socket, after Node's", async () => {
    cleanup.push(tuneSockets({ server: { sockopts: { TCP_NODELAY: false }, userTimeout: 14_000 } }));
    const got: unknown[] = [];
    const s = http.createServer((_req, res) => res.end("x"));
    s.on('connection', (sock: net.Socket) => void oracle(fdOf(sock), [ND, UT]).then((v) => got.push(v)));
    const port = await listening(s);
    for (let i = 0; i < 2; i++) {
      const res = await new Promise<http.IncomingMessage>((r) => http.get({ port, host: '127.0.0.1', agent: false }, r));
      res.resume();
      await once(res, 'end');
    }
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([
      [0, 14_000],
      [0, 14_000],
    ]);
    expect(getsockopt(s, 'TCP_NODELAY')).toBe(false); // never on the listener: Node sets it on each socket
  });

  it('a dual-stack listener: an IPv4 connection (v4-mapped) copies IP_TOS', async () => {
    cleanup.push(tuneSockets({ server: { sockopts: { IP_TOS: 0x20 } } }));
    const got: unknown[] = [];
    const s = net.createServer((sock) => void oracle(fdOf(sock), [get(C.IPPROTO_IP!, 'IP_TOS')]).then((v) => got.push(v) && sock.destroy()));
    const port = await listening(s, '::');
    for (let i = 0; i < 2; i++) await connect(port);
    expect(got).toEqual([[0x20], [0x20]]);
  });

  it('a unix-socket server is left alone (no TCP options, no crash)', async () => {
    cleanup.push(tuneSockets({ server: { userTimeout: 15_000 } }));
    const path = join(tmpdir(), `sockopt-inherit-${process.pid}.sock`);
    const s = net.createServer((sock) => sock.end());
    s.listen(path);
    await once(s, 'listening');
    cleanup.push(() => new Promise((r) => s.close(r)));
    const c = net.connect(path);
    c.resume();
    await once(c, 'close');
    expect(tunedListeners()).toBe(0);
  });

  it("off() after the tuned listener closed: its fd number, reused by another socket, is not touched", async () => {
    const { server: s, port } = await server([UT]);
    const off = tuneSockets({ server: { userTimeout: 16_000 } });
    await connect(port);
    const fd = fdOf(s);
    await new Promise((r) => s.close(r));
    const other = net.createServer();
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    cleanup.push(() => new Promise((r) => other.close(r)));
    setsockopt(other, 'TCP_USER_TIMEOUT', 777);
    off();
    expect(getsockopt(other, 'TCP_USER_TIMEOUT')).toBe(777);
    figure('fd of the closed listener, fd of the new one', [fd, fdOf(other)]);
  });
});
