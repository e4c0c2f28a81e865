// The fds socket birth makes: each is closed exactly once unless Node took it, and never
// touched again once its number may belong to another socket.
import { fstatSync } from 'node:fs';
import { binding } from '../kernel/binding';
import { setPrepared } from '../core/batch';
import type { Prepared } from '../core/presocket';

/** An fd this library made: ours until handed to Node, closed at most once. */
export class OwnedFd {
  readonly fd: number;
  // The socket's inode: tells our socket from another one that got the same number.
  readonly #ino: number;
  #ours = true;

  constructor(fd: number) {
    this.fd = fd;
    this.#ino = inode(fd);
  }

  /** Node's handle now owns the fd (it closes it with the handle). */
  handOver(): void {
    this.#ours = false;
  }

  /** Closes the fd if it is still ours and still the same socket; later calls do nothing. */
  close(): void {
    if (!this.#ours) return;
    this.#ours = false;
    if (inode(this.fd) !== this.#ino) return; // Node closed it already (and the number may be reused)
    closeQuietly(this.fd);
  }
}

function inode(fd: number): number {
  try {
    return fstatSync(fd).ino;
  } catch {
    return -1;
  }
}

/** Closes an fd nobody else holds; errors on close mean it is gone either way. */
export function closeQuietly(fd: number): void {
  try {
    binding.close!(fd);
  } catch {
    /* EBADF/EIO on close: the fd is gone either way */
  }
}

/** Every prepared option in one native call (batch.ts); a refusal throws, naming the option. */
export function setAll(fd: number, prepared: readonly Prepared[]): void {
  setPrepared(fd, prepared);
}

/** socket() plus every prepared option; on any refusal the fd is closed and the kernel's error thrown. */
export function openConfigured(family: 4 | 6, datagram: boolean, prepared: readonly Prepared[]): OwnedFd {
  const owned = new OwnedFd(binding.socket!(family, datagram));
  try {
    setAll(owned.fd, prepared);
    return owned;
  } catch (err) {
    owned.close();
    throw err;
  }
}

