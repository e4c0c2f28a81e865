// A process with more sockets than one batch (src/inspect/duplicates.ts): the first, larger
// batch is read while the socket tables are dumped, and each batch after it on a native
// thread while the one before is decoded.
// Every row must still land on its own fd: each TCP socket of the target carries its own
// TCP_USER_TIMEOUT, and whole reports match the one-socket (`fd`) reads. The addresses
// (taken from sock_diag's rows, not read from each socket) match what Python's
// getsockname/getpeername say on the same sockets, and the refusals a thread learns from
// the first socket of a family and protocol (IPv6 options on IPv4, TCP options on UDP)
// are the codes the kernel gives each socket read alone. The options taken from the
// sock_diag record instead of getsockopt (duplicates.ts) match Python's getsockopt.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotPid, type SocketReport } from '../../src/index';
import { BATCH, canReadAhead, DuplicateBatch, FIRST_BATCH } from '../../src/inspect/duplicates';
import { binding } from '../../src/kernel/binding';
import { python } from '../helpers';

// The options a TCP or UDP socket's read takes from its sock_diag record (duplicates.ts),
// checked against Python's getsockopt on the same sockets, some of them set away from the default.
const C = binding.constants;
const LEVEL = { SO: 'SOL_SOCKET', IP: 'IPPROTO_IP', IPV6: 'IPPROTO_IPV6', TCP: 'IPPROTO_TCP' } as const;
const levelOf = (n: string) => LEVEL[n.slice(0, n.indexOf('_')) as keyof typeof LEVEL];
const FROM_RECORD = [
  'SO_TYPE', 'SO_ACCEPTCONN', 'SO_COOKIE', 'SO_RCVBUF', 'SO_SNDBUF', 'SO_DOMAIN', 'SO_PROTOCOL', 'SO_MARK', 'SO_BINDTODEVICE', 'SO_PRIORITY',
  'IP_TOS', 'IP_RECVERR', 'IP_FREEBIND', 'IP_TRANSPARENT', 'IP_MULTICAST_LOOP', 'IP_BIND_ADDRESS_NO_PORT',
  'IPV6_TCLASS', 'IPV6_V6ONLY', 'TCP_CONGESTION',
];
const SPECS = FROM_RECORD.map((n) => [n, C[levelOf(n)]!, C[n]!] as const);

const PAIRS = Math.ceil((FIRST_BATCH + 2.5 * BATCH) / 2); // the first batch, then three, the last one partial
let target: ChildProcess;
let pid = 0;
let names: Record<string, [[string, number], [string, number] | null]> = {};
let values: Record<string, Record<string, number | string>> = {};
let dups: Record<string, number> = {}; // a dup'd fd → the fd it copies

