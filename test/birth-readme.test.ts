// The README's examples for connect/createServer/bindDgram/arm, run as written. Those
// on fixed ports (8080, 5432, 8125) run in a network namespace of their own
// (`unshare -rn`, as test/tuning.test.ts does), where those ports are free and nothing
// answers on 5432; test/fixtures/readme-example.js drives them there.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figure, fixtures } from './helpers';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function example(name: string): string {
  const m = new RegExp(`<!-- example: ${name}\\b[^>]*-->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README has no example '${name}'`);
  return m[1]!;
}

// Written inside the package, so require('sockopt') resolves to the package itself.
function run(name: string, plan: object, netns: boolean): { stdout: string; responses: (string | null)[] } {
  const file = join(root, `.readme-${name}-${process.pid}.js`);
  writeFileSync(file, example(name));
  try {
    const args = [join(fixtures, 'readme-example.js'), file, JSON.stringify(plan)];
    const out = netns
      ? execFileSync('unshare', ['-rn', process.execPath, ...args], { encoding: 'utf8', timeout: 30_000 })
      : execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
    return JSON.parse(out.trim().split('\n').pop()!) as { stdout: string; responses: (string | null)[] };
  } finally {
    rmSync(file, { force: true });
  }
}

describe('README examples of socket birth', () => {
  it('before-syn: connect() refused on 5432, the server on 8080 answers, the UDP socket has its buffer', () => {
    const r = run('before-syn', { port: 8080, times: 3, expect: ['ECONNREFUSED', 'udp 8125 400000'] }, true);
    figure('birth: README before-syn example', r);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['ECONNREFUSED', 'udp 8125 400000']));
    expect(r.responses).toEqual(['hi', 'hi', 'hi']);
  });

  it('reuseport: two cluster workers on port 8080, the kernel spreads 40 connections over both', () => {
    const r = run('reuseport', { port: 8080, times: 40, ms: 15_000 }, true);
    const perWorker: Record<string, number> = {};
    for (const line of r.responses) perWorker[String(line).trim()] = (perWorker[String(line).trim()] ?? 0) + 1;
    figure('birth: README reuseport example, connections per worker', perWorker);
    expect(Object.keys(perWorker)).toHaveLength(2);
    for (const k of Object.keys(perWorker)) expect(k).toMatch(/^worker \d+$/);
  });

  it('arm: connects, reads the reply and exits', () => {
    const r = run('arm', { expect: ['connected', 'hi'] }, false);
    expect(r.stdout).toBe('connected\nhi\n');
  });
});
