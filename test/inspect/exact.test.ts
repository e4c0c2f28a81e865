// A streamed read (streamPid, `inspect --json`) holds a connected TCP socket's sock_diag
// index entry only and asks for its whole record by the id its own reads give (addresses,
// ports, SO_COOKIE) once its batch is read (diagExact, src/inspect/tables.ts fetch): the same
// rows as a read that holds every record, a socket its id no longer finds is read again
// whole, and the sock_diag socket kept open for the asking is closed once, however the read ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setsockopt, snapshotPid } from '../../src/index';
import { streamPid } from '../../src/inspect/pid';
import { exited } from '../../src/inspect/pid-proc';
import type { SocketReport } from '../../src/inspect/format-socket';
import { socketTables } from '../../src/inspect/tables';
import { DuplicateBatch } from '../../src/inspect/duplicates';
import { binding } from '../../src/kernel/binding';
import { canReadInetRecords, inetRecordAt } from '../../src/kernel/inet-diag';
import { codeOf, fdOf, python, spawnAsync } from '../helpers';

const root = join(__dirname, '..', '..');
const C = binding.constants;
const b = binding as unknown as Record<string, (...a: unknown[]) => unknown>;
type Pack = { bytes: Buffer; index: Uint32Array; used?: number };
const stable = (r: object) => JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? String(v) : k === 'expires' || k === 'skmem' || k === 'info' ? 0 : v));

// This process's netlink sockets: the sock_diag socket a read opens must be gone after it.
function netlinkFds(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (!m) continue;
    try {
      if (binding.sockProtoName!(`/proc/self/fd/${name}`, Number(m[1])) === 'NETLINK') found.push(Number(name));
    } catch {
      // closed meanwhile
    }
  }
  return found;
}

async function pairs(n: number, host: string): Promise<{ server: net.Server; clients: net.Socket[]; accepted: net.Socket[]; close(): void }> {
  const server = net.createServer().listen(0, host);
  await once(server, 'listening');
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s.on('error', () => {}))); // a peer reset: ECONNRESET
  const port = (server.address() as net.AddressInfo).port;
  const clients = Array.from({ length: n }, () => net.connect(port, host).on('error', () => {}));
  await Promise.all(clients.map((c) => once(c, 'connect')));
  for (let i = 0; i < 200 && accepted.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return {
    server,
    clients,
    accepted,
    close() {
      for (const s of [...clients, ...accepted]) s.destroy();
      server.close();
    },
  };
}

const inodeOf = (s: net.Socket | net.Server) => fstatSync(fdOf(s as net.Socket)).ino;

