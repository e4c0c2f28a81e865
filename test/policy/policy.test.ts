// Process-wide policy: the dead-peer derivation, Policy checking (coded errors up
// front), tuneSockets on real client and accepted sockets read back by Python, off(),
// the filter, sockopt/register from -r and --import, and the Agent subclasses.
import { execFile, spawn } from 'node:child_process';
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { agent, arm, constants as C, deadPeer, getsockopt, httpsAgent, policyStats, tuneSockets } from '../../src/index';
import { isSubscribed } from '../../src/node/channels';
import { fdOf, figure, fixtures, listeningServer, oracle, python, root, tlsCredentials } from '../helpers';

const T = C.IPPROTO_TCP!;
// [SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT] as Python reads them.
const keepaliveOps = (): ['get', number, number, number][] => [
  ['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0],
  ['get', T, C.TCP_KEEPIDLE!, 0],
  ['get', T, C.TCP_KEEPINTVL!, 0],
  ['get', T, C.TCP_KEEPCNT!, 0],
  ['get', T, C.TCP_USER_TIMEOUT!, 0],
];

const code = (fn: () => unknown): [string | undefined, string | undefined] => {
  try {
    fn();
  } catch (e) {
    return [(e as { code?: string }).code, (e as Error).message];
  }
  return [undefined, undefined];
};

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function connected(server: net.Server): Promise<[net.Socket, net.Socket]> {
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [sock] = await accepted;
  await new Promise((r) => setImmediate(r)); // the policy's 'connect' listener ran
  cleanup.push(() => client.destroy(), () => sock.destroy());
  return [client, sock];
}

describe('deadPeer(ms): one bound → keepalive idle/interval/count and TCP_USER_TIMEOUT', () => {
  it('sums the keepalive schedule to the bound (rounded down to whole seconds) and sets the user timeout to it', () => {
    expect(deadPeer(30_000)).toEqual({ keepAlive: { idle: 15_000, interval: 5_000, count: 3 }, userTimeout: 30_000 });
    expect(deadPeer(2_000)).toEqual({ keepAlive: { idle: 1_000, interval: 1_000, count: 1 }, userTimeout: 2_000 });
    expect(deadPeer(10_999)).toEqual({ keepAlive: { idle: 5_000, interval: 1_000, count: 5 }, userTimeout: 10_000 });
    for (let ms = 2_000; ms <= 65_000_000; ms = Math.ceil(ms * 1.37) + 17) {
      const { keepAlive: k, userTimeout } = deadPeer(ms);
      expect(k.idle + k.interval * k.count).toBe(userTimeout);
      expect(userTimeout).toBeLessThanOrEqual(ms);
      expect(ms - userTimeout).toBeLessThan(1000);
      expect(k.idle).toBeGreaterThanOrEqual(Math.floor(userTimeout / 2000) * 1000);
      expect(k.idle).toBeLessThanOrEqual(32_767_000);
      expect(k.count).toBeGreaterThanOrEqual(1);
      expect(k.count).toBeLessThanOrEqual(5);
    }
  });

  it('refuses what cannot be honoured', () => {
    expect(code(() => deadPeer(1_999))[0]).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => deadPeer(65_000_001))[0]).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => deadPeer(NaN))[0]).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => deadPeer('30s'))[0]).toBe('ERR_INVALID_ARG_TYPE');
  });
});

