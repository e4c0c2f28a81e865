// Where inspect's socket tables come from (src/inspect/tables.ts): sock_diag netlink
// records, never /proc/net text a socket's owner can write into; the /proc fallback
// believes a row only when the kernel's protocol name for the fd confirms it; every
// family gets a named kind.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, fstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSockets, snapshot, snapshotPid } from '../../src/index';
import type { SocketReport } from '../../src/inspect/format-socket';
import { kindOfFd, prefetchSocketFds, procSockets, socketFds } from '../../src/inspect/pid-proc';
import { socketTables } from '../../src/inspect/tables';
import { binding, type FdListing } from '../../src/kernel/binding';
import { canReadInetRecords, inetFactsAt, inetRecordAt } from '../../src/kernel/inet-diag';
import { resolveFd } from '../../src/node/fd';
import { fdOf, figure, fixtures, python } from '../helpers';
import { hasCapability } from '../privileges';

const bin = join(__dirname, '..', '..', 'lib', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'sockopt-tables-'));
chmodSync(dir, 0o777); // nobody binds its forging socket here

interface Held {
  proc: ChildProcess;
  info: { pid: number; fds: Record<string, number>; [k: string]: unknown };
}

async function hold(file: string, args: string[]): Promise<Held> {
  const proc = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d));
  const exited = once(proc, 'exit').then(([code]) => {
    throw new Error(`${file} exited with ${String(code)}`);
  });
  while (!text.includes('\n')) await Promise.race([once(proc.stdout!, 'data'), exited]);
  exited.catch(() => {});
  return { proc, info: JSON.parse(text) };
}

