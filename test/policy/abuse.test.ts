// The policy under abuse: sockets destroyed at every stage while a client policy
// adopts them, refused and silent peers, many at once, hostile policies and filters.
// For each: no uncaught exception, /proc/self/fd back to its count, errors coded.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agent, getsockopt, tuneSockets } from '../../src/index';
import { figure, fixtures, listeningServer, python, settledFds } from '../helpers';


let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const uncaught: unknown[] = [];
process.on('uncaughtException', (e) => uncaught.push(e));

describe('client policy under abuse', () => {
  it('destroyed before the attempt, during DNS, while connecting, after connect; refused; 300 to a silent peer: fds back, nothing uncaught', async () => {
    const server = await listeningServer();
    cleanup.push(() => new Promise((r) => server.close(r)));
    server.on('connection', (c) => c.destroy());
    const port = (server.address() as net.AddressInfo).port;
    const peer = spawn(python, [join(fixtures, 'silent-listener.py'), '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.push(() => peer.kill('SIGKILL'));
    const [line] = (await once(peer.stdout!, 'data')) as [Buffer];
    const silent = Number(String(line).trim());
    // A port nothing listens on, taken after the silent listener binds: freed first, the
    // kernel once handed the same port to it, and the "refused" connects hung (ETIMEDOUT).
    let refusedPort = silent;
    for (let tries = 0; refusedPort === silent && tries < 10; tries++) {
      const closed = await listeningServer();
      refusedPort = (closed.address() as net.AddressInfo).port;
      await new Promise((r) => closed.close(r));
    }
    expect(refusedPort).not.toBe(silent);
    const fillers: net.Socket[] = [];
    for (let i = 0; i < 8; i++) {
      const c = net.connect(silent, '127.0.0.1').on('error', () => {});
      fillers.push(c);
      if (!(await Promise.race([once(c, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(r, 300, false))]))) break;
    }
    cleanup.push(() => fillers.forEach((c) => c.destroy()));

    const before = await settledFds();
    const off = tuneSockets({ client: { deadPeerTimeout: 10_000, sockopts: { TCP_SYNCNT: 1, TCP_NODELAY: true } } });
    cleanup.push(off);
    const codes: Record<string, number> = {};
    const count = (err: Error & { code?: string }) => (codes[err.code ?? err.message] = (codes[err.code ?? err.message] ?? 0) + 1);
    const sockets: net.Socket[] = [];
    const open = (p: number, host = '127.0.0.1') => {
      const s = net.connect(p, host).on('error', count);
      sockets.push(s);
      return s;
    };
    for (let i = 0; i < 50; i++) open(port).destroy(); // before the attempt (next tick)
    for (let i = 0; i < 50; i++) {
      const s = open(port, 'localhost'); // during DNS
      setImmediate(() => s.destroy());
    }
    for (let i = 0; i < 50; i++) {
      const s = open(port);
      s.once('connectionAttempt', () => process.nextTick(() => s.destroy())); // connecting, fd adopted
    }
    const connected = Array.from({ length: 50 }, () => open(port));
    await Promise.all(connected.map((s) => once(s, 'connect').catch(() => {})));
    for (const s of connected) {
      if (fdOfOrNull(s) !== null) expect(getsockopt(s, 'TCP_USER_TIMEOUT')).toBe(10_000);
      s.destroy();
    }
    const refused = Array.from({ length: 50 }, () => open(refusedPort));
    await Promise.all(refused.map(closedP));
    const hanging = Array.from({ length: 300 }, () => open(silent));
    await new Promise((r) => setTimeout(r, 200));
    for (const s of hanging) s.destroy();
    await Promise.all(sockets.map(closedP));
    const after = await settledFds();
    figure('policy abuse: fds before/after 550 sockets destroyed at every stage', { before, after, errors: codes });
    expect(after).toBe(before);
    expect(uncaught).toEqual([]);
    expect(codes.ECONNREFUSED).toBe(50);
  }, 30_000);

  it('hostile policies and filters', async () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    const throwing = { get sockopts(): never { throw new Error('getter'); } };
    expect(() => tuneSockets({ client: throwing as never })).toThrow('getter');
    expect(code(() => tuneSockets({ client: [] as never }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => tuneSockets({ client: { sockopts: [] as never } }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => tuneSockets({ client: { keepAlive: [] as never } }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => tuneSockets({ client: { sockopts: { constructor: 1 } as never } }))).toBe('ERR_SOCKOPT_UNKNOWN_OPTION');
    expect(code(() => tuneSockets({ client: JSON.parse('{"__proto__":{"sockopts":{}}}') }))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => tuneSockets({ client: { deadPeerTimeout: Infinity } }))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => tuneSockets({ client: { userTimeout: 2 ** 31 } }))).toBe('ERR_OUT_OF_RANGE');

    // A filter that answers with a non-boolean counts by truthiness; one that throws leaves its socket without the policy.
    const server = await listeningServer();
    cleanup.push(() => new Promise((r) => server.close(r)));
    server.on('connection', (c) => c.on('error', () => {}));
    const port = (server.address() as net.AddressInfo).port;
    let answer: unknown = 'yes';
    cleanup.push(tuneSockets({ client: { userTimeout: 3_000 }, filter: ({ direction }) => { if (answer === 'throw') throw new TypeError('bad filter'); return direction === 'client' && (answer as boolean); } }));
    const a = net.connect(port, '127.0.0.1');
    await once(a, 'connect');
    expect(getsockopt(a, 'TCP_USER_TIMEOUT')).toBe(3_000);
    answer = 0;
    const b = net.connect(port, '127.0.0.1');
    await once(b, 'connect');
    expect(getsockopt(b, 'TCP_USER_TIMEOUT')).toBe(0);
    answer = 'throw';
    const c = net.connect(port, '127.0.0.1');
    await once(c, 'connect');
    expect(getsockopt(c, 'TCP_USER_TIMEOUT')).toBe(0);
    a.destroy();
    b.destroy();
    c.destroy();
    expect(uncaught).toEqual([]);
  });

  it('agent() takes what http.Agent takes (nothing, null) and refuses a bad policy', () => {
    for (const options of [undefined, null, {}]) agent(options as never).destroy();
    expect(() => agent({ policy: null as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => agent({ policy: { sockopts: { SO_ERROR: 1 } as never } })).toThrow(expect.objectContaining({ code: 'ERR_SOCKOPT_READ_ONLY' }));
  });
});

// events.once() rejects on 'error'; these sockets are expected to fail.
function closedP(s: net.Socket): Promise<unknown> | undefined {
  return s.closed ? undefined : new Promise((r) => s.once('close', r));
}

function fdOfOrNull(s: net.Socket): number | null {
  const fd = (s as unknown as { _handle?: { fd?: number } | null })._handle?.fd ?? -1;
  return fd >= 0 ? fd : null;
}