describe('tuneSockets: a bad policy throws a coded error naming the option, before subscribing', () => {
  const cases: [unknown, string, string][] = [
    [null, 'ERR_INVALID_ARG_TYPE', 'options'],
    [{ client: 5 }, 'ERR_INVALID_ARG_TYPE', 'options.client'],
    [{ clinet: {} }, 'ERR_INVALID_ARG_VALUE', 'options.clinet'],
    [{ client: { sockopt: {} } }, 'ERR_INVALID_ARG_VALUE', 'options.client.sockopt'],
    [{ client: { sockopts: { TCP_SYNCNT: 0 } } }, 'ERR_OUT_OF_RANGE', 'options.client.sockopts.TCP_SYNCNT'],
    [{ client: { sockopts: { TCP_NODELEY: true } } }, 'ERR_SOCKOPT_UNKNOWN_OPTION', 'TCP_NODELAY'],
    [{ server: { sockopts: { TCP_INFO: {} } } }, 'ERR_SOCKOPT_READ_ONLY', 'options.server.sockopts.TCP_INFO'],
    [{ client: { keepAlive: { idle: 0 } } }, 'ERR_OUT_OF_RANGE', 'options.client.keepAlive.idle'],
    [{ client: { keepAlive: { idel: 1000 } } }, 'ERR_INVALID_ARG_VALUE', 'options.client.keepAlive.idel'],
    [{ client: { keepAlive: { count: 200 } } }, 'ERR_OUT_OF_RANGE', 'options.client.keepAlive.count'],
    [{ client: { userTimeout: -1 } }, 'ERR_OUT_OF_RANGE', 'options.client.userTimeout'],
    [{ client: { userTimeout: '5s' } }, 'ERR_INVALID_ARG_TYPE', 'options.client.userTimeout'],
    [{ client: { deadPeerTimeout: 500 } }, 'ERR_OUT_OF_RANGE', 'options.client.deadPeerTimeout'],
    [{ client: { deadPeerTimeout: 5000, userTimeout: 100 } }, 'ERR_INVALID_ARG_VALUE', 'options.client.userTimeout'],
    [{ client: { keepAlive: { idle: 5000 }, sockopts: { TCP_KEEPIDLE: 3 } } }, 'ERR_INVALID_ARG_VALUE', 'options.client.sockopts.TCP_KEEPIDLE'],
    [{ client: { deadPeerTimeout: 5000, sockopts: { TCP_USER_TIMEOUT: 3 } } }, 'ERR_INVALID_ARG_VALUE', 'options.client.sockopts.TCP_USER_TIMEOUT'],
    [{ client: {}, filter: 'yes' }, 'ERR_INVALID_ARG_TYPE', 'options.filter'],
  ];
  it.each(cases)('%j → %s', (options, expected, where) => {
    const [c, message] = code(() => tuneSockets(options as never));
    expect(c).toBe(expected);
    expect(message).toContain(where);
    expect(isSubscribed('client') || isSubscribed('server')).toBe(false);
  });

  it('costs nothing without a policy: no channel subscription until tuneSockets, none after off()', () => {
    expect(diagnostics.channel('net.client.socket').hasSubscribers).toBe(false);
    expect(diagnostics.channel('net.server.socket').hasSubscribers).toBe(false);
    const off = tuneSockets({ server: { userTimeout: 1000 } });
    expect(diagnostics.channel('net.server.socket').hasSubscribers).toBe(true);
    expect(diagnostics.channel('net.client.socket').hasSubscribers).toBe(false);
    off();
    off();
    expect(diagnostics.channel('net.server.socket').hasSubscribers).toBe(false);
    tuneSockets({})(); // nothing to do: nothing subscribed
    expect(diagnostics.channel('net.client.socket').hasSubscribers).toBe(false);
    // Policies that set nothing subscribe nothing either.
    const none = tuneSockets({ client: {}, server: { sockopts: {} }, filter: () => true });
    expect(diagnostics.channel('net.client.socket').hasSubscribers).toBe(false);
    expect(diagnostics.channel('net.server.socket').hasSubscribers).toBe(false);
    none();
  });
});