const cleanup: ChildProcess[] = [];
afterAll(() => {
  for (const p of cleanup) p.stdin?.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('the forged-row case', () => {
  let victim: Held;
  let forger: Held;
  let inode: number;
  let fd: number;

  beforeAll(async () => {
    // root's process with a TCP listener…
    victim = await hold(python, ['-c', `
import json, os, socket, sys
s = socket.create_server(('127.0.0.1', 0))
print(json.dumps({'pid': os.getpid(), 'fds': {'listener': s.fileno()}, 'inode': os.fstat(s.fileno()).st_ino, 'port': s.getsockname()[1]}), flush=True)
sys.stdin.read()`]);
    cleanup.push(victim.proc);
    inode = victim.info.inode as number;
    fd = victim.info.fds.listener!;
    // …and nobody's unix socket whose path plants a row claiming that inode as a connected unix socket.
    const forged = `x\n0000000000000000: 00000002 00000000 00000000 0001 03 ${inode} forged-by-nobody`;
    forger = await hold('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/usr/bin/python3', '-c', `
import json, os, socket, sys
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind(os.path.join(${JSON.stringify(dir)}, ${JSON.stringify(forged)}))
print(json.dumps({'pid': os.getpid(), 'fds': {}, 'uid': os.getuid()}), flush=True)
sys.stdin.read()`]);
    cleanup.push(forger.proc);
  });

  it('the planted row is really in /proc/net/unix (the precondition)', () => {
    expect(forger.info.uid).toBe(65534);
    const rows = readFileSync(`/proc/${victim.info.pid}/net/unix`, 'latin1').split('\n');
    const planted = rows.filter((l) => l.endsWith(` ${inode} forged-by-nobody`));
    expect(planted).toHaveLength(1);
    figure('forged row in /proc/net/unix (planted by nobody)', planted[0]);
  });

  it('listSockets, snapshotPid({ options: false }) and inspect (sock_diag) report the TCP listener', async () => {
    for (const s of [listSockets(victim.info.pid, { fd })[0]!, snapshotPid(victim.info.pid, { options: false }).sockets.find((x) => x.fd === fd)!]) {
      expect(s).toMatchObject({ fd, inode, kind: 'tcp', family: 'IPv4', state: 'LISTEN', local: { address: '127.0.0.1', port: victim.info.port } });
      expect(s.kernel?.source).toBe('sock_diag');
    }
    const text = await new Promise<string>((resolve) => execFile(process.execPath, [bin, 'inspect', String(victim.info.pid), '--fd', String(fd)], (_e, out) => resolve(out)));
    figure('inspect --fd of the victim with the forged row present', text.trim());
    expect(text).toMatch(new RegExp(`^fd ${fd} +tcp IPv4 127\\.0\\.0\\.1:${victim.info.port as number} LISTEN`, 'm'));
    expect(text).not.toContain('forged');
  });

  it('the /proc fallback sees both claims and believes only the one the kernel names (TCP)', () => {
    const claims = procSockets(victim.info.pid).get(inode)!;
    expect(claims.map((c) => `${c.kind} ${c.state}`).sort()).toEqual(['tcp LISTEN', 'unix CONNECTED']);
    for (const options of [{ fd, tables: 'proc' as const }, { tables: 'proc' as const }]) {
      const s = listSockets(victim.info.pid, options).find((x) => x.fd === fd)!;
      expect(s).toMatchObject({ kind: 'tcp', state: 'LISTEN', local: { port: victim.info.port }, kernel: { source: 'proc' } });
    }
    const snap = snapshotPid(victim.info.pid, { options: false, tables: 'proc' });
    expect(snap.tables).toBe('proc');
    expect(snap.sockets.find((x) => x.fd === fd)).toMatchObject({ kind: 'tcp', state: 'LISTEN' });
  });
});

describe('every kind named', () => {
  it('tcp, udp (UDP-Lite too), unix, netlink, packet, raw (v4, v6), icmp, and families with no table as unknown with the kernel\'s name', async () => {
    const t = await hold('unshare', ['-n', python, join(fixtures, 'kinds-target.py')]);
    cleanup.push(t.proc);
    const want: Record<string, [string, string | null]> = {
      tcp: ['tcp', 'IPv4'], udp: ['udp', 'IPv4'], unix: ['unix', 'unix'], netlink: ['netlink', 'netlink'], packet: ['packet', 'packet'],
      raw: ['raw', 'IPv4'], raw6: ['raw', 'IPv6'], ping: ['icmp', 'IPv4'], udplite: ['udp', 'IPv4'], udplite6: ['udp', 'IPv6'], vsock: ['unknown', null], xdp: ['unknown', null],
    };
    const listed = listSockets(t.info.pid);
    const read = snapshotPid(t.info.pid);
    expect(read.optionsRead).toBe(true);
    for (const [name, [kind, family]] of Object.entries(want)) {
      const fd = t.info.fds[name]!;
      for (const s of [listed.find((x) => x.fd === fd)!, read.sockets.find((x) => x.fd === fd)!]) {
        expect(s.kind, name).toBe(kind);
        expect(s.family, name).toBe(family);
      }
    }
    const by = (name: string) => read.sockets.find((x) => x.fd === t.info.fds[name])!;
    expect(by('netlink')).toMatchObject({ protocol: 0, local: { family: 'netlink' } }); // NETLINK_ROUTE
    // Netlink protocol numbers are not IP's: 6 (NETLINK_XFRM) is not TCP, no TCP_INFO asked of it.
    for (const name of ['netlink6', 'netlink17'].filter((n) => t.info.fds[n] !== undefined)) {
      expect(by(name), name).toMatchObject({ kind: 'netlink', protocol: Number(name.slice(7)) });
      expect(by(name).skipped, name).toEqual(by('netlink').skipped); // NETLINK_ROUTE's, no TCP_INFO among them
      expect(Object.keys(by(name).options!), name).toEqual(Object.keys(by('netlink').options!));
    }
    expect(by('packet')).toMatchObject({ protocol: 3, local: { family: 'packet', ifindex: 0, protocol: 3 } }); // ETH_P_ALL
    expect(by('raw')).toMatchObject({ protocol: 1, type: 'raw' });
    expect(by('raw6')).toMatchObject({ protocol: 58 });
    for (const [name, protocol] of [['rawtcp', 6], ['rawudp6', 17]] as const) {
      expect(by(name), name).toMatchObject({ kind: 'raw', type: 'raw', protocol });
      expect(by(name).skipped?.map((s) => s.option), name).not.toContain('TCP_INFO');
    }
    expect(by('vsock').protocolName).toBe('AF_VSOCK');
    expect(by('xdp').protocolName).toBe('XDP');
    const text = await new Promise<string>((resolve) => execFile(process.execPath, [bin, 'inspect', String(t.info.pid)], (_e, out) => resolve(out)));
    figure('socket kinds', `\n${text.split('\n').filter((l) => l.startsWith('fd ')).join('\n')}`);
    expect(text).not.toMatch(/AF_\d|proto \d/);
    expect(text).toMatch(/unknown \(AF_VSOCK\)/);
  });
});

describe('a unix listener', () => {
  it('has its accept queue and backlog, and no byte queues, with its options read or not', async () => {
    // Backlog 5, two connections waiting to be accepted: what `ss -xl` shows as LISTEN 2 5.
    const t = await hold(python, ['-c', `
import json, os, socket, sys
l = socket.socket(socket.AF_UNIX)
l.bind(b'\\0sockopt-ulisten-%d' % os.getpid())
l.listen(5)
waiting = [socket.socket(socket.AF_UNIX) for _ in range(2)]
for c in waiting: c.connect(l.getsockname())
print(json.dumps({'pid': os.getpid(), 'fds': {'listener': l.fileno()}}), flush=True)
sys.stdin.read()`]);
    try {
      const fd = t.info.fds.listener!;
      const read = snapshotPid(t.info.pid).sockets.find((s) => s.fd === fd)!;
      const listed = listSockets(t.info.pid).find((s) => s.fd === fd)!;
      for (const [how, s] of [['options read', read], ['table only', listed]] as const) {
        expect([how, s.kind, s.state, s.acceptQueue, s.backlog, s.recvQueue, s.sendQueue]).toEqual([how, 'unix', 'LISTEN', 2, 5, null, null]);
      }
      expect(read.options).toBeDefined(); // the first: read through a duplicate of the fd
      const text = await new Promise<string>((resolve) => execFile(process.execPath, [bin, 'inspect', String(t.info.pid), '--fd', String(fd)], (_e, out) => resolve(out)));
      figure('unix listener', text.split('\n')[1]!);
      expect(text).toContain('LISTEN · accept queue 2/5');
    } finally {
      t.proc.stdin!.end();
    }
  });
});

describe('a netlink socket not bound yet', () => {
  it('is UNCONNECTED, port id 0, with its protocol: no sock_diag row, its own answers', async () => {
    // netlink_diag lists bound sockets only; getpeername answers port 0, no group, on any.
    const t = await hold(python, ['-c', `
import json, os, socket, sys
unbound = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
bound = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)  # NETLINK_ROUTE
bound.bind((0, 0))
print(json.dumps({'pid': os.getpid(), 'fds': {'unbound': unbound.fileno(), 'bound': bound.fileno()}, 'portid': bound.getsockname()[0]}), flush=True)
sys.stdin.read()`]);
    try {
      const { unbound, bound } = t.info.fds as { unbound: number; bound: number };
      const read = snapshotPid(t.info.pid).sockets;
      const u = read.find((s) => s.fd === unbound)!;
      expect(u.options).toBeDefined(); // read through a duplicate
      expect([u.kind, u.family, u.state, u.local, u.remote, u.protocol, u.kernel]).toEqual(['netlink', 'netlink', 'UNCONNECTED', { family: 'netlink', portid: 0 }, null, 4, undefined]);
      const b = read.find((s) => s.fd === bound)!;
      expect([b.state, b.local, b.remote, b.protocol, b.kernel?.source]).toEqual(['UNCONNECTED', { family: 'netlink', portid: t.info.portid }, null, 0, 'sock_diag']);
      const text = await new Promise<string>((resolve) => execFile(process.execPath, [bin, 'inspect', String(t.info.pid), '--fd', String(unbound)], (_e, out) => resolve(out)));
      figure('unbound netlink', text.split('\n')[1]!);
      expect(text.split('\n')[1]).toMatch(/^fd \d+ +netlink dgram protocol 4 portid 0 UNCONNECTED$/);
    } finally {
      t.proc.stdin!.end();
    }
  });
});

describe.skipIf(!binding.sockProtoName || !binding.socketFds)('an fd whose socket is replaced after the listing', () => {
  // The target swaps the socket at one fd (unix ⇄ TCP, dup2: the fd is never empty) on
  // SIGUSR1. Each swap comes right after the fd table was listed and before any kind is
  // looked up: the listed inode is gone, and the fd's protocol name is now another socket's.
  let t: Held;
  let fd: number;
  const link = () => readlinkSync(`/proc/${t.info.pid}/fd/${fd}`);
  const inodeOf = (l: string) => Number(/^socket:\[(\d+)\]$/.exec(l)![1]);

  beforeAll(async () => {
    t = await hold(python, ['-c', `
import json, os, signal, socket, sys
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(8)
a, b = socket.socketpair()
held = [l, a, b]
unix = [True]
def swap(*_):
    if unix[0]:
        c = socket.create_connection(l.getsockname()); held.append(l.accept()[0])
    else:
        c, d = socket.socketpair(); held.append(d)
    os.dup2(c.fileno(), a.fileno())
    c.close()
    unix[0] = not unix[0]
signal.signal(signal.SIGUSR1, swap)
print(json.dumps({'pid': os.getpid(), 'fds': {'swapped': a.fileno()}}), flush=True)
sys.stdin.read()`]);
    cleanup.push(t.proc);
    fd = t.info.fds.swapped!;
  });

  // Runs `read` with the swap made as soon as its fd table is listed; returns what it gave,
  // the inode listed and the one the fd holds afterwards.
  function swappedDuring<T>(read: () => T): { result: T; listed: number; now: number } {
    const original = binding.socketFds!;
    const listed = inodeOf(link());
    (binding as { socketFds?: unknown }).socketFds = (pid: number) => {
      const fds = original(pid);
      process.kill(t.info.pid, 'SIGUSR1');
      const wait = new Int32Array(new SharedArrayBuffer(4));
      for (const deadline = Date.now() + 10_000; inodeOf(link()) === listed; ) {
        if (Date.now() > deadline) throw new Error('the target did not swap its fd');
        Atomics.wait(wait, 0, 0, 5);
      }
      return fds;
    };
    try {
      const result = read();
      return { result, listed, now: inodeOf(link()) };
    } finally {
      (binding as { socketFds?: unknown }).socketFds = original;
    }
  }

  it('kindOfFd names the listed inode only: null once the fd holds another socket', () => {
    const before = inodeOf(link());
    const kind = kindOfFd(t.info.pid, fd, before)!.kind;
    expect(kind === 'unix' || kind === 'tcp').toBe(true);
    const { listed, now } = swappedDuring(() => socketFds(t.info.pid));
    expect(listed).toBe(before);
    expect(now).not.toBe(listed);
    expect(kindOfFd(t.info.pid, fd, listed)).toBeNull();
    expect(kindOfFd(t.info.pid, fd, now)!.kind).toBe(kind === 'unix' ? 'tcp' : 'unix');
    expect(binding.sockProtoName!(`/proc/${t.info.pid}/fd/${fd}`, listed)).toBeNull();
  });

  it('listSockets, snapshotPid({ options: false }) and the /proc fallback report the listed inode as unknown, never the new socket\'s kind', () => {
    const reads: [string, () => { fd: number }[]][] = [
      ['sock_diag', () => listSockets(t.info.pid)],
      ['snapshot', () => snapshotPid(t.info.pid, { options: false }).sockets],
      ['proc', () => listSockets(t.info.pid, { tables: 'proc' })],
    ];
    // Twice each: unix replaced by TCP, and TCP by unix.
    for (const [name, read] of [...reads, ...reads]) {
      const { result, listed } = swappedDuring(read);
      const row = result.find((s) => s.fd === fd);
      expect(row, name).toEqual({ fd, inode: listed, kind: 'unknown', family: null, type: null, state: null, local: null, remote: null, recvQueue: null, sendQueue: null });
    }
  });
});

describe('exits and single fds', () => {
  it.each([['text', []], ['--json', ['--json']]] as const)('a target that exits while being read (%s): one line, exit 1', async (view, flags) => {
    // A process with many sockets that exits on its own a moment after it reports. The
    // reading is fast, so the moment shrinks until the exit comes first (bounded: 4 tries).
    let r: { code: number | null; stdout: string; stderr: string } | undefined;
    let pid = 0;
    for (const delay of [0.3, 0.1, 0.03, 0]) {
      const t = await hold(python, ['-c', `
import json, os, resource, socket, sys, threading
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(min(6000, hard - 100))]
print(json.dumps({'pid': os.getpid(), 'fds': {}}), flush=True)
threading.Timer(${delay}, lambda: os._exit(0)).start()
sys.stdin.read()`]);
      pid = t.info.pid;
      r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const c = execFile(process.execPath, [bin, 'inspect', String(pid), ...flags], { maxBuffer: 64 << 20 }, (_e, stdout, stderr) => resolve({ code: c.exitCode, stdout, stderr }));
      });
      figure(`target exiting mid-read, ${view}`, `after ${delay} s: exit ${String(r.code)}; stderr: ${r.stderr.trim()}`);
      if (r.code !== 0) break; // otherwise inspect finished before the exit: try a shorter moment
    }
    expect(r!.code).toBe(1);
    expect(r!.stderr.trim().split('\n')).toHaveLength(1);
    expect(r!.stderr).toMatch(new RegExp(`^sockopt: (pid ${pid} exited while its sockets were being read|no process with pid ${pid})`));
    expect(r!.stdout).not.toContain('closed while being read');
    if (view === '--json') {
      // One JSON value on stdout, whether the exit came before the first socket or midway:
      // the sockets read before it, and the error.
      const doc = JSON.parse(r!.stdout) as { pid?: number; sockets?: { fd: number }[]; error: { code: string; message: string } };
      expect(doc.error.code).toBe('ESRCH');
      expect(r!.stderr).toContain(doc.error.message);
      if (doc.sockets !== undefined) {
        figure('target exiting mid-read, --json', `${doc.sockets.length} sockets in the document before the error`);
        expect(doc.pid).toBe(pid);
        const fds = doc.sockets.map((s) => s.fd);
        expect(fds).toEqual([...fds].sort((a, b) => a - b));
      }
    }
  });

  it('listSockets and snapshotPid({ options: false }) of a target that exits meanwhile: ESRCH, never a partial list', async () => {
    // As the CLI test above, for the paths that read no socket: each call either lists every
    // socket whole or throws ESRCH (the exit's moment moves from before the call to after it).
    const seen: string[] = [];
    for (const call of [(pid: number) => listSockets(pid), (pid: number) => snapshotPid(pid, { options: false }).sockets]) {
      for (const delay of [0, 0.005, 0.01, 0.02, 0.05, 0.1, 30]) {
        const t = await hold(python, ['-c', `
import json, os, resource, socket, sys, threading, time
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(min(3000, hard - 100))]
for s in socks: s.bind(('127.0.0.1', 0))
print(json.dumps({'pid': os.getpid(), 'fds': {}}), flush=True)
threading.Timer(${delay}, lambda: os._exit(0)).start()
sys.stdin.read()`]);
        let rows: SocketReport[] | undefined;
        try {
          rows = call(t.info.pid);
        } catch (err) {
          expect({ code: (err as { code?: unknown }).code, message: String(err) }).toMatchObject({ code: 'ESRCH' });
          seen.push(`${delay}: ESRCH`);
        } finally {
          t.proc.kill('SIGKILL');
        }
        if (rows) {
          expect([delay, rows.length >= 3000, rows.filter((r) => r.kind !== 'udp' && r.fd > 2).map((r) => [r.fd, r.kind, r.state])]).toEqual([delay, true, []]);
          seen.push(`${delay}: whole`);
        }
      }
    }
    figure('listSockets / snapshotPid({ options: false }) of a target exiting after … s', seen.join(', '));
    expect(seen.some((x) => x.endsWith('ESRCH'))).toBe(true);
    expect(seen.filter((x) => x.startsWith('30:'))).toEqual(['30: whole', '30: whole']); // one that lives on is listed whole
  });

  it('a CLOSE_WAIT socket with bytes unread: one receive queue whichever table and read, as ss prints it', async () => {
    // The table's count holds the FIN received; SIOCINQ's leaves it out: the table's is taken
    // from sock_diag and the /proc fallback alike.
    const t = await hold(python, ['-c', `
import json, os, socket, sys, time
l = socket.create_server(('127.0.0.1', 0)); c = socket.create_connection(l.getsockname()); a, _ = l.accept()
a.sendall(b'x' * 1000); a.close(); time.sleep(0.3)
print(json.dumps({'pid': os.getpid(), 'fds': {'c': c.fileno(), 'port': c.getsockname()[1]}}), flush=True)
sys.stdin.read()`]);
    cleanup.push(t.proc);
    const { pid, fds } = t.info;
    const ss = spawnSync('ss', ['-tnH', 'state', 'close-wait', `sport = :${fds.port!}`], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
    const queues = Object.fromEntries(([['sock_diag', {}], ['sock_diag, no options', { options: false }], ['proc', { tables: 'proc' }], ['proc, no options', { tables: 'proc', options: false }]] as const).map(([name, o]) => {
      const s = snapshotPid(pid, { fd: fds.c!, ...o }).sockets[0]!;
      return [name, [s.state, s.recvQueue]];
    }));
    figure('CLOSE_WAIT with 1000 bytes unread: recvQueue by path; ss Recv-Q', { queues, ss: ss[0] });
    for (const q of Object.values(queues)) expect(q).toEqual(['CLOSE_WAIT', Number(ss[0])]);
    expect(Number(ss[0])).toBe(1001);
    t.proc.stdin!.end();
  });

  it('a process whose main thread has exited while another runs: a coded error naming a thread, whose id lists the sockets', async () => {
    // Linux shows an empty /proc/PID/fd for it (the fd table is reached through the leader).
    const t = spawn(python, ['-c', `
import ctypes, socket, sys, threading, time
l = socket.create_server(('127.0.0.1', 0))
threading.Thread(target=lambda: time.sleep(60)).start()
print(flush=True)
ctypes.CDLL(None).pthread_exit(None)`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(t.stdout!, 'data');
      const pid = t.pid!;
      for (let i = 0; i < 100 && !readFileSync(`/proc/${pid}/stat`, 'latin1').includes(') Z '); i++) await new Promise((r) => setTimeout(r, 20));
      expect(readdirSync(`/proc/${pid}/task`).length).toBe(2);
      const tid = Number(readdirSync(`/proc/${pid}/task`).find((t) => t !== String(pid)));
      const message = `pid ${pid}'s main thread has exited while its other threads run: Linux shows no fd table at /proc/${pid}/fd then, so its sockets cannot be listed or read by its pid; thread ${tid}'s id lists them, without their options (sockopt inspect ${tid})`;
      for (const call of [() => listSockets(pid), () => snapshotPid(pid), () => snapshotPid(pid, { options: false }), () => snapshotPid(pid, { fd: 3 })]) {
        expect(call).toThrow(expect.objectContaining({ code: 'ERR_SOCKOPT_UNSUPPORTED', message }));
      }
      const r = spawnSync(process.execPath, [bin, 'inspect', String(pid)], { encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([1, `sockopt: ${message}\n`]);
      // The thread's id: the sockets, from its fd table, without options (pidfd_open takes processes).
      const listener = { kind: 'tcp', state: 'LISTEN', local: { address: '127.0.0.1' } };
      expect(listSockets(tid).filter((s) => s.kind === 'tcp')).toMatchObject([listener]);
      const read = snapshotPid(tid);
      expect(read).toMatchObject({ optionsRead: false, denied: { code: 'ERR_SOCKOPT_UNSUPPORTED' } });
      expect(read.denied!.message).toContain(`pid ${tid} is a thread of process ${pid}, whose main thread has exited`);
      expect(read.sockets.filter((s) => s.kind === 'tcp')).toMatchObject([listener]);
      const viaThread = spawnSync(process.execPath, [bin, 'inspect', String(tid)], { encoding: 'utf8' });
      figure('inspect TID of a process whose main thread has exited', `exit ${viaThread.status}: ${viaThread.stdout.trim()} | ${viaThread.stderr.trim()}`);
      expect(viaThread.stdout).toMatch(/tcp IPv4 127\.0\.0\.1:\d+ LISTEN/);
    } finally {
      t.kill('SIGKILL');
    }
  });

  it.skipIf(spawnSync('strace', ['-V']).status !== 0)('no socket: no table dumped; a few unix sockets: the unix table alone (a dump walks the whole namespace)', async () => {
    // Dump requests are the sendto/sendmsg calls on the sock_diag socket; a target with one
    // socket shows that strace sees them.
    const requests = (pid: number, flags: string[]) => {
      const run = spawnSync('strace', ['-f', '-qq', '-e', 'trace=sendto,sendmsg', '-e', 'signal=none', process.execPath, bin, 'inspect', String(pid), ...flags], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status, run.stderr.slice(-2000)).toBe(0);
      return run.stderr.split('\n').filter((l) => /send(to|msg)\(/.test(l)).length;
    };
    // stdio 'ignore': Node's stdio pipes are unix socket pairs.
    const none = spawn('sleep', ['60'], { stdio: 'ignore' });
    const one = spawn(python, ['-c', "import socket, time; s = socket.create_server(('127.0.0.1', 0)); print(flush=True); time.sleep(60)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    const unix = spawn(python, ['-c', "import socket, time; a, b = socket.socketpair(); u = socket.socket(socket.AF_UNIX); print(flush=True); time.sleep(60)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await Promise.all([once(one.stdout!, 'data'), once(unix.stdout!, 'data')]);
      expect(readdirSync(`/proc/${none.pid!}/fd`).map((fd) => readlinkSync(`/proc/${none.pid!}/fd/${fd}`)).filter((l) => l.startsWith('socket:'))).toEqual([]);
      const counts = { none: requests(none.pid!, []), noneJson: requests(none.pid!, ['--json']), unix: requests(unix.pid!, []), one: requests(one.pid!, []) };
      figure('dump requests (no socket, no socket --json, three unix sockets, one listener)', counts);
      expect(counts).toMatchObject({ none: 0, noneJson: 0, unix: 1 });
      expect(counts.one).toBeGreaterThan(1);
      expect(snapshotPid(none.pid!)).toMatchObject({ tables: 'sock_diag', sockets: [] });
      expect(listSockets(none.pid!, { tables: 'proc' })).toEqual([]);
      // The unix table alone still names every socket, its peer's included.
      const rows = snapshotPid(unix.pid!).sockets.filter((r) => r.fd > 2); // its stdout is one of Node's socket pairs
      expect(rows.map((r) => [r.kind, r.state, r.kernel?.source])).toEqual([['unix', 'CONNECTED', 'sock_diag'], ['unix', 'CONNECTED', 'sock_diag'], ['unix', 'UNCONNECTED', 'sock_diag']]);
      expect(rows[0]!.kernel!.peerInode).toBe(rows[1]!.inode);
    } finally {
      none.kill();
      one.kill();
      unix.kill();
    }
  });

  it('--fd N reads that socket alone: one readlink, one sock_diag answer', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const fd = fdOf(server);
      const [s] = listSockets(process.pid, { fd });
      expect(s).toMatchObject({ fd, inode: fstatSync(fd).ino, kind: 'tcp', state: 'LISTEN', kernel: { source: 'sock_diag' } });
      expect(snapshotPid(process.pid, { fd }).sockets).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

describe('arguments and the native surface (abuse)', () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (_e, stdout, stderr) => resolve({ code: c.exitCode, stdout, stderr }));
    });

  it('extra positionals and malformed HOST:PORT: a usage error, exit 2, the usage after one line', async () => {
    const cases: [string[], RegExp][] = [
      [['inspect', String(process.pid), '1'], /^sockopt: unexpected argument '1'/],
      [['connect', '[]:80'], /^sockopt: '\[\]' is not an IPv6 address/],
      [['connect', '[1.2.3.4]:80'], /is not an IPv6 address/],
      [['connect', ':80'], /is not a host name or IP address/],
      [['connect', 'a b:80'], /is not a host name or IP address|expected HOST:PORT or \[IPv6\]:PORT/],
      [['connect', 'host\x1b[2J:80'], /is not a host name or IP address|expected HOST:PORT or \[IPv6\]:PORT/],
      [['connect', '127.0.0.1:80', 'extra'], /unexpected argument 'extra'/],
      [['connect', '127.0.0.1:0'], /port must be 1-65535/],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(pattern);
      expect(lines[1]).toMatch(/^sockopt (inspect|connect) /); // the command's usage
      expect(r.stderr).not.toContain('\x1b'); // the echoed argument is escaped too
    }
  });

  it('a five-digit fd keeps a space before the kind', async () => {
    const { formatPidReport } = await import('../../src/cli/inspect-print');
    const text = formatPidReport({ pid: 1, command: 'x', tables: 'sock_diag', optionsRead: false, sockets: [{ fd: 19990, kind: 'tcp', family: 'IPv4', type: 'stream', state: 'LISTEN', local: { family: 'IPv4', address: '127.0.0.1', port: 1 }, remote: null, recvQueue: null, sendQueue: null }] }, false);
    expect(text.split('\n')[1]).toBe('fd 19990 tcp IPv4 127.0.0.1:1 LISTEN');
  });

  it('diagSocket, diagDump and sockProtoName refuse bad arguments with coded errors, and never hang on a wrong fd', () => {
    const script = `
      const { binding: b } = require(${JSON.stringify(join(__dirname, '..', '..', 'lib', 'kernel', 'binding.js'))});
      const fs = require('node:fs'); const codes = [];
      const tryIt = (f) => { try { const r = f(); codes.push(Array.isArray(r) ? 'array' : typeof r); } catch (e) { codes.push(e.code); } };
      tryIt(() => b.diagSocket('x'));
      tryIt(() => b.diagSocket(999999));
      const nl = b.diagSocket(-1);
      for (const args of [[nl, 9, 0, 0, 0], [nl, 0, 2, 6, -1], [nl, 0, 2, 6, 2 ** 32], [nl, 0, 2, 6, 1.5], [nl, 0, 2, 6, 'x'], [nl, 0, 2, 6, new Float64Array(1)], ['x', 0, 2, 6, 0]]) tryIt(() => b.diagDump(...args));
      const file = fs.openSync('/dev/null', 'r');
      tryIt(() => b.diagDump(file, 0, 2, 6, 0));
      fs.closeSync(file);
      tryIt(() => b.diagDump(nl, 1, 0, 0, 4294967295)); // no such unix inode: the kernel's ENOENT
      tryIt(() => b.diagDump(nl, 0, 2, 6, new Uint32Array(0))); // nothing wanted: an empty answer
      const tcp = require('node:net').createServer().listen(0);
      tryIt(() => b.diagDump(tcp._handle.fd, 0, 2, 6, 0)); // not a netlink socket
      tcp.close();
      tryIt(() => b.sockProtoName(1, 1));
      for (const inode of ['x', undefined, 0, -1, 1.5, 2 ** 53]) tryIt(() => b.sockProtoName('/dev/null', inode));
      tryIt(() => b.sockProtoName('/dev/null', fs.statSync('/dev/null').ino));
      tryIt(() => b.sockProtoName('/nonexistent', 1));
      b.close(nl);
      console.log(JSON.stringify(codes));`;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual([
      'ERR_INVALID_ARG_TYPE', 'EBADF',
      'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE',
      'ENOTSOCK', 'ENOENT', 'array', expect.stringMatching(/^E[A-Z]+$/),
      'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE',
      'ENOTSUP', 'ENOENT', // /dev/null has no sockprotoname (EOPNOTSUPP)
    ]);
  });

  it('a packed dump gives the records diagDump builds; diagRecord refuses bytes that hold no whole message', () => {
    const script = `
      const { binding: b } = require(${JSON.stringify(join(__dirname, '..', '..', 'lib', 'kernel', 'binding.js'))});
      const net = require('node:net');
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const client = net.connect(server.address().port, '127.0.0.1', () => {
          const nl = b.diagSocket(-1);
          const inodes = Uint32Array.from([server, client].map((s) => require('node:fs').fstatSync(s._handle.fd).ino)).sort();
          const plain = b.diagDump(nl, 0, 2, 6, inodes, 1);
          const packed = b.diagDump(nl, 0, 2, 6, inodes, 1 | 2);
          const rebuilt = [];
          for (let j = 0; j < packed.index.length; j += 3) rebuilt.push(b.diagRecord(0, packed.bytes, packed.index[j + 1]));
          const strip = (r) => JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? String(v) : k === 'expires' ? 0 : v));
          const codes = [];
          const tryIt = (f) => { try { f(); codes.push('ok'); } catch (e) { codes.push(e.code); } };
          const m = packed.index[1];
          tryIt(() => b.diagRecord(0, packed.bytes, m));
          tryIt(() => b.diagRecord(0, packed.bytes.subarray(0, 10), 0)); // shorter than a header
          tryIt(() => b.diagRecord(0, packed.bytes.subarray(0, 40), 0)); // cut inside the message
          tryIt(() => b.diagRecord(0, packed.bytes, packed.bytes.length)); // past the end
          tryIt(() => b.diagRecord(0, packed.bytes, -1));
          tryIt(() => b.diagRecord(7, packed.bytes, 0));
          tryIt(() => b.diagRecord(0, 'x', 0));
          tryIt(() => b.diagRecord(0, Buffer.alloc(4096), 0)); // zeros: a length of 0
          tryIt(() => b.diagRecord(0, Buffer.alloc(4096, 0xff), 0)); // a length beyond the buffer
          tryIt(() => b.diagRecord(1, new Uint8Array(new SharedArrayBuffer(packed.bytes.length)).fill(0), 0));
          b.close(nl);
          console.log(JSON.stringify({ same: plain.map(strip).sort().join() === rebuilt.map(strip).sort().join(), n: plain.length, triples: packed.index.length / 3, codes }));
          client.destroy(); server.close();
        });
      });`;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout) as { same: boolean; n: number; triples: number; codes: string[] };
    expect(r.n).toBe(2);
    expect(r.triples).toBe(2);
    expect(r.same).toBe(true);
    expect(r.codes).toEqual(['ok', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE']);
  });
});

describe.skipIf(!canReadInetRecords)('inet records read in JavaScript from a packed dump', () => {
  // The packed dump receives the kernel's messages straight into its buffer and moves the
  // kept ones down over the others (native/grow_buffer_linux.h): across many receives,
  // every kept record must be whole and in place, and no other one there. TIME_WAIT
  // records (no inode, no attributes: shorter than a live socket's) lie among them, so a
  // kept record moves down by less than its own length, over its own old header.
  // In a network namespace of its own, where TIME_WAIT records (96 bytes) lie directly
  // between live ones (496): each live one after one moves down over its own old header.
  // Reading the next message's place after the move ran off into the mapping (a crash on
  // a 20k-socket target whose neighbours had just closed).
  it('keeps each record whole where it moves down by less than its own length (own netns)', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip(); // unshare -n needs root
    const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, join(fixtures, 'packed-dump.js'), join(__dirname, '..', '..')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stderr} ${r.signal ?? ''}`).toBe(0);
    const out = JSON.parse(r.stdout) as { timeWait: number; shortGaps: number; wanted: number; packed: number; plain: number; inPlace: boolean; same: boolean };
    figure('packed dump in its own netns', out);
    expect(out.timeWait).toBe(240);
    expect(out.shortGaps).toBeGreaterThan(0); // the case itself happened
    expect([out.packed, out.plain]).toEqual([out.wanted, out.wanted]);
    expect(out.inPlace).toBe(true);
    expect(out.same).toBe(true);
  });

  it('over several receives, keeps exactly the wanted records, each as the object dump builds it', async () => {
    const b = binding as unknown as Record<string, (...a: unknown[]) => unknown>;
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const gone = Array.from({ length: 150 }, () => net.connect(port, '127.0.0.1'));
    await Promise.all(gone.map((c) => once(c, 'connect')));
    await Promise.all(gone.map((c) => (c.end(), once(c, 'close')))); // closed first: TIME_WAIT here
    const accepted: net.Socket[] = [];
    server.on('connection', (s) => accepted.push(s));
    const clients = Array.from({ length: 200 }, () => net.connect(port, '127.0.0.1'));
    await Promise.all(clients.map((c) => once(c, 'connect')));
    for (let i = 0; i < 100 && accepted.length < clients.length; i++) await new Promise((r) => setTimeout(r, 10));
    const nl = b.diagSocket!(-1) as number;
    try {
      const C = binding.constants;
      const all = Uint32Array.from([server, ...clients, ...accepted].map((s) => fstatSync(fdOf(s as net.Socket)).ino)).sort();
      expect(all.length).toBe(401);
      const every = b.diagDump!(nl, 0, C.AF_INET!, C.IPPROTO_TCP!, all, 2) as { bytes: Buffer; index: Uint32Array };
      expect(every.index.length / 3).toBe(401);
      const unfiltered = b.diagDump!(nl, 0, C.AF_INET!, C.IPPROTO_TCP!, 0, 2) as { bytes: Buffer; index: Uint32Array };
      const timeWait = unfiltered.index.filter((v, i) => i % 3 === 2 && v === 6 /* TCP_TIME_WAIT */).length;
      expect(timeWait).toBeGreaterThanOrEqual(150);
      expect(every.bytes.length).toBeGreaterThan(2 * 64 * 1024); // more than one receive's worth
      const wanted = all.filter((_, i) => i % 3 !== 1);
      const plain = b.diagDump!(nl, 0, C.AF_INET!, C.IPPROTO_TCP!, wanted, 0) as { inode: number }[];
      const packed = b.diagDump!(nl, 0, C.AF_INET!, C.IPPROTO_TCP!, wanted, 2) as { bytes: Buffer; index: Uint32Array };
      const same = (r: unknown) => JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? String(v) : k === 'expires' || k === 'info' || k === 'skmem' ? 0 : v));
      const rebuilt = [];
      let end = 0;
      // The index is sorted by inode (a socket is found by binary search); by offset, the messages lie one after another.
      const entries: [number, number][] = [];
      for (let j = 0; j < packed.index.length; j += 3) entries.push([packed.index[j]!, packed.index[j + 1]!]);
      expect(entries.map((e) => e[0])).toEqual(entries.map((e) => e[0]).sort((x, y) => x - y));
      for (const [inode, at] of entries.sort((x, y) => x[1] - y[1])) {
        expect(at).toBe(end); // one after another, nothing between
        const r = inetRecordAt(packed.bytes, at);
        expect(r.inode).toBe(inode);
        rebuilt.push(r);
        end = at + ((packed.bytes.readUInt32LE(at) + 3) & ~3);
      }
      expect(end).toBe(packed.bytes.length);
      expect(rebuilt.map((r) => r.inode).sort((x, y) => x - y)).toEqual([...wanted]);
      expect(rebuilt.map(same).sort()).toEqual(plain.map(same).sort());
    } finally {
      b.close!(nl);
      for (const c of clients) c.destroy();
      server.close();
    }
  });

  it('give what diagDump builds natively, TCP and UDP, IPv4 and IPv6, TCP_INFO included; bytes that hold no whole message throw', async () => {
    const b = binding as unknown as Record<string, (...a: unknown[]) => unknown>;
    const server = net.createServer().listen(0, '::1');
    await once(server, 'listening');
    const client = net.connect((server.address() as net.AddressInfo).port, '::1');
    const server4 = net.createServer().listen(0, '127.0.0.1');
    await once(server4, 'listening');
    const client4 = net.connect((server4.address() as net.AddressInfo).port, '127.0.0.1');
    const [, , [accepted], [accepted4]] = (await Promise.all([once(client, 'connect'), once(client4, 'connect'), once(server, 'connection'), once(server4, 'connection')])) as [unknown, unknown, [net.Socket], [net.Socket]];
    const { createSocket } = await import('node:dgram');
    const udp = createSocket('udp6');
    udp.bind(0, '::1');
    await once(udp, 'listening');
    const nl = b.diagSocket!(-1) as number;
    try {
      const same = (r: unknown) => JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? String(v) : k === 'expires' ? 0 : k === 'info' ? Buffer.from(v.data ?? v).toString('hex').slice(0, 16) : v));
      const C = binding.constants;
      let compared = 0;
      for (const [family, protocol] of [[C.AF_INET6!, C.IPPROTO_TCP!], [C.AF_INET!, C.IPPROTO_TCP!], [C.AF_INET6!, C.IPPROTO_UDP!]] as const) {
        const mine = Uint32Array.from(
          [server, client, accepted, server4, client4, accepted4].map((s) => fstatSync(fdOf(s as net.Socket)).ino).concat(fstatSync(resolveFd(udp)).ino),
        ).sort();
        const plain = b.diagDump!(nl, 0, family, protocol, mine, 0) as { inode: number }[];
        const packed = b.diagDump!(nl, 0, family, protocol, mine, 2) as { bytes: Buffer; index: Uint32Array };
        const rebuilt = [];
        for (let j = 0; j < packed.index.length; j += 3) rebuilt.push(inetRecordAt(packed.bytes, packed.index[j + 1]!));
        expect(rebuilt.map(same).sort()).toEqual(plain.map(same).sort());
        compared += plain.length;
        // The light walk the batched reads decide by: the same family, interface and attributes.
        const L = binding.diagInetLayout!;
        const view = new DataView(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
        const FIELD = { CONG: 'cong', MARK: 'mark', TCLASS: 'tclass', SKV6ONLY: 'v6only', TOS: 'tos', SKMEMINFO: 'skmem', SOCKOPT: 'sockopt', CLASS_ID: 'classId' } as const;
        for (let j = 0; j < packed.index.length; j += 3) {
          const at = packed.index[j + 1]!;
          const r = inetRecordAt(packed.bytes, at);
          const f = inetFactsAt(packed.bytes, at, view);
          expect([f.family, f.ifindex, f.classId]).toEqual([r.family, r.ifindex, r.classId ?? -1]);
          for (const [attr, field] of Object.entries(FIELD)) expect([attr, (f.attrs >>> L[attr as keyof typeof FIELD]) & 1]).toEqual([attr, r[field] === undefined ? 0 : 1]);
        }
        if (protocol === C.IPPROTO_TCP) expect(rebuilt.every((r) => r.info && r.info.length > 100)).toBe(true);
        const bytes = packed.bytes;
        for (const [buf, at] of [[bytes.subarray(0, 10), 0], [bytes.subarray(0, 40), 0], [bytes, bytes.length], [bytes, -1], [Buffer.alloc(4096), 0], [Buffer.alloc(4096, 0xff), 0]] as const) {
          expect(() => inetRecordAt(buf, at)).toThrow(RangeError);
          expect(() => inetFactsAt(buf, at, new DataView(buf.buffer, buf.byteOffset, buf.byteLength))).toThrow(RangeError);
        }
        // A message whose attributes lie about their lengths: the walk stops at the message's end.
        const bent = Buffer.from(bytes.subarray(0, bytes.readUInt32LE(0)));
        bent.writeUInt16LE(0xffff, binding.diagInetLayout!.attrs);
        // (The message at offset 0 is the kernel's first; the index is sorted by inode.)
        expect(inetRecordAt(bent, 0).inode).toBe(inetRecordAt(bytes, 0).inode);
        expect(inetFactsAt(bent, 0, new DataView(bent.buffer, bent.byteOffset, bent.byteLength)).attrs).toBe(0);
      }
      expect(compared).toBe(7); // a listener and both ends of a connection on ::1, the same on 127.0.0.1, a UDP socket
    } finally {
      b.close!(nl);
      for (const s of [client, client4, accepted, accepted4]) s.destroy();
      udp.close();
      server.close();
      server4.close();
    }
  });
});

describe.skipIf(!binding.socketFds)('socketFds, the fd table in one crossing', () => {
  it('lists the socket fds readdir + readlink list, with their inodes, and refuses bad pids with coded errors', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    try {
      const { fds, inodes } = binding.socketFds!(process.pid);
      const expected: [number, number][] = [];
      for (const name of readdirSync('/proc/self/fd')) {
        let link = '';
        try {
          link = readlinkSync(`/proc/self/fd/${name}`);
        } catch {
          continue; // readdir's own fd, closed since
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m) expected.push([Number(name), Number(m[1])]);
      }
      expected.sort((a, b) => a[0] - b[0]);
      expect([...fds].map((fd, i) => [fd, inodes[i]])).toEqual(expected);
      expect(fds).toContain(fdOf(client));
      const codes = [0, -1, 1.5, 2 ** 31, 'x', null, 2 ** 22 + 12345].map((pid) => {
        try {
          binding.socketFds!(pid as number);
          return 'ok';
        } catch (e) {
          return `${(e as { code?: string }).code} ${(e as { syscall?: string }).syscall ?? ''}`.trim();
        }
      });
      expect(codes).toEqual(['ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ENOENT scandir']);
    } finally {
      client.destroy();
      server.close();
    }
  });
});

describe.skipIf(!binding.socketFds)('socketFds over a large fd table', () => {
  it('with more fds than one thread reads (sockets among pipes and files): the same as readdir + readlink', async () => {
    const t = await hold(python, ['-c', `
import json, os, resource, socket, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for i in range(1500):
    held.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    if i % 3 == 0:
        held += list(os.pipe())
    if i % 5 == 0:
        held.append(os.open('/dev/null', os.O_RDONLY))
print(json.dumps({'pid': os.getpid()}), flush=True)
sys.stdin.read()`]);
    cleanup.push(t.proc);
    const pid = (t.info as { pid: number }).pid;
    const names = readdirSync(`/proc/${pid}/fd`);
    expect(names.length).toBeGreaterThan(2500); // past the native split (2,048 fds)
    const expected: [number, number][] = [];
    for (const name of names) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${name}`));
      if (m) expected.push([Number(name), Number(m[1])]);
    }
    expected.sort((a, b) => a[0] - b[0]);
    const { fds, inodes } = binding.socketFds!(pid);
    expect(expected.length).toBeGreaterThanOrEqual(1500); // (its stdio are sockets too)
    expect([...fds].map((fd, i) => [fd, inodes[i]])).toEqual(expected);
    // The same listing made on a thread (socketFdsStart), and through socketFds(pid) after a prefetch.
    const later = binding.socketFdsFinish!(binding.socketFdsStart!(pid));
    expect([...later.fds].map((fd, i) => [fd, later.inodes[i]])).toEqual(expected);
    prefetchSocketFds(pid);
    const listed = socketFds(pid);
    expect([...listed.fds].map((fd, i) => [fd, listed.inodes[i]])).toEqual(expected);
    // One fd, listed by readlink instead: the same two arrays.
    const [fd, inode] = expected[expected.length - 1]!;
    const one = socketFds(pid, fd);
    expect([one.fds, one.inodes]).toEqual([Int32Array.of(fd), Float64Array.of(inode)]);
    t.proc.stdin!.end();
  });
});

