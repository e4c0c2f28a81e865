// A worker thread ended (terminate()) while it is inside a native call: the call may
// find its environment shutting down, where Node-API can no longer throw. That must end
// the worker, not the process: node-addon-api aborted the whole process (FATAL ERROR
// "Error::ThrowAsJavaScriptException napi_throw") until binding.gyp defined
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS. Each entry point runs in its own child process
// (an abort would take the test runner down with it).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figure, python, root } from '../helpers';

const ENTRIES = ['snapshot', 'describeSocket', 'getTcpInfo', 'getsockopt'] as const;

// The parent: a loopback connection, a worker calling `entry` on its fd in a loop, then
// terminate() while it runs; 'terminated' once the process has survived that.
const script = (entry: string) => `
const net = require('node:net');
const { Worker } = require('node:worker_threads');
const server = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', async () => {
    const w = new Worker(\`
      const so = require(${JSON.stringify(root)});
      const { workerData: fd, parentPort } = require('node:worker_threads');
      parentPort.postMessage('calling');
      const end = Date.now() + 10000;
      while (Date.now() < end) { try { ${entry === 'getsockopt' ? "so.getsockopt(fd, 'SO_RCVBUF')" : `so.${entry}(fd)`}; } catch {} }
    \`, { eval: true, workerData: c._handle.fd });
    await new Promise((r) => w.once('message', r));
    await new Promise((r) => setTimeout(r, 100));
    await w.terminate();
    console.log('terminated');
    c.destroy();
    server.close();
  });
});`;

describe('a worker terminated inside a native call', () => {
  it.each(ENTRIES)('%s: the worker ends, the process goes on', async (entry) => {
    // Three times each: the abort came 4 runs in 4 for snapshot(), at a moment of chance.
    for (let run = 0; run < 3; run++) {
      const r = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
        const c = execFile(process.execPath, ['-e', script(entry)], { timeout: 30_000 }, (_e, stdout, stderr) => resolve({ code: c.exitCode, signal: c.signalCode, stdout, stderr }));
      });
      if (r.code !== 0) figure(`worker teardown, ${entry}`, `exit ${String(r.code)} ${String(r.signal)}: ${r.stderr.slice(0, 300)}`);
      expect([r.code, r.signal, r.stdout.trim()]).toEqual([0, null, 'terminated']);
      expect(r.stderr).not.toContain('FATAL');
    }
  });
});

// A worker ended while it reads another process's sockets (snapshotPid, streamPid) holds a
// pidfd and a sock_diag socket that its JavaScript `finally` would close: JavaScript runs
// no more there, so the addon closes them as the worker's environment ends. The fds are
// the process's: each terminated worker leaked both until it did.
describe('a worker terminated while it reads another process', () => {
  it.each(['snapshotPid', 'streamPid'] as const)('%s: every fd it opened is closed, once', async (entry) => {
    const target = spawn(python, [join(root, 'bench/inspect-target.py'), '2400'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(target.stdout!, 'data')) as [Buffer];
      const pid = (JSON.parse(line.toString()) as { pid: number }).pid;
      const call = entry === 'streamPid'
        ? `require(${JSON.stringify(join(root, 'lib/inspect/pid.js'))}).streamPid(${pid}, {}, { head() {}, socket() { if (++n === 300) parentPort.postMessage('midway'); } })`
        : `require(${JSON.stringify(root)}).snapshotPid(${pid})`;
      const script = `
        const { Worker } = require('node:worker_threads');
        const { readdirSync, readlinkSync } = require('node:fs');
        const links = () => readdirSync('/proc/self/fd').map((f) => { try { return readlinkSync('/proc/self/fd/' + f); } catch { return ''; } }).filter((l) => l.startsWith('socket:') || l.includes('pidfd')).sort();
        (async () => {
          const before = links();
          let midway = 0;
          for (let i = 0; i < 4; i++) {
            const w = new Worker(\`
              const { parentPort } = require('node:worker_threads');
              let n = 0;
              parentPort.postMessage('started');
              for (;;) ${call.replace(/`/g, '\\`')};
            \`, { eval: true });
            // streamPid says when it is midway; snapshotPid (one call) is ended 40-100 ms into its loop.
            await new Promise((r) => w.on('message', (m) => {
              if (m === 'midway') { midway++; r(); }
              if (m === 'started' && ${JSON.stringify(entry)} === 'snapshotPid') setTimeout(() => { midway++; r(); }, 40 + 20 * i);
            }));
            await w.terminate();
          }
          console.log(JSON.stringify({ midway, before, after: links() }));
        })();`;
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const c = execFile(process.execPath, ['-e', script], { timeout: 60_000 }, (_e, stdout, stderr) => resolve({ code: c.exitCode, stdout, stderr }));
      });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { midway: number; before: string[]; after: string[] };
      expect(out.midway).toBe(4);
      expect(out.after).toEqual(out.before);
    } finally {
      target.stdin!.end();
    }
  });
});