describe('tuneSockets on real sockets (read back by Python on the same fd)', () => {
  it('client and server policies reach net.connect and accepted sockets; off() leaves later sockets alone', async () => {
    const off = tuneSockets({
      client: { deadPeerTimeout: 10_000, sockopts: { TCP_NODELAY: true } },
      server: { keepAlive: { idle: 7_000, interval: 3_000, count: 4 }, userTimeout: 12_345 },
    });
    cleanup.push(off);
    const server = await listeningServer();
    cleanup.push(() => new Promise((r) => server.close(r)));
    const [client, accepted] = await connected(server);
    expect(await oracle(fdOf(client), [...keepaliveOps(), ['get', T, C.TCP_NODELAY!, 0]])).toEqual([1, 5, 1, 5, 10_000, 1]);
    expect(await oracle(fdOf(accepted), keepaliveOps())).toEqual([1, 7, 3, 4, 12_345]);
    // Node's own keepalive cache follows: a later setKeepAlive(false) really clears it.
    client.setKeepAlive(false);
    expect(getsockopt(client, 'SO_KEEPALIVE')).toBe(false);

    off();
    const [after, afterAccepted] = await connected(server);
    expect(await oracle(fdOf(after), keepaliveOps())).toEqual([0, 7200, 75, 9, 0]);
    expect(getsockopt(afterAccepted, 'TCP_USER_TIMEOUT')).toBe(0);
  });

  it('the filter sees direction, host and port; false leaves the socket untouched; a throwing filter leaves that socket without the policy, reported once', async () => {
    const server = await listeningServer();
    cleanup.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as net.AddressInfo).port;
    const seen: unknown[] = [];
    let mode: 'accept-client' | 'throw' = 'accept-client';
    const warnings: { code?: string }[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w);
    process.on('warning', onWarning);
    cleanup.push(() => process.off('warning', onWarning));
    const off = tuneSockets({
      client: { userTimeout: 4_000 },
      server: { userTimeout: 5_000 },
      filter: ({ direction, socket, host, port: p }) => {
        seen.push({ direction, host, port: p, isSocket: socket instanceof net.Socket });
        if (mode === 'throw' && direction === 'client') throw new Error('filter bug');
        return direction === 'client';
      },
    });
    cleanup.push(off);
    const [client, accepted] = await connected(server);
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(expect.arrayContaining([
      { direction: 'server', host: '127.0.0.1', port, isSocket: true },
      { direction: 'client', host: '127.0.0.1', port, isSocket: true },
    ]));
    expect(await oracle(fdOf(client), [['get', T, C.TCP_USER_TIMEOUT!, 0]])).toEqual([4_000]);
    expect(getsockopt(accepted, 'TCP_USER_TIMEOUT')).toBe(0);

    mode = 'throw';
    for (let i = 0; i < 2; i++) {
      const [spared] = await connected(server);
      expect(await oracle(fdOf(spared), [['get', T, C.TCP_USER_TIMEOUT!, 0]])).toEqual([0]); // Node's own socket: no policy, connected
    }
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.code === 'SOCKOPT_FILTER_THREW')).toHaveLength(1);
  });

  it('an option the kernel refuses on a socket is skipped (warned once, counted); the rest is set and the connection lives', async () => {
    const server = await listeningServer();
    cleanup.push(() => new Promise((r) => server.close(r)));
    const warnings: { code?: string; message: string }[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w);
    process.on('warning', onWarning);
    cleanup.push(() => process.off('warning', onWarning));
    const before = policyStats().skipped.TCP_CONGESTION?.refused ?? 0;
    cleanup.push(tuneSockets({ client: { sockopts: { TCP_NODELAY: true, TCP_CONGESTION: 'nope', TCP_USER_TIMEOUT: 6_000 } } }));
    for (let i = 0; i < 2; i++) {
      const [client] = await connected(server);
      expect(await oracle(fdOf(client), [['get', T, C.TCP_NODELAY!, 0], ['get', T, C.TCP_USER_TIMEOUT!, 0]])).toEqual([1, 6_000]);
    }
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.code === 'SOCKOPT_POLICY_SKIPPED')).toHaveLength(1);
    expect(policyStats().skipped.TCP_CONGESTION?.refused).toBe(before + 2);
  });
});

