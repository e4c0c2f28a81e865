// Datagram birth: the configured fd goes into the UDP handle inside its address lookup,
// once the family is known and before Node binds.
import type * as dgram from 'node:dgram';
import type { Prepared } from '../core/presocket';
import { interceptLookup, openUdp, udpHandleFd, udpHandleOf, type UdpHandle } from '../node/dgram-handle';
import { requireBirthHooks } from '../node/runtime';
import { openInto } from './open-into';
import { setAll } from './owned-fd';

const udpPlans = new WeakMap<object, readonly Prepared[]>();

/**
 * The next bind() of this dgram socket adopts a socket configured with `prepared`:
 * in the handle's lookup callback, before Node binds. Does nothing when the socket is
 * already closed (Node's own bind() then throws its error).
 */
export function planBind(socket: dgram.Socket, prepared: readonly Prepared[]): void {
  if (prepared.length) requireBirthHooks('sockopts before bind() (bindDgram() with sockopts)');
  const handle = udpHandleOf(socket);
  if (!handle) return;
  const family: 4 | 6 = (socket as unknown as { type: string }).type === 'udp6' ? 6 : 4;
  udpPlans.set(handle, prepared);
  interceptLookup(handle, (err) => {
    const planned = udpPlans.get(handle);
    udpPlans.delete(handle);
    // Node's callback ignores a handle closed meanwhile; so do we (no fd is made).
    if (err || !planned || udpHandleOf(socket) !== handle) return err;
    return adoptUdp(handle, family, planned) ?? null;
  });
}

/** Forget the plan of a bind() that threw synchronously. */
export function dropBindPlan(socket: dgram.Socket): void {
  const handle = udpHandleOf(socket);
  if (handle) udpPlans.delete(handle);
}

function adoptUdp(handle: UdpHandle, family: 4 | 6, prepared: readonly Prepared[]): Error | undefined {
  // A bind that failed earlier left Node's handle with our socket: configure it again.
  const fd = udpHandleFd(handle);
  if (fd >= 0) {
    try {
      setAll(fd, prepared);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }
  return openInto((newFd) => openUdp(handle, newFd), family, true, prepared);
}
