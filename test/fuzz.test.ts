// Property-based fuzzing of the native binding and the public API with arbitrary
// arguments. Properties: the process survives; every throw is an Error with a string
// `code`; and for calls that succeed, the value read by name is what the kernel holds
// (the same option read back as raw bytes through the other native path).
// FUZZ_RUNS scales it (npm run fuzz); the default makes > 100,000 calls.
import * as dgram from 'node:dgram';
import { closeSync, openSync } from 'node:fs';
import * as net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/binding';
import { resolveFd } from '../src/fd';
import { getsockopt, options, setsockopt, snapshot, getTcpInfo, decodeTcpInfo, type OptionName } from '../src/index';
import { boundUdp, fdOf, figure, listeningServer, tcpPair, unixPair, type StreamPair, type TcpPair } from './helpers';

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
  for (const fd of [...ownFds, fdOf(v6.accepted)]) {
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
    expect(typeof (err as { code?: unknown }).code).toBe('string');
    return err;
  }
}

const anything = fc.oneof(
  fc.anything(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_VALUE, 1.5),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 64 }),
  fc.constant(Buffer.alloc(65536)),
  fc.constant(Buffer.alloc(0)),
  fc.constant(new DataView(new ArrayBuffer(8))),
  fc.string(),
);
const nativeNames = ['getInt', 'setInt', 'getTimeval', 'setTimeval', 'getLinger', 'setLinger', 'getString', 'setString', 'getU64', 'getBuffer', 'getInto', 'setBuffer', 'getIntBatch', 'getPeerCred', 'sockNames', 'getTcpInfo', 'decodeTcpInfo', 'socket', 'bind', 'close'] as const;
const optionNames = Object.keys(options) as OptionName[];

describe('fuzz', () => {
  it('native getters with arbitrary arguments on every kind of fd: coded errors, never a crash', { timeout: 120_000 }, () => {
    const getters = nativeNames.filter((n) => n.startsWith('get') || n === 'sockNames' || n === 'decodeTcpInfo');
    fc.assert(
      fc.property(fc.constantFrom(...getters), fc.oneof(fc.constantFrom(...ownFds, ...inertFds, resolveFd(udp)), anything), anything, anything, anything, (fn, fd, a, b, c) => {
        coded(() => (binding as unknown as Record<string, (...x: unknown[]) => unknown>)[fn]!(fd, a, b, c));
      }),
      { numRuns: RUNS },
    );
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
    const setters = ['setInt', 'setTimeval', 'setLinger', 'setString', 'setBuffer'] as const;
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
          : o.kind === 'string' ? raw.toString('utf8').replace(/\0.*$/s, '')
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
});
