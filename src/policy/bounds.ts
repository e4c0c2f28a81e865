// How long a dead peer takes to surface on Linux, from the options a socket holds and
// the system's defaults: the arithmetic behind `sockopt doctor` and docs/dead-peers.md.
// Times in ms. Linux's own rules (net/ipv4/tcp_timer.c):
//   connect   SYNs resent with a doubling RTO from 1 s: syn retries n → 2^(n+1) - 1 s;
//             TCP_USER_TIMEOUT, when set, also ends the attempt.
//   in flight data unacknowledged: TCP_USER_TIMEOUT when set; otherwise tcp_retries2
//             retransmissions (tcp_model_timeout, with the 200 ms minimum RTO: 15 → 924.6 s).
//   idle      keepalive, when on: idle + interval × count; with TCP_USER_TIMEOUT set, the
//             first probe tick (idle + k × interval, k ≥ 1) at or past it. Off: never.

/** The inputs: what the socket will hold; undefined = the system's default. */
export interface BoundInputs {
  keepAlive: boolean;
  /** s */
  keepIdle?: number;
  /** s */
  keepInterval?: number;
  keepCount?: number;
  /** ms; 0 or undefined = none */
  userTimeout?: number;
  synCount?: number;
}

/** The system's defaults (/proc/sys/net/ipv4). */
export interface SystemDefaults {
  /** s */
  keepaliveTime: number;
  /** s */
  keepaliveIntvl: number;
  keepaliveProbes: number;
  retries2: number;
  synRetries: number;
}

/** One bound: when it fires (ms, or null for never) and what fires it. */
export interface Bound {
  ms: number | null;
  by: string;
}

const RTO_MIN_MS = 200;
const RTO_MAX_MS = 120_000;

/** Linux's tcp_model_timeout for `boundary` retransmissions from the minimum RTO. */
export function retransmitTimeout(boundary: number, rtoBase = RTO_MIN_MS): number {
  const thresh = Math.floor(Math.log2(RTO_MAX_MS / rtoBase));
  if (boundary <= thresh) return ((2 << boundary) - 1) * rtoBase;
  return ((2 << thresh) - 1) * rtoBase + (boundary - thresh) * RTO_MAX_MS;
}

export function bounds(inp: BoundInputs, sys: SystemDefaults): { connect: Bound; inFlight: Bound; idle: Bound } {
  const ut = inp.userTimeout && inp.userTimeout > 0 ? inp.userTimeout : undefined;
  const syn = inp.synCount ?? sys.synRetries;
  const synMs = (2 ** (syn + 1) - 1) * 1000;
  const connect: Bound = ut !== undefined && ut < synMs
    ? { ms: ut, by: `TCP_USER_TIMEOUT ${ut} ms` }
    : { ms: synMs, by: `${syn} SYN retries (${inp.synCount !== undefined ? 'TCP_SYNCNT' : 'net.ipv4.tcp_syn_retries'})` };
  const inFlight: Bound = ut !== undefined
    ? { ms: ut, by: `TCP_USER_TIMEOUT ${ut} ms` }
    : { ms: retransmitTimeout(sys.retries2), by: `${sys.retries2} retransmissions (net.ipv4.tcp_retries2), about` };
  let idle: Bound;
  if (!inp.keepAlive) idle = { ms: null, by: 'keepalive off: an idle dead peer is never noticed' };
  else {
    const i = (inp.keepIdle ?? sys.keepaliveTime) * 1000;
    const v = (inp.keepInterval ?? sys.keepaliveIntvl) * 1000;
    const n = inp.keepCount ?? sys.keepaliveProbes;
    if (ut !== undefined) {
      const k = Math.max(1, Math.ceil((ut - i) / v));
      idle = { ms: i + k * v, by: `keepalive probes (${i / 1000} s + ${k} × ${v / 1000} s, cut at TCP_USER_TIMEOUT ${ut} ms)` };
    } else idle = { ms: i + n * v, by: `keepalive probes (${i / 1000} s + ${n} × ${v / 1000} s)` };
  }
  return { connect, inFlight, idle };
}
