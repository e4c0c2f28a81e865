// docs/telemetry.md's examples run as written, in a project where sockopt (and the
// OpenTelemetry SDK the second one uses) is installed, and print what the page says they
// print (values differ run to run; the shape and the facts must not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumer, example, why, type Consumer } from './fixtures/doc-blocks';

let project: Consumer;
beforeAll(() => {
  project = consumer(['@opentelemetry/sdk-metrics']);
});
afterAll(() => project?.remove());

function run(code: string, name: string): string {
  const r = project.node(`${name}.js`, code);
  expect(r.status, why(r)).toBe(0);
  return r.stdout;
}

describe('docs/telemetry.md: Watching connection health', () => {
  it('the trackConnections example prints samples of both sides and both close records', () => {
    const lines = run(example('docs/telemetry.md', 'track-connections'), 'track-connections').trim().split('\n');
    const samples = lines.filter((l) => l.startsWith('sample '));
    expect(samples.some((l) => /^sample client ESTABLISHED rtt \d+ µs cwnd \d+ \+5 bytes received$/.test(l))).toBe(true);
    expect(samples.some((l) => /^sample server ESTABLISHED rtt \d+ µs cwnd \d+ \+5 bytes received$/.test(l))).toBe(true);
    expect(lines.filter((l) => /^close {2}client ESTABLISHED retransmitted 0 \+0 bytes received no error after \d+ ms$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^close {2}server \w+ retransmitted 0 \+[01] bytes received no error after \d+ ms$/.test(l))).toHaveLength(1);
  });

  it('the OpenTelemetry example prints every instrument with its unit', () => {
    // Lines are "name (unit) client: v, server: v"; which side closed first (and so comes first) varies.
    const seen = new Map<string, { unit: string; client?: string; server?: string }>();
    for (const line of run(example('docs/telemetry.md', 'otel'), 'otel').trim().split('\n')) {
      const [, name, unit, rest] = /^(\S+) \((\S+)\) (.*)$/.exec(line)!;
      seen.set(name!, { unit: unit!, ...Object.fromEntries(rest!.split(', ').map((kv) => kv.split(': '))) });
    }
    // bytes_sent counts retransmitted bytes too: on a slow run (the ASan build) the server's
    // kernel may retransmit a segment whose ACK was late (a tail loss probe), so the bytes
    // sent once are bytes_sent - bytes_retransmitted.
    const sent = seen.get('tcp.bytes_sent');
    expect(sent).toMatchObject({ unit: 'By', client: '0' });
    expect(Number(sent?.server) - Number(seen.get('tcp.bytes_retransmitted')?.server)).toBe(100_000);
    expect(seen.get('tcp.bytes_received')?.client).toMatch(/^10000[01]$/); // + the FIN
    expect(seen.get('tcp.connections_closed')).toEqual({ unit: '{connection}', client: '1', server: '1' });
    expect(seen.get('tcp.min_rtt')?.client).toMatch(/^n=1 min=\d/);
    expect(seen.get('tcp.packets_sent')?.client).toBe('0');
    const units = Object.fromEntries([...seen].map(([name, v]) => [name, v.unit]));
    expect(units).toMatchObject({
      'tcp.min_rtt': 's',
      'tcp.rtt': 's',
      'tcp.connection.duration': 's',
      'tcp.packets_sent': '{packet}',
      'tcp.packets_received': '{packet}',
      'tcp.packets_retransmitted': '{packet}',
      'tcp.packets_spurious_retransmitted': '{packet}',
      'tcp.recurring_retransmits': '{packet}',
      'tcp.bytes_retransmitted': 'By',
      'tcp.rto_timeouts': '{timeout}',
    });
    // tcp.delivery_rate is left out: it is recorded only when the last rate sample was not application-limited.
  });
});
