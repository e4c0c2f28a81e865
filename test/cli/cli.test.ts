// The `sockopt` command as installed (package.json "bin" → lib/cli.js), run as a
// separate process against a Node process and a Python process that hold tuned TCP,
// UDP and unix sockets: --json equals what each process reads itself, the human view
// carries the addresses and rtt, the errors are one line with the right exit code,
// and the targets' fd tables are unchanged afterwards.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { endianness, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getsockopt, listSockets, options, setsockopt, snapshotPid } from '../../src/index';
import { procAddress } from '../../src/inspect/pid-proc';
import { fdOf, figure, fixtures, openFds, python, root, settledFds, tcpPair, tlsCredentials } from '../helpers';
import { canSwitchUser, readableCopy } from '../privileges';
import { bin, cli, expectOneLineError, type Run } from './helpers';

/** A target process's fd count settles within 2 s: looks 50 ms apart, at most 40. */
const TARGET = { every: 50, looks: 40 };

/**
 * Runs the bin's main() in a process whose real uid stays root while its effective uid
 * becomes nobody, set after exec: an exec with real ≠ effective uid would be a
 * secure-execution one, and its loader would drop LD_PRELOAD (the ASan run needs it).
 */
function cliAsEuidNobody(args: string[], binPath = bin): Promise<Run> {
  const script = `process.setgroups([]); process.setegid('nogroup'); process.seteuid('nobody');
    require(${JSON.stringify(binPath)}).main(${JSON.stringify(args)}).then((c) => { process.exitCode = c; });`;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 }, (_err, stdout, stderr) => resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }));
  });
}

interface Target {
  proc: ChildProcess;
  info: { pid: number; sockets: Record<string, { fd: number; options: Record<string, Record<string, unknown>> | Record<string, number>; [k: string]: unknown }> };
}

async function start(cmd: string, args: string[], uid?: string): Promise<Target> {
  const [file, argv] = uid ? ['setpriv', [`--reuid=${uid}`, `--regid=nogroup`, '--clear-groups', cmd, ...args]] : [cmd, args];
  const proc = spawn(file, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d));
  const exited = once(proc, 'exit').then(([code]) => {
    throw new Error(`${cmd} exited with ${String(code)} before reporting its sockets`);
  });
  while (!text.includes('\n')) await Promise.race([once(proc.stdout!, 'data'), exited]);
  exited.catch(() => {}); // it exits when the test closes its stdin
  return { proc, info: JSON.parse(text) };
}

const dir = mkdtempSync(join(tmpdir(), 'sockopt-cli-'));
let node: Target;
let py: Target;
let nodeFds: number;
let pyFds: number;

beforeAll(async () => {
  [node, py] = await Promise.all([start(process.execPath, [join(fixtures, 'cli-target.js'), join(dir, 'u.sock')]), start(python, [join(fixtures, 'cli-target.py')])]);
  [nodeFds, pyFds] = await Promise.all([settledFds(node.info.pid, TARGET), settledFds(py.info.pid, TARGET)]);
});

afterAll(() => {
  node?.proc.stdin!.end();
  py?.proc.stdin!.end();
  rmSync(dir, { recursive: true, force: true });
});

type Report = {
  pid: number;
  optionsRead: boolean;
  denied?: { code: string; message: string };
  sockets: { fd: number; kind: string; family: string; state: string; local: unknown; remote: unknown; options?: Record<string, Record<string, unknown>>; tcpInfo?: { state: string; rtt: number } }[];
};


