// sockopt/otel through the real OpenTelemetry SDK: an in-memory exporter sees each
// instrument with its unit, fed by real loopback connections.
import { once } from 'node:events';
import * as net from 'node:net';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { registerTcpMetrics, tcpInstruments } from '../../src/telemetry/otel';
import { figure } from '../helpers';

async function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<Map<string, MetricData>> => {
    await reader.forceFlush();
    const all = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    return new Map(all.map((m) => [m.descriptor.name, m])); // the last export of each wins
  };
  return { provider, meter: provider.getMeter('test'), collect };
}

describe('sockopt/otel', () => {
  it('records A80-named instruments with units from real connections', async () => {
    const { provider, meter, collect } = await sdk();
    const stop = registerTcpMetrics({ meter, interval: 100 });
    const server = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    for (let i = 0; i < 3; i++) {
      const c = net.connect(port, '127.0.0.1');
      await once(c, 'connect');
      let got = 0;
      c.on('data', (d: Buffer) => (got += d.length));
      c.write(Buffer.alloc(4 << 20)); // 4 MiB: enough for a delivery-rate sample that is not app-limited
      while (got < 4 << 20) await new Promise((r) => setTimeout(r, 20));
      c.destroy();
    }
    await new Promise((r) => setTimeout(r, 300));
    const metrics = await collect();
    stop();
    stop();
    const seen = Object.fromEntries([...metrics].map(([name, m]) => [name, m.descriptor.unit]));
    figure('otel instruments seen (name: unit)', seen);
    for (const spec of tcpInstruments) {
      if (spec.name === 'delivery_rate' && !metrics.has('tcp.delivery_rate')) continue; // only non-app-limited rates are recorded
      const m = metrics.get(`tcp.${spec.name}`);
      expect(m, spec.name).toBeDefined();
      expect(m!.descriptor.unit, spec.name).toBe(spec.unit);
    }
    const sum = (name: string, dir?: string) =>
      metrics
        .get(name)!
        .dataPoints.filter((p) => !dir || p.attributes['sockopt.direction'] === dir)
        .reduce((s, p) => s + (p.value as number), 0);
    // Both ends of three connections: 3 × 4 MiB each way, counted from the deltas.
    expect(sum('tcp.bytes_received', 'server')).toBeGreaterThanOrEqual(3 * (4 << 20));
    expect(sum('tcp.bytes_sent', 'client')).toBeGreaterThanOrEqual(3 * (4 << 20));
    expect(sum('tcp.connections_closed')).toBe(6);
    const minRtt = metrics.get('tcp.min_rtt')!.dataPoints[0]!;
    const h = minRtt.value as { count: number; min?: number; max?: number };
    expect(h.count).toBeGreaterThanOrEqual(3);
    expect(h.min).toBeGreaterThan(0);
    expect(h.max).toBeLessThan(0.1); // seconds, not µs: loopback is well under 100 ms
    expect(minRtt.attributes).toMatchObject({ 'network.transport': 'tcp', 'network.type': 'ipv4' });
    expect(Object.keys(minRtt.attributes)).not.toContain('network.peer.address'); // low cardinality by default
    figure('otel sums', { bytesSentClient: sum('tcp.bytes_sent', 'client'), closed: sum('tcp.connections_closed'), minRttSeconds: h.min });
    await new Promise((r) => server.close(r));
    await provider.shutdown();
  });

  it('adds error.type at close, and peer address/port only when asked', async () => {
    const { provider, meter, collect } = await sdk();
    const stop = registerTcpMetrics({ meter, interval: 0, peerAttributes: true, prefix: 'grpc.tcp.' });
    const server = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const acceptedP = once(server, 'connection') as Promise<[net.Socket]>;
    const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(c, 'connect');
    const [accepted] = await acceptedP;
    const clientPort = c.localPort;
    c.resetAndDestroy();
    await new Promise((r) => accepted.on('close', r)); // not once(): it rejects on the 'error' this close comes with
    const metrics = await collect();
    stop();
    const closed = metrics.get('grpc.tcp.connections_closed')!.dataPoints;
    const reset = closed.find((p) => p.attributes['error.type'] === 'ECONNRESET');
    expect(reset?.attributes).toMatchObject({ 'sockopt.direction': 'server', 'network.peer.address': '127.0.0.1', 'network.peer.port': clientPort });
    await new Promise((r) => server.close(r));
    await provider.shutdown();
  });

  it('an IPv6 connection is network.type ipv6 at close too (the socket forgets its family as it closes)', async () => {
    const { provider, meter, collect } = await sdk();
    const stop = registerTcpMetrics({ meter, interval: 0 });
    const server = net.createServer((s) => s.on('error', () => {}).end()).listen(0, '::1');
    await once(server, 'listening');
    const c = net.connect((server.address() as net.AddressInfo).port, '::1');
    c.on('error', () => {});
    await once(c, 'close');
    await new Promise((r) => setTimeout(r, 50));
    const metrics = await collect();
    stop();
    const closed = metrics.get('tcp.connections_closed')!.dataPoints;
    expect(closed.map((p) => [p.attributes['sockopt.direction'], p.attributes['network.type']]).sort()).toEqual([['client', 'ipv6'], ['server', 'ipv6']]);
    await new Promise((r) => server.close(r));
    await provider.shutdown();
  });

  it('refuses a bad meter or options with coded errors, and starts nothing', () => {
    expect(() => registerTcpMetrics({ meter: {} as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => registerTcpMetrics({ interval: -5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => registerTcpMetrics({ peerAttributes: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => registerTcpMetrics(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
