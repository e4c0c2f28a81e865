// The tuning helpers: units converted as documented, checked before any syscall,
// read back from the kernel — and proved against a peer that really vanishes.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { constants as C, getsockopt, setKeepAlive, setLinger, setTimeouts, setUserTimeout } from '../../src/index';
import { codeOf, fdOf, figure, fixtures, oracle, tcpPair, type TcpPair } from '../helpers';
import { netnsRefusal } from '../privileges';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});


describe('setKeepAlive (milliseconds in, whole seconds in the kernel)', () => {
  it('rounds up to whole seconds, refuses under 1 s (seconds written as ms), and returns what the kernel holds', async () => {
    pair = await tcpPair();
    expect(() => setKeepAlive(pair!.client, { idle: 10 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('for 10 s write 10000') }));
    const held = setKeepAlive(pair.client, { idle: 1500, interval: 1000, count: 4 });
    expect(held).toEqual({ enable: true, idle: 2000, interval: 1000, count: 4 });
    expect(await oracle(fdOf(pair.client), [
      ['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0],
      ['get', C.IPPROTO_TCP!, C.TCP_KEEPIDLE!, 0],
      ['get', C.IPPROTO_TCP!, C.TCP_KEEPINTVL!, 0],
      ['get', C.IPPROTO_TCP!, C.TCP_KEEPCNT!, 0],
    ])).toEqual([1, 2, 1, 4]);
  });

  it('checks every value before the first syscall', async () => {
    pair = await tcpPair();
    const before = getsockopt(pair.client, 'TCP_KEEPIDLE');
    expect(codeOf(() => setKeepAlive(pair!.client, { idle: 5000, count: 0 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => setKeepAlive(pair!.client, { idle: 5000, interval: 0 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => setKeepAlive(pair!.client, { idle: -1 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => setKeepAlive(pair!.client, { idle: 40_000_000 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => setKeepAlive(pair!.client, { idle: '5s' as unknown as number }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(getsockopt(pair.client, 'TCP_KEEPIDLE')).toBe(before);
    expect(getsockopt(pair.client, 'SO_KEEPALIVE')).toBe(false);
  });

  it("keeps Node's keepAlive state in step: socket.setKeepAlive(false) afterwards really clears it", async () => {
    pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 3000 });
    pair.client.setKeepAlive(false);
    expect(getsockopt(pair.client, 'SO_KEEPALIVE')).toBe(false);
    setKeepAlive(pair.client, { enable: false });
    pair.client.setKeepAlive(true, 3000);
    expect(getsockopt(pair.client, 'SO_KEEPALIVE')).toBe(true);
  });
});

describe('setUserTimeout, setLinger, setTimeouts', () => {
  it('return what the kernel holds afterwards', async () => {
    pair = await tcpPair();
    expect(setUserTimeout(pair.client, 30_000)).toBe(30_000);
    expect((await oracle(fdOf(pair.client), [['get', C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, 0]]))[0]).toBe(30_000);
    expect(setUserTimeout(pair.client, 10.2)).toBe(11); // fractions round up, never shorter
    expect(setUserTimeout(pair.client, null)).toBeNull();
    expect(getsockopt(pair.client, 'TCP_USER_TIMEOUT')).toBe(0);
    expect(codeOf(() => setUserTimeout(pair!.client, -5))).toBe('ERR_OUT_OF_RANGE');
    // Near the top of the range: a fraction rounds up into it, or is refused as given (not as rounded).
    expect(setUserTimeout(pair.client, 2 ** 31 - 1.5)).toBe(2 ** 31 - 1);
    expect(() => setUserTimeout(pair!.client, 2 ** 31 - 0.5)).toThrow(/Received 2147483647\.5$/);

    expect(setLinger(pair.client, 3)).toBe(3);
    expect(setLinger(pair.client, null)).toBeNull();

    expect(setTimeouts(pair.client, { recv: 1500, send: 2000 })).toEqual({ recv: 1500, send: 2000 });
    expect(setTimeouts(pair.client, { recv: null })).toEqual({ recv: null, send: 2000 });
  });
});

// Proof on a peer that silently vanishes: a test host in a network namespace of our
// own (test/fixtures/vanish.js), whose link is taken down after one round trip.
describe('a peer that vanishes (network namespace, needs root)', () => {
  const run = async (mode: string) => {
    const { stdout } = await promisify(execFile)('unshare', ['-rn', process.execPath, join(fixtures, 'vanish.js'), mode], { timeout: 30_000 });
    return JSON.parse(stdout) as { code?: string; ms?: number; error?: string; tuned?: unknown };
  };

  it('keepalive { idle: 1000, interval: 1000, count: 2 } fails with ETIMEDOUT in about 3 s; a user timeout of 2 s with unacknowledged data in about 2 s', async () => {
    const refused = netnsRefusal(); // no namespace of our own allowed here: the kernel's refusal is the result
    if (refused) return void expect(refused).toMatch(/Operation not permitted/);
    const [keepalive, userTimeout] = await Promise.all([run('keepalive'), run('usertimeout')]);
    figure('peer vanishes (netns link down)', { keepalive, userTimeout });
    expect(keepalive.error).toBeUndefined();
    expect(keepalive.tuned).toEqual({ enable: true, idle: 1000, interval: 1000, count: 2 });
    expect(keepalive.code).toBe('ETIMEDOUT');
    expect(keepalive.ms).toBeGreaterThan(2_500); // idle 1 s + 2 probes 1 s apart
    expect(keepalive.ms).toBeLessThan(6_000);
    expect(userTimeout.error).toBeUndefined();
    expect(userTimeout.code).toBe('ETIMEDOUT');
    expect(userTimeout.ms).toBeGreaterThan(1_500);
    expect(userTimeout.ms).toBeLessThan(5_000); // Linux's default would be ~15 min (tcp_retries2 = 15)
  });
});
