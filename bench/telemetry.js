// Overhead of trackConnections(), called from bench/run.js or run alone:
//   node bench/telemetry.js
// 1. HTTP req/s, a new connection per request (the server answers `connection: close`),
//    server with trackConnections({ interval: 1000 }) and a subscriber on both channels
//    vs a plain server; servers in child processes, variants alternated round by round.
// 2. CPU of sampling 10,000 idle connections every 5 s: two child processes each hold
//    10,000 client connections to a third (the sink), one tracked with a subscriber, one
//    not; both measure process.cpuUsage() over the same windows, several rounds.
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

const HTTP_SECONDS = 3;
const HTTP_ROUNDS = 6;
const IDLE_CONNECTIONS = 10_000;
const IDLE_INTERVAL = 5_000; // ms
const IDLE_WINDOW = 10_000; // ms per measured window
const IDLE_ROUNDS = 3;
const NOFILE = 65_536;
const PAIRS = 20;
const PAIR_REQUESTS = 300;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
        process.send({ cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0, samples: seen.samples - s0 });
      }, m.measure);
    }
    if (m.exit) process.exit(0);
  });
}

// In one process, HTTP requests (new connection each) in batches alternating between a
// server tracked by trackConnections({ interval: 1000, client: false }) with subscribers and
// an untracked one; CPU per request of each batch pair. Back-to-back pairs of short batches
// cancel most of a shared machine's drift, which whole-run req/s ratios do not.
async function pairs() {
  const { trackConnections } = require('..');
  const server = http.createServer((req, res) => {
    res.setHeader('connection', 'close');
    res.end('ok');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const one = () =>
    new Promise((resolve) => {
      http.get({ port, host: '127.0.0.1', agent: false }, (res) => res.resume().on('end', resolve)).on('error', resolve);
    });
  const batch = async (n) => {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, one));
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / n;
  };
  const tracked = () => {
    const noop = () => {};
    diagnostics.subscribe('sockopt:tcp:sample', noop);
    diagnostics.subscribe('sockopt:tcp:close', noop);
    const stop = trackConnections({ interval: 1000, client: false });
    return () => {
      stop();
      diagnostics.unsubscribe('sockopt:tcp:sample', noop);
      diagnostics.unsubscribe('sockopt:tcp:close', noop);
    };
  };
  for (const warm of [false, true]) {
    const stop = warm ? tracked() : () => {};
    await batch(1000);
    stop();
  }
  const out = { plain: [], tracked: [] };
  for (let round = 0; round < PAIRS; round++) {
    for (const variant of round % 2 ? ['tracked', 'plain'] : ['plain', 'tracked']) {
      const stop = variant === 'tracked' ? tracked() : () => {};
      out[variant].push(await batch(PAIR_REQUESTS));
      stop();
    }
  }
  process.send(out);
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

async function httpBench() {
  const autocannon = require('autocannon');
  const rates = { plain: [], tracked: [] };
  const cpuPerRequest = { plain: [], tracked: [] }; // server process CPU, µs per request
  for (let round = 0; round < HTTP_ROUNDS; round++) {
    for (const variant of round % 2 ? ['tracked', 'plain'] : ['plain', 'tracked']) {
      const server = child('http-server', variant);
      try {
        const { port } = await started(server, `http server (${variant})`);
        const ask = async (m) => {
          const reply = withDeadline(once(server, 'message'), 10_000, 'the http server');
          server.send(m);
          return (await reply)[0];
        };
        await ask({ start: true });
        const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: HTTP_SECONDS });
        const { cpuUs, requests } = await ask({ report: true });
        rates[variant].push(result.requests.average);
        cpuPerRequest[variant].push(cpuUs / requests);
      } finally {
        await stopChild(server);
      }
    }
  }
  const ratios = rates.tracked.map((t, i) => t / rates.plain[i]);
  return {
    seconds: HTTP_SECONDS,
    rounds: HTTP_ROUNDS,
    rates,
    plain: median(rates.plain),
    tracked: median(rates.tracked),
    ratio: median(ratios), // each round's variants ran back to back, so a round's ratio cancels slow drifts in load
    ratioOfMedians: median(rates.tracked) / median(rates.plain),
    roundRatios: ratios,
    cpuPerRequest,
    cpuPlain: median(cpuPerRequest.plain),
    cpuTracked: median(cpuPerRequest.tracked),
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
      });
    }
    return { connections, interval: IDLE_INTERVAL, windowMs: IDLE_WINDOW, rounds, costPct: median(rounds.map((r) => r.costPct)) };
  } finally {
    for (const p of [...procs, ...sinks]) await stopChild(p);
  }
}

