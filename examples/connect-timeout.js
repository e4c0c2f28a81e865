// How long does connect() take to give up on a peer that never answers?
//   node examples/connect-timeout.js            with TCP_SYNCNT: 1 (about 3 s)
//   node examples/connect-timeout.js --default  also Linux's default (6 SYN retries, about 127 s)
// The silent peer is on loopback: a listener whose accept queue is full drops SYNs.
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const { join } = require('node:path');
const { connect } = require('..');

async function main() {
  const peer = spawn('python3', [join(__dirname, '..', 'test', 'fixtures', 'silent-listener.py'), '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((r) => peer.stdout.once('data', (d) => r(Number(String(d).trim()))));
  for (;;) {
    // fill the accept queue until a connection hangs
    const c = net.connect(port, '127.0.0.1').on('error', () => {});
    const ok = await Promise.race([new Promise((r) => c.once('connect', () => r(true))), new Promise((r) => setTimeout(r, 300, false))]);
    if (!ok) break;
  }
  const time = (label, socket) =>
    new Promise((resolve) => {
      const start = Date.now();
      socket.on('error', (err) => {
        console.log(`${label}: ${err.code} after ${((Date.now() - start) / 1000).toFixed(1)} s`);
        resolve();
      });
    });
  await time("connect({ sockopts: { TCP_SYNCNT: 1 } })", connect({ host: '127.0.0.1', port, sockopts: { TCP_SYNCNT: 1 } }));
  if (process.argv.includes('--default')) await time('net.connect() (Linux default)', net.connect(port, '127.0.0.1'));
  peer.kill();
  process.exit(0);
}
main();
