// sockopt under Bun, Deno (and Node, the reference): the core API on node:net, node:tls and
// node:dgram sockets checked by Python on the same kernel socket; socket birth and the
// process-wide policy where the runtime has a hook, their coded refusal where it has none;
// agent() and httpsAgent() policies; trackConnections; sockopt/register in a child process of the same runtime.
// Run: node|bun test/runtimes/run.cjs, deno run -A test/runtimes/run.cjs (scripts/test-runtimes.sh).
'use strict';
const net = require('node:net');
const tls = require('node:tls');
const http = require('node:http');
const https = require('node:https');
const dgram = require('node:dgram');
const fs = require('node:fs');
const cp = require('node:child_process');
const path = require('node:path');
const util = require('node:util');
const dc = require('node:diagnostics_channel');
const { once } = require('node:events');
const { test, run, assert, equal, throwsCode } = require('./harness.cjs');
const { root, lib, RUNTIME, LABEL, oracle, pair, silentPeer, runtimeArgv } = require('./helpers.cjs');

const so = lib('index.js');
const { resolveFd } = lib('node/fd.js');
const C = so.constants;
const TCP = C.IPPROTO_TCP;
const SOL = C.SOL_SOCKET;
const NATIVE_BIRTH = RUNTIME === 'node';
const fixture = (f) => fs.readFileSync(path.join(root, 'test/fixtures', f));
const note = (s) => console.log(`#    ${s}`);

test('net client: set TCP_USER_TIMEOUT 4321 → Python reads 4321; Python sets TCP_KEEPIDLE 77 → getsockopt reads 77', async () => {
  const p = await pair();
  try {
    so.setsockopt(p.client, 'TCP_USER_TIMEOUT', 4321);
    const fd = resolveFd(p.client);
    const [ut] = oracle(fd, [['get', TCP, C.TCP_USER_TIMEOUT, 0], ['set', TCP, C.TCP_KEEPIDLE, 77]]);
    note(`fd ${fd}: Python TCP_USER_TIMEOUT = ${ut}`);
    equal(ut, 4321, 'Python TCP_USER_TIMEOUT');
    equal(so.getsockopt(p.client, 'TCP_KEEPIDLE'), 77, 'getsockopt TCP_KEEPIDLE after Python set it');
  } finally {
    p.close();
  }
});

test('net client: raw forms (level, optname[, length]) agree with Python', async () => {
  const p = await pair();
  try {
    so.setsockopt(p.client, TCP, C.TCP_KEEPCNT, 6);
    const [cnt, hex] = oracle(resolveFd(p.client), [['get', TCP, C.TCP_KEEPCNT, 0], ['get', SOL, C.SO_TYPE, 4]]);
    equal(cnt, 6, 'Python TCP_KEEPCNT after raw set');
    equal(so.getsockopt(p.client, TCP, C.TCP_KEEPCNT), 6, 'raw int get');
    equal(so.getsockopt(p.client, SOL, C.SO_TYPE, 4).toString('hex'), hex, 'raw Buffer get SO_TYPE');
  } finally {
    p.close();
  }
});

test('accepted socket and server: setsockopts batch and SO_ACCEPTCONN, checked by Python', async () => {
  const p = await pair();
  try {
    so.setsockopts(p.peer, { TCP_NODELAY: true, TCP_KEEPCNT: 5, TCP_USER_TIMEOUT: 2500 });
    const [nodelay, cnt, ut] = oracle(resolveFd(p.peer), [['get', TCP, C.TCP_NODELAY, 0], ['get', TCP, C.TCP_KEEPCNT, 0], ['get', TCP, C.TCP_USER_TIMEOUT, 0]]);
    equal(nodelay, 1, 'Python TCP_NODELAY');
    equal(cnt, 5, 'Python TCP_KEEPCNT');
    equal(ut, 2500, 'Python TCP_USER_TIMEOUT');
    const [acc] = oracle(resolveFd(p.server), [['get', SOL, C.SO_ACCEPTCONN, 0]]);
    equal(acc, 1, 'Python SO_ACCEPTCONN on the server');
    equal(so.getsockopt(p.server, 'SO_ACCEPTCONN'), true, 'getsockopt SO_ACCEPTCONN');
  } finally {
    p.close();
  }
});

