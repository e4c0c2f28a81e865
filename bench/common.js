// What the benchmark scripts share: the median of their rounds, a connected TCP pair on
// loopback, and the syscalls snapshot() makes, as bench/floor.c specs.
'use strict';
const { once } = require('node:events');
const net = require('node:net');
const { constants: C, options } = require('..');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A listening server on 127.0.0.1, a client connected to it, and the accepted socket. */
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
  const size = { int: 4, uint: 4, bool: 4, timeval: 16, linger: 8, string: 255, ifname: 64, u64: 8 };
  const specs = Object.values(options)
    .filter((o) => o.supported && o.readable && !['SO_ERROR', 'TCP_INFO', 'SO_PEERCRED'].includes(o.name))
    .map((o) => `g:${o.levelNumber}:${o.optname}:${size[o.kind]}`);
  return [...specs, `g:${C.IPPROTO_TCP}:${C.TCP_INFO}:344`, 'name', 'peer'];
}

/** A bootstrap 90 % interval of the median of `diffs` (a fixed seed: the same data, the same interval). */
function bootstrap(diffs, draws = 2000) {
  let seed = 1;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const medians = [];
  for (let k = 0; k < draws; k++) medians.push(median(diffs.map(() => diffs[Math.floor(random() * diffs.length)])));
  medians.sort((x, y) => x - y);
  return [medians[Math.floor(draws * 0.05)], medians[Math.floor(draws * 0.95)]];
}

module.exports = { median, bootstrap, pair, snapshotFloorSpecs };
