// Property-based fuzzing of the native binding and the public API with arbitrary
// arguments. Properties: the process survives; every throw is an Error with a string
// `code`; and for calls that succeed, the value read by name is what the kernel holds
// (the same option read back as raw bytes through the other native path).
// The input space: every JS type, byte views over SharedArrayBuffers, at odd offsets,
// detached, out of bounds after a resize, look-alike socket objects, megabyte strings,
// and every public function (not only get/set), each with arbitrary arguments.
// FUZZ_RUNS scales it (npm run fuzz); the default makes > 100,000 calls.
import * as dgram from 'node:dgram';
import { closeSync, openSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../../src/kernel/binding';
import { resolveFd } from '../../src/node/fd';
import * as api from '../../src/index';
import { getsockopt, options, setsockopt, snapshot, getTcpInfo, decodeTcpInfo, type OptionName } from '../../src/index';
import { boundUdp, fdOf, figure, listeningServer, tcpPair, unixPair, type StreamPair, type TcpPair } from '../helpers';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12_000);
let calls = 0;
let v4: TcpPair, v6: TcpPair;
let server: net.Server, udp: dgram.Socket, unix: StreamPair;
let ownFds: number[] = []; // sockets of ours: the only fds set-calls may touch
let inertFds: number[] = []; // a file, a pipe end, closed numbers: get-calls only
let closedNumber = -1;

beforeAll(async () => {
  v4 = await tcpPair(4);
  v6 = await tcpPair(6);
  server = await listeningServer();
  udp = await boundUdp();
  unix = await unixPair(`\0sockopt-fuzz-${process.pid}`); // abstract unix socket
  ownFds = [v4.client, v4.accepted, v6.client, server, unix.client].map((s) => fdOf(s as net.Socket));
  const file = openSync(__filename, 'r');
  const scratch = openSync(__filename, 'r');
  closeSync(scratch);
  closedNumber = scratch; // free now; anything may reuse it later, so only gets go there
  inertFds = [file, closedNumber, 2 ** 20];
});
afterAll(() => {
  // The fuzzer may have left any option on our sockets (SO_LINGER up to 70,000 s,
  // TCP_REPAIR, …), and a lingering close() blocks this thread until the peer acknowledges
  // the FIN. Linger 0 makes every close abortive (RST), so closing never waits. v6.accepted
  // is set through the public API only, so it is not in ownFds but needs the same.
  // v6.accepted may be gone: a fuzzed option can end that connection (Node then destroys the socket).
  const accepted6 = (v6.accepted as unknown as { _handle: { fd: number } | null })._handle?.fd;
  for (const fd of [...ownFds, ...(accepted6 === undefined ? [] : [accepted6])]) {
    try {
      binding.setLinger(fd, 1, 13, 0);
    } catch {
      /* some of them are listeners or unix sockets: nothing to undo */
    }
  }
  for (const pair of [v4, v6, unix]) void pair.close(); // destroys now; the servers close later
  server.close();
  udp.close();
  closeSync(inertFds[0]!);
  figure('fuzz', `${calls} calls, 0 crashes (the process survived every call)`);
});

function coded(fn: () => unknown): unknown {
  calls++;
  try {
    return fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    if (typeof (err as { code?: unknown }).code !== 'string') throw new Error(`uncoded throw: ${inspect(err)}`, { cause: err });
    return err;
  }
}

