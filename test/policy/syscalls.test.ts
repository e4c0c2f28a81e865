// What a policy costs the kernel, counted: under strace, one connection made and accepted
// with a policy for both directions makes the syscalls of the same options set by hand,
// plus the one libuv's uv_tcp_open() adds for the socket made before the SYN (ioctl
// FIONBIO), minus the accepted socket's options the listener already gave it (set once on
// the listener: policy/inherit.ts). Node's afterConnect replay of noDelay and keepalive,
// which the kernel already holds, is skipped. And the app's own setNoDelay still reaches the kernel.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getsockopt, setsockopt, tuneSockets } from '../../src/index';
import { fdOf, figure, fixtures, oracle, root } from '../helpers';

const TRACED = 'socket,setsockopt,getsockopt,ioctl,connect,accept4,shutdown,write';

function syscalls(mode: 'policy' | 'hand'): string[] {
  // strace writes its trace to stderr, where the fixture's MARK lines also go (traced as write()s).
  const run = spawnSync('strace', ['-f', '-qq', '-e', `trace=${TRACED}`, process.execPath, join(fixtures, 'connection-syscalls.js'), mode, root], { encoding: 'utf8', timeout: 30_000 });
  expect(run.status, run.stderr).toBe(0);
  const out = run.stderr;
  const lines = out.split('\n');
  const from = lines.findIndex((l) => l.includes('MARK-START'));
  const to = lines.findIndex((l) => l.includes('MARK-END'));
  expect(from, out).toBeGreaterThanOrEqual(0);
  return lines
    .slice(from + 1, to)
    .map((l) => l.replace(/^\[pid\s+\d+\]\s+|^\d+\s+/, ''))
    .filter((l) => !l.startsWith('write(') && !l.startsWith('<...')) // a call another thread interrupted is counted at its start
    // The call with its option (or request) name, not its fd or port: "setsockopt SOL_TCP TCP_NODELAY".
    .map((l) => {
      const m = /^(\w+)\((\d+), ([A-Z_]+)?,? ?([A-Z_]+)?/.exec(l);
      return m ? [m[1], m[3], m[4]].filter(Boolean).join(' ') : l.split('(')[0]!;
    });
}

const cleanups: (() => unknown)[] = [];

// A client policy with TCP_NODELAY on and a loopback server's port; both undone after the test.
async function noDelayServer(): Promise<number> {
  cleanups.push(tuneSockets({ client: { sockopts: { TCP_NODELAY: true } } }));
  const server = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return (server.address() as net.AddressInfo).port;
}
function connectTo(port: number): net.Socket {
  const c = net.connect(port, '127.0.0.1');
  cleanups.push(() => c.destroy());
  return c;
}
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('what a policy costs the kernel', () => {
  it('a connection under a policy for both ends: the by-hand syscalls plus ioctl(FIONBIO), minus what the listener gave, nothing replayed', () => {
    const hand = syscalls('hand');
    const policy = syscalls('policy');
    figure('syscalls of one connection, both ends', { hand: hand.length, policy: policy.length, extra: policy.filter((c) => !hand.includes(c)) });
    const count = (list: string[]) => list.reduce<Record<string, number>>((m, c) => ((m[c] = (m[c] ?? 0) + 1), m), {});
    const expected = count(hand);
    expected['ioctl FIONBIO'] = (expected['ioctl FIONBIO'] ?? 0) + 1;
    // The accepted socket's copies of the listener's: its keepalive, user timeout and noDelay
    // (the buffers stay per socket: a set size could never be given back to the listener).
    for (const inherited of ['SOL_SOCKET SO_KEEPALIVE', 'SOL_TCP TCP_KEEPIDLE', 'SOL_TCP TCP_KEEPINTVL', 'SOL_TCP TCP_KEEPCNT', 'SOL_TCP TCP_USER_TIMEOUT', 'SOL_TCP TCP_NODELAY']) {
      expected[`setsockopt ${inherited}`]! -= 1;
    }
    expect(count(policy)).toEqual(expected);
    expect(hand.filter((c) => c === 'setsockopt SOL_TCP TCP_NODELAY')).toHaveLength(2); // one per end
  });

  it('the app’s own setNoDelay after connect still reaches the kernel (the skipped replay is only Node’s own)', async () => {
    const c = connectTo(await noDelayServer());
    await once(c, 'connect');
    const fd = fdOf(c);
    const [level, optname] = [6, 1]; // IPPROTO_TCP, TCP_NODELAY (Linux)
    const ON = '01000000'; // the int's bytes, as Python's getsockopt returns them
    expect(await oracle(fd, [['get', level, optname, 4]])).toEqual([ON]);
    c.setNoDelay(false);
    expect(getsockopt(c, 'TCP_NODELAY')).toBe(false);
    expect(await oracle(fd, [['get', level, optname, 4]])).toEqual(['00000000']);
    c.setNoDelay(true);
    expect(await oracle(fd, [['get', level, optname, 4]])).toEqual([ON]);
  });

  it('TCP_NODELAY turned off through sockopt while connecting: the app’s setNoDelay(true) after connect reaches the kernel', async () => {
    const c = connectTo(await noDelayServer());
    // The app's own listener runs after the policy's: the attempt's socket is there, configured.
    c.once('connectionAttempt', () => setsockopt(c, 'TCP_NODELAY', false));
    await once(c, 'connect');
    const fd = fdOf(c);
    const [level, optname] = [6, 1]; // IPPROTO_TCP, TCP_NODELAY (Linux)
    expect(await oracle(fd, [['get', level, optname, 4]])).toEqual(['00000000']); // Node did not replay it: its cache says off
    c.setNoDelay(true); // was taken for Node's replay and skipped: the kernel stayed off
    expect(await oracle(fd, [['get', level, optname, 4]])).toEqual(['01000000']);
    expect(getsockopt(c, 'TCP_NODELAY')).toBe(true);
  });
});
