// One socket as data (SocketReport, the --json schema) and as text: the compact
// view (a header line like ss, then the options that decide timeouts and buffers,
// then whatever differs from a fresh socket's defaults) and the full view
// (every option by level, every TCP_INFO field). The REPL view and the CLI both
// print through formatSocket, so they always look the same.
import { binding } from '../kernel/binding';
import { invalidArgType, invalidArgValue } from '../kernel/errors';
import { escapeText, exactText, type ExactText } from '../kernel/text';
import { changedOptions, comparedOn, defaultsFor } from './defaults';
import type { Unread } from './duplicates';
import { formatBytes, formatDuration, formatOption, formatTcpInfoField } from './format';
import type { Snapshot } from './snapshot';
import { optionNames, options } from '../core/options';
import type { OptionName, PeerCred } from '../kernel/registry';
import { tcpInfoFields, type TcpInfo } from '../kernel/tcp-info';
import { TYPE_NAMES, type KernelView, type ReportAddress, type SocketKind } from './table-types';

/** A value as JSON carries it: 64-bit option values (SO_COOKIE) become decimal strings. */
export type JsonValue = string | number | boolean | null | { [key: string]: JsonValue };

/**
 * One socket, as `sockopt inspect --json` prints it and snapshotPid()/describeSocket()
 * return it. Plain JSON data: every number in the unit its name or the option table gives.
 */
export interface SocketReport {
  /** The fd number in the process that holds the socket. */
  fd: number;
  /** The socket's inode (as in `/proc/PID/fd/N -> socket:[inode]`), when known. */
  inode?: number;
  /**
   * 'tcp', 'mptcp', 'udp', 'raw' (SOCK_RAW over IP), 'icmp' (ping sockets), 'unix', 'netlink',
   * 'packet', or 'unknown' (another family: `protocolName` then says which, as the kernel names it).
   */
  kind: SocketKind;
  /** 'IPv4', 'IPv6', 'unix', 'netlink', 'packet', or null for another family. */
  family: string | null;
  /** 'stream', 'dgram', 'seqpacket', 'raw', 'rdm', or null. */
  type: string | null;
  /** raw: the IP protocol; netlink: the NETLINK_* protocol; packet: the ethertype. */
  protocol?: number;
  /** The kernel's protocol name for the socket ('TCP', 'UNIX-STREAM', 'NETLINK', 'ALG'…), when the kind had to be found by it. */
  protocolName?: string;
  /**
   * TCP: the kernel's state name ('ESTABLISHED', 'LISTEN', 'SYN_SENT', …). Others:
   * 'LISTEN', 'CONNECTED', 'UNCONNECTED', 'CONNECTING' or 'DISCONNECTING'.
   */
  state: string | null;
  /**
   * The socket's own address. Unix names carry their exact bytes: `path` is a string when
   * they are UTF-8 (abstract names start with '\0'), else `{ hex }`; netlink: `{ portid }`;
   * packet: `{ ifindex, protocol }`.
   */
  local: ReportAddress | null;
  /** The peer's address; null when not connected. A unix peer without a name has path ''. */
  remote: ReportAddress | null;
  /** Bytes queued for reading (ss Recv-Q; UDP: the next datagram, or memory in /proc), null when unknown. */
  recvQueue: number | null;
  /** Bytes queued for sending (ss Send-Q; TCP: unacknowledged + unsent), null when unknown. */
  sendQueue: number | null;
  /** TCP listener: connections waiting to be accepted (TCP_INFO's tcpi_unacked on a listener). */
  acceptQueue?: number;
  /** TCP listener: the accept-queue limit, listen()'s backlog as the kernel clamped it (tcpi_sacked on a listener). */
  backlog?: number;
  /** Unix sockets: the peer process (SO_PEERCRED), when read. */
  peer?: PeerCred;
  /** Every readable option by level, in the units of the option table; absent when the options could not be read. */
  options?: Partial<Record<string, Record<string, JsonValue>>>;
  /** TCP_INFO as getTcpInfo() returns it (64-bit counters as numbers), for TCP sockets on Linux. */
  tcpInfo?: TcpInfo;
  /** Options the kernel refused for this socket, with its code. */
  skipped?: { option: string; code: string }[];
  /**
   * What the kernel's socket table says beyond that, as `ss -tiepm` shows it: owner uid,
   * cookie, cgroup, timer, skmem, congestion control, … (snapshotPid/listSockets).
   */
  kernel?: KernelView;
  /** Why this socket's options could not be read when those of the others could (it was closed meanwhile, …). */
  error?: { code: string; message: string };
}

