// Looking at a live socket: TCP_INFO, the pending error, and a snapshot of
// every readable option, read with as few crossings into native code as possible.
import { jsonSafe } from '../kernel/json';
import { binding, type SocketAddress } from '../kernel/binding';
import { errnoCode, fromNative, kernelError, pendingError, unsupported, type SockoptSystemError } from '../kernel/errors';
import { resolveFd, type SocketLike } from '../node/fd';
import { optionNames, options, table } from '../core/options';
import type { Level, OptionName } from '../kernel/registry';
import { hasTcpInfo, readTcpInfo, wantsBigint, type TcpInfo, type TcpInfoOptionsArg } from '../kernel/tcp-info';

/**
 * Reads and decodes TCP_INFO (Linux; on macOS TCP_CONNECTION_INFO, units converted: see decodeTcpConnectionInfo).
 * Fields the kernel did not return are absent.
 * @throws like getsockopt; on a non-TCP socket the kernel's code (Linux 6.x: 'ENOTSUP'/EOPNOTSUPP for UDP).
 */
export function getTcpInfo(socket: SocketLike, options?: { bigint?: false }): TcpInfo<number>;
export function getTcpInfo(socket: SocketLike, options: { bigint: true }): TcpInfo<bigint>;
export function getTcpInfo(socket: SocketLike, options?: TcpInfoOptionsArg): TcpInfo<number | bigint> {
  if (!hasTcpInfo) throw unsupported('TCP_INFO', ['linux', 'darwin']);
  const bigint = wantsBigint(options);
  const fd = resolveFd(socket);
  try {
    return readTcpInfo(fd, bigint);
  } catch (err) {
    throw fromNative(err, 'TCP_INFO', 'IPPROTO_TCP');
  }
}

/**
 * Reads and clears the socket's pending error (SO_ERROR): an Error with `code`
 * (e.g. 'ECONNREFUSED', 'ETIMEDOUT'), negative `errno`, `syscall`, `option`, `level` — or null.
 */
export function takeError(socket: SocketLike): SockoptSystemError | null {
  const fd = resolveFd(socket);
  let errno: number;
  try {
    errno = binding.getInt(fd, binding.constants.SOL_SOCKET!, binding.constants.SO_ERROR!);
  } catch (err) {
    throw fromNative(err, 'SO_ERROR', 'SOL_SOCKET');
  }
  return errno === 0 ? null : pendingError(errno);
}

