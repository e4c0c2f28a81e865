// Paired A/B of two connections.js variants, for differences of a few µs that the rounds
// of connections.js cannot resolve on a shared 2-core machine (its rounds of one variant
// spread by ±40 % even at load 1): many short batches, A and B back to back in turn, and
// the median of the per-pair differences with a bootstrap 90 % interval. A slow drift of
// the machine moves both halves of a pair alike and cancels out.
//   node bench/paired.js 'tuneSockets both' 'by hand both (reference)'
//   node bench/paired.js 'both + trackConnections' 'tuneSockets both'
//   PERMANENT='tuneSockets both' node bench/paired.js subscribed unsubscribed
// PERMANENT installs that variant once for the whole run (no install/uninstall per batch,
// so nothing is re-wrapped between batches); 'subscribed'/'unsubscribed' then toggle only
// a subscriber of sockopt:tcp:close under a trackConnections({ interval: 0 }) that stays.
'use strict';
const diagnostics = require('node:diagnostics_channel');
const sockopt = require('..');
const { median, bootstrap } = require('./common');
const { VARIANTS, connections, server: benchServer } = require('./variants');

const N = Number(process.env.N ?? 500); // connections per batch
const PAIRS = Number(process.env.PAIRS ?? 60);
const onClose = () => {};
const variants = {
  ...VARIANTS,
  subscribed: () => {
    diagnostics.subscribe('sockopt:tcp:close', onClose);
    return () => diagnostics.unsubscribe('sockopt:tcp:close', onClose);
  },
  unsubscribed: () => () => {},
};

async function cpuPerConnection(name, port) {
  const off = variants[name]();
  const before = process.cpuUsage();
  await connections(port, N);
  const d = process.cpuUsage(before);
  off();
  return (d.user + d.system) / N;
}

async function main() {
  const [a, b] = process.argv.slice(2);
  for (const name of [a, b]) if (!variants[name]) throw new Error(`unknown variant ${JSON.stringify(name)}; one of: ${Object.keys(variants).join(', ')}`);
  if (process.env.PERMANENT) {
    if (!VARIANTS[process.env.PERMANENT]) throw new Error(`unknown PERMANENT variant ${process.env.PERMANENT}`);
    VARIANTS[process.env.PERMANENT]();
    sockopt.trackConnections({ interval: 0 });
  }
  const { server, port } = await benchServer();
  for (let i = 0; i < 4; i++) for (const name of [a, b]) await cpuPerConnection(name, port); // warm-up
  const diffs = [];
  const cpu = { [a]: [], [b]: [] };
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 ? [a, b] : [b, a];
    const got = {};
    for (const name of order) got[name] = await cpuPerConnection(name, port);
    cpu[a].push(got[a]);
    cpu[b].push(got[b]);
    diffs.push(got[a] - got[b]);
  }
  server.close();
  const [lo, hi] = bootstrap(diffs);
  console.log(`${new Date().toISOString()} Node ${process.version}${process.env.PERMANENT ? ` (permanent: ${process.env.PERMANENT} + trackConnections)` : ''}`);
  console.log(`"${a}" − "${b}": ${median(diffs).toFixed(1)} µs CPU per connection, 90 % interval ${lo.toFixed(1)} .. ${hi.toFixed(1)} (${PAIRS} pairs of ${N} connections; medians ${median(cpu[a]).toFixed(1)} and ${median(cpu[b]).toFixed(1)} µs)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
