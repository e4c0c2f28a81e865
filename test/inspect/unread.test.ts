// The options a view never shows are left unread (duplicates.ts Unread): `sockopt inspect
// PID` in its compact view skips the kernel-managed TCP and IP options on every socket and
// the datagram-only ones on TCP sockets. What is left out is absent (neither a value nor a
// refusal), everything else is what a full read gives, the compact text is the same
// either way (on this process's sockets, and on another's past the first batch and the
// batches read ahead, where sock_diag records fill options in), and strace shows the
// syscalls not made while --all still makes them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH, canReadDuplicates, DuplicateBatch } from '../../src/inspect/duplicates';
import { compactUnread, formatSocket, reportFromSnapshot, type SocketReport } from '../../src/inspect/format-socket';
import { streamPid } from '../../src/inspect/pid';
import { FIRST_BATCH } from '../../src/inspect/duplicates';
import { binding } from '../../src/kernel/binding';
import { resolveFd } from '../../src/node/fd';
import { boundUdp, fdOf, figure, listeningServer, pidfdWithGetfd, python, root, tcpPair, type TcpPair } from '../helpers';
import { statSync } from 'node:fs';
import type * as net from 'node:net';
import type * as dgram from 'node:dgram';

const inodeOf = (fd: number) => statSync(`/proc/self/fd/${fd}`).ino;
const hasStrace = spawnSync('strace', ['-V']).status === 0;
// The header's live TCP_INFO figures move between two reads.
const steady = (text: string) => text.replace(/rtt [\d.]+\/[\d.]+ ms/, 'rtt');

// A Python process holding a listener, `pairs` connections (both ends) and a bound UDP
// socket; it prints the listener's fd once they are all open and lives until stdin closes.
function holder(pairs: number): ChildProcess {
  return spawn(python, ['-c', `
import resource, socket, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
l = socket.create_server(('127.0.0.1', 0), backlog=1024)
held = []
for _ in range(${pairs}):
    held.append(socket.create_connection(l.getsockname()))
    held.append(l.accept()[0])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 0))
print(l.fileno(), flush=True)
sys.stdin.read()
`], { stdio: ['pipe', 'pipe', 'inherit'] });
}

let pidfd: number | null = null;
let pair: TcpPair;
let udp: dgram.Socket;
let server: net.Server;
beforeAll(async () => {
  pidfd = canReadDuplicates ? pidfdWithGetfd(process.pid, 0) : null;
  pair = await tcpPair();
  udp = await boundUdp();
  server = await listeningServer();
});
afterAll(async () => {
  await pair.close();
  udp.close();
  server.close();
  if (pidfd !== null) binding.close!(pidfd);
});