test('getTcpInfo: state, snd_mss, rcv_mss equal Python TCP_INFO bytes; rtt > 0', async () => {
  const p = await pair();
  try {
    p.client.write('x'.repeat(1000));
    await once(p.peer, 'data');
    const info = so.getTcpInfo(p.client);
    const [hex] = oracle(resolveFd(p.client), [['get', TCP, C.TCP_INFO, 104]]);
    const b = Buffer.from(hex, 'hex');
    note(`getTcpInfo: state ${info.state}, rtt ${info.rtt} µs, sndMss ${info.sndMss}; Python: state byte ${b[0]}, snd_mss ${b.readUInt32LE(16)}, rtt ${b.readUInt32LE(68)} µs`);
    equal(b[0], 1, 'Python tcpi_state (ESTABLISHED)');
    equal(info.state, 'ESTABLISHED', 'getTcpInfo state');
    equal(info.sndMss, b.readUInt32LE(16), 'snd_mss');
    equal(info.rcvMss, b.readUInt32LE(20), 'rcv_mss');
    assert(info.rtt > 0, `rtt ${info.rtt} > 0`);
  } finally {
    p.close();
  }
});

test('snapshot and the REPL view read the kernel socket', async () => {
  const p = await pair();
  try {
    so.setsockopt(p.client, 'TCP_USER_TIMEOUT', 1234);
    const snap = so.snapshot(p.client);
    const text = JSON.stringify(snap.toJSON ? snap.toJSON() : snap);
    assert(text.includes('1234'), `snapshot holds TCP_USER_TIMEOUT 1234: ${text.slice(0, 200)}`);
    const view = so.sockopt(p.client);
    equal(view.get('TCP_USER_TIMEOUT'), 1234, "view.get('TCP_USER_TIMEOUT')");
    view.set({ TCP_KEEPCNT: 4 });
    equal(oracle(resolveFd(p.client), [['get', TCP, C.TCP_KEEPCNT, 0]])[0], 4, 'Python TCP_KEEPCNT after view.set');
    const shown = util.inspect(view);
    note(`inspect(sockopt(socket)): ${shown.split('\n').slice(0, 3).join(' | ').slice(0, 160)}`);
    assert(/TCP_USER_TIMEOUT 1\.23 s/.test(shown), `inspect(view) shows TCP_USER_TIMEOUT 1.23 s: ${shown.slice(0, 300)}`);
  } finally {
    p.close();
  }
});

test('node:tls client and accepted socket: set → Python reads', async () => {
  const server = tls.createServer({ key: fixture('key.pem'), cert: fixture('cert.pem') });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'secureConnection');
  const client = tls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false });
  await once(client, 'secureConnect');
  const [peer] = await accepted;
  try {
    so.setsockopt(client, 'TCP_USER_TIMEOUT', 3210);
    so.setsockopt(peer, 'TCP_USER_TIMEOUT', 3211);
    equal(oracle(resolveFd(client), [['get', TCP, C.TCP_USER_TIMEOUT, 0]])[0], 3210, 'Python on the TLS client');
    equal(oracle(resolveFd(peer), [['get', TCP, C.TCP_USER_TIMEOUT, 0]])[0], 3211, 'Python on the TLS accepted socket');
    equal(so.getsockopt(server, 'SO_ACCEPTCONN'), true, 'TLS server SO_ACCEPTCONN');
    assert(so.getTcpInfo(client).rtt > 0, 'TLS client getTcpInfo rtt');
  } finally {
    client.destroy();
    peer.destroy();
    server.close();
  }
});

