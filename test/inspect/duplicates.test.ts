// readDuplicates, the batch reader behind `sockopt inspect PID`: on this process's own
// sockets (through its own pidfd) it gives what snapshot() reads on them, closes every
// duplicate it makes, and refuses hostile arguments with coded errors, never a crash.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { constants as os } from 'node:os';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding, type Binding } from '../../src/kernel/binding';
import { BATCH, canReadAhead, canReadDuplicates, DuplicateBatch, type Given } from '../../src/inspect/duplicates';
import { DIAG_RECORD } from '../../src/inspect/table-types';
import { snapshot } from '../../src/inspect/snapshot';
import { resolveFd } from '../../src/node/fd';
import { fdOf, figure, pidfdWithGetfd, tcpPair, unixPair, type StreamPair, type TcpPair } from '../helpers';

const raw = binding as unknown as Record<keyof Binding, (...a: unknown[]) => unknown>;
const layout = binding.readDuplicatesLayout!;

// pidfd_getfd on this process itself: Linux >= 5.6 and ptrace rights over ourselves.
const ownPidfd = () => (canReadDuplicates ? pidfdWithGetfd(process.pid, 0) : null);

const linkOf = (fd: string) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return ''; // closed meanwhile
  }
};
// The fds open now, as fd:link (an fd readdir listed and something closed since, its own
// included, is left out). Compared as sets, so that an fd something else closes meanwhile
// (Node's own, on some versions) does not count; io_uring fds apart, for libuv has its own
// from Node 22 on and the background readers keep theirs until they idle out.
function fdSet(rings = false): Set<string> {
  return new Set(readdirSync('/proc/self/fd').map((f) => `${f}:${linkOf(f)}`).filter((x) => !x.endsWith(':') && x.includes('io_uring') === rings));
}
// What `now` has that `then` had not: the fds opened since and still open.
const added = (now: Set<string>, then: Set<string>) => [...now].filter((x) => !then.has(x));
const inodeOf = (fd: number) => statSync(`/proc/self/fd/${fd}`).ino;

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

let pidfd: number | null = null;
let pair: TcpPair;
let unix: StreamPair;
beforeAll(async () => {
  pidfd = ownPidfd();
  pair = await tcpPair();
  unix = await unixPair(`\0sockopt-duplicates-${process.pid}`);
});
afterAll(async () => {
  await pair.close();
  await unix.close();
  if (pidfd !== null) binding.close!(pidfd);
});

