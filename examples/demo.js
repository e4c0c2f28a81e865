// npm start: open a real loopback connection, tune it, and print what the kernel holds.
'use strict';
const net = require('node:net');
const { getsockopt, setsockopt, options } = require('..');

const server = net.createServer((conn) => conn.end());
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    // Turn a silent hang into a prompt error: fail after 30 s of unacknowledged
    // data, and probe an idle peer after 10 s, every 5 s, 3 times.
    setsockopt(client, 'TCP_USER_TIMEOUT', 30_000);
    setsockopt(client, 'SO_KEEPALIVE', true);
    setsockopt(client, 'TCP_KEEPIDLE', 10);
    setsockopt(client, 'TCP_KEEPINTVL', 5);
    setsockopt(client, 'TCP_KEEPCNT', 3);
    setsockopt(client, 'SO_RCVTIMEO', 1500);

    console.log(`Options of a live TCP connection 127.0.0.1:${client.localPort} → 127.0.0.1:${client.remotePort}\n`);
    let level;
    for (const o of Object.values(options)) {
      if (!o.supported || !o.readable) continue;
      if (o.level !== level) console.log(`${(level = o.level)}`);
      let shown;
      try {
        const v = getsockopt(client, o.name);
        shown = v === null ? 'off' : `${v}${['flag', 'enum', 'id', 'name'].includes(o.unit) ? '' : ` ${o.unit}`}`;
      } catch (err) {
        shown = `(${err.code})`; // e.g. an IPv6 option on this IPv4 socket
      }
      console.log(`  ${o.name.padEnd(24)} ${shown}`);
    }
    try {
      setsockopt(client, 'TCP_KEEPCNT', 0);
    } catch (err) {
      console.log(`\nBad input is refused before any syscall: ${err.code}: ${err.message}`);
    }
    client.destroy();
    server.close();
  });
});