/** T as JSON.stringify writes it: every bigint as its decimal string. */
export type Jsonified<T> = T extends bigint
  ? string
  : T extends (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

/**
 * What snapshot() returns: plain data, safe to log. 64-bit values (SO_COOKIE) are
 * bigints in the object; `JSON.stringify(snapshot(sock))` writes them as decimal strings
 * (through `toJSON`), so the JSON parses back without loss.
 */
export interface Snapshot {
  fd: number;
  /** 'IPv4', 'IPv6', 'unix', or the AF_ number. */
  family: string | number | null;
  /** 'stream', 'dgram', or the SOCK_ number. */
  type: string | number | null;
  /** 'tcp', 'udp', 'mptcp', or the IPPROTO_ number (0 for unix sockets). */
  protocol: string | number | null;
  /** The socket's own address (netlink: its port id, 0 before it is bound); null when the kernel gives none. */
  local: SocketAddress | null;
  /** The peer's address; null when there is none (a netlink socket of no peer port and no group included). */
  remote: SocketAddress | null;
  /** Readable options by level; absent ones are in `skipped`. */
  options: Partial<Record<Level, Partial<Record<OptionName, unknown>>>>;
  /** TCP_INFO, for TCP and MPTCP sockets on Linux. */
  tcpInfo?: TcpInfo;
  /** Options the kernel refused for this socket, with its code (e.g. IPv6 options on an IPv4 socket). */
  skipped: { option: OptionName; code: string }[];
  /** The JSON form: the same data with every bigint as its decimal string. */
  toJSON(): SnapshotJSON;
}

/** JSON.parse(JSON.stringify(snapshot(sock))): 64-bit values as decimal strings. */
export type SnapshotJSON = Jsonified<Omit<Snapshot, 'toJSON'>>;


// The data lives in own properties; toJSON on the prototype keeps it out of
// Object.keys, console.log and equality checks.
class SocketSnapshot implements Snapshot {
  fd: number;
  family: string | number | null;
  type: string | number | null;
  protocol: string | number | null;
  local: SocketAddress | null;
  remote: SocketAddress | null;
  options: Snapshot['options'];
  skipped: Snapshot['skipped'];
  declare tcpInfo?: TcpInfo; // set only for TCP and MPTCP sockets

  constructor(fd: number, family: string | number | null, type: string | number | null, protocol: string | number | null, options: Snapshot['options'], skipped: Snapshot['skipped']) {
    this.fd = fd;
    this.family = family;
    this.type = type;
    this.protocol = protocol;
    this.local = null;
    this.remote = null;
    this.options = options;
    this.skipped = skipped;
  }

  toJSON(): SnapshotJSON {
    return jsonSafe({ ...this }) as SnapshotJSON;
  }
}

// SO_ERROR is left out: reading it clears the error (use takeError), and TCP_INFO has its own field.
const EXCLUDED = new Set<string>(['SO_ERROR', 'TCP_INFO']);
const readable = optionNames.filter((n) => options[n].supported && options[n].readable && !EXCLUDED.has(n));
const INT_KINDS = new Set(['int', 'uint', 'bool']);
// Prepared at load: every option but the two kinds below goes to the kernel in one native call
// (readOptions), the int-sized ones first, in registry order, then the others.
// SO_PEERCRED (a struct, unix sockets only) and interface names (a string or, when not
// UTF-8, a Buffer) are read through their own getters.
const SEPARATE = new Set(['ucred', 'ifname']);
const batched = [
  ...readable.filter((n) => INT_KINDS.has(options[n].kind)),
  ...readable.filter((n) => !INT_KINDS.has(options[n].kind) && !SEPARATE.has(options[n].kind)),
];
const separate = readable.filter((n) => SEPARATE.has(options[n].kind));
const separateGet = separate.map((n) => table[n]!.get!);
// readOptions' value kinds (native/inspect.cc), and how each slot becomes the option's type.
const NATIVE_KIND: Partial<Record<string, number>> = { timeval: 1, linger: 2, string: 3, u64: 4 };
const INT = 0;
const BOOL = 1;
const UINT = 2;
const MS = 3; // timeval: ms, 0 = null
const SECONDS = 4; // linger: NaN = null
const STRING = 5;
const WIDE = 6;
const CONVERT: Record<string, number> = { int: INT, bool: BOOL, uint: UINT, timeval: MS, linger: SECONDS, string: STRING, u64: WIDE };
const specs = new Int32Array(batched.flatMap((n) => [options[n].levelNumber!, options[n].optname!, NATIVE_KIND[options[n].kind] ?? 0]));
const nums = new Float64Array(batched.length);
const errs = new Int32Array(batched.length);
const wide = new BigUint64Array(batched.length);
const wideWords = new Int32Array(wide.buffer);
// Per slot, looked up once here rather than by name on every call (keyed lookups into
// the registry, three per option, were a large part of a snapshot: docs/performance.md).
const batchedKind = Uint8Array.from(batched, (n) => CONVERT[options[n].kind]!);
// Slot → index of its value among the strings readOptions returns (-1: not a string).
let strings = 0;
const stringIndex = Int32Array.from(batched, (n) => (options[n].kind === 'string' ? strings++ : -1));
const ADDRESS_TEXT = strings; // the local address text follows the strings, then the peer's
const DOMAIN_SLOT = batched.indexOf('SO_DOMAIN'); // -1 where the platform lacks SO_DOMAIN

// The per-level objects are built from templates: an object that gets its 20-odd
// properties one keyed store at a time turns into a slow dictionary (V8), and building
// those was most of a snapshot's own cost (dictionary inserts and megamorphic stores;
// docs/performance.md). A template per level and per set of options
// the kernel answered is made once (JSON.parse gives a fast object with all the keys, in
// slot order), each snapshot copies it with a spread and stores into existing fields.
// The separately read options of a level (SO_BINDTODEVICE, SO_PEERCRED) are in its
// templates too: adding a property to a spread copy cost V8 a 4.6 kB allocation per
// object that outlived scavenges until a full GC, most of what `sockopt inspect PID`
// piled up per socket (docs/inspect.md).
interface LevelPlan {
  readonly level: Level;
  readonly slots: readonly number[];
  /** Indexes into `separate`. */
  readonly separate: readonly number[];
  readonly templates: Map<number, object>;
}
const MAX_TEMPLATES = 32; // per level; sockets of every family and type need a handful
const levelPlans: LevelPlan[] = [];
for (let i = 0; i < batched.length; i++) {
  const level = options[batched[i]!].level;
  let plan = levelPlans.find((p) => p.level === level);
  if (!plan) levelPlans.push((plan = { level, slots: [], separate: [], templates: new Map() }));
  (plan.slots as number[]).push(i);
}
for (let j = 0; j < separate.length; j++) (levelPlans.find((p) => p.level === options[separate[j]!].level)?.separate as number[] | undefined)?.push(j);
// A key per combination of answered options: one bit per option while they fit a double's 53.
for (const p of levelPlans) if (p.slots.length + p.separate.length > 52) throw new Error(`sockopt: ${p.level} has more than 52 readable options`);

// A separate option's answer: null when not asked (SO_PEERCRED off unix sockets), PLACED
// once its value is in its level's object.
const PLACED = { code: 'placed' } as const;
type SeparateAnswer = Answer | typeof PLACED | null;
const answered = (a: SeparateAnswer): a is { value: unknown } => a !== null && a.code === undefined;

function template(plan: LevelPlan, key: number, answers: readonly SeparateAnswer[]): object {
  const keys = [...plan.slots.filter((i) => errs[i] === 0).map((i) => batched[i]!), ...plan.separate.filter((j) => answered(answers[j]!)).map((j) => separate[j]!)];
  const t = JSON.parse(JSON.stringify(Object.fromEntries(keys.map((k) => [k, null])))) as Record<string, unknown>;
  // Each field holds numbers, booleans, strings, null or bigints across sockets: make its
  // representation general now, so a copy never changes shape when a value is stored.
  for (const k of Object.keys(t)) {
    t[k] = 0;
    t[k] = '';
  }
  if (plan.templates.size < MAX_TEMPLATES) plan.templates.set(key, t);
  return t;
}
// A slot a batch left unread because its view never shows it (duplicates.ts): neither an
// answer nor a refusal.
const OMITTED = binding.readDuplicatesLayout?.omitted.errno;
// Every socket answers SO_TYPE: when it fails, the fd is not an open socket.
const TYPE_SLOT = batched.indexOf('SO_TYPE');

const C = binding.constants;
const FAMILIES: Record<number, string> = { [C.AF_INET!]: 'IPv4', [C.AF_INET6!]: 'IPv6', [C.AF_UNIX!]: 'unix' };
const TYPES: Record<number, string> = { [C.SOCK_STREAM!]: 'stream', [C.SOCK_DGRAM!]: 'dgram' };
const PROTOCOLS: Record<number, string> = { [C.IPPROTO_TCP!]: 'tcp', [C.IPPROTO_UDP!]: 'udp' };
if (C.IPPROTO_MPTCP !== undefined) PROTOCOLS[C.IPPROTO_MPTCP] = 'mptcp';
if (C.IPPROTO_UDPLITE !== undefined) PROTOCOLS[C.IPPROTO_UDPLITE] = 'udplite';
const INET_FAMILIES = new Set([C.AF_INET, C.AF_INET6]);
// The socket type each named protocol comes with.
const PROTOCOL_TYPE: Record<number, number> = { [C.IPPROTO_TCP!]: C.SOCK_STREAM!, [C.IPPROTO_UDP!]: C.SOCK_DGRAM! };
if (C.IPPROTO_MPTCP !== undefined) PROTOCOL_TYPE[C.IPPROTO_MPTCP] = C.SOCK_STREAM!;
if (C.IPPROTO_UDPLITE !== undefined) PROTOCOL_TYPE[C.IPPROTO_UDPLITE] = C.SOCK_DGRAM!;
// The protocols whose sockets answer TCP_INFO (MPTCP: its first subflow's).
const TCP_INFO_PROTOCOLS = new Set([C.IPPROTO_TCP, C.IPPROTO_MPTCP].filter((p) => p !== undefined));

function named(map: Record<number, string>, v: unknown): string | number | null {
  return typeof v === 'number' ? (map[v] ?? v) : null;
}

/** A separate option's or TCP_INFO's answer: its value, or the code the kernel refused it with. */
export type Answer<T = unknown> = { value: T; code?: undefined } | { code: string };

/**
 * What readOptions does not give a snapshot: the separately read options (SO_PEERCRED,
 * SO_BINDTODEVICE; index into `separate`) and TCP_INFO. snapshot() asks the socket;
 * a packed read of another process's sockets (duplicates.ts) has the answers already.
 */
export interface Extras {
  separate(i: number): Answer;
  tcpInfo(): Answer<TcpInfo>;
}

// A coded kernel refusal as an answer; anything else is thrown on.
function refused(err: unknown): { code: string } {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || typeof (err as { errno?: unknown }).errno !== 'number') throw err;
  return { code };
}

