// keepYoungGenerationSmall (src/node/young-generation.ts): set at run time, V8 keeps its
// young generation at 2 MiB at most, on whichever Node major runs this (the matrix runs
// 20, 22, 24 and 26), where the same work without it grows it to 32–64 MiB. And `sockopt
// inspect` sets it: without the flag (setFlagsFromString made a no-op) the same run grows it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { python, root } from '../helpers';
import { bin } from '../cli/helpers';

// Prints the young generation's size when the process starts and when it exits.
const report = `
const newSpace = () => require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const start = newSpace();
process.on('exit', () => process.stderr.write('young ' + JSON.stringify({ start, end: newSpace() }) + '\\n'));
`;
// V8 starts it at 0.5–1 MiB and, with the flag, lets it reach 2 MiB (20, 22, 24 and 26 alike).
const SMALL = 2 * 1024 * 1024;
const young = (stderr: string) => JSON.parse(/^young (.*)$/m.exec(stderr)![1]!) as { start: number; end: number };

// Work whose objects outlive a few scavenges: a ring of 60k live objects, replaced 2M times.
const churn = `
const ring = new Array(60000);
for (let i = 0; i < 2e6; i++) ring[i % ring.length] = { i, s: 'x' + i };
`;

function run(keep: boolean): { start: number; end: number } {
  const setter = keep ? `require(${JSON.stringify(join(root, 'lib/node/young-generation.js'))}).keepYoungGenerationSmall();` : '';
  const r = spawnSync(process.execPath, ['-e', report + setter + churn], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return young(r.stderr);
}

describe('keepYoungGenerationSmall', () => {
  it(`keeps V8's young generation at 2 MiB at most on Node ${process.version}, where the same work grows it`, () => {
    const grown = run(false);
    const kept = run(true);
    expect(kept.end).toBeLessThanOrEqual(SMALL);
    expect(grown.end).toBeGreaterThanOrEqual(8 * kept.end);
  });

  it('is what `sockopt inspect --json` runs with; without it the same run grows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockopt-young-'));
    const preload = join(dir, 'report.js');
    const control = join(dir, 'no-flags.js'); // the run as it was: the flag not set
    writeFileSync(preload, report);
    writeFileSync(control, `require('node:v8').setFlagsFromString = () => {};`);
    const target = spawn(python, [join(root, 'bench/inspect-target.py'), '2400'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(target.stdout!, 'data')) as [Buffer];
      const { pid } = JSON.parse(line.toString()) as { pid: number };
      const inspect = (...pre: string[]) => {
        const r = spawnSync(process.execPath, [...pre.flatMap((f) => ['-r', f]), bin, 'inspect', String(pid), '--json'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
        expect(r.status, r.stderr).toBe(0);
        expect((JSON.parse(r.stdout) as { sockets: unknown[] }).sockets.length).toBeGreaterThanOrEqual(2401);
        return young(r.stderr);
      };
      const kept = inspect(preload);
      expect(kept.end).toBeLessThanOrEqual(SMALL);
      const grown = inspect(control, preload);
      expect(grown.end).toBeGreaterThan(SMALL);
    } finally {
      target.stdin!.end();
      target.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
