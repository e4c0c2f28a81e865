// explainErrors with the real clients: err.tcp and the clause on the error each client
// reports, for a peer that vanishes (a test host in a network namespace of our own, idle
// → keepalive probes, in flight → TCP_USER_TIMEOUT; fixtures/dead-peer.js with
// SOCKOPT_EXPLAIN=1) and for a SYN never answered on loopback (fixtures/explain-connect.js).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { figure, silentPeer } from './harness';

const BOUND = 5_000;
const CLAUSE = {
  keepalive: / \(\d+ keepalive probes? unanswered, idle \d+\.\d s; TCP_KEEPIDLE \d+, TCP_KEEPINTVL \d+, TCP_KEEPCNT \d+\)$/,
  'user-timeout': / \(no ACK for \d+\.\d s: \d+ retransmits?, rto \d+\.\d s; TCP_USER_TIMEOUT 5000\)$/,
};

describe('explainErrors with real clients', () => {
  it('a vanished peer: pg, undici and fetch errors say which bound fired, idle and in flight', async () => {
    const { stdout } = await promisify(execFile)('unshare', ['-n', process.execPath, join(__dirname, 'fixtures', 'dead-peer.js'), String(BOUND)], {
      cwd: __dirname,
      timeout: 90_000,
      env: { ...process.env, SOCKOPT_EXPLAIN: '1' },
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { error?: string; records: { label: string; socketCode: string | null; socketMessage?: string; bound?: string | null; clientMessage?: string }[] };
    expect(result.error).toBeUndefined();
    for (const r of result.records) figure(`explainErrors, vanished peer, ${r.label}`, { socket: r.socketMessage ?? null, bound: r.bound ?? null, client: r.clientMessage ?? null });
    for (const client of ['pg', 'undici', 'fetch']) {
      for (const mode of ['idle', 'in-flight']) {
        const r = result.records.find((x) => x.label === `${client} ${mode}`)!;
        const bound = mode === 'idle' ? 'keepalive' : 'user-timeout';
        expect(r.bound, r.label).toBe(bound);
        expect(r.socketMessage, r.label).toMatch(CLAUSE[bound]);
        expect(r.socketMessage!.startsWith(`read ${r.socketCode} (`), r.label).toBe(true); // Node's message, one clause added
        if (mode === 'in-flight') expect(r.clientMessage, r.label).toMatch(CLAUSE[bound]); // what the application sees
      }
    }
  }, 100_000);

  it('a SYN never answered: pg, undici, fetch and net.connect fail with ETIMEDOUT naming TCP_SYNCNT', async () => {
    const peer = await silentPeer();
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'fixtures', 'explain-connect.js'), String(peer.port)], { cwd: __dirname, timeout: 30_000 });
      const result = JSON.parse(stdout.trim().split('\n').pop()!) as { error?: string; ms: number; results: Record<string, { code: string; message: string; bound: string; outer?: string }> };
      expect(result.error).toBeUndefined();
      figure('explainErrors, SYN not answered', result);
      for (const [label, r] of Object.entries(result.results)) {
        expect(r.code, label).toBe('ETIMEDOUT');
        expect(r.bound, label).toBe('syn-retries');
        expect(r.message, label).toMatch(new RegExp(`^connect ETIMEDOUT 127\\.0\\.0\\.1:${peer.port} \\(SYN not answered: \\d+ retransmits?, rto \\d+\\.\\d s; TCP_SYNCNT 1\\)$`));
      }
    } finally {
      await peer.close();
    }
  }, 60_000);
});