describe.skipIf(!binding.socketFds)('socketFds where the links are closed to the reader', () => {
  // Root without CAP_SYS_PTRACE may list a root process's /proc/PID/fd (the directory is
  // its owner's) but not read its links: the target holds capabilities the reader lacks,
  // so ptrace-read is refused and readlink answers EACCES. That must not pass for "no sockets".
  const drop = ['--bounding-set', '-sys_ptrace'];

  it('every listing path throws readlink EACCES, one fd table and two threads alike, and the command exits 3', async () => {
    if (!hasCapability('CAP_SETPCAP') || !hasCapability('CAP_SYS_PTRACE')) {
      // Dropping a bounding capability takes CAP_SETPCAP; without CAP_SYS_PTRACE the target holds nothing the reader lacks.
      const r = spawnSync('setpriv', [...drop, 'true'], { encoding: 'utf8' });
      if (!hasCapability('CAP_SETPCAP')) expect(r.stderr).toMatch(/Operation not permitted/);
      figure('links closed to the reader', `not run: ${r.stderr.trim() || 'this user holds no CAP_SYS_PTRACE'}`);
      return;
    }
    const lib = join(__dirname, '..', '..', 'lib');
    const probe = `
      const { binding } = require(${JSON.stringify(join(lib, 'kernel', 'binding.js'))});
      const pidProc = require(${JSON.stringify(join(lib, 'inspect', 'pid-proc.js'))});
      const { listSockets } = require(${JSON.stringify(join(lib, 'index.js'))});
      const [pid, fd] = process.argv.slice(1).map(Number);
      const code = (fn) => { try { fn(); return 'ok'; } catch (e) { return (e.code + ' ' + (e.syscall ?? '')).trim(); } };
      const out = {
        native: code(() => binding.socketFds(pid)),
        thread: code(() => binding.socketFdsFinish(binding.socketFdsStart(pid))),
        prefetched: code(() => { pidProc.prefetchSocketFds(pid); pidProc.socketFds(pid); }),
        listSockets: code(() => listSockets(pid)),
        oneFd: code(() => listSockets(pid, { fd })),
      };
      delete binding.socketFds; // the readdir + readlink path of an addon without it
      out.js = code(() => pidProc.socketFds(pid));
      console.log(JSON.stringify(out));`;
    for (const sockets of [1, 1500]) {
      const t = await hold(python, ['-c', `
import json, os, resource, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
held = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(${sockets})]
held += [os.open('/dev/null', os.O_RDONLY) for _ in range(${sockets})]
print(json.dumps({'pid': os.getpid(), 'fds': {'udp': held[0].fileno()}}), flush=True)
sys.stdin.read()`]);
      cleanup.push(t.proc);
      const { pid, fds } = t.info;
      if (sockets > 1) expect(readdirSync(`/proc/${pid}/fd`).length).toBeGreaterThan(2048); // past the native split
      const r = spawnSync('setpriv', [...drop, process.execPath, '-e', probe, String(pid), String(fds.udp)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ native: 'EACCES readlink', thread: 'EACCES readlink', prefetched: 'EACCES readlink', listSockets: 'EACCES readlink', oneFd: 'EACCES readlink', js: 'EACCES readlink' });
      // The command says so in one line and exits 3 (denied), with or without --json.
      const c = spawnSync('setpriv', [...drop, process.execPath, bin, 'inspect', String(pid)], { encoding: 'utf8' });
      expect(c.status, c.stdout).toBe(3);
      expect(c.stdout).toBe('');
      expect(c.stderr).toBe(`sockopt: cannot read the fd table (/proc/${pid}/fd) of pid ${pid} (readlink EACCES): this needs ptrace-read rights (the same user, or root / CAP_SYS_PTRACE)\n`);
      const j = spawnSync('setpriv', [...drop, process.execPath, bin, 'inspect', String(pid), '--json'], { encoding: 'utf8' });
      expect(j.status).toBe(3);
      expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'EACCES' } });
      // With the rights, the same process lists its sockets.
      expect(listSockets(pid).length).toBeGreaterThanOrEqual(sockets);
      t.proc.stdin!.end();
    }
  });
});

