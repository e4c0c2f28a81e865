// Steady-state A/B of two connections.js variants, one process per measurement: each child
// installs its variant once, warms up, then times N connections. paired.js switches
// variants inside one process, and every switch subscribes or unsubscribes a
// diagnostics channel (Node flips the channel object's prototype between Channel and
// ActiveChannel) or wraps and unwraps net.Socket.prototype: the code that reads them is
// deoptimized and optimized again each batch, a cost a service that installs a policy or
// a tracker once never pays. Here nothing changes inside a measurement.
//   node bench/steady.js 'tuneSockets both' 'by hand both (reference)'
//   node bench/steady.js 'both + trackConnections' 'tuneSockets both'
// Children run A B B A A B … (drift cancels in the pairs); the result is the median of the
// per-pair differences with a bootstrap 90 % interval, as in paired.js.
'use strict';
const { execFileSync } = require('node:child_process');
const { median, bootstrap } = require('./common');
const { VARIANTS, connections, server: benchServer } = require('./variants');

const N = Number(process.env.N ?? 10_000); // connections timed per child
const WARM = Number(process.env.WARM ?? 3_000); // connections before the timing starts
const PAIRS = Number(process.env.PAIRS ?? 12);

async function child(name) {
  VARIANTS[name]();
  const { server, port } = await benchServer();
  await connections(port, WARM);
  const before = process.cpuUsage();
  await connections(port, N);
  const d = process.cpuUsage(before);
  server.close();
  process.stdout.write(JSON.stringify({ user: d.user / N, system: d.system / N }));
}

function run(name) {
  const out = execFileSync(process.execPath, [__filename, '--child', name], { encoding: 'utf8', env: process.env });
  const { user, system } = JSON.parse(out);
  return user + system;
}

function main() {
  const [a, b] = process.argv.slice(2);
  for (const name of [a, b]) if (!VARIANTS[name]) throw new Error(`unknown variant ${JSON.stringify(name)}; one of: ${Object.keys(VARIANTS).join(', ')}`);
  const diffs = [];
  const cpu = { [a]: [], [b]: [] };
  for (let i = 0; i < PAIRS; i++) {
    const got = {};
    for (const name of i % 2 ? [b, a] : [a, b]) got[name] = run(name);
    cpu[a].push(got[a]);
    cpu[b].push(got[b]);
    diffs.push(got[a] - got[b]);
  }
  const [lo, hi] = bootstrap(diffs);
  console.log(`${new Date().toISOString()} Node ${process.version}, ${PAIRS} pairs of processes, ${N} connections each after ${WARM}`);
  console.log(`"${a}" − "${b}": ${median(diffs).toFixed(1)} µs CPU per connection, 90 % interval ${lo.toFixed(1)} .. ${hi.toFixed(1)} (medians ${median(cpu[a]).toFixed(1)} and ${median(cpu[b]).toFixed(1)} µs)`);
  console.log(`  differences: ${diffs.map((d) => d.toFixed(1)).join(' ')}`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else main();
