// `sockopt doctor` against a loopback peer and a silent one, and `sockopt run` /
// NODE_OPTIONS from a directory that has no sockopt in reach (the built lib/ is used,
// as an installed package's would be).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figure, fixtures, listeningServer, python, root } from '../helpers';
import { cli } from './helpers';

const register = join(root, 'lib', 'register.js');

let elsewhere: string;
let server: net.Server;
let port: number;
beforeAll(async () => {
  elsewhere = mkdtempSync(join(tmpdir(), 'sockopt-elsewhere-'));
  server = await listeningServer();
  server.on('connection', (c) => c.on('error', () => {}));
  port = (server.address() as net.AddressInfo).port;
  // A program in a folder with no node_modules: it reads its own socket's option with
  // the absolute lib path handed to it (only to look; the policy comes from register).
  writeFileSync(join(elsewhere, 'app.js'), `
    const net = require('node:net');
    const { getsockopt } = require(process.env.SOCKOPT_LIB);
    const c = net.connect(Number(process.env.PORT), '127.0.0.1', () => {
      console.log(JSON.stringify({ userTimeout: getsockopt(c, 'TCP_USER_TIMEOUT'), keepIdle: getsockopt(c, 'TCP_KEEPIDLE') }));
      c.destroy();
      process.exitCode = Number(process.env.EXIT ?? 0);
    });
  `);
});
afterAll(async () => {
  rmSync(elsewhere, { recursive: true, force: true });
  await new Promise((r) => server.close(r));
});

