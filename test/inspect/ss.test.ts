// Side by side with `ss -tiepm` on the same target: every field ss prints for each TCP
// socket of the process is found in `sockopt inspect --json`, with the same value
// (fields that move with the clock, such as lastsnd, within a tolerance). A field of
// ss's output this table does not know fails the test: a newer ss with more fields
// must be looked at, not skipped.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figure, python } from '../helpers';

const bin = join(__dirname, '..', '..', 'lib', 'cli.js');

interface Sock {
  fd: number;
  inode: number;
  state: string;
  local: { address: string; port: number };
  remote: { address: string; port: number } | null;
  recvQueue: number | null;
  sendQueue: number | null;
  acceptQueue?: number;
  backlog?: number;
  tcpInfo: Record<string, number | boolean | Record<string, boolean>>;
  kernel: { uid?: number; cookie: string; cgroup?: string; timer?: { name: string; expiresMs: number; retransmits: number }; skmem: Record<string, number>; congestion: string; bbr?: Record<string, number>; sendRate?: number; shutdown: number };
}
interface Report {
  pid: number;
  command: string;
  sockets: Sock[];
}

let target: ChildProcess;
let info: { pid: number; port: number };

beforeAll(async () => {
  // A listener, a connection with unread data on one side and a keepalive timer on the other.
  target = spawn(python, ['-c', `
import json, os, socket, sys
l = socket.create_server(('127.0.0.1', 0))
c = socket.create_connection(l.getsockname())
a, _ = l.accept()
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)
c.sendall(b'x' * 100000)
a.recv(40000)
print(json.dumps({'pid': os.getpid(), 'port': l.getsockname()[1]}), flush=True)
sys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  target.stdout!.on('data', (d: Buffer) => (text += d));
  while (!text.includes('\n')) await once(target.stdout!, 'data');
  info = JSON.parse(text);
  await new Promise((r) => setTimeout(r, 300)); // let the handshake's counters settle
});

afterAll(() => {
  target?.stdin!.end();
});

const sh = (file: string, args: string[]) =>
  new Promise<string>((resolve, reject) => execFile(file, args, { maxBuffer: 16 << 20 }, (e, out) => (e ? reject(e) : resolve(out))));

const ms = (us: unknown) => (us as number) / 1000;
const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;
const bps = (text: string) => Number(text.replace(/bps$/, ''));
const SS_STATES: Record<string, string> = { ESTAB: 'ESTABLISHED', LISTEN: 'LISTEN', 'SYN-SENT': 'SYN_SENT', 'CLOSE-WAIT': 'CLOSE_WAIT', 'TIME-WAIT': 'TIME_WAIT', 'FIN-WAIT-1': 'FIN_WAIT1', 'FIN-WAIT-2': 'FIN_WAIT2' };
// ss's unit suffixes: 29sec, 1min2sec, 200ms.
function duration(text: string): number {
  let total = 0;
  for (const [, n, u] of text.matchAll(/(\d+(?:\.\d+)?)(min|sec|ms)/g)) total += Number(n) * (u === 'min' ? 60000 : u === 'sec' ? 1000 : 1);
  return total;
}

// ss -i key:value fields → the TCP_INFO field, and how ss prints it from there.
const TI: Record<string, [string, (v: number) => number]> = {
  rto: ['rto', ms], ato: ['ato', ms], mss: ['sndMss', Number], pmtu: ['pmtu', Number], rcvmss: ['rcvMss', Number], advmss: ['advmss', Number],
  cwnd: ['sndCwnd', Number], ssthresh: ['sndSsthresh', Number], bytes_sent: ['bytesSent', Number], bytes_retrans: ['bytesRetrans', Number],
  bytes_acked: ['bytesAcked', Number], bytes_received: ['bytesReceived', Number], segs_out: ['segsOut', Number], segs_in: ['segsIn', Number],
  data_segs_out: ['dataSegsOut', Number], data_segs_in: ['dataSegsIn', Number], delivered: ['delivered', Number], delivered_ce: ['deliveredCe', Number],
  unacked: ['unacked', Number], lost: ['lost', Number], sacked: ['sacked', Number], fackets: ['fackets', Number], reordering: ['reordering', Number],
  reord_seen: ['reordSeen', Number], dsack_dups: ['dsackDups', Number], rcv_rtt: ['rcvRtt', ms], rcv_space: ['rcvSpace', Number],
  rcv_ssthresh: ['rcvSsthresh', Number], notsent: ['notsentBytes', Number], minrtt: ['minRtt', ms], snd_wnd: ['sndWnd', Number], rcv_wnd: ['rcvWnd', Number],
  rehash: ['rehash', Number], backoff: ['backoff', Number],
};
// Fields that move with the clock between the two reads: ms since the last send/receive/ack.
const CLOCK: Record<string, string> = { lastsnd: 'lastDataSent', lastrcv: 'lastDataRecv', lastack: 'lastAckRecv' };
const FLAGS: Record<string, string> = { ts: 'timestamps', sack: 'sack', ecn: 'ecn', ecnseen: 'ecnSeen' };

/** Checks one ss field against the socket's JSON; returns false when the field is unknown. */
// `span`: ms between the first and the last of the two reads (ss, inspect), run side by side;
// clock-driven values (timers, ms since the last send) may differ by that much.
function check(field: string, next: () => string, s: Sock, report: Report, span: number): boolean {
  const ti = s.tcpInfo;
  const k = s.kernel;
  const kv = /^([a-z_]+):(.*)$/.exec(field);
  if (field in FLAGS) return expect((ti.options as Record<string, boolean>)[FLAGS[field]!], field).toBe(true), true;
  if (field === k.congestion) return true;
  if (/^(<|-)-(>|-)$/.test(field)) {
    expect(field, 'shutdown').toBe(`${k.shutdown & 1 ? '-' : '<'}-${k.shutdown & 2 ? '-' : '>'}`);
    return true;
  }
  if (field === 'app_limited') return expect(ti.deliveryRateAppLimited).toBe(true), true;
  if (field === 'send') return expect(near(bps(next()), k.sendRate! * 8, 8)).toBe(true), true;
  if (field === 'pacing_rate') return expect(near(bps(next()), (ti.pacingRate as number) * 8, (ti.pacingRate as number) * 0.01 + 8)).toBe(true), true;
  if (field === 'delivery_rate') return expect(near(bps(next()), (ti.deliveryRate as number) * 8, 8)).toBe(true), true;
  if (!kv) return false;
  const [, key, value] = kv as unknown as [string, string, string];
  switch (key) {
    case 'users': {
      // Every process holding the socket; inspect's own copy (pidfd_getfd) may be one of them while it runs.
      const users = [...value.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)/g)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
      expect(users.find((u) => u[1] === report.pid)).toEqual([report.command, report.pid, s.fd]);
      return true;
    }
    case 'timer': {
      const [name, left, retrans] = value.slice(1, -1).split(',') as [string, string, string];
      expect(k.timer).toMatchObject({ name, retransmits: Number(retrans) });
      expect(near(k.timer!.expiresMs, duration(left), 1000 + span), `timer ${value} vs ${k.timer!.expiresMs} ms (reads ${span} ms apart)`).toBe(true);
      return true;
    }
    case 'uid': return expect(k.uid).toBe(Number(value)), true;
    case 'ino': return expect(s.inode).toBe(Number(value)), true;
    case 'sk': return expect(k.cookie).toBe(BigInt(`0x${value}`).toString()), true;
    case 'cgroup': return expect(k.cgroup).toBe(value), true;
    case 'skmem': {
      const names: Record<string, string> = { r: 'rmemAlloc', rb: 'rcvbuf', t: 'wmemAlloc', tb: 'sndbuf', f: 'fwdAlloc', w: 'wmemQueued', o: 'optmem', bl: 'backlog', d: 'drops' };
      for (const [, n, v] of value.slice(1, -1).matchAll(/([a-z]+)(\d+)/g)) expect(k.skmem[names[n!]!], `skmem ${n}`).toBe(Number(v));
      return true;
    }
    case 'wscale': return expect(value).toBe(`${ti.sndWscale as number},${ti.rcvWscale as number}`), true;
    case 'rtt': {
      const [rtt, rttvar] = value.split('/').map(Number) as [number, number];
      expect(near(rtt, ms(ti.rtt), 0.001) && near(rttvar, ms(ti.rttvar), 0.001)).toBe(true);
      return true;
    }
    case 'retrans': return expect(value).toBe(`${ti.retrans as number}/${ti.totalRetrans as number}`), true;
    case 'bbr': {
      const b = Object.fromEntries(value.slice(1, -1).split(',').map((p) => p.split(':') as [string, string]));
      expect(k.bbr).toBeDefined();
      if (b.bw !== undefined) expect(bps(b.bw)).toBe(k.bbr!.bw * 8);
      if (b.mrtt !== undefined) expect(Number(b.mrtt)).toBe(k.bbr!.minRtt / 1000);
      if (b.pacing_gain !== undefined) expect(near(Number(b.pacing_gain), k.bbr!.pacingGain / 256, 1e-4)).toBe(true);
      if (b.cwnd_gain !== undefined) expect(near(Number(b.cwnd_gain), k.bbr!.cwndGain / 256, 1e-4)).toBe(true);
      return true;
    }
    case 'busy': return expect(Number(value.replace(/ms$/, ''))).toBe(Math.floor(ms(ti.busyTime))), true;
    case 'rwnd_limited': case 'sndbuf_limited': {
      const f = key === 'rwnd_limited' ? 'rwndLimited' : 'sndbufLimited';
      return expect(Number(/^(\d+)ms/.exec(value)![1])).toBe(Math.floor(ms(ti[f]))), true;
    }
    default:
      if (key in CLOCK) return expect(near(ti[CLOCK[key]!] as number, Number(value), 1000 + span), `${key}:${value} (reads ${span} ms apart)`).toBe(true), true;
      if (key in TI) {
        const [name, from] = TI[key]!;
        return expect(near(Number(value), from(ti[name] as number), 0.001), `${key}:${value} vs ${name} ${String(ti[name])}`).toBe(true), true;
      }
      return false;
  }
}

describe('sockopt inspect --json against ss -tiepm', () => {
  it('every field ss prints for each TCP socket of the process is in the JSON, with its value', async () => {
    const filter = `sport = :${info.port} or dport = :${info.port}`;
    const started = performance.now();
    const [ssText, json] = await Promise.all([sh('ss', ['-atiepmHn', filter]), sh(process.execPath, [bin, 'inspect', String(info.pid), '--json'])]);
    const span = Math.ceil(performance.now() - started);
    const report = JSON.parse(json) as Report;
    figure('ss -atiepmHn of the target', `\n${ssText.trimEnd()}`);
    // The target's own: a TIME-WAIT or another process's socket may share the port number.
    const records = ssText.replace(/\n\t/g, ' ').trim().split('\n').filter((r) => r.includes(`,pid=${info.pid},`));
    expect(records).toHaveLength(3); // the listener and both ends of the connection
    const seen = new Set<string>();
    for (const record of records) {
      const fields = record.trim().split(/\s+/);
      const [state, recvQ, sendQ, local, peer] = fields.splice(0, 5) as [string, string, string, string, string];
      const ino = Number(/ino:(\d+)/.exec(record)![1]);
      const s = report.sockets.find((x) => x.inode === ino)!;
      expect(s, `inode ${ino} in the JSON`).toBeDefined();
      expect(s.state).toBe(SS_STATES[state] ?? state);
      expect(local).toBe(`${s.local.address}:${s.local.port}`);
      expect(peer).toBe(s.remote ? `${s.remote.address}:${s.remote.port}` : `${s.local.address === '127.0.0.1' ? '0.0.0.0' : '[::]'}:*`);
      if (state === 'LISTEN') expect([Number(recvQ), Number(sendQ)]).toEqual([s.acceptQueue, s.backlog]);
      else expect([Number(recvQ), Number(sendQ)]).toEqual([s.recvQueue, s.sendQueue]);
      const unknown: string[] = [];
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i]!;
        if (!check(field, () => fields[++i]!, s, report, span)) unknown.push(field);
        seen.add(field.split(':')[0]!);
      }
      expect(unknown, 'fields of ss this test does not know').toEqual([]);
    }
    figure('ss fields found in inspect --json', [...seen].sort().join(' '));
  });
});