test('node:dgram: set IP_TTL 42 → Python reads 42; SO_TYPE is SOCK_DGRAM', async () => {
  const u = dgram.createSocket('udp4');
  u.bind(0, '127.0.0.1');
  await once(u, 'listening');
  try {
    so.setsockopt(u, 'IP_TTL', 42);
    const [ttl, type] = oracle(resolveFd(u), [['get', C.IPPROTO_IP, C.IP_TTL, 0], ['get', SOL, C.SO_TYPE, 0]]);
    equal(ttl, 42, 'Python IP_TTL');
    equal(type, 2, 'Python SO_TYPE');
    equal(so.getsockopt(u, 'IP_TTL'), 42, 'getsockopt IP_TTL');
  } finally {
    u.close();
  }
  throwsCode(() => so.getsockopt(u, 'IP_TTL'), 'ERR_SOCKET_CLOSED', 'closed dgram socket');
});

test('no fd yet / closed: coded errors (on Deno the message names Deno)', async () => {
  const p = await pair();
  const s = new net.Socket();
  const e1 = throwsCode(() => so.getsockopt(s, 'TCP_NODELAY'), 'ERR_SOCKOPT_NO_FD', 'unconnected socket');
  note(`unconnected: ${e1.message}`);
  const c = net.connect(p.server.address().port, '127.0.0.1');
  let e2;
  try {
    so.getsockopt(c, 'TCP_NODELAY'); // Bun and Node may already have the fd while connecting
  } catch (err) {
    e2 = err;
  }
  if (e2) {
    equal(e2.code, 'ERR_SOCKOPT_NO_FD', 'connecting socket');
    if (RUNTIME === 'deno') assert(e2.message.includes('Deno'), `message names Deno: ${e2.message}`);
    note(`connecting: ${e2.message}`);
  } else note('connecting: the fd is there already on this runtime');
  await once(c, 'connect');
  c.destroy();
  p.close();
  throwsCode(() => so.getsockopt(p.client, 'TCP_NODELAY'), 'ERR_SOCKET_CLOSED', 'destroyed socket');
});

// ---------------------------------------------------------------- socket birth

if (NATIVE_BIRTH) {
  test('birth: connect({ sockopts: { TCP_SYNCNT: 1 } }) to a silent peer fails with ETIMEDOUT after ~3 s', async () => {
    const peer = await silentPeer();
    try {
      const t0 = Date.now();
      const c = so.connect({ port: peer.port, host: '127.0.0.1', sockopts: { TCP_SYNCNT: 1 } });
      const [err] = await once(c, 'error').catch((e) => [e]);
      const s = (Date.now() - t0) / 1000;
      note(`ETIMEDOUT after ${s.toFixed(2)} s (code ${err.code})`);
      equal(err.code, 'ETIMEDOUT', 'error code');
      assert(s > 2.5 && s < 5, `${s} s in 2.5–5 s`);
    } finally {
      peer.close();
    }
  });
} else {
  test(`birth on ${LABEL}: connect/arm/listen/bindDgram with sockopts refused with ERR_SOCKOPT_RUNTIME, nothing sent`, async () => {
    const peer = await silentPeer();
    try {
      const e = throwsCode(() => so.connect({ port: peer.port, host: '127.0.0.1', sockopts: { TCP_SYNCNT: 1 } }), 'ERR_SOCKOPT_RUNTIME', 'connect with TCP_SYNCNT');
      assert(e.message.includes(LABEL), `message names ${LABEL}: ${e.message}`);
      note(`connect: ${e.message}`);
      throwsCode(() => so.arm(new net.Socket(), { sockopts: { TCP_SYNCNT: 1 } }), 'ERR_SOCKOPT_RUNTIME', 'arm');
      throwsCode(() => so.createServer({ sockopts: { TCP_DEFER_ACCEPT: 5 } }).listen(0, '127.0.0.1'), 'ERR_SOCKOPT_RUNTIME', 'createServer+listen with sockopts');
      const u = dgram.createSocket('udp4');
      throwsCode(() => so.bindDgram(u, { port: 0, address: '127.0.0.1', sockopts: { IP_TTL: 9 } }), 'ERR_SOCKOPT_RUNTIME', 'bindDgram with sockopts');
      u.close();
      // Without sockopts the same calls are the runtime's own and work.
      const srv = so.createServer().listen(0, '127.0.0.1');
      await once(srv, 'listening');
      srv.close();
    } finally {
      peer.close();
    }
  });
}

// ---------------------------------------------------------------- process-wide policy