describe.skipIf(!canReadDuplicates)('readDuplicates', () => {
  it('reads what snapshot() reads, for TCP, UDP, unix and listeners, and closes every duplicate', (ctx) => {
    if (pidfd === null) return ctx.skip();
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    return new Promise<void>((done) => udp.once('listening', done)).then(() => {
      const fds = [fdOf(pair.client), fdOf(pair.accepted), fdOf(pair.server), resolveFd(udp), fdOf(unix.client), fdOf(unix.server)];
      const before = fdSet();
      const batch = new DuplicateBatch(pidfd!, BATCH, 2);
      batch.read(fds.map((fd) => ({ fd, inode: inodeOf(fd), queues: true })));
      expect(added(fdSet(), before)).toEqual([]);
      fds.forEach((fd, k) => {
        expect(batch.getfdErrno(k)).toBe(0);
        expect(batch.statErrno(k)).toBe(0);
        const packed = JSON.parse(JSON.stringify(batch.snapshot(k, fd)));
        const live = JSON.parse(JSON.stringify(snapshot(fd)));
        // Live counters move between two reads; everything else must match.
        for (const s of [packed, live]) if (s.tcpInfo) s.tcpInfo = Object.keys(s.tcpInfo);
        expect(packed).toEqual(live);
      });
      udp.close();
    });
  });

  it('reports closed fds, fds that are not sockets and a changed inode per row, and closes what it opened', (ctx) => {
    if (pidfd === null) return ctx.skip();
    const file = openSync('/proc/self/stat', 'r');
    const closed = openSync('/dev/null', 'r');
    closeSync(closed);
    const before = fdSet();
    const batch = new DuplicateBatch(pidfd, 8, 1);
    batch.read([
      { fd: closed, inode: 1, queues: false },
      { fd: file, inode: inodeOf(file), queues: true },
      { fd: fdOf(pair.client), inode: 12345, queues: false },
      { fd: -1, inode: 0, queues: false },
      { fd: 2 ** 31 - 1, inode: 0, queues: false },
    ]);
    expect(added(fdSet(), before)).toEqual([]);
    expect(batch.getfdErrno(0)).toBe(os.errno.EBADF);
    expect(batch.getfdErrno(1)).toBe(0);
    expect(thrown(() => batch.snapshot(1, file)).code).toBe('ENOTSOCK'); // as snapshot() on a file
    expect(batch.statErrno(2)).toBe(os.errno.ESTALE);
    expect(batch.getfdErrno(3)).toBe(os.errno.EBADF);
    expect(batch.getfdErrno(4)).toBe(os.errno.EBADF);
    expect(() => batch.getfdErrno(5)).toThrow(RangeError); // not a row of this batch
    closeSync(file);
    batch.read([]); // an empty list reads nothing
    expect(added(fdSet(), before)).toEqual([]);
    expect([...fdSet()].some((x) => x.startsWith(`${file}:`))).toBe(false);
  });

  it('checks a row read with its record by SO_COOKIE, not fstat, once a row of its kind was read', (ctx) => {
    if (pidfd === null) return ctx.skip();
    const C = binding.constants;
    // What a TCP row's sock_diag record says of it (SocketTable.given()): its record is there.
    const facts = { family: C.AF_INET!, protocol: C.IPPROTO_TCP!, ifindex: 0, attrs: 0, classId: 1 };
    const cookieOf = (fd: number) => snapshot(fd).options.SOL_SOCKET!.SO_COOKIE as bigint;
    const client = fdOf(pair.client), accepted = fdOf(pair.accepted);
    const given = (cookie: bigint) => ({ local: null, remote: null, type: 'stream', state: 'ESTABLISHED', [DIAG_RECORD]: { cookie } }) as unknown as Given;
    const batch = new DuplicateBatch(pidfd, 8, 1);
    const before = fdSet();
    batch.read([
      { fd: client, inode: inodeOf(client), queues: false, given: facts }, // the first of its kind: by fstat
      { fd: accepted, inode: inodeOf(accepted), queues: false, given: facts },
      { fd: client, inode: inodeOf(accepted), queues: false, given: facts }, // listed as another socket
      { fd: accepted, inode: 12345, queues: false }, // no record: by fstat, as before
    ]);
    expect(added(fdSet(), before)).toEqual([]);
    expect(batch.statErrno(0)).toBe(0);
    expect(batch.statErrno(1, given(cookieOf(accepted)))).toBe(0);
    expect(batch.statErrno(1, given(cookieOf(client)))).toBe(os.errno.ESTALE); // another socket's record
    expect(batch.statErrno(1)).toBe(os.errno.ESTALE); // no record to compare with: not taken as checked
    // Row 2 is told the wrong inode, but its record's cookie is the socket's: only the cookie counts there.
    expect(batch.statErrno(2, given(cookieOf(client)))).toBe(0);
    expect(batch.statErrno(2, given(cookieOf(accepted)))).toBe(os.errno.ESTALE);
    expect(batch.statErrno(3)).toBe(os.errno.ESTALE);
  });

  it('refuses wrong types, short arrays and bad thread counts with coded errors', () => {
    const n = 2;
    const specs = new Int32Array([binding.constants.SOL_SOCKET!, binding.constants.SO_TYPE!, 0]);
    const stride = 2 * layout.cells.address + layout.cells.tcpInfo;
    const args = (): unknown[] => [
      pidfd ?? 0, new Int32Array([0, 1]), new Float64Array(n), new Int32Array(n), specs, new Float64Array(n), new Int32Array(n),
      new BigUint64Array(n), new Int32Array(n * layout.meta.size), new Uint8Array(n * stride), 1,
    ];
    const call = (a: unknown[]) => raw.readDuplicates!(...a);
    expect(() => call(args())).not.toThrow();
    const wrong: unknown[] = [undefined, null, 'x', {}, [1, 2], new Float32Array(2), 3n];
    for (let i = 0; i < 11; i++) {
      for (const bad of wrong) {
        const a = args();
        a[i] = bad;
        expect(thrown(() => call(a)).code).toMatch(/^ERR_(INVALID_ARG_TYPE|OUT_OF_RANGE)$/);
      }
    }
    for (const i of [2, 3, 5, 6, 7, 8, 9]) {
      const a = args();
      a[i] = new ((a[i] as object).constructor as new (n: number) => unknown)(1);
      expect(thrown(() => call(a)).code).toBe('ERR_OUT_OF_RANGE');
    }
    for (const threads of [0, -1, 17, 1.5]) {
      const a = args();
      a[10] = threads;
      expect(thrown(() => call(a)).code).toBe('ERR_OUT_OF_RANGE');
    }
    const a = args();
    a[4] = new Int32Array(4); // not whole [level, optname, kind] triples
    expect(thrown(() => call(a)).code).toBe('ERR_OUT_OF_RANGE');
    const gone = new ArrayBuffer(n * layout.meta.size * 4);
    const detached = new Int32Array(gone);
    structuredClone(gone, { transfer: [gone] });
    const d = args();
    d[8] = detached;
    expect(thrown(() => call(d)).code).toBe('ERR_OUT_OF_RANGE');
    // Empty lists with empty (even detached) outputs: nothing to do, no error.
    expect(() => call([pidfd ?? 0, new Int32Array(0), new Float64Array(0), new Int32Array(0), specs, new Float64Array(0), new Int32Array(0), new BigUint64Array(0), detached, new Uint8Array(0), 1])).not.toThrow();
  });

  it('reads into SharedArrayBuffer-backed outputs, and a pidfd that is not one gives per-row errors', (ctx) => {
    const n = 1;
    const specs = new Int32Array([binding.constants.SOL_SOCKET!, binding.constants.SO_TYPE!, 0]);
    const stride = 2 * layout.cells.address + layout.cells.tcpInfo;
    const shared = <T>(C: new (b: SharedArrayBuffer) => T, bytes: number) => new C(new SharedArrayBuffer(bytes));
    const meta = shared(Int32Array, n * layout.meta.size * 4);
    const nums = shared(Float64Array, 8);
    const file = openSync('/dev/null', 'r');
    const before = fdSet();
    // Not a pidfd (a plain file): the kernel refuses each row; nothing is opened.
    binding.readDuplicates!(file, new Int32Array([0]), new Float64Array(n), new Int32Array(n), specs, nums, shared(Int32Array, 4), shared(BigUint64Array, 8), meta, shared(Uint8Array, stride), 1);
    expect(meta[layout.meta.getfd]).toBeGreaterThan(0);
    expect(added(fdSet(), before)).toEqual([]);
    closeSync(file);
    if (pidfd === null) return ctx.skip();
    const fd = fdOf(pair.client);
    binding.readDuplicates!(pidfd, new Int32Array([fd]), new Float64Array([inodeOf(fd)]), new Int32Array(n), specs, nums, shared(Int32Array, 4), shared(BigUint64Array, 8), meta, shared(Uint8Array, stride), 1);
    expect(meta[layout.meta.getfd]).toBe(0);
    expect(nums[0]).toBe(binding.constants.SOCK_STREAM);
  });
});

