// sockopt/otel: OpenTelemetry metrics from the telemetry channels. Instruments are
// named after gRFC A80 (grpc.tcp.* without the grpc. prefix) where A80 names them;
// the rest follow the same pattern. `@opentelemetry/api` is an optional peer
// dependency: only its types are used, and it is loaded at run time only when no
// `meter` is given (to ask the global MeterProvider for one).
import * as diagnostics from 'node:diagnostics_channel';
import type * as net from 'node:net';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { invalidArgType } from '../kernel/errors';
import { tcpChannels, trackConnections, type TcpClose, type TcpCounter, type TcpDelta, type TcpSample, type TrackOptions } from './telemetry';

/** Options of registerTcpMetrics(): trackConnections' options plus where and how to record. */
export interface TcpMetricsOptions extends TrackOptions {
  /** The Meter to create the instruments on; default `metrics.getMeter('sockopt', version)` from `@opentelemetry/api`. */
  meter?: Meter;
  /** Add `network.peer.address` and `network.peer.port` (one time series per peer: high cardinality). Default false. */
  peerAttributes?: boolean;
  /** Instrument name prefix. Default `'tcp.'`; `'grpc.tcp.'` gives A80's own names. */
  prefix?: string;
}

interface Spec {
  /** Name after the prefix. */
  name: string;
  unit: string;
  description: string;
}

/** Counters fed by the deltas of every sample and close record: [instrument, TCP_INFO counter]. */
const COUNTERS: readonly [Spec, TcpCounter][] = [
  [{ name: 'packets_sent', unit: '{packet}', description: 'Data segments sent, retransmissions included (tcpi_data_segs_out).' }, 'dataSegsOut'],
  [{ name: 'packets_received', unit: '{packet}', description: 'Data segments received (tcpi_data_segs_in).' }, 'dataSegsIn'],
  [{ name: 'packets_retransmitted', unit: '{packet}', description: 'Segments retransmitted, spurious ones included (tcpi_total_retrans).' }, 'totalRetrans'],
  [{ name: 'packets_spurious_retransmitted', unit: '{packet}', description: 'Retransmissions found unnecessary by DSACK (tcpi_dsack_dups).' }, 'dsackDups'],
  [{ name: 'bytes_sent', unit: 'By', description: 'Bytes sent, retransmissions included (tcpi_bytes_sent).' }, 'bytesSent'],
  [{ name: 'bytes_received', unit: 'By', description: 'Bytes received (tcpi_bytes_received).' }, 'bytesReceived'],
  [{ name: 'bytes_retransmitted', unit: 'By', description: 'Bytes retransmitted (tcpi_bytes_retrans).' }, 'bytesRetrans'],
  [{ name: 'rto_timeouts', unit: '{timeout}', description: 'Retransmission timer expiries, SYN included (tcpi_total_rto, Linux 6.7+).' }, 'totalRto'],
];

const RTT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]; // s
const RATE_BUCKETS = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]; // By/s
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]; // s

/** Histograms recorded once per connection, from its close record. */
const HISTOGRAMS = {
  minRtt: { name: 'min_rtt', unit: 's', description: 'Minimum RTT seen by TCP over the connection (tcpi_min_rtt), at close.', buckets: RTT_BUCKETS },
  rtt: { name: 'rtt', unit: 's', description: 'Smoothed RTT (tcpi_rtt), at close.', buckets: RTT_BUCKETS },
  deliveryRate: {
    name: 'delivery_rate',
    unit: 'By/s',
    description: 'Delivery rate (tcpi_delivery_rate) at close, recorded only when not application-limited.',
    buckets: RATE_BUCKETS,
  },
  duration: { name: 'connection.duration', unit: 's', description: 'Time from connect/accept to close.', buckets: DURATION_BUCKETS },
} as const;

const AT_CLOSE: Spec[] = [
  { name: 'recurring_retransmits', unit: '{packet}', description: 'RTO retransmissions of the oldest unacknowledged segment when the connection closed (tcpi_retransmits).' },
  { name: 'connections_closed', unit: '{connection}', description: 'Tracked connections closed; error.type names the error when one ended it.' },
];

/** The instruments registerTcpMetrics creates (names after the prefix), for documentation and tests. */
export const tcpInstruments: readonly Readonly<Spec & { kind: 'counter' | 'histogram' }>[] = [
  ...Object.values(HISTOGRAMS).map(({ name, unit, description }) => ({ kind: 'histogram' as const, name, unit, description })),
  ...COUNTERS.map(([spec]) => ({ kind: 'counter' as const, ...spec })),
  ...AT_CLOSE.map((spec) => ({ kind: 'counter' as const, ...spec })),
];

