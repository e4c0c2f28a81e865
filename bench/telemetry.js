// Overhead of trackConnections(), called from bench/run.js or run alone:
//   node bench/telemetry.js
// 1. HTTP req/s, a new connection per request (the server answers `connection: close`):
//    a server with trackConnections({ interval: 1000 }) and subscribers on both channels
//    and a plain one, in child processes, loaded at the same time (and plain-vs-plain
//    control rounds for the noise of the method), plus each server's CPU per request.
// 2. CPU of sampling 10,000 idle connections every 5 s: two child processes each hold
//    10,000 client connections to a sink of their own, one tracked with a subscriber,
//    one not; both measure process.cpuUsage() over the same windows, several rounds.
// Prints a section and writes bench/telemetry-results.json. Bounded: every wait has a deadline.
'use strict';
const { spawn } = require('node:child_process');
const diagnostics = require('node:diagnostics_channel');
const { once } = require('node:events');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { median } = require('./common');

const HTTP_SECONDS = 4;
const HTTP_ROUNDS = 6;
const IDLE_CONNECTIONS = 10_000;
const IDLE_INTERVAL = 5_000; // ms
const IDLE_WINDOW = 10_000; // ms per measured window
const IDLE_ROUNDS = 3;
const NOFILE = 65_536;
const HTTP_CONTROLS = 2;

// A subscriber doing what a light consumer does: look at a field, count.
function subscribe() {
  const seen = { samples: 0, closes: 0, rttSum: 0 };
  diagnostics.subscribe('sockopt:tcp:sample', (m) => {
    seen.samples++;
    seen.rttSum += m.info.rtt;
  });
  diagnostics.subscribe('sockopt:tcp:close', (m) => {
    seen.closes++;
    seen.rttSum += m.info ? m.info.rtt : 0;
  });
  return seen;
}