describe.skipIf(!binding.socketFdsStart)('socketFdsStart / socketFdsFinish, and the prefetch', () => {
  it('refuses what is not a listing, a listing taken twice and bad pids with coded errors; a missing process throws at finish', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'ok';
      } catch (e) {
        return `${(e as { code?: string }).code} ${(e as { syscall?: string }).syscall ?? ''}`.trim();
      }
    };
    const start = binding.socketFdsStart!;
    const finish = binding.socketFdsFinish! as (l: unknown) => unknown;
    expect([0, -1, 1.5, 2 ** 31, 'x', null].map((pid) => code(() => start(pid as number)))).toEqual(
      ['ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE']);
    expect([undefined, null, {}, 1, 'l', new Uint8Array(4)].map((l) => code(() => finish(l)))).toEqual(Array(6).fill('ERR_INVALID_ARG_TYPE'));
    const own = start(process.pid);
    expect(code(() => finish(own))).toBe('ok');
    expect(code(() => finish(own))).toBe('ERR_INVALID_ARG_VALUE'); // taken once
    expect(code(() => finish(start(2 ** 22 + 12345)))).toBe('ENOENT scandir'); // as socketFds would throw
    for (let i = 0; i < 20; i++) start(process.pid); // dropped unfinished: joined when collected
  });

  it('socketFds takes a prefetched listing of the same pid only, once', () => {
    const original = binding.socketFdsFinish!;
    let taken = 0;
    (binding as { socketFdsFinish?: unknown }).socketFdsFinish = (l: FdListing) => (taken++, original(l));
    try {
      prefetchSocketFds(process.pid);
      socketFds(process.pid);
      socketFds(process.pid); // nothing prefetched any more: listed here
      expect(taken).toBe(1);
      prefetchSocketFds(process.pid);
      socketFds(process.pid, 0); // one fd: not from the listing, which is dropped
      socketFds(process.pid);
      prefetchSocketFds(process.pid);
      try {
        socketFds(1); // another pid: the listing is dropped too
      } catch {
        // pid 1's fd table may be closed to us: the listing is dropped all the same
      }
      socketFds(process.pid);
      expect(taken).toBe(1);
      for (const bad of [0, -1, 1.5, 2 ** 31, Number.NaN]) prefetchSocketFds(bad); // refused quietly: no listing
      expect(taken).toBe(1);
    } finally {
      (binding as { socketFdsFinish?: unknown }).socketFdsFinish = original;
    }
  });
});

