// The background readers of readDuplicatesStart (native/reader_pool_linux.h), abused in
// processes of their own: jobs dropped unfinished and collected while queued or running,
// a process that exits with jobs queued, a worker terminated with jobs in flight. No
// crash, no hang, and every fd the reads opened is closed once the pool's threads idle out.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canReadAhead } from '../../src/inspect/duplicates';
import { fixtures, pidfdWithGetfd, root } from '../helpers';
import { binding } from '../../src/kernel/binding';

const run = (which: string) =>
  spawnSync(process.execPath, ['--expose-gc', join(fixtures, 'reader-pool.js'), root, which], { encoding: 'utf8', timeout: 30_000 });

// pidfd_getfd on our own fds: Linux >= 5.6 and ptrace rights over ourselves.
const own = (() => {
  const fd = canReadAhead ? pidfdWithGetfd(process.pid, 0) : null;
  if (fd !== null) binding.close!(fd);
  return fd !== null;
})();

describe.skipIf(!canReadAhead || !own)('the background readers', () => {
  it('closes every fd of jobs dropped unfinished, once its threads idle out', () => {
    const r = run('drop');
    expect(r.status, r.stderr).toBe(0);
    const { before, settled } = JSON.parse(r.stdout) as { before: number; afterGc: number; settled: number };
    expect(settled).toBe(before);
  });

  it('lets a process exit at once with jobs queued', () => {
    const r = run('exit');
    expect(r.signal, r.stderr).toBe(null);
    expect(r.status, r.stderr).toBe(0);
  });

  it('survives a worker terminated with jobs queued or running', () => {
    const r = run('worker');
    expect(r.signal, r.stderr).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('terminated\n');
  });
});
