// The close record of a connection whose peer vanished: a test host in a network
// namespace of our own (test/fixtures/telemetry-vanish.js over vanish.js) whose link
// goes down; the connection dies of ETIMEDOUT and its last TCP_INFO must show why.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { TcpCounter, TcpInfo } from '../../src';
import { figure, fixtures } from '../helpers';
import { netnsRefusal } from '../privileges';

interface Line {
  sample?: { direction: string; info: TcpInfo; delta: Record<string, number> };
  close?: { direction: string; info?: TcpInfo; delta: Record<string, number>; error?: { code: string }; duration: number };
  mode?: string;
  code?: string;
  ms?: number;
  error?: string;
}

async function run(mode: 'usertimeout' | 'keepalive'): Promise<Line[]> {
  const { stdout } = await promisify(execFile)('unshare', ['-rn', process.execPath, join(fixtures, 'telemetry-vanish.js'), mode], { timeout: 30_000 });
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
}

describe('close record of a connection whose peer vanished (network namespace, needs root)', () => {
  it('user timeout: ETIMEDOUT, with the retransmissions and RTOs that led to it', async () => {
    const refused = netnsRefusal(); // no namespace of our own allowed here: the kernel's refusal is the result
    if (refused) return void expect(refused).toMatch(/Operation not permitted/);
    const [ut, ka] = await Promise.all([run('usertimeout'), run('keepalive')]);
    for (const [lines, mode] of [[ut, 'usertimeout'], [ka, 'keepalive']] as const) {
      const result = lines.at(-1)!;
      expect(result.error, mode).toBeUndefined();
      expect(result.code, mode).toBe('ETIMEDOUT');
      const closes = lines.filter((l) => l.close).map((l) => l.close!);
      expect(closes, mode).toHaveLength(1);
      const close = closes[0]!;
      expect(close.direction).toBe('client');
      expect(close.error?.code).toBe('ETIMEDOUT');
      expect(close.info?.state).toBe('CLOSE');
      // The close record comes before 'error' reaches the application.
      expect(lines.findIndex((l) => l.close)).toBe(lines.length - 2);
      // Deltas over the samples and the close add up to the totals at close.
      const sums: Record<string, number> = {};
      for (const l of lines) for (const [k, v] of Object.entries((l.sample ?? l.close)?.delta ?? {})) sums[k] = (sums[k] ?? 0) + v;
      for (const [k, v] of Object.entries(sums)) expect(v, `${mode} ${k}`).toBe(close.info![k as TcpCounter]);
    }
    const close = ut.find((l) => l.close)!.close!;
    expect(close.info!.retransmits).toBeGreaterThan(0);
    if (close.info!.length >= 248) expect(close.info!.totalRto).toBeGreaterThan(0); // Linux 6.7+
    expect(close.info!.bytesSent! - close.info!.bytesAcked!).toBeGreaterThan(900); // the 1000 bytes never acknowledged
    const kclose = ka.find((l) => l.close)!.close!;
    expect(kclose.info!.probes).toBeGreaterThan(0); // keepalive probes went unanswered
    const pick = (i: TcpInfo) => ({ state: i.state, caState: i.caState, retransmits: i.retransmits, probes: i.probes, backoff: i.backoff, rto: i.rto, rtt: i.rtt, totalRto: i.totalRto, totalRtoTime: i.totalRtoTime, bytesSent: i.bytesSent, bytesAcked: i.bytesAcked });
    figure('vanished peer, user timeout 2 s: close record', { error: close.error?.code, duration: Math.round(close.duration), samples: ut.filter((l) => l.sample).length, ...pick(close.info!) });
    figure('vanished peer, keepalive 1 s × 2: close record', { error: kclose.error?.code, duration: Math.round(kclose.duration), ...pick(kclose.info!) });
  });
});
