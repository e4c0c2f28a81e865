// The addon is context-aware: it loads in several worker threads at once, works in
// each, and workers that come and go leave nothing visible behind.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers';

const lib = root;
// The ASan runtime (scripts/asan.sh preloads it) keeps freed pages of each worker's
// isolate around, so RSS drifts far more than with the plain allocator.
const UNDER_ASAN = /libasan/.test(process.env.LD_PRELOAD ?? '');
const job = `
  const { parentPort, workerData } = require('node:worker_threads');
  const net = require('node:net');
  const { getsockopt, setsockopt, getTcpInfo } = require(workerData.lib);
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const c = net.connect(server.address().port, '127.0.0.1', () => {
      const values = [];
      for (let i = 0; i < 200; i++) {
        setsockopt(c, 'TCP_USER_TIMEOUT', workerData.id * 1000 + i);
        values.push(getsockopt(c, 'TCP_USER_TIMEOUT'));
      }
      parentPort.postMessage({ id: workerData.id, last: values.at(-1), ok: values.every((v, i) => v === workerData.id * 1000 + i), state: getTcpInfo(c).state });
      c.destroy();
      server.close();
    });
  });`;

function runWorker(id: number): Promise<{ id: number; last: number; ok: boolean; state: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(job, { eval: true, workerData: { id, lib } });
    w.once('message', (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

// sock_diag records name their fields with strings the addon keeps per environment
// (native/sockdiag_records_linux.cc): each worker's own, dropped when it ends.
const listJob = `
  const { parentPort, workerData } = require('node:worker_threads');
  const net = require('node:net');
  const { listSockets } = require(workerData.lib);
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    const mine = listSockets(process.pid).find((s) => s.kind === 'tcp' && s.local && s.local.port === port);
    parentPort.postMessage(mine ? { state: mine.state, port: mine.local.port === port } : null);
    server.close();
  });`;

function runEval(code: string, id: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { id, lib } });
    w.once('message', (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('worker_threads', () => {
  it.runIf(process.platform === 'linux')('sock_diag records in workers that come and go, then in the main thread', async () => {
    for (let i = 0; i < 6; i++) {
      expect(await Promise.all([runEval(listJob, 1), runEval(listJob, 2)])).toEqual([{ state: 'LISTEN', port: true }, { state: 'LISTEN', port: true }]);
    }
    expect(await runEval(listJob, 3)).toEqual({ state: 'LISTEN', port: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { listSockets } = require(lib) as typeof import('../../src/index');
    const server = (await import('node:net')).createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const mine = listSockets(process.pid).find((s) => s.kind === 'tcp' && s.local !== null && 'port' in s.local && s.local.port === port);
    server.close();
    expect(mine?.state).toBe('LISTEN');
  });

  it('4 workers load the addon at once and each gets its own socket values', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(runWorker));
    expect(results).toEqual([1, 2, 3, 4].map((id) => ({ id, last: id * 1000 + 199, ok: true, state: 'ESTABLISHED' })));
  });

  it('workers that load and unload it repeatedly leave no visible growth', async () => {
    for (let i = 0; i < 4; i++) await runWorker(i + 1); // warm-up: allocator pools, code caches
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 24; i++) await Promise.all([runWorker(1), runWorker(2)]);
    const growth = process.memoryUsage().rss - before;
    // 48 worker lifetimes; a leaked isolate would be ~10 MB each (~480 MB). The bound
    // leaves room for allocator noise, which is larger under the ASan runtime.
    expect(growth).toBeLessThan((UNDER_ASAN ? 192 : 64) * 1024 * 1024);
  });
});