// Views a caller can build, made fresh per use (detaching and resizing change them).
function detached(make: (ab: ArrayBuffer) => ArrayBufferView): ArrayBufferView {
  const ab = new ArrayBuffer(16);
  const view = make(ab);
  structuredClone(ab, { transfer: [ab] });
  return view;
}
type Resizable = ArrayBuffer & { resize(n: number): void };
function resizable(length: number, max: number): Resizable {
  return new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Resizable)(length, { maxByteLength: max });
}
const views: (() => ArrayBufferView)[] = [
  () => new Uint8Array(new SharedArrayBuffer(8)),
  () => Buffer.from(new SharedArrayBuffer(300), 3, 280), // a whole TCP_INFO at an odd offset
  () => new DataView(new SharedArrayBuffer(12), 5, 4),
  () => new Int32Array(new SharedArrayBuffer(8), 4, 1),
  () => new BigInt64Array(new SharedArrayBuffer(24), 8, 1),
  () => new Uint8Array(new SharedArrayBuffer(0)),
  () => new Uint8Array(new ArrayBuffer(13), 3, 7),
  () => new Uint16Array(new ArrayBuffer(14), 2, 5),
  () => new Float64Array(new ArrayBuffer(40), 8, 3),
  () => new DataView(new ArrayBuffer(9), 1),
  () => new Uint8ClampedArray(5),
  () => detached((ab) => new Uint8Array(ab, 2)),
  () => detached((ab) => new DataView(ab, 1)),
  () => detached((ab) => Buffer.from(ab)),
  () => detached((ab) => new Int32Array(ab)),
  () => {
    const rab = resizable(16, 32); // a view left out of bounds by a shrink
    const v = new Uint8Array(rab, 8, 8);
    rab.resize(4);
    return v;
  },
  () => {
    const rab = resizable(4, 64); // a length-tracking view that grew
    const v = new Uint8Array(rab);
    rab.resize(40);
    return v;
  },
];
const fakeState = Object.create(dgram.Socket.prototype) as object;
(fakeState as Record<symbol, unknown>)[Symbol('state symbol')] = { handle: { fd: 0 } };
// Objects shaped like sockets without being them (and one proxy that is one).
const lookAlikes = (): unknown[] => [
  Object.create(net.Socket.prototype),
  Object.create(net.Server.prototype),
  Object.create(dgram.Socket.prototype),
  fakeState,
  { _handle: { fd: ownFds[0] } },
  { socket: { _handle: { fd: ownFds[0] } } },
  { socket: Object.create(net.Socket.prototype) },
  { socket: null, destroyed: true },
  { fd: () => ownFds[0] },
  Object.assign(Object.create(null) as object, { socket: 1 }),
  new Proxy(v4.client, {}),
  new (class Socket {})(),
];
const hugeStrings = ['x'.repeat(1 << 20), 'TCP_NODELAY'.repeat(100_000), '\uD800', 'é'.repeat(8), 'lo\0', ''];

const anything = fc.oneof(
  fc.anything(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_VALUE, 1.5, Symbol('fuzz'), true, false),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 64 }),
  fc.constant(Buffer.alloc(65536)),
  fc.constant(Buffer.alloc(0)),
  fc.constant(new DataView(new ArrayBuffer(8))),
  fc.string(),
  // Named for fast-check's report: printing a detached view would throw inside fast-check itself.
  fc.constantFrom(...views.map((make, i) => [make, `views[${i}]()`] as const)).map(([make, name]) => Object.defineProperty(make(), fc.toStringMethod, { value: () => name })),
  fc.constantFrom(...hugeStrings),
  fc.integer({ min: 0, max: 11 }).map((i) => lookAlikes()[i]),
);
// pidfdOpen/pidfdGetfd open fds (in other processes' names) and setTcpInfoOutput re-points the decoder: not fuzzed here.
const nativeNames = ['getInt', 'setInt', 'getTimeval', 'setTimeval', 'getLinger', 'setLinger', 'getString', 'setString', 'getU64', 'getBuffer', 'getInto', 'setBuffer', 'readOptions', 'setMany', 'bindTable', 'getPeerCred', 'socketQueues', 'socketNames', 'getTcpInfo', 'decodeTcpInfo', 'socket', 'bind', 'close'] as const;
const optionNames = Object.keys(options) as OptionName[];

