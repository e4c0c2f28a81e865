// Server birth: at the step Node takes after its own normalisation, DNS and cluster
// decision (node/listen2.ts), sockopt makes the socket (socket(), options, bind()) and
// hands it to Node's own step as { fd }.
import type * as net from 'node:net';
import { binding } from '../kernel/binding';
import { systemError } from '../kernel/errors';
import type { Prepared } from '../core/presocket';
import { requireBirthHooks } from '../node/runtime';
import { callNodeListen2, interceptListen2, listeningId, serverHasHandle, setConnectionKey, type Listen2Args } from '../node/listen2';
import { openConfigured, type OwnedFd } from './owned-fd';

/** What one listen() call asked for, consumed by the listen step it leads to. */
export interface ListenPlan {
  prepared: readonly Prepared[];
  /** Only on an IPv6 socket (Node's ipv6Only): IPV6_V6ONLY. */
  prepared6: readonly Prepared[];
  /** Node's id of the listen() call; a close() or newer listen() changes it. */
  listeningId?: number;
}

const plans = new WeakMap<object, ListenPlan>();

/** The next listen step of this server (for the listen() call just made) builds its socket here. */
export function planListen(server: net.Server, plan: ListenPlan): void {
  if (plan.prepared.length || plan.prepared6.length) requireBirthHooks('sockopts before bind() (listen(), createServer() with sockopts)');
  plans.set(server, plan);
  interceptListen2(server, configuredListen2);
}

/** Stamps the plan with the id of the listen() call that was just made (or drops it if that call threw). */
export function commitPlan(server: net.Server, ok: boolean): void {
  const plan = plans.get(server);
  if (!plan) return;
  if (ok) plan.listeningId = listeningId(server);
  else plans.delete(server);
}

function configuredListen2(this: net.Server, ...args: Listen2Args): void {
  const [address, port, addressType, backlog, fd, flags] = args;
  const plan = plans.get(this);
  plans.delete(this);
  // Not ours to build: a handle from the cluster primary or IPC, a caller's fd, a pipe,
  // or a listen() this plan was not made for.
  // The plan's id is still unset when Node calls us from inside the listen() call itself (no host: no DNS).
  const current = plan !== undefined && (plan.listeningId === undefined || plan.listeningId === listeningId(this));
  if (!current || serverHasHandle(this) || (typeof fd === 'number' && fd >= 0) || addressType === -1) {
    return callNodeListen2(this, args);
  }
  // Node's rule for no address: IPv6 '::' when it works at all, else IPv4 '0.0.0.0'.
  const tries: [string, 4 | 6][] = address ? [[address, addressType === 6 ? 6 : 4]] : [['::', 6], ['0.0.0.0', 4]];
  let owned: OwnedFd | undefined;
  let error: unknown;
  let bound: [string, 4 | 6] = tries[0]!;
  for (const t of tries) {
    bound = t;
    try {
      owned = openConfigured(t[1], false, t[1] === 6 ? [...plan.prepared, ...plan.prepared6] : plan.prepared);
    } catch (err) {
      error = err;
      continue;
    }
    try {
      binding.bind!(owned.fd, t[0], port ?? 0);
      break;
    } catch (err) {
      owned.close();
      owned = undefined;
      // Node reports a failed bind as its listen() failing, with address and port.
      const e = err as { errno?: number };
      error = typeof e.errno === 'number' ? systemError(e.errno, 'listen', t[0], port) : err;
    }
  }
  if (!owned) {
    process.nextTick(() => this.emit('error', error));
    return;
  }
  callNodeListen2(this, [null, null, null, backlog, owned.fd, flags]);
  if (serverHasHandle(this)) {
    owned.handOver();
    setConnectionKey(this, bound[1], bound[0], port);
  } else {
    owned.close(); // Node emits its error; the fd is closed if Node had not taken it
  }
}
