// PostgreSQL 15 from Debian's apt (started by scripts/test-clients.sh) through pg.
// pg makes its socket with `new net.Socket()` and connects it itself. Node 22+ publishes
// that on net.client.socket; on Node 20 sockopt's channel module delivers it (src/node/channels.ts),
// so tuneSockets reaches pg everywhere; its `stream` factory with arm() is the per-client hook.
import * as net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { arm, tuneSockets } from '../../src/index';
import { codeOf, env, figure, pythonView, settledFdCount, silentPeer, timed } from './harness';

const port = env('PGPORT');
const POLICY = { deadPeerTimeout: 20_000, sockopts: { TCP_NODELAY: true } };
const EXPECTED = { keepalive: 1, idle: 11, interval: 3, count: 3, userTimeout: 20_000, noDelay: 1 };

let off: (() => void) | undefined;
afterEach(() => {
  off?.();
  off = undefined;
});

const socketOf = (client: pg.Client): net.Socket => (client as unknown as { connection: { stream: net.Socket } }).connection.stream;

describe('pg', () => {
  it('stream: () => arm(new net.Socket(), policy) puts the policy on its socket', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', stream: () => arm(new net.Socket(), POLICY) });
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await pythonView(socketOf(client))).toEqual(EXPECTED);
    await client.end();
  });

  it("tuneSockets reaches pg's own new net.Socket().connect() on every Node version", async () => {
    off = tuneSockets({ client: POLICY });
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres' });
    await client.connect();
    const view = await pythonView(socketOf(client));
    figure(`pg under tuneSockets on Node ${process.version}`, view);
    expect(view).toEqual(EXPECTED);
    await client.end();
  });

  it('TCP_SYNCNT: 1 against a silent peer: ETIMEDOUT in about 3 s (pg has no connect timeout by default)', async () => {
    const peer = await silentPeer();
    const client = new pg.Client({ host: '127.0.0.1', port: peer.port, user: 'postgres', stream: () => arm(new net.Socket(), { sockopts: { TCP_SYNCNT: 1 } }) });
    client.on('error', () => {});
    const [ms, err] = await timed(() => client.connect());
    await peer.close();
    figure('pg, TCP_SYNCNT 1, silent peer', { ms, code: codeOf(err) });
    expect(codeOf(err)).toBe('ETIMEDOUT');
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000);
  }, 20_000);

  it('fd count unchanged after 100 connections (one Client at a time, each through the factory)', async () => {
    const once = async () => {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', stream: () => arm(new net.Socket(), POLICY) });
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
    };
    await once();
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) await once();
    const after = await settledFdCount();
    figure('pg fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
  });
});
