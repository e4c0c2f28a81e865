// The `sockopt` command's end when a DNS lookup outlived its --timeout (a resolver that
// never answers): the answer is written, but getaddrinfo still holds a libuv pool thread,
// which keeps the event loop alive and which libuv joins at exit (process.exit() waits
// too) until the resolver gives up (glibc: 5 s a try, with retries). Never the library's.
import { binding } from '../kernel/binding';

// The resource name Node gives a pending dns.lookup() (process.getActiveResourcesInfo()).
const LOOKUP = 'GetAddrInfoReqWrap';

/** Whether a getaddrinfo started by this process has not answered yet (false where the runtime cannot say). */
export function lookupPending(): boolean {
  return typeof process.getActiveResourcesInfo === 'function' && process.getActiveResourcesInfo().includes(LOOKUP);
}

/**
 * Ends the process with `code` once stdout and stderr hold nothing unwritten, without
 * waiting for a pending getaddrinfo. Only for a command whose answer is complete.
 */
export function exitPastLookup(code: number): void {
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  if (pending.length === 0) binding.exitNow(code);
  let left = pending.length;
  for (const s of pending) {
    s.once('drain', () => {
      if (--left === 0) binding.exitNow(code);
    });
  }
}
