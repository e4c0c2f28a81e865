// `sockopt run` and `sockopt doctor` with hostile command lines and SOCKOPT values: each is
// refused with a documented exit code (docs/cli.md: 2 called wrongly, 127 for run's
// command that could not start) and one line on stderr that says what to do, escaped for
// a terminal, never a stack trace; the program run would start never starts, and no
// process is left behind.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { listeningServer } from '../helpers';
import { bin, cli, expectOneLineError, type Run } from './helpers';

let dir: string;
let server: net.Server;
let port: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sockopt-hostile-args-'));
  server = await listeningServer();
  server.on('connection', (c) => c.on('error', () => {}).end());
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((r) => server.close(r));
});

// The program `sockopt run` would start: it leaves a file named after its case, so a
// refusal can show it never ran.
let cases = 0;
function program(): { argv: string[]; ran: () => boolean } {
  const marker = join(dir, `ran-${++cases}`);
  return { argv: [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`], ran: () => existsSync(marker) };
}

/** No control character but the newline and no bidi control on stderr or stdout: what a terminal shows is what was said. */
function expectTerminalSafe(r: Run): void {
  for (const text of [r.stdout, r.stderr]) {
    // eslint-disable-next-line no-control-regex -- the characters a terminal would act on
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(text).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
  }
}

const clean = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, SOCKOPT: '', NODE_OPTIONS: '', ...extra });

describe('sockopt run: hostile command lines', () => {
  const cases: [string, (p: string[]) => string[], RegExp][] = [
    ['no arguments', () => ['run'], /missing the command to run, after --/],
    ['-- and nothing after it', () => ['run', '--policy', '{}', '--'], /missing the command to run, after --/],
    ['--policy without its value', () => ['run', '--policy'], /'--policy <value>' argument missing/],
    ['--policy twice', (p) => ['run', '--policy', '{"client":{"userTimeout":1}}', '--policy', '{}', '--', ...p], /--policy given twice: give it once/],
    ['--preset twice', (p) => ['run', '--preset', 'strict', '--preset=strict', '--', ...p], /--preset given twice/],
    ['--policy and --preset', (p) => ['run', '--policy', '{}', '--preset', 'strict', '--', ...p], /--policy and --preset: give one/],
    ['an unknown flag', (p) => ['run', '--polcy', '{}', '--', ...p], /Unknown option '--polcy'.*after '--'/],
    ['the command before --', (p) => ['run', '--preset', 'strict', p[0]!, 'app.js'], /put the command after --/],
    ['a flag of the command before --', (p) => ['run', '--preset', 'strict', ...p], /Unknown option '-e'.*after '--'/],
    ['an unknown preset', (p) => ['run', '--preset', 'nope', '--', ...p], /is not a preset \(expected aws-nlb, azure-lb, gcp-lb, strict\)/],
    ['a preset with ESC and bidi characters', (p) => ['run', '--preset', 'a\x1b[2Jb\u202ec\n', '--', ...p], /is not a preset/],
    ['--policy not JSON', (p) => ['run', '--policy', '{client:', '--', ...p], /--policy is not valid JSON .*e\.g\. \{"client"/],
    ['a negative value', (p) => ['run', '--policy', '{"client":{"userTimeout":-1}}', '--', ...p], /--policy\.client\.userTimeout: .*out of range/],
    ['a huge value', (p) => ['run', '--policy', '{"client":{"userTimeout":1e400}}', '--', ...p], /out of range.*Received Infinity/],
    ['a hex string value', (p) => ['run', '--policy', '{"client":{"sockopts":{"TCP_SYNCNT":"0x10"}}}', '--', ...p], /TCP_SYNCNT.*must be of type number/],
    ['NaN spelled out', (p) => ['run', '--policy', '{"client":{"userTimeout":NaN}}', '--', ...p], /--policy is not valid JSON/],
    ['a __proto__ key', (p) => ['run', '--policy', '{"__proto__":{"client":{"userTimeout":5}}}', '--', ...p], /'--policy\.__proto__' is not one this call knows/],
  ];
  for (const [what, argv, pattern] of cases) {
    it(`${what}: exit 2, one line, the program never starts`, async () => {
      const p = program();
      const r = await cli(argv(p.argv), { env: clean() });
      expectOneLineError(r, 2, pattern);
      expectTerminalSafe(r);
      expect(r.stdout).toBe('');
      expect(p.ran()).toBe(false);
    });
  }

  it('--json, as every command takes it: sockopt\'s own failure is a JSON document; a --json after -- is the program\'s', async () => {
    const p = program();
    const failed = await cli(['run', '--preset', 'nope', '--json', '--', ...p.argv], { env: clean() });
    expect(failed.code).toBe(2);
    expect(JSON.parse(failed.stdout)).toEqual({ error: { code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('is not a preset') } });
    expect(p.ran()).toBe(false);
    const script = join(dir, 'json-argv.js');
    writeFileSync(script, 'console.log(JSON.stringify(process.argv.slice(2))); process.exitCode = 4;');
    const ran = await cli(['run', '--preset', 'strict', '--json', '--', process.execPath, script, '--json'], { env: clean() });
    expect([ran.code, JSON.parse(ran.stdout)]).toEqual([4, ['--json']]);
    // The program's --json alone: sockopt's failure stays one line on stderr, nothing on stdout.
    const theirs = await cli(['run', '--preset', 'nope', '--', process.execPath, script, '--json'], { env: clean() });
    expectOneLineError(theirs, 2, /is not a preset/);
    expect(theirs.stdout).toBe('');
  });

  it('a command that does not exist: exit 127, one line naming it', async () => {
    const r = await cli(['run', '--preset', 'strict', '--', join(dir, 'no\x1bsuch')], { env: clean() });
    expectOneLineError(r, 127, /could not start ".*no\\u001bsuch": ENOENT/);
    expectTerminalSafe(r);
  });

  it('-- passes what follows untouched, flags included; the exit code comes back', async () => {
    const script = join(dir, 'argv.js');
    writeFileSync(script, 'console.log(JSON.stringify(process.argv.slice(2))); process.exitCode = 3;');
    const r = await cli(['run', '--preset', 'strict', '--', process.execPath, script, '--', '--policy', '-x', '--preset=a\nb'], { env: clean() });
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual(['--', '--policy', '-x', '--preset=a\nb']);
  });

  it('SIGTERM to sockopt run ends the program it started too: nothing is left behind', async () => {
    const pidFile = join(dir, 'child.pid');
    const sockopt = spawn(process.execPath, [bin, 'run', '--preset', 'strict', '--', process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`], { env: clean(), stdio: 'ignore' });
    let child = 0;
    try {
      // Up to 30 s for two Node processes to start: under the ASan suite on a loaded CI
      // machine 5 s was not always enough.
      // The file exists before its pid is written in it (writeFileSync opens, then writes):
      // wait for the number, not only for the file.
      const written = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0);
      for (let i = 0; i < 1200 && !(written() > 0); i++) await new Promise((r) => setTimeout(r, 25));
      child = written();
      expect(child).toBeGreaterThan(0);
      sockopt.kill('SIGTERM');
      const [code, signal] = (await once(sockopt, 'exit')) as [number | null, NodeJS.Signals | null];
      expect(signal ?? code).toBe('SIGTERM');
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        alive = existsSync(`/proc/${child}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${child}/status`, 'utf8'));
        if (alive) await new Promise((r) => setTimeout(r, 20));
      }
      expect(alive).toBe(false);
    } finally {
      // A failed step above must leave neither the command nor its program running.
      if (sockopt.exitCode === null && sockopt.signalCode === null) sockopt.kill('SIGKILL');
      if (child > 0 && existsSync(`/proc/${child}`)) process.kill(child, 'SIGKILL');
    }
  }, 60_000);
});

