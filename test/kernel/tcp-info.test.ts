// TCP_INFO on real loopback connections, checked against ss(8) and Python on the
// same socket, and the decoder fed every historical struct length.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { constants as C, decodeTcpInfo, getsockopt, getTcpInfo, tcpInfoFields, type TcpInfo } from '../../src/index';
import { boundUdp, fdOf, figure, listeningServer, oracle, tcpPair, type TcpPair } from '../helpers';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

async function roundTrip(p: TcpPair, bytes = 1): Promise<void> {
  p.accepted.once('data', (d: Buffer) => p.accepted.write(d));
  p.client.write(Buffer.alloc(bytes, 7));
  let got = 0;
  while (got < bytes) got += ((await once(p.client, 'data')) as [Buffer])[0].length;
}

describe('getTcpInfo on live sockets', () => {
  it('a fresh connection is ESTABLISHED with rtt > 0 after one round trip', async () => {
    pair = await tcpPair();
    await roundTrip(pair);
    const info = getTcpInfo(pair.client);
    expect(info.state).toBe('ESTABLISHED');
    expect(info.stateCode).toBe(1);
    expect(info.caState).toBe('open');
    expect(info.rtt).toBeGreaterThan(0);
    // The kernel's length, whatever its version: at least the fields read here (state,
    // caState, options and rtt are in the 2.6 struct, 104 bytes), and every field that
    // length covers is decoded. Python reading the same fd agrees on the length (below).
    expect(info.length).toBeGreaterThanOrEqual(104);
    for (const [name, , , end] of tcpInfoFields) if (end <= info.length) expect(info, name).toHaveProperty(name);
    expect(info.options?.sack).toBe(true);
    expect(getsockopt(pair.client, 'TCP_INFO').state).toBe('ESTABLISHED');
  });

  it('bytesAcked grows after a write (number and bigint forms agree)', async () => {
    pair = await tcpPair();
    await roundTrip(pair);
    const before = getTcpInfo(pair.client);
    await roundTrip(pair, 10_000);
    const after = getTcpInfo(pair.client);
    expect(after.bytesAcked! - before.bytesAcked!).toBe(10_000);
    const big = getTcpInfo(pair.client, { bigint: true });
    expect(typeof big.bytesAcked).toBe('bigint');
    expect(big.bytesAcked).toBe(BigInt(after.bytesAcked!));
  });

  it('options: { bigint } a boolean and nothing else; a typo or another type is refused, not ignored', async () => {
    pair = await tcpPair();
    const bytes = Buffer.alloc(232); // a struct tcp_info with bytesAcked, all zero
    const cases: [unknown, string][] = [
      [5, 'ERR_INVALID_ARG_TYPE'], [true, 'ERR_INVALID_ARG_TYPE'], [null, 'ERR_INVALID_ARG_TYPE'], ['bigint', 'ERR_INVALID_ARG_TYPE'],
      [{ bigInt: true }, 'ERR_INVALID_ARG_VALUE'], [{ bigint: 1 }, 'ERR_INVALID_ARG_TYPE'], [{ bigint: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [options, code] of cases) {
      const call = options as { bigint: true };
      expect(() => getTcpInfo(pair!.client, call), JSON.stringify(options)).toThrow(expect.objectContaining({ code }));
      expect(() => decodeTcpInfo(bytes, call), JSON.stringify(options)).toThrow(expect.objectContaining({ code }));
    }
    for (const options of [undefined, {}, { bigint: false }, { bigint: undefined }] as ({ bigint?: false } | undefined)[]) expect(typeof getTcpInfo(pair.client, options).bytesAcked).toBe('number');
    expect(typeof decodeTcpInfo(bytes, { bigint: true }).bytesAcked).toBe('bigint');
  });

  it('a listening server reports LISTEN', async () => {
    const server = await listeningServer();
    try {
      expect(getTcpInfo(server).state).toBe('LISTEN');
    } finally {
      server.close();
    }
  });

  it('a UDP socket gives a coded kernel error, not a crash', async () => {
    const udp = await boundUdp();
    try {
      let err: (Error & { code?: string; errno?: number; option?: string }) | undefined;
      try {
        getTcpInfo(udp);
      } catch (e) {
        err = e as typeof err;
      }
      // Linux 6.x answers EOPNOTSUPP (libuv's name: ENOTSUP) for a TCP level on UDP; older kernels ENOPROTOOPT.
      expect(err?.code).toMatch(/^(ENOTSUP|ENOPROTOOPT)$/);
      expect(err).toMatchObject({ syscall: 'getsockopt', option: 'TCP_INFO', level: 'IPPROTO_TCP' });
    } finally {
      udp.close();
    }
  });

  it('agrees with ss -tin for the same connection at the same moment', async () => {
    pair = await tcpPair();
    await roundTrip(pair, 5000);
    // "The same moment": read TCP_INFO on both sides of the ss call and keep a round where
    // nothing moved in between (a late delayed ACK on a loaded machine updates rtt). Bounded: 10 rounds.
    let info = getTcpInfo(pair.client);
    let after = info;
    let out = '';
    for (let round = 0; round < 10; round++) {
      await new Promise((r) => setTimeout(r, 50)); // let delayed ACKs settle: both readings see an idle connection
      info = getTcpInfo(pair.client);
      // Both ports and loopback: another connection on this host may share the local port (a listener's accepted sockets).
      out = execFileSync('ss', ['-tinH', 'state', 'established', 'src', `127.0.0.1:${pair.client.localPort}`, 'dst', `127.0.0.1:${pair.client.remotePort}`], { encoding: 'utf8' });
      after = getTcpInfo(pair.client);
      if (after.rtt === info.rtt && after.bytesAcked === info.bytesAcked && after.sndCwnd === info.sndCwnd) break;
    }
    expect(out.split('\n').filter((l) => /^\S/.test(l)), out).toHaveLength(1); // one connection: this one
    const num = (re: RegExp) => Number(re.exec(out)?.[1]);
    // ss prints rtt in ms with 3 decimals of the same µs counter: its value lies between
    // the two readings around it (equal to both when nothing moved, as in nearly every run).
    const ssRtt = num(/\brtt:([\d.]+)\//) * 1000;
    expect(ssRtt).toBeGreaterThanOrEqual(Math.min(info.rtt!, after.rtt!) - 1);
    expect(ssRtt).toBeLessThanOrEqual(Math.max(info.rtt!, after.rtt!) + 1);
    expect(num(/\bmss:(\d+)/)).toBe(info.sndMss);
    if (after.rtt !== info.rtt || after.sndCwnd !== info.sndCwnd || after.bytesAcked !== info.bytesAcked) {
      // Ten rounds without a still moment (a loaded machine): the counters below moved too.
      expect(num(/\bbytes_acked:(\d+)/)).toBeGreaterThanOrEqual(info.bytesAcked!);
      return;
    }
    expect(num(/\bcwnd:(\d+)/)).toBe(info.sndCwnd);
    expect(num(/\bbytes_acked:(\d+)/)).toBe(info.bytesAcked);
    // retrans:<in flight>/<total> appears only once something was retransmitted.
    const retrans = /\bretrans:(\d+)\/(\d+)/.exec(out);
    figure('ss -tin vs getTcpInfo', {
      ss: { rtt: num(/\brtt:([\d.]+)\//), cwnd: num(/\bcwnd:(\d+)/), mss: num(/\bmss:(\d+)/), bytes_acked: num(/\bbytes_acked:(\d+)/), retrans: retrans?.slice(1).join('/') ?? 'none' },
      getTcpInfo: { rtt: info.rtt! / 1000, cwnd: info.sndCwnd, mss: info.sndMss, bytesAcked: info.bytesAcked, retrans: `${info.retrans}/${info.totalRetrans}` },
    });
    expect(retrans ? [Number(retrans[1]), Number(retrans[2])] : [0, 0]).toEqual([info.retrans, info.totalRetrans]);
  });

  it('Python reading TCP_INFO on the same fd gets the same length and bytes for stable fields', async () => {
    pair = await tcpPair();
    await roundTrip(pair);
    const info = getTcpInfo(pair.client);
    const [hex] = await oracle(fdOf(pair.client), [['get', C.IPPROTO_TCP!, C.TCP_INFO!, 512]]);
    const raw = Buffer.from(hex as string, 'hex');
    figure('TCP_INFO length (Python on the same fd / getTcpInfo)', `${raw.length} / ${info.length}`);
    expect(raw.length).toBe(info.length);
    const decoded = decodeTcpInfo(raw);
    expect([decoded.state, decoded.sndMss, decoded.advmss, decoded.bytesReceived]).toEqual([info.state, info.sndMss, info.advmss, info.bytesReceived]);
  });
});

describe('decodeTcpInfo on synthetic buffers', () => {
  // Every length the kernel has returned, oldest first (2.6, 4.2, 4.6, 4.10, 5.4, 6.7, 6.18).
  const LENGTHS = [104, 144, 160, 192, 232, 248, 280];
  // Output keys per native field (the header bytes decode to several keys).
  const EXTRA: Record<string, string[]> = { state: ['state', 'stateCode'], caState: ['caState', 'caStateCode'] };

  it.each(LENGTHS)('%i bytes: exactly the fields that length covers', (len) => {
    const buf = Buffer.alloc(len);
    for (let i = 0; i < len; i++) buf[i] = (i * 7 + 1) & 0xff;
    const info = decodeTcpInfo(buf);
    const expected = ['length', ...tcpInfoFields.filter(([, , , end]) => end <= len).flatMap(([name]) => EXTRA[name] ?? [name])];
    expect(Object.keys(info).sort()).toEqual(expected.sort());
    expect(info.length).toBe(len);
    expect(info.rtt).toBe(buf.readUInt32LE(68)); // tcpi_rtt at offset 68 since 2.6
  });

  it('fields are where the kernel header puts them, including the newest', () => {
    const buf = Buffer.alloc(280);
    buf[0] = 10; // LISTEN
    buf[1] = 4; // loss
    buf[5] = 1 | 2 | 8; // timestamps, sack, ecn
    buf.writeUInt32LE(0x7fffffff, 76); // snd_ssthresh: infinite
    buf.writeUInt32LE(10, 80); // snd_cwnd
    buf.writeBigUInt64LE(2n ** 64n - 1n, 104); // pacing_rate: unlimited
    buf.writeBigUInt64LE(2n ** 60n + 3n, 120); // bytes_acked beyond 2^53
    buf.writeUInt16LE(9, 240); // total_rto
    buf.writeUInt16LE(3, 278); // accecn_opt_seen, the last field
    const n = decodeTcpInfo(buf) as TcpInfo;
    expect(n).toMatchObject({ state: 'LISTEN', caState: 'loss', sndSsthresh: null, sndCwnd: 10, pacingRate: null, totalRto: 9, accecnOptSeen: 3 });
    expect(n.options).toMatchObject({ timestamps: true, sack: true, windowScale: false, ecn: true });
    expect(decodeTcpInfo(buf, { bigint: true }).bytesAcked).toBe(2n ** 60n + 3n);
    expect(decodeTcpInfo(buf).bytesAcked).toBe(Number(2n ** 60n + 3n)); // number form: nearest double
    // Around 2^32, where the decoder switches from its uint32 copy of a field to the double.
    buf.writeUInt32LE(0xffffffff, 68); // rtt, a 32-bit field at its maximum
    buf.writeBigUInt64LE(0xffffffffn, 112); // max_pacing_rate: 2^32 - 1, not unlimited
    buf.writeBigUInt64LE(0xfffffffen, 128); // bytes_received just below it
    buf.writeBigUInt64LE(2n ** 32n, 200); // bytes_sent just above
    const edge = decodeTcpInfo(buf) as TcpInfo;
    expect(edge).toMatchObject({ rtt: 0xffffffff, maxPacingRate: 0xffffffff, bytesReceived: 0xfffffffe, bytesSent: 2 ** 32, pacingRate: null });
    expect(decodeTcpInfo(buf, { bigint: true })).toMatchObject({ maxPacingRate: 0xffffffffn, bytesReceived: 0xfffffffen, bytesSent: 2n ** 32n });
  });

  it('short and empty buffers are safe: fewer fields, never garbage', () => {
    expect(decodeTcpInfo(Buffer.alloc(0))).toEqual({ length: 0 });
    // qemu-user returns 4 bytes: the header fields in them (state, caState, retransmits, probes)
    expect(decodeTcpInfo(Buffer.alloc(4))).toEqual({ length: 4, state: 'UNKNOWN', stateCode: 0, caState: 'open', caStateCode: 0, retransmits: 0, probes: 0 });
    expect(Object.keys(decodeTcpInfo(Buffer.alloc(11)))).not.toContain('rto'); // rto needs bytes 8..11
    expect(decodeTcpInfo(Buffer.alloc(12)).rto).toBe(0);
    expect(Object.keys(decodeTcpInfo(Buffer.alloc(400))).length).toBe(Object.keys(decodeTcpInfo(Buffer.alloc(280))).length);
  });
});