// JSON-safe data: bigints as decimal strings, bytes (an interface name that is not
// UTF-8) as the exact text rule gives them (a string, or { hex }). A walk, not
// JSON.parse(JSON.stringify()): it runs once per socket, 20k times for a large process.
// Objects are made safe where they stand, value by value (reportFromSnapshot's snapshots
// are made for the one report and dropped: copying them was most of what this
// allocated); one with a member JSON leaves out (undefined, a function) is copied.
function json(v: unknown): JsonValue {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return v === undefined ? null : (v as JsonValue);
  if (v instanceof Uint8Array) return exactText(v);
  if (Array.isArray(v)) return v.map(json) as unknown as JsonValue;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    if (x === undefined || typeof x === 'function') return jsonCopy(o);
  }
  for (const k in o) {
    const x = o[k];
    if (typeof x === 'bigint' || (x !== null && typeof x === 'object')) o[k] = json(x);
  }
  return o as JsonValue;
}

function jsonCopy(o: Record<string, unknown>): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const k in o) {
    const x = o[k];
    if (x !== undefined && typeof x !== 'function') out[k] = json(x);
  }
  return out;
}

const C = binding.constants;
const FAMILY_KINDS: Record<number, 'netlink' | 'packet'> = {};
if (C.AF_NETLINK !== undefined) FAMILY_KINDS[C.AF_NETLINK] = 'netlink';
if (C.AF_PACKET !== undefined) FAMILY_KINDS[C.AF_PACKET] = 'packet';
// UDP-Lite is a UDP socket with a partial checksum (its SO_PROTOCOL says which).
const PROTOCOL_KINDS: Record<string, SocketKind> = { tcp: 'tcp', udp: 'udp', udplite: 'udp', mptcp: 'mptcp' };

// The kind of a socket from what it answers itself: family, type, protocol.
function kindOf(family: string | number | null, type: string | null, protocol: string | number | null): SocketKind {
  if (family === 'unix') return 'unix';
  if (typeof family === 'number') return FAMILY_KINDS[family] ?? 'unknown';
  if (family === 'IPv4' || family === 'IPv6') {
    if (type === 'raw') return 'raw';
    if (typeof protocol === 'string') return PROTOCOL_KINDS[protocol] ?? 'unknown';
    if (protocol === C.IPPROTO_ICMP || protocol === C.IPPROTO_ICMPV6) return 'icmp';
  }
  return 'unknown';
}

/**
 * A socket's queues from elsewhere than its snapshot: the byte queues (null: unknown), and
 * a listener's accept queue and its limit where a socket table gives them (a unix
 * listener's; a TCP listener's come from its TCP_INFO).
 */
export interface Queues {
  recv: number | null;
  send: number | null;
  accept?: number;
  backlog?: number;
}

/**
 * Builds the report of a socket from its snapshot and, when known, its queues and inode.
 * Takes the snapshot over: its option objects become the report's, made JSON-safe in place.
 */
