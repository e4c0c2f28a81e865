// Policies meeting everything else (issue 22): stacked policies in both orders, every
// filter outcome, the app's own options, agents, servers with their own 'connection'
// handlers, options that cannot apply, misplaced options, SOCKOPT rules and presets.
// Every value is read back by Python on the same fd; fds are counted before and after.
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agent, arm, constants as C, policyStats, setKeepAlive, setsockopt, tuneSockets } from '../../src/index';
import { isSubscribed } from '../../src/node/channels';
import { tuneSocketsFromParsed } from '../../src/policy/tune-sockets';

// The SOCKOPT text as sockopt/register reads it (parsed once, then installed).
const tuneSocketsFromJson = (json: string, name: string) => tuneSocketsFromParsed(JSON.parse(json), name);
import { codeOf, fdOf, figure, listeningServer, oracle, settledFds, tlsCredentials } from '../helpers';

const T = C.IPPROTO_TCP!;
const UT: ['get', number, number, number] = ['get', T, C.TCP_USER_TIMEOUT!, 0];
const ND: ['get', number, number, number] = ['get', T, C.TCP_NODELAY!, 0];
const KA = (): ['get', number, number, number][] => [
  ['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0],
  ['get', T, C.TCP_KEEPIDLE!, 0],
  ['get', T, C.TCP_KEEPINTVL!, 0],
  ['get', T, C.TCP_KEEPCNT!, 0],
];

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
  expect(isSubscribed('client')).toBe(false); // every test removes what it installed
  expect(isSubscribed('server')).toBe(false);
});

const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
const warnings: (Error & { code?: string })[] = [];
const onWarning = (w: Error & { code?: string }) => warnings.push(w);
let fdsBefore = 0;
beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('warning', onWarning);
  // libuv's reserve fd and the first servers' lazily made state, before counting.
  const warm = await listeningServer();
  const c = net.connect((warm.address() as net.AddressInfo).port, '127.0.0.1');
  await once(c, 'connect');
  c.destroy();
  await new Promise((r) => warm.close(r));
  fdsBefore = await settledFds();
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('warning', onWarning);
  expect(uncaught).toEqual([]);
  const after = await settledFds();
  figure('compose: fds before/after the suite', [fdsBefore, after]);
  expect(after).toBe(fdsBefore);
});

async function server(host = '127.0.0.1'): Promise<net.Server> {
  const s = await listeningServer(host);
  s.on('connection', (c) => c.on('error', () => {}));
  cleanup.push(() => new Promise((r) => s.close(r)));
  return s;
}

/** A connected client (after the policy's own 'connect' work) and, if asked, its accepted end. */
async function connect(s: net.Server, options: Partial<net.TcpNetConnectOpts> = {}): Promise<net.Socket> {
  const address = s.address() as net.AddressInfo;
  const client = net.connect({ port: address.port, host: address.address, ...options } as net.NetConnectOpts);
  cleanup.push(() => client.destroy());
  await once(client, 'connect');
  await new Promise((r) => setImmediate(r));
  return client;
}

async function accepted(s: net.Server, options: Partial<net.TcpNetConnectOpts> = {}): Promise<[net.Socket, net.Socket]> {
  const acc = once(s, 'connection') as Promise<[net.Socket]>;
  const client = await connect(s, options);
  const [sock] = await acc;
  cleanup.push(() => sock.destroy());
  await new Promise((r) => setImmediate(r));
  return [client, sock];
}


