// Running the `sockopt` command as a user does (the built lib/cli.js in a process of its
// own), and what every failure of it must look like.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { root } from '../helpers';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
/** The bin as package.json names it (lib/cli.js: `npm run build:ts` first). */
export const bin = join(root, pkg.bin.sockopt!);

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** setpriv arguments to run it as another user (e.g. nobody). */
  as?: string[];
  /** Another copy of the bin (one nobody can read). */
  bin?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs the bin with `args`; resolves with its exit code, signal and output (30 s bound). */
export function cli(args: string[], opts: CliOptions = {}): Promise<Run> {
  const path = opts.bin ?? bin;
  const [file, argv] = opts.as?.length ? ['setpriv', [...opts.as, process.execPath, path, ...args]] : [process.execPath, [path, ...args]];
  return new Promise((resolve) => {
    const child = execFile(file, argv, { encoding: 'utf8', timeout: 30_000, maxBuffer: 16 << 20, cwd: opts.cwd, env: opts.env }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
  });
}

/** One line on stderr, prefixed, and no stack trace; a usage error (exit 2) follows it with the command's usage. */
export function expectOneLineError(r: Run, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  if (code === 2 && lines.length > 1) expect(lines[1]).toMatch(/^(usage: )?sockopt /);
  else expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^sockopt: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