describe('before the SYN, and sockets the policy must leave alone', () => {
  it('TCP_SYNCNT: 1 reaches net.connect (tuneSockets), agent() and httpsAgent() before the SYN: ETIMEDOUT from a silent peer in about 3 s', async () => {
    const peer = spawn(python, [join(fixtures, 'silent-listener.py'), '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.push(() => peer.kill('SIGKILL'));
    const [line] = (await once(peer.stdout!, 'data')) as [Buffer];
    const port = Number(String(line).trim());
    for (let i = 0; i < 8; i++) {
      // fill the accept queue (before any policy) until a connection hangs
      const c = net.connect(port, '127.0.0.1').on('error', () => {});
      cleanup.push(() => c.destroy());
      if (!(await Promise.race([once(c, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(r, 300, false))]))) break;
    }
    const policy = { sockopts: { TCP_SYNCNT: 1 } };
    cleanup.push(tuneSockets({ client: policy }));
    const timeOf = (start: (done: (err: Error & { code?: string }) => void) => void) =>
      new Promise<[number, string | undefined]>((resolve) => {
        const t0 = performance.now();
        start((err) => resolve([Math.round(performance.now() - t0), err.code]));
      });
    const a = agent({ policy });
    const s = httpsAgent({ policy, rejectUnauthorized: false });
    cleanup.push(() => a.destroy(), () => s.destroy());
    const results = await Promise.all([
      timeOf((done) => net.connect(port, '127.0.0.1').on('error', done)),
      timeOf((done) => http.get({ host: '127.0.0.1', port, agent: a }).on('error', done)),
      timeOf((done) => https.get({ host: '127.0.0.1', port, agent: s }).on('error', done)),
    ]);
    figure('TCP_SYNCNT 1 vs silent peer [net.connect+tuneSockets, agent(), httpsAgent()] [ms, code]', results);
    for (const [ms, c] of results) {
      expect(c).toBe('ETIMEDOUT');
      expect(ms).toBeGreaterThan(2_000);
      expect(ms).toBeLessThan(10_000); // Linux's default: about 130 s
    }
  }, 30_000);

  it("a library's setKeepAlive(true, 60 s) before or while connecting (Node replays it at connect) does not win over the policy; setKeepAlive(false) stands", async () => {
    cleanup.push(tuneSockets({ client: { keepAlive: { idle: 7_000, interval: 3_000, count: 4 }, sockopts: { TCP_NODELAY: true } } }));
    const server = await listeningServer();
    cleanup.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as net.AddressInfo).port;
    const early = new net.Socket();
    early.setKeepAlive(true, 60_000); // before connect: cached by Node only
    early.connect(port, '127.0.0.1');
    const library = net.connect(port, '127.0.0.1');
    // While connecting (the configured fd is in the handle): Node writes it through libuv
    // at once, and replays it in afterConnect.
    library.on('connectionAttempt', () => library.setKeepAlive(true, 60_000));
    const plain = net.connect(port, '127.0.0.1'); // Node replays only the policy's own values
    // Before the attempt, on a handle without a socket yet: libuv stores the flag and applies
    // its own timing (idle 60 s, interval 1 s, count 10) when a socket is opened into it.
    const sameIdle = net.connect(port, '127.0.0.1');
    sameIdle.setKeepAlive(true, 7_000);
    const off = net.connect(port, '127.0.0.1'); // an explicit off while connecting stands
    off.on('connectionAttempt', () => off.setKeepAlive(false));
    for (const s of [early, library, plain, sameIdle, off]) {
      cleanup.push(() => s.destroy());
      await once(s, 'connect');
    }
    await new Promise((r) => setImmediate(r));
    const ops = [...keepaliveOps(), ['get', T, C.TCP_NODELAY!, 0] as ['get', number, number, number]];
    expect(await oracle(fdOf(early), ops)).toEqual([1, 7, 3, 4, 0, 1]);
    expect(await oracle(fdOf(library), ops)).toEqual([1, 7, 3, 4, 0, 1]);
    expect(await oracle(fdOf(plain), ops)).toEqual([1, 7, 3, 4, 0, 1]);
    expect(await oracle(fdOf(sameIdle), ops)).toEqual([1, 7, 3, 4, 0, 1]);
    expect(await oracle(fdOf(off), [['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0]])).toEqual([0]);
    // Node's caches tell the truth: turning either flag off reaches the kernel.
    plain.setKeepAlive(false);
    plain.setNoDelay(false);
    expect(await oracle(fdOf(plain), [['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0], ['get', T, C.TCP_NODELAY!, 0]])).toEqual([0, 0]);
  });

  it('a unix-domain connection under client and server policies connects and is accepted untouched', async () => {
    // TCP-level options on a unix socket would fail (EOPNOTSUPP) and destroy it: both sides must be skipped.
    cleanup.push(tuneSockets({ client: { deadPeerTimeout: 10_000, sockopts: { TCP_SYNCNT: 2 } }, server: { userTimeout: 5_000, sockopts: { TCP_NODELAY: true } } }));
    const path = `\0sockopt-policy-${process.pid}`;
    const server = net.createServer((c) => c.end('hi')).listen(path);
    await once(server, 'listening');
    cleanup.push(() => new Promise((r) => server.close(r)));
    const client = net.connect(path);
    const [data] = (await once(client, 'data')) as [Buffer];
    expect(String(data)).toBe('hi');
    client.destroy();
  });

  it('arm(socket, { deadPeerTimeout }) derives the timing, and a library\'s setKeepAlive(true, ms) afterwards keeps it', async () => {
    const server = await listeningServer();
    cleanup.push(() => new Promise((r) => server.close(r)));
    const socket = arm(new net.Socket(), { deadPeerTimeout: 20_000 });
    socket.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    cleanup.push(() => socket.destroy());
    socket.setKeepAlive(true, 60_000); // as undici does
    expect(await oracle(fdOf(socket), keepaliveOps())).toEqual([1, 11, 3, 3, 20_000]);
    socket.setKeepAlive(false); // an explicit off stands
    expect(getsockopt(socket, 'SO_KEEPALIVE')).toBe(false);
    expect(code(() => arm(new net.Socket(), { deadPeerTimeout: 20_000, userTimeout: 5 }))[0]).toBe('ERR_INVALID_ARG_VALUE');
  });
});

describe('sockopt/register (SOCKOPT environment variable)', () => {
  const probe = `
    const net = require('node:net');
    const { getsockopt } = require('sockopt');
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const c = net.connect(srv.address().port, '127.0.0.1', () => setImmediate(() => {
        console.log(JSON.stringify([getsockopt(c, 'TCP_USER_TIMEOUT'), getsockopt(c, 'TCP_KEEPIDLE'), getsockopt(c, 'TCP_SYNCNT')]));
        c.destroy(); srv.close();
      }));
    });`;
  const run = (args: string[], env: Record<string, string>) =>
    promisify(execFile)(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const SOCKOPT = JSON.stringify({ client: { deadPeerTimeout: 20_000, sockopts: { TCP_SYNCNT: 2 } } });

  it('node -r sockopt/register and node --import sockopt/register install the policy', async () => {
    const cjs = await run(['-r', 'sockopt/register', '-e', probe], { SOCKOPT });
    expect(JSON.parse(cjs.stdout)).toEqual([20_000, 11, 2]);
    const esm = await run(['--import', 'sockopt/register', '--input-type=commonjs', '-e', probe], { SOCKOPT });
    expect(JSON.parse(esm.stdout)).toEqual([20_000, 11, 2]);
    const none = await run(['-r', 'sockopt/register', '-e', probe], { SOCKOPT: '' });
    expect(JSON.parse(none.stdout)).toEqual([0, 7200, 6]);
  });

  it('a bad SOCKOPT stops the process at start, naming SOCKOPT and the bad option', async () => {
    const bad: [string, string][] = [
      ['{"client":{"sockopts":{"TCP_SYNCNT":500}}}', 'SOCKOPT.client.sockopts.TCP_SYNCNT'],
      ['{"client":{"deadPeerTimeout":"30s"}}', 'SOCKOPT.client.deadPeerTimeout'],
      ['{"client":', 'SOCKOPT'],
      ['{"filter":"x"}', 'SOCKOPT.filter'],
      // explainErrors beside the policy: the rest read as parsed (1e400 is Infinity, refused; not null, the default).
      ['{"explainErrors":false,"client":{"userTimeout":1e400}}', 'SOCKOPT.client.userTimeout'],
      // A key that would set the terminal's title: escaped in the path as in the quoted name.
      ['{"client":{"sockopts":{"\\u001b]0;pwned\\u0007":1}}}', 'SOCKOPT.client.sockopts.\\x1b]0;pwned\\x07:'],
    ];
    for (const [value, where] of bad) {
      for (const flag of ['-r', '--import']) {
        const err = (await run([flag, 'sockopt/register', '-e', 'console.log("ran")'], { SOCKOPT: value }).catch((e) => e)) as {
          code: number;
          stdout: string;
          stderr: string;
        };
        expect(err.code).toBe(1);
        expect(err.stdout).toBe('');
        expect(err.stderr).toContain(where);
        expect(err.stderr).toMatch(/ERR_(OUT_OF_RANGE|INVALID_ARG_TYPE|INVALID_ARG_VALUE|SOCKOPT_UNKNOWN_OPTION)/);
        // Node prints the message as it is: no raw control character in it (tab and newline aside).
        expect([...err.stderr].filter((c) => (c < ' ' && c !== '\n' && c !== '\t') || c === '\x7f')).toEqual([]);
      }
    }
  }, 60_000); // twelve Node processes one after another: slow on a loaded 2-core machine
});

describe('agent() / httpsAgent(): Node Agents whose sockets carry a policy', () => {
  async function serve<S extends http.Server | https.Server>(server: S): Promise<number> {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => new Promise((r) => server.close(r)));
    return (server.address() as net.AddressInfo).port;
  }
  const get = (mod: typeof http | typeof https, options: https.RequestOptions) =>
    new Promise<{ socket: net.Socket; body: string }>((resolve, reject) => {
      mod.get(options, (res) => {
        let body = '';
        const socket = res.socket; // detached from the response once it ends
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve({ socket, body }));
      }).on('error', reject);
    });

  it('keep-alive parking keeps the policy timing (Node resets interval/count when it parks a socket)', async () => {
    const port = await serve(http.createServer((_q, r) => r.end('ok')));
    const policy = { keepAlive: { idle: 7_000, interval: 3_000, count: 4 }, userTimeout: 9_000 };
    const a = agent({ keepAlive: true, keepAliveMsecs: 1_000, policy });
    cleanup.push(() => a.destroy());
    const first = await get(http, { port, host: '127.0.0.1', agent: a });
    const socket = first.socket;
    await new Promise((r) => setImmediate(r)); // parked now
    expect(a.freeSockets[Object.keys(a.freeSockets)[0]!]).toContain(socket);
    expect(await oracle(fdOf(socket), keepaliveOps())).toEqual([1, 7, 3, 4, 9_000]);
    const second = await get(http, { port, host: '127.0.0.1', agent: a });
    expect(second.socket).toBe(socket); // reused
    await new Promise((r) => setImmediate(r));
    expect(await oracle(fdOf(socket), keepaliveOps())).toEqual([1, 7, 3, 4, 9_000]);

    // What parking does to a socket without a policy on this Node (the reset the guard undoes).
    const plain = new http.Agent({ keepAlive: true, keepAliveMsecs: 1_000 });
    cleanup.push(() => plain.destroy());
    const third = await get(http, { port, host: '127.0.0.1', agent: plain });
    await new Promise((r) => setImmediate(r));
    figure(`plain http.Agent after parking, no policy, ${process.version} [SO_KEEPALIVE, idle s, interval s, count, user timeout ms]`, await oracle(fdOf(third.socket), keepaliveOps()));
  });

  it('httpsAgent: TLS session reuse stays intact and every socket carries the policy', async () => {
    const port = await serve(https.createServer({ ...tlsCredentials(), maxVersion: 'TLSv1.2' }, (_q, r) => r.setHeader('connection', 'close').end('ok')));
    const a = httpsAgent({ keepAlive: false, rejectUnauthorized: false, policy: { userTimeout: 6_000, sockopts: { TCP_NODELAY: true } } });
    cleanup.push(() => a.destroy());
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await get(https, { port, host: '127.0.0.1', agent: a });
      expect(res.body).toBe('ok');
      reused.push((res.socket as unknown as { isSessionReused(): boolean }).isSessionReused());
      expect(getsockopt(res.socket, 'TCP_USER_TIMEOUT')).toBe(6_000);
    }
    expect(reused).toEqual([false, true, true]);
  });

  it('a bad policy throws at construction', () => {
    expect(code(() => agent({ policy: { sockopts: { TCP_SYNCNT: 0 } } }))[0]).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => httpsAgent({ policy: { deadPeerTimeout: 1 } }))[1]).toContain('options.policy.deadPeerTimeout');
    expect(code(() => agent(5 as never))[0]).toBe('ERR_INVALID_ARG_TYPE');
  });
});
