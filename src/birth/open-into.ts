// A kernel socket made here and put into a Node handle that has none yet (client and
// dgram birth), then configured there, before any bind() or connect().
import { binding } from '../kernel/binding';
import { systemError } from '../kernel/errors';
import type { Prepared } from '../core/presocket';
import { closeQuietly, setAll } from './owned-fd';

/** What birth can put a socket into: a stream or UDP handle, through src/node/. */
export type OpenTarget = (fd: number) => { rc: number; error?: unknown; taken: boolean };

/**
 * socket(), open() into the handle, then the options. The options go on after open():
 * libuv applies keepalive/nodelay flags Node stored on a handle without a socket
 * (setKeepAlive or setNoDelay called before the attempt) when it opens one, which would
 * overwrite them. A socket the handle refused is closed here, in this same synchronous
 * call (its number cannot have been reused: no OwnedFd, no fstat per connection); one
 * the handle took is the handle's to close, also when an option is refused (the caller
 * destroys the socket or reports the error on it). Returns the error, or undefined.
 */
export function openInto(open: OpenTarget, family: 4 | 6, datagram: boolean, prepared: readonly Prepared[], set: (fd: number, prepared: readonly Prepared[]) => void = setAll): Error | undefined {
  let fd: number;
  try {
    fd = binding.socket!(family, datagram);
  } catch (err) {
    return err as Error;
  }
  const { rc, error, taken } = open(fd);
  if (!taken) closeQuietly(fd);
  if (error !== undefined) return error as Error;
  if (rc !== 0) return systemError(rc, 'open');
  try {
    set(fd, prepared);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
