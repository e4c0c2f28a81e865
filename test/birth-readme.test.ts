// docs/birth.md's examples for connect/createServer/bindDgram/arm, run as written in a
// project where sockopt is installed (test/fixtures/doc-blocks.ts). Each runs in a
// network namespace of its own (`unshare -rn`, as tuning.test.ts does; an unprivileged
// user may make one too), where the fixed ports (8080, 5432, 8125) are free, nothing
// answers on 5432, and test/fixtures/readme-example.js may bring loopback up without
// touching the host's interfaces.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumer, example, why, type Consumer } from './fixtures/doc-blocks';
import { figure, fixtures } from './helpers';
import { netnsRefusal } from './privileges';

let project: Consumer;
beforeAll(() => {
  project = consumer();
});
afterAll(() => project?.remove());

/** The example's { stdout, responses }, or undefined where no namespace may be made (the kernel's refusal asserted instead). */
function run(name: string, code: string, plan: object): { stdout: string; responses: (string | null)[] } | undefined {
  const refused = netnsRefusal();
  if (refused) return void expect(refused).toMatch(/Operation not permitted/);
  const file = project.write(`${name}.js`, code);
  const args = [join(fixtures, 'readme-example.js'), file, JSON.stringify(plan)];
  const r = project.sh(`exec unshare -rn '${process.execPath}' ${args.map((a) => `'${a}'`).join(' ')}`);
  expect(r.status, why(r)).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { stdout: string; responses: (string | null)[] };
}

describe('docs/birth.md examples of socket birth', () => {
  it('before-syn: connect() refused on 5432, the server on 8080 answers, the UDP socket has its buffer', () => {
    const r = run('before-syn', example('docs/birth.md', 'before-syn'), { port: 8080, times: 3, expect: ['ECONNREFUSED', 'udp 8125 400000'] });
    if (!r) return;
    figure('birth: docs before-syn example', r);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['ECONNREFUSED', 'udp 8125 400000']));
    expect(r.responses).toEqual(['hi', 'hi', 'hi']);
  });

  it('reuseport: two cluster workers on port 8080, the kernel spreads 40 connections over both', () => {
    const r = run('reuseport', example('docs/birth.md', 'reuseport'), { port: 8080, times: 40, ms: 15_000 });
    if (!r) return;
    const perWorker: Record<string, number> = {};
    for (const line of r.responses) perWorker[String(line).trim()] = (perWorker[String(line).trim()] ?? 0) + 1;
    figure('birth: docs reuseport example, connections per worker', perWorker);
    expect(Object.keys(perWorker)).toHaveLength(2);
    for (const k of Object.keys(perWorker)) expect(k).toMatch(/^worker \d+$/);
  });

  it('arm: connects, reads the reply and exits', () => {
    const r = run('arm', example('docs/birth.md', 'arm'), { expect: ['connected', 'hi'] });
    if (!r) return;
    expect(r.stdout).toBe('connected\nhi\n');
  });
});
