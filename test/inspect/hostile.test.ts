// `sockopt inspect` pointed at a hostile process, and `sockopt connect --tls --insecure`
// at a hostile TLS server: their names carry ESC sequences (clear screen, window title,
// colours), BEL, newlines that would start forged lines, a bidi override, C1 controls
// and bytes that are not UTF-8. The terminal output is captured under script(1) (a
// real pty, as a person would see it) and must hold none of those bytes; the JSON must
// give back the exact bytes. The hostile target runs in a network namespace of its own
// (it creates a veth with a hostile name there), so the sock_diag tables are read from
// inside that namespace too.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sockopt, { snapshotPid } from '../../src/index';
import fc from 'fast-check';
import { escapeText, exactBytes, terminalSafe, type ExactText } from '../../src/kernel/text';
import { figure, fixtures, python } from '../helpers';

const root = join(__dirname, '..', '..');
const bin = join(root, 'lib', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'sockopt-abuse-'));

/** Runs the bin under script(1): stdout is a pty, as on a person's terminal; returns the raw bytes it wrote. */
function onTerminal(args: string[]): Promise<{ code: number | null; bytes: Buffer }> {
  const cmd = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    const child = execFile('script', ['-qec', cmd, '/dev/null'], { encoding: 'buffer', timeout: 30_000, env: { ...process.env, TERM: 'xterm' } }, (_e, stdout) =>
      resolve({ code: child.exitCode, bytes: stdout }),
    );
  });
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 }, (_e, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
  });
}

/**
 * What a terminal must never receive from data: ESC, BEL, any other C0 control but
 * CR/LF, DEL, C1 controls (as UTF-8), bidi overrides/isolates, and invalid UTF-8.
 */
function expectClean(bytes: Buffer): void {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // throws on invalid UTF-8
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
}

interface Hostile {
  proc: ChildProcess;
  info: { pid: number; comm: string; ifname: string; path: string; abstract: string; fds: Record<'listener' | 'client' | 'accepted' | 'abstract' | 'bound', number> };
}
let target: Hostile;

beforeAll(async () => {
  const proc = spawn('unshare', ['-n', python, join(fixtures, 'hostile-target.py'), dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d));
  while (!text.includes('\n')) await once(proc.stdout!, 'data');
  target = { proc, info: JSON.parse(text) };
});

afterAll(() => {
  target?.proc.stdin!.end();
  rmSync(dir, { recursive: true, force: true });
});

const hex = (t: ExactText) => exactBytes(t).toString('hex');

