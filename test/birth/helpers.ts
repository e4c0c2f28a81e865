// Shared by the socket-birth abuse tests: fd accounting, outcomes in Node's terms,
// and a peer that never answers a SYN.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { figure, fixtures, openFds, python } from '../helpers';

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (≤ 2 s: libuv closes handles on a later loop turn) for the fd count to come back to `before`. */
export async function fdsBackTo(before: number): Promise<number> {
  for (let i = 0; i < 100 && openFds() !== before; i++) await tick(20);
  return openFds();
}

/**
 * Runs one abuse case: counts /proc/self/fd before and after, prints both with the
 * outcome as a figure line, and asserts the count came back.
 */
export async function leakFree(name: string, run: () => Promise<string> | string): Promise<string> {
  await fdsBackTo(openFds());
  const before = openFds();
  const outcome = await run();
  const after = await fdsBackTo(before);
  figure(`birth: ${name}`, `${outcome}; fds ${before} -> ${after}`);
  expect(after, name).toBe(before);
  return outcome;
}

type Emitter = { once(event: string, fn: (...a: unknown[]) => void): unknown; destroy?(): void };

/**
 * What a call did, in Node's terms: `throws CODE` (synchronously), or the first of
 * `error CODE` / `connect` / `close` (within `ms`). Sockets are destroyed afterwards.
 */
export async function outcome(call: () => Emitter, events: string[] = ['connect', 'listening', 'close'], ms = 5000): Promise<string> {
  let target: Emitter;
  try {
    target = call();
  } catch (err) {
    return `throws ${(err as { code?: string }).code ?? (err as Error).name}`;
  }
  const result = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('pending'), ms);
    const done = (what: string) => {
      clearTimeout(timer);
      resolve(what);
    };
    target.once('error', (err) => done(`error ${(err as { code?: string }).code ?? (err as Error).message}`));
    for (const e of events) target.once(e, () => done(e));
  });
  target.destroy?.();
  (target as { close?(): void }).close?.();
  return result;
}

/** A port whose SYNs go unanswered: a Python listener that never accepts, its backlog filled. */
export async function silentPeer(cleanup: (() => void)[]): Promise<number> {
  const proc: ChildProcess = spawn(python, [join(fixtures, 'silent-listener.py'), '60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.push(() => proc.kill('SIGKILL'));
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  for (let i = 0; i < 8; i++) {
    const filler = net.connect(port, '127.0.0.1');
    filler.on('error', () => {});
    cleanup.push(() => filler.destroy());
    const ok = await Promise.race([once(filler, 'connect').then(() => true), tick(300).then(() => false)]);
    if (!ok) {
      filler.destroy();
      await tick(30);
      return port;
    }
  }
  throw new Error('accept queue never filled');
}

/** A lookup that answers only when `release()` is called (or fails with `error`). */
export function lateLookup(address = '127.0.0.1', family: 4 | 6 = 4, error?: Error): { lookup: net.LookupFunction; release(): void; asked: Promise<void> } {
  let answer: (() => void) | undefined;
  let asked!: () => void;
  const askedP = new Promise<void>((r) => (asked = r));
  const lookup = ((_h: string, o: { all?: boolean }, cb: (e: Error | null, a?: unknown, f?: number) => void) => {
    answer = () => (error ? cb(error) : o.all ? cb(null, [{ address, family }]) : cb(null, address, family));
    asked();
  }) as unknown as net.LookupFunction;
  return { lookup, release: () => answer?.(), asked: askedP };
}
