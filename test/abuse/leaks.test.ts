// 1e6 get/set calls of each value kind and 1e5 getTcpInfo/snapshot calls, in a child
// process with --expose-gc: RSS and heapUsed after GC grow by less than 2 MB per phase.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figure, fixtures } from '../helpers';

const LIMIT = 2 * 1024 * 1024;

describe('leaks', () => {
  it('no phase grows RSS or heap by 2 MB or more', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(fixtures, 'leaks.js'), '1000000'], { encoding: 'utf8', timeout: 120_000 })) as Record<string, { calls: number; rss: number; heapUsed: number }>;
    for (const [phase, r] of Object.entries(out)) figure(`leaks ${phase}`, `${r.calls} calls, rss ${(r.rss / 1024).toFixed(0)} KiB, heapUsed ${(r.heapUsed / 1024).toFixed(0)} KiB`);
    expect(Object.keys(out)).toHaveLength(15);
    for (const [phase, r] of Object.entries(out)) {
      expect(r.calls, phase).toBeGreaterThanOrEqual(100_000);
      expect(r.rss, `${phase} rss`).toBeLessThan(LIMIT);
      expect(r.heapUsed, `${phase} heapUsed`).toBeLessThan(LIMIT);
    }
  }, 150_000);
});