test(`tuneSockets: a client TCP_SYNCNT ${NATIVE_BIRTH ? 'is accepted' : 'is refused with ERR_SOCKOPT_RUNTIME at tuneSockets()'}`, () => {
  if (NATIVE_BIRTH) {
    so.tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } })();
    return;
  }
  const e = throwsCode(() => so.tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } }), 'ERR_SOCKOPT_RUNTIME', 'tuneSockets TCP_SYNCNT');
  assert(e.message.includes(LABEL), 'names the runtime');
  note(e.message);
});

test('tuneSockets: client and server policies on node:net and node:tls, read back by Python', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w.code);
  process.on('warning', onWarning);
  const off = so.tuneSockets({ client: { userTimeout: 7777, keepAlive: { idle: 5000, interval: 2000, count: 3 } }, server: { userTimeout: 5555 } });
  try {
    const p = await pair();
    await new Promise((r) => setTimeout(r, 20));
    const [ut, idle, intvl, cnt] = oracle(resolveFd(p.client), [['get', TCP, C.TCP_USER_TIMEOUT, 0], ['get', TCP, C.TCP_KEEPIDLE, 0], ['get', TCP, C.TCP_KEEPINTVL, 0], ['get', TCP, C.TCP_KEEPCNT, 0]]);
    const [sut] = oracle(resolveFd(p.peer), [['get', TCP, C.TCP_USER_TIMEOUT, 0]]);
    note(`client TCP_USER_TIMEOUT ${ut}, keepalive ${idle}/${intvl}/${cnt} s; accepted TCP_USER_TIMEOUT ${sut}`);
    p.close();
    equal(ut, 7777, 'client TCP_USER_TIMEOUT');
    equal([idle, intvl, cnt].join('/'), '5/2/3', 'client keepalive');
    equal(sut, 5555, 'accepted TCP_USER_TIMEOUT');
    const server = tls.createServer({ key: fixture('key.pem'), cert: fixture('cert.pem') });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = tls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false });
    await once(client, 'secureConnect');
    const [tut] = oracle(resolveFd(client), [['get', TCP, C.TCP_USER_TIMEOUT, 0]]);
    client.destroy();
    server.close();
    equal(tut, 7777, 'TLS client TCP_USER_TIMEOUT');
    await new Promise((r) => setImmediate(r));
    if (!NATIVE_BIRTH) assert(warnings.includes('SOCKOPT_RUNTIME_CLIENTS'), `warning SOCKOPT_RUNTIME_CLIENTS emitted (got ${warnings})`);
  } finally {
    off();
    process.off('warning', onWarning);
  }
});

test("tuneSockets server policy off and on again under another tool's net.Server#emit and Socket#connect wrappers", async () => {
  // On Bun the accepted side comes through a Server#emit wrapper of ours, on Node 20 the client
  // side through a Socket#connect one: a wrapper of ours left under another tool's must not
  // make emit/connect call itself once we wrap again.
  const policy = { server: { userTimeout: 4321 }, client: { userTimeout: 1234 } };
  let off = so.tuneSockets(policy);
  const sp = net.Server.prototype;
  const cp = net.Socket.prototype;
  const [emit, connect] = [sp.emit, cp.connect];
  sp.emit = function (...a) { return emit.apply(this, a); };
  cp.connect = function (...a) { return connect.apply(this, a); };
  try {
    off();
    off = so.tuneSockets(policy);
    const p = await pair();
    await new Promise((r) => setTimeout(r, 20));
    const server = so.getsockopt(p.peer, 'TCP_USER_TIMEOUT');
    const client = so.getsockopt(p.client, 'TCP_USER_TIMEOUT');
    note(`accepted TCP_USER_TIMEOUT ${server}, client ${client}`);
    p.close();
    equal(server, 4321, 'accepted TCP_USER_TIMEOUT');
    equal(client, 1234, 'client TCP_USER_TIMEOUT');
  } finally {
    off();
    sp.emit = emit;
    cp.connect = connect;
  }
});

