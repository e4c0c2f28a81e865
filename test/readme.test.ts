// README.md and docs/: every code block is run by a test or says why not, the examples
// run as written (in a project where sockopt is installed, as a user would run them) and
// print what the docs say, the option table agrees with the registry, and every link and
// anchor between the files resolves. The socket-birth and telemetry examples run in
// birth-readme.test.ts and telemetry-readme.test.ts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../src/kernel/registry';
import { anchors, blocks, consumer, docFiles, example, matchesTranscript, printedComments, root, shownOutput, why, type Consumer } from './fixtures/doc-blocks';
import { mayAttachToSibling } from './privileges';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { render, splice, FILE } = require('../scripts/gen-options-table.js') as {
  render(r: unknown): string;
  splice(doc: string, table: string): string;
  FILE: string;
};

const CODE = new Set(['js', 'mjs', 'cjs', 'ts', 'sh', 'bash']);
const RUNNERS = ['readme.test.ts', 'birth-readme.test.ts', 'telemetry-readme.test.ts'];

/** The README tests' sources, found by name wherever they live under test/. */
function runnerSources(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'node_modules') walk(join(dir, e.name));
      else if (RUNNERS.includes(e.name)) found.set(e.name, readFileSync(join(dir, e.name), 'utf8'));
    }
  };
  walk(join(root, 'test'));
  return found;
}

let project: Consumer;
beforeAll(() => {
  project = consumer();
});
afterAll(() => project?.remove());

const lines = (s: string): string[] => s.trim().split('\n');
/** The option names a compact view mentions. */
const optionNames = (ls: string[]): string[] => [...new Set(ls.join(' ').match(/\b(SO|TCP|IP|IPV6)_[A-Z_]+/g))].sort();
const synRetries = (): number => Number(readFileSync('/proc/sys/net/ipv4/tcp_syn_retries', 'utf8'));

describe('README.md and docs/: every code block', () => {
  it('is marked: an example a test runs, or "not run" with the reason (README: every js/ts block runs)', () => {
    const problems: string[] = [];
    for (const file of docFiles()) {
      const names = new Set<string>();
      for (const b of blocks(file)) {
        const where = `${file}:${b.line} (\`\`\`${b.lang})`;
        if (b.mark?.kind === 'example') {
          if (names.has(b.mark.name)) problems.push(`${where}: a second example named '${b.mark.name}': names must be unique in a file`);
          names.add(b.mark.name);
        }
        if (!CODE.has(b.lang)) continue;
        if (!b.mark) problems.push(`${where}: no mark: put <!-- example: NAME --> on the line above and run it from a README test, or <!-- not run: why -->`);
        else if (file === 'README.md' && b.mark.kind !== 'example' && b.lang !== 'sh') problems.push(`${where}: every JS/TS block of the README must run: mark it <!-- example: NAME --> and run it from readme.test.ts`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("each example is run by a test: the one its mark names, through example('FILE', 'NAME')", () => {
    const sources = runnerSources();
    expect([...sources.keys()].sort()).toEqual([...RUNNERS].sort());
    const problems: string[] = [];
    for (const file of docFiles()) {
      for (const b of blocks(file)) {
        if (b.mark?.kind !== 'example') continue;
        const call = `example('${file}', '${b.mark.name}')`;
        const named = /\b([\w-]+\.test\.ts)\b/.exec(b.mark.text)?.[1];
        const runners = [...sources].filter(([, src]) => src.includes(call)).map(([name]) => name);
        if (!runners.length) problems.push(`${file}:${b.line}: no README test calls ${call}: run it from one (${RUNNERS.join(', ')}), or mark the block <!-- not run: why -->`);
        else if (named && !runners.includes(named)) problems.push(`${file}:${b.line}: the mark says ${named} runs it, but ${runners.join(', ')} does`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every relative link points to a file that exists, and every #anchor to a heading in it', () => {
    const problems: string[] = [];
    for (const file of docFiles()) {
      let fenced = false;
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.startsWith('```')) fenced = !fenced;
          if (fenced) return;
          for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
            if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
            const [path, anchor] = target!.split('#') as [string, string | undefined];
            const resolved = path ? normalize(join(dirname(file), path)) : file;
            if (!existsSync(join(root, resolved))) {
              problems.push(`${file}:${i + 1}: ${target} → ${resolved} does not exist`);
              continue;
            }
            if (anchor && resolved.endsWith('.md') && statSync(join(root, resolved)).isFile() && !anchors(resolved).has(anchor)) {
              problems.push(`${file}:${i + 1}: ${target}: ${resolved} has no heading whose anchor is #${anchor}`);
            }
          }
        });
    }
    expect(problems).toEqual([]);
  });

  it('every test file they name exists (by its path under test/, or by its name anywhere there)', () => {
    const all: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== 'node_modules') walk(`${dir}/${e.name}`);
        else if (e.name.endsWith('.test.ts')) all.push(`${dir}/${e.name}`);
      }
    };
    walk('test');
    const problems: string[] = [];
    for (const file of docFiles()) {
      for (const [name] of readFileSync(join(root, file), 'utf8').matchAll(/[\w./-]*\.test\.ts\b/g)) {
        const found = name.includes('/') ? all.includes(name) : all.some((p) => p.endsWith(`/${name}`));
        if (!found) problems.push(`${file}: ${name} is not under test/ (moved? name it by its path now)`);
      }
    }
    expect(problems).toEqual([]);
  });

  it(`the README stays a 30-second start: at most 300 lines`, () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(300);
  });
});