describe('stacked policies', () => {
  for (const order of ['library first', 'app first'] as const) {
    it(`merge option by option, each filter asked for its own policy, each off() removing exactly its part (${order})`, async () => {
      const s1 = await server();
      const s2 = await server();
      const p2 = (s2.address() as net.AddressInfo).port;
      const asked: string[] = [];
      const library = () => tuneSockets({ client: { userTimeout: 4_000, sockopts: { TCP_NODELAY: true } }, filter: () => (asked.push('library'), true) });
      const app = () => tuneSockets({ client: { userTimeout: 7_000 }, filter: ({ port }) => (asked.push('app'), port === p2) });
      const [first, second] = order === 'library first' ? [library(), app()] : [app(), library()];
      // The app's policy (7 s) applies only to s2; where both apply, the one installed later wins.
      const onS2 = order === 'library first' ? 7_000 : 4_000;
      expect(await oracle(fdOf(await connect(s1)), [UT, ND])).toEqual([4_000, 1]);
      expect(await oracle(fdOf(await connect(s2)), [UT, ND])).toEqual([onS2, 1]);
      expect(asked.sort()).toEqual(['app', 'app', 'library', 'library']);
      second();
      const kept = order === 'library first' ? 4_000 : 7_000;
      expect(await oracle(fdOf(await connect(s2)), [UT, ND])).toEqual([kept, order === 'library first' ? 1 : 0]);
      first();
      expect(await oracle(fdOf(await connect(s2)), [UT, ND])).toEqual([0, 0]);
      second(); // idempotent
    });
  }

  it("an unrelated second policy keeps the first one's keepalive timing over a library's setKeepAlive", async () => {
    const s = await server();
    cleanup.push(tuneSockets({ client: { keepAlive: { idle: 7_000, interval: 3_000, count: 4 } } }));
    cleanup.push(tuneSockets({ client: { sockopts: { TCP_NODELAY: true } } }));
    const c = await connect(s);
    c.setKeepAlive(true, 1_000); // what http.Agent does when it parks a socket
    expect(await oracle(fdOf(c), [...KA(), ND])).toEqual([1, 7, 3, 4, 1]);
  });
});

function revoked(): object {
  const p = Proxy.revocable({}, {});
  p.revoke();
  return p.proxy;
}

describe('keepalive timing under TLS', () => {
  // A TLS socket's setKeepAlive goes to its TLSWrap, which forwards it to the TCP handle
  // below: the policy's timing must come back there too, on both ends.
  it('a server policy and a client policy keep their timing after Node\'s setKeepAlive on a TLS socket', async () => {
    cleanup.push(tuneSockets({ server: { keepAlive: { idle: 40_000, interval: 4_000, count: 4 } } }));
    const srv = tls.createServer(tlsCredentials());
    srv.on('tlsClientError', () => {});
    const secured = once(srv, 'secureConnection') as Promise<[tls.TLSSocket]>;
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    cleanup.push(() => new Promise((r) => srv.close(r)));
    const port = (srv.address() as net.AddressInfo).port;
    // The client: a plain socket under a client policy, then TLS over it (tls.connect({ socket })).
    cleanup.push(tuneSockets({ client: { keepAlive: { idle: 30_000, interval: 5_000, count: 3 } } }));
    const raw = net.connect(port, '127.0.0.1');
    cleanup.push(() => raw.destroy());
    await once(raw, 'connect');
    await new Promise((r) => setImmediate(r));
    const client = tls.connect({ socket: raw, rejectUnauthorized: false });
    client.on('error', () => {});
    cleanup.push(() => client.destroy());
    const [[sock]] = await Promise.all([secured, once(client, 'secureConnect')]);
    sock.on('error', () => {});
    cleanup.push(() => sock.destroy());
    sock.setKeepAlive(true, 1_000); // an app or framework on its TLS socket
    client.setKeepAlive(true, 1_000);
    expect(await oracle(fdOf(sock), KA())).toEqual([1, 40, 4, 4]);
    expect(await oracle(fdOf(client), KA())).toEqual([1, 30, 5, 3]);
    // Off stays off.
    sock.setKeepAlive(false);
    expect(await oracle(fdOf(sock), KA().slice(0, 1))).toEqual([0]);
  });
});

