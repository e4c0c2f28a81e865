// The socket tables of a process's network namespace, by inode: what `ss -tiepm`
// reads. From the kernel's sock_diag netlink interface (native/sockdiag_linux.cc:
// binary records, so nothing a socket's owner writes into a name can forge a row),
// and only where netlink is unavailable (no NETLINK_SOCK_DIAG, or the target lives in
// another network namespace this process may not enter) from /proc/PID/net text,
// parsed by fixed fields, a row believed only when the fd's kernel protocol name
// (system.sockprotoname) confirms its kind and no other row claims it (pid-proc.ts).
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { binding } from '../kernel/binding';
import { exactText, type ExactText } from '../kernel/text';
import { decodeTcpInfo } from '../kernel/tcp-info';
import { canReadInetRecords, inetFactsAt, inetRecordAt, type InetFacts, type InetRecord } from '../kernel/inet-diag';
import { procSockets } from './pid-proc';
import { DIAG_RECORD, TCP_STATES, TYPE_NAMES, type KernelView, type Skmem, type SocketKind, type TableSocket } from './table-types';

export type { KernelView, ReportAddress, Skmem, SocketKind, TableSocket } from './table-types';

const TIMERS = ['unknown', 'on', 'keepalive', 'timewait', 'persist'] as const;
const C = binding.constants;

interface UnixRecord {
  type: number; state: number; inode: number; cookie: bigint; name?: Buffer; peer?: number; vfsInode?: number; vfsDev?: number;
  rqueue?: number; wqueue?: number; pending?: number; skmem?: Skmem; shutdown?: number; uid?: number;
}
interface NetlinkRecord { type: number; protocol: number; state: number; portid: number; dstPortid: number; dstGroup: number; inode: number; cookie: bigint; skmem?: Skmem }
interface PacketRecord { type: number; protocol: number; inode: number; cookie: bigint; ifindex?: number; uid?: number; skmem?: Skmem }

const KIND = { inet: 0, unix: 1, netlink: 2, packet: 3 } as const;
const NO_INFO = 1; // diagDump flag: leave INET_DIAG_INFO out
const TCP_LISTEN = TCP_STATES.indexOf('LISTEN');
const PACKED = 2; // diagDump flag: the messages packed in one buffer, a record made from one when asked for
const BY_ID = 4; // diagDump flag (with PACKED): a connected TCP socket's index entry only, its record asked for by diagExact once its own reads give its id
// The state bit of such an entry; its offset is then the socket's interface (idiag_if).
const BY_ID_STATE = 0x100;
// Ranges of records asked for by id (fetch) kept at once: more than the batches in
// flight (pid-read.ts) and the one being written.
const FETCHED_KEPT = 8;
// Bytes of room per record asked for without TCP_INFO (~220 with skmem, congestion and BBR).
const RECORD_ROOM = 512;
const L = binding.diagInetLayout;
// The kinds one table holds: an fd's kernel protocol name of one of these says where its row is.
const TABLE_KINDS: ReadonlySet<SocketKind> = new Set(['unix', 'tcp', 'mptcp', 'udp', 'raw', 'netlink', 'packet']);

/** A unix name's exact bytes as a path: '' unnamed, '\0name' abstract (trailing NUL padding trimmed), else up to the first NUL. */
export function unixPath(name: Buffer | undefined): ExactText {
  if (!name || name.length === 0) return '';
  let bytes: Buffer;
  if (name[0] === 0) {
    let n = name.length;
    while (n > 1 && name[n - 1] === 0) n--;
    bytes = name.subarray(0, n);
  } else {
    const nul = name.indexOf(0);
    bytes = nul < 0 ? name : name.subarray(0, nul);
  }
  return exactText(bytes);
}

