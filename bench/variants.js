// The variants bench/connections.js and bench/paired.js measure: each installs itself and
// returns its off(). One process makes and accepts every connection, so a policy for both
// directions runs twice per connection.
'use strict';
const diagnostics = require('node:diagnostics_channel');
const net = require('node:net');
const sockopt = require('..');

const POLICY = {
  sockopts: { TCP_NODELAY: true, SO_SNDBUF: 262_144, SO_RCVBUF: 262_144 },
  userTimeout: 30_000,
  keepAlive: { idle: 30_000, interval: 5_000, count: 3 },
};
// The same options set by hand, after 'connect' and on 'connection', with one setsockopts
// call per socket: what a service doing it itself pays, the reference for what the
// policy's machinery adds on top (the policy also sets the client's before the SYN).
const BY_HAND = { TCP_NODELAY: true, SO_SNDBUF: 262_144, SO_RCVBUF: 262_144, TCP_USER_TIMEOUT: 30_000, TCP_KEEPIDLE: 30, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 3, SO_KEEPALIVE: true };
let byHand = false;

let rtt = 0;
const onSample = (m) => (rtt += m.info.rtt);
const onClose = (m) => (rtt += m.info ? m.info.rtt : 0);

const VARIANTS = {
  none: () => () => {},
  'tuneSockets client': () => sockopt.tuneSockets({ client: POLICY }),
  'tuneSockets server': () => sockopt.tuneSockets({ server: POLICY }),
  'tuneSockets both': () => sockopt.tuneSockets({ client: POLICY, server: POLICY }),
  'by hand both (reference)': () => {
    byHand = true;
    return () => (byHand = false);
  },
  // explainErrors on (no tracker): one hook on net.Socket's destroy, nothing per socket until an error.
  'both + explainErrors': () => {
    const off = sockopt.tuneSockets({ client: POLICY, server: POLICY });
    const unexplain = sockopt.explainErrors();
    return () => {
      unexplain();
      off();
    };
  },
  'both + trackConnections': () => {
    const off = sockopt.tuneSockets({ client: POLICY, server: POLICY });
    const stop = sockopt.trackConnections({ interval: 1000 });
    // A light consumer on both channels, as bench/http-server.js has (without one, nothing is published).
    diagnostics.subscribe('sockopt:tcp:sample', onSample);
    diagnostics.subscribe('sockopt:tcp:close', onClose);
    return () => {
      diagnostics.unsubscribe('sockopt:tcp:sample', onSample);
      diagnostics.unsubscribe('sockopt:tcp:close', onClose);
      stop();
      off();
    };
  },
};

/** `count` connections to 127.0.0.1:port, 10 at a time; each reads the server's byte and closes (by hand: options after 'connect'). */
function connections(port, count) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const one = () => {
      started++;
      const c = net.connect(port, '127.0.0.1');
      if (byHand) c.once('connect', () => sockopt.setsockopts(c, BY_HAND));
      c.on('data', () => {});
      c.on('error', reject);
      c.on('close', () => {
        if (++done === count) resolve();
        else if (started < count) one();
      });
    };
    for (let i = 0; i < 10; i++) one();
  });
}

/** The loopback server every variant connects to: writes one byte and ends (by hand: the options on 'connection'). */
async function server() {
  const s = net.createServer((c) => {
    if (byHand) sockopt.setsockopts(c, BY_HAND);
    c.on('error', () => {});
    c.end('x');
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { server: s, port: s.address().port };
}

module.exports = { VARIANTS, POLICY, BY_HAND, isByHand: () => byHand, connections, server };
