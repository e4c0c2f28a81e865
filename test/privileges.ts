// What this process may do, read from the kernel instead of assumed: its effective
// capabilities, and whether it can become another user. Tests whose case needs a
// privilege assert the kernel's refusal (EPERM) when the privilege is missing, so they
// run, and mean something, as root and as any other user.
//
// And a copy of the built package that another user can read: a test that runs code
// as `nobody` must not run it from the checkout, which may sit in a directory other
// users cannot enter (a 0700 home such as /root, a `mktemp -d` folder).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fixtures, root } from './helpers';

/** Linux capability numbers (include/uapi/linux/capability.h). */
const CAPABILITY = {
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_SYS_PTRACE: 19,
} as const;
export type Capability = keyof typeof CAPABILITY;

/** The effective capability set of this process (CapEff in /proc/self/status). */
function effective(): bigint {
  const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return line ? BigInt(`0x${line[1]}`) : 0n;
}

/** Whether this process holds `cap` in its effective set (root normally holds all). */
export function hasCapability(cap: Capability): boolean {
  return (effective() & (1n << BigInt(CAPABILITY[cap]))) !== 0n;
}

/** Whether this process can switch to another uid/gid (setpriv --reuid/--regid, seteuid). */
export function canSwitchUser(): boolean {
  return hasCapability('CAP_SETUID') && hasCapability('CAP_SETGID');
}

/**
 * Whether this process may ptrace-attach to (and so pidfd_getfd from) a process of its own
 * uid that is not its descendant, e.g. a sibling started by the same shell: without
 * Yama's ptrace_scope any user may; scope 1 limits that to descendants and scope 2 to
 * CAP_SYS_PTRACE, which also lifts scope 1; scope 3 forbids attaching altogether.
 */
export function mayAttachToSibling(): boolean {
  let scope = 0;
  try {
    scope = Number(readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim());
  } catch {
    /* no Yama: the kernel's own rule (same uid, or CAP_SYS_PTRACE) */
  }
  return scope === 0 || (scope < 3 && hasCapability('CAP_SYS_PTRACE'));
}

/** A directory any user can reach: every component from / down is searchable by others. */
function reachableByAll(dir: string): boolean {
  let d = dir;
  for (;;) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const up = dirname(d);
    if (up === d) return true;
    d = up;
  }
}

/** Makes every file and directory under `dir` readable (directories searchable) by all. */
function openUp(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) openUp(p);
    else chmodSync(p, statSync(p).mode & 0o111 ? 0o755 : 0o644);
  }
}

export interface ReadableCopy {
  /** The copy's package root: lib/, the built addon, package.json, node-gyp-build. */
  root: string;
  /** The copy's test/fixtures/, holding the fixtures asked for. */
  fixtures: string;
  /** Deletes the copy. */
  remove(): void;
}

/**
 * Copies what a process running as another user needs into a fresh 0755 directory under
 * the system's temp directory: package.json, lib/, the addon the checkout loads (its path
 * kept, so node-gyp-build finds it the same way), node-gyp-build, and the named fixtures
 * under test/fixtures/ (they load the package as join(__dirname, '..', '..')).
 * Every file readable by all. Call remove() when done.
 */
export function readableCopy(fixtureNames: string[] = []): ReadableCopy {
  const base = [tmpdir(), '/tmp', '/var/tmp', '/dev/shm'].find(reachableByAll);
  if (!base) throw new Error('no temp directory that every user can reach (tried $TMPDIR, /tmp, /var/tmp, /dev/shm)');
  const dir = mkdtempSync(join(base, 'sockopt-shared-'));
  try {
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    cpSync(join(root, 'lib'), join(dir, 'lib'), { recursive: true });
    const fromRoot = createRequire(join(root, 'package.json'));
    const addon = (fromRoot('node-gyp-build') as { resolve(dir: string): string }).resolve(root);
    const rel = relative(root, addon);
    if (rel.startsWith('..') || rel.startsWith(sep)) throw new Error(`the addon ${addon} is outside the checkout`);
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    cpSync(addon, join(dir, rel));
    const gypBuild = dirname(fromRoot.resolve('node-gyp-build/package.json'));
    cpSync(gypBuild, join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
    const copied = join(dir, 'test', 'fixtures');
    mkdirSync(copied, { recursive: true });
    for (const name of fixtureNames) cpSync(join(fixtures, name), join(copied, name));
    openUp(dir);
    return { root: dir, fixtures: copied, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The congestion controls this process may set: with CAP_NET_ADMIN any the kernel has
 * (tcp_available_congestion_control), without it only those the kernel allows every
 * user (tcp_allowed_congestion_control; reno is always among them).
 */
export function settableCongestionControls(): string[] {
  const file = hasCapability('CAP_NET_ADMIN') ? 'tcp_available_congestion_control' : 'tcp_allowed_congestion_control';
  return readFileSync(`/proc/sys/net/ipv4/${file}`, 'utf8').trim().split(/\s+/).filter(Boolean);
}

/** A congestion control this process may set that is not the kernel's default (the last such one listed; the default if none). */
export function otherCongestionControl(): string {
  const current = readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
  return settableCongestionControls().filter((cc) => cc !== current).at(-1) ?? current;
}

let netns: string | null | undefined;
/**
 * Whether this process may make a network namespace of its own the way the tests do
 * (`unshare -rn`: a user namespace with it, which the kernel lets an unprivileged user
 * make unless it is configured not to, and a container may forbid even to root).
 * Undefined when it may; otherwise unshare's message, the kernel's refusal, for the
 * test to assert instead of its case.
 */
export function netnsRefusal(): string | undefined {
  if (netns === undefined) {
    const r = spawnSync('unshare', ['-rn', 'true'], { encoding: 'utf8' });
    netns = r.status === 0 ? null : `${r.stderr}`.trim() || `unshare exited ${String(r.status)}`;
  }
  return netns ?? undefined;
}