describe('sockopt run and doctor: a hostile SOCKOPT in the environment', () => {
  // One environment variable may hold at most 128 KiB (MAX_ARG_STRLEN): the largest a
  // process can be handed. A megabyte reaches main() only from inside (below).
  const BIG = 120_000;
  const values: [string, string, RegExp][] = [
    ['not JSON', '{"client":', /SOCKOPT is not valid JSON/],
    ['JSON, not an object', '"x"', /The "SOCKOPT" argument must be an object/],
    ['nested 60,000 arrays deep', `${'['.repeat(BIG / 2)}${']'.repeat(BIG / 2)}`, /The "SOCKOPT" argument must be an object .*Received an instance of Array/],
    ['nested 20,000 objects deep', `${'{"a":'.repeat(BIG / 6)}1${'}'.repeat(BIG / 6)}`, /The property 'SOCKOPT\.a' is not one this call knows/],
    ['nested deep inside sockopts', `{"client":{"sockopts":{"SO_RCVBUF":${'['.repeat(BIG / 2)}${']'.repeat(BIG / 2)}}}}`, /SOCKOPT\.client\.sockopts\.SO_RCVBUF: .*must be of type number/],
    ['a 120 KB option name', `{"client":{"sockopts":{"${'X'.repeat(BIG)}":1}}}`, /Unknown socket option 'X{10,}'\.\.\. \d+ more characters/],
    ['a 120 KB preset', `{"client":{"preset":"${'x'.repeat(BIG)}"}}`, /is not a preset .*\.\.\. \d+ more characters/],
    ['a 120 KB top-level key', `{"${'k'.repeat(BIG)}":1}`, /is not one this call knows/],
    ['__proto__ keys', '{"client":{"__proto__":{"userTimeout":5}}}', /'SOCKOPT\.client\.__proto__' is not one this call knows/],
    ['constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}', /'SOCKOPT\.constructor' is not one this call knows/],
    // Escaped in the message (pathKey), whose backslashes the CLI's line escapes once more, as every quoted value's.
    ['ESC, CR and bidi characters in a key', '{"client":{"sockopts":{"\\u001b[31m\\r\\u202eX":1}}}', /SOCKOPT\.client\.sockopts\.\\\\x1b\[31m\\\\r\\\\u202eX: Unknown socket option/],
    // The explainErrors key beside the policy changes nothing of how the rest is read: the
    // policy is taken as parsed, never written back to text (1e400 would become null).
    ['explainErrors and a number JSON reads as Infinity', '{"explainErrors":false,"client":{"userTimeout":1e400}}', /SOCKOPT\.client\.userTimeout: .*out of range.*Received Infinity/],
    ['explainErrors and nested 60,000 arrays deep', `{"explainErrors":true,"client":${'['.repeat(BIG / 2)}${']'.repeat(BIG / 2)}}`, /The "SOCKOPT\.client" argument must be an object .*Received an instance of Array/],
  ];
  for (const [what, value, pattern] of values) {
    for (const command of ['run', 'doctor'] as const) {
      it(`${command}, SOCKOPT ${what}: exit 2, one short line`, async () => {
        const p = program();
        const argv = command === 'run' ? ['run', '--', ...p.argv] : ['doctor', `127.0.0.1:${port}`];
        const r = await cli(argv, { env: clean({ SOCKOPT: value }) });
        expectOneLineError(r, 2, pattern);
        expectTerminalSafe(r);
        expect(r.stderr.split('\n')[0]!.length).toBeLessThan(1200);
        expect(p.ran()).toBe(false);
      });
    }
  }

  it('a valid SOCKOPT padded to 120 KB works: run starts the program, doctor checks it', async () => {
    const value = `{"client":{"userTimeout":4321}}${' '.repeat(BIG)}`;
    const p = program();
    const ran = await cli(['run', '--', ...p.argv], { env: clean({ SOCKOPT: value }) });
    expect(ran.code, ran.stderr).toBe(0);
    expect(p.ran()).toBe(true);
    const doctor = await cli(['doctor', `127.0.0.1:${port}`, '--json'], { env: clean({ SOCKOPT: value }) });
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(JSON.parse(doctor.stdout).check.held.TCP_USER_TIMEOUT).toEqual({ expected: 4321, held: 4321, ok: true });
  });

  it('a 1 MB SOCKOPT (only main() can be handed one): run says it cannot travel to the program, exit 127; doctor takes it', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => void lines.push(`out ${t}`), err: (t: string) => void lines.push(`err ${t}`) };
    const before = process.env.SOCKOPT;
    process.env.SOCKOPT = `{"client":{"userTimeout":4321}}${' '.repeat(1 << 20)}`;
    try {
      const p = program();
      expect(await main(['run', '--', ...p.argv], io)).toBe(127);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^err sockopt: could not start ".*": E2BIG: the policy \(\d+ characters\) travels in the environment, .* give a shorter policy$/);
      expect(p.ran()).toBe(false);
      lines.length = 0;
      expect(await main(['doctor', `127.0.0.1:${port}`, '--json'], io)).toBe(0);
      expect(JSON.parse(lines[0]!.slice(4)).check.held.TCP_USER_TIMEOUT.ok).toBe(true);
      lines.length = 0;
      process.env.SOCKOPT = '['.repeat(1 << 20);
      expect(await main(['doctor', `127.0.0.1:${port}`], io)).toBe(2);
      expect(lines[0]).toMatch(/^err sockopt: SOCKOPT is not valid JSON/);
    } finally {
      if (before === undefined) delete process.env.SOCKOPT;
      else process.env.SOCKOPT = before;
    }
  });
});

