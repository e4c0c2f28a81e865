// sockopt connect HOST:PORT [--set NAME=VALUE …] [--tls] [--json]: a "curl -v" for
// TCP. Opens one connection through the library's connect()/connectTLS() (the
// options go on the socket before its SYN), then prints what the kernel holds and
// TCP_INFO after the handshake — or the error and how long it took to arrive.
import type * as net from 'node:net';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type * as tls from 'node:tls';
import { connect, connectTLS } from '../birth/connect';
import { formatDuration, formatOption } from '../inspect/format';
import { formatSocket, formatTcpInfo, type SocketReport } from '../inspect/format-socket';
import { options } from '../core/options';
import type { Sockopts } from '../core/presocket';
import type { OptionName } from '../kernel/registry';
import { describeSocket } from '../inspect/view';
import { common, lookupTimedOut, parse, parseHostPort, parseSets, parseTimeout } from './args';
import { escapeText } from '../kernel/text';
import { toJson, type Output } from './output';

export const usage = `sockopt connect HOST:PORT [--set NAME=VALUE …] [--tls [--insecure] [--servername NAME]] [--timeout MS] [--all] [--json]
  Connects once with each --set option on the socket before the SYN, then prints the
  options the kernel holds and TCP_INFO after the handshake, or the error with the
  time it took. Values are in the option's unit (sockopt options NAME): --set
  TCP_SYNCNT=1 --set TCP_USER_TIMEOUT=5000 --set SO_KEEPALIVE=true --set SO_LINGER=none.
    --tls         TLS over the connection (certificates verified unless --insecure)
    --timeout MS  give up the DNS lookup, TCP connect and TLS handshake, together, after
                  this long (default 10000: a healthy handshake takes far less, and a
                  silent peer should not hold the terminal for minutes; raise it to watch
                  the kernel's own bound, such as a TCP_SYNCNT above 2, run its course)
    --all         every option and TCP_INFO field instead of the compact view
    --json        the ConnectReport as JSON (schema in docs/cli.md)`;

/** What `sockopt connect --json` prints. */
export interface ConnectReport {
  host: string;
  port: number;
  /** The --set options as given, by name (in the registry's units). */
  sockopts: Record<string, unknown>;
  tls: boolean;
  /** Whether the connection (and TLS handshake) succeeded. */
  ok: boolean;
  /** ms from the connect call to 'connect' (TCP handshake done), when it happened. */
  connectMs?: number;
  /** ms from the connect call to 'secureConnect', with --tls. */
  tlsMs?: number;
  /** ms from the connect call to the error, when it failed. */
  elapsedMs: number;
  /** The negotiated TLS protocol and cipher, and whether the peer's certificate verified. */
  tlsInfo?: { protocol: string | null; cipher: string; authorized: boolean; authorizationError?: string; subject?: string };
  /** The --set options as the kernel holds them after the handshake. */
  held?: Record<string, unknown>;
  /** The socket after the handshake (the inspect schema). */
  socket?: SocketReport;
  /** The failure: its code (ETIMEDOUT, ECONNREFUSED, ENOTFOUND, …; TIMEOUT when --timeout ran out) and message. */
  error?: { code: string; message: string; syscall?: string };
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 1000) / 1000;

function open(host: string, port: number, sockopts: Sockopts, v: { tls?: boolean; insecure?: boolean; servername?: string }): net.Socket | tls.TLSSocket {
  if (!v.tls) return connect({ host, port, sockopts });
  return connectTLS({ host, port, sockopts, rejectUnauthorized: v.insecure !== true, ...(v.servername ? { servername: v.servername } : {}) });
}

// What the attempt was waiting for when --timeout ran out, and what to do about it.
function timedOut(r: ConnectReport, resolved: boolean, timeout: number): NonNullable<ConnectReport['error']> {
  const at = `${r.host}:${r.port}`;
  const after = `timed out after ${timeout} ms`;
  if (r.connectMs !== undefined) {
    return { code: 'TIMEOUT', message: `TLS handshake with ${at} ${after} (the peer accepted TCP but completed no TLS handshake); check that the port speaks TLS, or raise --timeout` };
  }
  if (resolved) {
    return { code: 'TIMEOUT', message: `TCP connect to ${at} ${after} (no answer to the SYN); check the address and any firewall, or raise --timeout to let TCP_SYNCNT run its course` };
  }
  return lookupTimedOut(r.host, timeout);
}

async function attempt(report: ConnectReport, sock: net.Socket | tls.TLSSocket, t0: number, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // An IP literal needs no lookup; a name has been resolved once Node emits 'lookup'.
  let resolved = isIP(report.host) !== 0;
  await new Promise<void>((resolve) => {
    // Nothing else bounds the TLS handshake (a peer that accepts TCP and stays silent holds it
    // until it closes), and a lookup or the SYN retries may take minutes.
    timer = setTimeout(() => {
      report.error = timedOut(report, resolved, timeout);
      resolve();
    }, timeout);
    sock.once('lookup', () => {
      resolved = true;
    });
    sock.once('connect', () => {
      report.connectMs = ms(t0);
      if (!report.tls) resolve();
    });
    sock.once('secureConnect', () => {
      report.tlsMs = ms(t0);
      resolve();
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      report.error = { code: err.code ?? 'ERR', message: err.message, ...(err.syscall ? { syscall: err.syscall } : {}) };
      resolve();
    });
  }).finally(() => clearTimeout(timer)); // a pending timer would keep the process alive after the result
  report.elapsedMs = ms(t0);
}