describe('a hostile target', () => {
  it('text output on a terminal holds no control, bidi or non-UTF-8 byte; every name is shown escaped', async () => {
    for (const args of [[], ['--all']]) {
      const r = await onTerminal(['inspect', String(target.info.pid), ...args]);
      expect(r.code).toBe(0);
      expectClean(r.bytes);
      const text = r.bytes.toString('utf8');
      if (args.length === 0) figure('inspect of a hostile target, captured under script(1)', `\n${text}`);
      // Every line is ours: none starts with what the names tried to forge.
      const lines = text.split(/\r?\n/);
      expect(lines.filter((l) => /^fd 9[89]\b/.test(l))).toEqual([]);
      expect(lines[0]).toBe(`pid ${target.info.pid} (\\x1b]0;pwn\\x07\\n\\u202e\\xff): ${lines[0]!.split(': ')[1]}`);
      expect(lines[0]).toMatch(/: \d+ sockets$/);
      expect(text).toContain('a\\x1b[2J\\nfd 99   tcp IPv4 6.6.6.6:66 LISTEN\\u202e\\xfe LISTEN');
      expect(text).toContain('unix dgram @ab\\x1b[31m\\nfd 98   forged\\x9b\\u202e\\xfe UNCONNECTED');
      expect(text).toContain('SO_BINDTODEVICE e\\x1b[7m\\u202e');
    }
  });

  it('--json round-trips the exact bytes: a string where they are UTF-8, { hex } where not; the JSON text is terminal-safe', async () => {
    const r = await onTerminal(['inspect', String(target.info.pid), '--json']);
    expectClean(r.bytes);
    const report = JSON.parse(r.bytes.toString('utf8')) as { command: ExactText; tables: string; sockets: { fd: number; kind: string; local: { path?: ExactText }; remote: { path?: ExactText } | null; options?: { SOL_SOCKET?: { SO_BINDTODEVICE?: ExactText } } }[] };
    expect(report.tables).toBe('sock_diag'); // read inside the target's own network namespace
    const { fds } = target.info;
    const by = (fd: number) => report.sockets.find((s) => s.fd === fd)!;
    expect(hex(report.command)).toBe(target.info.comm);
    expect(report.command).toEqual({ hex: target.info.comm }); // \xff: not UTF-8
    expect(hex(by(fds.listener).local.path!)).toBe(target.info.path);
    expect(hex(by(fds.client).remote!.path!)).toBe(target.info.path); // the peer's name, from its own record
    expect(hex(by(fds.abstract).local.path!)).toBe(target.info.abstract);
    const ifname = by(fds.bound).options!.SOL_SOCKET!.SO_BINDTODEVICE!;
    expect(ifname).toBe(Buffer.from(target.info.ifname, 'hex').toString('utf8')); // valid UTF-8: a plain string
    expect(hex(ifname)).toBe(target.info.ifname);
    figure('JSON of the hostile names', JSON.stringify({ command: report.command, path: by(fds.listener).local.path, abstract: by(fds.abstract).local.path, ifname }));
  });

  it('the library gives the same exact bytes; util.inspect views and escapeText show them escaped', () => {
    const report = snapshotPid(target.info.pid);
    expect(hex(report.command!)).toBe(target.info.comm);
    // Plain data under util.inspect: Node escapes C0 and C1 in strings itself (not bidi
    // characters: the views below and the CLI escape those), and { hex } is plain hex.
    const view = inspect(report, { depth: 6 });
    expect(view).not.toContain('\x1b');
    expect(view).toContain('e\\x1B[7m');
    expect(escapeText(Buffer.from(target.info.abstract, 'hex'))).toBe('\\x00ab\\x1b[31m\\nfd 98   forged\\x9b\\u202e\\xfe'); // …and escapeText C1, bidi and bytes too
  });

  it('from the /proc tables too (the fallback, which cuts a path at a newline): the socket\'s own reads give every byte', () => {
    const report = snapshotPid(target.info.pid, { tables: 'proc' });
    expect([report.tables, report.optionsRead]).toEqual(['proc', true]);
    const { fds } = target.info;
    const by = (fd: number) => report.sockets.find((s) => s.fd === fd)!;
    const path = (a: unknown) => hex((a as { path: ExactText }).path);
    expect(by(fds.listener).kernel?.source).toBe('proc');
    expect(path(by(fds.listener).local)).toBe(target.info.path);
    expect(path(by(fds.client).remote)).toBe(target.info.path);
    expect(path(by(fds.abstract).local)).toBe(target.info.abstract);
  });

  it('util.inspect of sockopt(socket) on a socket with a hostile name is escaped', async () => {
    const path = join(dir, 'v\x1b]2;title\x07\n\u202eX.sock');
    const server = net.createServer().listen(path);
    await once(server, 'listening');
    try {
      const view = inspect(sockopt(server));
      expectClean(Buffer.from(view));
      expect(view).toContain('v\\x1b]2;title\\x07\\n\\u202eX.sock');
    } finally {
      server.close();
    }
  });
});

describe('terminalSafe, the last line of defence', () => {
  it('gives exactly what escaping every unsafe character but newline and backslash gives, for any text', () => {
    // eslint-disable-next-line no-control-regex -- the characters under test
    const unsafe = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\ufff9-\ufffb\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
    const plain = (t: string) => t.replace(unsafe, (c) => (c === '\n' || c === '\\' ? c : escapeText(c)));
    const hostile = fc.constantFrom('\n', '\\', '\x1b', '\u202e', '\ud800', '\udc00', '\ud83d\ude00', '\u0085', '\t', 'a', '\u2028', '\ufeff');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), hostile)), (parts) => {
        const text = parts.join('');
        expect(terminalSafe(text)).toBe(plain(text));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('a hostile TLS server', () => {
  it('connect --tls --insecure shows the peer certificate subject escaped; --json keeps it exactly', async () => {
    const key = join(dir, 'k.pem');
    const cert = join(dir, 'c.pem');
    const subject = '/CN=evil\x1b]0;pwned\x07\n\u202eline2/O=x\x1b[2J\u009b31m';
    await new Promise<void>((resolve, reject) =>
      execFile('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-utf8', '-subj', subject], (e) => (e ? reject(e) : resolve())),
    );
    chmodSync(key, 0o600);
    const server = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => s.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await onTerminal(['connect', `127.0.0.1:${port}`, '--tls', '--insecure']);
      expect(r.code).toBe(0);
      expectClean(r.bytes);
      const text = r.bytes.toString('utf8');
      const line = text.split(/\r?\n/).find((l) => l.includes('subject'))!;
      figure('connect --tls --insecure to a hostile server, captured under script(1)', line);
      expect(line).toContain('CN=evil\\x1b]0;pwned\\x07\\n\\u202eline2');
      const json = await run(['connect', `127.0.0.1:${port}`, '--tls', '--insecure', '--json']);
      expectClean(Buffer.from(json.stdout));
      const report = JSON.parse(json.stdout) as { tlsInfo: { subject: string } };
      expect(report.tlsInfo.subject).toContain('CN=evil\x1b]0;pwned\x07\n\u202eline2');
      expect(report.tlsInfo.subject).toContain('O=x\x1b[2J\u009b31m');
    } finally {
      server.close();
      writeFileSync(key, '');
    }
  });
});
