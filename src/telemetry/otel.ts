// sockopt/otel: OpenTelemetry metrics from the telemetry channels. Instruments are
// named after gRFC A80 (grpc.tcp.* without the grpc. prefix) where A80 names them;
// the rest follow the same pattern. `@opentelemetry/api` is an optional peer
// dependency: only its types are used, and it is loaded at run time only when no
// `meter` is given (to ask the global MeterProvider for one).
import * as diagnostics from 'node:diagnostics_channel';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { invalidArgType } from '../kernel/errors';
import { checkTrackOptions, tcpChannels, trackConnections, type TcpClose, type TcpCounter, type TcpDelta, type TcpSample, type TrackOptions } from './telemetry';

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
  { name: 'connections_closed', unit: '{connection}', description: 'Tracked connections closed; sockopt.close.reason says why, error.type names the socket error when one ended it.' },
];

/** The instruments registerTcpMetrics creates (names after the prefix), for documentation and tests. */
export const tcpInstruments: readonly Readonly<Spec & { kind: 'counter' | 'histogram' }>[] = [
  ...Object.values(HISTOGRAMS).map(({ name, unit, description }) => ({ kind: 'histogram' as const, name, unit, description })),
  ...COUNTERS.map(([spec]) => ({ kind: 'counter' as const, ...spec })),
  ...AT_CLOSE.map((spec) => ({ kind: 'counter' as const, ...spec })),
];

const OTEL_FIELDS: ReadonlySet<string> = new Set(['meter', 'peerAttributes', 'prefix']);

interface Registration {
  refs: number;
  stop: () => void;
}
/**
 * The registrations per meter and prefix, shared by every copy of sockopt in the process
 * (Symbol.for on globalThis), so that two copies, or two calls, never feed one meter twice.
 */
const REGISTRY = Symbol.for('sockopt.otel.registrations.v1');
type Registry = WeakMap<object, Map<string, Registration>>;
function registry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  return (g[REGISTRY] ??= new WeakMap());
}

/**
 * Records TCP metrics of this process's connections on an OpenTelemetry Meter: starts
 * trackConnections(options) and feeds counters from every sample's and close record's
 * deltas, histograms from each close record. Attributes: `network.transport` ('tcp'),
 * `network.type` ('ipv4'/'ipv6'), `sockopt.direction` ('client'/'server'); at close also
 * `sockopt.close.reason` and, when the socket failed, `error.type` (e.g. 'ECONNRESET');
 * addresses and ports only with `peerAttributes`.
 *
 * Safe to call on any meter: it is idempotent per meter and prefix (a second call, from
 * this or another copy of sockopt, returns a stop() for the same registration, which ends
 * when every returned stop() has been called); if the meter throws while the instruments
 * are created, the error is thrown and nothing is left running; a throw from an instrument
 * later is reported once as a warning ('SockoptWarning') and never reaches the application.
 * Returns `stop()` (idempotent).
 */