describe.skipIf(!canReadDuplicates)('options a view never shows', () => {
  it('compact: the kernel-managed options everywhere, the datagram-only ones on TCP; not SOL_SOCKET, TCP_INFO or what the view prints', () => {
    expect([...compactUnread.always].sort()).toEqual(['IPV6_MTU', 'IP_MTU', 'TCP_MAXSEG', 'TCP_QUICKACK', 'TCP_WINDOW_CLAMP']);
    expect([...compactUnread.onTcp].sort()).toEqual(['IP_MULTICAST_LOOP', 'IP_MULTICAST_TTL']);
  });

  it('are absent from the snapshot, not refused; the rest and the compact text are what a full read gives', (ctx) => {
    if (pidfd === null) return ctx.skip();
    const fds = [fdOf(pair.client), fdOf(pair.accepted), fdOf(server), resolveFd(udp)];
    const rows = fds.map((fd) => ({ fd, inode: inodeOf(fd), queues: true }));
    const full = new DuplicateBatch(pidfd, BATCH, 1);
    const lean = new DuplicateBatch(pidfd, BATCH, 1, compactUnread);
    full.read(rows);
    lean.read(rows);
    const flat = (o: Record<string, Record<string, unknown> | undefined>) => Object.assign({}, ...Object.values(o)) as Record<string, unknown>;
    fds.forEach((fd, k) => {
      const a = full.snapshot(k, fd);
      const b = lean.snapshot(k, fd);
      const tcp = a.protocol === 'tcp';
      const left = new Set([...compactUnread.always, ...(tcp ? compactUnread.onTcp : [])]);
      const [fa, fb] = [flat(a.options), flat(b.options)];
      for (const name of left) {
        expect(fb, name).not.toHaveProperty(name);
        expect(b.skipped.map((s) => s.option)).not.toContain(name);
      }
      // A full read has them (as a value or a refusal: IP_MTU on an unconnected socket is ENOTCONN).
      for (const name of ['TCP_MAXSEG', 'IP_MTU']) if (tcp) expect(name in fa || a.skipped.some((s) => s.option === name), name).toBe(true);
      if (!tcp) expect(fb.IP_MULTICAST_TTL).toBe(fa.IP_MULTICAST_TTL); // compared on datagram sockets: read there
      for (const name of Object.keys(fa)) if (!left.has(name)) expect(fb[name], name).toEqual(fa[name]);
      expect(b.skipped).toEqual(a.skipped.filter((s) => !left.has(s.option)));
      const text = (s: typeof a) => steady(formatSocket(reportFromSnapshot(s, full.queues(k), rows[k]!.inode)));
      expect(text(b)).toBe(text(a));
    });
  });

  it('another process, past the first batch and the batches read ahead: the same compact text; TCP rows without them, the record\'s too', async (ctx) => {
    // A listener, PAIRS connections (both ends) and a UDP socket: more than the first batch holds.
    const PAIRS = 700;
    const target = holder(PAIRS);
    try {
      const [line] = (await once(target.stdout!, 'data')) as [Buffer];
      const probe = pidfdWithGetfd(target.pid!, Number(String(line).trim()));
      if (probe === null) return ctx.skip(); // no pidfd_getfd rights over a child here
      binding.close!(probe);
      const read = (unread?: typeof compactUnread) => {
        const out: SocketReport[] = [];
        streamPid(target.pid!, {}, { head() {}, socket: (s) => void out.push(s), ...(unread ? { unread } : {}) });
        return out;
      };
      const full = read();
      const lean = read(compactUnread);
      expect(full.length).toBeGreaterThan(FIRST_BATCH + BATCH);
      expect(lean.map((r) => r.fd)).toEqual(full.map((r) => r.fd));
      const flat = (r: SocketReport) => Object.assign({}, ...Object.values(r.options ?? {})) as Record<string, unknown>;
      let tcp = 0;
      full.forEach((f, k) => {
        const l = lean[k]!;
        expect(steady(formatSocket(l)), `fd ${f.fd}`).toBe(steady(formatSocket(f)));
        if (f.kind !== 'tcp') return;
        tcp++;
        const [ff, fl] = [flat(f), flat(l)];
        for (const name of [...compactUnread.always, ...compactUnread.onTcp]) expect(fl, `fd ${f.fd} ${name}`).not.toHaveProperty(name);
        expect(ff).toHaveProperty('TCP_MAXSEG');
        expect(ff).toHaveProperty('IP_MULTICAST_LOOP'); // from the socket's sock_diag record in a full read
        expect(l.skipped).toEqual((f.skipped ?? []).filter((s) => !compactUnread.always.has(s.option) && !compactUnread.onTcp.has(s.option)));
      });
      expect(tcp).toBe(2 * PAIRS + 1);
    } finally {
      target.kill();
    }
  });

  it.skipIf(!hasStrace)('sockopt inspect PID makes no getsockopt for them on the target; --all does', async (ctx) => {
    if (pidfd === null) return ctx.skip();
    // A listener, PAIRS connections (both ends) and a UDP socket: 2·PAIRS + 1 TCP sockets.
    const PAIRS = 20;
    const target = holder(PAIRS);
    try {
      await once(target.stdout!, 'data');
      let lines: string[] = [];
      const traced = (args: string[]) => {
        const run = spawnSync('strace', ['-f', '-qq', '-e', 'trace=getsockopt,socket', '-e', 'signal=none', '-y', process.execPath, join(root, 'lib', 'cli.js'), 'inspect', String(target.pid), ...args], { encoding: 'utf8', timeout: 30_000 });
        expect(run.status, run.stderr.slice(-2000)).toBe(0);
        lines = run.stderr.split('\n');
        const calls = (name: string) => lines.filter((l) => l.includes(`, ${name},`)).length;
        return { fresh: lines.filter((l) => /socket\(AF_INET6?,/.test(l)).length, TCP_MAXSEG: calls('TCP_MAXSEG'), TCP_WINDOW_CLAMP: calls('TCP_WINDOW_CLAMP'), IP_MTU: calls('IP_MTU'), IP_MULTICAST_TTL: calls('IP_MULTICAST_TTL'), TCP_NODELAY: calls('TCP_NODELAY') };
      };
      const compact = traced([]);
      const compactLines = lines.filter((l) => /TCP_MAXSEG|TCP_WINDOW_CLAMP|, IP_MTU,|IP_MULTICAST_TTL/.test(l)).join('\n');
      const all = traced(['--all']);
      figure(`getsockopt calls, ${2 * PAIRS + 2}-socket target (compact, --all)`, { compact, all });
      const tcp = 2 * PAIRS + 1;
      // Both views read what they print on every TCP socket of the target.
      expect(compact.fresh).toBeLessThanOrEqual(3); // IPv4 stream and datagram; unix sockets compare with an IPv4 stream one
      expect(compact.TCP_NODELAY).toBeGreaterThanOrEqual(tcp);
      expect(all.TCP_NODELAY).toBeGreaterThanOrEqual(tcp);
      for (const name of ['TCP_MAXSEG', 'TCP_WINDOW_CLAMP', 'IP_MTU', 'IP_MULTICAST_TTL'] as const) {
        expect(all[name], name).toBeGreaterThanOrEqual(tcp);
        // The compact view's only reads of them: the fresh sockets it compares with (one per
        // kind of the target's sockets, its stdio's unix ones included: read in full once)
        // and, for IP_MULTICAST_TTL (left unread on TCP only), the target's UDP socket and its
        // first unix socket (whose refusal spares the others the call).
        expect(compact[name], `${name}\n${compactLines}`).toBeLessThanOrEqual(compact.fresh + (name === 'IP_MULTICAST_TTL' ? 2 : 0));
      }
    } finally {
      target.kill();
    }
  });
});
