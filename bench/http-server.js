// The HTTP benchmark's processes. Every response closes its connection, so each request
// is a new connection: autocannon → front (a new connection to the backend per request,
// `agent: false`) → backend. The front is the service under test, with both an accepted
// and an outgoing connection per request:
//   node http-server.js backend
//   node http-server.js front plain|tuned|tracked|byhand BACKEND_PORT
// tuned: tuneSockets applies POLICY to every accepted and every outgoing connection
// (4 options + keepalive: 8 setsockopt per connection); tracked: the same plus
// trackConnections({ interval: 1000 }) with a subscriber on both telemetry channels.
// Prints its port when listening.
'use strict';
const diagnostics = require('node:diagnostics_channel');
const http = require('node:http');
const { setsockopts, trackConnections, tuneSockets } = require('..');

// The same policy and by-hand options as bench/connections.js (variants.js).
const { POLICY, BY_HAND } = require('./variants');

const [role, variant, backendPort] = process.argv.slice(2);
const byHand = variant === 'byhand';
// burnN (e.g. burn10): tuned plus N µs of plain JavaScript per socket (accepted and
// outgoing) as it closes: how the front's CPU per request answers a known extra cost
// (docs/performance.md).
const burnMicros = /^burn\d+$/.test(variant ?? '') ? Number(variant.slice(4)) : 0;
const burn = () => {
  const end = process.hrtime.bigint() + BigInt(Math.round(burnMicros * 1000));
  while (process.hrtime.bigint() < end);
};
let server;
if (role === 'backend') {
  server = http.createServer((req, res) => {
    res.setHeader('connection', 'close');
    res.end('ok');
  });
} else {
  if (variant === 'tuned' || variant === 'tracked' || burnMicros > 0) tuneSockets({ client: POLICY, server: POLICY });
  if (variant === 'tracked') {
    trackConnections({ interval: Number(process.env.SOCKOPT_BENCH_INTERVAL ?? 1000) });
    let rtt = 0; // a light consumer: look at a field
    diagnostics.subscribe('sockopt:tcp:sample', (m) => (rtt += m.info.rtt));
    diagnostics.subscribe('sockopt:tcp:close', (m) => (rtt += m.info ? m.info.rtt : 0));
  }
  server = http.createServer((req, res) => {
    http
      .get({ host: '127.0.0.1', port: Number(backendPort), path: '/', agent: false }, (up) => {
        let body = '';
        up.setEncoding('utf8');
        up.on('data', (d) => (body += d));
        up.on('end', () => {
          res.setHeader('connection', 'close');
          res.end(body);
        });
      })
      .on('socket', (s) => {
        if (byHand) s.once('connect', () => setsockopts(s, BY_HAND));
        if (burnMicros) s.once('close', burn);
      })
      .on('error', () => {
        res.statusCode = 502;
        res.setHeader('connection', 'close');
        res.end();
      });
  });
}
if (byHand) server.on('connection', (s) => setsockopts(s, BY_HAND));
if (burnMicros) server.on('connection', (s) => s.once('close', burn));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