test('tuneSockets filter: false leaves a client alone; a throwing filter leaves it alone and alive, warned once', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w.code);
  process.on('warning', onWarning);
  const read = (sock) => oracle(resolveFd(sock), [['get', TCP, C.TCP_USER_TIMEOUT, 0]])[0];
  let asked = 0;
  let off = so.tuneSockets({ client: { userTimeout: 6111 }, filter: (info) => (asked++, info.direction === 'client' && info.port === -1) });
  try {
    const p = await pair();
    await new Promise((r) => setTimeout(r, 20));
    const ut = read(p.client);
    p.close();
    note(`filter false (asked ${asked}x): client TCP_USER_TIMEOUT ${ut}`);
    equal(ut, 0, 'client TCP_USER_TIMEOUT with a filter that says no');
    assert(asked >= 1, 'the filter was asked');
    off();
    off = so.tuneSockets({ client: { userTimeout: 6222 }, filter: () => { throw new Error('boom'); } });
    const q = await pair();
    const r2 = await pair();
    await new Promise((r) => setTimeout(r, 20));
    const uts = [read(q.client), read(r2.client)];
    const alive = !q.client.destroyed && !r2.client.destroyed;
    q.close();
    r2.close();
    await new Promise((r) => setImmediate(r));
    note(`filter throws: client TCP_USER_TIMEOUT ${uts.join(', ')}, alive ${alive}, warnings ${warnings.filter((c) => c.startsWith('SOCKOPT_FILTER')).join(', ')}`);
    equal(uts.join(','), '0,0', 'client TCP_USER_TIMEOUT with a throwing filter');
    assert(alive, 'the sockets were not destroyed');
    equal(warnings.filter((c) => c === 'SOCKOPT_FILTER_THREW').length, 1, 'SOCKOPT_FILTER_THREW warnings');
  } finally {
    off();
    process.off('warning', onWarning);
  }
});

// ---------------------------------------------------------------- agent policies