// A port whose SYNs go unanswered: a listener with backlog 0 that never accepts
// (fixtures/silent-listener.py), its queue filled by connections held here.
async function silentPeer(): Promise<{ port: number; close(): void }> {
  const proc = spawn(python, [join(fixtures, 'silent-listener.py'), '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fillers: net.Socket[] = [];
  const close = () => {
    for (const f of fillers) f.destroy();
    proc.kill('SIGKILL');
  };
  try {
    const port = Number(String(((await once(proc.stdout!, 'data')) as [Buffer])[0]).trim());
    // backlog 0 + never accepted: the queue is full after the first connections, then SYNs are dropped.
    for (let i = 0; i < 8; i++) {
      const f = net.connect(port, '127.0.0.1').on('error', () => {});
      fillers.push(f);
      const ok = await Promise.race([once(f, 'connect').then(() => true), new Promise((r) => setTimeout(r, 300, false))]);
      if (!ok) break;
    }
    return { port, close };
  } catch (err) {
    close();
    throw err;
  }
}

describe('sockopt inspect PID', () => {
  it('the bin is lib/cli.js with a node shebang', () => {
    expect(relative(root, bin)).toBe(join('lib', 'cli.js'));
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--json on the Node process: every option of every socket equals what the process reads itself with snapshot()', async () => {
    const r = await cli(['inspect', String(node.info.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ pid: node.info.pid, optionsRead: true });
    for (const [name, own] of Object.entries(node.info.sockets)) {
      const seen = report.sockets.find((s) => s.fd === own.fd);
      expect(seen, name).toBeDefined();
      // TCP_QUICKACK is the kernel's own mode switch and SO_INCOMING_CPU the CPU of the last packet: both move by themselves.
      const strip = (o: Record<string, Record<string, unknown>>) => JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === 'TCP_QUICKACK' || k === 'SO_INCOMING_CPU' ? undefined : v)));
      expect(strip(seen!.options!), name).toEqual(strip(own.options as Record<string, Record<string, unknown>>));
      expect(seen!.local, name).toEqual(own.local);
      expect(seen!.remote, name).toEqual(own.remote);
    }
    const client = report.sockets.find((s) => s.fd === node.info.sockets.client!.fd)!;
    expect(client.options!.IPPROTO_TCP!.TCP_USER_TIMEOUT).toBe(7000);
    expect(client.options!.IPPROTO_TCP!.TCP_KEEPIDLE).toBe(30);
    expect(client.tcpInfo!.state).toBe('ESTABLISHED');
    expect(report.sockets.find((s) => s.fd === node.info.sockets.udp!.fd)).toMatchObject({ kind: 'udp', family: 'IPv4', state: 'UNCONNECTED' });
    expect(report.sockets.find((s) => s.fd === node.info.sockets.uclient!.fd)).toMatchObject({ kind: 'unix', family: 'unix', state: 'CONNECTED' });
    figure('inspect --json (Node target)', `${report.sockets.length} sockets, options read: ${report.optionsRead}`);
  });

  it('--json on the Python process: values equal what Python reads with getsockopt', async () => {
    const r = await cli(['inspect', String(py.info.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    for (const [name, own] of Object.entries(py.info.sockets)) {
      const seen = report.sockets.find((s) => s.fd === own.fd);
      expect(seen, name).toBeDefined();
      const flat = Object.assign({}, ...Object.values(seen!.options!)) as Record<string, unknown>;
      for (const [opt, value] of Object.entries(own.options as Record<string, number>)) {
        const kind = options[opt as keyof typeof options].kind;
        expect(flat[opt], `${name} ${opt}`).toBe(kind === 'bool' ? value !== 0 : value);
      }
    }
    const client = report.sockets.find((s) => s.fd === py.info.sockets.client!.fd)!;
    const [addr, port] = py.info.sockets.client!.local as [string, number];
    expect(client.local).toEqual({ family: 'IPv6', address: addr, port });
    expect(report.sockets.find((s) => s.fd === py.info.sockets.unix!.fd)).toMatchObject({ kind: 'unix', type: 'stream', state: 'CONNECTED' });
  });

  it('the human view holds each socket with its addresses, and rtt for TCP connections', async () => {
    const r = await cli(['inspect', String(py.info.pid)]);
    expect(r.code, r.stderr).toBe(0);
    figure('sockopt inspect (Python target)', `\n${r.stdout}`);
    const port = py.info.sockets.listener!.port as number;
    const [, local] = py.info.sockets.client!.local as [string, number];
    expect(r.stdout).toMatch(new RegExp(`^pid ${py.info.pid} \\(python3?\\): \\d+ sockets\\n`)); // its stdio pipes are unix sockets too
    expect(r.stdout).toMatch(new RegExp(`\\nfd ${py.info.sockets.listener!.fd} +tcp IPv6 \\[::1\\]:${port} LISTEN · accept queue 0/8\\n`));
    expect(r.stdout).toMatch(new RegExp(`\\nfd ${py.info.sockets.client!.fd} +tcp IPv6 \\[::1\\]:${local} → \\[::1\\]:${port} ESTABLISHED · rtt [\\d.]+/[\\d.]+ ms · cwnd \\d+`));
    expect(r.stdout).toContain('TCP_USER_TIMEOUT 9 s');
    expect(r.stdout).toMatch(/SO_KEEPALIVE on · TCP_KEEPIDLE 45 s/);
    const [uaddr, uport] = py.info.sockets.udp!.local as [string, number];
    expect(r.stdout).toMatch(new RegExp(`\\nfd ${py.info.sockets.udp!.fd} +udp IPv4 ${uaddr.replace(/\./g, '\\.')}:${uport} UNCONNECTED`));
    expect(r.stdout).toMatch(/changed {7}.*IP_TTL 21 \(default 64\)/);
    expect(r.stdout).not.toContain('IPPROTO_TCP'); // compact view: no level groups
  });

  it('--fd N --all: one socket, every option by level and every TCP_INFO field', async () => {
    const fd = node.info.sockets.client!.fd;
    const r = await cli(['inspect', String(node.info.pid), '--fd', String(fd), '--all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: 1 socket\n/);
    expect(r.stdout).toMatch(/\n {2}IPPROTO_TCP {3}TCP_NODELAY /);
    expect(r.stdout).toMatch(/\n {2}TCP_INFO {6}length \d+ B · state ESTABLISHED/);
    expect(r.stdout).toContain('IP_TOS 0x20');
  });

  it('the targets keep their fd count: every duplicate was closed', async () => {
    expect(await settledFds(node.info.pid, TARGET)).toBe(nodeFds);
    expect(await settledFds(py.info.pid, TARGET)).toBe(pyFds);
  });

  it('a missing PID, a bad PID, a non-socket --fd: one line, non-zero exit', async () => {
    const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expectOneLineError(await cli(['inspect', String(Math.min(max + 1, 4194303))]), 1, /no process with pid \d+/);
    expectOneLineError(await cli(['inspect', 'abc']), 2, /PID must be a positive integer, got 'abc'/);
    expectOneLineError(await cli(['inspect']), 2, /missing PID/);
    const notSocket = readdirSync(`/proc/${node.info.pid}/fd`).find((fd) => !readlinkSync(`/proc/${node.info.pid}/fd/${fd}`).startsWith('socket:'))!;
    expectOneLineError(await cli(['inspect', String(node.info.pid), '--fd', notSocket]), 1, new RegExp(`pid ${node.info.pid} has no socket at fd ${notSocket}$`));
    expectOneLineError(await cli(['inspect', '1', '--bogus']), 2, /Unknown option '--bogus'/);
    const json = await cli(['inspect', 'abc', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'ERR_SOCKOPT_USAGE', message: "PID must be a positive integer, got 'abc'" } });
  });

  it('as nobody: another user\'s process is refused in one line (exit 3); one of its own without ptrace-attach rights is listed from /proc, saying what is missing', async () => {
    const nobody = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
    if (!canSwitchUser()) {
      // Not root: becoming nobody takes CAP_SETUID/CAP_SETGID, and the kernel refuses it.
      const r = spawnSync('setpriv', [...nobody, process.execPath, '-e', '0'], { encoding: 'utf8' });
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/Operation not permitted/);
      // This user is the unprivileged one: another user's process (pid 1, unless it is ours) is refused the same way.
      const other = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((p) => { try { return statSync(`/proc/${p}`).uid !== process.getuid!(); } catch { return false; } });
      figure('inspect as nobody', `not run: ${r.stderr.trim()}; this user against pid ${other ?? '(none of another user visible)'}`);
      if (other) expectOneLineError(await cli(['inspect', other]), 3, new RegExp(`cannot read the fd table \\(/proc/${other}/fd\\) of pid ${other} \\(scandir EACCES\\): this needs ptrace-read rights`));
      return;
    }
    // nobody runs the bin and the target from a copy it can read: the checkout may sit in a 0700 directory.
    const copy = readableCopy(['cli-target.js']);
    const copyBin = join(copy.root, relative(root, bin));
    try {
      const r = await cli(['inspect', String(node.info.pid)], { as: nobody, bin: copyBin });
      expectOneLineError(r, 3, new RegExp(`cannot read the fd table \\(/proc/${node.info.pid}/fd\\) of pid ${node.info.pid} \\(scandir EACCES\\): this needs ptrace-read rights`));
      figure('inspect as nobody (root-owned target)', r.stderr.trim());
      // A target owned by nobody; the inspector's real uid differs (pidfd_getfd checks it), its fs uid does not (/proc/PID/fd checks that).
      const own = await start(process.execPath, [join(copy.fixtures, 'cli-target.js'), `@sockopt-cli-${process.pid}`], 'nobody'); // abstract: nobody cannot write in the test's directory
      try {
        const before = await settledFds(own.info.pid, TARGET);
        const partial = await cliAsEuidNobody(['inspect', String(own.info.pid)], copyBin);
        expect(partial.code, partial.stderr).toBe(0);
        figure('inspect without ptrace-attach rights', `\n${partial.stdout}`);
        expect(partial.stdout).toMatch(/\nnote: cannot read the options and TCP_INFO of pid \d+ \(pidfd_getfd EPERM\): this needs ptrace-attach rights \(root or CAP_SYS_PTRACE\); showing what the kernel's socket tables give\n/);
        const port = (own.info.sockets.server!.local as { port: number }).port;
        // sock_diag gives the accept queue with its limit, and TCP_INFO even without the rights.
        expect(partial.stdout).toMatch(new RegExp(`tcp IPv4 127\\.0\\.0\\.1:${port} LISTEN · accept queue 0/\\d+\\n`));
        expect(partial.stdout).toMatch(new RegExp(`tcp IPv4 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${port} ESTABLISHED · rtt [\\d.]+/[\\d.]+ ms · cwnd \\d+ .*· sendq 0 B · recvq 0 B`));
        expect(partial.stdout).not.toContain('timeouts'); // no options without the rights
        // An abstract name from unix_diag (libuv's NUL padding trimmed), shown with '@' for the leading NUL.
        expect(partial.stdout).toMatch(new RegExp(`unix stream @sockopt-cli-${process.pid} LISTEN · accept queue 0/\\d+\\n`));
        // The peer's name from its own sock_diag record (/proc/net/unix never named it): the
        // client is unnamed, its peer (the accepted socket) carries the listener's name.
        expect(partial.stdout).toMatch(new RegExp(`unix stream \\(unnamed\\) → @sockopt-cli-${process.pid} CONNECTED · sendq 0 B · recvq 0 B\\n`));
        expect(partial.stdout).toMatch(new RegExp(`unix stream @sockopt-cli-${process.pid} → \\(unnamed\\) CONNECTED`));
        const json = JSON.parse((await cliAsEuidNobody(['inspect', String(own.info.pid), '--json'], copyBin)).stdout) as Report;
        expect(json).toMatchObject({ optionsRead: false, denied: { code: 'EPERM' } });
        expect(json.sockets.every((s) => s.options === undefined)).toBe(true);
        expect(json.sockets.find((s) => s.kind === 'unix' && s.state === 'LISTEN')!.local).toEqual({ family: 'unix', path: `\0sockopt-cli-${process.pid}` });
        // The same user with the rights (here: the same real uid too) reads everything.
        const full = JSON.parse((await cli(['inspect', String(own.info.pid), '--json'], { as: nobody, bin: copyBin })).stdout) as Report;
        expect(full.optionsRead).toBe(true);
        expect(await settledFds(own.info.pid, TARGET)).toBe(before);
      } finally {
        own.proc.stdin!.end();
      }
    } finally {
      copy.remove();
    }
  });
});

describe('sockopt connect HOST:PORT', () => {
  it('against a listener: the options set before the SYN, what the kernel holds, TCP_INFO after the handshake', async () => {
    const held: net.Socket[] = [];
    const server = net.createServer((c) => held.push(c)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await cli(['connect', `127.0.0.1:${port}`, '--set', 'TCP_SYNCNT=1', '--set', 'TCP_USER_TIMEOUT=5000', '--set', 'SO_KEEPALIVE=on']);
      expect(r.code, r.stderr).toBe(0);
      figure('sockopt connect (listener)', `\n${r.stdout}`);
      expect(r.stdout).toMatch(new RegExp(`^\\* connecting to 127\\.0\\.0\\.1:${port} with TCP_SYNCNT=1, TCP_USER_TIMEOUT=5000, SO_KEEPALIVE=true set before the SYN\\n`));
      expect(r.stdout).toMatch(/\n\* TCP connected in [\d.]+ (µs|ms|s)\n/);
      expect(r.stdout).toContain('* the kernel holds: TCP_SYNCNT 1 · TCP_USER_TIMEOUT 5 s · SO_KEEPALIVE on');
      expect(r.stdout).toMatch(new RegExp(`tcp IPv4 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${port} ESTABLISHED · rtt [\\d.]+/[\\d.]+ ms`));
      expect(r.stdout).toContain('TCP_SYNCNT 1 (default 6)');
      expect(r.stdout).toMatch(/\n {2}TCP_INFO {6}length \d+ B · state ESTABLISHED/);
      const j = await cli(['connect', `127.0.0.1:${port}`, '--set', 'TCP_SYNCNT=2', '--json']);
      const report = JSON.parse(j.stdout) as { ok: boolean; held: Record<string, unknown>; socket: { tcpInfo: { state: string; rtt: number } } };
      expect(report).toMatchObject({ ok: true, held: { TCP_SYNCNT: 2 }, socket: { tcpInfo: { state: 'ESTABLISHED' } } });
      expect(report.socket.tcpInfo.rtt).toBeGreaterThan(0);
    } finally {
      for (const c of held) c.destroy();
      server.close();
    }
  });

  it('against a silent peer with --set TCP_SYNCNT=1: ETIMEDOUT printed with its time (about 3 s instead of about 127 s)', { timeout: 40_000 }, async () => {
    const peer = await silentPeer();
    try {
      const { port } = peer;
      const r = await cli(['connect', `127.0.0.1:${port}`, '--set', 'TCP_SYNCNT=1']);
      figure('sockopt connect (silent peer)', r.stderr.trim());
      expectOneLineError(r, 1, new RegExp(`^sockopt: connect 127\\.0\\.0\\.1:${port}: ETIMEDOUT after ([\\d.]+) s \\(`));
      const seconds = Number(/after ([\d.]+) s/.exec(r.stderr)![1]);
      expect(seconds).toBeGreaterThan(2); // the SYN, one retry after 1 s, then 2 s more
      expect(seconds).toBeLessThan(20); // far from the default 6 retries (about 127 s)
    } finally {
      peer.close();
    }
  });

  it('--tls: the handshake, the protocol and whether the certificate verified; an unverified one fails in one line', async () => {
    const server = tls.createServer(tlsCredentials(), (c) => c.on('error', () => {})).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const ok = await cli(['connect', `127.0.0.1:${port}`, '--tls', '--insecure', '--set', 'TCP_NODELAY=true']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/\n\* TLS TLSv1\.[23] \S+ in [\d.]+ (ms|s); certificate NOT verified \(DEPTH_ZERO_SELF_SIGNED_CERT\); subject CN=localhost\n/);
      expect(ok.stdout).toContain('* the kernel holds: TCP_NODELAY on');
      // Node 24+ adds a hint inside the parentheses.
      expectOneLineError(await cli(['connect', `127.0.0.1:${port}`, '--tls']), 1, /DEPTH_ZERO_SELF_SIGNED_CERT after [\d.]+ (ms|s) \(self.signed certificate.*\); --insecure connects without verifying the certificate$/);
    } finally {
      server.close();
    }
  });

  it('--tls against a peer that answers in plain text: one line, and no certificate hint', async () => {
    // An HTTP server where TLS was expected: OpenSSL reads its reply as a bad record.
    const server = net.createServer((c) => c.on('error', () => {}).end('HTTP/1.1 400 Bad Request\r\n\r\n')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await cli(['connect', `127.0.0.1:${port}`, '--tls', '--timeout', '5000']);
      figure('sockopt connect --tls (plain-text peer)', r.stderr.trim());
      expectOneLineError(r, 1, /^sockopt: connect 127\.0\.0\.1:\d+: \S+ after /);
      expect(r.stderr).not.toContain('--insecure');
      expect(r.stderr).not.toContain('\\n)'); // OpenSSL's trailing newline, escaped
      if (r.stderr.includes('ERR_SSL_WRONG_VERSION_NUMBER')) expect(r.stderr.trim()).toMatch(/; the peer does not answer in TLS: check the port, or leave out --tls$/);
    } finally {
      server.close();
    }
  });

  it('--tls against a peer that accepts TCP and never speaks: --timeout ends it in one line naming the TLS handshake, exit 1', async () => {
    const held: net.Socket[] = [];
    const server = net.createServer((c) => held.push(c)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      let t0 = performance.now();
      const r = await cli(['connect', `127.0.0.1:${port}`, '--tls', '--timeout', '300']);
      figure('sockopt connect --tls (silent peer)', r.stderr.trim());
      // Not a tight bound: without --timeout it waited until the peer closed.
      expect(performance.now() - t0).toBeLessThan(5000);
      expectOneLineError(r, 1, new RegExp(`^sockopt: connect: TLS handshake with 127\\.0\\.0\\.1:${port} timed out after 300 ms \\(.*\\); .*raise --timeout$`));
      expect(r.stdout).toMatch(/\n\* TCP connected in [\d.]+ (µs|ms|s)\n/);
      t0 = performance.now();
      const j = await cli(['connect', `127.0.0.1:${port}`, '--tls', '--timeout', '300', '--json']);
      expect(performance.now() - t0).toBeLessThan(5000);
      expectOneLineError(j, 1, /TLS handshake with .* timed out after 300 ms/);
      const report = JSON.parse(j.stdout) as { ok: boolean; connectMs?: number; error: { code: string; message: string } };
      expect(report).toMatchObject({ ok: false, error: { code: 'TIMEOUT', message: expect.stringMatching(/^TLS handshake with /) as unknown } });
      expect(report.connectMs).toBeGreaterThan(0);
    } finally {
      for (const c of held) c.destroy();
      server.close();
    }
  });

  it('against a silent peer: --timeout ends the TCP connect in one line naming it, exit 1', { timeout: 40_000 }, async () => {
    const peer = await silentPeer();
    try {
      const { port } = peer;
      const t0 = performance.now();
      const r = await cli(['connect', `127.0.0.1:${port}`, '--timeout', '300']);
      expect(performance.now() - t0).toBeLessThan(5000); // the kernel's own bound is about 127 s
      expectOneLineError(r, 1, new RegExp(`^sockopt: connect: TCP connect to 127\\.0\\.0\\.1:${port} timed out after 300 ms \\(`));
    } finally {
      peer.close();
    }
  });

  // A resolver that never answers (a UDP and a TCP socket on port 53 that read nothing,
  // resolv.conf bind-mounted in a mount namespace of the command's own): getaddrinfo waits
  // 5 s a try. The answer must come at --timeout, and the process end with it, though
  // getaddrinfo still holds a libuv pool thread (src/node/stuck-lookup.ts).
  it('against a silent resolver: doctor and connect say so at --timeout and exit 1 then, --json with a document', { timeout: 60_000 }, async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip(); // unshare -m and port 53 need root
    const dir = mkdtempSync(join(tmpdir(), 'sockopt-dns-'));
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(53, '127.83.0.1', resolve));
    const tcp = net.createServer(() => {}).listen(53, '127.83.0.1');
    await once(tcp, 'listening');
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.83.0.1\n');
    try {
      for (const command of ['doctor', 'connect']) {
        for (const flags of [[], ['--json']]) {
          const child = spawn('unshare', ['-m', 'sh', '-c', `mount --bind ${join(dir, 'resolv.conf')} /etc/resolv.conf && exec "$0" "$@"`, process.execPath, bin, command, 'silent.invalid:80', '--timeout', '400', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
          const t0 = performance.now();
          let stdout = '';
          let stderr = '';
          child.stdout!.on('data', (d: Buffer) => (stdout += d));
          child.stderr!.on('data', (d: Buffer) => (stderr += d));
          const bound = setTimeout(() => child.kill('SIGKILL'), 20_000);
          const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
          clearTimeout(bound);
          const took = performance.now() - t0;
          figure(`${command} ${flags.join(' ')} against a silent resolver, --timeout 400`, `exit ${String(code ?? signal)} after ${Math.round(took)} ms`);
          expect(stderr).toMatch(new RegExp(`^sockopt: ${command}: DNS lookup of silent\\.invalid timed out after 400 ms \\(no answer from the resolver\\)`));
          expect(stderr.trim().split('\n')).toHaveLength(1);
          expect(code).toBe(1);
          expect(took).toBeLessThan(3000); // the resolver's own bound is 5 s a try
          if (flags.length > 0) expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'TIMEOUT' } });
          else expect(stdout.includes('{')).toBe(false);
        }
      }
    } finally {
      udp.close();
      tcp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--tls with the default --timeout: a handshake that succeeds exits at once, no timer left behind', async () => {
    const server = tls.createServer(tlsCredentials(), (c) => c.on('error', () => {})).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const t0 = performance.now();
      const r = await cli(['connect', `127.0.0.1:${port}`, '--tls', '--insecure']);
      expect(r.code, r.stderr).toBe(0);
      expect(performance.now() - t0).toBeLessThan(5000); // well inside the default, so a live timer would show
    } finally {
      server.close();
    }
  });

  it('a bad --timeout is a usage error, as doctor\'s: exit 2, and with --json an error document', async () => {
    for (const bad of ['0', '-5', '0x10', '1e3', 'NaN', '2147483648']) {
      expectOneLineError(await cli(['connect', '127.0.0.1:1', `--timeout=${bad}`]), 2, new RegExp(`--timeout must be a whole number of ms from 1 to 2147483647, got '${bad}'`));
    }
    const j = await cli(['connect', '127.0.0.1:1', '--timeout', 'soon', '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'ERR_SOCKOPT_USAGE' } });
  });

  it('a refused connection, a bad --set and bad arguments: one line each, exit 1 or 2', async () => {
    const closed = net.createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expectOneLineError(await cli(['connect', `127.0.0.1:${port}`]), 1, /ECONNREFUSED after [\d.]+ (µs|ms) \(connect ECONNREFUSED/);
    expectOneLineError(await cli(['connect', '127.0.0.1:1', '--set', 'TCP_SYNCNT=abc']), 2, /--set TCP_SYNCNT=abc: expected an integer \(unit: count\)/);
    expectOneLineError(await cli(['connect', '127.0.0.1:1', '--set', 'TCP_SYNCNT=500']), 2, /out of range/);
    expectOneLineError(await cli(['connect', '127.0.0.1:1', '--set', 'TCP_SYNCOUNT=1']), 2, /Unknown socket option 'TCP_SYNCOUNT'\. Did you mean 'TCP_SYNCNT'\?/);
    expectOneLineError(await cli(['connect', '127.0.0.1:1', '--set', 'TCP_INFO=1']), 2, /read-only/);
    expectOneLineError(await cli(['connect', '127.0.0.1:1', '--set', 'TCP_SYNCNT']), 2, /--set expects NAME=VALUE/);
    // One option set twice: refused, not the first value dropped (any spelling of the name).
    expectOneLineError(await cli(['connect', '127.0.0.1:1', '--set', 'IP_TTL=64', '--set', 'ip_ttl=65']), 2, /--set IP_TTL given twice; give each option once/);
    expectOneLineError(await cli(['connect', 'localhost']), 2, /expected HOST:PORT, got 'localhost'/);
    expectOneLineError(await cli(['connect', '127.0.0.1:70000']), 2, /port must be 1-65535/);
  });
});

describe('sockopt options', () => {
  it('the registry, one option, and an unknown name', async () => {
    const all = await cli(['options']);
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(/^OPTION +LEVEL +KIND +UNIT +ACCESS +HERE +PLATFORMS$/);
    expect(all.stdout).toMatch(/\nTCP_USER_TIMEOUT +IPPROTO_TCP +uint +ms +get\/set +yes +linux\n/);
    const one = await cli(['options', 'so_busy_poll']);
    expect(one.stdout).toMatch(/^SO_BUSY_POLL: .*\n {2}level {5}SOL_SOCKET \(1\)\n/);
    expect(one.stdout).toContain('  unit      µs (0–…)');
    const json = JSON.parse((await cli(['options', 'TCP_USER_TIMEOUT', '--json'])).stdout) as unknown;
    expect(json).toEqual(JSON.parse(JSON.stringify(options.TCP_USER_TIMEOUT)));
    expect((JSON.parse((await cli(['options', '--json'])).stdout) as unknown[]).length).toBe(Object.keys(options).length);
    expectOneLineError(await cli(['options', 'TCP_NODELEY']), 2, /Did you mean 'TCP_NODELAY'\?/);
    expectOneLineError(await cli(['frobnicate']), 2, /unknown command 'frobnicate'/);
    // Names every object has are not commands either.
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expectOneLineError(await cli([name]), 2, new RegExp(`unknown command '${name}'`));
    const help = await cli([]);
    expect(help.code).toBe(2);
    expect(help.stdout).toMatch(/^usage: sockopt <command>/);
  });
});

describe('output that cannot be written', () => {
  it('a closed pipe (… | head) ends the command quietly, exit 0; a full disk in one line, exit 1', async () => {
    // A 3,000-socket Python target: more output than a pipe holds, so the reader closing
    // it is met mid-write.
    const target = spawn(python, ['-c', `
import resource, socket, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(min(3000, hard - 100))]
print(flush=True)
sys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await once(target.stdout!, 'data');
      for (const flags of [[], ['--json']]) {
        const child = spawn(process.execPath, [bin, 'inspect', String(target.pid), ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => (stderr += d));
        await once(child.stdout!, 'data');
        child.stdout!.destroy(); // the reader goes away after its first chunk
        const [code] = (await once(child, 'exit')) as [number | null];
        expect({ flags, code, stderr }).toEqual({ flags, code: 0, stderr: '' });
      }
      const full = openSync('/dev/full', 'w');
      try {
        for (const args of [['options'], ['inspect', String(target.pid)], ['inspect', String(target.pid), '--json']]) {
          const run = spawnSync(process.execPath, [bin, ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 30_000 });
          expect({ args, status: run.status, stderr: run.stderr }).toEqual({ args, status: 1, stderr: 'sockopt: cannot write the output: ENOSPC (ENOSPC: no space left on device, write)\n' });
        }
      } finally {
        closeSync(full);
      }
    } finally {
      target.stdin!.end();
    }
  });
});

describe('snapshotPid / listSockets (the library functions behind inspect)', () => {
  it('in this process: the same options as snapshot(), the duplicates closed, nothing left behind', async () => {
    const pair = await tcpPair();
    try {
      setsockopt(pair.client, 'TCP_USER_TIMEOUT', 4321);
      const before = openFds();
      const report = snapshotPid(process.pid, { fd: fdOf(pair.client) });
      expect(openFds()).toBe(before);
      expect(report).toMatchObject({ pid: process.pid, optionsRead: true, sockets: [{ fd: fdOf(pair.client), kind: 'tcp', state: 'ESTABLISHED' }] });
      expect(report.sockets[0]!.options!.IPPROTO_TCP!.TCP_USER_TIMEOUT).toBe(4321);
      expect(report.sockets[0]!.options!.SOL_SOCKET!.SO_COOKIE).toBe(getsockopt(pair.client, 'SO_COOKIE').toString());
      const listed = listSockets(process.pid);
      expect(listed.find((s) => s.fd === fdOf(pair.accepted))).toMatchObject({ kind: 'tcp', state: 'ESTABLISHED', local: { port: pair.server.address() && (pair.server.address() as net.AddressInfo).port } });
      expect(listed.every((s) => s.options === undefined)).toBe(true);
      expect(snapshotPid(process.pid, { options: false }).optionsRead).toBe(false);
    } finally {
      await pair.close();
    }
  });

  it('/proc addresses: each 32-bit word in host order, IPv6 written as inet_ntop writes it', () => {
    const le = (be: string) => (endianness() === 'LE' ? be.match(/../g)!.reverse().join('') : be); // one word, as the kernel prints it
    const v6 = (groups: string) => groups.match(/.{8}/g)!.map(le).join('');
    expect(procAddress(le('7F000001'))).toBe('127.0.0.1');
    expect(procAddress(le('C0A80A01'))).toBe('192.168.10.1');
    expect(procAddress(v6('00000000000000000000000000000001'))).toBe('::1');
    expect(procAddress(v6('00000000000000000000000000000000'))).toBe('::');
    expect(procAddress(v6('20010DB8000000000000000000000001'))).toBe('2001:db8::1');
    expect(procAddress(v6('20010DB8000100000000000100000001'))).toBe('2001:db8:1::1:0:1');
    expect(procAddress(v6('20010DB8000100020003000400050006'))).toBe('2001:db8:1:2:3:4:5:6');
    expect(procAddress(v6('00000000000000000000FFFF7F000001'))).toBe('::ffff:127.0.0.1');
    expect(procAddress(v6('FE800000000000000000000000000000'))).toBe('fe80::');
  });

  it('refuses bad input with coded errors', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return 'no error';
    };
    for (const pid of [0, -1, 1.5, NaN, Infinity, 2 ** 22]) expect(codeOf(() => snapshotPid(pid)), String(pid)).toBe('ERR_OUT_OF_RANGE');
    for (const pid of ['1', null, undefined, {}, 1n]) expect(codeOf(() => listSockets(pid as never)), String(pid)).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => snapshotPid(process.pid, null as never))).toBe('ERR_INVALID_ARG_TYPE');
    for (const fd of [-1, 1.5, '3', 2 ** 31]) expect(codeOf(() => snapshotPid(process.pid, { fd: fd as never })), String(fd)).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => snapshotPid(4_194_303))).toBe('ESRCH'); // above this machine's pid_max, or at least not running
  });
});

describe('native surface of the command (abuse)', () => {
  it('pidfdOpen, pidfdGetfd and socketQueues refuse bad arguments with coded errors', () => {
    const script = `
      const { binding } = require(${JSON.stringify(join(root, 'lib', 'kernel', 'binding.js'))});
      const codes = [];
      const bad = [[], [null], ['1'], [-1], [0], [2 ** 31], [1.5], [NaN], [{}], [2 ** 22 + 1]];
      for (const args of bad) { try { binding.pidfdOpen(...args); codes.push('none'); } catch (e) { codes.push(e.code); } }
      const pidfd = binding.pidfdOpen(process.pid);
      for (const args of [[pidfd, -1], [pidfd, 999999], [pidfd, 'x'], [-5, 0], [999999, 0], [pidfd, 1.5]]) { try { const fd = binding.pidfdGetfd(...args); codes.push('fd'); binding.close(fd); } catch (e) { codes.push(e.code); } }
      for (const args of [[0], [0, new Int32Array(2)], [0, new Float64Array(4)], [-1, new Int32Array(4)]]) { try { binding.socketQueues(...args); codes.push('none'); } catch (e) { codes.push(e.code); } }
      const file = require('node:fs').openSync('/dev/null', 'r');
      const q = new Int32Array(4); binding.socketQueues(file, q); codes.push(q[1] + ',' + q[3]);
      require('node:fs').closeSync(file);
      binding.close(pidfd);
      console.log(JSON.stringify(codes));`;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const codes = JSON.parse(out.stdout) as string[];
    expect(codes.slice(0, 10)).toEqual(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ESRCH']);
    expect(codes.slice(10, 16)).toEqual(['ERR_OUT_OF_RANGE', 'EBADF', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', 'EBADF', 'ERR_OUT_OF_RANGE']);
    expect(codes.slice(16, 20)).toEqual(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE']);
    expect(codes[20]).toBe('25,25'); // /dev/null is not a socket: ENOTTY from both ioctls
  });
});