describe('filters', () => {
  const throws: [string, () => unknown][] = [
    ['undefined', () => { throw undefined; }],
    ['null', () => { throw null; }],
    ['0', () => { throw 0; }],
    ['a string', () => { throw 'nope'; }],
    ['an Error', () => { throw new Error('filter bug'); }],
    ['a promise', () => Promise.resolve(true)],
    ['an object with a throwing toString', () => { throw { toString() { throw new Error('x'); } }; }],
    ['a revoked Proxy', () => { throw revoked(); }],
    // Answers whose `then` throws when it is looked at: the filter's code still.
    ['an object whose then getter throws', () => ({ get then() { throw new Error('then'); } })],
    ['a revoked Proxy ', () => revoked()],
  ];
  const returned = (what: string) => what === 'a promise' || what.includes('then') || what.endsWith(' ');
  for (const [what, body] of throws) {
    it(`a filter that ${returned(what) ? 'returns' : 'throws'} ${what.trim()}: the socket connects without any process policy, reported once`, async () => {
      const s = await server();
      const before = warnings.length;
      cleanup.push(tuneSockets({ client: { userTimeout: 4_000 } })); // a policy without a filter, installed first
      cleanup.push(tuneSockets({ client: { sockopts: { TCP_NODELAY: true } }, filter: body as () => boolean }));
      for (let i = 0; i < 2; i++) expect(await oracle(fdOf(await connect(s)), [UT, ND])).toEqual([0, 0]);
      await new Promise((r) => setImmediate(r));
      const mine = warnings.slice(before).filter((w) => w.code?.startsWith('SOCKOPT_FILTER'));
      expect(mine).toHaveLength(1);
      expect(mine[0]!.code).toBe(what === 'a promise' ? 'SOCKOPT_FILTER_ASYNC' : 'SOCKOPT_FILTER_THREW');
    });
  }

  it('a filter that destroys the socket: no crash, the socket closes as destroyed, others go on', async () => {
    const s = await server();
    let destroyNext = true;
    cleanup.push(tuneSockets({ client: { userTimeout: 4_000 }, filter: ({ socket }) => {
      if (destroyNext) {
        destroyNext = false;
        socket.destroy(new Error('filter destroyed it'));
      }
      return true;
    } }));
    const doomed = net.connect((s.address() as net.AddressInfo).port, '127.0.0.1');
    const [err] = (await once(doomed, 'error')) as [Error];
    expect(err.message).toBe('filter destroyed it');
    expect(doomed.destroyed).toBe(true);
    expect(await oracle(fdOf(await connect(s)), [UT])).toEqual([4_000]);
    expect(warnings.some((w) => w.code === 'SOCKOPT_FILTER_DESTROYED')).toBe(true);
  });

  it('a slow synchronous filter delays the attempt, and its answer stands', async () => {
    const s = await server();
    cleanup.push(tuneSockets({ client: { userTimeout: 4_000 }, filter: () => {
      const until = Date.now() + 50;
      while (Date.now() < until);
      return true;
    } }));
    expect(await oracle(fdOf(await connect(s)), [UT])).toEqual([4_000]);
  });

  it("a filter's no leaves the app's own arm() options in place", async () => {
    const s = await server();
    cleanup.push(tuneSockets({ client: { userTimeout: 4_000, sockopts: { TCP_NODELAY: true } }, filter: () => false }));
    const c = arm(new net.Socket(), { userTimeout: 5_555 });
    cleanup.push(() => c.destroy());
    c.connect((s.address() as net.AddressInfo).port, '127.0.0.1');
    await once(c, 'connect');
    expect(await oracle(fdOf(c), [UT, ND])).toEqual([5_555, 0]);
  });

  it('a polluted Object.prototype neither disables a policy nor adds to it', async () => {
    const s = await server();
    const proto = Object.prototype as Record<string, unknown>;
    proto.filter = () => false;
    proto.sockopts = { TCP_NODELAY: true };
    proto.rules = 'broken';
    try {
      cleanup.push(tuneSockets({ client: { userTimeout: 4_000 } }));
    } finally {
      delete proto.filter;
      delete proto.sockopts;
      delete proto.rules;
    }
    expect(await oracle(fdOf(await connect(s)), [UT, ND])).toEqual([4_000, 0]);
  });
});

