// The batch reader's io_uring (native/uring_linux.h): each reader thread reads the
// SOL_SOCKET options of a run of sockets in one io_uring_enter instead of a getsockopt
// each. What it gives must be what the syscall gives: every SOL_SOCKET option of a
// target's sockets, set to a value of its own per fd, equals Python's getsockopt on the
// same socket; the raw rows equal those of the syscall path (ring off) byte for byte;
// strace shows the syscalls it saves (getsockopt, close) and SOCKOPT_URING=0 turning it off; a process short
// of fds (the ring holds a run's duplicates open) still reads every row; every fd it
// opens is closed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canReadDuplicates, DuplicateBatch } from '../../src/inspect/duplicates';
import { optionTable } from '../../src/inspect/snapshot';
import { binding, type Binding } from '../../src/kernel/binding';
import { figure, fixtures, openFds, pidfdWithGetfd, python, root, spawnAsync } from '../helpers';

const C = binding.constants;
const raw = binding as unknown as Record<keyof Binding, (...a: unknown[]) => unknown>;
const layout = binding.readDuplicatesLayout!;
const PAIRS = 400; // 800 TCP sockets: many runs of the ring, and more than it holds open at once
const SOL = optionTable.names.filter((_, i) => optionTable.specs[3 * i] === C.SOL_SOCKET);

let target: ChildProcess;
let pid = 0;
let values: Record<string, Record<string, number | string>> = {};
let sockets: { fd: number; inode: number }[] = [];

