// Run by run.cjs with SOCKOPT set and sockopt/register preloaded (Node -r, Bun --preload)
// or required here first (Deno has no preload flag). Opens a node:net client and a
// fetch() to loopback servers and prints, as one JSON line, TCP_USER_TIMEOUT and
// TCP_SYNCNT as Python reads them on each client's kernel socket.
'use strict';
const path = require('node:path');
if (process.env.SOCKOPT_REQUIRE_REGISTER === '1') require(path.join(__dirname, '../../lib/register.js'));
const net = require('node:net');
const http = require('node:http');
const { once } = require('node:events');
const { oracle, lib } = require('./helpers.cjs');
const { resolveFd } = lib('node/fd.js');
const { denoFd } = lib('node/runtime.js');
const read = (fd) => oracle(fd, [['get', 6, 18, 0], ['get', 6, 7, 0]]); // TCP_USER_TIMEOUT, TCP_SYNCNT

(async () => {
  const out = {};
  // node:net client
  const server = net.createServer((s) => s.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  await once(client, 'connect');
  [out.netUserTimeout, out.netSyncnt] = read(resolveFd(client));
  client.destroy();
  server.close();
  // fetch(): the client socket is the one whose addresses mirror the request's socket on
  // the server side; found in /proc/self/fd by those addresses (the same lookup sockopt
  // uses on Deno), which works for any runtime's own fetch.
  const web = http.createServer((req, res) => {
    try {
      const fd = denoFd({}, 'fetch socket', {
        type: 'stream',
        localAddress: req.socket.remoteAddress,
        localPort: req.socket.remotePort,
        remoteAddress: req.socket.localAddress,
        remotePort: req.socket.localPort,
      });
      [out.fetchUserTimeout, out.fetchSyncnt] = read(fd);
    } catch (err) {
      out.fetchError = `${err.code}: ${err.message}`;
    }
    res.end('ok');
  });
  web.listen(0, '127.0.0.1');
  await once(web, 'listening');
  const res = await fetch(`http://127.0.0.1:${web.address().port}/`);
  out.fetchBody = await res.text();
  web.close();
  console.log(JSON.stringify(out));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(3);
});
