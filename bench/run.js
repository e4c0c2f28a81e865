// npm run bench: ns per call for sockopt, the C floor and the alternatives, measured
// side by side in one run (rounds interleaved, medians reported), plus memory over
// 1e6 gets and an HTTP benchmark. Prints a table and writes bench/results.json.
// Run with --expose-gc (the npm script does).
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const dgram = require('node:dgram');
const { once } = require('node:events');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Bench } = require('tinybench');
const autocannon = require('autocannon');
const sockopt = require('..');
const derhuerst = require('sockopt-derhuerst');
const netKeepalive = require('net-keepalive');

const { constants: C, getsockopt, setsockopt, getTcpInfo, snapshot, options } = sockopt;
const ROUNDS = 5;
const INNER = 1000; // calls per timed iteration, so timer overhead stays out of the figures
const FLOOR_ITERS = 300_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function pair() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = net.connect(server.address().port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  return { server, client, peer };
}

// What snapshot() reads on a TCP/IPv4 socket, as floor specs: one getsockopt per option
// (with the buffer size the addon uses for that kind), TCP_INFO, getsockname, getpeername.
function snapshotFloorSpecs() {
  const size = { int: 4, uint: 4, bool: 4, timeval: 16, linger: 8, string: 255, u64: 8 };
  const specs = Object.values(options)
    .filter((o) => o.supported && o.readable && !['SO_ERROR', 'TCP_INFO', 'SO_PEERCRED'].includes(o.name))
    .map((o) => `g:${o.levelNumber}:${o.optname}:${size[o.kind]}`);
  return [...specs, `g:${C.IPPROTO_TCP}:${C.TCP_INFO}:344`, 'name', 'peer'];
}

function runFloor(exe, specs) {
  return JSON.parse(execFileSync(exe, [String(FLOOR_ITERS), ...specs], { encoding: 'utf8' }));
}