/** One GET through `agent` to a local server (http, or https with the test certificate); the socket it ran on, still open (parked). */
async function getThrough(agent, secure) {
  const server = secure
    ? https.createServer({ key: fixture('key.pem'), cert: fixture('cert.pem') }, (req, res) => res.end('ok'))
    : http.createServer((req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const req = (secure ? https : http).get({ host: '127.0.0.1', port: server.address().port, path: '/', agent, rejectUnauthorized: false });
  const [res] = await once(req, 'response');
  const socket = res.socket; // with keepAlive it is parked (setKeepAlive(true, 1000)) once the body is read
  let body = '';
  for await (const chunk of res) body += chunk;
  await new Promise((r) => setImmediate(r));
  return { socket, body, close: () => { agent.destroy(); server.close(); } };
}

for (const [name, make, secure] of [['agent', so.agent, false], ['httpsAgent', so.httpsAgent, true]]) {
  test(`${name}({ policy: { userTimeout, keepAlive } }): the request's socket has them, read back by getsockopt and Python`, async () => {
    const got = await getThrough(make({ keepAlive: true, policy: { userTimeout: 4242, keepAlive: { idle: 6000, interval: 2000, count: 4 } } }), secure);
    try {
      equal(got.body, 'ok', 'response body');
      const fd = resolveFd(got.socket);
      const [ut, idle, intvl, cnt] = oracle(fd, [['get', TCP, C.TCP_USER_TIMEOUT, 0], ['get', TCP, C.TCP_KEEPIDLE, 0], ['get', TCP, C.TCP_KEEPINTVL, 0], ['get', TCP, C.TCP_KEEPCNT, 0]]);
      note(`${name} socket fd ${fd}: TCP_USER_TIMEOUT ${so.getsockopt(got.socket, 'TCP_USER_TIMEOUT')} (Python ${ut}), keepalive ${idle}/${intvl}/${cnt} s`);
      equal(so.getsockopt(got.socket, 'TCP_USER_TIMEOUT'), 4242, 'getsockopt TCP_USER_TIMEOUT');
      equal(ut, 4242, 'Python TCP_USER_TIMEOUT');
      equal(so.getsockopt(got.socket, 'SO_KEEPALIVE'), true, 'getsockopt SO_KEEPALIVE');
      equal([idle, intvl, cnt].join('/'), '6/2/4', 'Python keepalive idle/interval/count');
    } finally {
      got.close();
    }
  });
}

test(`agent({ policy: { sockopts: { TCP_SYNCNT: 2 } } }) ${NATIVE_BIRTH ? 'puts TCP_SYNCNT on the socket before the SYN' : 'is refused with ERR_SOCKOPT_RUNTIME naming the runtime'}`, async () => {
  if (!NATIVE_BIRTH) {
    // No hook before the SYN: set at 'connect' it would not act, so it is refused as tuneSockets() refuses it.
    for (const make of [so.agent, so.httpsAgent]) {
      const e = throwsCode(() => make({ policy: { sockopts: { TCP_SYNCNT: 2 } } }), 'ERR_SOCKOPT_RUNTIME', `${make.name} with TCP_SYNCNT`);
      assert(e.message.includes(LABEL) && e.message.includes('options.policy'), `message names ${LABEL} and options.policy: ${e.message}`);
      note(e.message.slice(0, 200));
    }
    return;
  }
  const got = await getThrough(so.agent({ keepAlive: true, policy: { sockopts: { TCP_SYNCNT: 2 } } }), false);
  try {
    equal(oracle(resolveFd(got.socket), [['get', TCP, C.TCP_SYNCNT, 0]])[0], 2, 'Python TCP_SYNCNT');
    equal(so.getsockopt(got.socket, 'TCP_SYNCNT'), 2, 'getsockopt TCP_SYNCNT');
  } finally {
    got.close();
  }
});

// ---------------------------------------------------------------- telemetry

test('trackConnections: close records with TCP_INFO for the client and the accepted socket', async () => {
  const records = [];
  const onClose = (m) => records.push(m);
  dc.subscribe(so.tcpChannels.close, onClose);
  const stop = so.trackConnections({ interval: 0 });
  try {
    const p = await pair();
    p.client.write('y'.repeat(5000));
    let got = 0;
    while (got < 5000) got += (await once(p.peer, 'data'))[0].length;
    p.client.destroy();
    await once(p.peer, 'close');
    p.server.close();
    await new Promise((r) => setTimeout(r, 50));
    const dirs = records.map((r) => `${r.direction}:${r.info ? r.info.bytesAcked ?? r.info.bytesReceived : 'no info'}`);
    note(`close records: ${dirs.join(', ')}`);
    const client = records.find((r) => r.direction === 'client');
    const server = records.find((r) => r.direction === 'server');
    assert(client && client.info && client.info.bytesAcked >= 5000, 'client close record with bytesAcked >= 5000');
    assert(server && server.info && server.info.bytesReceived >= 5000, 'server close record with bytesReceived >= 5000');
  } finally {
    stop();
    dc.unsubscribe(so.tcpChannels.close, onClose);
  }
});

// ---------------------------------------------------------------- sockopt/register

function register(sockopt) {
  const child = path.join(__dirname, 'register-child.cjs');
  const preload = RUNTIME === 'deno' ? undefined : path.join(root, 'lib/register.js');
  const [cmd, args] = runtimeArgv(child, preload);
  const env = { ...process.env, SOCKOPT: sockopt, SOCKOPT_REQUIRE_REGISTER: RUNTIME === 'deno' ? '1' : '0' };
  const r = cp.spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 20000 });
  note(`${RUNTIME === 'deno' ? 'deno run -A (require(\'sockopt/register\'))' : `${RUNTIME} ${RUNTIME === 'bun' ? '--preload' : '-r'} sockopt/register`} SOCKOPT='${sockopt}': exit ${r.status}`);
  if (r.stdout.trim()) note(`  stdout: ${r.stdout.trim()}`);
  const err = r.stderr.trim().split('\n').filter((l) => /SOCKOPT|sockopt|ERR_|rror/.test(l)).slice(0, 3);
  for (const l of err) note(`  stderr: ${l.slice(0, 300)}`);
  return r;
}

