// sockopt doctor HOST:PORT [--preset NAME | --policy JSON]: which bound fires first for a
// dead peer (at connect, in flight, idle) under a policy and this system's defaults, then
// one real connection that shows the kernel holds the policy (or, against a silent peer,
// which bound ended the attempt and when).
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { usageError } from '../kernel/errors';
import { getsockopt } from '../core/api';
import { options } from '../core/options';
import { presetNames } from '../core/presets';
import type { OptionName } from '../kernel/registry';
import { armClient } from '../birth/client';
import type { Layer } from '../birth/layers';
import { bounds, type Bound, type SystemDefaults } from '../policy/bounds';
import type { Installed } from '../policy/process';
import { formatDuration } from '../inspect/format';
import { common, lookupTimedOut, parse, parseHostPort, parseTimeout, shown } from './args';
import { toJson, type Output } from './output';
import { compilePolicyArg, policyArg } from './policy-arg';

export const usage = `sockopt doctor HOST:PORT [--preset NAME | --policy JSON] [--timeout MS] [--json]
  For a dead peer at connect, with data in flight and idle: which bound fires first and
  when, under the policy (SOCKOPT's form; default: the SOCKOPT in the environment) and
  this system's defaults. Then connects once with the policy's client options and reads
  back what the kernel holds. Presets: ${presetNames.join(', ')}.
    --timeout MS   give up the DNS lookup and the check connection, together, after
                   this long (default 60000)`;

/** What `sockopt doctor --json` prints. */
export interface DoctorReport {
  host: string;
  port: number;
  address?: string;
  /** The client options the policy gives this destination, in the registry's units (keepalive times in s). */
  policy: Record<string, unknown>;
  system: SystemDefaults;
  bounds: { connect: Bound; inFlight: Bound; idle: Bound };
  check: {
    ok: boolean;
    /** ms to 'connect', or to the error. */
    elapsedMs: number;
    connected: boolean;
    held?: Record<string, { expected: unknown; held: unknown; ok: boolean }>;
    error?: { code: string; message: string };
  };
}

function readSys(name: string, fallback: number): number {
  try {
    const n = Number.parseInt(readFileSync(`/proc/sys/net/ipv4/${name}`, 'latin1'), 10);
    return Number.isFinite(n) ? n : fallback;
  } catch {
    return fallback; // not Linux, or /proc not mounted: the documented Linux defaults
  }
}

function systemDefaults(): SystemDefaults {
  return {
    keepaliveTime: readSys('tcp_keepalive_time', 7200),
    keepaliveIntvl: readSys('tcp_keepalive_intvl', 75),
    keepaliveProbes: readSys('tcp_keepalive_probes', 9),
    retries2: readSys('tcp_retries2', 15),
    synRetries: readSys('tcp_syn_retries', 6),
  };
}

function layerFor(entry: Installed | undefined, host: string, address: string, port: number): Layer | undefined {
  if (entry === undefined) return undefined;
  for (const r of entry.rules) if (r.client && r.rule.matches(host, address, port)) return r.client;
  return entry.client;
}

export async function run(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parse(args, { ...common, policy: { type: 'string' }, preset: { type: 'string' }, timeout: { type: 'string' } });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  if (positionals.length > 1) throw usageError(`unexpected argument ${shown(positionals[1])} (sockopt doctor HOST:PORT [--preset NAME | --policy JSON])`);
  const { host, port } = parseHostPort(positionals[0]);
  const timeout = parseTimeout(values.timeout, 60_000);
  // The policy is checked before any lookup or connection: a mistake in it is the first thing said.
  const policy = policyArg(values);
  const entry = policy === undefined ? undefined : compilePolicyArg(policy);
  let address = host;
  const t0 = performance.now();
  if (net.isIP(host) === 0) {
    let timer: NodeJS.Timeout | undefined;
    try {
      // The lookup counts against --timeout too: a resolver that does not answer holds getaddrinfo for 10 s or more.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const { code, message } = lookupTimedOut(host, timeout);
          reject(Object.assign(new Error(message), { code }));
        }, timeout);
      });
      address = (await Promise.race([lookup(host), late])).address;
    } catch (err) {
      // Thrown on to main(): one line, exit 1, and with --json an error document.
      const e = err as NodeJS.ErrnoException;
      const code = e.code ?? 'ERR';
      throw Object.assign(new Error(code === 'TIMEOUT' ? `doctor: ${e.message}` : `doctor ${host}:${port}: ${code} (${e.message})`), { code });
    } finally {
      clearTimeout(timer);
    }
  }
  const layer = layerFor(entry, host, address, port);
  const expected: Record<string, unknown> = Object.fromEntries((layer?.prepared ?? []).map((p) => [p.name, p.native]));
  const system = systemDefaults();
  const n = (k: string): number | undefined => (typeof expected[k] === 'number' ? (expected[k] as number) : typeof expected[k] === 'boolean' ? Number(expected[k]) : undefined);
  const report: DoctorReport = {
    host,
    port,
    address,
    policy: expected,
    system,
    bounds: bounds({ keepAlive: n('SO_KEEPALIVE') === 1, keepIdle: n('TCP_KEEPIDLE'), keepInterval: n('TCP_KEEPINTVL'), keepCount: n('TCP_KEEPCNT'), userTimeout: n('TCP_USER_TIMEOUT'), synCount: n('TCP_SYNCNT') }, system),
    check: { ok: false, elapsedMs: 0, connected: false },
  };
  await check(report, layer, timeout, Math.max(1, Math.round(timeout - (performance.now() - t0))));
  if (values.json) io.out(toJson(report));
  else human(report, io);
  return report.check.ok ? 0 : 1;
}

