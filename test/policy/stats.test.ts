// policyStats() under abuse: called with hostile arguments and `this`, before any policy,
// while policies skip options on open sockets, after they are uninstalled; and its result
// mutated by the caller, which must never reach the counts the next call reports.
import { once } from 'node:events';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyStats, tuneSockets } from '../../src/index';
import { listeningServer, settledFds } from '../helpers';

let server: net.Server;
let port: number;
const open: net.Socket[] = [];
beforeAll(async () => {
  server = await listeningServer();
  server.on('connection', (c) => {
    open.push(c);
    c.on('error', () => {});
  });
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise((r) => server.close(r));
});

async function connect(): Promise<net.Socket> {
  const c = net.connect(port, '127.0.0.1');
  open.push(c);
  await once(c, 'connect');
  return c;
}

// What a caller might pass to a function that takes nothing.
const hostile: unknown[] = [undefined, null, 0, -1, NaN, 2 ** 64, '', 'x'.repeat(1 << 20), Symbol('s'), {}, [], { __proto__: { skipped: 1 } }, JSON.parse('{"__proto__":{"polluted":1}}'), () => {}, new Proxy({}, { get: () => { throw new Error('trap'); } }), Buffer.alloc(8)];

describe('policyStats()', () => {
  it('before any policy: no skips; every hostile argument and `this` is ignored, same answer, nothing thrown', () => {
    expect(policyStats()).toEqual({ skipped: {} });
    const call = policyStats as (...args: unknown[]) => unknown;
    for (const a of hostile) {
      expect(call(a)).toEqual({ skipped: {} });
      expect(call(a, a, a)).toEqual({ skipped: {} });
      expect(call.call(a)).toEqual({ skipped: {} });
      expect(Reflect.apply(call, a, [a])).toEqual({ skipped: {} });
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('while sockets are open: counts what the policy skipped, per option and reason', async () => {
    const off = tuneSockets({ client: { userTimeout: 4_000, sockopts: { IPV6_TCLASS: 0x20 } } });
    try {
      for (let i = 0; i < 3; i++) await connect();
      expect(policyStats()).toEqual({ skipped: { IPV6_TCLASS: { family: 3 } } });
      // Asked again and again while the sockets live: the same counts.
      for (let i = 0; i < 1000; i++) policyStats();
      expect(policyStats().skipped.IPV6_TCLASS).toEqual({ family: 3 });
    } finally {
      off();
    }
  });

  it('its result mutated, frozen or given a new prototype by the caller: the next call reports the same counts', async () => {
    const a = policyStats();
    a.skipped.IPV6_TCLASS!.family = 999;
    a.skipped.IPV6_TCLASS!.refused = 5;
    delete a.skipped.IPV6_TCLASS;
    a.skipped.TCP_NODELAY = { family: 1 };
    (a as { extra?: unknown }).extra = 1;
    Object.setPrototypeOf(a.skipped, { IPV6_TCLASS: { family: -1 } });
    Object.defineProperty(a, 'skipped', { value: null });
    expect(policyStats()).toEqual({ skipped: { IPV6_TCLASS: { family: 3 } } });
    const b = policyStats();
    Object.freeze(b);
    Object.freeze(b.skipped);
    Object.freeze(b.skipped.IPV6_TCLASS);
    // A frozen earlier answer does not stop the counts from moving on.
    const off = tuneSockets({ client: { sockopts: { IPV6_TCLASS: 0x20 } } });
    try {
      await connect();
    } finally {
      off();
    }
    expect(policyStats()).toEqual({ skipped: { IPV6_TCLASS: { family: 4 } } });
    expect(b.skipped.IPV6_TCLASS).toEqual({ family: 3 });
    // Each call returns objects of its own.
    const [c, d] = [policyStats(), policyStats()];
    expect(c).not.toBe(d);
    expect(c.skipped.IPV6_TCLASS).not.toBe(d.skipped.IPV6_TCLASS);
  });

  it('after every policy is uninstalled: the counts stay (since the process started), new sockets add none, no fd is held', async () => {
    const fds = await settledFds();
    expect(policyStats()).toEqual({ skipped: { IPV6_TCLASS: { family: 4 } } });
    await connect();
    expect(policyStats()).toEqual({ skipped: { IPV6_TCLASS: { family: 4 } } });
    for (const s of open.splice(0)) s.destroy();
    for (let i = 0; i < 1000; i++) policyStats();
    expect(await settledFds()).toBeLessThanOrEqual(fds);
  });
});