function cgroupPath(pid: number, id: bigint, cache: Map<bigint, string | null>): string | undefined {
  if (!cache.has(id)) {
    // The socket's cgroup is the one its creator ran in: usually the process's own (cgroup v2: '0::/path').
    let found: string | null = null;
    try {
      const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
      const path = line?.slice(3);
      if (path !== undefined && BigInt(statSync(`/sys/fs/cgroup${path}`).ino) === id) found = path;
    } catch (err) {
      // No cgroup v2, or not ours to read: the id stays, the path is left out. Out of fds
      // for a moment: asked again for the next socket, not taken as the answer.
      const code = (err as { code?: string }).code;
      if (code === 'EMFILE' || code === 'ENFILE') return undefined;
    }
    cache.set(id, found);
  }
  return cache.get(id) ?? undefined;
}

// lean: TCP_INFO is about to be read from the socket itself; only what the header needs is decoded.
function inetSocket(r: InetRecord, protocol: 'tcp' | 'mptcp' | 'udp' | 'raw', pid: number, cgroups: Map<bigint, string | null>, lean = false): TableSocket {
  const family = r.family === C.AF_INET6 ? 'IPv6' : 'IPv4';
  const tcp = protocol === 'tcp' || protocol === 'mptcp';
  const stateName = TCP_STATES[r.state] ?? `state ${r.state}`;
  const state = tcp ? stateName : stateName === 'ESTABLISHED' ? 'CONNECTED' : 'UNCONNECTED';
  const listening = tcp && state === 'LISTEN';
  const unconnected = r.dport === 0 && (r.dst === '0.0.0.0' || r.dst === '::');
  const kernel: KernelView = { source: 'sock_diag', uid: r.uid, cookie: r.cookie.toString() };
  if (r.cgroupId !== undefined) {
    kernel.cgroupId = r.cgroupId.toString();
    const path = cgroupPath(pid, r.cgroupId, cgroups);
    if (path !== undefined) kernel.cgroup = path;
  }
  if (r.timer > 0) kernel.timer = { name: TIMERS[r.timer] ?? 'unknown', expiresMs: r.expires, retransmits: r.retrans };
  if (r.skmem) kernel.skmem = r.skmem;
  if (r.cong) kernel.congestion = r.cong;
  if (r.bbr) kernel.bbr = r.bbr;
  // One by one, not by a loop over their names: named stores, no array per socket.
  if (r.shutdown !== undefined) kernel.shutdown = r.shutdown;
  if (r.tos !== undefined) kernel.tos = r.tos;
  if (r.tclass !== undefined) kernel.tclass = r.tclass;
  if (r.classId !== undefined) kernel.classId = r.classId;
  if (r.mark !== undefined) kernel.mark = r.mark;
  if (r.v6only !== undefined) kernel.v6only = r.v6only;
  kernel.ifindex = r.ifindex;
  const s: TableSocket = {
    inode: r.inode,
    kind: protocol,
    family,
    type: tcp ? 'stream' : protocol === 'udp' ? 'dgram' : 'raw',
    state,
    local: { family, address: r.src, port: r.sport },
    remote: unconnected ? null : { family, address: r.dst, port: r.dport },
    recvQueue: listening ? null : r.rqueue,
    sendQueue: listening ? null : r.wqueue,
    kernel,
  };
  if (listening) {
    s.acceptQueue = r.rqueue;
    s.backlog = r.wqueue;
  }
  if (protocol === 'raw') s.protocol = r.sport; // a raw socket's "port" is its IP protocol
  if (protocol === 'tcp' || protocol === 'udp') Object.defineProperty(s, DIAG_RECORD, { value: r });
  if (protocol === 'tcp' && r.info && r.info.length > 0) { // MPTCP's INET_DIAG_INFO is an mptcp_info, not a tcp_info
    const ti = decodeTcpInfo(r.info);
    if (!lean) s.tcpInfo = ti;
    const rate = sendRate(ti);
    if (rate !== undefined) kernel.sendRate = rate;
  }
  return s;
}

