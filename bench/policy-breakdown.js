// Where a client policy's cost per HTTP request goes (issue 17): one process makes
// http.get({ agent: false }) requests to its own server (a new connection each), with
// policies on the client side only, measured in CPU per request (process.cpuUsage(),
// medians of interleaved rounds). Run after a build: node bench/policy-breakdown.js
//   own socket only   the adoption alone: a subscriber on net.client.socket puts a bare
//                     socket of sockopt's into the attempt's handle (no options, no policy)
//   1 / 8 inert       tuneSockets with options that change nothing the connection does
//   keepalive         tuneSockets({ client: { keepAlive } }): SO_KEEPALIVE + 3 timings
//   full              the benchmark's policy: 3 sockopts + userTimeout + keepalive
'use strict';
const diagnostics = require('node:diagnostics_channel');
const http = require('node:http');
const sockopt = require('..');
const { median } = require('./common');
const { cpuRounds } = require('./cpu-rounds');
const { binding } = require('../lib/kernel/binding');

const N = 3000;
const CONCURRENCY = 10;
const ROUNDS = 7;

const FULL = {
  sockopts: { TCP_NODELAY: true, SO_SNDBUF: 262_144, SO_RCVBUF: 262_144 },
  userTimeout: 30_000,
  keepAlive: { idle: 30_000, interval: 5_000, count: 3 },
};
// The values these sockets have anyway (Linux defaults; IP_TTL and TCP_SYNCNT as this
// machine's sysctls): set, but nothing changes for the connection.
const INERT8 = { SO_PRIORITY: 0, IP_TOS: 0, IP_TTL: 64, TCP_SYNCNT: 6, SO_OOBINLINE: false, SO_RCVLOWAT: 1, SO_DONTROUTE: false, SO_KEEPALIVE: false };

function onAttempt(_address, _port, family) {
  this._handle.open(binding.socket(family, false));
}
const ownSocket = ({ socket }) => socket.once('connectionAttempt', onAttempt);

const VARIANTS = {
  none: () => () => {},
  'own socket only': () => {
    diagnostics.subscribe('net.client.socket', ownSocket);
    return () => diagnostics.unsubscribe('net.client.socket', ownSocket);
  },
  '1 inert option': () => sockopt.tuneSockets({ client: { sockopts: { SO_PRIORITY: 0 } } }),
  '8 inert options': () => sockopt.tuneSockets({ client: { sockopts: INERT8 } }),
  keepalive: () => sockopt.tuneSockets({ client: { keepAlive: FULL.keepAlive } }),
  full: () => sockopt.tuneSockets({ client: FULL }),
};

function requests(port) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const one = () => {
      started++;
      http
        .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          res.resume();
          res.on('end', () => {
            if (++done === N) resolve();
            else if (started < N) one();
          });
        })
        .on('error', reject);
    };
    for (let i = 0; i < CONCURRENCY; i++) one();
  });
}

async function main() {
  const server = http.createServer((req, res) => {
    res.setHeader('connection', 'close');
    res.end('ok');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  await requests(port); // warm-up
  const names = Object.keys(VARIANTS);
  const cpu = await cpuRounds(VARIANTS, ROUNDS, () => requests(port), N);
  server.close();
  const base = median(cpu.none);
  console.log(`client policy, CPU per HTTP request (one process, ${N} requests × ${ROUNDS} interleaved rounds; a new connection each) — ${new Date().toISOString()} — Node ${process.version}`);
  for (const name of names) {
    const m = median(cpu[name]);
    console.log(`  ${name.padEnd(18)} ${m.toFixed(1).padStart(6)} µs  ${name === 'none' ? '' : `+${(m - base).toFixed(1)} µs`.padEnd(11)} [${cpu[name].map((x) => x.toFixed(0)).join(', ')}]`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
