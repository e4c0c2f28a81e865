// 8 worker threads for 5 s: each hammers get/set on sockets of its own, and all of
// them share one set of sockets by fd number (each worker owns one option there, so
// every read-back must be that worker's last write). No crash, consistent values.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { fdOf, figure, root, tcpPair } from '../helpers';

const WORKERS = 8;
const SECONDS = Number(process.env.STRESS_SECONDS ?? 5);
// One option per worker on the shared sockets, with a valid range for each.
const SHARED = [
  ['TCP_KEEPIDLE', 1, 30000], ['TCP_KEEPINTVL', 1, 30000], ['TCP_KEEPCNT', 1, 127], ['TCP_USER_TIMEOUT', 0, 1e6],
  ['SO_RCVLOWAT', 1, 1e6], ['TCP_NOTSENT_LOWAT', 1, 1e6], ['SO_PRIORITY', 0, 6], ['IP_TTL', 1, 255],
] as const;

const job = `
  const { parentPort, workerData: w } = require('node:worker_threads');
  const net = require('node:net');
  const { getsockopt, setsockopt, getTcpInfo, snapshot } = require(w.lib);
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const own = net.connect(server.address().port, '127.0.0.1', () => {
      let calls = 0, mismatches = 0;
      const end = Date.now() + w.seconds * 1000;
      const [name, min, max] = w.option;
      while (Date.now() < end) {
        for (let i = 0; i < 200; i++) {
          const v = min + ((calls + i) % (max - min + 1));
          setsockopt(own, 'TCP_USER_TIMEOUT', v);
          if (getsockopt(own, 'TCP_USER_TIMEOUT') !== v) mismatches++;
          for (const fd of w.shared) {
            setsockopt(fd, name, v);
            if (getsockopt(fd, name) !== v) mismatches++;
          }
        }
        getTcpInfo(own);
        snapshot(own);
        calls += 200 * (2 + 2 * w.shared.length) + 2;
      }
      parentPort.postMessage({ calls, mismatches });
      own.destroy(); server.close();
    });
  });`;

describe('worker_threads under load', () => {
  it(`${WORKERS} workers × ${SECONDS} s on own and shared sockets: no crash, consistent values`, async () => {
    const pairs = await Promise.all([tcpPair(4), tcpPair(4)]);
    const shared = pairs.map((p) => fdOf(p.client));
    const start = Date.now();
    const results = await Promise.all(
      SHARED.map(async (option, i) => {
        const w = new Worker(job, { eval: true, workerData: { lib: root, seconds: SECONDS, shared, option, id: i } });
        const [msg] = (await once(w, 'message')) as [{ calls: number; mismatches: number }];
        await w.terminate();
        return msg;
      }),
    );
    const elapsed = (Date.now() - start) / 1000;
    for (const p of pairs) await p.close();
    figure('workers', `${WORKERS} × ${elapsed.toFixed(1)} s, ${results.reduce((n, r) => n + r.calls, 0)} calls, ${results.reduce((n, r) => n + r.mismatches, 0)} mismatches`);
    expect(results.length).toBe(WORKERS);
    expect(results.every((r) => r.calls > 0)).toBe(true);
    expect(results.reduce((n, r) => n + r.mismatches, 0)).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(SECONDS);
  }, 60_000);
});