describe('precedence: the app, then an agent, then process policies', () => {
  it("the app's own options on the socket win over process policies; a library's setKeepAlive does not", async () => {
    const s = await server();
    cleanup.push(tuneSockets({ client: { userTimeout: 4_000, keepAlive: { idle: 9_000, interval: 2_000, count: 2 } } }));
    const c = arm(new net.Socket(), { sockopts: { TCP_USER_TIMEOUT: 6_000 } });
    cleanup.push(() => c.destroy());
    c.connect((s.address() as net.AddressInfo).port, '127.0.0.1');
    await once(c, 'connect');
    expect(await oracle(fdOf(c), [UT, ...KA()])).toEqual([6_000, 1, 9, 2, 2]);
    setsockopt(c, 'TCP_USER_TIMEOUT', 8_000); // after 'connect': the app's, nothing puts the policy back
    c.setKeepAlive(true, 60_000);
    expect(await oracle(fdOf(c), [UT, ...KA()])).toEqual([8_000, 1, 9, 2, 2]);
  });

  it("keepalive the app sets through sockopt after 'connect' stays when a library turns keepalive on again", async () => {
    const s = await server();
    cleanup.push(tuneSockets({ client: { keepAlive: { idle: 9_000, interval: 2_000, count: 2 } } }));
    const c = await connect(s);
    setKeepAlive(c, { idle: 20_000, count: 6 }); // the app's choice for this one socket
    c.setKeepAlive(true, 1_000); // a library (http.Agent parking): the policy's interval comes back, not its idle/count
    expect(await oracle(fdOf(c), KA())).toEqual([1, 20, 2, 6]);
  });

  it('register-style deadPeerTimeout plus agent({ policy }): parking keeps the timing (idle 15 s, not 1 s)', async () => {
    const web = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => web.close(r)));
    cleanup.push(tuneSockets({ client: { deadPeerTimeout: 30_000 } }));
    const a = agent({ keepAlive: true, policy: { deadPeerTimeout: 30_000 } });
    cleanup.push(() => a.destroy());
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: (web.address() as net.AddressInfo).port, agent: a }, (res) => {
        const sock = res.socket as net.Socket;
        res.resume();
        res.on('end', () => setImmediate(() => resolve(sock)));
      }).on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 20)); // parked: http.Agent called setKeepAlive(true, 1000)
    expect(await oracle(fdOf(socket), [...KA(), UT])).toEqual([1, 15, 5, 3, 30_000]);
  });

  it("an agent's policy outranks a process policy and yields to nothing else", async () => {
    const web = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => web.close(r)));
    cleanup.push(tuneSockets({ client: { userTimeout: 4_000, sockopts: { TCP_NODELAY: true } } }));
    const a = agent({ keepAlive: true, policy: { userTimeout: 9_000 } });
    cleanup.push(() => a.destroy());
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: (web.address() as net.AddressInfo).port, agent: a }, (res) => {
        res.resume();
        resolve(res.socket as net.Socket);
      }).on('error', reject);
    });
    expect(await oracle(fdOf(socket), [UT, ND])).toEqual([9_000, 1]);
  });

  it("a server policy goes on before the app's 'connection' handler, which has the last word", async () => {
    cleanup.push(tuneSockets({ server: { userTimeout: 5_000, sockopts: { TCP_NODELAY: true } } }));
    let n = 0;
    const s = net.createServer((sock) => {
      sock.on('error', () => {});
      if (n++ % 2 === 0) setsockopt(sock, 'TCP_USER_TIMEOUT', 9_999);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => s.close(r)));
    for (let i = 0; i < 4; i++) {
      const [, acc] = await accepted(s);
      expect(await oracle(fdOf(acc), [UT, ND])).toEqual([i % 2 === 0 ? 9_999 : 5_000, 1]);
    }
  });
});

