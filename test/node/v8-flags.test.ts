// The V8 flags `sockopt inspect` sets at run time (src/node/v8-flags.ts) take effect on
// whichever Node major runs this (the matrix runs 20, 22, 24 and 26):
// - keepYoungGenerationSmall: the young generation stays at 2 MiB at most, where the same
//   work without it grows it to 32–64 MiB;
// - skipMaglev: no function is compiled by Maglev, where without it a hot one is (from
//   Node 24; 20 and 22 do not use Maglev by default).
// And the command sets them: both with --json, the first alone for text, and without the
// flags (setFlagsFromString made a no-op) the same run grows the young generation.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { python, root } from '../helpers';
import { bin } from '../cli/helpers';

const major = Number(process.versions.node.split('.')[0]);
const flagsModule = JSON.stringify(join(root, 'lib/node/v8-flags.js'));

// Prints the young generation's size when the process starts and when it exits, and the
// V8 flags set at run time.
const report = `
const v8 = require('node:v8');
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const start = newSpace();
const flags = [];
const setFlags = v8.setFlagsFromString;
v8.setFlagsFromString = (f) => (flags.push(f), setFlags(f));
process.on('exit', () => process.stderr.write('young ' + JSON.stringify({ start, end: newSpace(), flags }) + '\\n'));
`;
// V8 starts it at 0.5–1 MiB and, with the flag, lets it reach 2 MiB (20, 22, 24 and 26 alike).
const SMALL = 2 * 1024 * 1024;
const young = (stderr: string) => JSON.parse(/^young (.*)$/m.exec(stderr)![1]!) as { start: number; end: number; flags: string[] };

// Work whose objects outlive a few scavenges: a ring of 60k live objects, replaced 2M times.
const churn = `
const ring = new Array(60000);
for (let i = 0; i < 2e6; i++) ring[i % ring.length] = { i, s: 'x' + i };
`;

function run(keep: boolean): { start: number; end: number } {
  const setter = keep ? `require(${flagsModule}).keepYoungGenerationSmall();` : '';
  const r = spawnSync(process.execPath, ['-e', report + setter + churn], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return young(r.stderr);
}

// A hot function, with V8's tier-up traced: how many compiles targeted Maglev.
function maglevCompiles(skip: boolean): number {
  const code = `${skip ? `require(${flagsModule}).skipMaglev();` : ''}
function hot(o) { return o.a * 2 + o.b; }
let s = 0; for (let i = 0; i < 3e6; i++) s += hot({ a: i, b: 1 });
if (!(s > 0)) process.exit(1);`;
  const r = spawnSync(process.execPath, ['--trace-opt', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/JSFunction hot/); // the trace is there: it is tiered up
  return r.stdout.split('\n').filter((l) => /^\[compiling method .*JSFunction hot .*target MAGLEV/.test(l)).length;
}

describe('v8-flags', () => {
  it(`skipMaglev: no Maglev compile on Node ${process.version}, where the same code gets one from Node 24 on`, () => {
    const without = maglevCompiles(false);
    if (major >= 24) expect(without).toBeGreaterThan(0);
    else expect(without).toBe(0);
    expect(maglevCompiles(true)).toBe(0);
  });

  it(`keeps V8's young generation at 2 MiB at most on Node ${process.version}, where the same work grows it`, () => {
    const grown = run(false);
    const kept = run(true);
    expect(kept.end).toBeLessThanOrEqual(SMALL);
    expect(grown.end).toBeGreaterThanOrEqual(8 * kept.end);
  });

  it('`sockopt inspect` sets both with --json and the young generation alone for text; without them the run grows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockopt-young-'));
    const preload = join(dir, 'report.js');
    const control = join(dir, 'no-flags.js'); // the run as it was: the flags not set
    writeFileSync(preload, report);
    writeFileSync(control, `require('node:v8').setFlagsFromString = () => {};`);
    const target = spawn(python, [join(root, 'bench/inspect-target.py'), '2400'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(target.stdout!, 'data')) as [Buffer];
      const { pid } = JSON.parse(line.toString()) as { pid: number };
      const inspect = (json: boolean, ...pre: string[]) => {
        const r = spawnSync(process.execPath, [...pre.flatMap((f) => ['-r', f]), bin, 'inspect', String(pid), ...(json ? ['--json'] : [])], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
        expect(r.status, r.stderr).toBe(0);
        if (json) expect((JSON.parse(r.stdout) as { sockets: unknown[] }).sockets.length).toBeGreaterThanOrEqual(2401);
        else expect(r.stdout.match(/^fd /gm)?.length).toBeGreaterThanOrEqual(2401);
        return young(r.stderr);
      };
      const kept = inspect(true, preload);
      expect(kept.end).toBeLessThanOrEqual(SMALL);
      expect(kept.flags).toEqual(['--semi-space-growth-factor=1', '--no-maglev']);
      const text = inspect(false, preload);
      expect(text.end).toBeLessThanOrEqual(SMALL);
      expect(text.flags).toEqual(['--semi-space-growth-factor=1']);
      const grown = inspect(true, control, preload);
      expect(grown.end).toBeGreaterThan(SMALL);
    } finally {
      target.stdin!.end();
      target.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