/**
 * Records TCP metrics of this process's connections on an OpenTelemetry Meter: starts
 * trackConnections(options) and feeds counters from every sample's and close record's
 * deltas, histograms from each close record. Attributes: `network.transport` ('tcp'),
 * `network.type` ('ipv4'/'ipv6'), `sockopt.direction` ('client'/'server'); at close also
 * `error.type` (e.g. 'ECONNRESET'); peer address and port only with `peerAttributes`.
 * Returns `stop()` (idempotent).
 */
export function registerTcpMetrics(options: TcpMetricsOptions = {}): () => void {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const { meter = defaultMeter(), peerAttributes = false, prefix = 'tcp.', ...track } = options;
  if (meter === null || typeof meter !== 'object' || typeof meter.createCounter !== 'function' || typeof meter.createHistogram !== 'function') {
    throw invalidArgType('options.meter', 'an OpenTelemetry Meter', meter);
  }
  if (typeof peerAttributes !== 'boolean') throw invalidArgType('options.peerAttributes', 'of type boolean', peerAttributes);
  if (typeof prefix !== 'string') throw invalidArgType('options.prefix', 'of type string', prefix);
  // With peer attributes the peer is read when tracking begins (Node caches it), so that
  // records of connections that ended in a reset still name it.
  const { filter } = track;
  if (filter !== undefined && typeof filter !== 'function') throw invalidArgType('options.filter', 'of type function', filter);
  if (peerAttributes) track.filter = (socket, direction) => (void socket.remoteAddress, filter ? filter(socket, direction) : true);
  const stopTracking = trackConnections(track); // validates the tracking options before anything is created

  const counters = COUNTERS.map(([spec, field]) => [meter.createCounter(prefix + spec.name, { unit: spec.unit, description: spec.description }), field] as const);
  const histogram = (h: (typeof HISTOGRAMS)[keyof typeof HISTOGRAMS]): Histogram =>
    meter.createHistogram(prefix + h.name, { unit: h.unit, description: h.description, advice: { explicitBucketBoundaries: [...h.buckets] } });
  const minRtt = histogram(HISTOGRAMS.minRtt);
  const rtt = histogram(HISTOGRAMS.rtt);
  const deliveryRate = histogram(HISTOGRAMS.deliveryRate);
  const duration = histogram(HISTOGRAMS.duration);
  const [recurring, closedCount] = AT_CLOSE.map((s) => meter.createCounter(prefix + s.name, { unit: s.unit, description: s.description })) as [Counter, Counter];

  // One attribute object per connection, built on its first record.
  const attributesOf = new WeakMap<net.Socket, Attributes>();
  const attributes = (socket: net.Socket, direction: string): Attributes => {
    let a = attributesOf.get(socket);
    if (!a) {
      a = { 'network.transport': 'tcp', 'network.type': socket.remoteFamily === 'IPv6' ? 'ipv6' : 'ipv4', 'sockopt.direction': direction };
      if (peerAttributes) Object.assign(a, { 'network.peer.address': socket.remoteAddress, 'network.peer.port': socket.remotePort });
      attributesOf.set(socket, a);
    }
    return a;
  };
  const count = (delta: TcpDelta, attrs: Attributes): void => {
    for (const [counter, field] of counters) {
      const v = delta[field];
      if (v !== undefined) counter.add(v, attrs);
    }
  };

  const onSample = (message: unknown): void => {
    const m = message as TcpSample;
    count(m.delta, attributes(m.socket, m.direction));
  };
  const onClose = (message: unknown): void => {
    const m = message as TcpClose;
    const base = attributes(m.socket, m.direction);
    count(m.delta, base);
    const code = (m.error as NodeJS.ErrnoException | undefined)?.code ?? m.error?.name;
    const attrs = code === undefined ? base : { ...base, 'error.type': code };
    closedCount.add(1, attrs);
    duration.record(m.duration / 1000, attrs);
    const info = m.info;
    if (!info) return;
    if (info.minRtt !== undefined) minRtt.record(info.minRtt / 1e6, attrs);
    if (info.rtt !== undefined) rtt.record(info.rtt / 1e6, attrs);
    if (info.deliveryRate !== undefined && info.deliveryRateAppLimited === false) deliveryRate.record(info.deliveryRate, attrs);
    if (info.retransmits !== undefined) recurring.add(info.retransmits, attrs);
  };
  diagnostics.subscribe(tcpChannels.sample, onSample);
  diagnostics.subscribe(tcpChannels.close, onClose);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    stopTracking();
    diagnostics.unsubscribe(tcpChannels.sample, onSample);
    diagnostics.unsubscribe(tcpChannels.close, onClose);
  };
}

function defaultMeter(): Meter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('../../package.json') as { version: string };
  return api.metrics.getMeter('sockopt', version);
}
