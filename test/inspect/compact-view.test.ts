// The compact and full views (util.inspect(sockopt(sock)), .full()) and the
// value formatting behind them, on real sockets.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { describeSocket, formatBytes, formatDuration, formatRate, formatSocket, getsockopt, getTcpInfo, setKeepAlive, setsockopt, sockopt } from '../../src/index';
import { boundUdp, figure, tcpPair, unixPair, type TcpPair } from '../helpers';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('value formatting', () => {
  it('sizes in binary units, exact bytes where scaling would round', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(131072)).toBe('128 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(32741)).toBe('32741 B'); // an MSS is not "32 KiB"
    expect(formatBytes(3939840)).toBe('3.76 MiB');
    expect(formatBytes(5n * 1024n ** 3n)).toBe('5 GiB');
  });

  it('rates in decimal bit/s from bytes/s', () => {
    expect(formatRate(0)).toBe('0 bit/s');
    expect(formatRate(125)).toBe('1 kbit/s');
    expect(formatRate(3_437_500_000)).toBe('27.5 Gbit/s');
    expect(formatRate(25_991_361_775n)).toBe('207.9 Gbit/s');
  });

  it('times in the unit that fits', () => {
    expect(formatDuration(52, 'µs')).toBe('52 µs');
    expect(formatDuration(1500, 'µs')).toBe('1.5 ms');
    expect(formatDuration(1500, 'ms')).toBe('1.5 s');
    expect(formatDuration(75, 's')).toBe('75 s');
    expect(formatDuration(900, 's')).toBe('15 min');
    expect(formatDuration(7200, 's')).toBe('2 h');
    expect(formatDuration(0, 'ms')).toBe('0 ms');
  });
});

describe('compact view', () => {
  it('TCP: header with addresses, state, rtt/rttvar, cwnd, retrans, unacked, queues; timeouts, buffers, and what differs from a fresh socket', async () => {
    pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 10_000, interval: 5_000, count: 3 });
    setsockopt(pair.client, 'TCP_USER_TIMEOUT', 30_000);
    setsockopt(pair.client, 'SO_RCVTIMEO', 1500);
    setsockopt(pair.client, 'IP_TOS', 0x10);
    pair.client.write('ping');
    await once(pair.accepted, 'data');
    const text = inspect(sockopt(pair.client));
    figure('compact view (TCP client)', `\n${text}`);
    const rtt = getTcpInfo(pair.client).rtt!;
    const [header] = text.split('\n');
    expect(header).toContain(`127.0.0.1:${pair.client.localPort} → 127.0.0.1:${pair.client.remotePort} ESTABLISHED`);
    expect(header).toMatch(/ · rtt [\d.]+\/[\d.]+ ms · cwnd \d+ · retrans 0\/0 · unacked \d+ · sendq \d+ B · recvq 0 B$/);
    expect(Math.abs(Number(/rtt ([\d.]+)/.exec(header!)![1]) * 1000 - rtt)).toBeLessThan(rtt + 1000); // same order as TCP_INFO
    expect(text).toContain('SO_KEEPALIVE on · TCP_KEEPIDLE 10 s · TCP_KEEPINTVL 5 s · TCP_KEEPCNT 3');
    expect(text).toContain('TCP_USER_TIMEOUT 30 s');
    expect(text).toContain('SO_RCVTIMEO 1.5 s');
    expect(text).toMatch(/SO_RCVBUF [\d.]+ (KiB|MiB|B)/);
    expect(text).toMatch(/\n {2}changed {7}.*IP_TOS 0x10 \(default 0x00\)/);
    expect(text).not.toContain('SO_TYPE'); // identity is in the header, not repeated
    expect(text.split('\n').length).toBeLessThanOrEqual(8);
  });

  it('enums by name and SO_BUSY_POLL in µs (its API unit) in the full view', async () => {
    pair = await tcpPair(6);
    const full = inspect(sockopt(pair.client).full());
    expect(full).toContain('SO_TYPE SOCK_STREAM');
    expect(full).toContain('SO_DOMAIN AF_INET6');
    expect(full).toContain('SO_PROTOCOL IPPROTO_TCP');
    expect(full).toMatch(/IP_MTU_DISCOVER IP_PMTUDISC_\w+/);
    expect(full).toContain(`SO_BUSY_POLL ${getsockopt(pair.client, 'SO_BUSY_POLL')} µs`);
    expect(full).toContain('IPPROTO_IPV6  IPV6_V6ONLY');
    expect(String(sockopt(pair.client).full())).toMatch(/^SocketOptions fd \d+: tcp IPv6 \[::1\]:\d+ → \[::1\]:\d+ ESTABLISHED[^\n]*\n {2}SOL_SOCKET {4}/); // toString: the same text
  });

  it('a listener names its TCP_INFO fields for what they are: accept queue and backlog', async () => {
    const server = net.createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 7 });
    await once(server, 'listening');
    const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    try {
      await once(c, 'connect');
      const info = getTcpInfo(server);
      const text = inspect(sockopt(server));
      expect(text.split('\n')[0]).toMatch(new RegExp(`tcp IPv4 127\\.0\\.0\\.1:\\d+ LISTEN · accept queue ${info.unacked}/${info.sacked}$`));
      expect(info.sacked).toBe(7);
      const full = inspect(sockopt(server).full());
      expect(full).toContain(`acceptQueue ${info.unacked}`);
      expect(full).toContain('backlog 7');
      expect(full).not.toMatch(/\bsacked\b/);
      expect(describeSocket(server)).toMatchObject({ state: 'LISTEN', backlog: 7, acceptQueue: info.unacked });
      expect(text).toContain('SO_REUSEADDR on (default off)'); // libuv sets it on listeners
    } finally {
      c.destroy();
      server.close();
    }
  });

  it('UDP and unix views print no IPPROTO_TCP group, and say what the socket is', async () => {
    const udp = await boundUdp();
    const dir = mkdtempSync(join(tmpdir(), 'sockopt-view-'));
    const path = join(dir, 'v.sock');
    const unix = await unixPair(path);
    try {
      const u = inspect(sockopt(udp));
      expect(u.split('\n')[0]).toMatch(/^SocketOptions fd \d+: udp IPv4 127\.0\.0\.1:\d+ UNCONNECTED · sendq 0 B · recvq 0 B$/);
      const uf = inspect(sockopt(udp).full());
      expect(uf).not.toContain('IPPROTO_TCP');
      expect(uf).not.toContain('TCP_NODELAY');
      expect(uf).not.toContain('TCP_INFO');
      const x = inspect(sockopt(unix.client));
      expect(x.split('\n')[0]).toBe(`SocketOptions fd ${describeSocket(unix.client).fd}: unix stream (unnamed) → ${path} CONNECTED · sendq 0 B · recvq 0 B · peer pid ${process.pid} uid ${process.getuid!()}`);
      const xf = inspect(sockopt(unix.client).full());
      expect(xf).not.toContain('IPPROTO_');
      expect(xf).toContain('SO_DOMAIN AF_UNIX');
      expect(describeSocket(unix.client)).toMatchObject({ kind: 'unix', family: 'unix', type: 'stream', state: 'CONNECTED' });
    } finally {
      udp.close();
      await unix.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describeSocket is JSON-safe data (SO_COOKIE as a decimal string)', async () => {
    pair = await tcpPair();
    const d = describeSocket(pair.client);
    const back = JSON.parse(JSON.stringify(d)) as typeof d;
    expect(back.options!.SOL_SOCKET!.SO_COOKIE).toBe(getsockopt(pair.client, 'SO_COOKIE').toString());
    expect(back).toMatchObject({ kind: 'tcp', family: 'IPv4', type: 'stream', state: 'ESTABLISHED', recvQueue: 0 });
  });
});