describe.skipIf(!canReadAhead)('readDuplicatesStart / readDuplicatesFinish', () => {
  const specs = new Int32Array([binding.constants.SOL_SOCKET!, binding.constants.SO_TYPE!, 0]);
  const stride = 2 * layout.cells.address + layout.cells.tcpInfo;
  const outputs = (n: number): unknown[] => [new Float64Array(n), new Int32Array(n), new BigUint64Array(n), new Int32Array(n * layout.meta.size), new Uint8Array(n * stride)];

  it('reads on a thread what read() reads, with the pidfd closed meanwhile, and closes every duplicate', async (ctx) => {
    if (pidfd === null) return ctx.skip();
    const fds = [fdOf(pair.client), fdOf(pair.accepted), fdOf(pair.server), fdOf(unix.client), fdOf(unix.server)];
    const rows = fds.map((fd) => ({ fd, inode: inodeOf(fd), queues: true }));
    await new Promise((r) => setTimeout(r, 600)); // a reader thread of an earlier test idles out
    const before = fdSet();
    const ringsBefore = fdSet(true);
    const own = binding.pidfdOpen!(process.pid);
    const ahead = new DuplicateBatch(own, BATCH, 2);
    ahead.start(rows);
    expect(() => ahead.getfdErrno(0)).toThrow(RangeError); // no rows until finish()
    expect(() => ahead.start(rows)).toThrow(/under way/);
    binding.close!(own); // the job holds its own copy of the pidfd
    ahead.finish();
    ahead.finish(); // nothing under way: nothing to do
    const now = new DuplicateBatch(pidfd, BATCH, 1);
    now.read(rows);
    expect(added(fdSet(), before)).toEqual([]); // every duplicate closed
    expect(added(fdSet(true), ringsBefore).length).toBeLessThanOrEqual(2); // a ring per reader thread, two at most
    for (let i = 0; i < 40 && added(fdSet(true), ringsBefore).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(added(fdSet(true), ringsBefore)).toEqual([]); // and those closed once the threads idle out
    fds.forEach((fd, k) => {
      expect(ahead.getfdErrno(k)).toBe(0);
      expect(ahead.statErrno(k)).toBe(0);
      const [a, b] = [ahead, now].map((batch) => JSON.parse(JSON.stringify(batch.snapshot(k, fd))));
      for (const s of [a, b]) if (s.tcpInfo) s.tcpInfo = Object.keys(s.tcpInfo);
      expect(a).toEqual(b);
      expect(ahead.queues(k)).toEqual(now.queues(k));
    });
  });

  it('refuses what is not a job, a job taken twice, short arrays and bad arguments with coded errors', (ctx) => {
    if (pidfd === null) return ctx.skip();
    const start = (a: unknown[]) => raw.readDuplicatesStart!(...a);
    const finish = (a: unknown[]) => raw.readDuplicatesFinish!(...a);
    const startArgs = (): unknown[] => [pidfd, new Int32Array([fdOf(pair.client), 0]), new Float64Array([inodeOf(fdOf(pair.client)), inodeOf(0)]), new Int32Array(2), specs, 1];
    for (let i = 0; i < 6; i++) {
      for (const bad of [undefined, null, 'x', {}, new Float32Array(2), 3n]) {
        const a = startArgs();
        a[i] = bad;
        expect(thrown(() => start(a)).code).toMatch(/^ERR_(INVALID_ARG_TYPE|OUT_OF_RANGE)$/);
      }
    }
    for (const threads of [0, 17, 1.5]) {
      const a = startArgs();
      a[5] = threads;
      expect(thrown(() => start(a)).code).toBe('ERR_OUT_OF_RANGE');
    }
    const short = startArgs();
    short[2] = new Float64Array(1);
    expect(thrown(() => start(short)).code).toBe('ERR_OUT_OF_RANGE');
    const file = openSync('/dev/null', 'r');
    closeSync(file);
    const closed = startArgs();
    closed[0] = file; // a closed number: the pidfd cannot be copied
    expect(thrown(() => start(closed)).code).toBe('EBADF');
    const before = fdSet();
    const job = start(startArgs());
    for (const notJob of [undefined, {}, 1, new Int32Array(2)]) expect(thrown(() => finish([notJob, ...outputs(2)])).code).toBe('ERR_INVALID_ARG_TYPE');
    const tooShort = outputs(2);
    tooShort[4] = new Uint8Array(stride); // one row's text only
    expect(thrown(() => finish([job, ...tooShort])).code).toBe('ERR_OUT_OF_RANGE');
    const out = outputs(2);
    finish([job, ...out]);
    expect((out[0] as Float64Array)[0]).toBe(binding.constants.SOCK_STREAM);
    expect((out[3] as Int32Array)[layout.meta.size + layout.meta.getfd]).toBe(0); // fd 0 duplicated too
    expect(thrown(() => finish([job, ...outputs(2)])).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(added(fdSet(), before)).toEqual([]); // its copy of the pidfd closed, every duplicate too
    start(startArgs()); // never finished: dropped, its thread joined when it is collected
    // reuse: a job, null or undefined; anything else is refused before any read.
    for (const bad of [{}, 1, 'job', new Int32Array(2)]) expect(thrown(() => start([...startArgs(), false, bad])).code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it("runs its thread below the caller's priority, and leaves the caller's as it was", (ctx) => {
    if (pidfd === null) return ctx.skip();
    // /proc/self/task/TID/stat field 19 is the thread's nice (after the comm's ")").
    const niceOf = (tid: string): number | null => {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      } catch {
        return null; // the thread ended
      }
    };
    const own = niceOf(String(process.pid))!;
    const udp = createSocket('udp4');
    return new Promise<void>((done) => udp.bind(0, '127.0.0.1', done)).then(() => {
      const fds = new Int32Array(20_000).fill(resolveFd(udp)); // long enough to be seen running
      const job = raw.readDuplicatesStart!(pidfd, fds, new Float64Array(fds.length).fill(inodeOf(fds[0]!)), new Int32Array(fds.length), specs, 1, false);
      const lowered = Math.min(19, own + 10);
      const seen = new Set<number | null>(); // the niceness of every thread of this process
      const until = Date.now() + 2000;
      while (!seen.has(lowered) && Date.now() < until) {
        for (const tid of readdirSync('/proc/self/task')) seen.add(niceOf(tid));
      }
      raw.readDuplicatesFinish!(job, ...outputs(fds.length));
      udp.close();
      expect([...seen]).toContain(lowered);
      expect(niceOf(String(process.pid))).toBe(own);
    });
  });

  it('a job takes over a finished job\'s memory: the same rows, zeroed, with fewer page faults', (ctx) => {
    if (pidfd === null) return ctx.skip();
    const start = (a: unknown[]) => raw.readDuplicatesStart!(...a);
    const finish = (a: unknown[]) => raw.readDuplicatesFinish!(...a);
    const udp = createSocket('udp4');
    const run = (fds: number[], reuse?: unknown) => {
      const job = start([pidfd, Int32Array.from(fds), Float64Array.from(fds, inodeOf), new Int32Array(fds.length), specs, 1, false, reuse]);
      const out = outputs(fds.length);
      finish([job, ...out]);
      return { job, out };
    };
    return new Promise<void>((done) => udp.bind(0, '127.0.0.1', done)).then(() => {
      const long = [fdOf(unix.client), fdOf(unix.server), resolveFd(udp), fdOf(unix.client)]; // unix names fill text cells
      const short = [resolveFd(udp), resolveFd(udp)];
      const first = run(long);
      const fresh = run(short);
      const reused = run(short, first.job); // first's memory: larger, its text cells written
      for (let i = 0; i < fresh.out.length; i++) expect(reused.out[i]).toEqual(fresh.out[i]);
      expect(thrown(() => finish([first.job, ...outputs(long.length)])).code).toBe('ERR_INVALID_ARG_VALUE'); // taken, and its memory gone
      run(short, first.job); // nothing left to take over: a fresh mapping
      const unfinished = start([pidfd, Int32Array.from(short), Float64Array.from(short, inodeOf), new Int32Array(2), specs, 1]);
      const notTaken = run(short, unfinished); // rows not taken: left alone
      for (let i = 0; i < fresh.out.length; i++) expect(notTaken.out[i]).toEqual(fresh.out[i]);
      const out = outputs(2);
      finish([unfinished, ...out]);
      expect(out[0]).toEqual(fresh.out[0]);
      // Faults: a batch of BATCH rows, read 12 times, each job taking over the one before, or not.
      // Inputs and outputs made once: fresh arrays per read would fault pages of their own,
      // as many or as few as the allocator and the GC happen to leave (flaky on Node 26).
      const many = Int32Array.from({ length: BATCH }, () => resolveFd(udp));
      const inputs = [many, Float64Array.from(many, inodeOf), new Int32Array(BATCH), specs, 1, false];
      const rows = outputs(BATCH);
      const faults = (reuse: boolean) => {
        let last: unknown;
        const before = process.resourceUsage().minorPageFault;
        for (let i = 0; i < 12; i++) {
          const job = start([pidfd, ...inputs, reuse ? last : undefined]);
          finish([job, ...rows]);
          last = job;
        }
        return process.resourceUsage().minorPageFault - before;
      };
      faults(true); // warm
      const [without, withReuse] = [faults(false), faults(true)];
      figure('minor page faults, 12 batches', { without, withReuse });
      // Every batch but the first takes over the memory before: its pages are not faulted
      // in again. A difference, not a ratio: ASan's shadow memory adds faults to both.
      const pages = Math.ceil((BATCH * (specs.length / 3) * 20 + BATCH * layout.meta.size * 4 + BATCH * stride) / 4096);
      expect(without - withReuse).toBeGreaterThan(0.8 * 11 * pages);
      udp.close();
    });
  });
});