async function main() {
  const exe = path.join(__dirname, 'floor');
  execFileSync('cc', ['-O2', '-o', exe, path.join(__dirname, 'floor.c')]);
  const { server, client, peer } = await pair();
  const fd = client._handle.fd;
  const udp = dgram.createSocket('udp4');
  await new Promise((r) => udp.bind(0, '127.0.0.1', r));

  const GET = `g:${C.SOL_SOCKET}:${C.SO_RCVBUF}:4`;
  const SET = `s:${C.IPPROTO_TCP}:${C.TCP_NODELAY}`;
  const INFO = `g:${C.IPPROTO_TCP}:${C.TCP_INFO}:344`; // the addon asks for its 280-byte struct + 64 spare
  const INTVL = `g:${C.IPPROTO_TCP}:${C.TCP_KEEPINTVL}:4`;
  const snapSpecs = snapshotFloorSpecs();
  const floorSpecs = [...new Set([GET, SET, INFO, INTVL, ...snapSpecs])];

  let flip = false;
  const loop = (fn) => () => {
    for (let i = 0; i < INNER; i++) fn();
  };
  const tasks = {
    'sockopt getsockopt(sock, SO_RCVBUF)': loop(() => getsockopt(client, 'SO_RCVBUF')),
    'sockopt setsockopt(sock, TCP_NODELAY, ±)': loop(() => setsockopt(client, 'TCP_NODELAY', (flip = !flip))),
    'sockopt getsockopt(fd, SO_RCVBUF)': loop(() => getsockopt(fd, 'SO_RCVBUF')),
    'sockopt setsockopt(fd, TCP_NODELAY, ±)': loop(() => setsockopt(fd, 'TCP_NODELAY', (flip = !flip))),
    'sockopt raw getsockopt(sock, SOL_SOCKET, SO_RCVBUF, 4) → Buffer': loop(() => getsockopt(client, C.SOL_SOCKET, C.SO_RCVBUF, 4)),
    'sockopt getTcpInfo(sock)': loop(() => getTcpInfo(client)),
    'sockopt snapshot(sock)': () => {
      for (let i = 0; i < INNER / 20; i++) snapshot(client);
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
  const perCall = { 'sockopt snapshot(sock)': INNER / 20, 'net-keepalive getKeepAliveInterval(sock)': INNER / 20 };

  const samples = {};
  const floors = {};
  for (let round = 0; round < ROUNDS; round++) {
    const f = runFloor(exe, floorSpecs);
    for (const [k, v] of Object.entries(f)) (floors[k] ??= []).push(v);
    const bench = new Bench({ time: 150, warmupTime: 30 });
    for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
    await bench.run();
    for (const t of bench.tasks) (samples[t.name] ??= []).push((t.result.latency.p50 * 1e6) / (perCall[t.name] ?? INNER));
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const ns = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const floor = Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, median(v)]));
  const snapFloor = snapSpecs.reduce((sum, s) => sum + floor[s], 0);

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

  const rows = [
    ['C floor getsockopt(SO_RCVBUF)', floor[GET], 1],
    ['C floor setsockopt(TCP_NODELAY)', floor[SET], 1],
    ['C floor getsockopt(TCP_INFO)', floor[INFO], 1],
    ['C floor: sum of what snapshot reads', snapFloor, 1],
    ...Object.keys(tasks).map((name) => {
      const base = /TCP_INFO|getTcpInfo/.test(name) ? floor[INFO] : /snapshot/.test(name) ? snapFloor : /set|NoDelay/.test(name) ? floor[SET] : /KEEPINTVL|KeepAliveInterval/.test(name) ? floor[INTVL] : floor[GET];
      return [name, ns[name], ns[name] / base];
    }),
  ];
  const r = (name) => ns[name];
  const targets = [
    ['get int ≤ 1.5× C floor', r('sockopt getsockopt(sock, SO_RCVBUF)') / floor[GET], (x) => x <= 1.5, '×'],
    ['set int ≤ 1.5× C floor', r('sockopt setsockopt(sock, TCP_NODELAY, ±)') / floor[SET], (x) => x <= 1.5, '×'],
    ['≥ 1.8× faster than other sockopt (get)', r('other sockopt 2.x getsockopt(sock, SOL_SOCKET, SO_RCVBUF)') / r('sockopt getsockopt(sock, SO_RCVBUF)'), (x) => x >= 1.8, '×'],
    ['≥ 1.8× faster than other sockopt (set)', r('other sockopt 2.x setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, ±)') / r('sockopt setsockopt(sock, TCP_NODELAY, ±)'), (x) => x >= 1.8, '×'],
    ['≥ 30× faster than net-keepalive', r('net-keepalive getKeepAliveInterval(sock)') / r('sockopt getsockopt(sock, TCP_KEEPINTVL)'), (x) => x >= 30, '×'],
    ['getTcpInfo ≤ 2× its floor', r('sockopt getTcpInfo(sock)') / floor[INFO], (x) => x <= 2, '×'],
    ['snapshot ≤ 1.2× sum of its floors', r('sockopt snapshot(sock)') / snapFloor, (x) => x <= 1.2, '×'],
    ['no heap growth over 1e6 gets (heapUsed after GC)', (m1.heapUsed - m0.heapUsed) / 1024, (x) => x < 256, ' KiB'],
    ['HTTP req/s with 4 options per connection ≥ 0.98× none', http.ratio, (x) => x >= 0.98, '×'],
  ].map(([name, value, ok, unit]) => ({ target: name, value: +value.toFixed(2), unit: unit.trim(), met: ok(value) }));

  const fmt = (x) => x.toFixed(1).padStart(9);
  console.log(`\nsockopt benchmark — ${new Date().toISOString()} — Node ${process.version} — ${os.cpus()[0].model} × ${os.cpus().length} — load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`medians of ${ROUNDS} interleaved rounds\n`);
  console.log(`${'what'.padEnd(66)} ${'ns/call'.padStart(9)} ${'× floor'.padStart(9)}`);
  for (const [name, v, ratio] of rows) console.log(`${name.padEnd(66)} ${fmt(v)} ${fmt(ratio).replace(/\.\d$/, (d) => d)}`);
  console.log(`\nmemory over 1e6 getsockopt(sock, 'SO_RCVBUF') after GC: heapUsed ${(m0.heapUsed / 1048576).toFixed(2)} → ${(m1.heapUsed / 1048576).toFixed(2)} MiB, rss ${(m0.rss / 1048576).toFixed(1)} → ${(m1.rss / 1048576).toFixed(1)} MiB`);
  console.log(`HTTP (new connection per request, ${http.seconds} s × ${http.rounds} rounds each, 10 connections): none ${http.plain.toFixed(0)} req/s, 4 options ${http.tuned.toFixed(0)} req/s, ratio ${http.ratio.toFixed(3)}`);
  console.log('\ntargets');
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}${t.unit === 'KiB' ? ' KiB' : '×'}`);
  const out = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0].model, cpus: os.cpus().length, loadavg: os.loadavg(), rounds: ROUNDS, rows: rows.map(([what, nsPerCall, ratio]) => ({ what, nsPerCall, ratio })), memory: { before: m0, after: m1 }, http, targets };
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  await require('./telemetry').report(); // trackConnections overhead: its own section and bench/telemetry-results.json
}

// Two servers in child processes (so autocannon's own work does not share their
// event loop), measured alternately; req/s is each variant's median.
async function httpBench() {
  const seconds = 6;
  const rounds = 2;
  const rates = { plain: [], tuned: [] };
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 ? ['tuned', 'plain'] : ['plain', 'tuned']) {
      const child = spawn(process.execPath, [path.join(__dirname, 'http-server.js'), variant], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [line] = await once(child.stdout, 'data');
      const result = await autocannon({ url: `http://127.0.0.1:${String(line).trim()}`, connections: 10, duration: seconds });
      rates[variant].push(result.requests.average);
      child.kill();
      await once(child, 'exit');
    }
  }
  const plain = median(rates.plain);
  const tuned = median(rates.tuned);
  return { seconds, rounds, plain, tuned, ratio: tuned / plain, rates };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
