// npm run bench: ns per call for sockopt, the C floor, a minimal addon and the
// alternatives, measured side by side in one run (rounds interleaved, medians reported),
// plus memory over 1e6 gets and an HTTP benchmark of per-connection policy and telemetry.
// Prints a table and the targets of issue 17 (met/missed), writes bench/results.json.
// Run with --expose-gc (the npm script does).
'use strict';
const { execFileSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Bench } = require('tinybench');
const sockopt = require('..');
const { median, pair, snapshotFloorSpecs } = require('./common');
const { httpBench } = require('./http-front');
const derhuerst = require('sockopt-derhuerst');
const netKeepalive = require('net-keepalive');

const { constants: C, getsockopt, setsockopt, setsockopts, getTcpInfo, snapshot } = sockopt;
const ROUNDS = 5;
const INNER = 1000; // calls per timed iteration, so timer overhead stays out of the figures
const FLOOR_ITERS = 300_000;
const spread = (xs) => [Math.min(...xs), Math.max(...xs)];

function runFloor(exe, specs, env) {
  return JSON.parse(execFileSync(exe, [String(FLOOR_ITERS), ...specs], { encoding: 'utf8', env: { ...process.env, ...env } }));
}

// The issue's reference point: the smallest node-addon-api getsockopt/setsockopt taking
// (fd, level, optname) numbers (bench/minimal). Built here with node-gyp; without a
// compiler (or node headers) the row is left out and the run says so.
function minimalAddon() {
  const dir = path.join(__dirname, 'minimal');
  try {
    // This Node's own headers when it has them (as on a distribution's nodejs), else node-gyp fetches them.
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    const nodedir = fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
    execFileSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '-C', dir, ...nodedir], { stdio: 'ignore' });
    return require(path.join(dir, 'build', 'Release', 'minimal.node'));
  } catch (err) {
    console.error(`bench: the minimal addon did not build (${err.message.split('\n')[0]}); its rows are left out`);
    return undefined;
  }
}