describe('options that cannot apply are skipped, never fatal', () => {
  it('IPV6_TCLASS: skipped on IPv4 connections (counted), set on IPv6 ones', async () => {
    const v4 = await server();
    const v6 = await server('::1');
    const before = policyStats().skipped.IPV6_TCLASS?.family ?? 0;
    cleanup.push(tuneSockets({ client: { userTimeout: 4_000, sockopts: { IPV6_TCLASS: 0x20 } } }));
    expect(await oracle(fdOf(await connect(v4)), [UT])).toEqual([4_000]);
    expect(await oracle(fdOf(await connect(v6)), [UT, ['get', C.IPPROTO_IPV6!, C.IPV6_TCLASS!, 0]])).toEqual([4_000, 0x20]);
    expect(policyStats().skipped.IPV6_TCLASS?.family).toBe(before + 1);
  });

  it('IP_BIND_ADDRESS_NO_PORT: skipped where Node binds first (localAddress), the connection lives', async () => {
    const s = await server();
    const before = policyStats().skipped.IP_BIND_ADDRESS_NO_PORT?.['bind-time'] ?? 0;
    cleanup.push(tuneSockets({ client: { userTimeout: 4_000, sockopts: { IP_BIND_ADDRESS_NO_PORT: true } } }));
    expect(await oracle(fdOf(await connect(s, { localAddress: '127.0.0.1' } as net.NetConnectOpts)), [UT])).toEqual([4_000]);
    expect(await oracle(fdOf(await connect(s)), [UT, ['get', C.IPPROTO_IP!, C.IP_BIND_ADDRESS_NO_PORT!, 0]])).toEqual([4_000, 1]);
    expect(policyStats().skipped.IP_BIND_ADDRESS_NO_PORT?.['bind-time']).toBe(before + 1);
  });

  it('an IPv6 option in a server policy on an IPv4 listener: skipped per connection, accepted sockets live', async () => {
    const s = await server();
    cleanup.push(tuneSockets({ server: { userTimeout: 5_000, sockopts: { IPV6_TCLASS: 0x20 } } }));
    const [, acc] = await accepted(s);
    expect(await oracle(fdOf(acc), [UT])).toEqual([5_000]);
  });

  it('refused at tuneSockets(): listener options, bind-time options on accepted sockets, a lingering close', () => {
    expect(codeOf(() => tuneSockets({ server: { sockopts: { TCP_FASTOPEN: 5 } } }))).toBe('ERR_SOCKOPT_NOT_APPLICABLE');
    expect(codeOf(() => tuneSockets({ client: { sockopts: { TCP_DEFER_ACCEPT: 5 } } }))).toBe('ERR_SOCKOPT_NOT_APPLICABLE');
    expect(codeOf(() => tuneSockets({ server: { sockopts: { SO_REUSEPORT: true } } }))).toBe('ERR_SOCKOPT_NOT_APPLICABLE');
    expect(codeOf(() => tuneSockets({ client: { sockopts: { SO_LINGER: 100_000 } } }))).toBe('ERR_SOCKOPT_NOT_APPLICABLE');
    expect(codeOf(() => tuneSockets({ server: { sockopts: { SO_LINGER: 1 } } }))).toBe('ERR_SOCKOPT_NOT_APPLICABLE');
    const off = tuneSockets({ client: { sockopts: { SO_LINGER: 0 } } }); // reset on close: allowed
    off();
    expect(isSubscribed('client')).toBe(false);
  });
});

