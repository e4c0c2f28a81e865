'use strict';
const net = require('node:net');
const cp = require('node:child_process');
const path = require('node:path');
const { once } = require('node:events');

const root = path.join(__dirname, '..', '..');
const lib = (name) => require(path.join(root, 'lib', name));
const versions = process.versions;
const RUNTIME = typeof versions.bun === 'string' ? 'bun' : typeof versions.deno === 'string' ? 'deno' : 'node';
const LABEL = RUNTIME === 'bun' ? `Bun ${versions.bun}` : RUNTIME === 'deno' ? `Deno ${versions.deno}` : `Node ${process.version}`;

/** Python's reading (or setting) on the same kernel socket: fd passed as the child's fd 3. */
function oracle(fd, ops) {
  const r = cp.spawnSync('python3', [path.join(root, 'test/fixtures/oracle.py'), JSON.stringify(ops)], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`oracle.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A connected loopback pair (client, accepted) and its server. */
async function pair(connect = (port) => net.connect(port, '127.0.0.1')) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = connect(server.address().port);
  await once(client, 'connect');
  const [peer] = await accepted;
  return { server, client, peer, close: () => { client.destroy(); peer.destroy(); server.close(); } };
}

/** A peer that never answers a SYN: python listener, backlog 0, two connections never accepted. */
async function silentPeer() {
  const py = cp.spawn('python3', [path.join(root, 'test/fixtures/silent-listener.py'), '60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [data] = await once(py.stdout, 'data');
  const port = Number(String(data).trim());
  const holders = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
  for (const h of holders) h.on('error', () => {});
  await new Promise((r) => setTimeout(r, 300)); // both in the accept queue (or its SYN queue): further SYNs are dropped
  return { port, close: () => { for (const h of holders) h.destroy(); py.kill(); } };
}

/** The runtime's command line to run a script (with a preloaded module where the runtime has a flag for it). */
function runtimeArgv(script, preload) {
  if (RUNTIME === 'deno') return [process.execPath, ['run', '-A', script]];
  if (RUNTIME === 'bun') return [process.execPath, preload ? ['--preload', preload, script] : [script]];
  return [process.execPath, preload ? ['-r', preload, script] : [script]];
}

module.exports = { root, lib, RUNTIME, LABEL, oracle, pair, silentPeer, runtimeArgv };