describe(`${FILE}: the option table`, () => {
  const doc = readFileSync(join(root, FILE), 'utf8');

  it('matches the registry (regenerate with `npm run docs`)', () => {
    expect(splice(doc, render(registry))).toBe(doc);
  });

  it('lists every registry option exactly once, each with its unit', () => {
    for (const name of Object.keys(registry)) {
      const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${name}\` |`));
      expect(rows, name).toHaveLength(1);
      expect(rows[0]!.split(' | ')[3]!.trim(), `${name}: unit column`).not.toBe('');
    }
  });
});

describe('README.md: the 30-second start, run as written in a project where sockopt is installed', () => {
  it('npx: `npx --no-install sockopt` runs the installed command', () => {
    const r = project.sh(example('README.md', 'npx'));
    expect(r.status, why(r)).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(/^TCP_USER_TIMEOUT: How long sent data may stay unacknowledged/);
    expect(r.stdout).toMatch(/^ {2}unit {6}ms/m);
  });

  it('1. tune-one-socket: prints the user timeout and congestion control, then the compact view with the options set', () => {
    const r = project.node('tune-one-socket.js', example('README.md', 'tune-one-socket'));
    expect(r.status, why(r)).toBe(0);
    const [first, ...view] = lines(r.stdout);
    const available = readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
    const [uto, cc] = first!.split(' ');
    expect(uto).toBe('30000');
    expect(available).toContain(cc);
    const flat = view.join(' ').replace(/\s+/g, ' ');
    expect(view[0]).toMatch(/^SocketOptions fd \d+: tcp IPv4 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ ESTABLISHED · rtt /);
    expect(flat).toContain('SO_KEEPALIVE on · TCP_KEEPIDLE 10 s · TCP_KEEPINTVL 5 s · TCP_KEEPCNT 3 · TCP_USER_TIMEOUT 30 s');
    // What the README shows is such an output: the same header, the same options.
    const shown = lines(shownOutput('README.md', 'tune-one-socket'));
    expect(shown[0]).toMatch(/^30000 \w+$/);
    expect(shown[1]).toMatch(/^SocketOptions fd \d+: tcp IPv4 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ ESTABLISHED · rtt /);
    expect(optionNames(view)).toEqual(optionNames(shown));
    expect(shown.join(' ').replace(/\s+/g, ' ')).toContain('SO_KEEPALIVE on · TCP_KEEPIDLE 10 s · TCP_KEEPINTVL 5 s · TCP_KEEPCNT 3 · TCP_USER_TIMEOUT 30 s');
  });

  it('2. register: the same program, without and with SOCKOPT, prints Linux defaults and then the policy', () => {
    project.write('app.mjs', example('README.md', 'app.mjs'));
    const r = project.sh(example('README.md', 'register'));
    expect(r.status, why(r)).toBe(0);
    const syn = synRetries();
    expect(lines(r.stdout)).toEqual([`TCP_USER_TIMEOUT 0 TCP_SYNCNT ${syn}`, 'TCP_USER_TIMEOUT 30000 TCP_SYNCNT 2']);
    // The README shows Linux's default of 6 SYN retries.
    expect(lines(shownOutput('README.md', 'register'))).toEqual(['TCP_USER_TIMEOUT 0 TCP_SYNCNT 6', 'TCP_USER_TIMEOUT 30000 TCP_SYNCNT 2']);
  });

  it('3. inspect: `sockopt inspect $!` lists the other process’s listener with its options', () => {
    const r = project.sh(example('README.md', 'inspect'));
    expect(r.status, why(r)).toBe(0);
    const out = lines(r.stdout);
    // The command name is the kernel's: Node 24 names its main thread MainThread, Node 26 node-MainThread.
    expect(out[0]).toMatch(/^pid \d+ \((node|MainThread|node-MainThread)\): 1 socket$/);
    expect(out[1]).toMatch(/^fd \d+ +tcp IPv4 127\.0\.0\.1:\d+ LISTEN · accept queue 0\/\d+$/);
    const shown = lines(shownOutput('README.md', 'inspect'));
    if (mayAttachToSibling()) {
      // With ptrace-attach rights over the listener (root, or its own user where Yama does
      // not forbid it) the options are read: the ones the README shows.
      expect(optionNames(out)).toEqual(optionNames(shown));
      expect(out.join('\n')).toContain('TCP_USER_TIMEOUT 0 (system default)');
    } else {
      expect(r.stdout + r.stderr).toMatch(/cannot read the options|showing what the kernel's socket tables give/);
    }
    expect(shown[0]).toMatch(/^pid \d+ \(node\): 1 socket$/);
  });
});

describe('docs/: the examples, run as written', () => {
  // Fragments that work on a `socket` they do not create run on a live loopback connection
  // (test/fixtures/doc-fragment.js), which then prints the options named here as the kernel holds them.
  const fragment = (name: string, code: string, options: string[] = []): { printed: string[]; held: Record<string, unknown> } => {
    const path = project.write(`${name}.js`, code);
    const r = project.run([join(root, 'test', 'fixtures', 'doc-fragment.js'), path, ...options]);
    expect(r.status, why(r)).toBe(0);
    const out = lines(r.stdout);
    return { printed: out.slice(0, -1), held: JSON.parse(out.at(-1)!) as Record<string, unknown> };
  };

  it('docs/api.md kernel-error: the error prints as the comments say', () => {
    const { printed } = fragment('kernel-error', example('docs/api.md', 'kernel-error'));
    expect(printed).toEqual(printedComments(example('docs/api.md', 'kernel-error')));
  });

  it('docs/api.md migrate: the option by name reads back', () => {
    const { printed, held } = fragment('migrate', example('docs/api.md', 'migrate'), ['TCP_USER_TIMEOUT']);
    expect(printed).toEqual(printedComments(example('docs/api.md', 'migrate')));
    expect(held).toEqual({ TCP_USER_TIMEOUT: 30_000 });
  });

  it('docs/dead-peers.md bound-the-wait: keepalive 1 s / 1 s / 2 and a 2000 ms user timeout on the socket', () => {
    const { printed, held } = fragment('bound-the-wait', example('docs/dead-peers.md', 'bound-the-wait'), ['SO_KEEPALIVE', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT']);
    expect(printed).toEqual([]);
    expect(held).toEqual({ SO_KEEPALIVE: true, TCP_KEEPIDLE: 1, TCP_KEEPINTVL: 1, TCP_KEEPCNT: 2, TCP_USER_TIMEOUT: 2000 });
  });

  it('docs/policy.md tune-sockets and agents, docs/clients.md clients-tune-sockets: run and exit, nothing on stderr', () => {
    for (const [what, code] of [
      ['tune-sockets', example('docs/policy.md', 'tune-sockets')],
      ['agents', example('docs/policy.md', 'agents')],
      ['clients-tune-sockets', example('docs/clients.md', 'clients-tune-sockets')],
    ] as const) {
      const r = project.node(`${what}.js`, code);
      expect(r.status, `${what}: ${why(r)}`).toBe(0);
      expect(r.stderr, what).toBe('');
    }
  });

  it('docs/policy.md register-bad-value: the command prints what the transcript shows, exit 1', () => {
    const [command, ...shown] = lines(example('docs/policy.md', 'register-bad-value'));
    expect(command).toMatch(/^\$ /);
    const r = project.sh(command!.slice(2), { errexit: false }); // as typed: the transcript's own `echo "exit $?"` ends it
    expect(r.status, why(r)).toBe(0);
    expect(matchesTranscript(r.stderr + r.stdout, shown.join('\n')), why(r)).toBe(true);
  });
});