describe.skipIf(!canReadInetRecords)('one inode in two tables', () => {
  // Socket inode numbers are 32 bits and wrap on a long-running host: another process's unix
  // socket may carry the number of one of the target's TCP sockets. The TCP row must win,
  // as it did when each dump's rows replaced the one before (unix first, then inet).
  it('the inet row ranks above a unix row of the namespace with the same inode', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const inode = fstatSync(fdOf(client)).ino;
    const b = binding as { diagDump?: (...a: unknown[]) => unknown };
    const original = b.diagDump!;
    // The unix dump with one more record: a stranger's socket carrying the TCP socket's inode.
    b.diagDump = (...a: unknown[]) => {
      const out = original(...a);
      if (a[1] === 1 && Array.isArray(out)) out.push({ type: 1, state: 1, inode, cookie: 1n, name: Buffer.from('/stranger') });
      return out;
    };
    try {
      for (const lean of [false, true]) {
        const table = socketTables(process.pid, [inode, inode + 0], false, lean);
        expect(table.source).toBe('sock_diag');
        const row = table.get(inode);
        expect([row?.kind, row?.state, table.hasQueues(inode)]).toEqual(['tcp', 'ESTABLISHED', true]);
      }
    } finally {
      b.diagDump = original;
      client.destroy();
      server.close();
    }
  });
});

