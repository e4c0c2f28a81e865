// npm start: open a real loopback connection, tune it, and print what the kernel holds.
'use strict';
const net = require('node:net');
const sockopt = require('..');

const server = net.createServer((conn) => conn.pipe(conn)); // echo
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    // Turn a silent hang into a prompt error: fail after 30 s of unacknowledged
    // data, and probe an idle peer after 10 s, every 5 s, 3 times.
    console.log('setUserTimeout →', sockopt.setUserTimeout(client, 30_000), 'ms');
    console.log('setKeepAlive   →', sockopt.setKeepAlive(client, { idle: 10_000, interval: 5_000, count: 3 }));
    sockopt.setsockopt(client, 'SO_RCVTIMEO', 1500);

    client.write('ping');
    client.once('data', () => {
      // One round trip done: TCP_INFO now has an rtt. This is what the REPL shows for sockopt(socket):
      // the connection in one line, the timeout and buffer options, and what differs from a fresh socket.
      // sockopt(socket).full() shows every option and TCP_INFO field; `sockopt inspect <pid>` the same view.
      console.log();
      console.log(sockopt.sockopt(client));
      try {
        sockopt.setsockopt(client, 'TCP_KEEPCNT', 0);
      } catch (err) {
        console.log(`\nBad input is refused before any syscall: ${err.code}: ${err.message}`);
      }
      client.destroy();
      server.close();
    });
  });
});
