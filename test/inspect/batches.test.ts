// A process with more sockets than one batch (src/inspect/duplicates.ts): the first, larger
// batch is read while the socket tables are dumped, and each batch after it on a native
// thread while the one before is decoded.
// Every row must still land on its own fd: each TCP socket of the target carries its own
// TCP_USER_TIMEOUT, and whole reports match the one-socket (`fd`) reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotPid, type SocketReport } from '../../src/index';
import { BATCH, canReadAhead, FIRST_BATCH } from '../../src/inspect/duplicates';
import { python } from '../helpers';

const PAIRS = Math.ceil((FIRST_BATCH + 2.5 * BATCH) / 2); // the first batch, then three, the last one partial
let target: ChildProcess;
let pid = 0;

beforeAll(async () => {
  target = spawn(python, ['-c', `
import json, os, resource, socket, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
listener = socket.create_server(('127.0.0.1', 0), backlog=1024)
held = []
for _ in range(${PAIRS}):
    c = socket.create_connection(listener.getsockname())
    a, _ = listener.accept()
    held += [c, a]
held += list(socket.socketpair())
for s in held:
    if s.family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 10 * s.fileno())
print(json.dumps({'pid': os.getpid()}), flush=True)
sys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(target.stdout!, 'data')) as [Buffer];
  pid = (JSON.parse(line.toString()) as { pid: number }).pid;
});
afterAll(() => {
  target?.stdin?.end();
});

// TCP_INFO's counters and timestamps move between two reads: compare its keys only.
const steady = (s: SocketReport) => JSON.parse(JSON.stringify({ ...s, tcpInfo: s.tcpInfo && Object.keys(s.tcpInfo) })) as unknown;

describe.skipIf(!canReadAhead)('sockets in more than one batch', () => {
  it('each row is its own fd\'s, as the one-socket read gives it', (ctx) => {
    const report = snapshotPid(pid);
    if (!report.optionsRead) return ctx.skip(); // no ptrace-attach rights here
    const tcp = report.sockets.filter((s) => s.kind === 'tcp' && s.state === 'ESTABLISHED');
    expect(report.sockets.length).toBeGreaterThan(FIRST_BATCH + 2 * BATCH);
    expect(tcp).toHaveLength(2 * PAIRS);
    for (const s of tcp) expect(s.options?.IPPROTO_TCP?.TCP_USER_TIMEOUT).toBe(10 * s.fd);
    expect(report.sockets.filter((s) => s.kind === 'unix' && s.peer?.pid === pid)).toHaveLength(2);
    for (const i of [0, FIRST_BATCH - 1, FIRST_BATCH, FIRST_BATCH + BATCH - 1, FIRST_BATCH + BATCH, report.sockets.length - 1]) {
      const s = report.sockets[i]!;
      expect(s.error).toBeUndefined();
      expect(steady(snapshotPid(pid, { fd: s.fd }).sockets[0]!)).toEqual(steady(s));
    }
  });
});