export function registerTcpMetrics(options: TcpMetricsOptions = {}): () => void {
  checkTrackOptions(options, 'options', OTEL_FIELDS); // refuses unknown keys before anything is read
  const { meter = defaultMeter(), peerAttributes = false, prefix = 'tcp.', ...track } = options;
  if (meter === null || typeof meter !== 'object' || typeof meter.createCounter !== 'function' || typeof meter.createHistogram !== 'function') {
    throw invalidArgType('options.meter', 'an OpenTelemetry Meter', meter);
  }
  if (typeof peerAttributes !== 'boolean') throw invalidArgType('options.peerAttributes', 'of type boolean', peerAttributes);
  if (typeof prefix !== 'string') throw invalidArgType('options.prefix', 'of type string', prefix);

  const byPrefix = registry().get(meter) ?? new Map<string, Registration>();
  const existing = byPrefix.get(prefix);
  if (existing) return release(existing);

  // Every instrument first: a meter that throws here leaves nothing subscribed or tracking.
  const counters = COUNTERS.map(([spec, field]) => [meter.createCounter(prefix + spec.name, { unit: spec.unit, description: spec.description }), field] as const);
  const histogram = (h: (typeof HISTOGRAMS)[keyof typeof HISTOGRAMS]): Histogram =>
    meter.createHistogram(prefix + h.name, { unit: h.unit, description: h.description, advice: { explicitBucketBoundaries: [...h.buckets] } });
  const minRtt = histogram(HISTOGRAMS.minRtt);
  const rtt = histogram(HISTOGRAMS.rtt);
  const deliveryRate = histogram(HISTOGRAMS.deliveryRate);
  const duration = histogram(HISTOGRAMS.duration);
  const [recurring, closedCount] = AT_CLOSE.map((s) => meter.createCounter(prefix + s.name, { unit: s.unit, description: s.description })) as [Counter, Counter];
  for (const i of [...counters.map(([c]) => c), minRtt, rtt, deliveryRate, duration, recurring, closedCount]) {
    if (i === null || typeof i !== 'object') throw invalidArgType('options.meter', 'a Meter whose instruments are objects', i);
  }

  const attributes = (m: TcpSample | TcpClose): Attributes => {
    // A close record's family was read before the fd closed; the socket's own is gone by then.
    const family = 'family' in m && m.family !== undefined ? m.family : m.socket.remoteFamily;
    const a: Attributes = { 'network.transport': 'tcp', 'network.type': family === 'IPv6' ? 'ipv6' : 'ipv4', 'sockopt.direction': m.direction };
    if (peerAttributes) {
      a['network.peer.address'] = m.remoteAddress;
      a['network.peer.port'] = m.remotePort;
      a['network.local.address'] = m.localAddress;
      a['network.local.port'] = m.localPort;
    }
    return a;
  };
  const count = (delta: TcpDelta, attrs: Attributes): void => {
    for (const [counter, field] of counters) {
      const v = delta[field];
      if (v !== undefined) counter.add(v, attrs);
    }
  };

  let warned = false;
  // Every call into OpenTelemetry runs inside one of these: a throw is reported once and dropped.
  const isolated = (fn: (message: unknown) => void) => (message: unknown) => {
    try {
      fn(message);
    } catch (err) {
      if (warned) return;
      warned = true;
      try {
        process.emitWarning(`registerTcpMetrics: an OpenTelemetry instrument threw (${String(err)}); further throws are not reported`, 'SockoptWarning');
      } catch {
        // a hostile toString: nothing more to say
      }
    }
  };
  const onSample = isolated((message) => {
    const m = message as TcpSample;
    count(m.delta, attributes(m));
  });
  const onClose = isolated((message) => {
    const m = message as TcpClose;
    const base = attributes(m);
    count(m.delta, base);
    const code = (m.error as NodeJS.ErrnoException | undefined)?.code ?? m.error?.name;
    const attrs = { ...base, 'sockopt.close.reason': m.reason, ...(code !== undefined && { 'error.type': code }) };
    closedCount.add(1, attrs);
    duration.record(m.duration / 1000, attrs);
    const info = m.info;
    if (!info) return;
    if (info.minRtt !== undefined) minRtt.record(info.minRtt / 1e6, attrs);
    if (info.rtt !== undefined) rtt.record(info.rtt / 1e6, attrs);
    if (info.deliveryRate !== undefined && info.deliveryRateAppLimited === false) deliveryRate.record(info.deliveryRate, attrs);
    if (info.retransmits !== undefined) recurring.add(info.retransmits, attrs);
  });
  const stopTracking = trackConnections(track);
  diagnostics.subscribe(tcpChannels.sample, onSample);
  diagnostics.subscribe(tcpChannels.close, onClose);
  const registration: Registration = {
    refs: 0,
    stop: () => {
      stopTracking();
      diagnostics.unsubscribe(tcpChannels.sample, onSample);
      diagnostics.unsubscribe(tcpChannels.close, onClose);
      byPrefix.delete(prefix);
    },
  };
  byPrefix.set(prefix, registration);
  registry().set(meter, byPrefix);
  return release(registration);
}

// One more holder of a registration; its stop() ends the registration with the last holder.
function release(registration: Registration): () => void {
  registration.refs++;
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    if (--registration.refs === 0) registration.stop();
  };
}

function defaultMeter(): Meter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('../../package.json') as { version: string };
  return api.metrics.getMeter('sockopt', version);
}
