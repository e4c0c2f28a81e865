// sockopt/otel under abuse: a second registration on one meter, a meter that throws while
// instruments are created, instruments that throw inside the channel subscribers,
// misspelt options, and two installed copies of sockopt in one process.
import { execFile } from 'node:child_process';
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Meter } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { isSubscribed } from '../../src/node/channels';
import { registerTcpMetrics } from '../../src/telemetry/otel';
import { tcpChannels } from '../../src/telemetry/telemetry';
import { figure, fixtures } from '../helpers';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const sum = async (name: string): Promise<number> => {
    await reader.forceFlush();
    const m = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).filter((x) => x.descriptor.name === name).at(-1);
    return m ? m.dataPoints.reduce((s, p) => s + (p.value as number), 0) : 0;
  };
  return { meter: provider.getMeter('abuse'), sum };
}

async function connections(n: number): Promise<void> {
  const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  for (let i = 0; i < n; i++) {
    const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(c, 'connect');
    c.end('x');
    await new Promise((r) => c.once('close', r));
  }
  await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => server.close(r));
}

const nothingRunning = () => !isSubscribed('client') && !isSubscribed('server') && !diagnostics.channel(tcpChannels.close).hasSubscribers && !diagnostics.channel(tcpChannels.sample).hasSubscribers;

describe('registerTcpMetrics under abuse', () => {
  it('is idempotent per meter: a second call does not double the metrics; the last stop() ends it', async () => {
    const { meter, sum } = sdk();
    const stop1 = registerTcpMetrics({ meter, interval: 0 });
    const stop2 = registerTcpMetrics({ meter, interval: 0 });
    await connections(3);
    expect(await sum('tcp.connections_closed')).toBe(6); // client + server of 3, counted once
    stop1();
    stop1(); // idempotent: does not release the second holder
    expect(nothingRunning()).toBe(false);
    stop2();
    expect(nothingRunning()).toBe(true);
  });

  it('a meter that throws while creating instruments: the error is thrown, nothing is left running', () => {
    let created = 0;
    const meter = {
      createCounter: () => {
        if (++created > 3) throw new Error('meter broke');
        return { add() {} };
      },
      createHistogram: () => ({ record() {} }),
    } as unknown as Meter;
    expect(() => registerTcpMetrics({ meter, interval: 0 })).toThrow('meter broke');
    expect(nothingRunning()).toBe(true);
    const nulls = { createCounter: () => null, createHistogram: () => null } as unknown as Meter;
    expect(() => registerTcpMetrics({ meter: nulls })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(nothingRunning()).toBe(true);
    // And it can register again afterwards (no stale registration kept for that meter).
    created = -100;
    const stop = registerTcpMetrics({ meter, interval: 0 });
    expect(nothingRunning()).toBe(false);
    stop();
    expect(nothingRunning()).toBe(true);
  });

  it('instruments that throw inside the subscribers: one warning, no uncaught exception, the app goes on', async () => {
    const thrower = () => {
      throw new Error('instrument broke');
    };
    const meter = { createCounter: () => ({ add: thrower }), createHistogram: () => ({ record: thrower }) } as unknown as Meter;
    const warnings: Error[] = [];
    const uncaught: unknown[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('warning', onWarning);
    process.prependListener('uncaughtException', onUncaught);
    cleanups.push(() => process.off('warning', onWarning), () => process.off('uncaughtException', onUncaught));
    cleanups.push(registerTcpMetrics({ meter, interval: 20 }));
    await connections(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(uncaught).toEqual([]);
    const ours = warnings.filter((w) => /instrument broke/.test(w.message));
    figure('throwing instrument: warnings', ours.map((w) => w.message));
    expect(ours).toHaveLength(1);
  });

  it('refuses misspelt keys and hostile values with coded errors, before anything runs', () => {
    const { meter } = sdk();
    const bad: [unknown, string][] = [
      [{ meter, intervl: 1000 }, 'ERR_INVALID_ARG_VALUE'],
      [{ meter, clients: false }, 'ERR_INVALID_ARG_VALUE'],
      [{ meter, peerAttribute: true }, 'ERR_INVALID_ARG_VALUE'],
      [{ meter, prefix: 1 }, 'ERR_INVALID_ARG_TYPE'],
      [{ meter: {} }, 'ERR_INVALID_ARG_TYPE'],
      [{ meter, interval: -1 }, 'ERR_OUT_OF_RANGE'],
      [[], 'ERR_INVALID_ARG_TYPE'],
      [null, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [options, code] of bad) expect(() => registerTcpMetrics(options as never), JSON.stringify(Object.keys(options ?? {}))).toThrow(expect.objectContaining({ code }));
    expect(nothingRunning()).toBe(true);
  });

  it('two installed copies of sockopt track each socket once and do not double the counters', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(fixtures, 'two-copies.js'), join(__dirname, '..', '..')], { timeout: 30_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { error?: string; distinct: boolean; connections: number; closeRecords: number; counted: number };
    figure('two copies of sockopt, 5 connections', result);
    expect(result.error).toBeUndefined();
    expect(result.distinct).toBe(true); // really two module instances
    expect(result.closeRecords).toBe(2 * result.connections);
    expect(result.counted).toBe(2 * result.connections);
  });
});