export function reportFromSnapshot(snap: Snapshot, queues: Queues | null, inode?: number): SocketReport {
  const sol = snap.options.SOL_SOCKET ?? {};
  const type = typeof snap.type === 'string' ? snap.type : snap.type === null ? null : (TYPE_NAMES[snap.type] ?? null);
  const kind = kindOf(snap.family, type, snap.protocol);
  const family = typeof snap.family === 'string' ? snap.family : kind === 'netlink' || kind === 'packet' ? kind : null;
  const listening = sol.SO_ACCEPTCONN === true;
  const ti = snap.tcpInfo;
  const state = ti?.state ?? (listening ? 'LISTEN' : snap.remote ? 'CONNECTED' : 'UNCONNECTED');
  const report: SocketReport = {
    fd: snap.fd,
    ...(inode !== undefined ? { inode } : {}),
    kind,
    family,
    type,
    state,
    local: snap.local as ReportAddress | null,
    remote: snap.remote as ReportAddress | null,
    // A listener has no byte queues: its queue is the accept queue (an MPTCP listener's
    // SIOCOUTQ answers -EINVAL as a value).
    recvQueue: state === 'LISTEN' ? null : (queues?.recv ?? null),
    sendQueue: state === 'LISTEN' ? null : (queues?.send ?? null),
  };
  if ((kind === 'raw' || kind === 'icmp' || kind === 'netlink' || kind === 'unknown') && typeof snap.protocol === 'number') report.protocol = snap.protocol;
  if (ti && state === 'LISTEN') {
    if (ti.unacked !== undefined) report.acceptQueue = ti.unacked;
    if (ti.sacked !== undefined) report.backlog = ti.sacked;
  } else if (queues?.accept !== undefined && state === 'LISTEN') {
    report.acceptQueue = queues.accept;
    if (queues.backlog !== undefined) report.backlog = queues.backlog;
  }
  if (sol.SO_PEERCRED) report.peer = sol.SO_PEERCRED as PeerCred;
  report.options = json(snap.options) as SocketReport['options'];
  if (ti) report.tcpInfo = ti;
  report.skipped = snap.skipped.map((s) => ({ option: s.option, code: s.code }));
  return report;
}

// A unix name for a terminal: @ for an abstract name's leading NUL, every other control,
// bidi character or non-UTF-8 byte escaped.
function unixName(path: ExactText): string {
  const bytes = typeof path === 'string' ? Buffer.from(path, 'utf8') : Buffer.from(String(path?.hex ?? ''), 'hex');
  if (bytes.length === 0) return '(unnamed)';
  return bytes[0] === 0 ? `@${escapeText(bytes.subarray(1))}` : escapeText(bytes);
}

/** 127.0.0.1:80, [::1]:80, /run/x.sock, @abstract, (unnamed), netlink portid 12, packet ifindex 1 0x0800; names escaped for a terminal. */
export function formatAddress(a: ReportAddress | null): string {
  if (!a) return '*';
  if (typeof a !== 'object') throw invalidArgType('address', 'a SocketAddress object or null', a);
  if ('path' in a) return unixName(a.path);
  if ('address' in a) return a.family === 'IPv6' ? `[${escapeText(String(a.address))}]:${a.port}` : `${escapeText(String(a.address))}:${a.port}`;
  if ('portid' in a) return `portid ${a.portid}${a.group ? ` group ${a.group}` : ''}`;
  if ('ifindex' in a) return `ifindex ${a.ifindex} protocol 0x${a.protocol.toString(16).padStart(4, '0')}`;
  return `family ${escapeText(String(a.family))}`;
}

// States in which a socket has no peer by nature: no '→ *' in the header.
const UNPAIRED = new Set(['LISTEN', 'UNCONNECTED', 'CLOSE']);
const CONNECTED = new Set(['CONNECTED', 'ESTABLISHED']);

// Kinds whose name already says stream or datagram.
const STREAM_OR_DGRAM_KINDS = new Set(['tcp', 'mptcp', 'udp']);

