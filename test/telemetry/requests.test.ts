// Per-request TCP numbers (trackRequests): 100 fetch requests over keep-alive to a loopback
// server with 1 in 10 packets dropped by nftables, and 100 to a clean one, inside a
// network namespace of our own (fixtures/http-loss.js); on loopback here, a failed
// undici request, strict options and stop().
import { execFile } from 'node:child_process';
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { httpChannel, trackRequests, type HttpRequestRecord } from '../../src/telemetry/requests';
import { ensureApt, figure, fixtures } from '../helpers';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function collect(): HttpRequestRecord[] {
  const seen: HttpRequestRecord[] = [];
  const on = (m: unknown) => seen.push(m as HttpRequestRecord);
  diagnostics.subscribe(httpChannel, on);
  cleanups.push(() => diagnostics.unsubscribe(httpChannel, on));
  return seen;
}

describe('trackRequests', () => {
  it('http.request over one kept-alive socket: each request\'s own deltas, not the socket\'s so far; an IPv6 origin in brackets', async () => {
    // On Node 20 the start channel is published when the request is finished, after its
    // 'socket' event for a kept-alive socket: the baseline is read then.
    const seen = collect();
    cleanups.push(trackRequests({ undici: false }));
    const body = 'x'.repeat(1000);
    const server = http.createServer((_req, res) => res.end(body));
    for (const host of ['127.0.0.1', '::1']) {
      server.listen(0, host);
      await once(server, 'listening');
      const port = (server.address() as net.AddressInfo).port;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 4; i++) {
        await new Promise<void>((resolve, reject) => {
          http.get({ host, port, path: `/${i}`, agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
        });
      }
      agent.destroy();
      await new Promise((r) => server.close(r));
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toHaveLength(8);
    const received = seen.map((r) => r.delta?.bytesReceived);
    figure('http.request deltas over one kept-alive socket (bytesReceived, IPv4 then IPv6)', received);
    // Each response is the same size: the same delta every time (it grew with each one before).
    for (const r of seen) expect(r.delta!.bytesReceived).toBe(received[0]);
    expect(seen.slice(4).map((r) => r.origin)).toEqual(Array(4).fill(expect.stringMatching(/^http:\/\/\[::1\]:\d+$/)));
    expect(seen[0]!.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('retransmit deltas > 0 on a lossy path and 0 on a clean one, 100 fetch requests each over keep-alive (nftables, own namespace)', async () => {
    ensureApt('nft', 'nftables');
    const { stdout } = await promisify(execFile)('unshare', ['-rn', process.execPath, join(fixtures, 'http-loss.js')], { timeout: 90_000 });
    type Sum = { requests: number; sockets: number; statuses: number[]; retransmits: number; bytesRetrans: number; withRtt: number };
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { error?: string; lossy: Sum; clean: Sum; http: Sum };
    figure('per-request TCP numbers, 100 fetch requests each, 1 in 10 packets dropped vs none', r);
    expect(r.error).toBeUndefined();
    for (const s of [r.lossy, r.clean]) {
      expect(s.requests).toBe(100);
      expect(s.statuses).toEqual([200]);
      expect(s.withRtt).toBe(100);
      expect(s.sockets).toBeLessThan(10); // keep-alive: connections reused
    }
    expect(r.lossy.retransmits).toBeGreaterThan(0);
    expect(r.lossy.bytesRetrans).toBeGreaterThan(0);
    expect(r.clean.retransmits).toBe(0);
    expect(r.http.requests).toBe(20);
    expect(r.http.statuses).toEqual([200]);
    expect(r.http.retransmits).toBe(0);
  }, 300_000); // nftables from apt first where it is missing

  it('publishes a failed undici request with its error; stop() ends publishing; strict options', async () => {
    const seen = collect();
    const stop = trackRequests({ http: false });
    cleanups.push(stop);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('partial');
      setTimeout(() => res.socket!.destroy(), 20);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/broken`;
    const err = await fetch(url).then((res) => res.arrayBuffer()).then(() => null, (e: Error) => e);
    expect(err).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
    figure('failed fetch request record', { origin: seen[0]!.origin, path: seen[0]!.path, status: seen[0]!.status, error: seen[0]!.error?.message, delta: seen[0]!.delta });
    expect(seen[0]).toMatchObject({ client: 'undici', method: 'GET', path: '/broken', status: 200 });
    expect(seen[0]!.error).toBeInstanceOf(Error);
    expect(seen[0]!.delta).toBeUndefined(); // the connection was gone when undici reported the error: no made-up numbers
    stop();
    await fetch(url).then((res) => res.arrayBuffer()).catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
    expect(diagnostics.channel('undici:client:sendHeaders').hasSubscribers).toBe(false);
    for (const bad of [{ undicii: true }, { http: 'yes' }, null, []]) expect(() => trackRequests(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_INVALID_ARG_(TYPE|VALUE)$/) }));
  });
});
