// The HTTP benchmark's server: `node http-server.js tuned|plain`. Every response
// closes its connection, so each request is a new connection; "tuned" sets four
// options on each accepted socket, "plain" none. Prints its port when listening.
'use strict';
const http = require('node:http');
const { setsockopt, setKeepAlive } = require('..');

const tuned = process.argv[2] === 'tuned';
const server = http.createServer((req, res) => {
  res.setHeader('connection', 'close');
  res.end('ok');
});
if (tuned) {
  server.on('connection', (socket) => {
    setsockopt(socket, 'TCP_NODELAY', true);
    setKeepAlive(socket, { idle: 30_000, interval: 5_000, count: 3 });
    setsockopt(socket, 'TCP_USER_TIMEOUT', 30_000);
    setsockopt(socket, 'SO_SNDBUF', 262_144);
  });
}
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
