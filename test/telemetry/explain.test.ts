// explainErrors on real sockets: a peer reset on loopback, a SYN never answered (a
// listener whose accept queue is full, TCP_SYNCNT 1) for net.connect and global fetch,
// and, in a network namespace of our own, a peer that vanishes with data in flight
// (TCP_USER_TIMEOUT) and while idle (keepalive probes). The code stays Node's.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { tuneSockets } from '../../src/policy/tune-sockets';
import { explainErrors, trackConnections } from '../../src/telemetry/telemetry';
import type { TcpExplained } from '../../src/telemetry/explain';
import { silentPeer } from '../birth/helpers';
import { figure, fixtures, tcpPair } from '../helpers';

type Explained = NodeJS.ErrnoException & { tcp?: TcpExplained };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const errorOf = (s: net.Socket) => new Promise<Explained>((r) => s.once('error', r));

describe('explainErrors', () => {
  it('off (the default): the error is exactly Node’s, no err.tcp', async () => {
    cleanups.push(trackConnections({ interval: 0 }));
    const p = await tcpPair();
    cleanups.push(() => p.close());
    const err = errorOf(p.client);
    p.client.write('x');
    await once(p.accepted, 'data');
    p.accepted.resetAndDestroy();
    const e = await err;
    expect(e.message).toBe('read ECONNRESET');
    expect(e.tcp).toBeUndefined();
  });

  it('one prototype hook while on (counted holders, shared with tracking), Node’s own back after', () => {
    const node = net.Socket.prototype._destroy;
    const b0 = explainErrors();
    expect(net.Socket.prototype._destroy).not.toBe(node);
    b0();
    expect(net.Socket.prototype._destroy).toBe(node); // off: nothing hooked
    const stopTracking = trackConnections({ interval: 0 });
    const a = trackConnections({ interval: 0, explainErrors: true });
    const b = explainErrors();
    expect(net.Socket.prototype._destroy).not.toBe(node);
    a();
    a();
    expect(net.Socket.prototype._destroy).not.toBe(node); // b still holds it
    b();
    stopTracking();
    expect(net.Socket.prototype._destroy).toBe(node);
  });

  it('SOCKOPT={"explainErrors":true} under sockopt/register explains errors of every socket, with no tracker', async () => {
    const script = `const net = require('net');
      const s = net.createServer((c) => c.once('data', () => c.resetAndDestroy())).listen(0, '127.0.0.1', () => {
        const c = net.connect(s.address().port, '127.0.0.1', () => c.write('x'));
        c.on('error', (e) => { console.log(JSON.stringify({ message: e.message, code: e.code, bound: e.tcp && e.tcp.bound })); s.close(); });
      });`;
    const register = join(__dirname, '..', '..', 'lib', 'register.js');
    const run = async (env: string | undefined) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['-r', register, '-e', script], { env: { ...process.env, SOCKOPT: env } });
      return JSON.parse(stdout) as { message: string; code: string; bound?: string };
    };
    const [on, withPolicy, off] = await Promise.all([run('{"explainErrors":true}'), run('{"explainErrors":true,"client":{"sockopts":{"TCP_NODELAY":true}}}'), run('{"explainErrors":false}')]);
    figure('explainErrors through SOCKOPT', { on: on.message, off: off.message });
    expect(on).toMatchObject({ code: 'ECONNRESET', bound: 'reset' });
    expect(on.message).toMatch(/^read ECONNRESET \(reset by peer/);
    expect(withPolicy.bound).toBe('reset');
    expect(off.message).toBe('read ECONNRESET');
    await expect(run('{"explainErrors":"yes"}')).rejects.toThrow(/SOCKOPT\.explainErrors" argument must be of type boolean/);
  });

  it('hostile errors given to destroy(): sealed, not extensible, throwing getters, look-alikes; the close record published all the same', async () => {
    const closes: string[] = [];
    const onClose = (m: unknown) => closes.push((m as { direction: string }).direction);
    const dc = await import('node:diagnostics_channel');
    dc.subscribe('sockopt:tcp:close', onClose);
    cleanups.push(() => dc.unsubscribe('sockopt:tcp:close', onClose));
    cleanups.push(trackConnections({ interval: 0, explainErrors: true }));
    const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
    const cases: [string, () => object, (e: Explained) => void][] = [
      // Annotated once or not at all: never the clause without err.tcp (twice, before).
      ['sealed', () => Object.seal(reset()), (e) => expect([e.message, 'tcp' in e]).toEqual(['read ECONNRESET', false])],
      ['not extensible', () => Object.preventExtensions(reset()), (e) => expect([e.message, 'tcp' in e]).toEqual(['read ECONNRESET', false])],
      ['a code getter that throws', () => Object.defineProperty(reset(), 'code', { get() { throw new Error('getter'); } }), (e) => expect('tcp' in e).toBe(false)],
      ['an errno getter that throws', () => Object.defineProperty(reset(), 'errno', { get() { throw new Error('getter'); } }), (e) => expect('tcp' in e).toBe(false)],
      // A look-alike with no message gets err.tcp, and no message made up ("undefined (…)").
      ['a look-alike without a message', () => Object.assign(Object.create(null) as object, { code: 'ECONNRESET', errno: -104 }), (e) => expect([e.message, e.tcp?.bound]).toEqual([undefined, 'reset'])],
    ];
    for (const [what, make, check] of cases) {
      const p = await tcpPair();
      cleanups.push(() => p.close());
      const before = closes.length;
      const err = errorOf(p.client);
      p.client.destroy(make() as Error);
      check(await err);
      await new Promise((r) => setTimeout(r, 30));
      expect([what, closes.slice(before).includes('client')]).toEqual([what, true]);
    }
  });

  it('a peer reset: ECONNRESET with err.tcp and a clause; code, errno and syscall unchanged', async () => {
    cleanups.push(trackConnections({ interval: 0, explainErrors: true }));
    const p = await tcpPair();
    cleanups.push(() => p.close());
    const err = errorOf(p.client);
    p.client.write('x');
    await once(p.accepted, 'data');
    p.accepted.resetAndDestroy();
    const e = await err;
    figure('explainErrors, peer reset (net.connect)', e.message);
    expect(e.code).toBe('ECONNRESET');
    expect(e.errno).toBe(-104);
    expect(e.syscall).toBe('read');
    expect(e.message).toMatch(/^read ECONNRESET \(reset by peer: last data received \d+\.\d s ago\)$/);
    expect(e.stack).toContain(e.message);
    expect(e.tcp).toMatchObject({ bound: 'reset', state: 'CLOSE' });
  });

  it('a SYN never answered: net.connect and fetch fail with ETIMEDOUT naming TCP_SYNCNT', async () => {
    const kill: (() => void)[] = [];
    cleanups.push(() => kill.forEach((k) => k()));
    const port = await silentPeer(kill);
    cleanups.push(tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } }));
    cleanups.push(trackConnections({ interval: 0, explainErrors: true }));
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    const [e, f] = await Promise.all([errorOf(socket), fetch(`http://127.0.0.1:${port}/`).then(() => null, (x: Error & { cause?: Explained }) => x)]);
    const ms = Math.round(performance.now() - started);
    const cause = f!.cause!;
    figure('explainErrors, SYN not answered', { ms, netConnect: e.message, fetch: `${f!.message}; cause: ${cause.message}` });
    for (const x of [e, cause]) {
      expect(x.code).toBe('ETIMEDOUT');
      expect(x.syscall).toBe('connect');
      expect(x.message).toMatch(new RegExp(`^connect ETIMEDOUT 127\\.0\\.0\\.1:${port} \\(SYN not answered: \\d+ retransmits?, rto \\d+\\.\\d s; TCP_SYNCNT 1\\)$`));
      expect(x.tcp).toMatchObject({ bound: 'syn-retries', settings: { TCP_SYNCNT: 1 } });
    }
  });

  it('a peer that vanishes (network namespace): in flight → TCP_USER_TIMEOUT, idle → keepalive probes', async () => {
    const run = async (mode: string) => {
      const { stdout } = await promisify(execFile)('unshare', ['-rn', process.execPath, join(fixtures, 'telemetry-vanish.js'), mode], { timeout: 30_000, env: { ...process.env, SOCKOPT_EXPLAIN: '1' } });
      return JSON.parse(stdout.trim().split('\n').pop()!) as { error?: string; code: string; message: string; tcp: TcpExplained };
    };
    const [ut, ka] = await Promise.all([run('usertimeout'), run('keepalive')]);
    figure('explainErrors, vanished peer (net.connect)', { inFlight: ut.message, idle: ka.message });
    expect(ut.error).toBeUndefined();
    expect(['ETIMEDOUT', 'EHOSTUNREACH']).toContain(ut.code);
    expect(ut.message).toMatch(/ \(no ACK for \d+\.\d s: \d+ retransmits?, rto \d+\.\d s; TCP_USER_TIMEOUT 2000\)$/);
    expect(ut.tcp).toMatchObject({ bound: 'user-timeout', settings: { TCP_USER_TIMEOUT: 2000 } });
    expect(ut.tcp.retransmits).toBeGreaterThan(0);
    expect(ut.tcp.bytesSent! - ut.tcp.bytesAcked!).toBeGreaterThan(900); // the 1000 bytes written after the link went down
    expect(ka.code).toBe('ETIMEDOUT');
    expect(ka.message).toMatch(/^read ETIMEDOUT \(2 keepalive probes unanswered, idle \d+\.\d s; TCP_KEEPIDLE 1, TCP_KEEPINTVL 1, TCP_KEEPCNT 2\)$/);
    expect(ka.tcp).toMatchObject({ bound: 'keepalive', probes: 2 });
  });
});