/** ss -i's `send`: cwnd × mss per rtt, in bytes/s. */
export function sendRate(ti: { rtt?: number; sndCwnd?: number; sndMss?: number }): number | undefined {
  return ti.rtt && ti.sndCwnd !== undefined && ti.sndMss !== undefined ? Math.round((ti.sndCwnd * ti.sndMss * 1e6) / ti.rtt) : undefined;
}

const UNIX_STATES: Record<string, string> = { LISTEN: 'LISTEN', ESTABLISHED: 'CONNECTED', SYN_SENT: 'CONNECTING', CLOSE: 'UNCONNECTED' };

function unixSockets(records: UnixRecord[], out: Map<number, TableSocket | (() => TableSocket)>, names?: Map<number, ExactText>): void {
  const byInode = names ?? new Map(records.map((r) => [r.inode, unixPath(r.name)]));
  for (const r of records) {
    const tcpState = TCP_STATES[r.state] ?? `state ${r.state}`;
    const state = UNIX_STATES[tcpState] ?? tcpState;
    const listening = state === 'LISTEN';
    const kernel: KernelView = { source: 'sock_diag', cookie: r.cookie.toString() };
    if (r.uid !== undefined) kernel.uid = r.uid;
    if (r.skmem) kernel.skmem = r.skmem;
    if (r.shutdown !== undefined) kernel.shutdown = r.shutdown;
    if (r.peer) kernel.peerInode = r.peer;
    if (r.vfsInode !== undefined) kernel.vfs = { dev: r.vfsDev!, inode: r.vfsInode };
    if (r.pending !== undefined && listening) kernel.pendingConnections = r.pending;
    // The peer's name, from its own record (a socket of another namespace or already gone: unnamed).
    const peerName = r.peer ? (byInode.get(r.peer) ?? '') : null;
    const s: TableSocket = {
      inode: r.inode,
      kind: 'unix',
      family: 'unix',
      type: TYPE_NAMES[r.type] ?? null,
      state,
      local: { family: 'unix', path: unixPath(r.name) },
      remote: peerName === null ? null : { family: 'unix', path: peerName },
      recvQueue: listening ? null : (r.rqueue ?? null),
      sendQueue: listening ? null : (r.wqueue ?? null),
      kernel,
    };
    if (listening && r.rqueue !== undefined) {
      s.acceptQueue = r.rqueue;
      s.backlog = r.wqueue;
    }
    out.set(r.inode, s);
  }
}

function netlinkSocket(r: NetlinkRecord): TableSocket {
  const connected = r.dstPortid !== 0 || r.dstGroup !== 0;
  return {
    inode: r.inode,
    kind: 'netlink',
    family: 'netlink',
    type: TYPE_NAMES[r.type] ?? null,
    state: r.state === 1 ? 'CONNECTED' : 'UNCONNECTED',
    local: { family: 'netlink', portid: r.portid },
    remote: connected ? { family: 'netlink', portid: r.dstPortid, ...(r.dstGroup ? { group: r.dstGroup } : {}) } : null,
    recvQueue: r.skmem?.rmemAlloc ?? null,
    sendQueue: r.skmem?.wmemAlloc ?? null,
    protocol: r.protocol,
    kernel: { source: 'sock_diag', cookie: r.cookie.toString(), ...(r.skmem ? { skmem: r.skmem } : {}) },
  };
}

function packetSocket(r: PacketRecord): TableSocket {
  return {
    inode: r.inode,
    kind: 'packet',
    family: 'packet',
    type: TYPE_NAMES[r.type] ?? null,
    state: 'UNCONNECTED',
    local: { family: 'packet', ifindex: r.ifindex ?? 0, protocol: r.protocol },
    remote: null,
    recvQueue: r.skmem?.rmemAlloc ?? null,
    sendQueue: r.skmem?.wmemAlloc ?? null,
    protocol: r.protocol,
    kernel: { source: 'sock_diag', cookie: r.cookie.toString(), ...(r.uid !== undefined ? { uid: r.uid } : {}), ...(r.skmem ? { skmem: r.skmem } : {}) },
  };
}

