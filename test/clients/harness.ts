// What every real-client test needs: the servers' ports (started by
// scripts/test-clients.sh), a peer that never answers a SYN, the client sockets a
// library opened (seen on Node's own channel), Python's reading of their options,
// and the process's fd count.
import { spawn, type ChildProcess } from 'node:child_process';
import * as diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import * as net from 'node:net';
import { constants as C } from '../../src/index';
import { fixtures, oracle } from '../helpers';

export { figure, oracle } from '../helpers';

export function env(name: 'PGPORT' | 'REDIS_PORT'): number {
  const v = Number(process.env[name]);
  if (!v) throw new Error(`${name} is not set: run these tests with npm run test:clients (scripts/test-clients.sh starts the servers)`);
  return v;
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** The fd count once sockets still closing are gone: unchanged over 5 looks 40 ms apart (at most 4 s). */
export async function settledFdCount(): Promise<number> {
  let last = fdCount();
  for (let same = 0, i = 0; same < 5 && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 40));
    const now = fdCount();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** The fd of a socket a library holds (or -1). */
export function fdOf(socket: net.Socket): number {
  return (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd ?? -1;
}

/**
 * Records the client sockets Node publishes from now on (net.client.socket), as a test
 * would see sockets created inside a library. Returns the list and a stop function.
 */
export function watchClientSockets(): { sockets: net.Socket[]; stop(): void } {
  const sockets: net.Socket[] = [];
  const onMessage = (message: unknown): void => {
    sockets.push((message as { socket: net.Socket }).socket);
  };
  diagnostics.subscribe('net.client.socket', onMessage);
  return { sockets, stop: () => diagnostics.unsubscribe('net.client.socket', onMessage) };
}

/** Waits until `socket` has connected (or fails). */
export async function connectedSocket(sockets: net.Socket[], index = 0, timeoutMs = 10_000): Promise<net.Socket> {
  const end = Date.now() + timeoutMs;
  while (!sockets[index] && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  const s = sockets[index];
  if (!s) throw new Error(`no client socket #${index} was published within ${timeoutMs} ms`);
  if (s.connecting || fdOf(s) < 0) await once(s, 'connect');
  return s;
}

export const T = C.IPPROTO_TCP!;
/** Python's view, in this order: SO_KEEPALIVE, TCP_KEEPIDLE (s), TCP_KEEPINTVL (s), TCP_KEEPCNT, TCP_USER_TIMEOUT (ms), TCP_NODELAY. */
export const POLICY_OPS: ['get', number, number, number][] = [
  ['get', C.SOL_SOCKET!, C.SO_KEEPALIVE!, 0],
  ['get', T, C.TCP_KEEPIDLE!, 0],
  ['get', T, C.TCP_KEEPINTVL!, 0],
  ['get', T, C.TCP_KEEPCNT!, 0],
  ['get', T, C.TCP_USER_TIMEOUT!, 0],
  ['get', T, C.TCP_NODELAY!, 0],
];

/** Reads POLICY_OPS through Python on the socket's own fd, as named fields. */
export async function pythonView(socket: net.Socket): Promise<{ keepalive: number; idle: number; interval: number; count: number; userTimeout: number; noDelay: number }> {
  const [keepalive, idle, interval, count, userTimeout, noDelay] = (await oracle(fdOf(socket), POLICY_OPS)) as number[];
  return { keepalive: keepalive!, idle: idle!, interval: interval!, count: count!, userTimeout: userTimeout!, noDelay: noDelay! };
}

/**
 * A peer that never answers: a loopback listener (Python, backlog 0) whose accept
 * queue is filled here, so the kernel drops further SYNs silently. Create it before
 * installing a policy: the filling connections are plain ones.
 */
export async function silentPeer(): Promise<{ port: number; close(): Promise<void> }> {
  const proc: ChildProcess = spawn('python3', [`${fixtures}/silent-listener.py`, '120'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => proc.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 8; i++) {
    const c = net.connect(port, '127.0.0.1').on('error', () => {});
    fillers.push(c);
    const ok = await Promise.race([once(c, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(r, 300, false))]);
    if (!ok) break; // the queue is full: this one hangs in SYN_SENT like every later one
  }
  return {
    port,
    // Resolves once the child's pipes are closed too, so a later fd count does not see them.
    async close() {
      for (const c of fillers) c.destroy();
      const closed = proc.exitCode === null && proc.signalCode === null ? once(proc, 'close') : Promise.resolve();
      proc.kill('SIGKILL');
      await closed;
    },
  };
}

/** ms since `start` (a performance.now() value), one decimal. */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/** Runs `fn` and returns [ms until it settled, its error or undefined]. */
export async function timed(fn: () => Promise<unknown>): Promise<[number, (Error & { code?: string }) | undefined]> {
  const start = performance.now();
  try {
    await fn();
    return [since(start), undefined];
  } catch (err) {
    return [since(start), err as Error];
  }
}

/** The error code of an error or of the first error it aggregates or wraps (undici's cause, AggregateError). */
export function codeOf(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown; errors?: unknown[] } | undefined;
  for (let i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && e.code.startsWith('E') && !e.code.startsWith('ERR_')) return e.code;
    e = (e.cause ?? e.errors?.[0]) as typeof e;
  }
  return (err as { code?: string } | undefined)?.code;
}