/**
 * Every option readable on this socket, its TCP_INFO, family/type/protocol and addresses.
 * @throws like getsockopt; an fd that is not an open socket (0, a file, a closed number)
 *   throws the kernel's `ENOTSOCK` or `EBADF` rather than listing every option as skipped.
 */
export function snapshot(socket: SocketLike): Snapshot {
  const fd = resolveFd(socket);
  const texts = binding.readOptions(fd, specs, nums, errs, wide, names);
  return decodeSnapshot(fd, texts, {
    separate(i) {
      try {
        return { value: separateGet[i]!(fd) };
      } catch (err) {
        return refused(err);
      }
    },
    tcpInfo() {
      try {
        return { value: readTcpInfo(fd, false) as TcpInfo };
      } catch (err) {
        return refused(err);
      }
    },
  });
}

/**
 * The snapshot of what readOptions left in `slots` (nums, errs, wide, names: fill them
 * with `optionTable.fill` first when the values come from elsewhere) and `texts` (the string
 * options in slot order, then the local and the peer address).
 */
export function decodeSnapshot(fd: number, texts: readonly string[], extras: Extras): Snapshot {
  const byLevel: Record<string, Record<string, unknown>> = {};
  const skipped: Snapshot['skipped'] = [];
  const typeErrno = errs[TYPE_SLOT]!;
  if (typeErrno !== 0) throw kernelError(typeErrno, 'getsockopt', 'SO_TYPE', 'SOL_SOCKET');
  const unix = DOMAIN_SLOT >= 0 && errs[DOMAIN_SLOT] === 0 && nums[DOMAIN_SLOT] === C.AF_UNIX;
  // SO_PEERCRED is meaningful on unix-domain sockets only.
  // Pushed, not map()ped: map's holey result array, met after the function was optimized,
  // deoptimized it (a recompile of one of the largest functions of a run).
  const answers: SeparateAnswer[] = [];
  for (let i = 0; i < separate.length; i++) answers.push(separate[i] === 'SO_PEERCRED' && !unix ? null : extras.separate(i));
  // The strings come in slot order; slot i's is texts[stringIndex[i]].
  for (const plan of levelPlans) {
    let key = 0;
    for (const i of plan.slots) key = key * 2 + (errs[i] === 0 ? 1 : 0);
    if (key === 0) continue; // no option of this level answered: the level is absent
    for (const j of plan.separate) key = key * 2 + (answered(answers[j]!) ? 1 : 0);
    const obj = { ...(plan.templates.get(key) ?? template(plan, key, answers)) } as Record<string, unknown>;
    for (const i of plan.slots) {
      if (errs[i] !== 0) continue;
      const v = nums[i]!;
      const kind = batchedKind[i];
      obj[batched[i]!] =
        kind === INT ? v
        : kind === BOOL ? v !== 0
        : kind === UINT ? v >>> 0
        : kind === MS ? v || null
        : kind === SECONDS ? (Number.isNaN(v) ? null : v)
        : kind === STRING ? texts[stringIndex[i]!]
        : wide[i];
    }
    for (const j of plan.separate) {
      const a = answers[j]!;
      if (!answered(a)) continue;
      obj[separate[j]!] = a.value;
      answers[j] = PLACED;
    }
    byLevel[plan.level] = obj;
  }
  for (let i = 0; i < batched.length; i++) {
    if (errs[i] !== 0 && errs[i] !== OMITTED) skipped.push({ option: batched[i]!, code: errnoCode(errs[i]!) });
  }
  for (let i = 0; i < separate.length; i++) {
    const name = separate[i]!;
    const answer = answers[i]!;
    if (answer === null || answer === PLACED) continue;
    // A level none of whose batched options answered has no object yet.
    if (answer.code === undefined) (byLevel[options[name].level] ??= {})[name] = answer.value;
    else skipped.push({ option: name, code: answer.code });
  }
  const sol = byLevel.SOL_SOCKET ?? {};
  // IP protocol numbers name protocols in the inet families alone (netlink's 6 is XFRM),
  // and TCP or UDP only on a socket of its type (a raw socket of protocol 6 is raw).
  const known = INET_FAMILIES.has(sol.SO_DOMAIN as number) && PROTOCOL_TYPE[sol.SO_PROTOCOL as number] === sol.SO_TYPE;
  const snap = new SocketSnapshot(
    fd,
    named(FAMILIES, sol.SO_DOMAIN),
    named(TYPES, sol.SO_TYPE),
    named(known ? PROTOCOLS : {}, sol.SO_PROTOCOL),
    byLevel as Snapshot['options'],
    skipped,
  );
  snap.local = address(names[0]!, texts[ADDRESS_TEXT]!, names[1]!, names[2]!, false);
  snap.remote = address(names[3]!, texts[ADDRESS_TEXT + 1]!, names[4]!, names[5]!, true);
  if (hasTcpInfo && known && TCP_INFO_PROTOCOLS.has(sol.SO_PROTOCOL as number)) {
    const answer = extras.tcpInfo();
    if (answer.code === undefined) snap.tcpInfo = answer.value;
    else skipped.push({ option: 'TCP_INFO', code: answer.code });
  }
  return snap;
}