describe.skipIf(!canReadInetRecords)('one inode in two tables, one socket asked for', () => {
  // The same wrap as above where one socket alone is asked for (--fd N, or a process with
  // one socket): the table of its kind is asked by its kernel protocol name, and without
  // that name a unix hit stops no other table.
  type Dump = (...a: unknown[]) => unknown;
  const b = binding as { diagDump?: Dump; sockProtoName?: (path: string) => string };
  // The kernel's own unix answers with a stranger's socket carrying `inode`: the exact
  // lookup by inode gives it, and it is one more record of a whole dump.
  function withStranger(inode: number, run: (asked: number[][]) => void): void {
    const original = b.diagDump!;
    const stranger = { type: 1, state: 1, inode, cookie: 1n, name: Buffer.from('/stranger') };
    const asked: number[][] = [];
    b.diagDump = (...a: unknown[]) => {
      asked.push([a[1] as number, a[3] as number]);
      if (a[1] === 1 && a[4] === inode) return [stranger];
      const out = original(...a);
      if (a[1] === 1 && Array.isArray(out) && a[4] === 0) out.push(stranger);
      return out;
    };
    try {
      run(asked);
    } finally {
      b.diagDump = original;
    }
  }

  it('--fd N: the TCP row and its own kernel view, with the protocol name or without it', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const fd = fdOf(client);
    const cookie = String(snapshot(client).options.SOL_SOCKET!.SO_COOKIE);
    const check = () => {
      for (const s of [listSockets(process.pid, { fd })[0]!, snapshotPid(process.pid, { fd, options: false }).sockets[0]!, snapshotPid(process.pid, { fd }).sockets[0]!]) {
        expect([s.kind, s.state, s.local]).toEqual(['tcp', 'ESTABLISHED', { family: 'IPv4', address: '127.0.0.1', port: client.localPort }]);
        expect(s.kernel?.cookie).toBe(cookie);
      }
    };
    const protoName = b.sockProtoName;
    try {
      withStranger(fstatSync(fd).ino, (asked) => {
        check();
        // Named TCP by the kernel: only the TCP tables are asked, no unix lookup.
        expect(asked.length).toBeGreaterThan(0);
        expect(asked.every(([what, protocol]) => what === 0 && protocol === binding.constants.IPPROTO_TCP)).toBe(true);
        asked.length = 0;
        b.sockProtoName = undefined; // no system.sockprotoname: every table, none stopping another
        check();
        expect(asked.some(([what]) => what === 1)).toBe(true);
      });
    } finally {
      b.sockProtoName = protoName;
      client.destroy();
      server.close();
    }
  });

  it('a process with one socket: its TCP listener', async () => {
    // stdio not sockets (Node's pipes are socketpairs): the listener is its only socket.
    const info = join(dir, 'one-socket.json');
    const proc = spawn(python, ['-c', `
import json, os, socket, time
s = socket.create_server(('127.0.0.1', 0))
open(${JSON.stringify(`${info}.tmp`)}, 'w').write(json.dumps({'pid': os.getpid(), 'fd': s.fileno(), 'inode': os.fstat(s.fileno()).st_ino}))
os.rename(${JSON.stringify(`${info}.tmp`)}, ${JSON.stringify(info)})
time.sleep(60)`], { stdio: 'ignore' });
    try {
      let text = '';
      for (let i = 0; i < 200 && !text; i++) {
        try {
          text = readFileSync(info, 'utf8');
        } catch {
          await new Promise((r) => setTimeout(r, 25));
        }
      }
      const t = JSON.parse(text) as { pid: number; fd: number; inode: number };
      expect(socketFds(t.pid).fds).toEqual(Int32Array.of(t.fd));
      withStranger(t.inode, () => {
        for (const s of [listSockets(t.pid)[0]!, snapshotPid(t.pid, { options: false }).sockets[0]!]) {
          expect([s.fd, s.kind, s.state]).toEqual([t.fd, 'tcp', 'LISTEN']);
        }
      });
    } finally {
      proc.kill();
    }
  });
});

// socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) refused (no CONFIG_MPTCP, or net.mptcp.enabled = 0): nothing to list.
const kernelRefusesMptcp = spawnSync(python, ['-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).close()']).status !== 0;

describe.skipIf(kernelRefusesMptcp)('MPTCP sockets', () => {
  // An MPTCP socket's TCP subflows carry its inode: its own row (mptcp_diag) is its kernel
  // view, and a subflow's record never stands in for the socket's own reads.
  it('listed and read as mptcp: SO_PROTOCOL 262, the socket\'s own cookie, no error, one fd or all', async () => {
    const t = await hold(python, ['-c', `
import json, os, socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); l.bind(('127.0.0.1', 0)); l.listen(2)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); c.connect(l.getsockname()); a, _ = l.accept()
print(json.dumps({'pid': os.getpid(), 'fds': {'listener': l.fileno(), 'client': c.fileno(), 'accepted': a.fileno()}}), flush=True)
sys.stdin.read()`]);
    cleanup.push(t.proc);
    const { pid, fds } = t.info;
    const states: Record<string, string> = { listener: 'LISTEN', client: 'ESTABLISHED', accepted: 'ESTABLISHED' };
    const all = snapshotPid(pid);
    expect(all.optionsRead).toBe(true);
    const listed = listSockets(pid);
    for (const [name, fd] of Object.entries(fds)) {
      for (const s of [listed.find((x) => x.fd === fd)!, listSockets(pid, { fd })[0]!, snapshotPid(pid, { fd, options: false }).sockets[0]!]) {
        expect([name, s.kind, s.type, s.state]).toEqual([name, 'mptcp', 'stream', states[name]]);
      }
      for (const s of [all.sockets.find((x) => x.fd === fd)!, snapshotPid(pid, { fd }).sockets[0]!]) {
        expect([name, s.kind, s.error]).toEqual([name, 'mptcp', undefined]);
        const sol = s.options!.SOL_SOCKET!;
        expect([name, sol.SO_PROTOCOL]).toEqual([name, 262]);
        expect([name, s.kernel?.source, s.kernel?.cookie]).toEqual([name, 'sock_diag', String(sol.SO_COOKIE)]);
        // A listener has no byte queues (its SIOCOUTQ answers -EINVAL as a value on MPTCP).
        if (name === 'listener') expect([s.recvQueue, s.sendQueue]).toEqual([null, null]);
      }
    }
    t.proc.stdin!.end();
  });

  // Its TCP_INFO is its first subflow's (ESTABLISHED still), and its SIOCINQ answers 1 on a
  // closed socket or at EOF (mptcp_inq_hint): neither may stand in for the socket's own
  // state and queue, which its mptcp_diag row gives as ss -M prints them.
  it('after a shutdown: the MPTCP socket\'s own state and queue, options read or not; a fresh one\'s queue unknown', async () => {
    const t = await hold(python, ['-c', `
import json, os, socket, sys, time
f = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); l.bind(('127.0.0.1', 0)); l.listen(2)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); c.connect(l.getsockname()); a, _ = l.accept()
a.shutdown(socket.SHUT_WR); time.sleep(0.3)
print(json.dumps({'pid': os.getpid(), 'fds': {'fresh': f.fileno(), 'client': c.fileno(), 'accepted': a.fileno()}}), flush=True)
sys.stdin.read()`]);
    cleanup.push(t.proc);
    const { pid, fds } = t.info;
    const ss = spawnSync('ss', ['-Mnap'], { encoding: 'utf8' }).stdout;
    figure('ss -Mnap (the MPTCP pair after a shutdown)', `\n${ss.split('\n').filter((l) => l.includes(`pid=${pid},`)).join('\n')}`);
    const all = snapshotPid(pid);
    for (const s of [...[fds.client!, fds.accepted!].flatMap((fd) => [all.sockets.find((x) => x.fd === fd)!, listSockets(pid, { fd })[0]!, snapshotPid(pid, { fd }).sockets[0]!])]) {
      const want = s.fd === fds.client ? 'CLOSE_WAIT' : 'FIN_WAIT2';
      expect([s.fd, s.kind, s.state, s.recvQueue, s.sendQueue]).toEqual([s.fd, 'mptcp', want, 0, 0]);
      if (s.tcpInfo) expect(s.tcpInfo.state).toBe('ESTABLISHED'); // the subflow's: why it is not the report's
    }
    const fresh = all.sockets.find((x) => x.fd === fds.fresh)!;
    expect([fresh.kind, fresh.recvQueue]).toEqual(['mptcp', null]);
    t.proc.stdin!.end();
  });
});