beforeAll(async () => {
  target = spawn(python, ['-c', `
import errno, json, os, resource, socket, struct, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
listener = socket.create_server(('127.0.0.1', 0), backlog=1024)
held = [listener]
for _ in range(${PAIRS}):
    c = socket.create_connection(listener.getsockname())
    a, _ = listener.accept()
    held += [c, a]
held += list(socket.socketpair())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 0))
held.append(u)
cpus = os.cpu_count() or 1
def tune(s):
    f = s.fileno()
    sets = [
        (${C.SO_KEEPALIVE}, f % 2), (${C.SO_REUSEADDR}, int(f % 3 == 0)), (${C.SO_REUSEPORT}, int(f % 11 == 0)),
        (${C.SO_OOBINLINE}, int(f % 5 == 0)), (${C.SO_DONTROUTE}, int(f % 7 == 0)), (${C.SO_BROADCAST}, int(f % 4 == 0)),
        (${C.SO_RCVLOWAT}, 1 + f % 1000), (${C.SO_PRIORITY}, f % 7), (${C.SO_MARK}, f), (${C.SO_INCOMING_CPU}, f % cpus),
        (${C.SO_BUSY_POLL}, f % 100), (${C.SO_RCVBUF}, 4096 + 64 * f), (${C.SO_SNDBUF}, 8192 + 32 * f),
        (${C.SO_RCVTIMEO}, struct.pack('ll', f % 7, (f * 1000) % 1000000)),
        (${C.SO_SNDTIMEO}, struct.pack('ll', f % 3, (f * 7000) % 1000000)),
        (${C.SO_LINGER}, struct.pack('ii', f % 2, f % 50)),
    ]
    if f % 9 == 0:
        sets.append((${C.SO_BINDTODEVICE}, b'lo'))
    for name, value in sets:
        try:
            s.setsockopt(socket.SOL_SOCKET, name, value)
        except OSError:
            pass
def read(s):
    out = {}
    for name, opt in ${JSON.stringify(SOL.map((n) => [n, C[n]]))}:
        try:
            if name == 'SO_COOKIE':
                out[name] = str(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, opt, 8), 'little'))
            elif name in ('SO_RCVTIMEO', 'SO_SNDTIMEO'):
                sec, usec = struct.unpack('ll', s.getsockopt(socket.SOL_SOCKET, opt, 16))
                out[name] = sec * 1000 + usec / 1000
            elif name == 'SO_LINGER':
                on, secs = struct.unpack('ii', s.getsockopt(socket.SOL_SOCKET, opt, 8))
                out[name] = secs if on else 'off'
            elif name == 'SO_MARK':
                out[name] = s.getsockopt(socket.SOL_SOCKET, opt) & 0xffffffff
            else:
                out[name] = s.getsockopt(socket.SOL_SOCKET, opt)
        except OSError as e:
            out[name] = errno.errorcode[e.errno]
    try:
        out['SO_BINDTODEVICE'] = s.getsockopt(socket.SOL_SOCKET, ${C.SO_BINDTODEVICE}, 64).split(b'\\0')[0].decode()
    except OSError as e:
        out['SO_BINDTODEVICE'] = errno.errorcode[e.errno]
    return out
for s in held:
    tune(s)
print(json.dumps({'pid': os.getpid(), 'values': {s.fileno(): read(s) for s in held}}), flush=True)
sys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let line = '';
  while (!line.endsWith('\n')) line += ((await once(target.stdout!, 'data')) as [Buffer])[0].toString();
  ({ pid, values } = JSON.parse(line) as { pid: number; values: typeof values });
  sockets = Object.keys(values).map(Number).map((fd) => ({ fd, inode: statSync(`/proc/${pid}/fd/${fd}`).ino }));
});
afterAll(() => {
  target?.stdin?.end();
});

const targetPidfd = () => pidfdWithGetfd(pid, sockets[0]!.fd);

// readDuplicates' raw rows for every socket of the target, with or without the ring.
function rows(pidfd: number, ring: boolean | undefined, threads: number) {
  const n = sockets.length;
  const specs = Int32Array.from(optionTable.specs);
  const m = specs.length / 3;
  let cells = 0;
  for (let i = 0; i < m; i++) cells += specs[3 * i + 2] === 3 ? layout.cells.string : specs[3 * i + 2] === 5 ? layout.cells.bytes : 0;
  const stride = cells + 2 * layout.cells.address + layout.cells.tcpInfo;
  const out = {
    nums: new Float64Array(n * m),
    errs: new Int32Array(n * m),
    wide: new BigUint64Array(n * m),
    meta: new Int32Array(n * layout.meta.size),
    text: new Uint8Array(n * stride),
  };
  const args: unknown[] = [pidfd, Int32Array.from(sockets, (s) => s.fd), Float64Array.from(sockets, (s) => s.inode), new Int32Array(n), specs, out.nums, out.errs, out.wide, out.meta, out.text, threads];
  if (ring !== undefined) args.push(ring);
  raw.readDuplicates!(...args);
  // TCP_INFO's bytes and their length move between two reads; everything before them must not.
  const steady = new Uint8Array(n * (stride - layout.cells.tcpInfo));
  for (let k = 0; k < n; k++) steady.set(out.text.subarray(k * stride, (k + 1) * stride - layout.cells.tcpInfo), k * (stride - layout.cells.tcpInfo));
  const meta = out.meta.filter((_, i) => i % layout.meta.size !== layout.meta.tcpInfo + 1);
  return { nums: out.nums, errs: out.errs, wide: out.wide, meta, steady };
}

describe.skipIf(!canReadDuplicates)('the batch reader\'s io_uring', () => {
  it('reads every SOL_SOCKET option as Python\'s getsockopt does, each set to a value of its own per fd', (ctx) => {
    const pidfd = targetPidfd();
    if (pidfd === null) return ctx.skip(); // no ptrace-attach rights here
    try {
      const batch = new DuplicateBatch(pidfd, sockets.length, 2);
      batch.read(sockets.map((s) => ({ ...s, queues: false })));
      let compared = 0;
      sockets.forEach((s, k) => {
        expect(batch.getfdErrno(k)).toBe(0);
        const snap = batch.snapshot(k, s.fd) as unknown as { options: Record<string, Record<string, unknown>>; skipped?: { option: string; code: string }[] };
        for (const [name, want] of Object.entries(values[s.fd]!)) {
          const v = snap.options.SOL_SOCKET?.[name];
          let got: unknown = v === undefined ? snap.skipped?.find((x) => x.option === name)?.code : v;
          if (typeof got === 'bigint') got = got.toString();
          if (typeof got === 'boolean') got = got ? 1 : 0;
          if (name === 'SO_LINGER' && got === null) got = 'off'; // null: off
          if ((name === 'SO_RCVTIMEO' || name === 'SO_SNDTIMEO') && got === null) got = 0; // null: no timeout
          if (name === 'SO_MARK' && typeof got === 'number') got = got >>> 0;
          expect([s.fd, name, got]).toEqual([s.fd, name, want]);
          compared++;
        }
      });
      expect(compared).toBe(sockets.length * (SOL.length + 1));
    } finally {
      binding.close!(pidfd);
    }
  });

  it('gives the raw rows the syscall path gives, byte for byte, on one thread and on two, and closes what it opens', (ctx) => {
    const pidfd = targetPidfd();
    if (pidfd === null) return ctx.skip();
    try {
      const before = openFds();
      const plain = rows(pidfd, undefined, 1);
      for (const threads of [1, 2]) {
        const ring = rows(pidfd, true, threads);
        expect(openFds()).toBe(before);
        expect(ring.errs).toEqual(plain.errs);
        expect(ring.nums).toEqual(plain.nums);
        expect(ring.wide).toEqual(plain.wide);
        expect(ring.meta).toEqual(plain.meta);
        expect(Buffer.from(ring.steady).equals(Buffer.from(plain.steady))).toBe(true);
      }
      expect(rows(pidfd, false, 2).errs).toEqual(plain.errs);
    } finally {
      binding.close!(pidfd);
    }
  });

  it('saves a getsockopt per SOL_SOCKET option read and a close per socket, and SOCKOPT_URING=0 turns it off (counted with strace)', async (ctx) => {
    if (targetPidfd() === null) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'sockopt-ring-'));
    try {
      const run = async (env: NodeJS.ProcessEnv, name: string) => {
        const trace = join(dir, name);
        // -ff: a file per thread, so no call is split into "unfinished" and "resumed" lines.
        const r = await spawnAsync('strace', ['-ff', '-qq', '-e', 'trace=getsockopt,close,io_uring_setup,io_uring_enter', '-o', trace, process.execPath, join(fixtures, 'ring-read.js'), String(pid), root], {
          timeout: 60_000, env: { ...process.env, ...env },
        });
        expect(r.status, r.stderr).toBe(0);
        const text = readdirSync(dir).filter((f) => f.startsWith(`${name}.`)).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
        const calls = text.split('\n').map((l) => /^(\w+)\(.*\) += (-?\d+)/.exec(l)).filter((m) => m !== null);
        const count = (call: string) => calls.filter((m) => m[1] === call).length;
        const refused = calls.some((m) => m[1] === 'io_uring_setup' && Number(m[2]) < 0);
        return { out: JSON.parse(r.stdout) as { optionsRead: boolean; errors: number; sockets: unknown[] }, gets: count('getsockopt'), closes: count('close'), setups: count('io_uring_setup'), enters: count('io_uring_enter'), refused };
      };
      const ring = await run({}, 'ring');
      const plain = await run({ SOCKOPT_URING: '0' }, 'plain');
      expect(ring.out.optionsRead).toBe(true);
      expect(ring.out.errors).toBe(0);
      expect(ring.out).toEqual(plain.out);
      // Node's libuv may set up rings of its own (Node 22 does): ours are the difference.
      expect(ring.setups).toBeGreaterThan(plain.setups);
      // The socket command came with Linux 6.7; a sandbox may refuse io_uring_setup. Then
      // every option is read with the syscall, as without the ring, and that is what to see.
      const [major, minor] = release().split('.').map(Number) as [number, number];
      if (ring.refused || major < 6 || (major === 6 && minor < 7)) {
        figure('io_uring', `not available here (io_uring_setup refused: ${ring.refused}, kernel ${release()}): getsockopt ${ring.gets} with the ring asked for, ${plain.gets} without`);
        expect(ring.gets).toBe(plain.gets);
        expect(ring.closes).toBe(plain.closes);
        return;
      }
      figure('io_uring', `getsockopt ${plain.gets} -> ${ring.gets}, close ${plain.closes} -> ${ring.closes}, io_uring_enter ${plain.enters} -> ${ring.enters}, for ${ring.out.sockets.length} sockets`);
      // Each TCP socket has at least 13 SOL_SOCKET options its record does not give.
      expect(plain.gets - ring.gets).toBeGreaterThanOrEqual(13 * 2 * PAIRS);
      expect(ring.enters - plain.enters).toBeGreaterThan(0);
      expect(ring.enters - plain.enters).toBeLessThan(2 * PAIRS);
      // Each duplicate is closed through the ring, after its run's reads: a close syscall less per socket.
      expect(plain.closes - ring.closes).toBeGreaterThanOrEqual(2 * PAIRS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every row in a process short of fds, where the held duplicates take the room', (ctx) => {
    if (targetPidfd() === null) return ctx.skip();
    const r = spawnSync('bash', ['-c', 'ulimit -n 40 && exec "$0" "$@"', process.execPath, join(fixtures, 'ring-read.js'), String(pid), root], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { errors: number; sockets: { fd: number; options?: unknown }[] };
    expect(out.sockets.length).toBeGreaterThanOrEqual(sockets.length); // and the stdio socketpairs
    expect(out.sockets.filter((s) => s.options).length).toBe(out.sockets.length);
    expect(out.errors).toBe(0);
  });

  it('refuses a ring argument that is not a boolean, with a TypeError and no read', (ctx) => {
    const pidfd = targetPidfd();
    if (pidfd === null) return ctx.skip();
    try {
      for (const bad of [1, 'yes', null, {}, Symbol('ring')]) {
        expect(() => raw.readDuplicatesStart!(pidfd, new Int32Array(0), new Float64Array(0), new Int32Array(0), new Int32Array(0), 1, bad)).toThrow(TypeError);
        expect(() => raw.readDuplicates!(pidfd, new Int32Array(0), new Float64Array(0), new Int32Array(0), new Int32Array(0), new Float64Array(0), new Int32Array(0), new BigUint64Array(0), new Int32Array(0), new Uint8Array(0), 1, bad)).toThrow(TypeError);
      }
    } finally {
      binding.close!(pidfd);
    }
  });
});
