// CPU per connection of tuneSockets (and trackConnections), called from bench/run.js or alone:
//   node --expose-gc bench/connections.js
// HTTP req/s on a 2-core machine that also runs the load generator swings by ±10 %
// between rounds; the CPU a process spends per connection does not. One process holds
// a server and its clients (10 at a time, each connects, reads one byte, closes), so
// every connection is both made and accepted here: a policy for both directions runs
// twice per connection. Variants alternate round by round; medians of process.cpuUsage()
// per connection. The floor row is what the policy's options cost the kernel on a fresh
// socket: socket() + the 8 setsockopt calls in one native call + close(), minus
// socket() + close(). The differences it reports are medians of per-round differences
// (each round runs every variant once, so a round's pair shares the machine's state).
// For differences of a few µs use bench/paired.js (paired batches in one process) or
// bench/steady.js (one process per measurement, nothing installed or removed inside it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { median } = require('./common');
const { cpuRounds } = require('./cpu-rounds');
const { binding } = require('../lib/kernel/binding');
const { compilePolicy } = require('../lib/core/policy');
const { setPrepared } = require('../lib/core/batch');

const { VARIANTS, POLICY, connections, server: benchServer } = require('./variants');
const N = 4000; // connections per measurement
const CONCURRENCY = 10; // (variants.js's connections())
const ROUNDS = 7;
const FLOOR_SOCKETS = 20_000;

function cpuMicros(fn) {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return d.user + d.system;
}

// µs per socket of the policy's setsockopt calls on a fresh socket (as an accepted or a
// just-made client socket is), in one native call, without Node or the policy's JS.
function floor() {
  const { prepared } = compilePolicy(POLICY, 'POLICY');
  const bare = cpuMicros(() => {
    for (let i = 0; i < FLOOR_SOCKETS; i++) binding.close(binding.socket(4, false));
  });
  const configured = cpuMicros(() => {
    for (let i = 0; i < FLOOR_SOCKETS; i++) {
      const fd = binding.socket(4, false);
      setPrepared(fd, prepared);
      binding.close(fd);
    }
  });
  return { options: prepared.length, micros: (configured - bare) / FLOOR_SOCKETS };
}

/** Median over rounds of (a − b) within each round. */
const paired = (cpu, a, b) => median(cpu[a].map((x, i) => x - cpu[b][i]));

async function measure() {
  const { server, port } = await benchServer();
  await connections(port, N); // warm-up
  const names = Object.keys(VARIANTS);
  const cpu = await cpuRounds(VARIANTS, ROUNDS, () => connections(port, N), N);
  await new Promise((r) => server.close(r));
  const floors = [];
  for (let i = 0; i < 5; i++) floors.push(floor());
  return {
    connections: N,
    rounds: ROUNDS,
    cpu: Object.fromEntries(names.map((n) => [n, { median: median(cpu[n]), rounds: cpu[n] }])),
    floor: { options: floors[0].options, micros: median(floors.map((f) => f.micros)) },
    differences: { policyVsHand: paired(cpu, 'tuneSockets both', 'by hand both (reference)'), tracking: paired(cpu, 'both + trackConnections', 'tuneSockets both') },
  };
}

async function report() {
  const r = await measure();
  const base = r.cpu.none.median;
  console.log(`\nCPU per connection (one process makes and accepts ${r.connections} connections, ${CONCURRENCY} at a time; medians of ${r.rounds} interleaved rounds)`);
  for (const [name, { median: m, rounds }] of Object.entries(r.cpu)) {
    const extra = name === 'none' ? '' : `  +${(m - base).toFixed(1)} µs`;
    console.log(`  ${name.padEnd(26)} ${m.toFixed(1).padStart(6)} µs${extra.padEnd(12)} [${rounds.map((x) => x.toFixed(0)).join(', ')}]`);
  }
  const { policyVsHand, tracking } = r.differences;
  console.log(`  policy on both ends − the same options by hand: ${policyVsHand.toFixed(1)} µs per connection (median of the per-round differences)`);
  console.log(`  trackConnections on top: ${tracking.toFixed(1)} µs per connection, both ends tracked (${(tracking / 2).toFixed(1)} µs per tracked socket, one close record each)`);
  console.log(`  floor: the policy's ${r.floor.options} setsockopt calls on a fresh socket, one native call: ${r.floor.micros.toFixed(1)} µs per socket (×2 per connection for both directions: ${(2 * r.floor.micros).toFixed(1)} µs)`);
  fs.writeFileSync(path.join(__dirname, 'connections-results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...r }, null, 2)}\n`);
  return r;
}

module.exports = { report };
if (require.main === module) {
  report().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