// The compact view's timeouts and buffers lines are kept by their options' values
// (format-socket.ts): each socket must still get the text of its own values, whatever was
// formatted before it, in whatever order, past the cache's bound.
describe('the header of a hand-made report', () => {
  it('names only the words that are there: an empty kind, family or type leaves no gap', () => {
    const header = (r: object) => formatSocket({ fd: 3, state: 'UNCONNECTED', local: null, remote: null, recvQueue: null, sendQueue: null, ...r } as never).split('\n')[0];
    expect(header({ kind: '', family: 'IPv4', type: 'raw', protocol: 1 })).toBe('IPv4 raw protocol 1 * UNCONNECTED');
    expect(header({ kind: 'raw', family: null, type: '', protocol: 0 })).toBe('raw protocol 0 * UNCONNECTED');
    expect(header({ kind: 'unknown', protocolName: 'AF_\x1b[31m', family: null, type: null })).toBe('unknown (AF_\\x1b[31m) * UNCONNECTED');
  });
});

describe('compact view of many sockets', () => {
  // "NAME value" of one option as the full view (never cached) prints it.
  const token = (r: Parameters<typeof formatSocket>[0], name: string) => {
    const m = new RegExp(`(?:^| )(${name} [^·\\n]*?)(?: ·|$)`, 'm').exec(formatSocket(r, { all: true }));
    return m ? m[1]!.trim() : null;
  };
  const compactLines = (r: Parameters<typeof formatSocket>[0]) => formatSocket(r).split('\n').slice(1).join('\n').replace(/ ·\n +/g, ' · ');

  it('gives each socket its own values, in any order, past the cache bound', async () => {
    pair = await tcpPair();
    const base = describeSocket(pair.client);
    const levelOf = (name: string) => (name.startsWith('TCP_') ? 'IPPROTO_TCP' : 'SOL_SOCKET');
    const variants: typeof base[] = [];
    const varied: string[] = [];
    const change: [string, unknown[]][] = [
      ['SO_LINGER', [null, 0, 5]], ['SO_KEEPALIVE', [true, false]], ['TCP_KEEPIDLE', [7200, 30, 1]], ['SO_RCVTIMEO', [null, 1500]],
      ['TCP_NODELAY', [true, false, undefined]], ['TCP_USER_TIMEOUT', [0, 1, 30000]],
    ];
    for (const [name, values] of change) {
      for (const v of values) {
        const r = structuredClone(base);
        const level = r.options![levelOf(name)]!;
        if (v === undefined) delete level[name];
        else level[name] = v as never;
        variants.push(r);
        varied.push(name);
      }
    }
    for (let i = 0; i < 600; i++) { // more distinct values than the cache keeps
      const r = structuredClone(base);
      r.options!.SOL_SOCKET!.SO_RCVBUF = 4096 + 2 * i;
      variants.push(r);
      varied.push('SO_RCVBUF');
    }
    const check = (order: number[]) => {
      for (const i of order) {
        const want = token(variants[i]!, varied[i]!);
        const text = compactLines(variants[i]!);
        if (want === null) expect(text).not.toMatch(new RegExp(`\\b${varied[i]} `));
        else expect(text.includes(want), `${want} in\n${text}`).toBe(true);
      }
    };
    const order = variants.map((_, i) => i);
    check(order);
    check([...order].reverse());
    check(order.map((_, i) => (i * 7919) % order.length));
    // The same report twice, and a copy of it: the same text.
    expect(formatSocket(variants[0]!)).toBe(formatSocket(structuredClone(variants[0]!)));
    figure('compact groups checked', variants.length);
  });
});