describe('sockopt doctor', () => {
  it('against a loopback peer: the bounds, and the kernel holding every option of the policy', async () => {
    const r = await cli(['doctor', `127.0.0.1:${port}`, '--preset', 'strict', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.bounds.idle).toMatchObject({ ms: 30_000 });
    expect(report.bounds.inFlight).toMatchObject({ ms: 30_000, by: 'TCP_USER_TIMEOUT 30000 ms' });
    expect(report.check.connected).toBe(true);
    expect(Object.keys(report.check.held).sort()).toEqual(['SO_KEEPALIVE', 'TCP_KEEPCNT', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_USER_TIMEOUT']);
    for (const h of Object.values(report.check.held) as { ok: boolean }[]) expect(h.ok).toBe(true);
    const text = await cli(['doctor', `127.0.0.1:${port}`]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('idle         never: keepalive off');
    expect(text.stdout).toMatch(/in flight {4}after 15\.4 min: 15 retransmissions/);
  });

  it('against a silent peer: TCP_SYNCNT 1 ends the attempt with ETIMEDOUT at the predicted ~3 s', async () => {
    const peer = spawn(python, [join(fixtures, 'silent-listener.py'), '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(peer.stdout!, 'data')) as [Buffer];
      const silent = Number(String(line).trim());
      const fillers: net.Socket[] = [];
      for (let i = 0; i < 8; i++) {
        const c = net.connect(silent, '127.0.0.1').on('error', () => {});
        fillers.push(c);
        if (!(await Promise.race([once(c, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(r, 300, false))]))) break;
      }
      const r = await cli(['doctor', `127.0.0.1:${silent}`, '--policy', '{"client":{"sockopts":{"TCP_SYNCNT":1}}}', '--json']);
      for (const c of fillers) c.destroy();
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.bounds.connect).toEqual({ ms: 3_000, by: '1 SYN retries (TCP_SYNCNT)' });
      expect(report.check.error.code).toBe('ETIMEDOUT');
      figure('doctor vs silent peer, TCP_SYNCNT 1: predicted / measured ms', [report.bounds.connect.ms, report.check.elapsedMs]);
      expect(report.check.elapsedMs).toBeGreaterThan(2_500);
      expect(report.check.elapsedMs).toBeLessThan(6_000);
    } finally {
      peer.kill('SIGKILL');
    }
  }, 45_000); // the CLI's start-up is slow under the ASan runtime

  it('usage errors: a bad HOST:PORT, an extra argument, both --policy and --preset, an unknown preset', async () => {
    for (const argv of [['doctor', '[]:80'], ['doctor', `127.0.0.1:${port}`, 'extra'], ['doctor', `127.0.0.1:${port}`, '--preset', 'strict', '--policy', '{}'], ['doctor', `127.0.0.1:${port}`, '--preset', 'aws-alb']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      // One line that says what, then the command's usage (issue 23).
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^sockopt: /);
      if (lines.length > 1) expect(lines[1]).toMatch(/^sockopt doctor /);
    }
  });
});

describe('sockopt run and NODE_OPTIONS, from a directory without sockopt', () => {
  const env = (extra: NodeJS.ProcessEnv) => ({ ...process.env, PORT: String(port), SOCKOPT_LIB: join(root, 'lib', 'index.js'), NODE_OPTIONS: '', SOCKOPT: '', ...extra });

  it('sockopt run --preset / --policy starts the program with the policy; its exit code comes back', async () => {
    const strict = await cli(['run', '--preset', 'strict', '--', process.execPath, 'app.js'], { cwd: elsewhere, env: env({}) });
    expect(strict.stderr).toBe('');
    expect(JSON.parse(strict.stdout)).toEqual({ userTimeout: 30_000, keepIdle: 15 });
    const own = await cli(['run', '--policy', '{"client":{"userTimeout":4321}}', '--', process.execPath, 'app.js'], { cwd: elsewhere, env: env({ EXIT: '7' }) });
    expect(own.code).toBe(7);
    expect(JSON.parse(own.stdout).userTimeout).toBe(4_321);
  });

  it('sockopt run takes the SOCKOPT register takes: "explainErrors" beside the policy, from SOCKOPT or --policy', async () => {
    const text = '{"explainErrors":true,"client":{"userTimeout":4567}}';
    for (const [argv, extra] of [[['run', '--', process.execPath, 'app.js'], { SOCKOPT: text }], [['run', '--policy', text, '--', process.execPath, 'app.js'], {}]] as [string[], NodeJS.ProcessEnv][]) {
      const r = await cli(argv, { cwd: elsewhere, env: env(extra) });
      expect(r.stderr, argv.join(' ')).toBe(''); // was: exit 2, "'SOCKOPT.explainErrors' is not one this call knows"
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).userTimeout).toBe(4_567);
    }
    const bad = await cli(['run', '--policy', '{"explainErrors":"yes"}', '--', process.execPath, 'app.js'], { cwd: elsewhere, env: env({}) });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n')[0]).toMatch(/^sockopt: .*--policy\.explainErrors\b.*boolean/);
  });

  it("NODE_OPTIONS with register's absolute path, as docs/policy.md shows", async () => {
    const child = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const c = execFile(process.execPath, ['app.js'], { cwd: elsewhere, encoding: 'utf8', env: env({ NODE_OPTIONS: `--require "${register}"`, SOCKOPT: '{"client":{"userTimeout":6543}}' }) }, (_e, stdout) => resolve({ stdout, code: c.exitCode }));
    });
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout).userTimeout).toBe(6_543);
  });

  it('signals: Ctrl-C in its terminal reaches the program once, a SIGTERM to sockopt once; ended by a signal, sockopt says which', async () => {
    // test/fixtures/run-signals.py: a pseudo-terminal of its own (Ctrl-C typed into it), a
    // kill of sockopt's pid alone, and programs that end by SIGPIPE, SIGUSR1, SIGTERM.
    const out = await new Promise<string>((resolve, reject) => {
      execFile(python, [join(fixtures, 'run-signals.py'), process.execPath, join(root, 'lib', 'cli.js')], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const r = JSON.parse(out) as { terminal: { said: string[]; exit: number }; term: { said: string; exit: number }; exits: Record<string, number> };
    figure('sockopt run and signals', r);
    expect(r.terminal.said.map((l) => /SIGINT x\d+/.exec(l)?.[0])).toEqual(['SIGINT x1']);
    expect(r.terminal.exit).toBe(0);
    expect(r.term).toEqual({ said: 'SIGTERM x1', exit: 0 });
    // As a shell reports a program it ran: 128 + the number, or death by the same signal (-15 in Python's terms).
    expect(r.exits).toEqual({ SIGPIPE: 141, SIGUSR1: 138, SIGTERM: -15 });
  }, 90_000);

  it('refuses, in one line with exit 2: no command, no policy, a bad policy (checked before the program starts)', async () => {
    for (const [argv, extra] of [[['run', '--preset', 'strict'], {}], [['run', '--', process.execPath, 'app.js'], {}], [['run', '--policy', '{"client":{"keepAlive":{"idle":10}}}', '--', process.execPath, 'app.js'], {}], [['run', '--policy', 'nope', '--', process.execPath, 'app.js'], {}]] as [string[], NodeJS.ProcessEnv][]) {
      const r = await cli(argv, { cwd: elsewhere, env: env(extra) });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^sockopt: /);
      if (lines.length > 1) expect(lines[1]).toMatch(/^sockopt run /); // a usage error: the usage after the line
    }
  });
});