function readBack(report: ConnectReport, sock: net.Socket | tls.TLSSocket): void {
  report.ok = true;
  report.socket = describeSocket(sock);
  const flat: Record<string, unknown> = Object.assign({}, ...Object.values(report.socket.options ?? {}));
  report.held = Object.fromEntries(Object.keys(report.sockopts).map((n) => [n, options[n as OptionName].readable ? flat[n] : '(write-only)']));
  if (report.tls) {
    const t = sock as tls.TLSSocket;
    const cert = t.getPeerCertificate();
    report.tlsInfo = {
      protocol: t.getProtocol(),
      cipher: t.getCipher().name,
      authorized: t.authorized,
      ...(t.authorizationError ? { authorizationError: String(t.authorizationError) } : {}),
      ...(cert?.subject ? { subject: Object.entries(cert.subject).map(([k, v]) => `${k}=${String(v)}`).join(', ') } : {}),
    };
  }
}

function human(r: ConnectReport, all: boolean, io: Output): void {
  if (r.connectMs !== undefined) io.out(`* TCP connected in ${formatDuration(r.connectMs, 'ms')}`);
  if (r.tlsInfo) {
    const verified = r.tlsInfo.authorized ? 'certificate verified' : `certificate NOT verified (${r.tlsInfo.authorizationError ?? 'insecure'})`;
    // The subject is the server's to choose: escaped, like every string from elsewhere.
    const subject = r.tlsInfo.subject ? `; subject ${escapeText(r.tlsInfo.subject)}` : '';
    io.out(`* TLS ${escapeText(String(r.tlsInfo.protocol))} ${escapeText(r.tlsInfo.cipher)} in ${formatDuration(r.tlsMs!, 'ms')}; ${escapeText(verified)}${subject}`);
  }
  if (r.held && Object.keys(r.held).length) {
    io.out(`* the kernel holds: ${Object.entries(r.held).map(([n, v]) => `${n} ${v === '(write-only)' ? v : formatOption(n as OptionName, options[n as OptionName].unit, v)}`).join(' · ')}`);
  }
  if (!r.socket) return;
  io.out(formatSocket(r.socket, { all, prefix: `fd ${r.socket.fd}`.padEnd(7) }));
  if (!all && r.socket.tcpInfo) io.out(formatTcpInfo(r.socket)); // the full view has it already
}

export async function run(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parse(args, {
    ...common,
    set: { type: 'string', multiple: true },
    tls: { type: 'boolean' },
    insecure: { type: 'boolean' },
    servername: { type: 'string' },
    all: { type: 'boolean' },
    timeout: { type: 'string' },
  });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const { host, port } = parseHostPort(positionals[0]);
  const sockopts = parseSets(values.set);
  const timeout = parseTimeout(values.timeout, 10_000);
  const report: ConnectReport = { host, port, sockopts, tls: values.tls === true, ok: false, elapsedMs: 0 };
  const t0 = performance.now();
  const sock = open(host, port, sockopts, values); // a bad option or value throws here, before any socket exists
  const asked = Object.entries(sockopts).map(([n, v]) => `${n}=${String(v)}`).join(', ');
  if (!values.json) io.out(`* connecting to ${host}:${port}${values.tls ? ' (TLS)' : ''}${asked ? ` with ${asked} set before the SYN` : ''}`);
  try {
    await attempt(report, sock, t0, timeout);
    if (!report.error) readBack(report, sock);
  } finally {
    sock.destroy();
  }
  if (values.json) io.out(toJson(report));
  else human(report, values.all === true, io);
  if (!report.error) return 0;
  // The failure is the result here, not a crash: one line, and exit code 1.
  io.err(failureLine(report, values.insecure === true));
  return 1;
}

// X509_V_ERR_* names as Node gives them (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED,
// UNABLE_TO_VERIFY_LEAF_SIGNATURE, HOSTNAME_MISMATCH…) and ERR_TLS_CERT_ALTNAME_INVALID.
const CERTIFICATE_CODE = /CERT|^UNABLE_TO_|^HOSTNAME_MISMATCH$|^ERR_TLS_CERT_ALTNAME_INVALID$/;

function failureLine(report: ConnectReport, insecure: boolean): string {
  const { host, port, error } = report;
  // Our own timeout's message says already what was waited for, how long, and what to do.
  if (error!.code === 'TIMEOUT') return `sockopt: connect: ${escapeText(error!.message)}`;
  // With --tls, a failed certificate check (OpenSSL's verify codes, Node's name check) is
  // what --insecure skips; a peer that does not speak TLS (ERR_SSL_WRONG_VERSION_NUMBER) is not.
  const certificate = report.tls && !insecure && CERTIFICATE_CODE.test(error!.code);
  const hint = certificate ? '; --insecure connects without verifying the certificate' : report.tls && error!.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ? '; the peer does not answer in TLS: check the port, or leave out --tls' : '';
  // OpenSSL's messages end with a newline.
  return `sockopt: connect ${host}:${port}: ${escapeText(error!.code)} after ${formatDuration(report.elapsedMs, 'ms')} (${escapeText(error!.message.trim())})${hint}`;
}
