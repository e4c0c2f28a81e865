// Why a tracked connection ended, for its close record: a local close, the peer's FIN, a
// reset or a timeout; `error` is kept only when the socket itself failed.
import type { CloseReason } from './records';

// Errors the kernel or libuv raised on the socket (a code and a numeric errno), as
// opposed to one a library destroyed it with (undici's UND_ERR_DESTROYED on pool.close()).
// Its code, read once; undefined for any other error. A getter or Proxy trap that throws
// makes it none: the close record is published all the same.
function systemCode(err: Error | null): string | undefined {
  try {
    if (err === null || typeof (err as NodeJS.ErrnoException).errno !== 'number') return undefined;
    const code = (err as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Why a connection ended; `error` is kept only when the socket itself failed. */
export function closeReason(err: Error | null, state: string | undefined, finOrder: 0 | 1 | 2): CloseReason {
  const code = systemCode(err);
  if (code !== undefined) {
    if (code === 'ETIMEDOUT') return 'timeout';
    // A reset after this side had already sent its FIN (amqplib's close(): the broker
    // resets once it has its close-ok) ends a close the application asked for.
    if (code === 'ECONNRESET' || code === 'EPIPE') return finOrder === 1 ? 'local' : 'reset';
    return 'error';
  }
  if (finOrder === 2 || state === 'CLOSE_WAIT' || state === 'LAST_ACK') return 'peer';
  return 'local';
}