// `left`: what the lookup left of --timeout (`timeout`).
async function check(report: DoctorReport, layer: Layer | undefined, timeout: number, left: number): Promise<void> {
  const socket = new net.Socket();
  if (layer) armClient(socket, layer, 'agent'); // as a policy would: skipped where it cannot apply
  const t0 = performance.now();
  const outcome = await new Promise<{ error?: NodeJS.ErrnoException }>((resolve) => {
    const timer = setTimeout(() => resolve({ error: Object.assign(new Error(`no answer within --timeout ${timeout} ms`), { code: 'TIMEOUT' }) }), left);
    socket.once('connect', () => (clearTimeout(timer), resolve({})));
    socket.once('error', (error: NodeJS.ErrnoException) => (clearTimeout(timer), resolve({ error })));
    socket.connect({ host: report.address ?? report.host, port: report.port });
  });
  report.check.elapsedMs = Math.round(performance.now() - t0);
  try {
    if (outcome.error) {
      report.check.error = { code: outcome.error.code ?? 'ERR', message: outcome.error.message };
      return;
    }
    report.check.connected = true;
    const held: NonNullable<DoctorReport['check']['held']> = {};
    for (const [name, want] of Object.entries(report.policy)) {
      if (!options[name as OptionName]?.readable) continue;
      let got: unknown = getsockopt(socket, name as never);
      if (typeof got === 'boolean') got = Number(got);
      const exp = typeof want === 'boolean' ? Number(want) : want;
      held[name] = { expected: want, held: got, ok: got === exp };
    }
    report.check.held = held;
    report.check.ok = Object.values(held).every((h) => h.ok);
  } finally {
    socket.destroy();
  }
}

const when = (b: Bound): string => (b.ms === null ? 'never' : formatDuration(b.ms, 'ms'));

function human(r: DoctorReport, io: Output): void {
  const asked = Object.entries(r.policy).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  io.out(`* ${r.host}:${r.port}${r.address !== r.host ? ` (${r.address})` : ''}, policy: ${asked || 'none (the system defaults)'}`);
  io.out('* a dead peer surfaces:');
  io.out(`    at connect   after ${when(r.bounds.connect)}: ${r.bounds.connect.by}`);
  io.out(`    in flight    after ${when(r.bounds.inFlight)}: ${r.bounds.inFlight.by}`);
  io.out(`    idle         ${r.bounds.idle.ms === null ? 'never' : `after ${when(r.bounds.idle)}`}: ${r.bounds.idle.by}`);
  if (r.check.connected) {
    io.out(`* connected in ${formatDuration(r.check.elapsedMs, 'ms')}; the kernel holds:`);
    for (const [name, h] of Object.entries(r.check.held ?? {})) io.out(`    ${h.ok ? 'ok ' : 'NOT'} ${name} ${String(h.held)}${h.ok ? '' : ` (expected ${String(h.expected)})`}`);
    if (Object.keys(r.check.held ?? {}).length === 0) io.out('    (no policy options to check)');
  } else {
    const predicted = r.bounds.connect.ms;
    io.out(`* connect failed: ${r.check.error!.code} after ${formatDuration(r.check.elapsedMs, 'ms')}${r.check.error!.code === 'ETIMEDOUT' && predicted !== null ? ` (predicted ${formatDuration(predicted, 'ms')}: ${r.bounds.connect.by})` : ''}`);
  }
}
