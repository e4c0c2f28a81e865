// Targets that are not a live process's id: a thread's id (its name forging a Tgid line),
// a zombie; and an options object whose getters answer differently each time.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSockets, snapshotPid } from '../../src/index';
import { codeOf, figure, python, spawnAsync } from '../helpers';

const bin = join(__dirname, '..', '..', 'lib', 'cli.js');

// A listener, a thread named "\nTgid:\t<its id>\n" (prctl PR_SET_NAME), and a child
// that exits at once and is never reaped: a zombie.
const TARGET = `
import ctypes, json, os, socket, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
listener = socket.create_server(('127.0.0.1', 0))
ready = threading.Event()
tid = []
def named():
    tid.append(threading.get_native_id())
    libc.prctl(15, ctypes.c_char_p(b'\\nTgid:\\t%d\\n' % tid[0]), 0, 0, 0)
    ready.set()
    threading.Event().wait()
threading.Thread(target=named, daemon=True).start()
ready.wait()
zombie = os.fork()
if zombie == 0:
    os._exit(0)
print(json.dumps({'pid': os.getpid(), 'tid': tid[0], 'zombie': zombie, 'fd': listener.fileno()}), flush=True)
sys.stdin.read()
`;

let target: ChildProcess;
let info: { pid: number; tid: number; zombie: number; fd: number };

beforeAll(async () => {
  target = spawn(python, ['-c', TARGET], { stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  target.stdout!.on('data', (d: Buffer) => (text += d));
  while (!text.includes('\n')) await once(target.stdout!, 'data');
  info = JSON.parse(text);
  // The zombie is one once its exit is seen: state Z in /proc/PID/stat.
  for (let i = 0; i < 100; i++) {
    if (/\) Z /.test(readFileSync(`/proc/${info.zombie}/stat`, 'latin1'))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(() => {
  target?.stdin!.end();
});

describe('a thread\'s id', () => {
  it('is refused by name, pointing at its process, whatever the thread calls itself', async () => {
    // The precondition: the thread's name is its status's first line, escaped by the kernel.
    expect(readFileSync(`/proc/${info.tid}/status`, 'latin1').split('\n')[0]).toBe(`Name:\t\\nTgid:\t${info.tid}\\n`);
    for (const call of [() => snapshotPid(info.tid), () => listSockets(info.tid), () => snapshotPid(info.tid, { options: false, fd: info.fd })]) {
      expect(call).toThrow(`pid ${info.tid} is a thread of process ${info.pid}, not a process: inspect ${info.pid}`);
      expect(codeOf(call)).toBe('ERR_INVALID_ARG_VALUE');
    }
    const r = await spawnAsync(process.execPath, [bin, 'inspect', String(info.tid)]);
    figure('inspect TID', r.stderr.trim());
    expect([r.status, r.stderr.split('\n')[0]]).toEqual([2, `sockopt: pid ${info.tid} is a thread of process ${info.pid}, not a process: inspect ${info.pid} (its threads share its fd table)`]);
    // The process itself is read as ever.
    expect(snapshotPid(info.pid, { fd: info.fd }).sockets).toMatchObject([{ fd: info.fd, kind: 'tcp', state: 'LISTEN' }]);
  });
});

describe('a zombie', () => {
  it('has exited: ESRCH, exit 1, with --fd and --json too; never "0 sockets"', async () => {
    for (const call of [() => snapshotPid(info.zombie), () => listSockets(info.zombie), () => snapshotPid(info.zombie, { fd: 3 })]) {
      expect(call).toThrow(`pid ${info.zombie} has exited (a zombie its parent has not reaped yet)`);
      expect(codeOf(call)).toBe('ESRCH');
    }
    for (const args of [[], ['--json'], ['--fd', '3']]) {
      const r = await spawnAsync(process.execPath, [bin, 'inspect', String(info.zombie), ...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain('has exited (a zombie');
      if (args[0] === '--json') expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ESRCH' } });
      else expect(r.stdout).toBe('');
    }
  });
});

describe('options read once', () => {
  it('a getter is read once: the value checked is the value used', () => {
    let reads = 0;
    const report = snapshotPid(info.pid, {
      get fd() {
        reads++;
        return reads === 1 ? info.fd : ('../../self/fd/0' as unknown as number);
      },
    });
    expect(reads).toBe(1);
    expect(report.sockets.map((s) => s.fd)).toEqual([info.fd]);
  });

  it('options.options must be a boolean', () => {
    expect(codeOf(() => snapshotPid(info.pid, { options: 'false' as unknown as boolean }))).toBe('ERR_INVALID_ARG_TYPE');
  });
});