describe.skipIf(!canReadInetRecords || !b.diagExact)('diagExact: records asked for by id', () => {
  it('a by-id dump keeps a connected TCP socket as its index entry alone; its own reads give the id diagExact finds its whole record by, v4 and v6', async () => {
    for (const [host, family] of [['127.0.0.1', C.AF_INET!], ['::1', C.AF_INET6!]] as const) {
      const p = await pairs(100, host);
      const nl = b.diagSocket!(-1) as number;
      const pidfd = binding.pidfdOpen!(process.pid);
      try {
        const sockets = [...p.clients, ...p.accepted];
        const wanted = Uint32Array.from([p.server, ...sockets].map(inodeOf)).sort();
        const full = b.diagDump!(nl, 0, family, C.IPPROTO_TCP!, wanted, 1 | 2) as Pack;
        const byId = b.diagDump!(nl, 0, family, C.IPPROTO_TCP!, wanted, 1 | 2 | 4) as Pack;
        expect(byId.index.length).toBe(full.index.length);
        // Only the listener's message is kept (SO_REUSEPORT listeners share an id), at offset 0.
        const listener = byId.index.findIndex((v, j) => j % 3 === 2 && v === 10 /* LISTEN */) - 2;
        expect(byId.index[listener + 1]).toBe(0);
        expect(inetRecordAt(byId.bytes, 0).inode).toBe(inodeOf(p.server));
        expect(byId.bytes.length).toBeLessThan(full.bytes.length / 50);
        let entries = 0;
        for (let j = 0; j < byId.index.length; j += 3) {
          const state = byId.index[j + 2]!;
          if (state === 10) continue; // LISTEN: a whole message
          expect(state & 0x100).toBe(0x100);
          expect(state & 0xff).toBe(1); // ESTABLISHED
          expect(byId.index[j + 1]).toBe(0); // its interface: none
          entries++;
        }
        expect(entries).toBe(200);
        // Each socket's own reads (a batch through pidfd_getfd, as for another process), written as the ids asked by.
        const batch = new DuplicateBatch(pidfd, sockets.length, 1);
        const given = { family, ifindex: 0, attrs: 1 << binding.diagInetLayout!.CONG, classId: -1, protocol: C.IPPROTO_TCP!, byId: true };
        batch.read(sockets.map((s) => ({ fd: fdOf(s), inode: inodeOf(s), queues: false, given })));
        const size = binding.diagInetLayout!.attrs;
        const asks = Buffer.alloc(sockets.length * size);
        sockets.forEach((s, k) => expect(batch.idMessage(k, family, 0, inodeOf(s), asks, k * size)).toBe(true));
        expect(batch.idMessage(0, family === C.AF_INET ? C.AF_INET6! : C.AF_INET!, 0, inodeOf(sockets[0]!), asks, 0)).toBe(false); // another family: none
        const offsets = Uint32Array.from(sockets, (_, k) => k * size);
        const fullAt = new Map<number, number>();
        for (let j = 0; j < full.index.length; j += 3) fullAt.set(full.index[j]!, full.index[j + 1]!);
        const again = b.diagExact!(nl, C.IPPROTO_TCP!, asks, offsets, 1) as Pack;
        const into = Buffer.alloc(200 * 512);
        const inBuffer = b.diagExact!(nl, C.IPPROTO_TCP!, asks, offsets, 1, into) as Pack;
        expect(inBuffer.bytes).toBe(into);
        for (const got of [again, { bytes: into.subarray(0, inBuffer.used), index: inBuffer.index }]) {
          expect(got.index.length / 3).toBe(200);
          for (let j = 0; j < got.index.length; j += 3) {
            const r = inetRecordAt(got.bytes, got.index[j + 1]!);
            expect(r.inode).toBe(got.index[j]);
            expect(r.skmem).toBeDefined();
            expect(stable(r)).toBe(stable(inetRecordAt(full.bytes, fullAt.get(r.inode)!)));
          }
        }
        // An id with another socket's inode is not that socket's answer: left out.
        const swapped = Buffer.from(asks);
        swapped.writeUInt32LE(inodeOf(sockets[1]!), binding.diagInetLayout!.inode);
        expect((b.diagExact!(nl, C.IPPROTO_TCP!, swapped, Uint32Array.of(0), 1) as Pack).index.length).toBe(0);
        // With TCP_INFO when asked for it.
        const info = b.diagExact!(nl, C.IPPROTO_TCP!, asks, offsets.subarray(0, 3), 0) as Pack;
        expect(inetRecordAt(info.bytes, info.index[1]!).info!.length).toBeGreaterThan(100);
      } finally {
        b.close!(pidfd);
        b.close!(nl);
        p.close();
      }
    }
  });

  it('finds an IPv6 socket with IPv4-mapped addresses by its own reads (a dual-stack listener\'s accepted socket)', async () => {
    const server = net.createServer().listen(0, '::');
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1').on('error', () => {});
    const [socket] = (await accepted) as [net.Socket];
    const nl = b.diagSocket!(-1) as number;
    const pidfd = binding.pidfdOpen!(process.pid);
    try {
      const byId = b.diagDump!(nl, 0, C.AF_INET6!, C.IPPROTO_TCP!, Uint32Array.of(inodeOf(socket)), 1 | 2 | 4) as Pack;
      expect(byId.bytes.length).toBe(0);
      expect(byId.index[2]).toBe(0x100 | 1);
      const batch = new DuplicateBatch(pidfd, 1, 1);
      batch.read([{ fd: fdOf(socket), inode: inodeOf(socket), queues: false, given: { family: C.AF_INET6!, ifindex: 0, attrs: 0, classId: -1, protocol: C.IPPROTO_TCP!, byId: true } }]);
      const asks = Buffer.alloc(binding.diagInetLayout!.attrs);
      expect(batch.idMessage(0, C.AF_INET6!, byId.index[1]!, inodeOf(socket), asks, 0)).toBe(true);
      const got = b.diagExact!(nl, C.IPPROTO_TCP!, asks, Uint32Array.of(0), 1) as Pack;
      expect(got.index.length / 3).toBe(1);
      expect(inetRecordAt(got.bytes, got.index[1]!)).toMatchObject({ inode: inodeOf(socket), src: '::ffff:127.0.0.1', dst: '::ffff:127.0.0.1' });
    } finally {
      b.close!(pidfd);
      b.close!(nl);
      socket.destroy();
      client.destroy();
      server.close();
    }
  });

  it('leaves out a socket closed since, one whose cookie no longer matches, and records that do not fit `into`', async () => {
    const p = await pairs(20, '127.0.0.1');
    const nl = b.diagSocket!(-1) as number;
    try {
      const wanted = Uint32Array.from([...p.clients, ...p.accepted].map(inodeOf)).sort();
      const lean = b.diagDump!(nl, 0, C.AF_INET!, C.IPPROTO_TCP!, wanted, 1 | 2) as Pack; // whole messages: asked by their ids too
      const offsets = Array.from({ length: lean.index.length / 3 }, (_, j) => lean.index[3 * j + 1]!);
      const gone = inetRecordAt(lean.bytes, offsets[0]!).inode;
      const socket = [...p.clients, ...p.accepted].find((s) => inodeOf(s) === gone)!;
      socket.resetAndDestroy();
      await once(socket, 'close');
      // Another socket's cookie in a copy of one message: the kernel answers ESTALE.
      const forged = Buffer.from(lean.bytes);
      forged.writeUInt32LE(forged.readUInt32LE(offsets[1]! + binding.diagInetLayout!.cookie) ^ 1, offsets[1]! + binding.diagInetLayout!.cookie);
      const got = b.diagExact!(nl, C.IPPROTO_TCP!, forged, Uint32Array.from(offsets), 1) as Pack;
      const found = new Set(Array.from({ length: got.index.length / 3 }, (_, j) => got.index[3 * j]!));
      // Its peer, reset, is closed too (in no hash: not found by its id either).
      expect(found.size).toBe(offsets.length - 3);
      expect(found.has(gone)).toBe(false);
      expect(found.has(inetRecordAt(lean.bytes, offsets[1]!).inode)).toBe(false);
      // Room for two and a half records: two whole ones, nothing cut.
      const one = b.diagExact!(nl, C.IPPROTO_TCP!, lean.bytes, Uint32Array.from(offsets.slice(3, 4)), 1) as Pack;
      const small = Buffer.alloc(Math.floor(2.5 * one.bytes.length));
      const some = b.diagExact!(nl, C.IPPROTO_TCP!, lean.bytes, Uint32Array.from(offsets.slice(3)), 1, small) as Pack;
      expect(some.index.length / 3).toBe(2);
      expect(some.used).toBe(2 * one.bytes.length);
      for (let j = 0; j < some.index.length; j += 3) expect(inetRecordAt(small.subarray(0, some.used), some.index[j + 1]!).skmem).toBeDefined();
    } finally {
      b.close!(nl);
      p.close();
    }
  });

  it('asks no more at once than the socket\'s receive buffer holds answers for, and bounds the offsets of a call', async () => {
    const p = await pairs(150, '127.0.0.1');
    const nl = b.diagSocket!(-1) as number;
    try {
      const wanted = Uint32Array.from([...p.clients, ...p.accepted].map(inodeOf)).sort();
      const full = b.diagDump!(nl, 0, C.AF_INET!, C.IPPROTO_TCP!, wanted, 1 | 2) as Pack;
      const offsets = Uint32Array.from({ length: full.index.length / 3 }, (_, j) => full.index[3 * j + 1]!);
      expect(offsets.length).toBe(300);
      // 8 kB (the kernel doubles 4096): 64 answers at once would overflow it and be lost (ENOBUFS).
      binding.setInt(nl, C.SOL_SOCKET!, C.SO_RCVBUF!, 4096);
      for (const flags of [0, 1]) expect((b.diagExact!(nl, C.IPPROTO_TCP!, full.bytes, offsets, flags) as Pack).index.length / 3).toBe(300);
      expect(codeOf(() => b.diagExact!(nl, C.IPPROTO_TCP!, full.bytes, new Uint32Array(2 ** 20 + 1)))).toBe('ERR_OUT_OF_RANGE');
    } finally {
      b.close!(nl);
      p.close();
    }
  });

  it('with no fd to spare: a cgroup path unread is asked for again by the next socket; the process is not taken as exited', async () => {
    const p = await pairs(2, '127.0.0.1');
    const inodes = [...p.clients, ...p.accepted].map(inodeOf);
    const table = socketTables(process.pid, inodes);
    const filler: number[] = [];
    try {
      const known = table.get(inodes[0]!)!.kernel.cgroup; // this host's answer, with fds to spare
      // This host (the CI's) has a cgroup v2 line for this process, which names the path.
      expect(/^0::/m.test(readFileSync('/proc/self/cgroup', 'utf8'))).toBe(true);
      expect(typeof known).toBe('string');
      const fresh = socketTables(process.pid, inodes);
      try {
        for (;;) filler.push(openSync('/dev/null', 'r'));
      } catch (err) {
        expect((err as { code?: string }).code).toBe('EMFILE');
      }
      const starved = fresh.get(inodes[1]!)!;
      const gone = exited(process.pid); // /proc/PID/stat unreadable for want of an fd: not "exited"
      for (const fd of filler.splice(0)) closeSync(fd);
      expect(gone).toBe(false);
      expect(starved.kernel.cgroupId).toBeDefined();
      expect(starved.kernel.cgroup).toBeUndefined(); // /proc/PID/cgroup could not be opened
      expect(fresh.get(inodes[2]!)!.kernel.cgroup).toBe(known); // asked again once fds are free
      fresh.close();
    } finally {
      for (const fd of filler) closeSync(fd);
      table.close();
      p.close();
    }
  });

  it('refuses bad arguments with coded errors, and never hangs on a wrong fd', () => {
    const script = `
      const { binding: b } = require(${JSON.stringify(join(root, 'lib', 'kernel', 'binding.js'))});
      const net = require('node:net'); const fs = require('node:fs'); const codes = [];
      const tryIt = (f) => { try { const r = f(); codes.push(r && r.index ? 'records ' + r.index.length / 3 : typeof r); } catch (e) { codes.push(e.code); } };
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const client = net.connect(server.address().port, '127.0.0.1', () => {
          const nl = b.diagSocket(-1);
          const lean = b.diagDump(nl, 0, 2, 6, Uint32Array.of(fs.fstatSync(client._handle.fd).ino), 1 | 2); // this client alone
          const at = lean.index[1];
          const ok = Uint32Array.of(at);
          tryIt(() => b.diagExact(nl, 6, lean.bytes, ok));
          tryIt(() => b.diagExact(nl, 6, lean.bytes, new Uint32Array(0)));
          tryIt(() => b.diagExact(nl, 17, lean.bytes, ok)); // the same id asked of UDP: not found
          for (const args of [[nl, 1, lean.bytes, ok], [nl, 'x', lean.bytes, ok], [nl, 6, 'x', ok], [nl, 6, lean.bytes, [at]], [nl, 6, lean.bytes, new Int32Array(1)],
            [nl, 6, lean.bytes, Uint32Array.of(at + 2)], [nl, 6, lean.bytes, Uint32Array.of(lean.bytes.length)], [nl, 6, lean.bytes, Uint32Array.of(2 ** 32 - 4)],
            [nl, 6, lean.bytes.subarray(0, 40), Uint32Array.of(0)], [nl, 6, lean.bytes, ok, 'x'], [nl, 6, lean.bytes, ok, 1, 'x'], [nl, 6, lean.bytes, ok, 1, new Uint16Array(8)], ['x', 6, lean.bytes, ok]]) tryIt(() => b.diagExact(...args));
          const detached = new Uint8Array(64); structuredClone(detached.buffer, { transfer: [detached.buffer] });
          tryIt(() => b.diagExact(nl, 6, detached, Uint32Array.of(0)));
          tryIt(() => b.diagExact(nl, 6, lean.bytes, ok, 1, Buffer.alloc(0))); // no room: nothing kept
          const shared = new Uint8Array(new SharedArrayBuffer(lean.bytes.length)); shared.set(lean.bytes);
          tryIt(() => b.diagExact(nl, 6, shared, ok));
          const both = Buffer.concat([lean.bytes, Buffer.alloc(4096)]);
          tryIt(() => b.diagExact(nl, 6, both, ok, 1, both)); // written over its own ids: they were copied first
          tryIt(() => b.diagExact(client._handle.fd, 6, lean.bytes, ok)); // not a netlink socket: nothing sent to its peer
          const file = fs.openSync('/dev/null', 'r');
          tryIt(() => b.diagExact(file, 6, lean.bytes, ok));
          fs.closeSync(file);
          b.close(nl);
          tryIt(() => b.diagExact(nl, 6, lean.bytes, ok)); // closed
          console.log(JSON.stringify(codes));
          client.destroy(); server.close();
        });
      });`;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual([
      'records 1', 'records 0', 'records 0',
      'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE',
      'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE',
      'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE',
      'ERR_INVALID_ARG_VALUE', 'records 0', 'records 1', 'records 1',
      'ERR_INVALID_ARG_VALUE', 'ENOTSOCK', 'EBADF',
    ]);
  });
});

