// 1e6 get/set calls of each value kind and 1e5 getTcpInfo/snapshot calls, in child
// processes with --expose-gc: RSS and heapUsed after GC grow by less than 2 MB per phase
// (RSS: 4 MB for the 1e5-call phases).
// The phases run in two children at once (a core each): on this machine kind a call costs
// ~2.5 µs (syscalls got ~3.5× dearer), so all of them in one child took ~160 s.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { figure, fixtures } from '../helpers';
import { settableCongestionControls } from '../privileges';

const LIMIT = 2 * 1024 * 1024;
// Under ASan (scripts/asan.sh preloads libasan) its allocator keeps more pages between
// rounds: a snapshot round once read +3.1 MB in a CI run where the same phase alone read
// -3 and -12 MB. A leak of one small object per call (1e5 calls × ≥ 80 bytes) still
// exceeds 8 MB; the heap bound stays 2 MB.
const ASAN = /libasan/.test(process.env.LD_PRELOAD ?? '');
// The 1e5-call phases (snapshot, getTcpInfo) are bound by 4 MB: one of them once read
// +2.05 MB on Node 26 under load, the smallest of its three rounds. A leak of 40 bytes a
// call reaches 4 MB there, as 2 bytes a call reaches 2 MB in the 1e6-call phases.
const rssLimit = (calls: number) => (ASAN ? 8 * 1024 * 1024 : calls < 1_000_000 ? 2 * LIMIT : LIMIT);
// Split by cost: the snapshot phase alone is about a quarter of the work.
const PARTS = [
  ['snapshot (1e5)', 'getTcpInfo (1e5)', 'int get', 'int set', 'bool get', 'bool set'],
  ['timeval get', 'timeval set', 'linger get', 'linger set', 'string get', 'string set', 'u64 get', 'raw Buffer get', 'raw Buffer set'],
];
type Phases = Record<string, { calls: number; rss: number; heapUsed: number }>;

describe('leaks', () => {
  it('no phase grows RSS or heap by 2 MB or more (RSS of a 1e5-call phase: 4 MB)', async () => {
    // The string set alternates between two congestion controls this user may set.
    const ccs = settableCongestionControls();
    const pair = [ccs.includes('reno') ? 'reno' : ccs[0]!, ccs.filter((cc) => cc !== 'reno').at(-1) ?? ccs[0]!].join(','); // reno,cubic as root here
    const run = async (phases: string[]) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', join(fixtures, 'leaks.js'), '1000000', pair, phases.join(',')], { encoding: 'utf8', timeout: 600_000 });
      return JSON.parse(stdout) as Phases;
    };
    const out: Phases = Object.assign({}, ...(await Promise.all(PARTS.map(run))));
    for (const [phase, r] of Object.entries(out)) figure(`leaks ${phase}`, `${r.calls} calls, rss ${(r.rss / 1024).toFixed(0)} KiB, heapUsed ${(r.heapUsed / 1024).toFixed(0)} KiB`);
    expect(Object.keys(out)).toHaveLength(15);
    for (const [phase, r] of Object.entries(out)) {
      expect(r.calls, phase).toBeGreaterThanOrEqual(100_000);
      expect(r.rss, `${phase} rss`).toBeLessThan(rssLimit(r.calls));
      expect(r.heapUsed, `${phase} heapUsed`).toBeLessThan(LIMIT);
    }
  }, 660_000);
});
