// Cluster workers with pre-configured sockets: each worker's SO_REUSEPORT server and
// UDP socket are its own (exclusive), the kernel spreads connections across them, and
// the primary's fds (a connection and a file of its own among them) are untouched —
// in both scheduling modes. test/fixtures/birth-cluster.js does the work.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figure, fixtures } from '../helpers';

interface Report {
  sched: string;
  workers: number[];
  reuseport: [boolean, boolean][] | null;
  errors: string[];
  sharedRefused: string[];
  primaryFds: number;
  primaryFdsChanged: string[];
  tcpPids: Record<string, number>;
  udpPids: Record<string, number>;
  primaryConnection: boolean;
  primaryFile: boolean;
}

describe('cluster workers with SO_REUSEPORT', () => {
  it.each(['rr', 'none'])('scheduling %s: every worker serves, the primary keeps its own fds', (sched) => {
    const out = execFileSync(process.execPath, [join(fixtures, 'birth-cluster.js'), sched], { encoding: 'utf8', timeout: 40_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Report;
    figure(`birth: cluster ${sched}: TCP connections per worker pid (of 60)`, r.tcpPids);
    figure(`birth: cluster ${sched}: UDP answers per worker pid (of 60)`, r.udpPids);
    figure(`birth: cluster ${sched}: primary's sockets, pipes and file`, `${r.primaryFds} before the workers listened, changed: ${JSON.stringify(r.primaryFdsChanged)}`);
    expect(r.errors).toEqual([]);
    expect(r.sharedRefused).toEqual(['ERR_SOCKOPT_NOT_APPLICABLE', 'ERR_SOCKOPT_NOT_APPLICABLE']);
    expect(r.reuseport).toEqual([[true, true], [true, true]]);
    expect(Object.keys(r.tcpPids).sort()).toEqual(r.workers.map(String).sort());
    expect(Object.values(r.tcpPids).reduce((a, b) => a + b, 0)).toBe(60);
    expect(Object.keys(r.udpPids).sort()).toEqual(r.workers.map(String).sort());
    expect(r.primaryFdsChanged).toEqual([]);
    expect([r.primaryConnection, r.primaryFile]).toEqual([true, true]);
  }, 45_000);
});