beforeAll(async () => {
  target = spawn(python, ['-c', `
import errno, json, os, resource, socket, sys
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
# Other families and protocols among the last batch: IPv6 TCP, UDP bound and connected.
listener6 = socket.create_server(('::1', 0, 0, 0), family=socket.AF_INET6)
for _ in range(3):
    c = socket.create_connection(listener6.getsockname()[:2])
    a, _ = listener6.accept()
    held += [c, a]
for family, host in [(socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')] * 2:
    u = socket.socket(family, socket.SOCK_DGRAM)
    u.bind((host, 0))
    held.append(u)
    v = socket.socket(family, socket.SOCK_DGRAM)
    v.connect(u.getsockname()[:2])
    held.append(v)
# Sockets away from each default the record gives, one option each (IP_TRANSPARENT needs CAP_NET_ADMIN).
for i, s in enumerate(held):
    if s.family == socket.AF_UNIX:
        continue
    for j, (level, name, value) in enumerate([(0, ${C.IP_TOS}, 0x20), (0, ${C.IP_RECVERR}, 1), (0, ${C.IP_FREEBIND}, 1), (0, ${C.IP_MULTICAST_LOOP}, 0), (0, ${C.IP_BIND_ADDRESS_NO_PORT}, 1), (0, ${C.IP_TRANSPARENT}, 1), (1, socket.SO_RCVBUF, 4096 + 64 * s.fileno()),
            (1, ${C.SO_MARK}, (0x80000000 + s.fileno()).to_bytes(4, 'little')), (1, ${C.SO_BINDTODEVICE}, b'lo'), (6, ${C.TCP_CONGESTION}, b'reno'), (41, ${C.IPV6_TCLASS}, 0x40)]):
        if i % 13 != j + 1:
            continue
        try:
            s.setsockopt(level, name, value)
        except OSError:
            pass
    if i % 5 == 2:
        s.setsockopt(socket.SOL_SOCKET, ${C.SO_PRIORITY}, 3)
def values(s):
    out = {}
    for name, level, opt in ${JSON.stringify(SPECS)}:
        try:
            if name == 'SO_COOKIE':
                out[name] = str(int.from_bytes(s.getsockopt(level, opt, 8), 'little'))
            elif name in ('SO_BINDTODEVICE', 'TCP_CONGESTION'):
                out[name] = s.getsockopt(level, opt, 64).split(b'\\0')[0].decode()
            elif name == 'SO_MARK':
                out[name] = s.getsockopt(level, opt) & 0xffffffff
            else:
                out[name] = s.getsockopt(level, opt)
        except OSError as e:
            out[name] = errno.errorcode[e.errno]
    return out
def peer(s):
    try:
        return list(s.getpeername()[:2])
    except OSError:
        return None
# The same sockets on a second fd each (dup): a TCP pair's end, a UDP socket, a unix end.
dups = {os.dup(held[${2 * PAIRS - 1}].fileno()): held[${2 * PAIRS - 1}].fileno(), os.dup(held[-1].fileno()): held[-1].fileno(), os.dup(held[${2 * PAIRS}].fileno()): held[${2 * PAIRS}].fileno()}
names = {s.fileno(): [list(s.getsockname()[:2]), peer(s)] for s in held + [listener, listener6] if s.family != socket.AF_UNIX}
got = {s.fileno(): values(s) for s in held + [listener, listener6] if s.family != socket.AF_UNIX}
print(json.dumps({'pid': os.getpid(), 'names': names, 'values': got, 'dups': dups}), flush=True)
sys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let line = '';
  while (!line.endsWith('\n')) line += ((await once(target.stdout!, 'data')) as [Buffer])[0].toString();
  ({ pid, names, values, dups } = JSON.parse(line) as { pid: number; names: typeof names; values: typeof values; dups: typeof dups });
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
    const own = report.sockets.filter((s) => !(s.fd in dups)); // each socket on its first fd
    const tcp = own.filter((s) => s.kind === 'tcp' && s.family === 'IPv4' && s.state === 'ESTABLISHED');
    expect(report.sockets.length).toBeGreaterThan(FIRST_BATCH + 2 * BATCH);
    expect(tcp).toHaveLength(2 * PAIRS);
    for (const s of tcp) expect(s.options?.IPPROTO_TCP?.TCP_USER_TIMEOUT).toBe(10 * s.fd);
    expect(own.filter((s) => s.kind === 'unix' && s.peer?.pid === pid)).toHaveLength(2);
    const others = own.filter((s) => s.family === 'IPv6' || s.kind === 'udp');
    expect(others).toHaveLength(6 + 1 + 8); // IPv6 TCP pairs, their listener, UDP
    for (const s of [...[0, FIRST_BATCH - 1, FIRST_BATCH, FIRST_BATCH + BATCH - 1, FIRST_BATCH + BATCH, report.sockets.length - 1].map((i) => report.sockets[i]!), ...others]) {
      expect(s.error).toBeUndefined();
      expect(steady(snapshotPid(pid, { fd: s.fd }).sockets[0]!)).toEqual(steady(s));
    }
    // A socket held by two fds: both rows the same socket's, each with the table's view.
    const byFd = new Map(report.sockets.map((s) => [s.fd, s]));
    expect(Object.keys(dups)).toHaveLength(3);
    for (const [copy, of] of Object.entries(dups)) {
      const [a, b] = [byFd.get(Number(copy))!, byFd.get(of)!];
      expect(a.kernel?.source).toBe('sock_diag');
      expect(steady({ ...a, fd: 0 })).toEqual(steady({ ...b, fd: 0 }));
    }
    expect(new Set(Object.values(dups).map((fd) => byFd.get(fd)!.kind))).toEqual(new Set(['tcp', 'udp', 'unix']));
    const ip = own.filter((s) => s.family === 'IPv4' || s.family === 'IPv6');
    expect(ip.length).toBe(Object.keys(names).length);
    for (const s of ip) {
      const [local, remote] = names[s.fd]!;
      const at = (a: SocketReport['local']) => (a && 'address' in a ? [a.address, a.port] : null);
      expect([s.fd, at(s.local), at(s.remote)]).toEqual([s.fd, local, remote]);
    }
    // The options taken from the record, as Python reads them on each socket.
    // A refused one as its code (an IPv6 option on IPv4, a TCP one on UDP).
    const asRead = (s: SocketReport, n: string) => {
      const v = s.options?.[levelOf(n)]?.[n];
      if (v === undefined) return s.skipped?.find((k) => k.option === n)?.code;
      return typeof v === 'boolean' ? Number(v) : v;
    };
    for (const s of ip) {
      const mine = Object.fromEntries(FROM_RECORD.map((n) => [n, asRead(s, n)]));
      expect([s.fd, mine]).toEqual([s.fd, values[s.fd]]);
    }
    const count = (n: string, v: unknown) => ip.filter((s) => s.options?.[levelOf(n)]?.[n] === v).length;
    if (process.getuid?.() === 0) {
      expect(ip.filter((s) => (s.options?.SOL_SOCKET?.SO_MARK as number) >= 0x80000000).length).toBeGreaterThan(100);
      expect(count('SO_BINDTODEVICE', 'lo')).toBeGreaterThan(100);
    }
    expect(count('TCP_CONGESTION', 'reno')).toBeGreaterThan(50);
    expect(count('IPV6_TCLASS', 0x40)).toBeGreaterThan(0);
    expect(count('IPV6_V6ONLY', true)).toBeGreaterThan(0);
    expect(count('SO_PRIORITY', 3)).toBeGreaterThan(50);
    for (const n of ['IP_RECVERR', 'IP_FREEBIND', 'IP_BIND_ADDRESS_NO_PORT']) expect(ip.filter((s) => s.options?.IPPROTO_IP?.[n] === true).length).toBeGreaterThan(100);
    expect(ip.filter((s) => s.options?.IPPROTO_IP?.IP_TOS === 0x20).length).toBeGreaterThan(100);
    // An IPv6 option on an IPv4 socket, a TCP one on UDP: refused with the kernel's code, row after row.
    const codeOf = (s: SocketReport, option: string) => s.skipped?.find((k) => k.option === option)?.code;
    const v4 = report.sockets.filter((s) => s.kind === 'tcp' && s.family === 'IPv4');
    expect(new Set(v4.map((s) => codeOf(s, 'IPV6_V6ONLY'))).size).toBe(1);
    expect(codeOf(v4[0]!, 'IPV6_V6ONLY')).toMatch(/^E/);
    expect(codeOf(others.find((s) => s.kind === 'udp')!, 'TCP_NODELAY')).toMatch(/^E/);
  });
});

describe.skipIf(!canReadAhead)('the optimized code of a row, across full GCs', () => {
  // A row's snapshot gains properties after it is made; V8 keeps the maps they lead to only
  // while some object has them. Without a row held (duplicates.ts, tcpExemplar), a full GC
  // in the middle of the stream threw away the optimized decoding code on Node 20 and 22,
  // and V8 compiled it again (~150 ms of compiling on a 20k-socket process). Node 24 and
  // 26 kept the code either way: there this checks only that the run is clean.
  it('survives them: no "weak objects" deoptimization of decodeSnapshot, snapshot or reportFromSnapshot', (ctx) => {
    if (!snapshotPid(pid, { fd: Number(Object.keys(names)[0]) }).optionsRead) return ctx.skip(); // no ptrace-attach rights here
    const root = join(__dirname, '..', '..');
    // TurboFan sooner, so that the rows of this smaller process run optimized code (the flag's name changed in Node 22).
    const sooner = Number(process.versions.node.split('.')[0]) < 22 ? '--interrupt-budget=10000' : '--invocation-count-for-turbofan=400';
    const r = spawnSync(process.execPath, [
      '--expose-gc', sooner, '--trace-deopt', '-r', join(root, 'test', 'fixtures', 'gc-on-write.js'),
      join(root, 'lib', 'cli.js'), 'inspect', String(pid),
    ], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('deoptimiz'); // the trace is there (other deoptimizations happen)
    const weak = r.stdout.split('\n').filter((l) => l.includes('weak objects') && /SharedFunctionInfo (decodeSnapshot|snapshot|reportFromSnapshot)>/.test(l));
    expect(weak).toEqual([]);
  });
});

describe.skipIf(!canReadAhead)('a refusal in the middle of the read', () => {
  // The kernel refusing a duplicate (EPERM) ends the reading: that fd and the rest come from
  // the tables. The refused fd's row must be its table row, whole: a lean table lets a unix
  // row go once asked for, and the row was asked for a second time to report it.
  it("reports the refused fd from its table row, a unix socket's state and name included", (ctx) => {
    const whole = snapshotPid(pid);
    if (!whole.optionsRead) return ctx.skip(); // no ptrace-attach rights here
    const copied = new Set(Object.values(dups));
    const victim = whole.sockets.find((s) => s.kind === 'unix' && s.peer?.pid === pid && !(s.fd in dups) && !copied.has(s.fd))!;
    expect(victim.state).toBe('CONNECTED');
    const original = DuplicateBatch.prototype.getfdErrno;
    DuplicateBatch.prototype.getfdErrno = function (this: DuplicateBatch, k: number) {
      return (this as unknown as { fds: Int32Array }).fds[k] === victim.fd ? 1 /* EPERM */ : original.call(this, k);
    };
    try {
      const report = snapshotPid(pid);
      expect(report.denied?.code).toBe('EPERM');
      const s = report.sockets.find((x) => x.fd === victim.fd)!;
      expect([s.kind, s.state, s.local, s.remote, s.kernel?.source]).toEqual(['unix', victim.state, victim.local, victim.remote, 'sock_diag']);
      expect(report.sockets).toHaveLength(whole.sockets.length);
    } finally {
      DuplicateBatch.prototype.getfdErrno = original;
    }
  });
});