describe('fuzz', () => {
  it('native getters with arbitrary arguments on every kind of fd: coded errors, never a crash', { timeout: 120_000 }, () => {
    const getters = nativeNames.filter((n) => n.startsWith('get') || n === 'readOptions' || n === 'bindTable' || n === 'socketQueues' || n === 'socketNames' || n === 'decodeTcpInfo');
    fc.assert(
      fc.property(fc.constantFrom(...getters), fc.oneof(fc.constantFrom(...ownFds, ...inertFds, resolveFd(udp)), anything), anything, anything, anything, (fn, fd, a, b, c) => {
        coded(() => (binding as unknown as Record<string, (...x: unknown[]) => unknown>)[fn]!(fd, a, b, c));
      }),
      { numRuns: RUNS },
    );
  });

  it('readDuplicates with each argument valid or arbitrary: coded errors, never a crash, no fd left open', { timeout: 120_000 }, () => {
    if (!binding.readDuplicates || !binding.pidfdOpen) return;
    const pidfd = binding.pidfdOpen(process.pid); // our own sockets, duplicated and read
    const L = binding.readDuplicatesLayout!;
    const specs = new Int32Array([binding.constants.SOL_SOCKET!, binding.constants.SO_TYPE!, 0, binding.constants.IPPROTO_TCP!, binding.constants.TCP_CONGESTION!, 3, 1, 25, 5]);
    const n = 2;
    const valid = (): unknown[] => [
      pidfd, new Int32Array(ownFds.slice(0, n)), new Float64Array(n), new Int32Array([1, 0]), specs, new Float64Array(3 * n), new Int32Array(3 * n),
      new BigUint64Array(3 * n), new Int32Array(n * L.meta.size), new Uint8Array(n * 4096), 2,
    ];
    const before = readdirSync('/proc/self/fd').length;
    fc.assert(
      fc.property(fc.array(fc.option(anything, { nil: undefined, freq: 2 }), { minLength: 11, maxLength: 11 }), fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }), (args, replace) => {
        const a = valid().map((v, i) => (replace[i] ? args[i] : v));
        coded(() => binding.readDuplicates!(...(a as Parameters<NonNullable<typeof binding.readDuplicates>>)));
      }),
      { numRuns: RUNS },
    );
    // Valid arrays holding arbitrary row flags (queues, given groups, family and protocol
    // hints) and kinds carrying arbitrary given-group bits and the omitted bits above them
    // (readDuplicatesLayout.omitted): values, refusals or omissions, never a crash.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: 0x3ff }), { minLength: 3, maxLength: 3 }), (flags, groups) => {
        const a = valid();
        a[3] = Int32Array.from(flags);
        a[4] = specs.map((v, i) => (i % 3 === 2 ? v | (groups[(i - 2) / 3]! << L.givenShift) : v));
        coded(() => binding.readDuplicates!(...(a as Parameters<NonNullable<typeof binding.readDuplicates>>)));
      }),
      { numRuns: RUNS },
    );
    expect(readdirSync('/proc/self/fd').length).toBe(before);
    binding.close!(pidfd);
  });

  it('native getters with plausible levels and option numbers: every result is a number, bigint, string, null, Buffer or object', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.constantFrom(...ownFds, ...inertFds), fc.constantFrom(0, 1, 6, 17, 41, 0xffff), fc.integer({ min: -2, max: 80 }), fc.integer({ min: 0, max: 70000 }), (fd, level, opt, len) => {
        coded(() => binding.getInt(fd, level, opt));
        coded(() => binding.getBuffer(fd, level, opt, len));
        coded(() => binding.getInto(fd, level, opt, Buffer.allocUnsafe(len % 300)));
        coded(() => binding.getTimeval(fd, level, opt));
        coded(() => binding.getString(fd, level, opt));
      }),
      { numRuns: RUNS },
    );
  });

  it('native setters on our own sockets with arbitrary values: coded errors, never a crash', { timeout: 120_000 }, () => {
    const setters = ['setInt', 'setTimeval', 'setLinger', 'setString', 'setBuffer', 'setMany'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...setters), fc.constantFrom(...ownFds), fc.constantFrom(0, 1, 6, 41), fc.integer({ min: 0, max: 80 }), anything, (fn, fd, level, opt, value) => {
        // Options that would change this process's traffic or make the fd unusable stay out.
        if (level === 1 && [25 /* SO_BINDTODEVICE */, 36 /* SO_MARK */].includes(opt)) return;
        coded(() => (binding as unknown as Record<string, (...x: unknown[]) => unknown>)[fn]!(fd, level, opt, value));
      }),
      { numRuns: RUNS },
    );
  });

  it('public API: every registry option with random values on sockets of every family; reads agree with the raw bytes', { timeout: 120_000 }, () => {
    const targets = () => [v4.client, v6.accepted, server, udp, unix.client] as const;
    fc.assert(
      fc.property(fc.constantFrom(...optionNames), fc.integer({ min: 0, max: 4 }), anything, fc.integer({ min: -1, max: 70_000 }), (name, which, value, n) => {
        const target = targets()[which]!;
        const o = options[name];
        if (o.writable && name !== 'SO_BINDTODEVICE') {
          coded(() => setsockopt(target as never, name as never, value as never));
          coded(() => setsockopt(target as never, name as never, n as never)); // numbers in and around range
        }
        if (!o.readable || !o.supported) return;
        const named = coded(() => getsockopt(target as never, name as never));
        if (named instanceof Error || o.kind === 'tcp_info' || o.kind === 'ucred') return;
        // The independent path: the same option as raw bytes, decoded here.
        const raw = coded(() => getsockopt(target as never, o.levelNumber!, o.optname!, 256)) as Buffer | Error;
        if (raw instanceof Error) return;
        const expected =
          o.kind === 'bool' ? raw.readInt32LE(0) !== 0
          : o.kind === 'uint' ? raw.readUInt32LE(0)
          : o.kind === 'int' ? (raw.length === 1 ? raw[0] : raw.readInt32LE(0))
          : o.kind === 'u64' ? raw.readBigUInt64LE(0)
          : o.kind === 'string' || o.kind === 'ifname' ? raw.toString('utf8').replace(/\0.*$/s, '')
          : o.kind === 'linger' ? (raw.readInt32LE(0) ? raw.readInt32LE(4) : null)
          : ((s: number, u: number) => (s * 1000 + u / 1000) || null)(Number(raw.readBigInt64LE(0)), Number(raw.readBigInt64LE(8)));
        // Reads that need not agree twice: the CPU may move between reads, and reading
        // SO_ERROR clears it (the fuzzer's settings can make a connection time out).
        if (name === 'SO_INCOMING_CPU' || name === 'SO_ERROR') return;
        expect(named).toEqual(expected);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it('socket objects and non-sockets of every shape as the first argument', { timeout: 120_000 }, () => {
    const shapes = fc.oneof(anything, fc.constantFrom(new net.Socket(), net.createServer(), dgram.createSocket('udp4'), { socket: null }, { socket: 5 }, { fd: () => 3 }, process.stdin));
    fc.assert(
      fc.property(shapes, fc.constantFrom(...optionNames, 'NOPE', ''), (sock, name) => {
        coded(() => getsockopt(sock as never, name as never));
        coded(() => snapshot(sock as never));
        coded(() => getTcpInfo(sock as never));
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it('decodeTcpInfo on buffers of every length up to 64 KiB', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.constant(new Uint8Array(65536))), (bytes) => {
        const r = coded(() => decodeTcpInfo(bytes)) as { length?: number };
        expect(r.length).toBe(bytes.length);
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
    expect(calls).toBeGreaterThan(0);
  });
  it('every public function with arbitrary arguments: coded errors, never a crash', { timeout: 120_000 }, () => {
    // Sockets a call may reconfigure: ours only (never the inert fds, whose numbers other code may reuse).
    const target = fc.oneof(
      fc.constantFrom(...ownFds, 2 ** 20, -1, 1.5, NaN),
      fc.constantFrom(0, 1, 2, 3, 4).map((i) => [v4.client, v6.accepted, server, udp, unix.client][i]),
      fc.integer({ min: 0, max: 11 }).map((i) => lookAlikes()[i]),
      anything,
    );
    const fns: Record<string, (...a: unknown[]) => unknown> = {
      getsockopt: (s, a, b, c) => (api.getsockopt as (...x: unknown[]) => unknown)(s, a, b, c),
      getsockoptByName: (s, a) => (api.getsockopt as (...x: unknown[]) => unknown)(s, typeof a === 'number' ? optionNames[Math.abs(a | 0) % optionNames.length] : a),
      setsockopt: (s, a, b, c) => (api.setsockopt as (...x: unknown[]) => unknown)(s, a, b, c),
      setsockoptByName: (s, a, b) => (api.setsockopt as (...x: unknown[]) => unknown)(s, typeof a === 'number' ? optionNames[Math.abs(a | 0) % optionNames.length] : a, b),
      isSupported: (s) => api.isSupported(s as string),
      sockopt: (s, a, b) => {
        const view = api.sockopt(s as never);
        coded(() => view.get(a as never));
        coded(() => view.set(a as never, b as never));
        coded(() => view.tcpInfo());
        coded(() => view.snapshot());
        coded(() => JSON.stringify(view));
        coded(() => view.describe());
        coded(() => String(view.full()));
        return inspect(view);
      },
      SocketOptions: (s) => new api.SocketOptions(s as never),
      describeSocket: (s) => api.describeSocket(s as never),
      formatSocket: (s, a) => api.formatSocket(s as never, a as never),
      formatAddress: (s) => api.formatAddress(s as never),
      formatBytes: (s) => api.formatBytes(s as never),
      formatDuration: (s, a) => api.formatDuration(s as never, a as never),
      formatRate: (s) => api.formatRate(s as never),
      getTcpInfo: (s, a) => api.getTcpInfo(s as never, a as never),
      decodeTcpInfo: (s, a) => api.decodeTcpInfo(s as never, a as never),
      snapshot: (s) => JSON.stringify(api.snapshot(s as never)),
      takeError: (s) => api.takeError(s as never),
      setKeepAlive: (s, a, b) => (api.setKeepAlive as (...x: unknown[]) => unknown)(s, a, ...(b === undefined ? [] : [b])),
      setUserTimeout: (s, a) => api.setUserTimeout(s as never, a as never),
      setLinger: (s, a) => api.setLinger(s as never, a as never),
      setTimeouts: (s, a) => api.setTimeouts(s as never, a as never),
      deadPeer: (s, a) => (api.deadPeer as (...x: unknown[]) => unknown)(s, a),
      createServer: (s, a) => api.createServer(s as never, a as never),
      setsockopts: (s, a) => api.setsockopts(s as never, a as never),
      setsockoptsNamed: (s, a, b) => api.setsockopts(s as never, { [typeof a === 'string' ? a : optionNames[typeof a === 'number' ? Math.abs(a | 0) % optionNames.length : 0]!]: b } as never),
      decodeTcpConnectionInfo: (s, a) => api.decodeTcpConnectionInfo(s as never, a as never),
      // Another process's sockets: only this process's own pid, or values that are not pids.
      listSockets: (s, a) => api.listSockets((typeof s === 'number' && Number.isInteger(s) && s > 0 ? process.pid : s) as never, a as never),
      snapshotPid: (s, a) => JSON.stringify(api.snapshotPid((typeof s === 'number' && Number.isInteger(s) && s > 0 ? process.pid : s) as never, a as never)),
    };
    const names = Object.keys(fns);
    fc.assert(
      fc.property(fc.constantFrom(...names), target, anything, anything, anything, (fn, s, a, b, c) => {
        coded(() => fns[fn]!(s, a, b, c));
      }),
      { numRuns: RUNS },
    );
  });

  it('public functions that open sockets, servers or subscriptions, with arbitrary arguments: coded errors, everything closed', { timeout: 120_000 }, async () => {
    const opened: { close(): void }[] = [];
    const keep = <T>(x: T, close: (x: T) => void): T => {
      if (x !== null && typeof x === 'object') {
        (x as unknown as { on?: (e: string, f: () => void) => void }).on?.('error', () => {});
        opened.push({ close: () => close(x) });
      }
      return x;
    };
    // Only loopback: object arguments get host 127.0.0.1 and a lookup that resolves nothing else.
    const loopbackOnly = (_h: string, _o: unknown, cb: (e: Error | null, a?: string, f?: number) => void) => cb(null, '127.0.0.1', 4);
    const local = (x: unknown) => (x !== null && typeof x === 'object' && !ArrayBuffer.isView(x) && !Array.isArray(x) ? { ...x, host: '127.0.0.1', lookup: loopbackOnly, localAddress: undefined } : typeof x === 'string' ? '127.0.0.1' : x);
    const destroy = (s: net.Socket) => s.destroy();
    const fns: Record<string, (...a: unknown[]) => unknown> = {
      connect: (a, b) => keep(api.connect(local(a) as never, local(b) as never), destroy),
      connectTLS: (a, b) => keep(api.connectTLS(local(a) as never, local(b) as never), destroy),
      arm: (_a, b) => keep(api.arm(new net.Socket(), local(b) as never), destroy),
      armLookAlike: (a, b) => api.arm(a as never, b as never),
      listen: (a, b) => {
        const srv = keep(net.createServer(), (x) => x.close());
        srv.once('listening', () => srv.close());
        return api.listen(srv, local(a) as never, local(b) as never);
      },
      createServerListen: (a, b) => {
        const srv = keep(api.createServer(a as never), (x) => x.close());
        srv.once('listening', () => srv.close());
        return srv.listen(local(b) as never);
      },
      bindDgram: (a, b) => {
        const sock = keep(dgram.createSocket('udp4'), (x) => {
          try {
            x.close();
          } catch {
            /* already closed */
          }
        });
        sock.once('listening', () => sock.close());
        return api.bindDgram(sock, local(a) as never, local(b) as never);
      },
      bindDgramLookAlike: (a, b) => api.bindDgram(a as never, b as never),
      tuneSockets: (a) => keep(api.tuneSockets(a as never), () => {}) as () => void,
      trackConnections: (a) => keep(api.trackConnections(a as never), () => {}) as () => void,
      agent: (a) => keep(api.agent(a as never), (x) => x.destroy()),
      httpsAgent: (a) => keep(api.httpsAgent(a as never), (x) => x.destroy()),
    };
    const names = Object.keys(fns);
    fc.assert(
      fc.property(fc.constantFrom(...names), anything, anything, (fn, a, b) => {
        const r = coded(() => fns[fn]!(a, b));
        if (typeof r === 'function') r(); // tuneSockets/trackConnections return stop()
      }),
      { numRuns: Math.ceil(RUNS / 10) },
    );
    await new Promise((r) => setTimeout(r, 200)); // listens and connects in flight settle
    for (const o of opened) o.close();
    expect(opened.length).toBeGreaterThan(0);
  });
});
