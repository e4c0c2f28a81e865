// Where the time of each call goes, layer by layer, in one process: the C floor, the
// minimal addon, our native functions called directly, then the public calls. Rounds are
// interleaved; medians of 9 rounds (min–max in brackets). `node bench/breakdown.js`
// after `npm run bench` (which builds bench/floor and bench/minimal). The floor is measured
// twice: in a single-threaded process and in one with a second thread (as Node always is).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const sockopt = require('..');
const { median, pair, snapshotFloorSpecs } = require('./common');
const { binding } = require('../lib/kernel/binding');
const { options, intGet, intSet, table } = require('../lib/core/options');

const ROUNDS = 9;
const N = 100_000;
const C = sockopt.constants;

async function main() {
  const { server, client, peer } = await pair();
  const fd = client._handle.fd;
  let minimal;
  try {
    minimal = require('./minimal/build/Release/minimal.node');
  } catch {
    minimal = undefined;
  }
  const rcvbuf = table.SO_RCVBUF.id;
  const nodelay = table.TCP_NODELAY.id;
  const buf = Buffer.alloc(4);
  let flip = false;
  const snapSpecs = snapshotFloorSpecs(); // what snapshot reads, as the C floor reads it
  const readOnlyOptions = snapSpecs.slice(0, -3);
  const kinds = { int: 0, uint: 0, bool: 0, timeval: 1, linger: 2, string: 3, u64: 4 };
  const readable = Object.values(options).filter((o) => o.supported && o.readable && !['SO_ERROR', 'TCP_INFO', 'SO_PEERCRED'].includes(o.name));
  const specs = new Int32Array(readable.flatMap((o) => [o.levelNumber, o.optname, kinds[o.kind]]));
  const nums = new Float64Array(readable.length);
  const errs = new Int32Array(readable.length);
  const wide = new BigUint64Array(readable.length);
  const names = new Int32Array(6);
  const rows = {
    'JS: client._handle.fd': [1, () => client._handle.fd],
    ...(minimal && { 'minimal addon getsockopt(fd, 1, 8)': [1, () => minimal.getsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUF)] }),
    'native getInt(fd, level, optname)': [1, () => binding.getInt(fd, C.SOL_SOCKET, C.SO_RCVBUF)],
    'native intGet(fd, id) (what getsockopt calls)': [1, () => intGet(fd, rcvbuf)],
    "getsockopt(fd, 'SO_RCVBUF')": [1, () => sockopt.getsockopt(fd, 'SO_RCVBUF')],
    "getsockopt(sock, 'SO_RCVBUF')": [1, () => sockopt.getsockopt(client, 'SO_RCVBUF')],
    ...(minimal && { 'minimal addon setsockopt(fd, 6, 1, ±)': [1, () => minimal.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, Number((flip = !flip)))] }),
    'native setInt(fd, level, optname, ±)': [1, () => binding.setInt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, Number((flip = !flip)))],
    'native intSet(fd, id, ±) (what setsockopt calls)': [1, () => intSet(fd, nodelay, Number((flip = !flip)))],
    "setsockopt(fd, 'TCP_NODELAY', ±)": [1, () => sockopt.setsockopt(fd, 'TCP_NODELAY', (flip = !flip))],
    "setsockopt(sock, 'TCP_NODELAY', ±)": [1, () => sockopt.setsockopt(client, 'TCP_NODELAY', (flip = !flip))],
    'JS: Buffer.allocUnsafe(4)': [1, () => Buffer.allocUnsafe(4)],
    'native getInto(fd, 1, 8, buf)': [1, () => binding.getInto(fd, C.SOL_SOCKET, C.SO_RCVBUF, buf)],
    'getsockopt(sock, 1, 8, buf) → bytes': [1, () => sockopt.getsockopt(client, C.SOL_SOCKET, C.SO_RCVBUF, buf)],
    'getsockopt(sock, 1, 8, 4) → Buffer': [1, () => sockopt.getsockopt(client, C.SOL_SOCKET, C.SO_RCVBUF, 4)],
    'native readOptions (every option but TCP_INFO, both addresses)': [50, () => binding.readOptions(fd, specs, nums, errs, wide, names)],
    'getTcpInfo(sock)': [1, () => sockopt.getTcpInfo(client)],
    'snapshot(sock)': [50, () => sockopt.snapshot(client)],
  };
  const floorExe = path.join(__dirname, 'floor');
  const floorSpecs = [`g:${C.SOL_SOCKET}:${C.SO_RCVBUF}:4`, `s:${C.IPPROTO_TCP}:${C.TCP_NODELAY}`, ...snapSpecs];
  const floors = [];
  const t = {};
  for (let r = 0; r < ROUNDS; r++) {
    floors.push({
      ...JSON.parse(execFileSync(floorExe, ['100000', ...new Set(floorSpecs)], { encoding: 'utf8' })),
      seq: JSON.parse(execFileSync(floorExe, ['2000', 'seq', ...snapSpecs], { encoding: 'utf8' })).seq,
      // In a process with a second thread, as Node always is (see floor.c).
      mt: JSON.parse(execFileSync(floorExe, ['100000', ...new Set(floorSpecs)], { encoding: 'utf8', env: { ...process.env, FLOOR_THREADS: '1' } })),
      mtSeq: JSON.parse(execFileSync(floorExe, ['2000', 'seq', ...snapSpecs], { encoding: 'utf8', env: { ...process.env, FLOOR_THREADS: '1' } })).seq,
    });
    for (const [name, [div, fn]] of Object.entries(rows)) {
      const n = N / div;
      for (let i = 0; i < n / 10; i++) fn();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn();
      (t[name] ??= []).push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  const f = (keys) => floors.map((x) => keys.reduce((a, k) => a + x[k], 0));
  const mt = (keys) => floors.map((x) => keys.reduce((a, k) => a + x.mt[k], 0));
  const fl = {
    'C floor getsockopt(SO_RCVBUF)': f([floorSpecs[0]]),
    'C floor setsockopt(TCP_NODELAY)': f([floorSpecs[1]]),
    'C floor: what readOptions reads': f([...readOnlyOptions, 'name', 'peer']),
    'C floor getsockopt(TCP_INFO)': f([snapSpecs.at(-3)]),
    'C floor: sum of what snapshot reads': f(snapSpecs),
    'C floor: what snapshot reads, in turn': f(['seq']),
    'C floor getsockopt(SO_RCVBUF), multi-threaded process': mt([floorSpecs[0]]),
    'C floor setsockopt(TCP_NODELAY), multi-threaded process': mt([floorSpecs[1]]),
    'C floor: what readOptions reads, multi-threaded process': mt([...readOnlyOptions, 'name', 'peer']),
    'C floor: what snapshot reads, in turn, multi-threaded process': floors.map((x) => x.mtSeq),
  };
  console.log(`breakdown — ${new Date().toISOString()} — Node ${process.version}; medians of ${ROUNDS} interleaved rounds, ns per call [min–max]`);
  for (const [name, xs] of [...Object.entries(fl), ...Object.entries(t)]) {
    console.log(`${name.padEnd(66)} ${median(xs).toFixed(1).padStart(9)}  [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`);
  }
  client.destroy();
  peer.destroy();
  server.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