describe('misplaced and mistaken options', () => {
  it('agent(): Policy fields at the top level and a misspelt policy are refused, naming `policy`', () => {
    for (const options of [{ sockopts: { TCP_NODELAY: true } }, { deadPeerTimeout: 5_000 }, { userTimeout: 5_000 }, { polcy: { userTimeout: 5_000 } }, { Policy: {} }]) {
      let err: (Error & { code?: string }) | undefined;
      try {
        agent(options as never).destroy();
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, JSON.stringify(options)).toBe('ERR_INVALID_ARG_VALUE');
      expect(err?.message).toContain('policy');
    }
    agent({ keepAlive: true, keepAliveMsecs: 1_000, policy: { userTimeout: 5_000 } }).destroy();
  });

  it('SOCKOPT: keepAlive: true is taken; seconds written as ms are refused with the fix; a filter says why it cannot be JSON', async () => {
    const s = await server();
    const off = tuneSocketsFromJson('{"client":{"keepAlive":true,"userTimeout":4000}}', 'SOCKOPT');
    cleanup.push(off);
    expect(await oracle(fdOf(await connect(s)), [['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0], UT])).toEqual([1, 4_000]);
    const err = (json: string) => {
      try {
        tuneSocketsFromJson(json, 'SOCKOPT')();
      } catch (e) {
        return e as Error & { code?: string };
      }
      return undefined;
    };
    expect(err('{"client":{"keepAlive":{"idle":10}}}')).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('for 10 s write 10000') });
    expect(err('{"client":{},"filter":"x => true"}')).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('JSON cannot carry') });
    expect(err('{"client":{"preset":"aws-alb"}}')).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('aws-nlb') });
    expect(err('{"rules":[{"match":{"port":1,"host":"x"},"client":{}}]}')).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(err('{"rules":[{"match":{"cidr":"10.0.0.0/33"},"client":{"userTimeout":1000}}]}')).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(err('{"rules":[{"match":{"port":5432}}]}')).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe('zero cost when off', () => {
  it('register with SOCKOPT unset or empty loads no policy code and subscribes nothing', async () => {
    const { execFileSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const { root } = await import('../helpers');
    const probe = "const dc = require('node:diagnostics_channel'); console.log(JSON.stringify([Object.keys(require.cache).filter((k) => /[\\/]lib[\\/](policy|birth)[\\/]/.test(k)).length, dc.hasSubscribers('net.client.socket'), dc.hasSubscribers('net.server.socket')]))";
    for (const value of [undefined, '', '  ']) {
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
      if (value === undefined) delete env.SOCKOPT;
      else env.SOCKOPT = value;
      const out = execFileSync(process.execPath, ['-r', join(root, 'lib', 'register.js'), '-e', probe], { env, encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual([0, false, false]);
    }
  });
});

describe('SOCKOPT rules and presets', () => {
  it('a rule per destination (port, host, cidr), first match wins, overriding the default option by option', async () => {
    const a = await server();
    const b = await server();
    const other = await server();
    const pa = (a.address() as net.AddressInfo).port;
    const pb = (b.address() as net.AddressInfo).port;
    cleanup.push(tuneSocketsFromJson(JSON.stringify({
      client: { userTimeout: 4_000, sockopts: { TCP_NODELAY: true } },
      rules: [
        { match: { port: pa }, client: { deadPeerTimeout: 5_000 } },
        { match: { port: pb }, client: { userTimeout: 8_000 } },
        { match: { cidr: '127.0.0.0/8' }, client: { userTimeout: 6_000 } },
      ],
    }), 'SOCKOPT'));
    // deadPeer(5000): keepalive 2 s + 3 × 1 s, TCP_USER_TIMEOUT 5 s.
    expect(await oracle(fdOf(await connect(a)), [UT, ND, ...KA()])).toEqual([5_000, 1, 1, 2, 1, 3]);
    expect(await oracle(fdOf(await connect(b)), [UT, ND])).toEqual([8_000, 1]);
    expect(await oracle(fdOf(await connect(other)), [UT, ND])).toEqual([6_000, 1]);
  });

  it("a host rule matches the name the app asked for; a server rule matches the local port", async () => {
    const s = await server();
    const ps = (s.address() as net.AddressInfo).port;
    cleanup.push(tuneSockets({
      rules: [
        { match: { host: 'localhost' }, client: { userTimeout: 7_000 } },
        { match: { port: ps }, server: { userTimeout: 3_000 } },
      ],
    }));
    const [byName, acc] = await accepted(s, { host: 'localhost', family: 4 } as net.NetConnectOpts);
    expect(await oracle(fdOf(byName), [UT])).toEqual([7_000]);
    expect(await oracle(fdOf(acc), [UT])).toEqual([3_000]);
    expect(await oracle(fdOf(await connect(s)), [UT])).toEqual([0]); // 127.0.0.1 by address: no client rule
  });

  it("presets: strict is deadPeer(30 s); a policy's own fields replace the preset's", async () => {
    const s = await server();
    const off = tuneSocketsFromJson('{"client":{"preset":"strict"}}', 'SOCKOPT');
    expect(await oracle(fdOf(await connect(s)), [...KA(), UT])).toEqual([1, 15, 5, 3, 30_000]);
    off();
    cleanup.push(tuneSocketsFromJson('{"client":{"preset":"aws-nlb","userTimeout":20000}}', 'SOCKOPT'));
    expect(await oracle(fdOf(await connect(s)), [...KA(), UT])).toEqual([1, 300, 30, 3, 20_000]);
  });
});