/** The header line: kind, family, local → remote, state, then rtt/cwnd/retrans/unacked or the accept queue, and the queues. */
export function formatHeader(r: SocketReport): string {
  // Built by concatenation, not arrays joined: it runs once per socket of a 20k-socket process.
  const kind = r.kind === 'unknown' && r.protocolName ? `unknown (${escapeText(r.protocolName)})` : (r.kind ?? 'socket');
  // Each word only when it is there (a hand-made report may leave the kind empty).
  let who = kind ? String(kind) : '';
  const word = (w: unknown) => {
    if (w) who = who ? `${who} ${w}` : String(w);
  };
  if (r.family !== r.kind) word(r.family);
  if (!STREAM_OR_DGRAM_KINDS.has(r.kind ?? '')) word(r.type);
  if (r.protocol !== undefined && r.kind !== 'packet') word(`protocol ${r.protocol}`);
  // Connected with no peer address known: /proc/net/unix does not name the peer (snapshot() does).
  const peer = !r.remote && CONNECTED.has(r.state ?? '') && !r.options ? '?' : formatAddress(r.remote);
  const where = r.remote || !UNPAIRED.has(r.state ?? '') ? `${formatAddress(r.local)} → ${peer}` : formatAddress(r.local);
  let line = `${who} ${where} ${r.state ?? ''}`.trimEnd();
  const ti = r.tcpInfo;
  if (r.state === 'LISTEN' && r.acceptQueue !== undefined) {
    line += r.backlog === undefined ? ` · accept queue ${r.acceptQueue}` : ` · accept queue ${r.acceptQueue}/${r.backlog}`;
  } else if (ti && ti.rtt !== undefined) {
    line += ` · rtt ${+(ti.rtt / 1000).toFixed(3)}/${+((ti.rttvar ?? 0) / 1000).toFixed(3)} ms`;
    if (ti.sndCwnd !== undefined) line += ` · cwnd ${ti.sndCwnd}`;
    if (ti.retrans !== undefined) line += ` · retrans ${ti.retrans}/${ti.totalRetrans ?? 0}`;
    if (ti.unacked !== undefined) line += ` · unacked ${ti.unacked}`;
  }
  // A listener has no byte queues (its queue is the accept queue), and SO_PEERCRED on a
  // listening unix socket names the listener itself, not a peer.
  if (r.state !== 'LISTEN') {
    if (r.sendQueue !== null) line += ` · sendq ${formatBytes(r.sendQueue)}`;
    if (r.recvQueue !== null) line += ` · recvq ${formatBytes(r.recvQueue)}`;
    if (r.peer) line += ` · peer pid ${r.peer.pid} uid ${r.peer.uid}`;
  }
  const k = r.kernel;
  if (k?.timer) line += ` · timer ${k.timer.name} ${formatDuration(k.timer.expiresMs, 'ms')}/${k.timer.retransmits}`;
  return line;
}