/** Spawns this file in a role, with RLIMIT_NOFILE raised through the shell (as far as the hard limit allows). */
function child(...args) {
  const script = `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  return spawn('bash', ['-c', script, process.execPath, '--expose-gc', __filename, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
}

function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench/telemetry: ${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const nofile = () => Number(/Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'))[1]);

// ---- roles (child processes) ----

function httpServer(variant) {
  if (variant === 'tracked') {
    require('..').trackConnections({ interval: 1000 });
    subscribe();
  }
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    res.setHeader('connection', 'close');
    res.end('ok');
  });
  let cpu0;
  process.on('message', (m) => {
    if (m.start) {
      cpu0 = process.cpuUsage();
      requests = 0;
      process.send({ started: true });
    }
    if (m.report) {
      const cpu = process.cpuUsage(cpu0);
      process.send({ cpuUs: cpu.user + cpu.system, requests });
    }
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

function sink() {
  const held = [];
  const server = net.createServer((s) => held.push(s.on('error', () => {})));
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.send({ port: server.address().port, nofile: nofile() }));
}

async function idle(variant, port, count) {
  let seen = { samples: 0 };
  if (variant === 'tracked') {
    require('..').trackConnections({ interval: IDLE_INTERVAL, server: false });
    seen = subscribe();
  }
  const limit = Math.min(count, nofile() - 64);
  const sockets = [];
  const open = () =>
    new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  // 200 connects in flight at a time; a sink with a full accept queue just makes us wait.
  for (let i = 0; i < limit; i += 200) {
    const batch = await Promise.all(Array.from({ length: Math.min(200, limit - i) }, open));
    sockets.push(...batch);
  }
  global.gc?.(); // the garbage of opening them, collected before anything is measured
  process.send({ connections: sockets.length });
  process.on('message', (m) => {
    if (m.measure) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const s0 = seen.samples;
      setTimeout(() => {
        const cpu = process.cpuUsage(cpu0);
        const wallMs = performance.now() - t0;
        global.gc?.();
        process.send({ cpuUs: cpu.user + cpu.system, wallMs, samples: seen.samples - s0, heapUsed: process.memoryUsage().heapUsed });
      }, m.measure);
    }
    if (m.exit) process.exit(0);
  });
}

// ---- the parent ----

async function started(proc, what) {
  const [msg] = await withDeadline(once(proc, 'message'), 30_000, `${what} start`);
  return msg;
}

async function stopChild(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGKILL');
  await once(proc, 'exit');
}

// Both servers run at the same time and autocannon loads both at once, so each round
// compares them under the same machine conditions (this machine is shared: load that
// comes and goes hits both sides of a round alike). Control rounds pit two plain servers
// against each other to show the noise of the method itself.
async function httpBench() {
  const autocannon = require('autocannon');
  const round = async (a, b) => {
    const servers = [child('http-server', a), child('http-server', b)];
    try {
      const ports = await Promise.all(servers.map(async (p, i) => (await started(p, `http server (${[a, b][i]})`)).port));
      const ask = (p, m) => {
        const reply = withDeadline(once(p, 'message'), 10_000, 'the http server');
        p.send(m);
        return reply.then(([r]) => r);
      };
      await Promise.all(servers.map((p) => ask(p, { start: true })));
      const results = await Promise.all(ports.map((port) => autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: HTTP_SECONDS })));
      const cpu = await Promise.all(servers.map((p) => ask(p, { report: true })));
      return { rps: results.map((r) => r.requests.average), cpuPerRequest: cpu.map((c) => c.cpuUs / c.requests) };
    } finally {
      for (const p of servers) await stopChild(p);
    }
  };
  // Which server autocannon starts loading first matters (the controls show it), so the
  // tracked one goes first in every other round; results are put back in plain, tracked order.
  const rounds = [];
  for (let i = 0; i < HTTP_ROUNDS; i++) {
    const r = i % 2 ? await round('tracked', 'plain') : await round('plain', 'tracked');
    rounds.push(i % 2 ? { rps: [...r.rps].reverse(), cpuPerRequest: [...r.cpuPerRequest].reverse(), trackedFirst: true } : r);
  }
  const controls = [];
  for (let i = 0; i < HTTP_CONTROLS; i++) controls.push(await round('plain', 'plain'));
  const ratios = rounds.map((r) => r.rps[1] / r.rps[0]);
  const added = rounds.map((r) => r.cpuPerRequest[1] - r.cpuPerRequest[0]);
  return {
    seconds: HTTP_SECONDS,
    rounds,
    controls,
    roundRatios: ratios,
    ratio: median(ratios),
    controlRatios: controls.map((r) => r.rps[1] / r.rps[0]),
    cpuPlain: median(rounds.map((r) => r.cpuPerRequest[0])),
    cpuAdded: added,
    cpuAddedMedian: median(added),
    controlCpuDiffs: controls.map((r) => r.cpuPerRequest[1] - r.cpuPerRequest[0]),
  };
}

async function idleBench() {
  const variants = ['tracked', 'plain'];
  const sinks = variants.map(() => child('sink')); // one each: 10,000 accepted sockets fit a 20,000-fd limit
  const procs = [];
  try {
    const sunk = await Promise.all(sinks.map((p) => started(p, 'sink')));
    const count = Math.min(IDLE_CONNECTIONS, ...sunk.map((m) => m.nofile - 128));
    variants.forEach((v, i) => procs.push(child('idle', v, String(sunk[i].port), String(count))));
    const opened = await Promise.all(procs.map((p, i) => withDeadline(once(p, 'message'), 120_000, `opening connections (${variants[i]})`)));
    const connections = opened.map(([m]) => m.connections);
    // Past the first samples' 10–110 % phase: every connection now samples at 90–110 % of 5 s.
    await new Promise((r) => setTimeout(r, 1.1 * IDLE_INTERVAL + 500));
    const rounds = [];
    for (let round = 0; round < IDLE_ROUNDS; round++) {
      const replies = procs.map((p) => withDeadline(once(p, 'message'), IDLE_WINDOW + 10_000, 'a measurement window'));
      for (const p of procs) p.send({ measure: IDLE_WINDOW });
      const [[tracked], [plain]] = await Promise.all(replies);
      const pct = (r) => (100 * r.cpuUs) / (r.wallMs * 1000);
      rounds.push({
        trackedPct: pct(tracked),
        plainPct: pct(plain),
        costPct: pct(tracked) - pct(plain),
        samplesPerSecond: tracked.samples / (tracked.wallMs / 1000),
        usPerSample: (tracked.cpuUs - plain.cpuUs) / tracked.samples,
        // JS heap after GC, tracked minus untracked, per connection: what tracking keeps per connection.
        heapBytesPerConnection: (tracked.heapUsed - plain.heapUsed) / connections[0],
      });
    }
    return { connections, interval: IDLE_INTERVAL, windowMs: IDLE_WINDOW, rounds, costPct: median(rounds.map((r) => r.costPct)) };
  } finally {
    for (const p of [...procs, ...sinks]) await stopChild(p);
  }
}

async function report() {
  const httpResult = await httpBench();
  const idleResult = await idleBench();
  const spread = (xs, digits) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
  const targets = [
    { target: 'HTTP req/s with trackConnections({ interval: 1000 }) ≥ 0.97× none (median of simultaneous rounds)', value: +httpResult.ratio.toFixed(3), unit: '×', met: httpResult.ratio >= 0.97 },
    { target: `CPU of sampling ${idleResult.connections[0]} idle connections every 5 s ≤ 1 % of one core`, value: +idleResult.costPct.toFixed(3), unit: '%', met: idleResult.costPct <= 1 },
  ];
  console.log(`\ntelemetry overhead — ${new Date().toISOString()} — Node ${process.version} — ${os.cpus()[0].model} × ${os.cpus().length} — load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const list = (xs, d) => xs.map((x) => x.toFixed(d)).join(' ');
  console.log(`HTTP, a new connection per request: a plain server and one with trackConnections({ interval: 1000 }) + subscribers, loaded at the same time (autocannon, 10 connections each, ${HTTP_SECONDS} s), ${HTTP_ROUNDS} rounds:`);
  console.log(`  req/s tracked ÷ plain per round (tracked loaded second, first, second, …): ${list(httpResult.roundRatios, 3)} (median ${httpResult.ratio.toFixed(3)}); two plain servers, second ÷ first (control): ${list(httpResult.controlRatios, 3)}`);
  console.log(`  server CPU per request: plain ${httpResult.cpuPlain.toFixed(1)} µs (median), tracking adds ${list(httpResult.cpuAdded, 1)} µs (median ${httpResult.cpuAddedMedian.toFixed(1)}); control differences ${list(httpResult.controlCpuDiffs, 1)} µs`);
  console.log(
    `idle connections: ${idleResult.connections.join(' tracked / ')} untracked, interval 5 s, ${IDLE_ROUNDS} windows of ${IDLE_WINDOW / 1000} s measured at the same time in both processes:`,
  );
  for (const r of idleResult.rounds) {
    console.log(`  tracked ${r.trackedPct.toFixed(3)} % of a core, untracked ${r.plainPct.toFixed(3)} %, cost ${r.costPct.toFixed(3)} %, ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.usPerSample.toFixed(2)} µs CPU per sample`);
  }
  console.log(`  JS heap after GC, tracked minus untracked: ${idleResult.rounds.map((r) => r.heapBytesPerConnection.toFixed(0)).join(', ')} bytes per connection (by round)`);
  console.log(`  median cost ${idleResult.costPct.toFixed(3)} % of one core (rounds ${spread(idleResult.rounds.map((r) => r.costPct), 3)})`);
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}${t.unit}`);
  const out = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0].model, cpus: os.cpus().length, loadavg: os.loadavg(), http: httpResult, idle: idleResult, targets };
  fs.writeFileSync(path.join(__dirname, 'telemetry-results.json'), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

module.exports = { report };

if (require.main === module) {
  const [role, ...args] = process.argv.slice(2);
  const roles = { 'http-server': httpServer, sink, idle: (v, port, count) => idle(v, Number(port), Number(count)) };
  if (role) {
    Promise.resolve(roles[role](...args)).catch((err) => {
      console.error(err);
      process.exit(1);
    });
  } else {
    report().catch((err) => {
      console.error(err);
      process.exit(1);
    });
  }
}
