// Abuse suite for client socket birth: connect(), connectTLS(), arm(). Every case
// counts /proc/self/fd before and after (printed as a figure line) and must come back;
// hostile input must end exactly as it ends with Node's own net.connect/tls.connect.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { arm, connect, connectTLS, getsockopt, type ConnectOptions } from '../../src/index';
import { fdsBackTo, lateLookup, leakFree, outcome, silentPeer, tick } from './helpers';
import { figure, openFds, tlsCredentials } from '../helpers';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});
const dir = mkdtempSync(join(tmpdir(), 'sockopt-birth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function echo(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer((c) => c.pipe(c)).listen(0, host);
  await once(server, 'listening');
  cleanup.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

async function tlsEcho(): Promise<number> {
  const server = tls.createServer(tlsCredentials(), (c) => c.pipe(c)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

const SO = { TCP_USER_TIMEOUT: 4321 } as const;
type Made = net.Socket;

describe('every call form', () => {
  it('connect(options, cb), connect(port, host, cb), connect(port, cb), connect(path, cb)', async () => {
    const port = await echo('::'); // dual-stack, for 'localhost' either way
    await leakFree('connect(options, cb)', async () => {
      let called = false;
      const s = connect({ port, host: '127.0.0.1', sockopts: SO }, () => (called = true));
      await once(s, 'connect');
      const uto = getsockopt(s, 'TCP_USER_TIMEOUT');
      s.destroy();
      expect([called, uto]).toEqual([true, 4321]);
      return `connect, TCP_USER_TIMEOUT ${uto}`;
    });
    await leakFree('connect(port, host, cb)', async () => {
      let called = false;
      const s = connect(port, '127.0.0.1', () => (called = true));
      await once(s, 'connect');
      s.destroy();
      expect(called).toBe(true);
      return 'connect';
    });
    await leakFree('connect(port, cb) (host localhost)', async () => {
      let called = false;
      const s = connect(port, () => (called = true));
      await once(s, 'connect');
      s.destroy();
      expect(called).toBe(true);
      return 'connect';
    });
    const path = join(dir, 'echo.sock');
    const unix = net.createServer((c) => c.pipe(c)).listen(path);
    await once(unix, 'listening');
    cleanup.push(() => unix.close());
    await leakFree('connect(path, cb)', async () => {
      const s = connect(path, () => {});
      await once(s, 'connect');
      s.destroy();
      return 'connect';
    });
    await leakFree('connect({ path, sockopts })', () => outcome(() => connect({ path, sockopts: SO })));
    expect(await outcome(() => connect({ path, sockopts: SO }))).toBe('throws ERR_SOCKOPT_NOT_APPLICABLE');
    expect(await outcome(() => connect({ port, handle: {}, sockopts: SO } as never))).toBe('throws ERR_SOCKOPT_NOT_APPLICABLE');
  });

  it('connectTLS(options, cb), connectTLS(port, host, options, cb), connectTLS(port, options), and its timeout', async () => {
    const port = await tlsEcho();
    const forms: [string, () => tls.TLSSocket][] = [
      ['connectTLS(options, cb)', () => connectTLS({ port, host: '127.0.0.1', rejectUnauthorized: false, sockopts: SO }, () => {})],
      ['connectTLS(port, host, options, cb)', () => connectTLS(port, '127.0.0.1', { rejectUnauthorized: false, sockopts: SO }, () => {})],
      ['connectTLS(port, options)', () => connectTLS(port, { host: '127.0.0.1', rejectUnauthorized: false, sockopts: SO })],
    ];
    for (const [name, make] of forms) {
      await leakFree(name, async () => {
        const s = make();
        await once(s, 'secureConnect');
        const uto = getsockopt(s, 'TCP_USER_TIMEOUT');
        s.destroy();
        expect(uto, name).toBe(4321);
        return `secureConnect, TCP_USER_TIMEOUT ${uto}`;
      });
    }
    await leakFree('connectTLS({ timeout: 50 }) during a DNS that never answers', async () => {
      const late = lateLookup();
      const s = connectTLS({ host: 'tls.test', port, lookup: late.lookup, timeout: 50, sockopts: SO, rejectUnauthorized: false });
      await once(s, 'timeout'); // Node's timeout option is honoured, not dropped
      s.destroy();
      late.release();
      await tick(20);
      return 'timeout';
    });
  });

  it('localAddress: connect() puts bind-time options before Node binds; arm() refuses them (Node bound first)', async () => {
    const port = await echo();
    await leakFree('connect({ localAddress, IP_BIND_ADDRESS_NO_PORT, SO_REUSEADDR })', async () => {
      const s = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2', sockopts: { IP_BIND_ADDRESS_NO_PORT: true, SO_REUSEADDR: true } });
      await once(s, 'connect');
      const held = [s.localAddress, getsockopt(s, 'IP_BIND_ADDRESS_NO_PORT'), getsockopt(s, 'SO_REUSEADDR')];
      s.destroy();
      expect(held).toEqual(['127.0.0.2', true, true]);
      return `connect from ${held[0]}`;
    });
    await leakFree('arm() + connect({ localAddress }) with IP_BIND_ADDRESS_NO_PORT', async () => {
      const s = arm(new net.Socket(), { sockopts: { IP_BIND_ADDRESS_NO_PORT: true } });
      const r = await outcome(() => s.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }));
      expect(r).toBe('error ERR_SOCKOPT_NOT_APPLICABLE');
      return r;
    });
    await leakFree('arm() + connect({ localAddress }) with TCP_USER_TIMEOUT', async () => {
      const s = arm(new net.Socket(), { sockopts: SO });
      s.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      await once(s, 'connect');
      const uto = getsockopt(s, 'TCP_USER_TIMEOUT');
      s.destroy();
      expect(uto).toBe(4321);
      return `connect, TCP_USER_TIMEOUT ${uto}`;
    });
  });
});

describe('hostile input ends as it ends with net.connect (and no fd is left)', () => {
  const throwing = ((): never => {
    throw Object.assign(new Error('lookup failed'), { code: 'EBOOM' });
  }) as unknown as net.LookupFunction;
  const banana = ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
    o.all ? cb(null, [{ address: 'banana', family: 4 }]) : cb(null, 'banana', 4)) as unknown as net.LookupFunction;
  const family5 = ((_h: string, _o: unknown, cb: (e: null, a: unknown, f?: number) => void) => cb(null, '127.0.0.1', 5)) as unknown as net.LookupFunction;
  const cases: [string, Record<string, unknown>][] = [
    ['port 70000', { host: '127.0.0.1', port: 70000 }],
    ['port -1', { host: '127.0.0.1', port: -1 }],
    ['port 1.5', { host: '127.0.0.1', port: 1.5 }],
    ['port "abc"', { host: '127.0.0.1', port: 'abc' }],
    ['port {}', { host: '127.0.0.1', port: {} }],
    ['no port', { host: '127.0.0.1' }],
    ['localAddress "nope"', { host: '127.0.0.1', port: 9, localAddress: 'nope' }],
    ['localPort "x"', { host: '127.0.0.1', port: 9, localPort: 'x' }],
    ['timeout -5', { host: '127.0.0.1', port: 9, timeout: -5 }],
    ['highWaterMark -1', { host: '127.0.0.1', port: 9, highWaterMark: -1 }],
    ['signal {}', { host: '127.0.0.1', port: 9, signal: {} }],
    ['signal already aborted', { host: '127.0.0.1', port: 9, signal: AbortSignal.abort() }],
    ['host with NUL', { host: 'a\0b.test', port: 9, lookup: banana }],
    ['lookup not a function', { host: 'x.test', port: 9, lookup: 'nope' }],
    ['lookup throws', { host: 'x.test', port: 9, lookup: throwing }],
    ['lookup answers "banana"', { host: 'x.test', port: 9, lookup: banana }],
    ['lookup answers family 5', { host: 'x.test', port: 9, family: 4, lookup: family5 }],
    ['family 5', { host: 'x.test', port: 9, family: 5, lookup: banana }],
    ['fd 99999', { fd: 99999, port: 9 }],
    ['objectMode', { host: '127.0.0.1', port: 9, objectMode: true }],
  ];
  it.each(cases)('%s', async (name, input) => {
    const node = await outcome(() => net.connect(input as unknown as net.NetConnectOpts), ['connect', 'close'], 3000);
    await tick(20);
    const ours = await leakFree(`connect() ${name}`, () => outcome(() => connect({ ...input, sockopts: { TCP_SYNCNT: 2 } } as ConnectOptions), ['connect', 'close'], 3000));
    // arm() on new net.Socket() then connect(): Node's equivalent is the same two calls
    // (connect() ignores the constructor's options: timeout, highWaterMark, signal, fd, …).
    const nodeSocket = await outcome(() => new net.Socket().connect(input as unknown as net.NetConnectOpts), ['connect', 'close'], 3000);
    await tick(20);
    const armed = await leakFree(`arm().connect() ${name}`, () =>
      outcome(() => arm(new net.Socket(), { sockopts: { TCP_SYNCNT: 2 } }).connect(input as unknown as net.NetConnectOpts), ['connect', 'close'], 3000));
    figure(`birth: net.connect ${name}`, node);
    figure(`birth: new net.Socket().connect ${name}`, nodeSocket);
    expect(ours).toBe(node);
    expect(armed).toBe(nodeSocket);
  });

  it('connectTLS: bad port, bad lookup and an aborted signal end as with tls.connect', async () => {
    for (const [name, input] of [
      ['port 70000', { host: '127.0.0.1', port: 70000 }],
      ['lookup answers "banana"', { host: 'x.test', port: 9, lookup: banana }],
      ['signal already aborted', { host: '127.0.0.1', port: 9, signal: AbortSignal.abort() }],
    ] as [string, Record<string, unknown>][]) {
      const node = await outcome(() => tls.connect(input as tls.ConnectionOptions), ['secureConnect', 'close'], 3000);
      const ours = await leakFree(`connectTLS() ${name}`, () => outcome(() => connectTLS({ ...input, sockopts: SO } as never), ['secureConnect', 'close'], 3000));
      expect(ours, name).toBe(node);
    }
  });
});

describe('destroy, abort and timeout at every stage', () => {
  type Stage = 'before DNS' | 'during DNS' | "at 'lookup'" | 'SYN in flight' | "after 'connect'";
  const stages: Stage[] = ['before DNS', 'during DNS', "at 'lookup'", 'SYN in flight', "after 'connect'"];
  const makers: [string, (o: Record<string, unknown>) => Made][] = [
    ['connect', (o) => connect({ ...o, sockopts: { TCP_SYNCNT: 1, ...SO } } as ConnectOptions)],
    ['connectTLS', (o) => connectTLS({ ...o, rejectUnauthorized: false, sockopts: { TCP_SYNCNT: 1, ...SO } } as never)],
    // signal and timeout belong to the socket, not to connect(): as net.connect does it.
    ['arm', (o) => {
      const s = arm(new net.Socket({ signal: o.signal as AbortSignal | undefined }), { sockopts: { TCP_SYNCNT: 1, ...SO } });
      if (o.timeout) s.setTimeout(o.timeout as number);
      return s.connect(o as unknown as net.NetConnectOpts);
    }],
  ];
  const how = ['destroy', 'abort', 'timeout'] as const;

  it.each(makers)('%s', async (maker, make) => {
    const live = maker === 'connectTLS' ? await tlsEcho() : await echo();
    const silent = await silentPeer(cleanup);
    for (const stage of stages) {
      for (const h of how) {
        if (h === 'timeout' && (stage === 'before DNS' || stage === "at 'lookup'" || stage === "after 'connect'")) continue; // a timeout needs time to pass
        await leakFree(`${maker} ${h} ${stage}`, async () => {
          const late = lateLookup('127.0.0.1', 4);
          const ac = new AbortController();
          const port = stage === 'SYN in flight' ? silent : live;
          const s = make({
            host: stage === 'during DNS' || stage === "at 'lookup'" ? 'late.test' : '127.0.0.1',
            port,
            lookup: late.lookup,
            signal: h === 'abort' ? ac.signal : undefined,
            timeout: h === 'timeout' ? 100 : undefined,
          });
          const errors: string[] = [];
          s.on('error', (e: Error & { code?: string }) => errors.push(e.code ?? e.name));
          const closed = new Promise((r) => s.on('close', r)); // events.once would reject on 'error'
          const end = () => (h === 'abort' ? ac.abort() : s.destroy());
          if (h === 'timeout') s.on('timeout', () => s.destroy());
          if (stage === 'before DNS') end();
          else if (stage === 'during DNS') {
            await late.asked;
            if (h !== 'timeout') end();
            else await once(s, 'timeout');
          } else if (stage === "at 'lookup'") {
            s.on('lookup', end);
            await late.asked;
            late.release();
          } else if (stage === 'SYN in flight') {
            await once(s, 'connectionAttempt');
            await tick(h === 'timeout' ? 0 : 30);
            if (h !== 'timeout') end();
            else await once(s, 'timeout');
          } else {
            await once(s, maker === 'connectTLS' ? 'secureConnect' : 'connect');
            end();
          }
          await closed;
          late.release(); // a lookup answering after the end must change nothing
          await tick(20);
          if (h === 'abort') expect(errors).toEqual(['ABORT_ERR']);
          else expect(errors).toEqual([]);
          return errors.length ? `error ${errors.join(',')}` : 'closed';
        });
      }
    }
  });
});

describe('an option the kernel refuses at the attempt', () => {
  it('connect() and connectTLS(): the coded error on the socket, no SYN sent, no fd left', async () => {
    let connections = 0;
    const server = net.createServer((c) => {
      connections++;
      c.destroy();
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const bad = { TCP_CONGESTION: 'no-such-cc' } as const;
    for (const [name, make] of [
      ['connect()', () => connect({ host: '127.0.0.1', port, sockopts: bad })],
      ['connect() to a host name', () => {
        const late = lateLookup();
        void late.asked.then(late.release); // answers as soon as Node asks
        return connect({ host: 'named.test', port, lookup: late.lookup, sockopts: bad });
      }],
      ['connectTLS()', () => connectTLS({ host: '127.0.0.1', port, sockopts: bad })],
    ] as [string, () => net.Socket][]) {
      const r = await leakFree(`${name} with TCP_CONGESTION 'no-such-cc'`, async () => {
        return outcome(make, ['connect', 'secureConnect'], 3000);
      });
      expect(r, name).toBe('error ENOENT');
    }
    await tick(50);
    expect(connections).toBe(0);
  });
});

describe('load', () => {
  it('1,000 concurrent connect() to a full-backlog listener, then destroy: every fd back', async () => {
    const port = await silentPeer(cleanup);
    await fdsBackTo(openFds());
    const before = openFds();
    const start = performance.now();
    const sockets: net.Socket[] = [];
    const attempted: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) {
      const s = connect({ host: '127.0.0.1', port, sockopts: { TCP_SYNCNT: 1, TCP_USER_TIMEOUT: 5000 } });
      s.on('error', () => {});
      attempted.push(once(s, 'connectionAttempt'));
      sockets.push(s);
    }
    await Promise.all(attempted);
    await tick(50);
    const during = openFds();
    const connected = sockets.filter((s) => !s.connecting).length;
    for (const s of sockets) s.destroy();
    const after = await fdsBackTo(before);
    const ms = Math.round(performance.now() - start);
    figure('birth: 1,000 connect() to a full backlog, then destroy', `fds ${before} -> ${during} -> ${after}; connected ${connected}; ${ms} ms`);
    expect(during - before).toBeGreaterThanOrEqual(1000);
    expect(connected).toBe(0);
    expect(after).toBe(before);
  }, 30_000);
});