async function main() {
  const exe = path.join(__dirname, 'floor');
  execFileSync('cc', ['-O2', '-pthread', '-o', exe, path.join(__dirname, 'floor.c')]);
  const minimal = minimalAddon();
  const { server, client, peer } = await pair();
  const fd = client._handle.fd;
  const udp = dgram.createSocket('udp4');
  await new Promise((r) => udp.bind(0, '127.0.0.1', r));

  const GET = `g:${C.SOL_SOCKET}:${C.SO_RCVBUF}:4`;
  const SET = `s:${C.IPPROTO_TCP}:${C.TCP_NODELAY}`;
  const INFO = `g:${C.IPPROTO_TCP}:${C.TCP_INFO}:344`; // the addon asks for its 280-byte struct + 64 spare
  const INTVL = `g:${C.IPPROTO_TCP}:${C.TCP_KEEPINTVL}:4`;
  // The batch's four sets, each as the C loop makes it (TCP_NODELAY alternating, the rest fixed).
  const BATCH = [SET, `s:${C.IPPROTO_TCP}:${C.TCP_USER_TIMEOUT}:30000`, `s:${C.SOL_SOCKET}:${C.SO_KEEPALIVE}:1`, `s:${C.IPPROTO_TCP}:${C.TCP_KEEPIDLE}:30`];
  const snapSpecs = snapshotFloorSpecs();
  const floorSpecs = [...new Set([GET, SET, INFO, INTVL, ...BATCH, ...snapSpecs])];

  let flip = false;
  const buf = Buffer.alloc(4);
  const loop = (fn) => () => {
    for (let i = 0; i < INNER; i++) fn();
  };
  const tasks = {
    'sockopt getsockopt(sock, SO_RCVBUF)': loop(() => getsockopt(client, 'SO_RCVBUF')),
    'sockopt setsockopt(sock, TCP_NODELAY, ±)': loop(() => setsockopt(client, 'TCP_NODELAY', (flip = !flip))),
    'sockopt getsockopt(fd, SO_RCVBUF)': loop(() => getsockopt(fd, 'SO_RCVBUF')),
    'sockopt setsockopt(fd, TCP_NODELAY, ±)': loop(() => setsockopt(fd, 'TCP_NODELAY', (flip = !flip))),
    ...(minimal && {
      'minimal addon getsockopt(fd, SOL_SOCKET, SO_RCVBUF)': loop(() => minimal.getsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUF)),
      'minimal addon setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, ±)': loop(() => minimal.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, Number((flip = !flip)))),
    }),
    'sockopt raw getsockopt(sock, SOL_SOCKET, SO_RCVBUF, 4) → Buffer': loop(() => getsockopt(client, C.SOL_SOCKET, C.SO_RCVBUF, 4)),
    'sockopt raw getsockopt(sock, SOL_SOCKET, SO_RCVBUF, buf) → bytes': loop(() => getsockopt(client, C.SOL_SOCKET, C.SO_RCVBUF, buf)),
    'sockopt getTcpInfo(sock)': loop(() => getTcpInfo(client)),
    'sockopt snapshot(sock)': () => {
      for (let i = 0; i < INNER / 20; i++) snapshot(client);
    },
    'sockopt setsockopts(sock, { 4 options })': () => {
      for (let i = 0; i < INNER / 4; i++) setsockopts(client, { TCP_NODELAY: (flip = !flip), TCP_USER_TIMEOUT: 30_000, SO_KEEPALIVE: true, TCP_KEEPIDLE: 30 });
    },
    'sockopt setsockopt × 4 (the same options)': () => {
      for (let i = 0; i < INNER / 4; i++) {
        setsockopt(client, 'TCP_NODELAY', (flip = !flip));
        setsockopt(client, 'TCP_USER_TIMEOUT', 30_000);
        setsockopt(client, 'SO_KEEPALIVE', true);
        setsockopt(client, 'TCP_KEEPIDLE', 30);
      }
    },
    'sockopt getsockopt(sock, TCP_KEEPINTVL)': loop(() => getsockopt(client, 'TCP_KEEPINTVL')),
    'sockopt getsockopt(udp, SO_RCVBUF)': loop(() => getsockopt(udp, 'SO_RCVBUF')),
    'other sockopt 2.x getsockopt(sock, SOL_SOCKET, SO_RCVBUF)': loop(() => derhuerst.getsockopt(client, C.SOL_SOCKET, C.SO_RCVBUF)),
    'other sockopt 2.x setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, ±)': loop(() => derhuerst.setsockopt(client, C.IPPROTO_TCP, C.TCP_NODELAY, Number((flip = !flip)))),
    'net-keepalive getKeepAliveInterval(sock)': () => {
      for (let i = 0; i < INNER / 20; i++) netKeepalive.getKeepAliveInterval(client);
    },
    'node socket.setNoDelay(±)': loop(() => client.setNoDelay((flip = !flip))),
    'node dgram getRecvBufferSize()': loop(() => udp.getRecvBufferSize()),
  };
  const perCall = { 'sockopt snapshot(sock)': INNER / 20, 'net-keepalive getKeepAliveInterval(sock)': INNER / 20, 'sockopt setsockopts(sock, { 4 options })': INNER / 4, 'sockopt setsockopt × 4 (the same options)': INNER / 4 };

  const samples = {};
  const floors = {};
  for (let round = 0; round < ROUNDS; round++) {
    const f = runFloor(exe, floorSpecs);
    for (const [k, v] of Object.entries(f)) (floors[k] ??= []).push(v);
    // The same two calls in a process with a second thread, as every Node process is (floor.c).
    const mt = runFloor(exe, [GET, SET], { FLOOR_THREADS: '1' });
    (floors.mtGet ??= []).push(mt[GET]);
    (floors.mtSet ??= []).push(mt[SET]);
    // The same syscalls one after the other, as a snapshot makes them (kernel caches shared).
    (floors.seq ??= []).push(JSON.parse(execFileSync(exe, [String(FLOOR_ITERS / 50), 'seq', ...snapSpecs], { encoding: 'utf8' })).seq);
    const bench = new Bench({ time: 150, warmupTime: 30 });
    for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
    await bench.run();
    for (const t of bench.tasks) (samples[t.name] ??= []).push((t.result.latency.p50 * 1e6) / (perCall[t.name] ?? INNER));
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const ns = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const floor = Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, median(v)]));
  const snapFloor = snapSpecs.reduce((sum, s) => sum + floor[s], 0);
  const batchFloor = BATCH.reduce((sum, s) => sum + floor[s], 0);

  // Memory: 1e6 int gets, after GC.
  global.gc();
  const m0 = process.memoryUsage();
  for (let i = 0; i < 1_000_000; i++) getsockopt(client, 'SO_RCVBUF');
  global.gc();
  const m1 = process.memoryUsage();

  client.destroy();
  peer.destroy();
  server.close();
  udp.close();

  const http = await httpBench();

  const baseOf = (name) =>
    /TCP_INFO|getTcpInfo/.test(name) ? floor[INFO]
    : /snapshot/.test(name) ? snapFloor
    : /4 options|× 4/.test(name) ? batchFloor
    : /set|NoDelay/.test(name) ? floor[SET]
    : /KEEPINTVL|KeepAliveInterval/.test(name) ? floor[INTVL]
    : floor[GET];
  const rows = [
    ['C floor getsockopt(SO_RCVBUF)', floor[GET], 1, spread(floors[GET])],
    ['C floor setsockopt(TCP_NODELAY)', floor[SET], 1, spread(floors[SET])],
    ['C floor getsockopt(SO_RCVBUF), multi-threaded process', floor.mtGet, floor.mtGet / floor[GET], spread(floors.mtGet)],
    ['C floor setsockopt(TCP_NODELAY), multi-threaded process', floor.mtSet, floor.mtSet / floor[SET], spread(floors.mtSet)],
    ['C floor getsockopt(TCP_INFO)', floor[INFO], 1, spread(floors[INFO])],
    ['C floor: sum of what snapshot reads', snapFloor, 1, undefined],
    ['C floor: what snapshot reads, in turn', floor.seq, floor.seq / snapFloor, spread(floors.seq)],
    ['C floor: the 4 sets of the batch', batchFloor, 1, undefined],
    ...Object.keys(tasks).map((name) => [name, ns[name], ns[name] / baseOf(name), spread(samples[name])]),
  ];
  const r = (name) => ns[name];
  const ratio = (name) => r(name) / baseOf(name);
  const conns = await require('./connections').report();
  const c = http.cpuPerRequest;
  const targets = [
    ['get by name ≤ 1.4× C floor (socket)', ratio('sockopt getsockopt(sock, SO_RCVBUF)'), (x) => x <= 1.4, '×'],
    ['get by name ≤ 1.4× C floor (fd)', ratio('sockopt getsockopt(fd, SO_RCVBUF)'), (x) => x <= 1.4, '×'],
    ['set by name ≤ 1.4× C floor (socket)', ratio('sockopt setsockopt(sock, TCP_NODELAY, ±)'), (x) => x <= 1.4, '×'],
    ['set by name ≤ 1.4× C floor (fd)', ratio('sockopt setsockopt(fd, TCP_NODELAY, ±)'), (x) => x <= 1.4, '×'],
    ['raw Buffer get ≤ 2× C floor', ratio('sockopt raw getsockopt(sock, SOL_SOCKET, SO_RCVBUF, 4) → Buffer'), (x) => x <= 2, '×'],
    ['snapshot ≤ 1.2× sum of its floors', ratio('sockopt snapshot(sock)'), (x) => x <= 1.2, '×'],
    ['getTcpInfo ≤ 2× its floor', ratio('sockopt getTcpInfo(sock)'), (x) => x <= 2, '×'],
    ['no heap growth over 1e6 gets (heapUsed after GC)', (m1.heapUsed - m0.heapUsed) / 1024, (x) => x < 256, ' KiB'],
    ['HTTP, tuneSockets on every connection ≥ 0.98× none', http.tuned / http.plain, (x) => x >= 0.98, '×'],
    ['HTTP, tuneSockets + trackConnections ≥ 0.97× none', http.tracked / http.plain, (x) => x >= 0.97, '×'],
    ['HTTP, + trackConnections ≥ 0.95× tuneSockets alone (req per CPU s)', c.tuned / c.tracked, (x) => x >= 0.95, '×'],
    ['per connection, policy both ends ≤ by hand + 2 µs', conns.differences.policyVsHand, (x) => x <= 2, ' µs'],
    ['per connection, + trackConnections (both ends) ≤ 3 µs', conns.differences.tracking, (x) => x <= 3, ' µs'],
  ].map(([name, value, ok, unit]) => ({ target: name, value: +value.toFixed(2), unit: unit.trim(), met: ok(value) }));
  const compare = (a, b) => +(r(a) / r(b)).toFixed(2);
  const comparisons = {
    'get: minimal addon / sockopt (socket)': minimal ? compare('minimal addon getsockopt(fd, SOL_SOCKET, SO_RCVBUF)', 'sockopt getsockopt(sock, SO_RCVBUF)') : null,
    'set: minimal addon / sockopt (socket)': minimal ? compare('minimal addon setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, ±)', 'sockopt setsockopt(sock, TCP_NODELAY, ±)') : null,
    'get: other sockopt 2.x / sockopt': compare('other sockopt 2.x getsockopt(sock, SOL_SOCKET, SO_RCVBUF)', 'sockopt getsockopt(sock, SO_RCVBUF)'),
    'set: other sockopt 2.x / sockopt': compare('other sockopt 2.x setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, ±)', 'sockopt setsockopt(sock, TCP_NODELAY, ±)'),
    'net-keepalive / sockopt (TCP_KEEPINTVL)': compare('net-keepalive getKeepAliveInterval(sock)', 'sockopt getsockopt(sock, TCP_KEEPINTVL)'),
    '4 × setsockopt / setsockopts (one crossing)': compare('sockopt setsockopt × 4 (the same options)', 'sockopt setsockopts(sock, { 4 options })'),
    'snapshot / C floor of its syscalls in turn': +(r('sockopt snapshot(sock)') / floor.seq).toFixed(2),
    'get by name (socket) / C floor in a multi-threaded process': +(r('sockopt getsockopt(sock, SO_RCVBUF)') / floor.mtGet).toFixed(2),
    'get by name (fd) / C floor in a multi-threaded process': +(r('sockopt getsockopt(fd, SO_RCVBUF)') / floor.mtGet).toFixed(2),
    'set by name (socket) / C floor in a multi-threaded process': +(r('sockopt setsockopt(sock, TCP_NODELAY, ±)') / floor.mtSet).toFixed(2),
    'set by name (fd) / C floor in a multi-threaded process': +(r('sockopt setsockopt(fd, TCP_NODELAY, ±)') / floor.mtSet).toFixed(2),
    'minimal addon get / C floor in a multi-threaded process': minimal ? +(r('minimal addon getsockopt(fd, SOL_SOCKET, SO_RCVBUF)') / floor.mtGet).toFixed(2) : null,
    'HTTP req/s: tuneSockets / the same options set by hand': +(http.tuned / http.byhand).toFixed(2),
    'HTTP req/s: the same options set by hand / none': +(http.byhand / http.plain).toFixed(2),
  };

  const fmt = (x) => x.toFixed(1).padStart(9);
  console.log(`\nsockopt benchmark — ${new Date().toISOString()} — Node ${process.version} — ${os.cpus()[0].model} × ${os.cpus().length} — load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`medians of ${ROUNDS} interleaved rounds (min–max of the rounds in brackets)\n`);
  console.log(`${'what'.padEnd(66)} ${'ns/call'.padStart(9)} ${'× floor'.padStart(9)}`);
  for (const [name, v, ratioOf, s] of rows) {
    console.log(`${name.padEnd(66)} ${fmt(v)} ${ratioOf.toFixed(2).padStart(9)}${s ? `  [${s[0].toFixed(0)}–${s[1].toFixed(0)}]` : ''}`);
  }
  if (!minimal) console.log('(minimal addon rows left out: it did not build)');
  console.log(`\nmemory over 1e6 getsockopt(sock, 'SO_RCVBUF') after GC: heapUsed ${(m0.heapUsed / 1048576).toFixed(2)} → ${(m1.heapUsed / 1048576).toFixed(2)} MiB, rss ${(m0.rss / 1048576).toFixed(1)} → ${(m1.rss / 1048576).toFixed(1)} MiB`);
  const rates = (v) => http.rates[v].map((x) => x.toFixed(0)).join(', ');
  console.log(
    `HTTP (autocannon → front → backend, a new connection per request on both hops, ${http.seconds} s × ${http.rounds} rounds, ${http.connections} connections): ` +
      `none ${http.plain.toFixed(0)} req/s [${rates('plain')}], tuneSockets ${http.tuned.toFixed(0)} [${rates('tuned')}], + trackConnections ${http.tracked.toFixed(0)} [${rates('tracked')}], ` +
      `the same options by hand ${http.byhand.toFixed(0)} [${rates('byhand')}]`,
  );
  console.log(`  the front's CPU per request: none ${c.plain.toFixed(0)} µs, tuneSockets ${c.tuned.toFixed(0)} µs (${(c.plain / c.tuned).toFixed(2)}× the requests per CPU second), + trackConnections ${c.tracked.toFixed(0)} µs (${(c.plain / c.tracked).toFixed(2)}×)`);
  console.log(`  the same options set by hand (setsockopts on 'connection' and after 'connect'): ${c.byhand.toFixed(0)} µs (${(c.plain / c.byhand).toFixed(2)}× none): the options themselves cost ${(c.byhand - c.plain).toFixed(0)} µs, tuneSockets ${(c.tuned - c.byhand).toFixed(0)} µs more (${(c.byhand / c.tuned).toFixed(2)}× by hand)`);
  console.log('\ncomparisons (ratio of ns/call)');
  for (const [k, v] of Object.entries(comparisons)) if (v !== null) console.log(`  ${k}: ${v}×`);
  console.log('\ntargets');
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}${t.unit === '×' ? '×' : ` ${t.unit}`}`);
  const out = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0].model, cpus: os.cpus().length, loadavg: os.loadavg(), rounds: ROUNDS, rows: rows.map(([what, nsPerCall, ratioOf, s]) => ({ what, nsPerCall, ratio: ratioOf, spread: s })), memory: { before: m0, after: m1 }, http, connections: conns, comparisons, targets };
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  await require('./telemetry').report(); // trackConnections overhead: its own section and bench/telemetry-results.json
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
