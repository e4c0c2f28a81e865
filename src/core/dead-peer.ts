// One bound for a dead peer, turned into the kernel's four knobs, after gRFC A18:
// TCP_USER_TIMEOUT equals the bound, and keepalive probes start early enough that
// unanswered ones reach it. Linux, with TCP_USER_TIMEOUT set, ignores TCP_KEEPCNT and
// drops an idle connection at the first probe tick (idle + k × interval, k ≥ 1) whose
// time since the peer last spoke is ≥ TCP_USER_TIMEOUT (tcp_keepalive_timer). So the
// schedule is built to land exactly on the bound: idle + interval × count = bound.
// Data in flight is dropped when unacknowledged for TCP_USER_TIMEOUT (the kernel
// clamps its retransmission timer to it), and a connect()'s SYNs stop at it too.
import { invalidArgType, outOfRange } from '../kernel/errors';

/** What a dead-peer bound becomes on each socket (the kernel's units are whole seconds for keepalive). */
export interface DeadPeerSettings {
  /** Keepalive timing in ms (multiples of 1000): `idle + interval × count` equals `userTimeout`. */
  keepAlive: { idle: number; interval: number; count: number };
  /** TCP_USER_TIMEOUT, ms: the bound rounded down to whole seconds. */
  userTimeout: number;
}

/** Smallest bound: 1 s idle and one 1 s probe interval. ms. */
export const MIN_DEAD_PEER_MS = 2000;
/** Largest bound whose idle time still fits TCP_KEEPIDLE's 32767 s (about 18 h). ms. */
export const MAX_DEAD_PEER_MS = 65_000_000;

/**
 * Derives keepalive idle/interval/count and TCP_USER_TIMEOUT from one bound, `ms`:
 * a peer that vanishes is detected within `ms` (rounded down to whole seconds, never
 * longer) whether the connection is idle or has data in flight. Half the bound is
 * idle time; the other half holds about three probes (up to five 1 s apart).
 *
 * `deadPeer(30_000)` → `{ keepAlive: { idle: 15000, interval: 5000, count: 3 }, userTimeout: 30000 }`.
 */
export function deadPeer(ms: unknown, label: unknown = 'deadPeerTimeout'): DeadPeerSettings {
  const name = typeof label === 'string' ? label : 'deadPeerTimeout'; // a label for messages: only a string is used
  if (typeof ms !== 'number') throw invalidArgType(name, 'of type number (milliseconds)', ms);
  if (!(ms >= MIN_DEAD_PEER_MS && ms <= MAX_DEAD_PEER_MS)) {
    throw outOfRange(name, `>= ${MIN_DEAD_PEER_MS} and <= ${MAX_DEAD_PEER_MS} ms`, ms);
  }
  const total = Math.floor(ms / 1000); // s; keepalive has whole seconds only
  const probing = total - Math.floor(total / 2); // s left after half the bound of idleness
  const interval = Math.max(1, Math.floor(probing / 3)); // about 3 probes (up to 5 at 1 s)
  const count = Math.floor(probing / interval);
  const idle = total - interval * count; // takes the remainder, so the schedule sums to `total`
  return { keepAlive: { idle: idle * 1000, interval: interval * 1000, count }, userTimeout: total * 1000 };
}