// A kind whose diag module the kernel lacks (raw_diag, packet_diag, netlink_diag not
// loaded and not loadable) answers ENOENT: no sockets of that kind can be listed this way.
function dump<T>(nl: number, what: number, family: number, protocol: number, inode: number | Uint32Array, flags = 0): T[] {
  try {
    return binding.diagDump!(nl, what, family, protocol, inode, flags) as T[];
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
}

// The same, packed: null where the kind's diag module is absent.
function dumpPacked(nl: number, what: number, family: number, protocol: number, inode: number | Uint32Array, flags: number): { bytes: Buffer; index: Uint32Array } | null {
  try {
    return binding.diagDump!(nl, what, family, protocol, inode, flags | PACKED) as unknown as { bytes: Buffer; index: Uint32Array };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
}

// Opens a sock_diag socket in the network namespace of `pid`: our own socket when it is
// ours, else one made inside theirs (needs CAP_SYS_ADMIN). null: use the /proc fallback.
function openDiag(pid: number): number | null {
  if (!binding.diagSocket || !binding.diagDump || !canReadInetRecords) return null;
  try {
    if (statSync('/proc/self/ns/net').ino === statSync(`/proc/${pid}/ns/net`).ino) return binding.diagSocket(-1);
    const ns = openSync(`/proc/${pid}/ns/net`, 'r');
    try {
      return binding.diagSocket(ns);
    } finally {
      closeSync(ns);
    }
  } catch {
    return null; // no NETLINK_SOCK_DIAG, or another namespace this process may not enter
  }
}

/**
 * The sockets of `pid`'s network namespace by inode; with `inodes` (the process's own),
 * only those are built (one alone is asked for by inode where the kernel allows it; else
 * the dump is filtered natively before any object is made). `kinds`: the kinds of those
 * sockets by their fds' kernel protocol names (kindOfFd): only the tables of these kinds
 * are asked (each dump walks the whole namespace's sockets of its kind). `byIdTcp`: a
 * connected TCP socket is held as its index entry alone, its record asked for by the id its
 * own read gives (SocketTable.fetch), for a read whose sockets' reads are about to come.
 */
export function socketTables(pid: number, inodes?: ArrayLike<number>, forceProc = false, lean = false, kinds?: ReadonlySet<SocketKind>, byIdTcp = false): SocketTable {
  const nl = forceProc ? null : openDiag(pid);
  if (inodes && inodes.length === 0) {
    // No socket of its own: no table is read (a dump walks the whole namespace's sockets).
    if (nl !== null) binding.close!(nl);
    return noRows(nl === null ? 'proc' : 'sock_diag', lean);
  }
  if (nl === null) {
    const rows = procSockets(pid);
    const table: SocketTable = {
      source: 'proc',
      lean,
      hasQueues: () => false,
      given: () => undefined,
      fetch: () => undefined,
      heldById: () => undefined,
      readsEnded: () => {
        table.lean = false;
      },
      close: () => undefined,
      // Believed only when the kernel's own name for the fd's protocol confirms the row's
      // kind and no other row of that kind claims the inode: a forged row is never taken.
      get(inode, kind) {
        const claims = (rows.get(inode) ?? []).filter((r) => r.kind === kind);
        return claims.length === 1 ? claims[0] : undefined;
      },
    };
    return table;
  }
  // The rows of netlink and packet sockets, and apart (they rank last) those of unix
  // sockets: every one of the namespace's, for the peer names.
  const out = new Map<number, TableSocket | (() => TableSocket)>();
  const unix = new Map<number, TableSocket | (() => TableSocket)>();
  // The inet dumps, packed: a socket's message found by binary search in its pack's index
  // (sorted by inode), so that 20k sockets cost no map or object of their own until written.
  const packs: InetPack[] = [];
  const cgroups = new Map<bigint, string | null>();
  const shared = new Set<number>(); // inodes more than one fd holds (dup): their rows are asked for more than once
  // Whether a TCP pack holds index entries only for its connected sockets (BY_ID): then the
  // sock_diag socket stays open for diagExact until close(); else it is closed once the dumps are made.
  let open = false;
  try {
    const wanted = inodes && inodes.length === 1 ? inodes[0]! : 0;
    // The process's own sockets only: records of the namespace's other sockets are never built.
    const only = wanted || (inodes ? Uint32Array.from(inodes).sort() : 0);
    if (only instanceof Uint32Array) for (let i = 1; i < only.length; i++) if (only[i] === only[i - 1]) shared.add(only[i]!);
    // One inode may be in two tables (numbers wrap; an MPTCP socket's TCP subflows carry
    // its inode): a hit in one never stops the others, and only the fd's kernel protocol
    // name, where known, narrows the asking to the one table of that kind.
    const askAll = kinds === undefined || [...kinds].some((k) => !TABLE_KINDS.has(k));
    const asks = (k: SocketKind) => askAll || kinds.has(k);
    // unix: one exact request when a single inode is wanted. Peer names need the
    // whole table (the peer's record), so a single socket with a peer asks for that one too.
    if (wanted && asks('unix')) {
      const one = dump<UnixRecord>(nl, KIND.unix, 0, 0, wanted);
      const peer = one[0]?.peer ? dump<UnixRecord>(nl, KIND.unix, 0, 0, one[0].peer) : [];
      unixSockets(one, unix, new Map([...one, ...peer].map((r) => [r.inode, unixPath(r.name)])));
    } else if (!wanted && asks('unix')) {
      // Every unix record: a peer's name is in the peer's record, which may be another process's.
      unixSockets(dump<UnixRecord>(nl, KIND.unix, 0, 0, 0), unix);
    }
    const inet: [number, 'tcp' | 'mptcp' | 'udp' | 'raw', number][] = [];
    for (const af of [C.AF_INET!, C.AF_INET6!]) {
      inet.push([af, 'tcp', C.IPPROTO_TCP!], [af, 'udp', C.IPPROTO_UDP!]);
      inet.push([af, 'raw', C.IPPROTO_RAW!]);
    }
    // MPTCP last: its TCP subflows carry its inode, and a later pack's row ranks above.
    if (C.IPPROTO_MPTCP !== undefined) for (const af of [C.AF_INET!, C.AF_INET6!]) inet.push([af, 'mptcp', C.IPPROTO_MPTCP]);
    for (const [af, protocol, proto] of inet) {
      if (!asks(protocol)) continue;
      // lean: no INET_DIAG_INFO (each socket's own TCP_INFO is read): 20k × 280 B less to hold.
      // Packed: the kernel's messages stay bytes until a row is asked for; 20k records as
      // objects held for the whole run were most of the command's memory.
      // byId: a connected TCP socket's record is asked for once its own reads give its id
      // (fetch), so that what is held for the whole run is its 12-byte index entry, not ~212.
      const byId = byIdTcp && protocol === 'tcp' && only instanceof Uint32Array && binding.diagExact !== undefined;
      const pack = dumpPacked(nl, KIND.inet, af, proto, only, (lean ? NO_INFO : 0) | (byId ? BY_ID : 0));
      if (!pack) continue;
      open ||= byId;
      packs.push(inetPack(pack, protocol, af, byId));
    }
    if (asks('netlink')) for (const r of dump<NetlinkRecord>(nl, KIND.netlink, 0, 0, only)) out.set(r.inode, netlinkSocket(r));
    if (asks('packet')) for (const r of dump<PacketRecord>(nl, KIND.packet, 0, 0, only)) out.set(r.inode, packetSocket(r));
  } catch (err) {
    binding.close!(nl);
    throw err;
  }
  if (!open) binding.close!(nl);
  // Records asked for by id (fetch), newest last, a pack each. Lean
  // (no TCP_INFO), a range's records are written into one of FETCHED_KEPT buffers used in
  // turn, so that asking batch after batch allocates nothing: the one it takes is the one
  // whose range was let go.
  const fetched: InetPack[] = [];
  const buffers: Buffer[] = [];
  let turn = 0;
  // The ids asked by, written as messages (fetch's `write`), and their offsets: kept for the next range.
  let asks = Buffer.alloc(0);
  const askOffsets: number[] = [];
  // Whether this kernel's records hold everything a read may take from them (InetPack.complete):
  // learnt from the first range asked for, as rows read with records may count on it.
  let byIdComplete: boolean | undefined;
  // Where `inode`'s inet message is: its pack and that pack's index entry; null for a row of `out` or none.
  // For one inode (numbers wrap on a long-running host: a unix socket of another process
  // may share it), a netlink or packet row ranks first, then inet (the later pack's: MPTCP
  // above TCP), then unix: the order in which one dump's rows replaced another's before.
  const inetAt = (inode: number): { pack: InetPack; at: number } | null => {
    if (out.has(inode)) return null;
    for (let p = packs.length - 1; p >= 0; p--) {
      const at = entryOf(packs[p]!, inode);
      if (at >= 0) return { pack: packs[p]!, at };
    }
    return null;
  };
  // The same, its whole record where the pack holds an index entry only: from the records
  // fetched by id; null where its id found it no more (closed, or reset: a closed socket is
  // in no hash), or it was not asked for.
  const recordAt = (inode: number): { pack: InetPack; at: number } | null => {
    const inet = inetAt(inode);
    if (!inet || !byIdAt(inet.pack, inet.at)) return inet;
    for (let f = fetched.length - 1; f >= 0; f--) {
      const at = entryOf(fetched[f]!, inode);
      if (at >= 0) return { pack: fetched[f]!, at };
    }
    return null;
  };
  let proc: Map<number, TableSocket[]> | undefined;
  const table: SocketTable = {
    source: 'sock_diag',
    lean,
    get(inode) {
      const inet = recordAt(inode);
      if (inet) return inetSocket(inetRecordAt(inet.pack.bytes, inet.pack.index[inet.at + 1]!, inet.pack.view), inet.pack.kind, pid, cgroups, table.lean);
      const row = out.get(inode) ?? unix.get(inode);
      // While options are read, each row is asked for once per fd, in fd order: let it go
      // then, unless another fd holds the same socket, so memory shrinks as the sockets are
      // written out (a process may hold 20k unix sockets).
      if (table.lean && !shared.has(inode)) {
        out.delete(inode);
        unix.delete(inode);
      }
      return typeof row === 'function' ? row() : row;
    },
    hasQueues(inode) {
      const inet = inetAt(inode);
      return inet !== null && inet.pack.kind === 'tcp' && inet.pack.index[inet.at + 2] !== TCP_LISTEN;
    },
    given(inode) {
      const inet = inetAt(inode);
      if (!inet) return undefined;
      const { pack } = inet;
      if (byIdAt(pack, inet.at)) {
        // Its record comes after its read, asked for by the id the read gives (its addresses,
        // read even so, and SO_COOKIE): given once a first range has shown this kernel's
        // records complete. What a record may lack (mark, class id, IPv6 attributes) is read.
        if (byIdComplete !== true) return undefined;
        return { family: pack.family, ifindex: pack.index[inet.at + 1]!, attrs: 1 << L!.CONG, classId: -1, protocol: C.IPPROTO_TCP!, byId: true };
      }
      // Never an MPTCP row (ranked above its subflows' TCP rows): its record is not a TCP socket's.
      if (!pack.complete || (pack.kind !== 'tcp' && pack.kind !== 'udp')) return undefined;
      const { family, ifindex, attrs, classId } = inetFactsAt(pack.bytes, pack.index[inet.at + 1]!, pack.view);
      return { family, ifindex, attrs, classId, protocol: pack.kind === 'tcp' ? C.IPPROTO_TCP! : C.IPPROTO_UDP! };
    },
    fetch(from, to, write) {
      if (!open || !inodes) return;
      const size = L!.attrs;
      if (asks.length < (to - from) * size) asks = Buffer.alloc((to - from) * size);
      askOffsets.length = 0;
      for (let i = from; i < to && i < inodes.length; i++) {
        const inet = inetAt(inodes[i]!);
        if (!inet || !byIdAt(inet.pack, inet.at)) continue;
        const at = askOffsets.length * size;
        if (write(i, inet.pack.family, inet.pack.index[inet.at + 1]!, asks, at)) askOffsets.push(at);
      }
      if (askOffsets.length === 0) return;
      const slot = turn++ % FETCHED_KEPT;
      const room = askOffsets.length * RECORD_ROOM;
      let into = buffers[slot];
      if (!into || into.length < room) into = buffers[slot] = Buffer.allocUnsafeSlow(room);
      const got = binding.diagExact!(nl, C.IPPROTO_TCP!, asks, Uint32Array.from(askOffsets), NO_INFO, into);
      const pack = inetPack({ bytes: got.bytes.subarray(0, got.used), index: got.index }, 'tcp', 0);
      if (fetched.length === FETCHED_KEPT) fetched.shift(); // before its buffer is written again
      fetched.push(pack);
      if (pack.index.length > 0) byIdComplete ??= pack.complete;
    },
    heldById(inode) {
      const inet = inetAt(inode);
      if (!inet || !byIdAt(inet.pack, inet.at) || recordAt(inode) !== null) return undefined;
      return { family: inet.pack.family === C.AF_INET6 ? 'IPv6' : 'IPv4', state: TCP_STATES[inet.pack.index[inet.at + 2]! & 0xff] ?? 'UNKNOWN' };
    },
    readsEnded() {
      table.lean = false;
      // The rows whose records were to come by the ids their reads give: dumped again, whole.
      if (!open || !inodes) return;
      const wanted = Uint32Array.from(inodes).sort();
      for (let p = 0; p < packs.length; p++) {
        const old = packs[p]!;
        if (!old.byId) continue;
        let whole: ReturnType<typeof dumpPacked> = null;
        try {
          whole = dumpPacked(nl, KIND.inet, old.family, C.IPPROTO_TCP!, wanted, 0);
        } catch {
          // the rows keep what their index entries say (heldById)
        }
        if (whole) packs[p] = inetPack(whole, 'tcp', old.family);
      }
    },
    close() {
      if (!open) return;
      open = false;
      binding.close!(nl);
    },
    fallback(inode, kind) {
      proc ??= procSockets(pid);
      const claims = (proc.get(inode) ?? []).filter((r) => r.kind === kind);
      return claims.length === 1 ? claims[0] : undefined;
    },
  };
  return table;
}

function noRows(source: SocketTable['source'], lean: boolean): SocketTable {
  const none = () => undefined;
  const table: SocketTable = {
    source, lean, get: none, hasQueues: () => false, given: none, fetch: none, heldById: none, close: none,
    readsEnded() {
      table.lean = false;
    },
  };
  return table;
}

// One inet dump, packed (diagDump flags 2): the kernel's messages and [inode, offset, state]* sorted by inode.
// complete: its records carry everything a read may take from them (skmem, TOS, the IP flags of Linux >= 5.10).
// byId: it holds connected TCP sockets as index entries alone (BY_ID).
interface InetPack { bytes: Buffer; index: Uint32Array; view: DataView; kind: 'tcp' | 'mptcp' | 'udp' | 'raw'; family: number; complete: boolean; byId: boolean }

function inetPack(pack: { bytes: Buffer; index: Uint32Array }, kind: InetPack['kind'], family: number, byId = false): InetPack {
  const view = new DataView(pack.bytes.buffer, pack.bytes.byteOffset, pack.bytes.byteLength);
  const p: InetPack = { bytes: pack.bytes, index: pack.index, view, kind, family, complete: false, byId };
  // Judged by its first whole record (an entry by id has none).
  for (let e = 0; e < pack.index.length; e += 3) {
    if (byIdAt(p, e)) continue;
    const r = inetRecordAt(pack.bytes, pack.index[e + 1]!, view);
    p.complete = r.skmem !== undefined && r.tos !== undefined && r.sockopt !== undefined;
    break;
  }
  return p;
}

// Whether index entry `e` is a connected TCP socket's entry alone (diagDump's BY_ID): no message.
function byIdAt(pack: InetPack, e: number): boolean {
  return (pack.index[e + 2]! & BY_ID_STATE) !== 0;
}

// The index (a multiple of 3) of `inode`'s entry in the pack's index, or -1. TIME_WAIT and
// request sockets (inode 0) are in the index too, and never asked for: no fd holds them.
function entryOf(pack: InetPack, inode: number): number {
  const ix = pack.index;
  let lo = 0;
  let hi = ix.length / 3 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = ix[mid * 3]!;
    if (v < inode) lo = mid + 1;
    else if (v > inode) hi = mid - 1;
    else return mid * 3;
  }
  return -1;
}

/**
 * What SocketTable.given() says of a row: its record's facts, and its protocol (IPPROTO_TCP
 * or IPPROTO_UDP). byId: the record comes after the read (SocketTable.fetch), asked for by the
 * id the read gives, so its addresses are read even so.
 */
export type RecordFacts = InetFacts & { protocol: number; byId?: boolean };

/** A socket table: one row per inode, built when asked for. */
export interface SocketTable {
  source: 'sock_diag' | 'proc';
  /** Leave TCP_INFO out of the rows (it is about to be read from each socket itself); set it false when that turns out refused. */
  lean: boolean;
  /** The row of `inode`; `kind` (from the fd's kernel protocol name) is required by the /proc fallback, which believes no row without it. */
  get(inode: number, kind?: SocketKind): TableSocket | undefined;
  /** Whether `inode`'s row, when asked for, is a TCP socket from sock_diag other than a listener: one whose byte queues it holds. */
  hasQueues(inode: number): boolean;
  /**
   * When `inode`'s row, when asked for, is a TCP (not MPTCP) or UDP socket from sock_diag
   * with everything DIAG_RECORD gives (duplicates.ts FROM_RECORD): its family, protocol,
   * bound interface and the attributes its record holds, so that its own read can leave out
   * its addresses and the options the record has. Else undefined.
   */
  given(inode: number): RecordFacts | undefined;
  /**
   * The rows at positions [from, to) of the inodes the table was made for, just read and
   * about to be asked for: where the table holds a connected TCP socket's index entry only,
   * its record is asked for now by the id `write` gives (the row's own reads: it writes
   * them as an inet message of `family` with interface `ifindex` into `into` at `at`, and
   * says whether it could), for this range at once (held until FETCHED_KEPT later ranges are).
   */
  fetch(from: number, to: number, write: (i: number, family: number, ifindex: number, into: Buffer, at: number) => boolean): void;
  /**
   * What the dump said of `inode` where its record was to come by id and has not (fetch
   * found none, or was not asked yet): a TCP socket of this family, in this state then.
   * undefined for every other row. Its read may lack what the record was to give.
   */
  heldById(inode: number): { family: 'IPv4' | 'IPv6'; state: string } | undefined;
  /** The sockets' own reads will not come (refused): TCP_INFO is kept in the rows from here, and rows held by id only are dumped again whole. */
  readsEnded(): void;
  /** Closes the sock_diag socket a table of id entries keeps for fetch; once, and a no-op for any other table. */
  close(): void;
  /** sock_diag only: the /proc fallback's row for a kind sock_diag did not answer for (raw without raw_diag, ping), `kind` confirmed by the fd's protocol name. */
  fallback?(inode: number, kind: SocketKind): TableSocket | undefined;
}