describe.skipIf(!canReadInetRecords || !b.diagExact || !binding.pidfdGetfd)('a streamed read of a large process', () => {
  let target: ChildProcess;
  let pid: number;
  beforeAll(async () => {
    target = spawn(python, [join(root, 'bench/inspect-target.py'), '2400'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = (await once(target.stdout!, 'data')) as [Buffer];
    pid = (JSON.parse(line.toString()) as { pid: number }).pid;
  });
  afterAll(() => target?.stdin?.end());

  it('gives every socket the kernel view a read holding every record gives', () => {
    const streamed: SocketReport[] = [];
    const before = netlinkFds();
    const tail = streamPid(pid, {}, { head: () => {}, socket: (s) => streamed.push(s) });
    expect(netlinkFds()).toEqual(before);
    const held = snapshotPid(pid);
    expect(tail.optionsRead).toBe(true);
    expect(streamed.length).toBeGreaterThanOrEqual(2401);
    expect(streamed.map((s) => s.fd)).toEqual(held.sockets.map((s) => s.fd));
    const view = (s: SocketReport) => {
      const { skmem, timer, ...k } = s.kernel ?? {};
      return JSON.stringify([s.kind, s.state, s.local, s.remote, s.error, Object.keys(s.kernel ?? {}).sort(), k, skmem && Object.keys(skmem), timer?.name]);
    };
    expect(streamed.filter((s) => s.kernel?.skmem === undefined || s.error)).toEqual([]);
    expect(streamed.map(view)).toEqual(held.sockets.map(view));
  });

  it('a socket in SYN_SENT (no peer to read: getpeername says ENOTCONN) keeps its whole record, early and late in the read', async () => {
    // A listener with a full accept queue: connects to it stay in SYN_SENT (their SYNs dropped).
    const script = `
import json, os, socket, sys
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(0)
def syn():
    c = socket.socket(); c.setblocking(False)
    try: c.connect(l.getsockname())
    except BlockingIOError: pass
    return c
held = [l] + [syn() for _ in range(3)]
server = socket.create_server(('127.0.0.1', 0))
for _ in range(700):
    c = socket.create_connection(server.getsockname()); a, _ = server.accept(); held += [c, a]
held += [syn() for _ in range(3)]
print(json.dumps({'pid': os.getpid()}), flush=True)
sys.stdin.read()
`;
    const syn = spawn(python, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(syn.stdout!, 'data')) as [Buffer];
      const { pid: synPid } = JSON.parse(line.toString()) as { pid: number };
      const streamed: SocketReport[] = [];
      streamPid(synPid, {}, { head: () => {}, socket: (s) => streamed.push(s) });
      const held = new Map(snapshotPid(synPid).sockets.map((s) => [s.fd, s]));
      const synSent = streamed.filter((s) => s.state === 'SYN_SENT');
      expect(synSent.length).toBeGreaterThanOrEqual(4); // of 6: the queue takes one or two of each group
      expect(Math.max(...synSent.map((s) => s.fd))).toBeGreaterThan(1100); // some after the first batch
      for (const s of synSent) {
        const h = held.get(s.fd)!;
        expect([s.remote, s.sendQueue, s.recvQueue, s.kernel?.cookie]).toEqual([h.remote, h.sendQueue, h.recvQueue, h.kernel?.cookie]);
        expect(s.remote).not.toBeNull();
        expect(s.kernel?.skmem).toBeDefined();
      }
    } finally {
      syn.stdin!.end();
    }
  });

  it('under fd pressure (EMFILE at random points): every run answers; a socket read again also gets its record', async () => {
    // Whether EMFILE strikes, and where, changes from run to run: each run must hold up.
    for (const limit of [30, 32, 34, 35, 36, 38, 32, 34, 36, 38]) {
      const r = await spawnAsync('bash', ['-c', `ulimit -n ${limit}; exec "$0" "$1" inspect ${pid} --json`, process.execPath, join(root, 'lib', 'cli.js')], { timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0); // an answer, partial where EMFILE struck (denied, or the /proc tables)
      const report = JSON.parse(r.stdout) as { tables: string; optionsRead: boolean; sockets: SocketReport[] };
      if (report.tables !== 'sock_diag') continue; // no netlink socket to be had: the /proc fallback's rows (no kernel view)
      const bare = report.sockets.filter((s) => s.kind === 'tcp' && s.options !== undefined && s.kernel === undefined);
      expect(bare.map((s) => s.fd), `ulimit -n ${limit}`).toEqual([]);
    }
  });

  it('closes its sock_diag socket once, when the sink throws midway too', () => {
    const before = netlinkFds();
    let n = 0;
    expect(() => streamPid(pid, {}, { head: () => {}, socket: () => {
      if (++n === 1500) throw new Error('the sink stops here');
    } })).toThrow('the sink stops here');
    expect(netlinkFds()).toEqual(before);
  });

  it('a table by id: rows asked for by the ids a batch read gives; one its id no longer finds has none; once reads end, a whole dump', async () => {
    const p = await pairs(3, '127.0.0.1');
    try {
      const sockets = [...p.clients, ...p.accepted];
      const inodes = sockets.map(inodeOf);
      const peer = sockets.findIndex((s) => s.remotePort === sockets[0]!.localPort && s !== sockets[0]);
      // One bound to an interface: its id names it only with that interface (the dump's idiag_if, kept in its entry).
      const bound = [1, 2, 3].find((i) => i !== peer)!;
      setsockopt(sockets[bound]!, 'SO_BINDTODEVICE', 'lo');
      const before = netlinkFds();
      const table = socketTables(process.pid, inodes.concat(inodeOf(p.server)), false, true, undefined, true);
      const pidfd = binding.pidfdOpen!(process.pid);
      try {
        expect(netlinkFds().length).toBe(before.length + 1); // kept open for the asking
        expect(table.given(inodes[1]!)).toBeUndefined(); // not before a first range shows the kernel's records complete
        expect(table.get(inodes[1]!)).toBeUndefined(); // its index entry alone: no record yet
        expect(table.get(inodeOf(p.server))!.state).toBe('LISTEN'); // a listener's whole record is kept
        const batch = new DuplicateBatch(pidfd, sockets.length, 1);
        batch.read(sockets.map((s, i) => ({ fd: fdOf(s), inode: inodes[i]!, queues: false })));
        sockets[0]!.resetAndDestroy(); // after its read: its id finds it no more, nor its peer's
        await once(sockets[0]!, 'close');
        table.fetch(0, sockets.length, (i, family, ifindex, into, at) => batch.idMessage(i, family, ifindex, inodes[i]!, into, at));
        for (const i of [0, peer]) {
          expect(table.heldById(inodes[i]!)).toEqual({ family: 'IPv4', state: 'ESTABLISHED' });
          expect(table.get(inodes[i]!)).toBeUndefined();
        }
        for (let i = 1; i < sockets.length; i++) {
          if (i === peer) continue;
          expect(table.heldById(inodes[i]!)).toBeUndefined();
          expect(table.get(inodes[i]!)).toMatchObject({ state: 'ESTABLISHED', kernel: { skmem: expect.anything() } });
          expect(table.given(inodes[i]!)).toMatchObject({ byId: true, family: C.AF_INET, ifindex: i === bound ? 1 : 0 });
        }
      } finally {
        b.close!(pidfd);
        table.close();
        table.close(); // once only: the second is a no-op
      }
      expect(netlinkFds()).toEqual(before);
      // Reads refused after all: the rows held by id are dumped again, whole (TCP_INFO too).
      const other = socketTables(process.pid, inodes.slice(1), false, true, undefined, true);
      try {
        expect(other.get(inodes[1]!)).toBeUndefined();
        other.readsEnded();
        expect(other.lean).toBe(false);
        expect(other.get(inodes[1]!)).toMatchObject({ state: 'ESTABLISHED', kernel: { skmem: expect.anything() }, tcpInfo: expect.anything() });
      } finally {
        other.close();
      }
    } finally {
      p.close();
    }
  });

  it('a socket closed after the dump, before its record came: a TCP row in its dumped state, with the error', async () => {
    const p = await pairs(1300, '127.0.0.1');
    try {
      const byFd = [...p.clients, ...p.accepted].sort((x, y) => fdOf(y) - fdOf(x));
      // Rows after the first batch, read ahead or not yet: closed once the stream has begun.
      const gone = byFd.filter((s) => fdOf(s) > 1100 && fdOf(s) < 1800).slice(0, 40);
      const goneFds = new Set(gone.map(fdOf));
      const seen: SocketReport[] = [];
      let begun = false;
      streamPid(process.pid, {}, {
        head: () => {},
        socket: (s) => {
          if (!begun) {
            begun = true;
            for (const x of gone) x.destroy(); // libuv closes the fd at once
          }
          if (goneFds.has(s.fd)) seen.push(s);
        },
      });
      expect(seen.length).toBe(40);
      for (const s of seen) {
        // EBADF, or ESTALE where the fd number was taken again meanwhile (here, by a duplicate the read itself made).
        expect(s).toMatchObject({ kind: 'tcp', family: 'IPv4', type: 'stream', state: 'ESTABLISHED' });
        expect(['EBADF', 'ESTALE']).toContain(s.error?.code);
      }
    } finally {
      p.close();
    }
  });

  it('a socket its id no longer finds (reset by its peer after the dump) is read again whole: every option there, no error', async () => {
    const p = await pairs(1300, '127.0.0.1'); // 2,600 sockets: the first batch (1,024) and several after
    try {
      const peerOf = (s: net.Socket): net.Socket => (p.clients.includes(s) ? p.accepted.find((a) => a.remotePort === s.localPort)! : p.clients.find((c) => c.localPort === s.remotePort)!);
      const byFd = [...p.clients, ...p.accepted].sort((x, y) => fdOf(y) - fdOf(x));
      const bound = fdOf(byFd[299]!);
      // Sockets whose rows come last, their peers' rows earlier: the peers are reset once the stream has begun.
      const late = byFd.slice(0, 300).filter((s) => fdOf(peerOf(s)) < bound).slice(0, 30);
      expect(late.length).toBe(30);
      const lateFds = new Set(late.map(fdOf));
      const peerFds = new Set(late.map((s) => fdOf(peerOf(s)))); // closed by the reset: their rows say so (EBADF)
      const seen: SocketReport[] = [];
      let begun = false;
      const others: SocketReport[] = [];
      streamPid(process.pid, {}, {
        head: () => {},
        socket: (s) => {
          if (!begun) {
            begun = true;
            for (const x of late) peerOf(x).resetAndDestroy();
          }
          if (lateFds.has(s.fd)) seen.push(s);
          else if (s.kind === 'tcp' && s.state === 'ESTABLISHED' && !peerFds.has(s.fd)) others.push(s);
        },
      });
      expect(seen.length).toBe(30);
      for (const s of seen) {
        expect(s.error).toBeUndefined();
        expect(s).toMatchObject({ kind: 'tcp', state: 'CLOSE', family: 'IPv4' });
        expect(s.kernel).toBeUndefined();
        const o = s.options as Record<string, Record<string, unknown>>;
        expect(typeof o.SOL_SOCKET!.SO_RCVBUF).toBe('number');
        expect(o.SOL_SOCKET!.SO_DOMAIN).toBe(C.AF_INET);
        expect(typeof o.IPPROTO_IP!.IP_TOS).toBe('number');
        expect(typeof o.IPPROTO_TCP!.TCP_CONGESTION).toBe('string');
      }
      expect(others.length).toBeGreaterThan(2000);
      expect(others.filter((s) => s.kernel?.skmem === undefined || s.error)).toEqual([]);
    } finally {
      p.close();
    }
  });
});