describe('sockopt doctor: hostile command lines', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['no HOST:PORT', () => ['doctor'], /missing HOST:PORT/],
    ['--timeout without its value', () => ['doctor', `127.0.0.1:${port}`, '--timeout'], /'--timeout <value>' argument missing/],
    ['--timeout twice', () => ['doctor', `127.0.0.1:${port}`, '--timeout', '5', '--timeout', '6'], /--timeout given twice/],
    ['--timeout negative', () => ['doctor', `127.0.0.1:${port}`, '--timeout', '-5'], /ambiguous.*use '--timeout=-XYZ'/],
    ['--timeout=-5', () => ['doctor', `127.0.0.1:${port}`, '--timeout=-5'], /--timeout must be a whole number of ms from 1 to 2147483647, got '-5'/],
    ['--timeout 0', () => ['doctor', `127.0.0.1:${port}`, '--timeout', '0'], /--timeout must be a whole number/],
    ['--timeout hex', () => ['doctor', `127.0.0.1:${port}`, '--timeout', '0x10'], /--timeout must be a whole number .*got '0x10'/],
    ['--timeout 1e3', () => ['doctor', `127.0.0.1:${port}`, '--timeout', '1e3'], /got '1e3'/],
    ['--timeout NaN', () => ['doctor', `127.0.0.1:${port}`, '--timeout', 'NaN'], /got 'NaN'/],
    ['--timeout huge', () => ['doctor', `127.0.0.1:${port}`, '--timeout', '9'.repeat(400)], /--timeout must be a whole number/],
    ['port 0', () => ['doctor', '127.0.0.1:0'], /port must be 1-65535, got '0'/],
    ['port 65536', () => ['doctor', '127.0.0.1:65536'], /port must be 1-65535, got '65536'/],
    ['port -1', () => ['doctor', '127.0.0.1:-1'], /expected HOST:PORT/],
    ['port in hex', () => ['doctor', '127.0.0.1:0x50'], /expected HOST:PORT/],
    ['port NaN', () => ['doctor', '127.0.0.1:NaN'], /expected HOST:PORT/],
    ['a host with ESC', () => ['doctor', 'ex\x1bample.com:80'], /'ex\\x1bample\.com' is not a host name/],
    ['a host with ESC and a bracket', () => ['doctor', 'ex\x1b[31mample.com:80'], /expected HOST:PORT or \[IPv6\]:PORT, got 'ex\\x1b\[31mample\.com:80'/],
    ['a host with a newline', () => ['doctor', 'a\nb:80'], /expected HOST:PORT, got 'a\\nb:80'/],
    ['a host with bidi controls', () => ['doctor', '\u202eevil\u2066.com:80'], /'\\u202eevil\\u2066\.com' is not a host name/],
    ['a 100 KB host', () => ['doctor', `${'a'.repeat(100_000)}:80`], /^sockopt: 'a{64}'… \(99936 more characters\) is not a host name or IP address$/],
    ['an extra argument', () => ['doctor', `127.0.0.1:${port}`, 'extra'], /unexpected argument 'extra'/],
    ['an unknown flag', () => ['doctor', `127.0.0.1:${port}`, '--prset', 'strict'], /Unknown option '--prset'/],
    ['--policy and --preset', () => ['doctor', `127.0.0.1:${port}`, '--policy', '{}', '--preset', 'strict'], /--policy and --preset: give one/],
    ['--policy not JSON', () => ['doctor', `127.0.0.1:${port}`, '--policy', '{"client"'], /--policy is not valid JSON/],
    ['a bad policy to a host that does not resolve: the policy is named first', () => ['doctor', 'no-such-host.invalid:80', '--policy', '{"client":{"userTimeout":-1}}'], /--policy\.client\.userTimeout: .*out of range/],
  ];
  for (const [what, argv, pattern] of cases) {
    it(`${what}: exit 2, one line`, async () => {
      const r = await cli(argv(), { env: clean() });
      expectOneLineError(r, 2, pattern);
      expectTerminalSafe(r);
      expect(r.stdout).toBe('');
    });
  }

  it('-- before HOST:PORT is taken as the end of the flags', async () => {
    const r = await cli(['doctor', '--json', '--', `127.0.0.1:${port}`], { env: clean() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).check.connected).toBe(true);
  });

  it('after all of the above, no sockopt or program process of this test is left', () => {
    const mine = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
          return cmdline.includes(dir);
        } catch {
          return false; // gone meanwhile
        }
      });
    expect(mine).toEqual([]);
  });
});