// The options that decide how long a connection waits and how much it buffers:
// always shown in the compact view, whatever their value.
const TIMEOUTS: readonly OptionName[] = ['SO_KEEPALIVE', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT', 'SO_RCVTIMEO', 'SO_SNDTIMEO', 'SO_LINGER'];
const BUFFERS: readonly OptionName[] = ['SO_RCVBUF', 'SO_SNDBUF', 'TCP_NODELAY'];
const ALWAYS = new Set<string>([...TIMEOUTS, ...BUFFERS]);

/**
 * The options the compact view never shows, so `sockopt inspect PID` leaves them unread:
 * those it neither prints always nor compares with a fresh socket's (the kernel-managed
 * MSS, window clamp, quickack and path MTUs), and, on TCP sockets, those it compares on
 * datagram sockets only. Each is a getsockopt per socket saved (SOL_SOCKET options are
 * read through the ring regardless: duplicates.ts).
 */
export const compactUnread: Unread = (() => {
  const always = new Set<string>();
  const onTcp = new Set<string>();
  for (const name of optionNames) {
    if (ALWAYS.has(name) || name === 'TCP_INFO' || options[name].level === 'SOL_SOCKET') continue; // TCP_INFO: the header's
    const on = comparedOn(name);
    if (on === 'none') always.add(name);
    else if (on === 'datagrams') onTcp.add(name);
  }
  return { always, onTcp };
})();

const WIDTH = 100;
const LABEL = 14;

/** `label` then the items joined by ' · ', wrapped under the first item at WIDTH columns. */
function group(label: string, items: string[], indent: string): string[] {
  const lines: string[] = [];
  const pad = `${indent}${' '.repeat(LABEL)}`;
  let line = `${indent}${label.padEnd(LABEL - 1)} `;
  let first = true;
  for (const item of items) {
    const sep = first ? '' : ' · ';
    if (!first && line.length + sep.length + item.length > WIDTH) {
      lines.push(`${line} ·`);
      line = pad + item;
    } else {
      line += sep + item;
    }
    first = false;
  }
  lines.push(line);
  return lines;
}

const show = (name: OptionName, v: unknown): string => `${name} ${formatOption(name, options[name].unit, v)}`;

// The timeouts and buffers groups of the compact view, by their options' values: most
// sockets of a process share them, and their text was a third of what formatting a
// socket allocated (docs/inspect.md). Exact: the text depends on nothing but the label,
// the indent and the values, all primitives (an object value is never cached). Looked up
// value by value in nested Maps, so a hit allocates nothing. Bounded.
const GROUP_CACHE_SIZE = 512;
const ABSENT = Symbol('absent');
const LINES = Symbol('lines');
type GroupNode = Map<unknown, GroupNode> & { [LINES]?: readonly string[] };
const groupRoots = new Map<string, Map<string, GroupNode>>(); // label → indent → values
let groupsCached = 0;

function pickedGroup(label: string, names: readonly OptionName[], byLevel: NonNullable<SocketReport['options']>, indent: string): readonly string[] {
  let byIndent = groupRoots.get(label);
  if (byIndent === undefined) groupRoots.set(label, (byIndent = new Map()));
  let node: GroupNode | undefined = byIndent.get(indent);
  if (node === undefined) byIndent.set(indent, (node = new Map() as GroupNode));
  for (const n of names) {
    const level = byLevel[options[n].level];
    const v = level && n in level ? level[n] : ABSENT;
    if (v !== null && typeof v === 'object') return groupOf(label, names, byLevel, indent);
    let next: GroupNode | undefined = node.get(v);
    if (next === undefined) node.set(v, (next = new Map() as GroupNode));
    node = next;
  }
  let lines = node[LINES];
  if (lines === undefined) {
    lines = groupOf(label, names, byLevel, indent);
    if (++groupsCached > GROUP_CACHE_SIZE) {
      groupRoots.clear();
      groupsCached = 0;
    } else {
      node[LINES] = lines;
    }
  }
  return lines;
}

// The group of those of `names` the report holds; no lines when it holds none.
function groupOf(label: string, names: readonly OptionName[], byLevel: NonNullable<SocketReport['options']>, indent: string): readonly string[] {
  const items: string[] = [];
  for (const n of names) {
    const level = byLevel[options[n].level];
    if (level && n in level) items.push(show(n, level[n]));
  }
  return items.length ? group(label, items, indent) : [];
}

function compactBody(r: SocketReport, indent: string): string[] {
  const byLevel = r.options;
  if (!byLevel) return [];
  const lines: string[] = [];
  const valueOf = (n: OptionName): unknown => byLevel[options[n].level]?.[n];
  lines.push(...pickedGroup('timeouts', TIMEOUTS, byLevel, indent));
  lines.push(...pickedGroup('buffers', BUFFERS, byLevel, indent));
  const defaults = defaultsFor(r.family, r.type);
  if (defaults) {
    const names = changedOptions(byLevel, defaults, r.type, ALWAYS);
    if (names.length > 0) {
      // Pushed, not map()ped: map's result, empty for most sockets, had two array shapes
      // and deoptimized this function when the second turned up.
      const changed: string[] = [];
      for (const n of names) changed.push(`${show(n, valueOf(n))} (default ${formatOption(n, options[n].unit, defaults[n])})`);
      lines.push(...group('changed', changed, indent));
    }
  }
  return lines;
}

const tcpUnits = new Map(tcpInfoFields.map(([name, unit]) => [name as string, unit as string]));
// On a listener the kernel reuses two fields: unacked is the accept queue, sacked the backlog.
const LISTENER_NAMES: Record<string, string> = { unacked: 'acceptQueue', sacked: 'backlog' };
const HIDDEN_TCP_INFO = new Set(['stateCode', 'caStateCode', 'length']);

function tcpInfoItems(ti: TcpInfo, listener: boolean): string[] {
  const items = [`length ${ti.length} B`];
  for (const [k, v] of Object.entries(ti)) {
    if (HIDDEN_TCP_INFO.has(k)) continue;
    const name = listener ? (LISTENER_NAMES[k] ?? k) : k;
    const unit = listener && k in LISTENER_NAMES ? 'count' : tcpUnits.get(k);
    const text = k === 'sndSsthresh' && v === null ? 'infinite' : formatTcpInfoField(unit, v);
    items.push(`${name} ${text}`);
  }
  return items;
}

/** Every TCP_INFO field of the report, with units, as one wrapped group ('' when there is none). */
export function formatTcpInfo(r: SocketReport, indent = '  '): string {
  return r.tcpInfo ? group('TCP_INFO', tcpInfoItems(r.tcpInfo, r.state === 'LISTEN'), indent).join('\n') : '';
}

function fullBody(r: SocketReport, indent: string): string[] {
  const lines: string[] = [];
  for (const [level, values] of Object.entries(r.options ?? {})) {
    const items = Object.entries(values ?? {}).map(([n, v]) => show(n as OptionName, v));
    if (items.length) lines.push(...group(level, items, indent)); // a level with nothing readable is left out
  }
  if (r.tcpInfo) lines.push(formatTcpInfo(r, indent));
  if (r.kernel) lines.push(...group('kernel', kernelItems(r.kernel), indent));
  const refused = (r.skipped ?? []).filter((s) => !foreignLevel(r, s.option));
  if (refused.length) lines.push(...group('refused', refused.map((s) => `${s.option} ${s.code}`), indent));
  return lines;
}

// The socket table's view (ss -e -m -o), each value escaped where it is text.
function kernelItems(k: KernelView): string[] {
  const items = [`source ${k.source}`];
  if (k.uid !== undefined) items.push(`uid ${k.uid}`);
  if (k.cookie !== undefined) items.push(`cookie ${k.cookie}`);
  if (k.cgroupId !== undefined) items.push(`cgroup ${k.cgroup !== undefined ? escapeText(k.cgroup) : `id ${k.cgroupId}`}`);
  if (k.timer) items.push(`timer ${k.timer.name} ${formatDuration(k.timer.expiresMs, 'ms')} retransmits ${k.timer.retransmits}`);
  if (k.skmem) items.push(`skmem ${Object.entries(k.skmem).map(([n, v]) => `${n} ${v}`).join(' ')}`);
  if (k.congestion !== undefined) items.push(`congestion ${escapeText(k.congestion)}`);
  if (k.bbr) items.push(`bbr bw ${k.bbr.bw} B/s minRtt ${k.bbr.minRtt} µs pacingGain ${k.bbr.pacingGain} cwndGain ${k.bbr.cwndGain}`);
  if (k.sendRate !== undefined) items.push(`send ${k.sendRate} B/s`);
  for (const n of ['shutdown', 'tos', 'tclass', 'classId', 'mark', 'ifindex', 'peerInode', 'pendingConnections'] as const) if (k[n] !== undefined) items.push(`${n} ${k[n]}`);
  if (k.v6only !== undefined) items.push(`v6only ${k.v6only ? 'on' : 'off'}`);
  if (k.vfs) items.push(`vfs dev ${k.vfs.dev} inode ${k.vfs.inode}`);
  return items;
}

// A refusal that only says the option belongs to another protocol (TCP options on
// UDP, IPv6 options on IPv4) is noise in the text view; the data keeps it.
function foreignLevel(r: SocketReport, option: string): boolean {
  const level = options[option as OptionName]?.level;
  if (level === 'IPPROTO_TCP') return r.kind !== 'tcp' && r.kind !== 'mptcp';
  if (level === 'IPPROTO_IPV6') return r.family !== 'IPv6';
  if (level === 'IPPROTO_IP') return r.family !== 'IPv4' && r.family !== 'IPv6';
  return false;
}

/** Options of formatSocket. */
export interface FormatOptions {
  /** Every option and TCP_INFO field instead of the compact selection. */
  all?: boolean;
  /** Prefix of the header line (e.g. 'fd 12  '). */
  prefix?: string;
  /** Indent of the lines under the header. */
  indent?: string;
}

/**
 * A socket as text: the header line, then (compact) the timeout and buffer options
 * and the options that differ from a fresh socket's, or (`all`) everything.
 */
export function formatSocket(r: SocketReport, opts: FormatOptions = {}): string {
  if (r === null || typeof r !== 'object') throw invalidArgType('report', 'a SocketReport (from describeSocket())', r);
  if (opts === null || typeof opts !== 'object') throw invalidArgType('options', 'an object { all, indent, prefix }', opts);
  const indent = opts.indent ?? '  ';
  try {
    const body = opts.all ? fullBody(r, indent) : compactBody(r, indent);
    let text = `${opts.prefix ?? ''}${formatHeader(r)}`;
    for (let i = 0; i < body.length; i++) text += `\n${body[i]}`;
    return text;
  } catch (err) {
    // A hand-made object missing a report's parts: say so with a code rather than a bare TypeError.
    if (err instanceof TypeError && !('code' in err)) throw invalidArgValue('report', 'is not a SocketReport (make it with describeSocket())');
    throw err;
  }
}