test('register: SOCKOPT client userTimeout 7777 on a node:net client and a fetch()', () => {
  const r = register('{"client":{"userTimeout":7777}}');
  equal(r.status, 0, 'exit code');
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  equal(out.netUserTimeout, 7777, 'node:net client TCP_USER_TIMEOUT (Python)');
  equal(out.fetchBody, 'ok', 'fetch completed');
  if (NATIVE_BIRTH) equal(out.fetchUserTimeout, 7777, 'fetch TCP_USER_TIMEOUT (Python)');
  else {
    // The runtime's own fetch does not pass through node:net: not tuned, and said so.
    equal(out.fetchUserTimeout, 0, 'fetch TCP_USER_TIMEOUT (Python): not reached on this runtime');
    assert(r.stderr.includes('SOCKOPT_RUNTIME_CLIENTS') && r.stderr.includes(LABEL), 'the warning naming the runtime and fetch is printed');
  }
});

test(`register: SOCKOPT client TCP_SYNCNT 1 ${NATIVE_BIRTH ? 'is applied' : 'exits non-zero naming the runtime'}`, () => {
  const r = register('{"client":{"sockopts":{"TCP_SYNCNT":1}}}');
  if (NATIVE_BIRTH) {
    equal(r.status, 0, 'exit code');
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    equal(out.netSyncnt, 1, 'node:net TCP_SYNCNT (Python)');
    equal(out.fetchSyncnt, 1, 'fetch TCP_SYNCNT (Python)');
    return;
  }
  assert(r.status !== 0 && r.status !== null, `non-zero exit (got ${r.status})`);
  assert(r.stderr.includes('ERR_SOCKOPT_RUNTIME') && r.stderr.includes(LABEL), 'stderr names the code and the runtime');
  equal(r.stdout.trim(), '', 'the program did not run');
});

// `sockopt inspect` run by this runtime (a child of it, as a user would start the bin) on a
// Python process holding a listener and 20 connections, one with TCP_USER_TIMEOUT 4321.
test('sockopt inspect PID run by the runtime: text and --json, options read', async () => {
  const holder = cp.spawn('python3', ['-c', `
import json, os, socket, sys
l = socket.create_server(('127.0.0.1', 0))
held = []
for _ in range(10):
    held.append(socket.create_connection(l.getsockname()))
    held.append(l.accept()[0])
held[0].setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 4321)
print(json.dumps({'pid': os.getpid(), 'fd': held[0].fileno()}), flush=True)
sys.stdin.read()
`], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [line] = await once(holder.stdout, 'data');
    const { pid, fd } = JSON.parse(line.toString());
    const [cmd, args] = runtimeArgv(path.join(root, 'lib/cli.js'));
    const inspect = (...more) => cp.spawnSync(cmd, [...args, 'inspect', String(pid), ...more], { encoding: 'utf8', timeout: 30000 });
    const json = inspect('--json');
    equal(json.status, 0, `--json exit code (stderr: ${json.stderr.slice(0, 300)})`);
    const report = JSON.parse(json.stdout);
    note(`${LABEL} lib/cli.js inspect ${pid} --json: ${report.sockets.length} sockets, optionsRead ${report.optionsRead}, tables ${report.tables}`);
    equal(report.sockets.filter((x) => x.kind === 'tcp').length, 21, 'the listener and 20 connected TCP sockets');
    const mine = report.sockets.find((x) => x.fd === fd);
    if (process.getuid && process.getuid() === 0) {
      equal(report.optionsRead, true, 'options read (root: ptrace rights)');
      equal(mine.options.IPPROTO_TCP.TCP_USER_TIMEOUT, 4321, "the held socket's TCP_USER_TIMEOUT");
    } else equal(typeof report.optionsRead, 'boolean', 'optionsRead said either way');
    const text = inspect();
    equal(text.status, 0, 'text exit code');
    assert(text.stdout.startsWith(`pid ${pid} (python3): `), `title line: ${text.stdout.split('\n')[0]}`);
    equal(text.stdout.split('\n').filter((l) => /^fd \d+ +tcp /.test(l)).length, 21, 'a header line per TCP socket');
  } finally {
    holder.stdin.end();
    holder.kill();
  }
});

run(LABEL);
