// A read whose duplicates the kernel starts refusing midway (the target makes itself
// non-dumpable while it is read): the rest of the sockets come from the socket tables,
// and the connected TCP sockets a streamed read held by their index entries alone (their
// records to come by the ids their reads give) are dumped again whole, TCP_INFO included.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binding } from '../../src/kernel/binding';
import { canReadInetRecords } from '../../src/kernel/inet-diag';
import { python } from '../helpers';
import { canSwitchUser, mayAttachToSibling, readableCopy } from '../privileges';

const asNobody = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
// 1,200 loopback connections, both ends held; SIGUSR1 makes the process non-dumpable
// (prctl PR_SET_DUMPABLE 0), after which only CAP_SYS_PTRACE may duplicate its fds.
const TARGET = `
import ctypes, json, os, signal, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
signal.signal(signal.SIGUSR1, lambda *a: libc.prctl(4, 0, 0, 0, 0))
listener = socket.create_server(('127.0.0.1', 0), backlog=4096)
held = []
for _ in range(1200):
    c = socket.create_connection(listener.getsockname())
    a, _ = listener.accept()
    held += [c, a]
print(json.dumps({'pid': os.getpid()}), flush=True)
sys.stdin.read()
`;

describe.skipIf(!canSwitchUser() || !mayAttachToSibling() || !binding.pidfdGetfd || !canReadInetRecords)('reads refused midway', () => {
  it('a streamed read refused midway gives the rest from the tables: connected TCP sockets dumped again whole', async () => {
    const copy = readableCopy();
    const target = spawn('setpriv', [...asNobody, python, '-c', TARGET], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(target.stdout!, 'data')) as [Buffer];
      const { pid } = JSON.parse(line.toString()) as { pid: number };
      // The reader, as nobody too: at its first socket it has the target refuse from then on.
      const script = `
        const { streamPid } = require(${JSON.stringify(join(copy.root, 'lib', 'inspect', 'pid.js'))});
        const rows = [];
        const tail = streamPid(${pid}, {}, { head() {}, socket(s) {
          if (rows.length === 0) {
            process.kill(${pid}, 'SIGUSR1');
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
          }
          rows.push({ kind: s.kind, state: s.state, options: s.options !== undefined, skmem: s.kernel?.skmem !== undefined, tcpInfo: s.tcpInfo !== undefined, error: s.error?.code ?? null });
        } });
        console.log(JSON.stringify({ tail, rows }));`;
      const r = spawnSync('setpriv', [...asNobody, process.execPath, '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const { tail, rows } = JSON.parse(r.stdout) as { tail: { optionsRead: boolean; denied?: { code: string } }; rows: { kind: string; state: string | null; options: boolean; skmem: boolean; tcpInfo: boolean; error: string | null }[] };
      expect(tail).toMatchObject({ optionsRead: false, denied: { code: 'EPERM' } });
      // Its TCP sockets, and the unix sockets of its stdio (spawn's pipes are socket pairs).
      expect(rows.filter((s) => s.kind === 'tcp').length).toBe(2401);
      expect(rows.filter((s) => s.kind !== 'tcp' && s.kind !== 'unix')).toEqual([]);
      const read = rows.findIndex((s) => !s.options);
      expect(read).toBeGreaterThanOrEqual(1024); // the first batch was read before the refusal
      const rest = rows.slice(read);
      expect(rest.length).toBeGreaterThan(0);
      expect(rest.filter((s) => s.options)).toEqual([]);
      // Each from the tables: its state, its kernel view and TCP_INFO, no error.
      expect(rest.filter((s) => s.kind !== 'tcp' || !['ESTABLISHED', 'LISTEN'].includes(s.state!) || !s.skmem || !s.tcpInfo || s.error !== null)).toEqual([]);
    } finally {
      target.stdin!.end();
      copy.remove();
    }
  });
});