const names = new Int32Array(6); // [family, port, errno] for the local, then the peer address

// null when the kernel has none to give (ENOTCONN, say): addresses are informative only.
function address(family: number, text: string, port: number, errno: number, peer: boolean): SocketAddress | null {
  if (errno !== 0) return null;
  if (family === C.AF_INET) return { family: 'IPv4', address: text, port };
  if (family === C.AF_INET6) return { family: 'IPv6', address: text, port };
  if (family === C.AF_UNIX) return { family: 'unix', path: text };
  if (family === C.AF_NETLINK) return netlinkAddress(port >>> 0, Number(text) >>> 0, peer);
  return { family };
}

// A netlink address as sock_diag's rows give it: the port id, and a peer's group (the
// number, where getpeername gives its mask). A peer of port 0 and no group is none: every
// netlink socket answers getpeername, connected or not.
function netlinkAddress(portid: number, mask: number, peer: boolean): SocketAddress | null {
  if (!peer) return { family: 'netlink', portid };
  if (portid === 0 && mask === 0) return null;
  return mask === 0 ? { family: 'netlink', portid } : { family: 'netlink', portid, group: 32 - Math.clz32(mask) };
}

/**
 * The option table snapshot() reads, for readers of many sockets at once (duplicates.ts):
 * the readOptions specs, the separate options by name and kind, and `fill`, which puts
 * one socket's slot values where decodeSnapshot() reads them.
 */
export const optionTable = {
  specs: specs as Readonly<Int32Array>,
  slots: batched.length,
  /** The option of each slot of `specs`. */
  names: batched as readonly OptionName[],
  separate: separate.map((n) => ({ name: n, kind: options[n].kind, level: options[n].levelNumber!, optname: options[n].optname! })),
  /**
   * Row values from a batch's arrays, read in place (no view made per socket): slots from
   * `at` (`rowWideWords`: the 64-bit slots' BigUint64Array seen as 32-bit words), the local and the peer address ([family, port, errno]) from `local` and `peer` of `meta`.
   */
  fill(rowNums: Float64Array, rowErrs: Int32Array, rowWideWords: Int32Array, at: number, meta: Int32Array, local: number, peer: number): void {
    for (let i = 0; i < batched.length; i++) {
      nums[i] = rowNums[at + i]!;
      errs[i] = rowErrs[at + i]!;
    }
    // The 64-bit values as 32-bit words: reading them as bigints would make one per slot.
    for (let w = 0; w < 2 * batched.length; w++) wideWords[w] = rowWideWords[2 * at + w]!;
    for (let k = 0; k < 3; k++) {
      names[k] = meta[local + k]!;
      names[3 + k] = meta[peer + k]!;
    }
  },
};
