import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two suites, one config. `vitest run` (the ASan run, the Node matrix) runs both.
//   main: `npm test` — every test outside test/abuse/. Its files mostly wait (a silent
//         peer's ~3 s SYN retries, a namespace's dead link, child processes, timers),
//         so they run several at a time even on 2 cores: vitest's default there is one
//         worker (cores - 1), which ran the suite file after file.
//   slow: `npm run test:slow`, run by .ci/run — test/abuse/: the CPU-bound stress files
//         (1e6-call leak check, fuzzing, 8 worker threads × 5 s, worker churn, 10,000
//         fd-reuse cycles), one file at a time after main so they measure alone.
// The real-client suite has its own config (test/clients/, npm run test:clients).
const SLOW = ['test/abuse/**/*.test.ts'];

// python3 as PATH finds it, resolved once to the interpreter (test/helpers.ts `python`):
// behind a version manager's shim each start ran the shim's scripts first (pyenv's: 0.2 s
// idle, over 1 s under load), for each of the suite's hundreds of Python oracle calls.
function python(): string {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim() || 'python3';
  } catch {
    return 'python3'; // the tests that need it fail with spawn's own error
  }
}

export default defineConfig({
  test: {
    pool: 'forks',
    setupFiles: ['test/setup/loop-turn.ts'],
    env: { SOCKOPT_TEST_PYTHON: python() },
    // Bounds on a hang, not on speed: tests that start several processes took over 20 s
    // when the machine was loaded (a busy core plus other suites), while taking 1-5 s idle.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['test/clients/**', '**/node_modules/**', ...SLOW],
          maxWorkers: Math.max(4, availableParallelism()),
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: SLOW,
          maxWorkers: 1,
          testTimeout: 120_000, // worker churn: 52 worker lifetimes
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