async function pairBench() {
  const proc = child('pairs');
  try {
    const [out] = await withDeadline(once(proc, 'message'), 180_000, 'the in-process pairs');
    const diffs = out.tracked.map((t, i) => t - out.plain[i]);
    return { pairs: PAIRS, requests: PAIR_REQUESTS, ...out, diffs, plainMedian: median(out.plain), addedMedian: median(diffs) };
  } finally {
    await stopChild(proc);
  }
}

async function report() {
  const httpResult = await httpBench();
  const pairResult = await pairBench();
  const idleResult = await idleBench();
  const spread = (xs, digits) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
  const targets = [
    { target: 'HTTP req/s with trackConnections({ interval: 1000 }) ≥ 0.97× none (median of per-round ratios)', value: +httpResult.ratio.toFixed(3), unit: '×', met: httpResult.ratio >= 0.97 },
    { target: `CPU of sampling ${idleResult.connections[0]} idle connections every 5 s ≤ 1 % of one core`, value: +idleResult.costPct.toFixed(3), unit: '%', met: idleResult.costPct <= 1 },
  ];
  console.log(`\ntelemetry overhead — ${new Date().toISOString()} — Node ${process.version} — ${os.cpus()[0].model} × ${os.cpus().length} — load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(
    `HTTP (new connection per request, ${HTTP_SECONDS} s × ${HTTP_ROUNDS} rounds each, alternated, 10 connections): none ${httpResult.plain.toFixed(0)} req/s, tracked ${httpResult.tracked.toFixed(0)} req/s (medians); tracked/none per round ${httpResult.roundRatios.map((r) => r.toFixed(3)).join(' ')}, median ${httpResult.ratio.toFixed(3)}`,
  );
  console.log(
    `  server CPU per request: none ${httpResult.cpuPlain.toFixed(1)} µs, tracked ${httpResult.cpuTracked.toFixed(1)} µs (medians; per round none ${spread(httpResult.cpuPerRequest.plain, 1)}, tracked ${spread(httpResult.cpuPerRequest.tracked, 1)}): ${(httpResult.cpuTracked - httpResult.cpuPlain).toFixed(1)} µs per connection`,
  );
  console.log(
    `  in one process (client and server), ${PAIRS} back-to-back pairs of ${PAIR_REQUESTS}-request batches: ${pairResult.plainMedian.toFixed(1)} µs CPU per request untracked, tracking adds ${pairResult.addedMedian.toFixed(1)} µs (median of the pair differences; quartiles ${[0.25, 0.75].map((q) => [...pairResult.diffs].sort((a, b) => a - b)[Math.floor(q * pairResult.diffs.length)].toFixed(1)).join(' to ')})`,
  );
  console.log(
    `idle connections: ${idleResult.connections.join(' tracked / ')} untracked, interval 5 s, ${IDLE_ROUNDS} windows of ${IDLE_WINDOW / 1000} s measured at the same time in both processes:`,
  );
  for (const r of idleResult.rounds) {
    console.log(`  tracked ${r.trackedPct.toFixed(3)} % of a core, untracked ${r.plainPct.toFixed(3)} %, cost ${r.costPct.toFixed(3)} %, ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.usPerSample.toFixed(2)} µs CPU per sample`);
  }
  console.log(`  median cost ${idleResult.costPct.toFixed(3)} % of one core (rounds ${spread(idleResult.rounds.map((r) => r.costPct), 3)})`);
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}${t.unit}`);
  const out = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0].model, cpus: os.cpus().length, loadavg: os.loadavg(), http: httpResult, pairs: pairResult, idle: idleResult, targets };
  fs.writeFileSync(path.join(__dirname, 'telemetry-results.json'), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

module.exports = { report };

if (require.main === module) {
  const [role, ...args] = process.argv.slice(2);
  const roles = { 'http-server': httpServer, sink, pairs, idle: (v, port, count) => idle(v, Number(port), Number(count)) };
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
